"""Compact state for small devices: one letter per region, in a stable order (docs/iot.md).

`GET /v1/iot/states` answers `text/plain` with one ASCII letter per region and nothing else
(no newline): `A` active, `P` partial, `N` none. `GET /v1/iot/regions` gives the region codes
in the same order, one per line. Both take `level` (e.g. `oblast`), and carry the header
`Tocsin-Region-Order`, which changes only when that order does.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tocsin.api import fastpath
from tocsin.api.answers import Answer, answer
from tocsin.api.deps import Node
from tocsin.api.node import Public
from tocsin.api.regions import region_states_of
from tocsin.api.views import answered_as, json_response
from tocsin.channels.sirens.commands import LETTERS
from tocsin.domain.alerts import Status
from tocsin.domain.regions import Region, RegionTree
from tocsin.errors import InvalidInput
from tocsin.service.readmodel import Fresh

router = APIRouter(prefix="/v1/iot", tags=["iot"])
ORDER_HEADER = "Tocsin-Region-Order"
LevelQuery = Annotated[
    str | None, Query(description="keep one level: country, oblast, raion, hromada", max_length=32)
]


@router.get(
    "/states",
    summary="One letter per region: A active, P partial, N none",
    **answered_as("text/plain"),
)
async def iot_states(
    request: Request,
    tocsin: Node,
    level: LevelQuery = None,
    status: Annotated[Status, Query(description="whose alerts: actual by default")] = Status.ACTUAL,
) -> Response:
    regions = chosen(tocsin.regions.tree, level)

    async def compute() -> Fresh[Answer]:
        letters = await _letters(tocsin, status)
        return Fresh(_text("".join(letters[r.code] for r in regions), order_tag(regions)))

    return await fastpath.serve(request, tocsin, compute, {status})


@router.get(
    "/regions",
    summary="The region codes, in the order of /v1/iot/states",
    **answered_as("text/plain", "application/json"),
)
async def iot_regions(
    request: Request,
    tocsin: Node,
    level: LevelQuery = None,
    format: Annotated[str, Query(description="text (one code a line) or json")] = "text",
) -> Response:
    regions = chosen(tocsin.regions.tree, level)
    tag = order_tag(regions)
    if format == "json":
        body = {
            "level": level,
            "count": len(regions),
            "order": tag,
            "regions": [r.code for r in regions],
        }
        return json_response(body, headers={ORDER_HEADER: tag})
    if format != "text":
        raise InvalidInput(f"format must be text or json; got {format!r}", field="format")
    return _text("".join(f"{r.code}\n" for r in regions), tag).response(request.headers)


async def _letters(tocsin: Public, status: Status) -> dict[str, str]:
    """Every region's letter, worked out again only when the log has an alert event of that
    status (devices poll often; exercises, incidents and the like leave the line as it is)."""

    async def compute() -> Fresh[dict[str, str]]:
        found = await region_states_of(tocsin, status)
        return Fresh({code: LETTERS[state.state] for code, state in found.items()})

    letters: dict[str, str] = await tocsin.reads.get(("letters", status), compute, {status})
    return letters


def chosen(tree: RegionTree, level: str | None) -> list[Region]:
    """The regions in their stable order (as imported: the `position` column), maybe one level."""
    regions = list(tree)
    if level is None:
        return regions
    levels = sorted({r.level for r in regions})
    if level not in levels:
        known = ", ".join(levels)
        raise InvalidInput(f"level must be one of {known}; got {level!r}", field="level")
    return [r for r in regions if r.level == level]


def order_tag(regions: list[Region]) -> str:
    return hashlib.sha256("\n".join(r.code for r in regions).encode()).hexdigest()[:16]


def _text(body: str, tag: str) -> Answer:
    data = body.encode("ascii", errors="replace")
    etag = '"' + hashlib.sha256(tag.encode() + b"\n" + data).hexdigest()[:32] + '"'
    headers = {"Cache-Control": "public, max-age=0, must-revalidate", ORDER_HEADER: tag}
    return answer(data, etag, "text/plain; charset=us-ascii", headers)

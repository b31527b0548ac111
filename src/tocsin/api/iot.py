"""Compact state for small devices: one letter per region, in a stable order (docs/iot.md).

`GET /v1/iot/states` answers `text/plain` with one ASCII letter per region and nothing else
(no newline): `A` active, `P` partial, `N` none. `GET /v1/iot/regions` gives the region codes
in the same order, one per line. Both take `level` (e.g. `oblast`), and carry the header
`Tocsin-Region-Order`, which changes only when that order does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tocsin.api.deps import App
from tocsin.api.views import answered_as, json_response
from tocsin.bootstrap import Tocsin
from tocsin.channels.sirens.commands import LETTERS
from tocsin.domain.alerts import Status
from tocsin.domain.events import ALERT_TYPES
from tocsin.domain.interest import Interest
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.state import region_states
from tocsin.errors import InvalidInput
from tocsin.types import Seq

router = APIRouter(prefix="/v1/iot", tags=["iot"])
ORDER_HEADER = "Tocsin-Region-Order"
CHANGES_READ = 1000  # events read to tell whether the letters changed, at most
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
    tocsin: App,
    level: LevelQuery = None,
    status: Annotated[Status, Query(description="whose alerts: actual by default")] = Status.ACTUAL,
) -> Response:
    regions = chosen(tocsin.regions.tree, level)
    letters = await _letters(request, tocsin, status)
    return _text(request, "".join(letters[r.code] for r in regions), order_tag(regions))


@router.get(
    "/regions",
    summary="The region codes, in the order of /v1/iot/states",
    **answered_as("text/plain", "application/json"),
)
async def iot_regions(
    request: Request,
    tocsin: App,
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
    return _text(request, "".join(f"{r.code}\n" for r in regions), tag)


@dataclass(frozen=True, slots=True)
class Held:
    """The letters of one status, as of `seq` of the log, over `tree`."""

    seq: Seq
    tree: RegionTree
    letters: dict[str, str]


async def _letters(request: Request, tocsin: Tocsin, status: Status) -> dict[str, str]:
    """Every region's letter, worked out again only when the log has an alert event of that
    status (devices poll often; exercises, incidents and the like leave the line as it is)."""
    tree = tocsin.regions.tree
    head = await tocsin.store.last_seq()
    cache: dict[Status, Held] = getattr(request.app.state, "iot", {})
    request.app.state.iot = cache
    held = cache.get(status)
    if held is not None and held.tree is tree and held.seq >= head:
        return held.letters
    if held is not None and held.tree is tree and not await _changed(tocsin, held, status, head):
        cache[status] = Held(head, tree, held.letters)
        return held.letters
    alerts = await tocsin.store.open_alerts(status)
    states = region_states(tree, alerts, tocsin.catalogue, status)
    letters = {code: LETTERS[state.state] for code, state in states.items()}
    cache[status] = Held(head, tree, letters)
    return letters


async def _changed(tocsin: Tocsin, held: Held, status: Status, head: Seq) -> bool:
    """Whether an event after the held letters (up to `head`) may change them."""
    if head - held.seq > CHANGES_READ:
        return True  # far behind: working them out again is cheaper than reading the log
    interest = Interest(statuses=frozenset({status}), types=ALERT_TYPES)
    after = held.seq
    while after < head:
        events = await tocsin.feed.read(after, head - after)
        if not events:
            return True
        if any(interest.matches(event, held.tree) for event in events if event.seq <= head):
            return True
        after = events[-1].seq
    return False


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


def _text(request: Request, body: str, tag: str) -> Response:
    data = body.encode("ascii", errors="replace")
    etag = '"' + hashlib.sha256(tag.encode() + b"\n" + data).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=0, must-revalidate",
        ORDER_HEADER: tag,
    }
    given = request.headers.get("if-none-match", "")
    if etag in {t.strip().removeprefix("W/") for t in given.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="text/plain; charset=us-ascii", headers=headers)

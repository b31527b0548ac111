"""Regions and their state: list, tree, GeoJSON, one region, state of one or all."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.responses import Response

from tocsin.api import fastpath
from tocsin.api.answers import Answer, json_answer
from tocsin.api.deps import App, Caller, Language, Node
from tocsin.api.inputs import Body
from tocsin.api.node import Public
from tocsin.api.views import cached_json, json_response, region_view, state_view
from tocsin.domain import commands as c
from tocsin.domain.alerts import Status
from tocsin.domain.regions import MAX_TIME_TO_SHELTER, Point, Region, RegionTree
from tocsin.domain.state import RegionState, region_states
from tocsin.errors import InvalidInput
from tocsin.regions.search import PlaceIndex
from tocsin.service.readmodel import Fresh

router = APIRouter(prefix="/v1/regions", tags=["regions"])
StatusQuery = Annotated[Status, Query(description="whose state: actual (public) by default")]


@router.get("", summary="Regions as a flat list (parents before children)")
async def list_regions(
    request: Request,
    tocsin: Node,
    lang: Language,
    level: str | None = None,
    parent: str | None = None,
    q: Annotated[str | None, Query(description="part of a name or code", max_length=100)] = None,
) -> Response:
    regions = _filter(list(tocsin.regions.tree), level, parent, q)
    return cached_json(request, {"regions": [region_view(r, lang) for r in regions]}, max_age=60)


@router.get("/tree", summary="Regions as a nested tree")
async def region_tree(request: Request, tocsin: Node, lang: Language) -> Response:
    tree = tocsin.regions.tree

    def node(region: Region) -> dict[str, Any]:
        return {
            **region_view(region, lang),
            "children": [node(child) for child in tree.children(region.code)],
        }

    return cached_json(request, {"regions": [node(r) for r in tree.roots()]}, max_age=60)


@router.get("/geojson", summary="Regions as a GeoJSON FeatureCollection")
async def region_geojson(
    request: Request,
    tocsin: Node,
    lang: Language,
    level: str | None = None,
    within: Annotated[
        str | None, Query(description="only the regions below this one (any ancestor)")
    ] = None,
) -> Response:
    tree = tocsin.regions.tree
    if within is not None:
        tree.require(within, field="within")

    def keep(region: Region) -> bool:
        return (level is None or region.level == level) and (
            within is None or within in tree.ancestors(region.code)
        )

    return cached_json(request, tree.geojson(lang, keep), max_age=300)


@router.get("/at", summary="The regions at a point, from the country down to the hromada")
async def regions_at(
    request: Request,
    tocsin: Node,
    lang: Language,
    point: Annotated[str, Query(description="LAT,LON in decimal degrees")],
) -> Response:
    found = tocsin.regions.tree.containing(Point.parse(point))
    return cached_json(request, {"regions": [region_view(r, lang) for r in found]}, max_age=300)


@router.get("/search", summary="Places by name: en, uk, ru, former names and old spellings")
async def search_regions(
    request: Request,
    tocsin: Node,
    lang: Language,
    q: Annotated[
        str, Query(description="a place's name, or its beginning", min_length=1, max_length=100)
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    tree = tocsin.regions.tree
    found = _index(tree).search(q, limit)
    results = [
        {
            **region_view(f.region, lang),
            "path": ", ".join(
                tree.require(c).name(lang) for c in tree.ancestors(f.region.code)[:-1]
            ),
            "matched": f.matched,
        }
        for f in found
    ]
    return cached_json(request, {"results": results}, max_age=300)


@lru_cache(maxsize=2)
def _index(tree: RegionTree) -> PlaceIndex:
    return PlaceIndex(tree)


@router.get("/states", summary="The state of every region")
async def all_states(
    request: Request,
    tocsin: Node,
    lang: Language,
    status: StatusQuery = Status.ACTUAL,
    level: str | None = None,
    only_alerted: bool = False,
) -> Response:

    async def compute() -> Fresh[Answer]:
        states = await region_states_of(tocsin, status)
        tree = tocsin.regions.tree
        chosen = [
            s
            for s in states.values()
            if (level is None or _level(tree.get(s.code)) == level)
            and (not only_alerted or s.state.value != "none")
        ]
        body = {"states": [state_view(s, tree, tocsin.catalogue, lang, status) for s in chosen]}
        return Fresh(json_answer(body))

    return await fastpath.serve(request, tocsin, compute, {status})


@router.get("/{code}", summary="One region, with its shape")
async def get_region(code: str, tocsin: Node, lang: Language) -> Response:
    tree = tocsin.regions.tree
    region = tree.require(code, field="code")
    return json_response(
        {
            **region_view(region, lang),
            "ancestors": tree.ancestors(code),
            "children": [c.code for c in tree.children(code)],
            "geometry": region.geojson_geometry(),
        }
    )


class RegionChanges(Body):
    """What may be changed on a region; a field left out stays as it is."""

    time_to_shelter: int | None = Field(
        None,
        ge=0,
        le=MAX_TIME_TO_SHELTER,
        description="seconds people have to reach shelter; null: none is set",
    )


@router.patch("/{code}", summary="Change a region (admin): its time to shelter")
async def update_region(
    code: str, body: RegionChanges, tocsin: App, actor: Caller, lang: Language
) -> Response:
    if not body.model_fields_set:
        raise InvalidInput("nothing to change: give time_to_shelter", field="time_to_shelter")
    cmd = c.UpdateRegion(code, body.time_to_shelter)
    region = await tocsin.regions.update_region(cmd, actor)
    return json_response(region_view(region, lang))


@router.get("/{code}/state", summary="The state of one region: active, partial or none")
async def get_state(
    code: str, request: Request, tocsin: Node, lang: Language, status: StatusQuery = Status.ACTUAL
) -> Response:
    tree = tocsin.regions.tree
    tree.require(code, field="code")
    states = await region_states_of(tocsin, status)
    return cached_json(request, state_view(states[code], tree, tocsin.catalogue, lang, status))


async def region_states_of(tocsin: Public, status: Status) -> dict[str, RegionState]:
    """The state of every region, worked out once for each change of the log (and shared by
    the region states, each region's state and the IoT line)."""

    async def compute() -> Fresh[dict[str, RegionState]]:
        alerts = await tocsin.store.open_alerts(status)
        return Fresh(region_states(tocsin.regions.tree, alerts, tocsin.catalogue, status))

    found: dict[str, RegionState] = await tocsin.reads.get(("states", status), compute, {status})
    return found


def _filter(
    regions: list[Region], level: str | None, parent: str | None, q: str | None
) -> list[Region]:
    if parent is not None and not any(r.code == parent for r in regions):
        raise InvalidInput(f"unknown parent region {parent!r}", field="parent")
    needle = q.casefold() if q else None
    return [
        r
        for r in regions
        if (level is None or r.level == level)
        and (parent is None or r.parent == parent)
        and (
            needle is None
            or needle in r.code.casefold()
            or any(needle in n.casefold() for n in r.names.values())
        )
    ]


def _level(region: Region | None) -> str | None:
    return region.level if region else None

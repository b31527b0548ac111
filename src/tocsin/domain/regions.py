"""Regions: a tree of places with stable codes, names, optional shapes and time-to-shelter.

Pure: no I/O. A `RegionTree` is built once from a list of `Region`s and answers the questions
the rest of the system asks: ancestors, descendants, "is this region inside that scope", and
"which regions contain this point".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from tocsin.errors import InvalidInput, UnknownRegion
from tocsin.types import Lang, RegionCode, pick

LEVELS: tuple[str, ...] = ("country", "oblast", "raion", "hromada")
MAX_TIME_TO_SHELTER = 3600
"""Seconds: an hour is more than any warning gives; a larger number is a mistake."""


def check_time_to_shelter(seconds: object) -> int | None:
    """`seconds` as a time to shelter (None: none is set), or `InvalidInput` naming the field."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise InvalidInput("time_to_shelter is whole seconds or null", field="time_to_shelter")
    if not 0 <= seconds <= MAX_TIME_TO_SHELTER:
        raise InvalidInput(
            f"time_to_shelter is 0 to {MAX_TIME_TO_SHELTER} seconds, not {seconds}",
            field="time_to_shelter",
        )
    return seconds


@dataclass(frozen=True, slots=True)
class Region:
    code: RegionCode
    level: str
    names: Mapping[Lang, str]
    parent: RegionCode | None = None
    geometry: BaseGeometry | None = field(default=None, compare=False, repr=False)
    time_to_shelter: int | None = None
    external_id: str | None = None
    pack: str | None = None
    katottg: str | None = None  # the code in Ukraine's official codifier of places (KATOTTG)
    aliases: tuple[str, ...] = ()  # former names and other spellings, found by the place search

    def name(self, lang: Lang) -> str:
        return pick(self.names, lang) or self.code

    def geojson_geometry(self) -> dict[str, Any] | None:
        if self.geometry is None:
            return None
        mapping: dict[str, Any] = shapely.geometry.mapping(self.geometry)
        return mapping


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float

    @classmethod
    def parse(cls, text: str, *, field: str = "point") -> Point:
        """Parse `"LAT,LON"` in decimal degrees."""
        parts = text.split(",")
        if len(parts) != 2:
            raise InvalidInput(f"point must be 'LAT,LON', got {text!r}", field=field)
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            raise InvalidInput(
                f"point must be two numbers 'LAT,LON', got {text!r}", field=field
            ) from None
        if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lon <= 180.0):
            raise InvalidInput(f"point {text!r} is outside -90..90, -180..180", field=field)
        return cls(lat, lon)


class RegionTree:
    """An immutable index over a set of regions."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self._by_code: dict[RegionCode, Region] = {}
        for region in regions:
            self._by_code[region.code] = region
        self._children: dict[RegionCode | None, list[RegionCode]] = {}
        for region in self._by_code.values():
            self._children.setdefault(region.parent, []).append(region.code)
        shaped = [r for r in self._by_code.values() if r.geometry is not None]
        self._shaped_codes = [r.code for r in shaped]
        self._strtree = shapely.STRtree([r.geometry for r in shaped]) if shaped else None
        for region in shaped:
            shapely.prepare(region.geometry)

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: RegionCode) -> Region | None:
        return self._by_code.get(code)

    def require(self, code: RegionCode, *, field: str = "regions") -> Region:
        region = self._by_code.get(code)
        if region is None:
            raise UnknownRegion(f"unknown region code {code!r}", field=field)
        return region

    def roots(self) -> list[Region]:
        return [self._by_code[c] for c in self._children.get(None, [])]

    def children(self, code: RegionCode) -> list[Region]:
        return [self._by_code[c] for c in self._children.get(code, [])]

    def ancestors(self, code: RegionCode) -> list[RegionCode]:
        """Parent, grandparent, … up to the root (nearest first)."""
        out: list[RegionCode] = []
        parent = self._by_code[code].parent
        while parent is not None and parent in self._by_code and parent not in out:
            out.append(parent)
            parent = self._by_code[parent].parent
        return out

    def descendants(self, code: RegionCode) -> list[RegionCode]:
        out: list[RegionCode] = []
        stack = list(self._children.get(code, []))
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self._children.get(current, []))
        return out

    def lineage(self, code: RegionCode) -> set[RegionCode]:
        """The region itself and all its ancestors."""
        return {code, *self.ancestors(code)}

    def within(self, code: RegionCode, scope: Iterable[RegionCode]) -> bool:
        """True if `code` is one of `scope` or lies below one of them."""
        return not self.lineage(code).isdisjoint(scope)

    def containing(self, point: Point) -> list[Region]:
        """Regions whose shape contains the point, broadest level first."""
        if self._strtree is None:
            return []
        candidates = self._strtree.query(shapely.Point(point.lon, point.lat))
        shapes = self._strtree.geometries.take(candidates)
        hits = candidates[shapely.intersects_xy(shapes, point.lon, point.lat)]
        found = [self._by_code[self._shaped_codes[i]] for i in hits]
        return sorted(found, key=lambda r: (_level_rank(r.level), r.code))

    def geojson(
        self, lang: Lang = "en", keep: Callable[[Region], bool] | None = None
    ) -> dict[str, Any]:
        """The regions (all, or those `keep` keeps) as a GeoJSON FeatureCollection (regions
        without shape have null geometry)."""
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": r.code,
                    "geometry": r.geojson_geometry(),
                    "properties": {
                        "code": r.code,
                        "parent": r.parent,
                        "level": r.level,
                        "name": r.name(lang),
                        "names": dict(r.names),
                        "time_to_shelter": r.time_to_shelter,
                        "external_id": r.external_id,
                        "katottg": r.katottg,
                    },
                }
                for r in self._by_code.values()
                if keep is None or keep(r)
            ],
        }


def _level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)

"""CAP geography: our region shapes as CAP polygons, and CAP areas as our regions.

Out: a region's shape becomes one `<polygon>` per part, `lat,lon` pairs (CAP's order, the
reverse of GeoJSON's), closed, at most `MAX_POINTS` points each and `MAX_POLYGONS` per area.
Larger shapes are simplified *outwards*: holes are filled, the shape is grown by 1.5 times a
tolerance and then simplified (Douglas–Peucker) by the tolerance, so the polygon still covers
the whole region and a warning never leaves out an edge of it. The tolerance starts at
0.002° (about 200 m) and doubles or so until the limits hold; the convex hull is the last
resort.

In: geocodes (`ISO3166-2`, `ISO3166-1` and our own `tocsin` code list), polygons and circles
become regions of the tree. A shape selects a region when they overlap by at least
`MIN_OVERLAP` of either's area (so that a polygon drawn along a border does not pick up its
neighbour by a sliver), and of those only the most specific (an oblast, not also the country
around it). Geocodes that name our regions are exact and win over the area's shapes (which
are often a generous outline of the same places: tocsin's own are). The area is the union of
what it names: a region is dropped only when its parent is in it too.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Iterable
from typing import ClassVar, Final

import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from tocsin.domain.regions import Region, RegionTree
from tocsin.types import RegionCode

MAX_POINTS: Final = 100
MAX_POLYGONS: Final = 10
MIN_OVERLAP: Final = 0.01
REGION_CODE_VALUE_NAME: Final = "tocsin"
KM_PER_DEGREE: Final = 111.32
_TOLERANCES: Final = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
_ISO_3166_2 = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
_ISO_3166_1 = re.compile(r"[A-Z]{2}")


# --- out ---------------------------------------------------------------------------------


def cap_polygons(geometry: BaseGeometry) -> tuple[str, ...]:
    """The CAP `<polygon>` texts that cover a region's shape, within the size limits."""
    solid = _fill_holes(geometry)
    for tolerance in _TOLERANCES:
        grown = shapely.buffer(solid, tolerance * 1.5, quad_segs=2, join_style="mitre")
        simple = shapely.simplify(grown, tolerance, preserve_topology=True)
        rings = _rings(simple)
        if _fits(rings) and simple.covers(solid):
            return tuple(_format(ring) for ring in rings)
    hull = shapely.convex_hull(solid)
    tolerance = _TOLERANCES[-1]
    hull = shapely.convex_hull(shapely.buffer(hull, tolerance * 1.5, quad_segs=2)).simplify(
        tolerance
    )
    return tuple(_format(ring) for ring in _rings(hull))


def _fill_holes(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.union_all([Polygon(p.exterior) for p in _parts(geometry)])


def _parts(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry] if not geometry.is_empty else []
    if isinstance(geometry, MultiPolygon):
        return [p for p in geometry.geoms if not p.is_empty]
    parts: list[Polygon] = []
    for part in getattr(geometry, "geoms", ()):
        parts.extend(_parts(part))
    return parts


def _rings(geometry: BaseGeometry) -> list[list[tuple[float, float]]]:
    return [list(p.exterior.coords) for p in _parts(geometry)]


def _fits(rings: list[list[tuple[float, float]]]) -> bool:
    return 0 < len(rings) <= MAX_POLYGONS and all(4 <= len(r) <= MAX_POINTS for r in rings)


def _format(ring: list[tuple[float, float]]) -> str:
    return " ".join(f"{lat:.4f},{lon:.4f}" for lon, lat in ring)


def geocodes(region: Region) -> list[tuple[str, str]]:
    """The region's geocodes: its ISO 3166 code where its code is one, and our own code."""
    codes = []
    if region.level == "country" and _ISO_3166_1.fullmatch(region.code):
        codes.append(("ISO3166-1", region.code))
    elif _ISO_3166_2.fullmatch(region.code):
        codes.append(("ISO3166-2", region.code))
    codes.append((REGION_CODE_VALUE_NAME, region.code))
    return codes


class Outlines:
    """CAP polygons per region, computed once per region tree."""

    _cache: ClassVar[weakref.WeakKeyDictionary[RegionTree, dict[RegionCode, tuple[str, ...]]]] = (
        weakref.WeakKeyDictionary()
    )

    @classmethod
    def of(cls, tree: RegionTree, region: Region) -> tuple[str, ...]:
        if region.geometry is None:
            return ()
        known = cls._cache.setdefault(tree, {})
        if region.code not in known:
            known[region.code] = cap_polygons(region.geometry)
        return known[region.code]


# --- in ----------------------------------------------------------------------------------


def parse_pairs(text: str) -> list[tuple[float, float]]:
    """A CAP polygon as (lat, lon) pairs; `ValueError` naming what is wrong."""
    pairs = [_pair(item) for item in text.split()]
    if len(pairs) < 4:
        raise ValueError(f"a polygon needs at least 4 lat,lon pairs; got {len(pairs)}")
    if pairs[0] != pairs[-1]:
        raise ValueError("a polygon must be closed: its first and last pairs must be the same")
    return pairs


def parse_circle(text: str) -> tuple[float, float, float]:
    """A CAP circle as (lat, lon, radius in km)."""
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"a circle is 'lat,lon radius'; got {text.strip()!r}")
    lat, lon = _pair(parts[0])
    radius = _number(parts[1], "radius")
    if radius < 0:
        raise ValueError(f"a circle's radius cannot be negative; got {radius}")
    return lat, lon, radius


def _pair(item: str) -> tuple[float, float]:
    parts = item.split(",")
    if len(parts) != 2:
        raise ValueError(f"{item!r} is not a lat,lon pair")
    lat, lon = _number(parts[0], "latitude"), _number(parts[1], "longitude")
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise ValueError(f"{item!r} is outside latitude -90..90, longitude -180..180")
    return lat, lon


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} {text!r} is not a number")
    return value


def polygon_shape(text: str) -> Polygon:
    shape = Polygon([(lon, lat) for lat, lon in parse_pairs(text)])
    return shape if shape.is_valid else shapely.make_valid(shape)


def circle_shape(text: str) -> BaseGeometry:
    lat, lon, km = parse_circle(text)
    if km == 0:
        return Point(lon, lat)
    dlat = km / KM_PER_DEGREE
    dlon = km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    unit = Point(0.0, 0.0).buffer(1.0, quad_segs=16)
    return affinity.translate(affinity.scale(unit, dlon, dlat, origin=(0, 0)), lon, lat)


class RegionMatcher:
    """Which of our regions does a CAP area name or cover?"""

    def __init__(self, tree: RegionTree) -> None:
        self.tree = tree
        self._shaped = [r for r in tree if r.geometry is not None]
        self._index = shapely.STRtree([r.geometry for r in self._shaped]) if self._shaped else None

    def by_geocode(self, value_name: str, value: str) -> RegionCode | None:
        kind = re.sub(r"[\s_:\-]", "", value_name).upper()
        value = value.strip()
        if kind == REGION_CODE_VALUE_NAME.upper():
            return value if value in self.tree else None
        if kind.startswith(("ISO31662", "ISO31661")):
            code = value.upper()
            return code if code in self.tree else None
        return None

    def by_shape(self, shape: BaseGeometry) -> set[RegionCode]:
        if self._index is None or shape.is_empty:
            return set()
        found = set()
        for i in self._index.query(shape, predicate="intersects"):
            region = self._shaped[int(i)]
            assert region.geometry is not None
            if shape.geom_type == "Point" or _overlaps(region.geometry, shape):
                found.add(region.code)
        return found

    def regions(
        self,
        geocodes: Iterable[tuple[str, str]] = (),
        polygons: Iterable[str] = (),
        circles: Iterable[str] = (),
    ) -> set[RegionCode]:
        """The regions an area names or covers (shapes that do not parse are skipped).

        Geocodes that name our regions say exactly where, and then the area's shapes (often a
        generous outline of the same places) are not used. Otherwise a shape selects the most
        specific regions it overlaps. Of the result a region is left out when an ancestor is
        in it already.
        """
        found = {c for name, value in geocodes if (c := self.by_geocode(name, value))}
        if found:
            return self.broadest(found)
        shapes = [(p, polygon_shape) for p in polygons if p.strip()]
        shapes += [(c, circle_shape) for c in circles if c.strip()]
        for text, make in shapes:
            try:
                shape = make(text)
            except ValueError:
                continue
            found |= self.most_specific(self.by_shape(shape))
        return self.broadest(found)

    def most_specific(self, codes: set[RegionCode]) -> set[RegionCode]:
        ancestors = {a for code in codes for a in self.tree.ancestors(code)}
        return codes - ancestors

    def broadest(self, codes: set[RegionCode]) -> set[RegionCode]:
        return {c for c in codes if codes.isdisjoint(self.tree.ancestors(c))}


def _overlaps(region: BaseGeometry, shape: BaseGeometry) -> bool:
    common = float(shapely.intersection(region, shape).area)
    least = MIN_OVERLAP * min(float(shape.area), float(region.area))
    return common > 0 and common >= least

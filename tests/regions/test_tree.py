from __future__ import annotations

from functools import cache

import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tocsin.domain.regions import LEVELS, Point, RegionTree
from tocsin.regions.packs import load_pack


@cache
def tree() -> RegionTree:
    return RegionTree(load_pack("ua") + load_pack("ru-border"))


@cache
def shaped_codes() -> list[str]:
    return sorted(r.code for r in tree() if r.geometry is not None and r.level == "oblast")


@pytest.mark.parametrize(
    ("place", "lat", "lon", "codes"),
    [
        ("Kharkiv", 49.99, 36.23, ["UA", "UA-63", "UA-63-R124", "UA-63-H1293"]),
        # Kyiv City is cut out of Kyiv Oblast, and is in no raion, so it is in one unit only.
        ("Kyiv", 50.45, 30.52, ["UA", "UA-30"]),
        ("Boryspil", 50.35, 30.95, ["UA", "UA-32", "UA-32-R78", "UA-32-H733"]),
        ("Lviv", 49.84, 24.03, ["UA", "UA-46", "UA-46-R90", "UA-46-H845"]),
        ("Odesa", 46.48, 30.72, ["UA", "UA-51", "UA-51-R104", "UA-51-H964"]),
        ("Simferopol", 44.95, 34.10, ["UA", "UA-43", "UA-43-R0116"]),  # no hromadas in Crimea
        ("Sevastopol", 44.60, 33.52, ["UA", "UA-40"]),
        ("Mariupol", 47.10, 37.55, ["UA", "UA-14", "UA-14-R52", "UA-14-H400"]),
        ("Belgorod", 50.60, 36.60, ["RU-BEL"]),
        ("Kursk", 51.73, 36.19, ["RU-KRS"]),
        ("Rostov-on-Don", 47.23, 39.72, ["RU-ROS"]),
        ("Krasnodar", 45.04, 38.98, ["RU-KDA"]),
        ("Black Sea", 43.50, 34.00, []),
        ("Minsk", 53.90, 27.56, []),
        ("Chisinau", 47.01, 28.86, []),
    ],
)
def test_containing(place: str, lat: float, lon: float, codes: list[str]) -> None:
    assert [r.code for r in tree().containing(Point(lat, lon))] == codes


def test_the_tree_holds_both_packs() -> None:
    assert len(tree()) == 1 + 27 + 136 + 1469 + 1 + 6
    assert [r.code for r in tree().roots()] == ["UA", "RU"]


@pytest.mark.parametrize(
    ("code", "ancestors"),
    [
        ("UA-05-H155", ["UA-05-R36", "UA-05", "UA"]),
        ("UA-05-R36", ["UA-05", "UA"]),
        ("UA-63", ["UA"]),
        ("RU-BEL", ["RU"]),
        ("UA", []),
    ],
)
def test_ancestors(code: str, ancestors: list[str]) -> None:
    assert tree().ancestors(code) == ancestors


def test_descendants_of_an_oblast_are_its_raions_and_hromadas() -> None:
    descendants = tree().descendants("UA-05")
    levels = {tree().require(code).level for code in descendants}
    assert levels == {"raion", "hromada"}
    assert "UA-05-H155" in descendants and "UA-05-R36" in descendants
    assert len(descendants) == len(set(descendants)) == 6 + 63


def test_descendants_of_the_country_are_everything_below_it() -> None:
    assert len(tree().descendants("UA")) == 27 + 136 + 1469
    assert sorted(tree().descendants("RU")) == sorted(c for c in shaped_codes() if "RU-" in c)


def test_children_keep_the_pack_order() -> None:
    assert [r.code for r in tree().children("UA")][:3] == ["UA-05", "UA-07", "UA-09"]


@pytest.mark.parametrize(
    ("code", "scope", "inside"),
    [
        ("UA-05-H155", {"UA-05"}, True),
        ("UA-05-H155", {"UA"}, True),
        ("UA-05-H155", {"UA-05-R36"}, True),
        ("UA-05-H155", {"UA-63", "RU"}, False),
        ("UA-05", {"UA-05-R36"}, False),
        ("RU-BEL", {"UA"}, False),
        ("RU-BEL", {"RU-BEL"}, True),
    ],
)
def test_within(code: str, scope: set[str], inside: bool) -> None:
    assert tree().within(code, scope) is inside


@cache
def inner(code: str) -> shapely.Geometry:
    """The unit's shape shrunk by 0.01°, so points in it are well inside the unit."""
    geometry = tree().require(code).geometry
    assert geometry is not None
    return geometry.buffer(-0.01)


def point_in(geometry: shapely.Geometry, u: float, v: float) -> shapely.Point | None:
    """A point of `geometry` on the parallel at fraction `v` of its height, `u` along it."""
    lon_min, lat_min, lon_max, lat_max = geometry.bounds
    lat = lat_min + v * (lat_max - lat_min)
    parallel = shapely.LineString([(lon_min - 1, lat), (lon_max + 1, lat)])
    crossing = shapely.intersection(geometry, parallel)
    if crossing.is_empty or crossing.geom_type not in ("LineString", "MultiLineString"):
        return None
    return shapely.line_interpolate_point(crossing, u, normalized=True)


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(shaped_codes()),
    u=st.floats(0, 1),
    v=st.floats(0.01, 0.99),
)
def test_a_point_inside_a_unit_finds_it(code: str, u: float, v: float) -> None:
    point = point_in(inner(code), u, v)
    assume(point is not None)
    assert point is not None
    found = [r.code for r in tree().containing(Point(point.y, point.x))]
    assert code in found
    levels = [tree().require(c).level for c in found]
    assert levels == sorted(levels, key=LEVELS.index)


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(43.0, 54.0), lon=st.floats(21.0, 42.0))
def test_containing_agrees_with_checking_every_shape(lat: float, lon: float) -> None:
    expected = {
        r.code
        for r in tree()
        if r.geometry is not None and shapely.intersects_xy(r.geometry, lon, lat)
    }
    assert {r.code for r in tree().containing(Point(lat, lon))} == expected

"""CAP geography: region shapes as polygons within limits that still cover the region, and
CAP geocodes, polygons and circles matched to our regions."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon

from tocsin.cap.geo import (
    MAX_POINTS,
    MAX_POLYGONS,
    Outlines,
    RegionMatcher,
    cap_polygons,
    circle_shape,
    geocodes,
    parse_circle,
    parse_pairs,
    polygon_shape,
)
from tocsin.domain.regions import RegionTree
from tocsin.regions.packs import load_pack

TREE = RegionTree([*load_pack("ua"), *load_pack("ru-border")])
# the matching rules, shown on the oblasts (the packs also have raion and hromada shapes: see
# test_a_polygon_selects_the_hromadas_it_covers_where_they_have_shapes)
MATCHER = RegionMatcher(TREE)
OBLASTS = RegionMatcher(RegionTree([r for r in TREE if r.level in ("country", "oblast")]))
SHAPED = [r for r in TREE if r.geometry is not None]
KHARKIV_CITY = "49.9,36.1 50.1,36.1 50.1,36.4 49.9,36.4 49.9,36.1"


def as_shape(texts: tuple[str, ...]) -> shapely.Geometry:
    return shapely.union_all([polygon_shape(text) for text in texts])


@pytest.mark.parametrize("region", SHAPED, ids=lambda r: r.code)
def test_every_region_outline_is_within_limits_and_covers_the_region(region: object) -> None:
    texts = Outlines.of(TREE, region)  # type: ignore[arg-type]
    assert 1 <= len(texts) <= MAX_POLYGONS
    for text in texts:
        pairs = parse_pairs(text)  # closed, at least 4 pairs, in range
        assert len(pairs) <= MAX_POINTS
    assert as_shape(texts).buffer(1e-4).covers(region.geometry)  # type: ignore[attr-defined]


def test_outlines_are_lat_lon_and_not_much_larger_than_the_region() -> None:
    kharkiv = TREE.require("UA-63")
    texts = Outlines.of(TREE, kharkiv)
    lat, lon = parse_pairs(texts[0])[0]
    assert 49 < lat < 51 and 34.5 < lon < 38.5
    # a detailed border takes a coarser outline to stay within the limits of points
    assert as_shape(texts).area < kharkiv.geometry.area * 1.3  # type: ignore[union-attr]
    assert Outlines.of(TREE, kharkiv) is texts  # computed once per tree


@settings(max_examples=25, deadline=None)
@given(
    points=st.integers(8, 600),
    holes=st.booleans(),
    parts=st.integers(1, 14),
)
def test_any_shape_becomes_polygons_within_limits(points: int, holes: bool, parts: int) -> None:
    polygons = []
    for i in range(parts):
        ring = shapely.Point(30 + i * 0.7, 48).buffer(0.3, quad_segs=max(2, points // 4))
        if holes:
            ring = ring.difference(shapely.Point(30 + i * 0.7, 48).buffer(0.1))
        polygons.append(ring)
    shape = MultiPolygon(polygons) if parts > 1 else polygons[0]
    texts = cap_polygons(shape)
    assert 1 <= len(texts) <= MAX_POLYGONS
    assert all(len(parse_pairs(t)) <= MAX_POINTS for t in texts)
    assert as_shape(texts).buffer(1e-4).covers(shape)


def test_geocodes_of_regions() -> None:
    assert geocodes(TREE.require("UA-63")) == [("ISO3166-2", "UA-63"), ("tocsin", "UA-63")]
    assert geocodes(TREE.require("UA")) == [("ISO3166-1", "UA"), ("tocsin", "UA")]
    assert geocodes(TREE.require("RU-BEL"))[0] == ("ISO3166-2", "RU-BEL")
    assert geocodes(TREE.require("UA-05-R36")) == [("tocsin", "UA-05-R36")]


@pytest.mark.parametrize(
    ("geocode", "expected"),
    [
        (("ISO3166-2", "UA-63"), {"UA-63"}),
        (("iso 3166-2", "ua-63"), {"UA-63"}),
        (("ISO3166-1", "UA"), {"UA"}),
        (("tocsin", "UA-05-R36"), {"UA-05-R36"}),
        (("ISO3166-2", "US-CA"), set()),
        (("SAME", "006037"), set()),
        (("tocsin", "ua-05-r36"), set()),  # our codes are exact
    ],
)
def test_geocodes_name_regions(geocode: tuple[str, str], expected: set[str]) -> None:
    assert MATCHER.regions(geocodes=[geocode]) == expected


def test_a_polygon_selects_the_hromadas_it_covers_where_they_have_shapes() -> None:
    found = MATCHER.regions(polygons=[KHARKIV_CITY])
    assert "UA-63-H1293" in found  # Kharkivska hromada, the city's own
    assert all(code.startswith("UA-63-H") for code in found)


def test_a_polygon_selects_the_most_specific_regions_it_overlaps() -> None:
    assert OBLASTS.regions(polygons=[KHARKIV_CITY]) == {"UA-63"}
    across = "49.5,34.5 50.0,34.5 50.0,36.5 49.5,36.5 49.5,34.5"  # Poltava and Kharkiv
    assert OBLASTS.regions(polygons=[across]) == {"UA-53", "UA-63"}
    assert OBLASTS.regions(polygons=["10,10 11,10 11,11 10,11 10,10"]) == set()


def test_a_sliver_along_a_border_does_not_select_the_neighbour() -> None:
    kharkiv = TREE.require("UA-63").geometry
    assert kharkiv is not None
    drawn = kharkiv.buffer(0.002).simplify(0.001)  # Kharkiv oblast drawn a little generously
    for neighbour in ("UA-53", "UA-59", "UA-14", "UA-12", "UA-09", "RU-BEL"):
        geometry = TREE.require(neighbour).geometry
        assert geometry is not None and geometry.intersection(drawn).area > 0
    text = " ".join(f"{lat},{lon}" for lon, lat in drawn.exterior.coords)
    assert OBLASTS.regions(polygons=[text]) == {"UA-63"}


def test_circles_and_points() -> None:
    assert OBLASTS.regions(circles=["50.0,36.25 10"]) == {"UA-63"}
    assert OBLASTS.regions(circles=["50.45,30.52 0"]) == {"UA-30"}  # a point in Kyiv
    big = OBLASTS.regions(circles=["50.45,30.52 60"])
    assert {"UA-30", "UA-32"} <= big
    radius = circle_shape("50.0,36.0 111.32")
    assert radius.bounds[3] == pytest.approx(51.0, abs=0.01)


def test_the_area_is_the_union_of_what_it_names() -> None:
    # the country named as well as one oblast: the whole country, not only the oblast
    assert OBLASTS.regions(geocodes=[("ISO3166-1", "UA"), ("ISO3166-2", "UA-63")]) == {"UA"}
    assert OBLASTS.regions(geocodes=[("ISO3166-2", "UA-05"), ("tocsin", "UA-05-R36")]) == {"UA-05"}


def test_geocodes_win_over_the_shapes_of_the_same_area() -> None:
    assert OBLASTS.regions(geocodes=[("ISO3166-2", "UA-05")], polygons=[KHARKIV_CITY]) == {"UA-05"}
    # an unknown geocode does not count: then the shapes decide
    assert OBLASTS.regions(geocodes=[("SAME", "1")], polygons=[KHARKIV_CITY]) == {"UA-63"}
    # tocsin's own messages: the generous outline of an oblast and its geocodes
    kharkiv = TREE.require("UA-63")
    outline = Outlines.of(TREE, kharkiv)
    assert OBLASTS.regions(polygons=outline) >= {"UA-63"}
    assert OBLASTS.regions(geocodes=geocodes(kharkiv), polygons=outline) == {"UA-63"}


def test_shapes_that_do_not_parse_are_skipped() -> None:
    assert MATCHER.regions(polygons=["not a polygon"], circles=["1,2"]) == set()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("49,36 50,36 49,36", "at least 4"),
        ("49,36 50,36 50,37 49,37", "closed"),
        ("49,36 50,36 91,37 49,36", "outside"),
        ("49;36 50,36 50,37 49,36", "not a lat,lon pair"),
        ("49,x 50,36 50,37 49,x", "not a number"),
        ("49,nan 50,36 50,37 49,nan", "not a number"),
    ],
)
def test_bad_polygons(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_pairs(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("50,36", "lat,lon radius"), ("50,36 -1", "negative"), ("50,36 far", "not a number")],
)
def test_bad_circles(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_circle(text)

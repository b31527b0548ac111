from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.regions import Region
from tocsin.errors import RegionImportError
from tocsin.regions.importer import parse_geojson, parse_hierarchy, read_geojson_file

SQUARE = {"type": "Polygon", "coordinates": [[[30, 50], [31, 50], [31, 51], [30, 51], [30, 50]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[30, 50], [31, 51], [31, 50], [30, 51], [30, 50]]]}


def feature(code: str | None, geometry: Any = None, **properties: Any) -> dict[str, Any]:
    props = {"code": code, "level": "oblast", **properties}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def codes(regions: list[Region]) -> list[str]:
    return [region.code for region in regions]


def import_error(data: Any, **options: Any) -> RegionImportError:
    with pytest.raises(RegionImportError) as caught:
        parse_geojson(data, **options)
    return caught.value


def test_reads_the_pack_format() -> None:
    data = collection(
        feature("X", None, level="country", names={"en": "Ex", "uk": "Екс"}),
        feature(
            "X-1",
            SQUARE,
            parent="X",
            names={"en": "One"},
            external_id="ext:1",
            time_to_shelter=90,
        ),
    )
    root, unit = parse_geojson(json.dumps(data), pack="custom")
    assert root == Region("X", "country", {"en": "Ex", "uk": "Екс"}, pack="custom")
    assert (unit.parent, unit.level, unit.names) == ("X", "oblast", {"en": "One"})
    assert (unit.external_id, unit.time_to_shelter, unit.pack) == ("ext:1", 90, "custom")
    assert unit.geometry is not None and unit.geometry.bounds == (30, 50, 31, 51)


@pytest.mark.parametrize(
    "encode",
    [lambda data: json.dumps(data).encode(), json.dumps, lambda data: data],
    ids=["bytes", "str", "dict"],
)
def test_accepts_bytes_text_or_a_parsed_object(encode: Callable[[Any], Any]) -> None:
    assert codes(parse_geojson(encode(collection(feature("X", SQUARE))))) == ["X"]


def test_accepts_a_multipolygon() -> None:
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    (region,) = parse_geojson(collection(feature("X", multi)))
    assert region.geometry is not None and region.geometry.geom_type == "MultiPolygon"


@pytest.mark.parametrize(
    ("feature_data", "code_property", "code"),
    [
        ({"properties": {"iso_3166_2": "UA-63", "level": "l"}}, "code", "UA-63"),
        ({"properties": {"code": "C", "iso_3166_2": "I", "level": "l"}}, "code", "C"),
        ({"properties": {"iso_3166_2": "I", "level": "l"}, "id": "F"}, "code", "I"),
        ({"properties": {"level": "l"}, "id": "F"}, "code", "F"),
        ({"properties": {"level": "l"}, "id": 7}, "code", "7"),
        ({"properties": {"adm1": "A", "code": "C", "level": "l"}}, "adm1", "A"),
        ({"properties": {"adm1": None, "code": "C", "level": "l"}}, "adm1", "C"),
    ],
)
def test_code_falls_back(feature_data: dict[str, Any], code_property: str, code: str) -> None:
    data = collection({"type": "Feature", "geometry": None, **feature_data})
    assert codes(parse_geojson(data, code_property=code_property)) == [code]


@pytest.mark.parametrize(
    ("properties", "names"),
    [
        ({"name": "Kharkiv"}, {"en": "Kharkiv"}),
        ({"name": "Kharkiv", "name_en": "Kharkiv Oblast"}, {"en": "Kharkiv Oblast"}),
        (
            {"label_en": "Kharkiv", "label_uk": "Харківська", "label_ru": "Харьковская"},
            {"en": "Kharkiv", "uk": "Харківська", "ru": "Харьковская"},
        ),
        ({"name_uk": "Харків", "label_uk": "Харківська"}, {"uk": "Харків"}),
        ({"name": "Kharkiv", "names": {"en": "K", "pl": "Charków"}}, {"en": "K", "pl": "Charków"}),
        ({"name": None, "name_ru": ""}, {}),
    ],
)
def test_names_from_plain_geojson(properties: dict[str, Any], names: dict[str, str]) -> None:
    (region,) = parse_geojson(collection(feature("X", **properties)))
    assert region.names == names


def test_parents_come_first_otherwise_file_order() -> None:
    data = collection(
        feature("A-1-a", parent="A-1", level="hromada"),
        feature("B", level="country"),
        feature("A-1", parent="A", level="raion"),
        feature("A-2", parent="A", level="raion"),
        feature("A", level="country"),
        feature("B-1", parent="B", level="raion"),
    )
    assert codes(parse_geojson(data)) == ["A", "A-1", "A-1-a", "B", "A-2", "B-1"]


TREE = {"R": None, "R-1": "R", "R-2": "R", "R-1-a": "R-1", "R-1-b": "R-1", "R-2-a": "R-2"}


@given(st.permutations(list(TREE)))
def test_any_order_comes_back_parents_first(order: list[str]) -> None:
    data = collection(*(feature(code, parent=TREE[code]) for code in order))
    result = codes(parse_geojson(data))
    assert sorted(result) == sorted(TREE)
    for code, parent in TREE.items():
        assert parent is None or result.index(parent) < result.index(code)


def test_parent_may_be_a_region_already_loaded() -> None:
    known = [Region("UA", "country", {"en": "Ukraine"})]
    (region,) = parse_geojson(collection(feature("UA-99", parent="UA")), known=known)
    assert region.parent == "UA"


HIERARCHY_CSV = """\
code,parent,level,name_en,name_uk,name_ru,time_to_shelter
UA,,country,Ukraine,Україна,Украина,
UA-63,UA,oblast,Kharkiv Oblast,Харківська область,,60
UA-63-X,UA-63,district,Somewhere,,,0
"""

HIERARCHY_JSON = [
    {"code": "UA", "parent": None, "level": "country", "name_en": "Ukraine", "name_uk": "Україна",
     "name_ru": "Украина"},
    {"code": "UA-63", "parent": "UA", "level": "oblast", "name_en": "Kharkiv Oblast",
     "name_uk": "Харківська область", "time_to_shelter": 60},
    {"code": "UA-63-X", "parent": "UA-63", "level": "district", "name_en": "Somewhere",
     "time_to_shelter": 0},
]  # fmt: skip

NATURAL_EARTH_LIKE = collection(
    {
        "type": "Feature",
        "properties": {"name": "Kharkiv", "iso_3166_2": "UA-63", "admin": "Ukraine"},
        "geometry": SQUARE,
    }
)


@pytest.mark.parametrize("hierarchy_text", [HIERARCHY_CSV, json.dumps(HIERARCHY_JSON)])
def test_hierarchy_file_gives_parents_levels_names_and_adds_regions(hierarchy_text: str) -> None:
    hierarchy = parse_hierarchy(hierarchy_text.encode())
    regions = parse_geojson(NATURAL_EARTH_LIKE, hierarchy=hierarchy, pack="mine")
    assert codes(regions) == ["UA", "UA-63", "UA-63-X"]
    root, oblast, district = regions
    assert (root.level, root.geometry, root.time_to_shelter) == ("country", None, None)
    assert root.names == {"en": "Ukraine", "uk": "Україна", "ru": "Украина"}
    assert (oblast.parent, oblast.level, oblast.time_to_shelter) == ("UA", "oblast", 60)
    assert oblast.names == {"en": "Kharkiv Oblast", "uk": "Харківська область"}
    assert oblast.geometry is not None
    assert (district.parent, district.level, district.time_to_shelter) == ("UA-63", "district", 0)
    assert {r.pack for r in regions} == {"mine"}


def test_hierarchy_values_win_over_the_feature() -> None:
    data = collection(feature("A", level="one"), feature("B", parent="A", time_to_shelter=5))
    hierarchy = parse_hierarchy("code,parent,level,time_to_shelter\nB,,two,10\n")
    _, b = parse_geojson(data, hierarchy=hierarchy)
    assert (b.parent, b.level, b.time_to_shelter) == ("A", "two", 10)


def test_read_geojson_file_with_a_hierarchy_file(tmp_path: Path) -> None:
    (tmp_path / "shapes.geojson").write_text(json.dumps(NATURAL_EARTH_LIKE))
    (tmp_path / "hierarchy.csv").write_text(HIERARCHY_CSV, encoding="utf-8")
    regions = read_geojson_file(tmp_path / "shapes.geojson", tmp_path / "hierarchy.csv")
    assert codes(regions) == ["UA", "UA-63", "UA-63-X"]


@pytest.mark.parametrize(
    ("path", "hierarchy", "field"),
    [("missing.geojson", None, "path"), ("shapes.geojson", "missing.csv", "hierarchy_path")],
)
def test_unreadable_files(tmp_path: Path, path: str, hierarchy: str | None, field: str) -> None:
    (tmp_path / "shapes.geojson").write_text(json.dumps(NATURAL_EARTH_LIKE))
    hierarchy_path = None if hierarchy is None else tmp_path / hierarchy
    with pytest.raises(RegionImportError) as caught:
        read_geojson_file(tmp_path / path, hierarchy_path)
    assert caught.value.field == field
    assert "missing" in caught.value.message


OUT_OF_RANGE = {"type": "Polygon", "coordinates": [[[50, 30], [51, 30], [51, 95], [50, 30]]]}
FAR_EAST = {"type": "Polygon", "coordinates": [[[179, 0], [181, 0], [181, 1], [179, 0]]]}
TWO_POINTS = {"type": "Polygon", "coordinates": [[[30, 50], [31, 50]]]}
EMPTY = {"type": "Polygon", "coordinates": []}
POINT = {"type": "Point", "coordinates": [30, 50]}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (b"{not json", None, "not JSON"),
        ({"type": "Feature"}, "type", "expected a GeoJSON FeatureCollection, got 'Feature'"),
        ([], "type", "expected a GeoJSON FeatureCollection, got 'list'"),
        ({"type": "FeatureCollection"}, "features", "needs a 'features' list"),
        (collection({"type": "Point"}), "features[0]", "features[0] is not a GeoJSON Feature"),
        (
            collection(feature("A"), feature(None)),
            "features[1].properties.code",
            "features[1] has no code (looked in properties 'code', 'iso_3166_2' and the feature's",
        ),
        (
            collection(feature("A", BOWTIE)),
            "features[0].geometry",
            "features[0] (A): invalid geometry: Self-intersection[30.5 50.5]",
        ),
        (
            collection(feature("A", POINT)),
            "features[0].geometry",
            "features[0] (A): geometry type 'Point' is not Polygon or MultiPolygon",
        ),
        (
            collection(feature("A", [1, 2])),
            "features[0].geometry",
            "geometry type 'list' is not Polygon",
        ),
        (
            collection(feature("A", OUT_OF_RANGE)),
            "features[0].geometry.coordinates",
            "features[0] (A): coordinates out of range (need [lon, lat]",
        ),
        (
            collection(feature("A", FAR_EAST)),
            "features[0].geometry.coordinates",
            "bounds are lon 179.0..181.0, lat 0.0..1.0",
        ),
        (
            collection(feature("A", TWO_POINTS)),
            "features[0].geometry.coordinates",
            "features[0] (A): malformed Polygon coordinates",
        ),
        (
            collection(feature("A", EMPTY)),
            "features[0].geometry",
            "features[0] (A): empty geometry (use null",
        ),
        (
            collection(feature("A"), feature("B"), feature("A")),
            "features[2].properties.code",
            "features[2] (A): duplicate code, features[0] has it too",
        ),
        (
            collection(feature("A"), feature("B", parent="Z")),
            "features[1].properties.parent",
            "features[1] (B): parent 'Z' is not in the file, the hierarchy or the regions",
        ),
        (
            collection(feature("A", parent="A")),
            "features[0].properties.parent",
            "features[0] (A): a region cannot be its own parent",
        ),
        (
            collection(
                feature("A", parent="C"), feature("B", parent="A"), feature("C", parent="B")
            ),
            "features[0].properties.parent",
            "features[0] (A): parents form a cycle: A → C → B → A",
        ),
        (
            collection(feature("A", level=None)),
            "features[0].properties.level",
            "features[0] (A): no level",
        ),
        (
            collection(feature("A", level="  ")),
            "features[0].properties.level",
            "features[0] (A): no level",
        ),
        (
            collection(feature("A", level=3)),
            "features[0].properties.level",
            "features[0] (A): level must be a string, got 3",
        ),
        (
            collection(feature("A", parent=["B"])),
            "features[0].properties.parent",
            "features[0] (A): parent must be a string",
        ),
        (
            collection(feature("A", names=["A"])),
            "features[0].properties.names",
            "features[0] (A): names must map languages to names",
        ),
        (
            collection(feature("A", names={"en": 5})),
            "features[0].properties.names",
            "names must map languages to names",
        ),
        (
            collection({"type": "Feature", "properties": [], "geometry": None}),
            "features[0].properties",
            "features[0]: properties must be an object",
        ),
    ],
)
def test_geojson_errors(data: Any, field: str | None, message: str) -> None:
    error = import_error(data)
    assert error.field == field
    assert message in error.message


@pytest.mark.parametrize("seconds", [-1, 1.5, "60", True, 90.0])
def test_time_to_shelter_must_be_whole_seconds(seconds: Any) -> None:
    error = import_error(collection(feature("A"), feature("B", time_to_shelter=seconds)))
    assert error.field == "features[1].properties.time_to_shelter"
    assert error.message == (
        f"features[1] (B): time_to_shelter must be a whole number of seconds ≥ 0, got {seconds!r}"
    )


@pytest.mark.parametrize(
    ("hierarchy", "field", "message"),
    [
        (
            "code,parent,level\nA,,country\nB,A,oblast\nA,,country\n",
            "hierarchy[2].code",
            "hierarchy[2] (A): duplicate code, hierarchy[0] has it too",
        ),
        (
            "code,parent,level\nB,Q,oblast\n",
            "hierarchy[0].parent",
            "hierarchy[0] (B): parent 'Q' is not in the file",
        ),
        (
            "code,parent,level\nB,B,oblast\n",
            "hierarchy[0].parent",
            "hierarchy[0] (B): a region cannot be its own parent",
        ),
        (
            "code,parent,level\nF,G,oblast\nG,F,oblast\n",
            "features[0].properties.parent",
            "features[0] (F): parents form a cycle: F → G → F",
        ),
        (
            "code,parent,level\nG,,\n",
            "hierarchy[0].level",
            "hierarchy[0] (G): no level",
        ),
        (
            "code,parent,level,time_to_shelter\nG,,x,-5\n",
            "hierarchy[0].time_to_shelter",
            "hierarchy[0] (G): time_to_shelter must be a whole number of seconds ≥ 0, got -5",
        ),
        (
            "code,parent,level,time_to_shelter\nG,,x,1.5\n",
            "hierarchy[0].time_to_shelter",
            "got '1.5'",
        ),
        ("code,parent\nG,\n", "hierarchy", "must have code,parent,level; missing level"),
        ("code,parent,level,colour\n", "hierarchy", "unknown key 'colour'"),
        ("code,parent,level\nG,,x,extra\n", "hierarchy[0]", "more cells than the header"),
        ("code,parent,level\n,,x\n", "hierarchy[0].code", "hierarchy[0] has no code"),
        ('[{"code": "G", "level": "x"}, 5]', "hierarchy[1]", "hierarchy[1] is not an object"),
        ('[{"code": "G", "lvl": "x"}]', "hierarchy[0]", "unknown key 'lvl'"),
        ('[{"code": "G", "level": 1}]', "hierarchy[0].level", "level must be a string"),
        (
            '[{"code": "G", "level": "x", "time_to_shelter": "60"}]',
            "hierarchy[0].time_to_shelter",
            "got '60'",
        ),
        ("[{]", "hierarchy", "hierarchy is not JSON"),
    ],
)
def test_hierarchy_errors(hierarchy: str, field: str, message: str) -> None:
    data = collection(feature("F"), feature("X", SQUARE))
    with pytest.raises(RegionImportError) as caught:
        parse_geojson(data, hierarchy=parse_hierarchy(hierarchy))
    assert caught.value.field == field
    assert message in caught.value.message


def test_hierarchy_must_be_utf8() -> None:
    with pytest.raises(RegionImportError) as caught:
        parse_hierarchy("code,parent,level\nÅ,,x\n".encode("latin-1"))
    assert caught.value.field == "hierarchy"
    assert caught.value.message.startswith("hierarchy is not UTF-8 text")


def test_errors_are_region_import_errors_with_a_stable_code() -> None:
    error = import_error(b"[")
    assert (error.code, error.status) == ("region_import", 422)


@pytest.mark.shared_data
def test_natural_earth_file_with_a_hierarchy(shared_dir: Path, tmp_path: Path) -> None:
    boundaries = shared_dir / "boundaries"
    with (boundaries / "region_crosswalk_iso3166_2.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    hierarchy = tmp_path / "hierarchy.csv"
    with hierarchy.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["code", "parent", "level", "name_en"])
        writer.writerow(["UA", "", "country", "Ukraine"])
        writer.writerow(["RU", "", "country", "Russia"])
        writer.writerows([r["iso_3166_2"], r["iso_3166_2"][:2], "oblast", ""] for r in rows)
    path = boundaries / "ne10m_admin1_ukraine_and_ru_border_regions.geojson"
    regions = {r.code: r for r in read_geojson_file(path, hierarchy, pack="ne")}
    assert len(regions) == 2 + 33
    assert regions["UA-63"].names == {"en": "Kharkiv"}
    assert (regions["UA-63"].parent, regions["RU-BEL"].parent) == ("UA", "RU")
    assert all(r.geometry is not None for r in regions.values() if r.level == "oblast")

import pytest

from tocsin.domain.regions import Point, Region, RegionTree
from tocsin.errors import InvalidInput, UnknownRegion
from tocsin.regions.packs import load_pack

TREE = RegionTree(load_pack("ua") + load_pack("ru-border"))
RU_OBLASTS = ("RU-BEL", "RU-BRY", "RU-KDA", "RU-KRS", "RU-ROS", "RU-VOR")


def walk_up(code: str) -> list[str]:
    """Ancestors by following `parent` by hand, independent of RegionTree.ancestors."""
    out = []
    parent = TREE.require(code).parent
    while parent is not None:
        out.append(parent)
        parent = TREE.require(parent).parent
    return out


def test_roots_are_the_two_countries() -> None:
    assert [r.code for r in TREE.roots()] == ["UA", "RU"]
    assert [r.level for r in TREE.roots()] == ["country", "country"]


def test_ukraine_has_27_first_level_units() -> None:
    oblasts = TREE.children("UA")
    assert len(oblasts) == 27
    assert {r.level for r in oblasts} == {"oblast"}
    assert {r.parent for r in oblasts} == {"UA"}
    assert "UA-63" in {r.code for r in oblasts}


def test_russian_border_oblasts() -> None:
    assert sorted(r.code for r in TREE.children("RU")) == list(RU_OBLASTS)
    assert sorted(TREE.descendants("RU")) == list(RU_OBLASTS)


def test_region_lookup() -> None:
    kharkiv = TREE.require("UA-63")
    assert (kharkiv.code, kharkiv.level, kharkiv.parent) == ("UA-63", "oblast", "UA")
    assert kharkiv.name("en") == "Kharkiv Oblast"
    assert TREE.get("UA-05-H154") == TREE.require("UA-05-H154")
    assert TREE.get("XX-1") is None
    assert "UA-05-R36" in TREE
    assert "XX-1" not in TREE
    assert len(TREE) == len(list(TREE))


@pytest.mark.parametrize("code", ["XX-1", "", "ua-63", "UA-63 "])
def test_require_unknown_region(code: str) -> None:
    with pytest.raises(UnknownRegion) as info:
        TREE.require(code, field="regions[3]")
    assert info.value.code == "unknown_region"
    assert info.value.field == "regions[3]"
    assert info.value.status == 422


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("UA", []),
        ("RU", []),
        ("UA-63", ["UA"]),
        ("RU-BEL", ["RU"]),
        ("UA-05-R36", ["UA-05", "UA"]),
        ("UA-05-H154", ["UA-05-R36", "UA-05", "UA"]),
    ],
)
def test_ancestors_nearest_first(code: str, expected: list[str]) -> None:
    assert TREE.ancestors(code) == expected
    assert walk_up(code) == expected


def test_ancestors_of_every_region_follow_the_parents() -> None:
    for region in TREE:
        assert TREE.ancestors(region.code) == walk_up(region.code), region.code


@pytest.mark.parametrize("code", ["UA", "RU", "UA-63", "UA-05-R36", "RU-BEL", "UA-05-H154"])
def test_descendants_are_exactly_the_regions_below(code: str) -> None:
    below = {r.code for r in TREE if code in walk_up(r.code)}
    descendants = TREE.descendants(code)
    assert len(descendants) == len(set(descendants))
    assert set(descendants) == below
    assert code not in descendants


def test_descendants_of_a_raion_are_its_hromadas() -> None:
    hromadas = TREE.descendants("UA-05-R36")
    assert "UA-05-H154" in hromadas
    assert sorted(hromadas) == sorted(r.code for r in TREE.children("UA-05-R36"))
    assert {TREE.require(c).level for c in hromadas} == {"hromada"}
    assert TREE.descendants("UA-05-H154") == []


def test_descendants_of_an_oblast_cover_raions_and_hromadas() -> None:
    levels = {TREE.require(c).level for c in TREE.descendants("UA-63")}
    assert levels == {"raion", "hromada"}
    raions = [r.code for r in TREE.children("UA-63")]
    assert all(c.startswith("UA-63-R") for c in raions)
    hromadas = [h.code for r in raions for h in TREE.children(r)]
    assert sorted(TREE.descendants("UA-63")) == sorted(raions + hromadas)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("UA", {"UA"}),
        ("RU-BEL", {"RU-BEL", "RU"}),
        ("UA-05-H154", {"UA-05-H154", "UA-05-R36", "UA-05", "UA"}),
    ],
)
def test_lineage(code: str, expected: set[str]) -> None:
    assert TREE.lineage(code) == expected


@pytest.mark.parametrize(
    ("code", "scope", "expected"),
    [
        ("UA-05-H154", {"UA-05-H154"}, True),
        ("UA-05-H154", {"UA-05-R36"}, True),
        ("UA-05-H154", {"UA-05"}, True),
        ("UA-05-H154", {"UA"}, True),
        ("UA-05-H154", {"RU", "UA-63"}, False),
        ("UA-05-H154", {"UA-63", "UA-05"}, True),
        ("UA-05", {"UA-05-R36"}, False),
        ("UA", {"UA-05"}, False),
        ("RU-BEL", {"RU"}, True),
        ("RU-BEL", {"RU-KRS"}, False),
        ("RU-BEL", {"UA"}, False),
        ("UA-63", set(), False),
    ],
)
def test_within(code: str, scope: set[str], expected: bool) -> None:
    assert TREE.within(code, scope) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50.45,30.52", Point(50.45, 30.52)),
        (" 50.0 , 30.5 ", Point(50.0, 30.5)),
        ("-90,-180", Point(-90.0, -180.0)),
        ("90,180", Point(90.0, 180.0)),
        ("0,0", Point(0.0, 0.0)),
        ("1e1,2", Point(10.0, 2.0)),
    ],
)
def test_point_parse(text: str, expected: Point) -> None:
    assert Point.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "1",
        "",
        ",",
        "1,2,3",
        "91,0",
        "-90.5,0",
        "0,181",
        "0,-180.01",
        "x,y",
        "50,",
        "nan,0",
        "0,inf",
        "50;30",
    ],
)
def test_point_parse_rejects(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        Point.parse(text)
    assert info.value.code == "invalid_input"
    assert info.value.field == "point"


def test_point_parse_names_the_field() -> None:
    with pytest.raises(InvalidInput) as info:
        Point.parse("north", field="near")
    assert info.value.field == "near"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("49.99,36.23", ["UA", "UA-63", "UA-63-R124", "UA-63-H1293"]),  # Kharkiv
        ("50.45,30.52", ["UA", "UA-30"]),  # Kyiv city, not Kyiv Oblast around it
        ("49.84,24.03", ["UA", "UA-46", "UA-46-R90", "UA-46-H845"]),  # Lviv
        ("44.95,34.10", ["UA", "UA-43", "UA-43-R0116"]),  # Simferopol
        ("47.10,37.55", ["UA", "UA-14", "UA-14-R52", "UA-14-H400"]),  # Mariupol
        ("50.60,36.60", ["RU-BEL"]),  # Belgorod; the RU root has no shape
        ("43.00,33.00", []),  # the Black Sea
        ("0,0", []),
    ],
)
def test_containing(text: str, expected: list[str]) -> None:
    assert [r.code for r in TREE.containing(Point.parse(text))] == expected


def test_containing_without_shapes() -> None:
    tree = RegionTree([Region("A", "country", {"en": "A"})])
    assert tree.containing(Point(0.0, 0.0)) == []


def test_small_tree_without_packs() -> None:
    tree = RegionTree(
        [
            Region("A", "country", {"en": "A"}),
            Region("A-1", "oblast", {"en": "A one"}, parent="A"),
            Region("A-1-x", "raion", {}, parent="A-1"),
            Region("A-2", "oblast", {"en": "A two"}, parent="A"),
        ]
    )
    assert [r.code for r in tree.roots()] == ["A"]
    assert [r.code for r in tree.children("A")] == ["A-1", "A-2"]
    assert sorted(tree.descendants("A")) == ["A-1", "A-1-x", "A-2"]
    assert tree.ancestors("A-1-x") == ["A-1", "A"]
    assert tree.require("A-1-x").name("en") == "A-1-x"

"""Mapping the data sets' place names to the `ua` pack: every row, with reasons for the rest."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from history_support import official, volunteer

from conftest import shared_data
from tocsin.domain.regions import RegionTree
from tocsin.records.history.formats import Place, Row, read_official, read_volunteer
from tocsin.records.history.mapping import PlaceMapper, Unmapped, coverage, normalize, region_keys
from tocsin.records.history.ua_names import DATASET_NAMES
from tocsin.regions.packs import load_pack


@pytest.fixture(scope="module")
def tree() -> RegionTree:
    return RegionTree(load_pack("ua") + load_pack("ru-border"))


@pytest.fixture(scope="module")
def mapper(tree: RegionTree) -> PlaceMapper:
    return PlaceMapper(tree)


def test_every_official_row_maps_but_the_bogus_one(mapper: PlaceMapper) -> None:
    mapped, unmapped = Counter[str](), []
    for row in read_official(official()):
        assert isinstance(row, Row) and row.place is not None
        try:
            mapped[mapper.resolve(row.place)] += 1
        except Unmapped as exc:
            unmapped.append((row.line, str(exc)))
    assert sum(mapped.values()) == 43_030
    assert len(unmapped) == 1
    line, reason = unmapped[0]
    assert line == 18
    assert "no oblast 'Lubenskyi raion'" in reason and "raion in Poltava Oblast" in reason


def test_every_volunteer_row_maps(mapper: PlaceMapper) -> None:
    codes = Counter[str]()
    for row in read_volunteer(volunteer()):
        assert isinstance(row, Row) and row.place is not None
        codes[mapper.resolve(row.place)] += 1
    assert sum(codes.values()) == 54_514
    assert codes["UA-30"] == 1275  # "Kyiv City"
    assert codes["UA-12"] == 5980  # "Dnipropetrovska oblast"
    assert len(codes) == 25


def test_places_map_within_their_parents(mapper: PlaceMapper, tree: RegionTree) -> None:
    places = {r.place for r in read_official(official()) if isinstance(r, Row) and r.place}
    found = coverage(mapper, places)
    for place, code in found.items():
        if not isinstance(code, str) or code.startswith("no "):
            continue
        region = tree.require(code)
        assert region.level == place.level
        named = place.hromada or place.raion
        assert not named or normalize(named) in region_keys(region)
        oblast = [c for c in [code, *tree.ancestors(code)] if tree.require(c).level == "oblast"]
        assert DATASET_NAMES[place.oblast] == oblast[0]


def test_same_named_hromadas_are_told_apart_by_their_raion(mapper: PlaceMapper) -> None:
    a = mapper.resolve(
        Place(
            "hromada",
            "Dnipropetrovska oblast",
            "Synelnykivskyi raion",
            "Pokrovska terytorialna hromada",
        )
    )
    b = mapper.resolve(
        Place("hromada", "Donetska oblast", "Pokrovskyi raion", "Pokrovska terytorialna hromada")
    )
    assert a.startswith("UA-12-H") and b.startswith("UA-14-H") and a != b


def test_unmapped_places_say_why(mapper: PlaceMapper) -> None:
    with pytest.raises(Unmapped, match="no raion 'Atlantis raion' in Kharkiv Oblast"):
        mapper.resolve(Place("raion", "Kharkivska oblast", "Atlantis raion"))
    with pytest.raises(Unmapped, match="no oblast 'Narnia'"):
        mapper.resolve(Place("oblast", "Narnia"))


def test_names_in_ukrainian_and_the_pack_names_work_too(mapper: PlaceMapper) -> None:
    assert mapper.resolve(Place("oblast", "Харківська область")) == "UA-63"
    assert mapper.resolve(Place("oblast", "Kharkiv Oblast")) == "UA-63"
    assert mapper.resolve(Place("oblast", "м. Київ")) == "UA-30"


def test_the_name_table_matches_the_shared_crosswalk() -> None:
    path = shared_data("boundaries", "region_crosswalk_iso3166_2.csv")
    expected = {}
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for column in ("alerts_dataset_name_en", "alerts_dataset_name_uk"):
                for name in filter(None, row[column].split("|")):
                    expected[name.strip()] = row["iso_3166_2"]
    assert expected == DATASET_NAMES

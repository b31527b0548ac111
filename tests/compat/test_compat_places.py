"""The location ids of alerts.in.ua and ukrainealarm, against the alerts.in.ua client's own
table and the regions list the `ua` pack was built from."""

from __future__ import annotations

import json

import pytest
from alerts_in_ua.air_raid_alert_oblast_statuses import AirRaidAlertOblastStatuses
from alerts_in_ua.location_uid_resolver import LocationUidResolver

from conftest import shared_data
from tocsin.compat.places import OBLAST_ORDER, Kind, Places
from tocsin.domain.regions import RegionTree
from tocsin.regions.packs import load_pack


@pytest.fixture(scope="module")
def places() -> Places:
    return Places(RegionTree(load_pack("ua")))


def test_every_place_of_the_clients_table_resolves_under_its_title(places: Places) -> None:
    table = LocationUidResolver().uid_to_location
    assert len(table) == 155
    for uid, title in table.items():
        place = places.by_uid(uid)
        assert place is not None, (uid, title)
        assert place.title == title, uid


def test_the_line_by_oblast_is_in_the_clients_order(places: Places) -> None:
    assert [p.title for p in places.oblasts] == AirRaidAlertOblastStatuses.LOCATIONS
    assert len(OBLAST_ORDER) == len(set(OBLAST_ORDER)) == 27


def test_every_id_of_the_regions_list_is_a_place(places: Places) -> None:
    states = json.loads(shared_data("alerts", "states.json").read_text())["states"]
    ids = {
        (str(level), item[f"{level}Id"])
        for state in states
        for level, item in [
            ("state", state),
            *(("district", d) for d in state["districts"]),
            *(("community", c) for d in state["districts"] for c in d["communities"]),
        ]
    }
    assert len(ids) > 1500
    for level, uid in ids:
        place = places.by_uid(uid)
        assert place is not None, (level, uid)
        assert place.region_type == {"state": "State", "district": "District"}.get(
            level, "Community"
        )


@pytest.mark.parametrize(
    ("uid", "code", "kind", "title", "oblast", "raion"),
    [
        (22, "UA-63", Kind.OBLAST, "Харківська область", None, None),
        (31, "UA-30", Kind.CITY, "м. Київ", None, None),
        (29, "UA-43", Kind.OBLAST, "Автономна Республіка Крим", None, None),
        (124, "UA-63-R124", Kind.RAION, "Харківський район", 22, None),
        (1293, "UA-63-H1293", Kind.CITY, "м. Харків", 22, 124),
        (1801, "UA-09-R4406", Kind.RAION, "Луганський район", 16, None),
        (154, "UA-05-H154", Kind.HROMADA, "Агрономічна сільська громада", 4, 36),
    ],
)
def test_places_know_what_is_above_them(
    places: Places,
    uid: int,
    code: str,
    kind: Kind,
    title: str,
    oblast: int | None,
    raion: int | None,
) -> None:
    place = places.by_uid(uid)
    assert place is not None and places.by_code(code) == place
    assert (place.kind, place.title) == (kind, title)
    assert (place.oblast.uid if place.oblast else None) == oblast
    assert (place.raion.uid if place.raion else None) == raion
    assert place.top.uid == (oblast or uid)


def test_a_crimean_raion_has_no_counterpart(places: Places) -> None:
    assert places.by_code("UA-43-R0116") is None
    assert [p.uid for p in places.covering("UA-43-R0116")] == [29]

"""tocsin's threats as the alerts.in.ua and ukrainealarm types (docs/compat.md)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tocsin.compat.threats import UNKNOWN, mapped, mapped_id
from tocsin.domain.threats import builtin


@pytest.mark.parametrize(
    ("threat", "alert_type", "level", "threat_type", "ua_type"),
    [
        ("missile", "air_raid", "red", "unspecified_missiles", "AIR"),
        ("aviation", "air_raid", "red", "tactic_aircraft_activity", "AIR"),
        ("air", "air_raid", "red", "unknown", "AIR"),
        ("uav", "air_raid", "yellow", "drones", "AIR"),
        ("artillery", "artillery_shelling", "red", None, "ARTILLERY"),
        ("urban_fighting", "urban_fights", "red", None, "URBAN_FIGHTS"),
        ("chemical", "chemical", "red", None, "CHEMICAL"),
        ("radiation", "nuclear", "red", None, "NUCLEAR"),
    ],
)
def test_each_built_in_threat_has_its_type(
    threat: str, alert_type: str, level: str, threat_type: str | None, ua_type: str
) -> None:
    found = mapped(builtin()[threat])
    assert (found.alert_type, found.level, found.threat_type, found.ua_type) == (
        alert_type,
        level,
        threat_type,
        ua_type,
    )


def test_every_built_in_threat_is_mapped_to_a_known_type() -> None:
    catalogue = builtin()
    assert all(mapped(catalogue[t]) is not UNKNOWN for t in catalogue)


def test_a_threat_of_another_code_is_an_air_raid_of_unknown_kind() -> None:
    missile = builtin()["missile"]
    own = replace(missile, id="ballistic", cap=replace(missile.cap, event_code="CITY-BALLISTIC"))
    assert mapped(own) is UNKNOWN and UNKNOWN.air_raid and UNKNOWN.ua_type == "UNKNOWN"
    shared = replace(missile, id="cruise")  # the missile's code: a missile to both APIs
    assert mapped(shared) == mapped(missile)
    assert mapped_id(builtin(), "gone") is UNKNOWN

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tocsin.domain.alerts import (
    Alert,
    RaiseAlert,
    Status,
    activate_alert,
    cancel_alert,
    end_alert,
    expire_alert,
    raise_alert,
)
from tocsin.domain.regions import RegionTree
from tocsin.domain.state import RegionState, State, region_states
from tocsin.domain.threats import builtin
from tocsin.regions.packs import load_pack

TREE = RegionTree(load_pack("ua") + load_pack("ru-border"))
CATALOGUE = builtin()
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HROMADA = "UA-05-H154"
RAION = "UA-05-R36"
SIBLINGS = [r.code for r in TREE.children(RAION) if r.code != HROMADA]


def alert(alert_id: str, threat: str, *regions: str, minutes: int = 0, **fields: Any) -> Alert:
    cmd = RaiseAlert(threat=threat, regions=regions, **fields)
    now = NOW + timedelta(minutes=minutes)
    return raise_alert(
        cmd, alert_id=alert_id, now=now, actor="duty", tree=TREE, catalogue=CATALOGUE
    ).alert


def states(*alerts: Alert, status: Status = Status.ACTUAL) -> dict[str, RegionState]:
    return region_states(TREE, alerts, CATALOGUE, status)


def summary(result: dict[str, RegionState]) -> dict[str, tuple[State, str | None]]:
    """Every region that is not `none`, with its threat."""
    return {code: (s.state, s.threat) for code, s in result.items() if s.state is not State.NONE}


def test_no_alerts_no_state() -> None:
    result = states()
    assert list(result) == [r.code for r in TREE]
    assert result["UA-63"] == RegionState("UA-63")
    assert summary(result) == {}


def test_oblast_alert() -> None:
    result = states(alert("a1", "missile", "UA-63"))
    below = TREE.descendants("UA-63")
    assert len(below) > 50
    assert summary(result) == {
        "UA": (State.PARTIAL, "missile"),
        "UA-63": (State.ACTIVE, "missile"),
        **{code: (State.ACTIVE, "missile") for code in below},
    }
    assert result["UA-63"] == RegionState(
        "UA-63", State.ACTIVE, "missile", NOW, alerts=["a1"], partial_alerts=[], pre_alerts=[]
    )
    assert result["UA"] == RegionState(
        "UA", State.PARTIAL, "missile", NOW, alerts=[], partial_alerts=["a1"], pre_alerts=[]
    )
    for code in ("RU", "RU-BEL", "UA-05", HROMADA):
        assert result[code] == RegionState(code)


def test_hromada_alert() -> None:
    result = states(alert("a1", "uav", HROMADA))
    assert summary(result) == {
        HROMADA: (State.ACTIVE, "uav"),
        RAION: (State.PARTIAL, "uav"),
        "UA-05": (State.PARTIAL, "uav"),
        "UA": (State.PARTIAL, "uav"),
    }
    assert SIBLINGS
    for code in SIBLINGS:
        assert result[code].state is State.NONE
    assert result[RAION].partial_alerts == ["a1"]
    assert result[RAION].alerts == []


def test_whole_country_alert_leaves_the_other_country_alone() -> None:
    result = states(alert("a1", "air", "UA"))
    assert result["UA"].state is State.ACTIVE
    assert all(result[c].state is State.ACTIVE for c in TREE.descendants("UA"))
    assert all(result[c].state is State.NONE for c in ["RU", *TREE.descendants("RU")])


def test_russian_oblast_alert() -> None:
    result = states(alert("a1", "artillery", "RU-BEL"))
    assert summary(result) == {
        "RU-BEL": (State.ACTIVE, "artillery"),
        "RU": (State.PARTIAL, "artillery"),
    }


def test_most_severe_threat_names_the_state() -> None:
    shelling = alert("a1", "artillery", "UA-63")
    missile = alert("a2", "missile", "UA-63", minutes=5)
    result = states(shelling, missile)
    assert (result["UA-63"].state, result["UA-63"].threat) == (State.ACTIVE, "missile")
    assert result["UA-63"].alerts == ["a1", "a2"]
    assert (result["UA"].state, result["UA"].threat) == (State.PARTIAL, "missile")
    assert states(missile, shelling)["UA-63"].threat == "missile"

    ended = end_alert(missile, now=NOW + timedelta(minutes=30)).alert
    after = states(shelling, ended)
    assert (after["UA-63"].state, after["UA-63"].threat) == (State.ACTIVE, "artillery")
    assert after["UA-63"].alerts == ["a1"]
    assert after["UA"].threat == "artillery"


def test_partial_threat_is_the_most_severe_below() -> None:
    result = states(alert("a1", "uav", "UA-63"), alert("a2", "missile", HROMADA))
    assert (result["UA"].state, result["UA"].threat) == (State.PARTIAL, "missile")
    assert result["UA"].partial_alerts == ["a1", "a2"]
    assert result["UA-63"].threat == "uav"
    assert result["UA-05"].threat == "missile"


def test_alert_on_a_region_and_its_hromada() -> None:
    result = states(alert("a1", "uav", "UA-05", HROMADA))
    assert result["UA-05"].state is State.ACTIVE
    assert result[HROMADA].alerts == ["a1"]
    assert result["UA"].partial_alerts == ["a1"]


def test_since_is_the_earliest_activation() -> None:
    first = alert("a1", "artillery", "UA-63", minutes=10)
    second = alert("a2", "missile", "UA-63", minutes=20)
    early = alert("a3", "uav", "UA-63", minutes=0, pre_alert=True)
    activated = activate_alert(early, now=NOW + timedelta(minutes=30)).alert
    result = states(second, activated, first)
    assert result["UA-63"].since == NOW + timedelta(minutes=10)
    assert result["UA"].since == NOW + timedelta(minutes=10)
    assert states(second, activated)["UA-63"].since == NOW + timedelta(minutes=20)
    assert states(activated)["UA-63"].since == NOW + timedelta(minutes=30)


def test_pre_alert_does_not_change_the_state() -> None:
    early = alert("a1", "missile", "UA-63", pre_alert=True)
    result = states(early)
    assert summary(result) == {}
    for code in ["UA-63", *TREE.descendants("UA-63")]:
        assert result[code] == RegionState(code, pre_alerts=["a1"])
    assert result["UA"] == RegionState("UA")

    activated = activate_alert(early, now=NOW + timedelta(minutes=1)).alert
    assert states(activated)["UA-63"] == RegionState(
        "UA-63", State.ACTIVE, "missile", NOW + timedelta(minutes=1), alerts=["a1"]
    )


def test_pre_alert_beside_an_active_alert() -> None:
    result = states(alert("a1", "uav", "UA-63"), alert("a2", "missile", "UA-63", pre_alert=True))
    assert result["UA-63"] == RegionState(
        "UA-63", State.ACTIVE, "uav", NOW, alerts=["a1"], pre_alerts=["a2"]
    )


@pytest.mark.parametrize("status", [Status.EXERCISE, Status.TEST])
def test_exercise_never_changes_the_actual_state(status: Status) -> None:
    drill = alert("a1", "missile", "UA-63", status=status)
    assert summary(states(drill)) == {}
    assert summary(states(drill, status=Status.ACTUAL)) == {}
    drilled = states(drill, status=status)
    assert drilled["UA-63"].state is State.ACTIVE
    assert drilled["UA"].state is State.PARTIAL
    assert drilled["UA-63"].threat == "missile"


def test_actual_and_exercise_side_by_side() -> None:
    real = alert("a1", "uav", "UA-05")
    drill = alert("a2", "missile", "UA-63", status=Status.EXERCISE)
    assert summary(states(real, drill)) == summary(states(real))
    exercise = states(real, drill, status=Status.EXERCISE)
    assert exercise["UA-05"].state is State.NONE
    assert exercise["UA-63"].state is State.ACTIVE
    assert exercise["UA"].threat == "missile"
    assert exercise["UA"].partial_alerts == ["a2"]


def test_closed_alerts_do_not_count() -> None:
    later = NOW + timedelta(minutes=30)
    closed = [
        end_alert(alert("a1", "missile", "UA-63"), now=later).alert,
        cancel_alert(alert("a2", "missile", "UA-05"), now=later, message=None).alert,
        expire_alert(alert("a3", "missile", "UA-46", expires_at=later), now=later).alert,
        end_alert(alert("a4", "missile", "UA-46", pre_alert=True), now=later).alert,
    ]
    assert summary(states(*closed)) == {}
    assert all(not s.pre_alerts for s in states(*closed).values())


def test_regions_no_longer_loaded_are_skipped() -> None:
    stale = replace(alert("a1", "uav", "UA-63"), regions=("XX-GONE", HROMADA))
    result = states(stale)
    assert summary(result) == {
        HROMADA: (State.ACTIVE, "uav"),
        RAION: (State.PARTIAL, "uav"),
        "UA-05": (State.PARTIAL, "uav"),
        "UA": (State.PARTIAL, "uav"),
    }
    assert "XX-GONE" not in result

"""What a push says: the same words as every channel, the resident's time to shelter when
their region has one (never made up), the false-alarm message, EXERCISE marked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from py_vapid import Vapid02

from tocsin.channels.push import MAX_PAYLOAD, PushTarget
from tocsin.config import Settings
from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.events import Event
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.subscriptions import SubscriptionRecord
from tocsin.domain.threats import builtin

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
TREE = RegionTree(
    [
        Region("UA-63", "oblast", {"en": "Kharkiv Oblast"}),
        Region("UA-63-01", "hromada", {"en": "Chuhuiv"}, parent="UA-63", time_to_shelter=90),
        Region("UA-63-02", "hromada", {"en": "Zolochiv"}, parent="UA-63"),
    ]
)
ALERT = Alert("al_1", Status.ACTUAL, Phase.ACTIVE, "missile", ("UA-63",), NOW, NOW, "duty")


def target(region: str, lang: str = "en") -> PushTarget:
    record = SubscriptionRecord(
        id="push_0123456789a",
        kind="push",
        url="https://push.example/abc",
        secret=None,
        filters={"regions": [region], "threats": [], "statuses": ["actual", "exercise"]},
        lang=lang,
        options={"p256dh": "B" + "A" * 86, "auth": "A" * 22},
        state="active",
        state_reason=None,
        created_at=NOW,
        created_by="resident",
        start_seq=0,
    )
    key = Vapid02()
    key.generate_keys()
    tocsin: Any = SimpleNamespace(
        regions=SimpleNamespace(tree=TREE), catalogue=builtin(), settings=Settings()
    )
    return PushTarget(record, tocsin, key=key)


def event(kind: str, alert: Alert) -> Event:
    data = {"alert": alert.to_json()}
    return Event(7, "ev_7", kind, NOW, "duty", alert.id, data)


def said(region: str, kind: str, alert: Alert, lang: str = "en") -> dict[str, Any]:
    payload: dict[str, Any] = orjson.loads(target(region, lang).payload(event(kind, alert)))
    return payload


def test_the_time_to_shelter_of_the_residents_hromada_is_told() -> None:
    told = said("UA-63-01", "alert.raised", ALERT)
    assert told["title"] == "Rocket Danger!"
    assert told["body"].endswith("Time to shelter: 1 min 30 s.")
    assert said("UA-63-01", "alert.raised", ALERT, "uk")["body"].endswith(
        "Час на укриття: 1 хв 30 с."
    )


def test_no_time_to_shelter_is_made_up_where_none_is_set() -> None:
    assert "shelter:" not in said("UA-63-02", "alert.raised", ALERT)["body"]
    ended = replace(ALERT, phase=Phase.ENDED)
    assert "Time to shelter" not in said("UA-63-01", "alert.ended", ended)["body"]


def test_a_cancellation_carries_the_operators_false_alarm_message() -> None:
    cancelled = replace(ALERT, phase=Phase.CANCELLED, cancel_message="Sent in error. No threat.")
    told = said("UA-63-02", "alert.cancelled", cancelled)
    assert "Sent in error. No threat." in told["body"]
    assert told["event"] == "alert.cancelled"


@pytest.mark.parametrize("kind", ["alert.raised", "alert.escalated"])
def test_an_exercise_is_always_marked(kind: str) -> None:
    drill = replace(ALERT, status=Status.EXERCISE, threat="uav")
    told = said("UA-63-01", kind, drill)
    assert told["title"].startswith("EXERCISE: UAV Danger!")
    assert told["status"] == "exercise"


def test_which_events_are_pushed_and_where() -> None:
    push = target("UA-63-02")
    assert push.wants(event("alert.raised", ALERT))  # the oblast covers the hromada
    assert push.wants(event("alert.ended", replace(ALERT, phase=Phase.ENDED)))
    assert not push.wants(event("alert.updated", ALERT))
    elsewhere = replace(ALERT, regions=("UA-32",))
    assert not push.wants(event("alert.raised", elsewhere))
    assert not push.wants(event("alert.raised", replace(ALERT, status=Status.TEST)))


def test_the_payload_stays_within_what_push_services_take() -> None:
    long = replace(ALERT, phase=Phase.CANCELLED, cancel_message="x" * 5000)
    data = target("UA-63-01").payload(event("alert.cancelled", long))
    assert len(data) <= MAX_PAYLOAD
    assert orjson.loads(data)["title"]

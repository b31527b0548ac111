"""Typed events: the type enum, the alert decoded once, the public form unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.events import ALERT_TYPES, Event, EventType, NewEvent, event_type

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALERT = Alert("a1", Status.ACTUAL, Phase.ACTIVE, "missile", ("UA-63",), NOW, NOW, "cli")


def raised(**changes: Any) -> Event:
    data = {"alert": ALERT.to_json(), "changes": changes}
    return Event(7, "e7", "alert.raised", NOW, "cli", ALERT.id, data)


@pytest.fixture
def decodings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every `Alert.from_json` call's data, while the test runs."""
    calls: list[dict[str, Any]] = []
    original = Alert.from_json.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Alert], data: dict[str, Any]) -> Alert:
        calls.append(data)
        return original(cls, data)  # type: ignore[no-any-return]

    monkeypatch.setattr(Alert, "from_json", classmethod(counted))
    yield calls


def test_known_types_are_typed_and_still_strings() -> None:
    event = raised()
    assert event.type is EventType.ALERT_RAISED and event.kind is EventType.ALERT_RAISED
    assert event.type == "alert.raised" and isinstance(event.type, str)
    assert event.type.startswith("alert.") and event.kind.is_alert


def test_an_unknown_type_stays_a_plain_string() -> None:
    event = Event(8, "e8", "something.new", NOW, "cli", None, {})
    assert event.type == "something.new" and type(event.type) is str
    assert event.kind is None and event.alert is None
    assert event_type("something.new") == "something.new"
    assert event_type("alert.ended") is EventType.ALERT_ENDED


def test_every_type_appended_is_in_the_enum() -> None:
    for value in (
        "alert.pending", "alert.expired", "broadcast.repeat", "regions.imported",
        "siren.registered", "siren.removed", "siren.faulty", "siren.recovered",
        "subscription.paused", "subscription.resumed", "history.imported",
        "incident.created", "incident.claim_verified", "incident.reopened", "audit.checkpoint",
    ):  # fmt: skip
        assert isinstance(event_type(value), EventType), value
    assert {t.value for t in ALERT_TYPES} == {
        "alert.pending", "alert.rejected", "alert.raised", "alert.activated",
        "alert.escalated", "alert.deescalated", "alert.updated", "alert.ended",
        "alert.cancelled", "alert.expired",
    }  # fmt: skip


@pytest.mark.parametrize("kind", ["alert.raised", "regions.imported", "something.new"])
def test_the_public_form_is_byte_for_byte_what_it_was(kind: str) -> None:
    data = {"alert": ALERT.to_json(), "changes": {"x": 1}} if kind.startswith("alert") else {}
    event = Event(3, "e3", kind, NOW, "cli", None, data)
    before = {  # as `to_json` built it with a plain string type
        "seq": 3, "id": "e3", "type": kind, "time": "2026-03-01T12:00:00Z", "actor": "cli",
        "alert": None, "changes": {}, **data,
    }  # fmt: skip
    assert orjson.dumps(event.to_json()) == orjson.dumps(before)
    assert type(event.to_json()["type"]) is str


def test_the_alert_is_decoded_once(decodings: list[dict[str, Any]]) -> None:
    event = raised()
    assert event.alert == ALERT
    assert event.alert is event.alert
    assert event.regions == frozenset({"UA-63"}) and event.threats == frozenset({"missile"})
    assert len(decodings) == 1


def test_the_decoded_alert_is_no_part_of_equality() -> None:
    one, two = raised(), raised()
    assert one.alert is not None
    assert one == two and hash(one.seq) == hash(two.seq)
    assert "_alert" not in repr(one)


def test_changes_regions_and_threats() -> None:
    event = raised(regions={"added": [], "removed": ["UA-59"]}, threat={"from": "uav"})
    assert event.changes["threat"] == {"from": "uav"}
    assert event.regions == frozenset({"UA-63", "UA-59"})
    assert event.threats == frozenset({"missile", "uav"})
    other = Event(9, "e9", "regions.imported", NOW, "cli", None, {"regions": {}})
    assert other.changes == {} and other.regions == frozenset() and other.threats == frozenset()


def test_new_events_keep_their_plain_form() -> None:
    new = NewEvent("alert.raised", NOW, "cli", "a1", {})
    assert new.type == "alert.raised"

"""What each alert event means for sirens and for region states. Pure: no I/O.

The bridge folds the log, event by event, into the set of open alerts (`advance`). A siren
sounds for the most severe *active* alert of one status that covers its region: one aimed at
the region itself or at a region above it (an alert for UA-63 sounds a siren registered at a
hromada inside UA-63; a siren at UA-63 does not sound for an alert on one hromada only, which
leaves UA-63 "partial"). Comparing what covers a siren before and after an event gives its
command:

- it is covered after the event, and the most severe threat changed, or the event's alert
  newly covers it (raised, activated, regions added): `sound` the pattern of the most severe
  threat now covering it;
- it was covered and no longer is: `stop` if the event is a cancel (a false alarm is not an
  all-clear: silence at once, no all-clear tone; the false-alarm message goes with it and on
  every other channel), else `all_clear` (ended, expired, or its region removed);
- otherwise nothing (a text update, a pre-alert, an alert elsewhere).

Each status is judged on its own, so an exercise never silences or sounds for a real alert;
commands of an exercise or a test carry `drill: true` and sirens play the drill variant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from tocsin.channels.sirens.topics import CommandPayload, StatePayload
from tocsin.domain.alerts import Alert, EventType, Phase, Status
from tocsin.domain.events import ALERT_TYPES, Event
from tocsin.domain.interest import Interest
from tocsin.domain.regions import RegionTree
from tocsin.domain.state import RegionState, State
from tocsin.domain.threats import ALL_CLEAR_SIREN, NO_SIREN, Catalogue
from tocsin.types import AlertId, RegionCode, ThreatId, iso_time

LETTERS: Mapping[State, str] = {State.ACTIVE: "A", State.PARTIAL: "P", State.NONE: "N"}
Kind = Literal["sound", "all_clear", "stop"]
OpenAlerts = Mapping[AlertId, Alert]


# every alert event of every status, wherever it is: each siren judges what covers it
INTEREST: Final = Interest(statuses=None, types=frozenset(ALERT_TYPES))


def event_alert(event: Event, tree: RegionTree) -> Alert | None:
    """The alert as an alert event left it (decoded once); None for any other event."""
    return event.alert if INTEREST.matches(event, tree) else None


def advance(alerts: OpenAlerts, alert: Alert) -> dict[AlertId, Alert]:
    """The open alerts after `alert` changed to what it is now."""
    after = dict(alerts)
    if alert.is_open:
        after[alert.id] = alert
    else:
        after.pop(alert.id, None)
    return after


def covering(alerts: Iterable[Alert], lineage: set[RegionCode], status: Status) -> list[Alert]:
    """Active alerts of `status` aimed at a region of `lineage` (a region and its ancestors)."""
    return [
        a
        for a in alerts
        if a.status is status and a.phase is Phase.ACTIVE and not lineage.isdisjoint(a.regions)
    ]


@dataclass(frozen=True, slots=True)
class Command:
    siren: str
    region: RegionCode
    seq: int
    event_id: str
    time: str
    kind: Kind
    pattern: str
    seconds: int
    threat: ThreatId | None
    status: Status
    alert_id: AlertId
    message: str | None = None

    def to_json(self) -> CommandPayload:
        return {
            "siren": self.siren,
            "region": self.region,
            "seq": self.seq,
            "event_id": self.event_id,
            "time": self.time,
            "command": self.kind,
            "pattern": self.pattern,
            "seconds": self.seconds,
            "threat": self.threat,
            "status": self.status.value,
            "drill": self.status is not Status.ACTUAL,
            "alert_id": self.alert_id,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class SirenPlace:
    id: str
    region: RegionCode
    lineage: frozenset[RegionCode]


def siren_command(
    event: Event,
    alert: Alert,
    before: OpenAlerts,
    after: OpenAlerts,
    siren: SirenPlace,
    catalogue: Catalogue,
) -> Command | None:
    """The command `siren` gets for `event`, which changed `alert`; None if it gets none."""
    lineage = set(siren.lineage)
    was = covering(before.values(), lineage, alert.status)
    now = covering(after.values(), lineage, alert.status)
    was_threat = _most_severe(was, catalogue)
    now_threat = _most_severe(now, catalogue)
    if now_threat is not None:
        newly = alert.id in {a.id for a in now} - {a.id for a in was}
        if now_threat == was_threat and not newly:
            return None
        pattern = catalogue.require(now_threat).siren
        return _command(event, alert, siren, "sound", pattern.name, pattern.seconds, now_threat)
    if was_threat is None:
        return None
    if event.type == EventType.CANCELLED:
        return _command(
            event, alert, siren, "stop", NO_SIREN.name, 0, was_threat, alert.cancel_message
        )
    clear = ALL_CLEAR_SIREN
    return _command(event, alert, siren, "all_clear", clear.name, clear.seconds, was_threat)


def touches(alert: Alert, before: OpenAlerts, lineage: frozenset[RegionCode]) -> bool:
    """Could the change to `alert` concern a siren with this lineage?"""
    old = before.get(alert.id)
    regions = set(alert.regions) | (set(old.regions) if old else set())
    return not lineage.isdisjoint(regions)


def _most_severe(alerts: list[Alert], catalogue: Catalogue) -> ThreatId | None:
    if not alerts:
        return None
    known = [a.threat for a in alerts if a.threat in catalogue]
    return catalogue.most_severe(known).id if known else alerts[0].threat


def _command(
    event: Event,
    alert: Alert,
    siren: SirenPlace,
    kind: Kind,
    pattern: str,
    seconds: int,
    threat: ThreatId | None,
    message: str | None = None,
) -> Command:
    return Command(
        siren=siren.id,
        region=siren.region,
        seq=event.seq,
        event_id=event.id,
        time=iso_time(event.time),
        kind=kind,
        pattern=pattern,
        seconds=seconds,
        threat=threat,
        status=alert.status,
        alert_id=alert.id,
        message=message,
    )


# --- region states ------------------------------------------------------------------------


def state_key(state: RegionState | None) -> tuple[Any, ...]:
    """What a state message says, less where in the log it was said: equal keys, no message."""
    if state is None:
        return (State.NONE, None, (), (), False, None)
    return (
        state.state,
        state.threat,
        tuple(state.alerts),
        tuple(state.partial_alerts),
        bool(state.pre_alerts),
        state.since,
    )


SAME = ("state", "threat", "alerts", "partial_alerts", "pre_alert", "since")


def says(held: Mapping[str, Any] | None, state: RegionState, status: Status) -> bool:
    """Does a retained message (None: there is none) already say what `state` says?

    No message is as good as `none` for exercise and test states, which are published only
    once a region has had one; every actual state is published.
    """
    if held is None:
        return status is not Status.ACTUAL and state.state is State.NONE
    wanted = state_payload(state, status, seq=0, event_id=None, time="")
    return all(held.get(name) == wanted[name] for name in SAME)  # type: ignore[literal-required]


def state_payload(
    state: RegionState,
    status: Status,
    *,
    seq: int,
    event_id: str | None,
    time: str,
) -> StatePayload:
    return {
        "region": state.code,
        "status": status.value,
        "state": state.state.value,
        "letter": LETTERS[state.state],
        "threat": state.threat,
        "alerts": list(state.alerts),
        "partial_alerts": list(state.partial_alerts),
        "pre_alert": bool(state.pre_alerts),
        "since": iso_time(state.since) if state.since else None,
        "seq": seq,
        "event_id": event_id,
        "time": time,
        "cause": "event" if event_id is not None else "snapshot",
    }

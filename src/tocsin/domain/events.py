"""Events: the append-only record of every accepted change, numbered without gaps.

An `Event` is decoded once into typed values: its `type` is an `EventType` (a `StrEnum`, so it
still equals and serialises as its string; a type this version does not know stays a plain
string), and the alert it carries is an `Alert`, decoded on first use and kept with the event.
Every consumer in a process (streams, webhooks, apprise, sirens) reads the log through one
feed, which hands them the same `Event` objects (`tocsin.streams.log.LocalFeed`), so an alert
is decoded once per process. The stored and public forms are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from tocsin.domain.alerts import Alert
from tocsin.types import AlertId, RegionCode, Seq, ThreatId, iso_time


class EventType(StrEnum):
    """Every type of event the log holds."""

    ALERT_PENDING = "alert.pending"
    ALERT_REJECTED = "alert.rejected"
    ALERT_RAISED = "alert.raised"
    ALERT_ACTIVATED = "alert.activated"
    ALERT_ESCALATED = "alert.escalated"
    ALERT_DEESCALATED = "alert.deescalated"
    ALERT_UPDATED = "alert.updated"
    ALERT_ENDED = "alert.ended"
    ALERT_CANCELLED = "alert.cancelled"
    ALERT_EXPIRED = "alert.expired"
    BROADCAST_REPEAT = "broadcast.repeat"
    REGIONS_IMPORTED = "regions.imported"
    REGIONS_UPDATED = "regions.updated"
    SIREN_REGISTERED = "siren.registered"
    SIREN_REMOVED = "siren.removed"
    SIREN_FAULTY = "siren.faulty"
    SIREN_RECOVERED = "siren.recovered"
    SUBSCRIPTION_PAUSED = "subscription.paused"
    SUBSCRIPTION_RESUMED = "subscription.resumed"
    HISTORY_IMPORTED = "history.imported"
    INCIDENT_CREATED = "incident.created"
    INCIDENT_UPDATED = "incident.updated"
    INCIDENT_CLAIM_ADDED = "incident.claim_added"
    INCIDENT_CLAIM_VERIFIED = "incident.claim_verified"
    INCIDENT_CLAIM_DISPUTED = "incident.claim_disputed"
    INCIDENT_CLAIM_RETRACTED = "incident.claim_retracted"
    INCIDENT_RESPONSE_ADDED = "incident.response_added"
    INCIDENT_RESPONSE_UPDATED = "incident.response_updated"
    INCIDENT_RESPONSE_COMPLETED = "incident.response_completed"
    INCIDENT_RESPONSE_CANCELLED = "incident.response_cancelled"
    INCIDENT_ALERT_LINKED = "incident.alert_linked"
    INCIDENT_CLOSED = "incident.closed"
    INCIDENT_REOPENED = "incident.reopened"
    AUDIT_CHECKPOINT = "audit.checkpoint"

    @property
    def is_alert(self) -> bool:
        """An `alert.*` event: a change of one alert, which it carries."""
        return self in ALERT_TYPES


ALERT_TYPES: Final = frozenset(t for t in EventType if t.value.startswith("alert."))
REGION_TYPES: Final = frozenset(t for t in EventType if t.value.startswith("regions."))
"""Events after which the region tree must be read again (an import, one region changed)."""
_KNOWN: Final[dict[str, EventType]] = {t.value: t for t in EventType}


def event_type(value: str) -> EventType | str:
    """The `EventType` of `value`, or `value` itself when this version does not know it."""
    return _KNOWN.get(value, value)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: the log gives it its seq and id."""

    type: str
    time: datetime
    actor: str
    alert_id: AlertId | None
    data: dict[str, Any]


_UNDECODED: Final[Any] = object()
WITHHELD: Final = "withheld"
"""Set in the data of an event the public must not see yet (a change to an actual incident not
yet published): the public log and the live streams leave it out."""


@dataclass(frozen=True, slots=True)
class Event:
    seq: Seq
    id: str
    type: EventType | str  # given as a string; an `EventType` when known
    time: datetime
    actor: str
    alert_id: AlertId | None
    data: dict[str, Any]
    _alert: Any = field(default=_UNDECODED, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _KNOWN.get(self.type, self.type))

    @property
    def kind(self) -> EventType | None:
        """The event's type, or None for a type this version does not know."""
        return self.type if isinstance(self.type, EventType) else None

    @property
    def withheld(self) -> bool:
        return self.data.get(WITHHELD) is True

    @property
    def alert(self) -> Alert | None:
        """The alert an alert event (or a repeat) carries, decoded on first use; else None."""
        found: Alert | object | None = self._alert
        if found is _UNDECODED:
            data = self.data.get("alert")
            found = Alert.from_json(data) if isinstance(data, dict) else None
            object.__setattr__(self, "_alert", found)
        return found  # type: ignore[return-value]

    @property
    def changes(self) -> dict[str, Any]:
        """What the event changed (`{"threat": {"from": …, "to": …}, …}`), else empty."""
        changes = self.data.get("changes")
        return changes if isinstance(changes, dict) else {}

    @property
    def regions(self) -> frozenset[RegionCode]:
        """The regions an alert event concerns: the alert's, and those the change removed."""
        alert = self.alert
        if alert is None:
            return frozenset(self._drill().get("regions", ()))
        removed = self.changes.get("regions", {}).get("removed") or ()
        return frozenset((*alert.regions, *removed))

    @property
    def threats(self) -> frozenset[ThreatId]:
        """The alert's threat, and the one it changed from (an escalation, a de-escalation)."""
        alert = self.alert
        if alert is None:
            threat = self._drill().get("threat")
            return frozenset() if threat is None else frozenset({threat})
        before = self.changes.get("threat", {}).get("from", alert.threat)
        return frozenset({alert.threat, before})

    def _drill(self) -> dict[str, Any]:
        """The drill a `drill.*` event carries (its regions and threat), else nothing."""
        drill = self.data.get("drill") if str(self.type).startswith("drill.") else None
        return drill if isinstance(drill, dict) else {}

    @classmethod
    def from_json(cls, body: dict[str, Any], alert_id: AlertId | None = None) -> Event:
        """The event whose public form (`to_json`) is `body`; `alert_id` is not part of that
        form (an incident's events carry the incident's id there), so it is given apart."""
        data = dict(body)
        seq, id, type, time, actor = (data.pop(k) for k in ("seq", "id", "type", "time", "actor"))
        if data.get("alert", 0) is None:
            del data["alert"]
        if data.get("changes") == {}:
            del data["changes"]
        return cls(seq, id, type, datetime.fromisoformat(time), actor, alert_id, data)

    def to_json(self) -> dict[str, Any]:
        """The public form, as served by `/v1/events` and the live streams.

        Every event has `alert` and `changes`; events about something other than an alert
        (regions imported, a siren's fault, a paused subscription) have `alert: null`.
        """
        return {
            "seq": self.seq,
            "id": self.id,
            "type": str(self.type),
            "time": iso_time(self.time),
            "actor": self.actor,
            "alert": None,
            "changes": {},
            **self.data,
        }

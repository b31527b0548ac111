"""Alerts and their lifecycle.

An alert is one threat event for a set of regions. It moves through explicit phases:

    pending ──approve──► pre_alert ──activate──► active ──end──► ended   (all-clear)
       │       (or active)     │                     ├──cancel──► cancelled (false alarm)
       └──reject──► rejected   │                     └──expire──► expired   (past expires_at)
                               └── end / cancel / expire likewise

An alert that the two-person rule holds (see `tocsin.domain.approval`) starts `pending` and is
public only once a second person approves it.

While open (pre_alert or active) its threat may be escalated or de-escalated and its regions
changed; that is one alert throughout, so clients never see a spurious all-clear. Status
(actual / exercise / test) is fixed at raise time and can never change.

Every function here is pure: it takes the current alert and returns the next one together with
the event that records the change, or raises a `TocsinError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import Catalogue
from tocsin.errors import IllegalTransition, InvalidInput
from tocsin.types import AlertId, RegionCode, ThreatId, iso_time

MAX_REGIONS = 5000
MAX_HEADLINE = 160
MAX_TEXT = 2000
MAX_MESSAGE = 1000


class Status(StrEnum):
    ACTUAL = "actual"
    EXERCISE = "exercise"
    TEST = "test"


class Phase(StrEnum):
    PENDING = "pending"
    PRE_ALERT = "pre_alert"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        return self in OPEN_PHASES


OPEN_PHASES = frozenset({Phase.PRE_ALERT, Phase.ACTIVE})

# action -> the phases it may be applied in, and the phase it leads to (None: unchanged)
TRANSITIONS: dict[str, tuple[frozenset[Phase], Phase | None]] = {
    "activate": (frozenset({Phase.PRE_ALERT}), Phase.ACTIVE),
    "update": (OPEN_PHASES, None),
    "end": (OPEN_PHASES, Phase.ENDED),
    "cancel": (OPEN_PHASES, Phase.CANCELLED),
    "expire": (OPEN_PHASES, Phase.EXPIRED),
    "approve": (frozenset({Phase.PENDING}), None),
    "reject": (frozenset({Phase.PENDING}), Phase.REJECTED),
}
# phases the public never sees: alerts held for approval, and those refused
PRIVATE_PHASES = frozenset({Phase.PENDING, Phase.REJECTED})


class EventType(StrEnum):
    PENDING = "alert.pending"
    REJECTED = "alert.rejected"
    RAISED = "alert.raised"
    ACTIVATED = "alert.activated"
    ESCALATED = "alert.escalated"
    DEESCALATED = "alert.deescalated"
    UPDATED = "alert.updated"
    ENDED = "alert.ended"
    CANCELLED = "alert.cancelled"
    EXPIRED = "alert.expired"


@dataclass(frozen=True, slots=True)
class Alert:
    id: AlertId
    status: Status
    phase: Phase
    threat: ThreatId
    regions: tuple[RegionCode, ...]
    raised_at: datetime
    updated_at: datetime
    raised_by: str
    version: int = 1
    activated_at: datetime | None = None
    ended_at: datetime | None = None
    expires_at: datetime | None = None
    headline: str | None = None
    text: str | None = None
    cancel_message: str | None = None
    source: str | None = None
    approval: dict[str, Any] | None = None

    @property
    def is_open(self) -> bool:
        return self.phase.is_open

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "phase": self.phase.value,
            "threat": self.threat,
            "regions": list(self.regions),
            "raised_at": _iso(self.raised_at),
            "activated_at": _iso(self.activated_at),
            "updated_at": _iso(self.updated_at),
            "ended_at": _iso(self.ended_at),
            "expires_at": _iso(self.expires_at),
            "version": self.version,
            "raised_by": self.raised_by,
            "headline": self.headline,
            "text": self.text,
            "cancel_message": self.cancel_message,
            "source": self.source,
            "approval": self.approval,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        return cls(
            id=data["id"],
            status=Status(data["status"]),
            phase=Phase(data["phase"]),
            threat=data["threat"],
            regions=tuple(data["regions"]),
            raised_at=_dt(data["raised_at"]),
            activated_at=_opt_dt(data.get("activated_at")),
            updated_at=_dt(data["updated_at"]),
            ended_at=_opt_dt(data.get("ended_at")),
            expires_at=_opt_dt(data.get("expires_at")),
            version=int(data["version"]),
            raised_by=data["raised_by"],
            headline=data.get("headline"),
            text=data.get("text"),
            cancel_message=data.get("cancel_message"),
            source=data.get("source"),
            approval=data.get("approval"),
        )


@dataclass(frozen=True, slots=True)
class Change:
    """The result of one accepted command: the alert after it and what the event records."""

    alert: Alert
    type: EventType
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        """Whether the change goes into the public event log (held alerts go only to audit)."""
        return self.alert.phase not in PRIVATE_PHASES


@dataclass(frozen=True, slots=True)
class RaiseAlert:
    threat: ThreatId
    regions: Sequence[RegionCode]
    status: Status = Status.ACTUAL
    pre_alert: bool = False
    expires_at: datetime | None = None
    headline: str | None = None
    text: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateAlert:
    threat: ThreatId | None = None
    regions: Sequence[RegionCode] | None = None
    add_regions: Sequence[RegionCode] = ()
    remove_regions: Sequence[RegionCode] = ()
    headline: str | None = None
    text: str | None = None
    expires_at: datetime | None = None
    status: Status | None = None


def raise_alert(
    cmd: RaiseAlert,
    *,
    alert_id: AlertId,
    now: datetime,
    actor: str,
    tree: RegionTree,
    catalogue: Catalogue,
    hold: str | None = None,
) -> Change:
    """A new alert; with `hold` (the reason a second person must approve it) it is pending."""
    catalogue.require(cmd.threat, field="threat")
    regions = _valid_regions(cmd.regions, tree, field="regions")
    _check_expiry(cmd.expires_at, now)
    phase = Phase.PRE_ALERT if cmd.pre_alert else Phase.ACTIVE
    if hold is not None:
        return _held(cmd, regions, alert_id=alert_id, now=now, actor=actor, reason=hold)
    alert = Alert(
        id=alert_id,
        status=cmd.status,
        phase=phase,
        threat=cmd.threat,
        regions=regions,
        raised_at=now,
        activated_at=None if cmd.pre_alert else now,
        updated_at=now,
        expires_at=cmd.expires_at,
        raised_by=actor,
        headline=_text(cmd.headline, MAX_HEADLINE, "headline"),
        text=_text(cmd.text, MAX_TEXT, "text"),
        source=cmd.source,
    )
    return Change(alert, EventType.RAISED)


def _held(
    cmd: RaiseAlert,
    regions: tuple[RegionCode, ...],
    *,
    alert_id: AlertId,
    now: datetime,
    actor: str,
    reason: str,
) -> Change:
    alert = Alert(
        id=alert_id,
        status=cmd.status,
        phase=Phase.PENDING,
        threat=cmd.threat,
        regions=regions,
        raised_at=now,
        updated_at=now,
        expires_at=cmd.expires_at,
        raised_by=actor,
        headline=_text(cmd.headline, MAX_HEADLINE, "headline"),
        text=_text(cmd.text, MAX_TEXT, "text"),
        source=cmd.source,
        approval={"reason": reason, "pre_alert": cmd.pre_alert},
    )
    return Change(alert, EventType.PENDING, {"approval": {"reason": reason}})


def approve_alert(alert: Alert, *, now: datetime, approver: str) -> Change:
    """A second person releases a held alert: from now on it is raised for everyone."""
    _check_action(alert, "approve")
    if approver == alert.raised_by:
        raise IllegalTransition(
            "the two-person rule needs someone other than the one who raised the alert",
            field="approver",
        )
    if alert.expires_at is not None and alert.expires_at <= now:
        raise IllegalTransition(f"alert {alert.id} expired while it waited", field="expires_at")
    held = alert.approval or {}
    pre_alert = bool(held.get("pre_alert"))
    approval = {
        **held,
        "approved_by": approver,
        "approved_at": iso_time(now),
        "regions": list(alert.regions),  # what the approver saw: updates stay within it
    }
    released = replace(
        alert,
        phase=Phase.PRE_ALERT if pre_alert else Phase.ACTIVE,
        activated_at=None if pre_alert else now,
        updated_at=now,
        version=alert.version + 1,
        approval=approval,
    )
    return Change(released, EventType.RAISED, {"approval": approval})


def reject_alert(alert: Alert, *, now: datetime, by: str, reason: str | None) -> Change:
    """A held alert is refused (or withdrawn by the one who raised it); it never goes out."""
    _check_action(alert, "reject")
    approval = {
        **(alert.approval or {}),
        "rejected_by": by,
        "rejected_at": iso_time(now),
        "rejection": _text(reason, MAX_MESSAGE, "reason"),
    }
    return _finish(alert, "reject", EventType.REJECTED, now, ended_at=now, approval=approval)


def update_alert(
    alert: Alert,
    cmd: UpdateAlert,
    *,
    now: datetime,
    tree: RegionTree,
    catalogue: Catalogue,
) -> Change | None:
    """Apply an update; None when it changes nothing (a retried request)."""
    _check_action(alert, "update")
    if cmd.status is not None and cmd.status != alert.status:
        raise IllegalTransition(
            f"an alert's status cannot change ({alert.status} → {cmd.status}); "
            "end it and raise a new one",
            field="status",
        )
    changes: dict[str, Any] = {}
    threat = alert.threat
    if cmd.threat is not None and cmd.threat != alert.threat:
        catalogue.require(cmd.threat, field="threat")
        changes["threat"] = {"from": alert.threat, "to": cmd.threat}
        threat = cmd.threat
    regions = _next_regions(alert, cmd, tree)
    if set(regions) == set(alert.regions):
        regions = alert.regions  # the same regions in another order change nothing
    else:
        added = [r for r in regions if r not in alert.regions]
        removed = [r for r in alert.regions if r not in regions]
        changes["regions"] = {"added": added, "removed": removed}
    fields = _changed_texts(alert, cmd, now, changes)
    if not changes:
        return None
    updated = replace(
        alert, threat=threat, regions=regions, updated_at=now, version=alert.version + 1, **fields
    )
    return Change(updated, _update_type(alert, updated, catalogue), changes)


def activate_alert(alert: Alert, *, now: datetime) -> Change:
    return _finish(alert, "activate", EventType.ACTIVATED, now, activated_at=now)


def end_alert(alert: Alert, *, now: datetime) -> Change:
    return _finish(alert, "end", EventType.ENDED, now, ended_at=now)


def cancel_alert(alert: Alert, *, now: datetime, message: str | None) -> Change:
    _check_action(alert, "cancel")
    msg = _text(message, MAX_MESSAGE, "message")
    return _finish(alert, "cancel", EventType.CANCELLED, now, ended_at=now, cancel_message=msg)


def expire_alert(alert: Alert, *, now: datetime) -> Change:
    _check_action(alert, "expire")
    if alert.expires_at is None or alert.expires_at > now:
        raise IllegalTransition(f"alert {alert.id} is not past its expiry", field="expires_at")
    return _finish(alert, "expire", EventType.EXPIRED, now, ended_at=alert.expires_at)


def _finish(alert: Alert, action: str, kind: EventType, now: datetime, **fields: Any) -> Change:
    target = _check_action(alert, action)
    assert target is not None
    changed = replace(alert, phase=target, updated_at=now, version=alert.version + 1, **fields)
    return Change(changed, kind, {"phase": {"from": alert.phase.value, "to": target.value}})


def _check_action(alert: Alert, action: str) -> Phase | None:
    allowed, target = TRANSITIONS[action]
    if alert.phase not in allowed:
        raise IllegalTransition(
            f"cannot {action} alert {alert.id}: it is {alert.phase.value}"
            f" (allowed only when {' or '.join(sorted(p.value for p in allowed))})",
            field="phase",
        )
    return target


def _update_type(before: Alert, after: Alert, catalogue: Catalogue) -> EventType:
    if before.threat == after.threat:
        return EventType.UPDATED
    old_rank = catalogue.require(before.threat).rank
    new_rank = catalogue.require(after.threat).rank
    if new_rank > old_rank:
        return EventType.ESCALATED
    if new_rank < old_rank:
        return EventType.DEESCALATED
    return EventType.UPDATED


def _next_regions(alert: Alert, cmd: UpdateAlert, tree: RegionTree) -> tuple[RegionCode, ...]:
    if cmd.regions is not None and (cmd.add_regions or cmd.remove_regions):
        raise InvalidInput(
            "give either 'regions' (the new list) or 'add_regions'/'remove_regions', not both",
            field="regions",
        )
    if cmd.regions is not None:
        return _valid_regions(cmd.regions, tree, field="regions")
    if not cmd.add_regions and not cmd.remove_regions:
        return alert.regions
    added = _valid_regions(cmd.add_regions, tree, field="add_regions") if cmd.add_regions else ()
    for code in cmd.remove_regions:
        if code not in alert.regions:
            raise InvalidInput(f"region {code!r} is not in this alert", field="remove_regions")
    removed = set(cmd.remove_regions)
    regions = [r for r in alert.regions if r not in removed]
    regions += [r for r in added if r not in regions]
    if not regions:
        raise InvalidInput(
            "an alert must keep at least one region; end or cancel it instead",
            field="remove_regions",
        )
    return tuple(regions)


def _changed_texts(
    alert: Alert, cmd: UpdateAlert, now: datetime, changes: dict[str, Any]
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    headline = _text(cmd.headline, MAX_HEADLINE, "headline")
    if headline is not None and headline != alert.headline:
        fields["headline"] = changes["headline"] = headline
    text = _text(cmd.text, MAX_TEXT, "text")
    if text is not None and text != alert.text:
        fields["text"] = changes["text"] = text
    if cmd.expires_at is not None and cmd.expires_at != alert.expires_at:
        _check_expiry(cmd.expires_at, now)
        fields["expires_at"] = cmd.expires_at
        changes["expires_at"] = _iso(cmd.expires_at)
    return fields


def _valid_regions(
    codes: Iterable[RegionCode], tree: RegionTree, *, field: str
) -> tuple[RegionCode, ...]:
    given = tuple(codes)
    unique = tuple(dict.fromkeys(given))
    if not unique:
        raise InvalidInput("at least one region is required", field=field)
    if len(unique) > MAX_REGIONS:
        raise InvalidInput(f"at most {MAX_REGIONS} regions per alert", field=field)
    for index, code in enumerate(given):  # the index as given, before duplicates are dropped
        tree.require(code, field=f"{field}[{index}]")
    return unique


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is None:
        return
    if expires_at.tzinfo is None:
        raise InvalidInput(
            "expires_at needs a time zone (e.g. 2024-01-01T10:00:00Z)", field="expires_at"
        )
    if expires_at <= now:
        raise InvalidInput("expires_at must be in the future", field="expires_at")


def _text(value: str | None, limit: int, name: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{name} is {len(value)} characters; at most {limit}", field=name)
    return value or None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_time(value)


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _opt_dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)

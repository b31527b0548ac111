"""Broadcast repeats: the repeater (channel `broadcast`) reports a repeat as due; the handler
here decides it again inside the unit of work, where the log is locked, and appends it.

Repeat n of an active alert is due `m` minutes after repeat n - 1 was due (repeat 1: after the
activation); when one is due, `due` is the latest point of that schedule that has passed, so
after downtime there is one catch-up, never a burst. See `tocsin.channels.broadcast`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from tocsin.domain import commands as c
from tocsin.domain.alerts import Alert, Phase
from tocsin.domain.auth import Role
from tocsin.domain.events import NewEvent
from tocsin.service.bus import CommandBus, Context, Outcome, Unchanged
from tocsin.types import iso_time

REPEAT: Final = "broadcast.repeat"  # also tocsin.channels.notices.REPEAT
ANY_THREAT: Final = "*"


@dataclass(frozen=True, slots=True)
class Last:
    """Where an alert's schedule stands: the last repeat's number and when it was due."""

    n: int
    due: datetime


@dataclass(frozen=True, slots=True)
class Repeated:
    """Where the schedule stands after a report; `event` is the repeat, if one was due."""

    n: int
    due: datetime
    event: NewEvent | None = None


def every(minutes: Mapping[str, float], threat: str) -> timedelta | None:
    """The time between repeats for `threat` (None: it does not repeat)."""
    value = minutes.get(threat, minutes.get(ANY_THREAT, 0))
    return timedelta(minutes=value) if value else None


def repeats(alert: Alert) -> bool:
    """Only active alerts repeat (not pre-alerts, nor ended, cancelled or expired ones)."""
    return alert.phase is Phase.ACTIVE and alert.activated_at is not None


def last_of(alert: Alert, data: Mapping[str, Any] | None) -> Last:
    """The schedule from the alert's last repeat event's data; (0, activation) without one."""
    if data is None:
        assert alert.activated_at is not None
        return Last(0, alert.activated_at)
    return Last(int(data["repeat"]), datetime.fromisoformat(data["due"]))


async def repeat_broadcast(
    cmd: c.RepeatBroadcast, ctx: Context
) -> Outcome[Repeated | None] | Unchanged[Repeated | None]:
    ctx.no_policy("a repeat says again what was released")
    alert = await ctx.uow.alerts.get(cmd.alert_id)
    if alert is None:
        ctx.authorize_role(Role.ADMIN)
        ctx.no_mode("there is no alert")
        return Unchanged(None)
    ctx.authorize_regions(alert.regions)
    ctx.check_mode(alert.status, "repeat")
    interval = every(cmd.minutes, alert.threat)
    if interval is None or not repeats(alert):
        return Unchanged(None)
    previous = await ctx.uow.log.last(alert.id, REPEAT)
    last = last_of(alert, None if previous is None else previous.data)
    due = last.due + interval
    if ctx.now < due:
        return Unchanged(Repeated(last.n, last.due))
    due += interval * ((ctx.now - due) // interval)  # the latest point passed: one catch-up
    data = {
        "alert": alert.to_json(),
        "changes": {},
        "repeat": last.n + 1,
        "due": iso_time(due),
        "minutes": interval.total_seconds() / 60,
    }
    event = NewEvent(REPEAT, ctx.now, ctx.actor.label, alert.id, data)
    detail = {"repeat": last.n + 1, "due": iso_time(due)}
    return Outcome(Repeated(last.n + 1, due, event), REPEAT, alert.id, detail, None, [event])


def register(bus: CommandBus) -> None:
    bus.register(c.RepeatBroadcast, repeat_broadcast)

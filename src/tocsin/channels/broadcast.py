"""Broadcast: announcements for TV, radio and social media, repeated while an alert is active.

A `broadcast` subscription is an apprise URL (a newsroom's mailbox, a Telegram or Mastodon
channel, a playout system's `json://` or `form://` endpoint, …) with filters and a language. It
gets every alert event that changes the announcement — the raise, a change of level or area,
the all-clear, the false-alarm notice, the expiry — and every repeat, as the long text unless
option `text` is `short`. A repeat older than its own interval is passed by (a newer repeat or
the all-clear follows it), so a target that was down does not broadcast stale announcements.

The repeater (channel `broadcast`) reports each repeat as it falls due, a command on the bus
(`RepeatBroadcast`, decided in `tocsin.service.broadcast`) that appends it to the event log, so
each one is audited and goes out through the durable delivery core:

    Repeat n of an active alert is due `m` minutes after repeat n - 1 was due (repeat 1: after
    the activation), where m = broadcast_repeat_minutes[threat], else ["*"]; 0 turns repeats
    off for that threat, and a change of threat changes m from the next repeat on.
    When a repeat is due, one `broadcast.repeat` event is appended, with `due` the latest point
    of that schedule that has passed: after downtime (a restart, a stopped server) there is one
    catch-up, never a burst, and the schedule carries on.
    The schedule's state is the log: the last repeat event of the alert, read and appended in
    one unit of work, so a restart resumes it and two repeaters never repeat twice.

Pre-alerts do not repeat; neither do ended, cancelled or expired alerts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from tocsin.channels import apprise as apprise_kind
from tocsin.channels.apprise import AppriseTarget, Wants
from tocsin.channels.notices import NOTICE_EVENTS, REPEAT, Size
from tocsin.domain.commands import RepeatBroadcast
from tocsin.domain.events import Event, NewEvent
from tocsin.domain.threats import Catalogue
from tocsin.errors import InvalidInput
from tocsin.service.audit import SYSTEM
from tocsin.service.broadcast import ANY_THREAT, Last, Repeated, every, last_of, repeats
from tocsin.service.ports import Clock
from tocsin.types import AlertId, iso_time

if TYPE_CHECKING:
    from tocsin.channels.context import ChannelContext
    from tocsin.config import Settings
    from tocsin.domain.subscriptions import SubscriptionRecord

log = logging.getLogger("tocsin.broadcast")

KIND: Final = "broadcast"
EVENTS: Final = NOTICE_EVENTS | {REPEAT}
DEFAULT_REPEAT_MINUTES: Final[Mapping[str, float]] = {"missile": 5, "aviation": 5, ANY_THREAT: 10}
MAX_MINUTES: Final = 24 * 60
SETTING: Final = "broadcast_repeat_minutes"


def validate(url: str, options: dict[str, Any]) -> None:
    apprise_kind.validate(url, options)


def display(url: str) -> str:
    return apprise_kind.display(url)


async def check_target(url: str, options: dict[str, Any], settings: Settings) -> None:
    await apprise_kind.check_target(url, options, settings)


def make_target(
    record: SubscriptionRecord, tocsin: ChannelContext, *, matches: Wants | None = None
) -> AppriseTarget:
    """The target of one broadcast subscription; `matches` stands in for its stored filters."""
    wants = matches or apprise_kind.interest_of(record, tocsin, EVENTS)
    return apprise_kind.build_target(
        record,
        tocsin,
        channel=KIND,
        events=EVENTS,
        matches=functools.partial(_current, tocsin.clock, wants),
        default=Size.LONG,
    )


def fresh(event: Event, now: datetime) -> bool:
    """False for a repeat that a newer repeat (or the alert's end) has overtaken."""
    minutes = event.data.get("minutes")
    if event.type != REPEAT or not isinstance(minutes, int | float):
        return True
    return now - event.time < timedelta(minutes=minutes)


def _current(clock: Clock, wants: Wants, event: Event) -> bool:
    return fresh(event, clock.now()) and wants(event)


def repeat_minutes(
    value: Mapping[str, Any] | None, catalogue: Catalogue | None = None
) -> dict[str, float]:
    """The intervals by threat id (and "*"), over the defaults; `InvalidInput` if one is bad."""
    merged = dict(DEFAULT_REPEAT_MINUTES)
    for key, minutes in (value or {}).items():
        at = f"{SETTING}.{key}"
        if key != ANY_THREAT and catalogue is not None and key not in catalogue:
            known = ", ".join(sorted(catalogue))
            raise InvalidInput(f"unknown threat type {key!r}; known: {known}, or *", field=at)
        ok = isinstance(minutes, int | float) and not isinstance(minutes, bool)
        if not ok or not (minutes == 0 or 1 <= minutes <= MAX_MINUTES):
            raise InvalidInput(
                f"minutes between repeats must be 0 (off) or from 1 to {MAX_MINUTES}; "
                f"got {minutes!r}",
                field=at,
            )
        merged[key] = float(minutes)
    return merged


class BroadcastRepeater:
    """Reports `broadcast.repeat`s as they fall due (the rules are in the module docstring)."""

    name = "broadcast"

    def __init__(
        self,
        tocsin: ChannelContext,
        *,
        minutes: Mapping[str, Any] | None = None,
        interval: float = 1.0,
    ) -> None:
        self.tocsin = tocsin
        configured = minutes if minutes is not None else tocsin.settings.broadcast_repeat_minutes
        self.minutes = repeat_minutes(configured, tocsin.catalogue)
        self.interval = interval
        self.last_error: str | None = None
        self._last: dict[AlertId, Last] = {}
        self._every: dict[AlertId, timedelta] = {}
        self._task: asyncio.Task[None] | None = None

    def every(self, threat: str) -> timedelta | None:
        return every(self.minutes, threat)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="broadcast-repeater")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def status(self) -> list[dict[str, Any]]:
        """One row per active alert it repeats (`/v1/channels` lists them with the targets)."""
        return [
            {
                "consumer": f"{self.name}-repeat:{alert_id}",
                "channel": self.name,
                "target": f"alert {alert_id}",
                "state": "repeating",
                "alert": alert_id,
                "repeats": last.n,
                "next_due": iso_time(last.due + self._every[alert_id]),
                "last_error": self.last_error,
            }
            for alert_id, last in sorted(self._last.items())
            if alert_id in self._every
        ]

    async def tick(self) -> list[NewEvent]:
        """Append every repeat that is due now; returns them."""
        now = self.tocsin.clock.now()
        active = await self.tocsin.store.active_threats()
        self._forget(set(active))
        appended = []
        for alert_id, threat in active.items():
            every = self.every(threat)
            if every is None:
                self._every.pop(alert_id, None)
                continue
            self._every[alert_id] = every
            last = self._last.get(alert_id) or await self._read_last(alert_id)
            if last is not None and now >= last.due + every:
                event = await self._repeat(alert_id)
                if event is not None:
                    appended.append(event)
        return appended

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("broadcast repeats failed; trying again")
                self.last_error = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(self.interval)

    async def _read_last(self, alert_id: AlertId) -> Last | None:
        """An alert's last repeat, read once (None: it no longer repeats)."""
        alert = await self.tocsin.store.get_alert(alert_id)
        if alert is None or not repeats(alert):
            return None
        event = await self.tocsin.store.last_event(alert_id, REPEAT)
        last = self._last[alert_id] = last_of(alert, None if event is None else event.data)
        return last

    async def _repeat(self, alert_id: AlertId) -> NewEvent | None:
        """Report the repeat as due; the bus checks again inside its transaction (the log is
        locked there, so two repeaters never repeat twice)."""
        cmd = RepeatBroadcast(alert_id, self.minutes)
        done: Repeated | None = await self.tocsin.facts.report(cmd, SYSTEM)
        if done is None:
            self._last.pop(alert_id, None)
            return None
        self._last[alert_id] = Last(done.n, done.due)
        return done.event

    def _forget(self, open_ids: set[AlertId]) -> None:
        for alert_id in set(self._last) - open_ids:
            del self._last[alert_id]
            self._every.pop(alert_id, None)

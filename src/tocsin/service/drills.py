"""Drills: scheduling them (commands on the bus), carrying them out (the scheduler, one node
per cluster under the `drills` lease), and what they showed (the after-action report).

The scheduler reads the plans from the database on every turn, so they survive restarts. It
raises a drill's alert with the ordinary Raise command, built by `drill_alert` (always an
exercise) and keyed `drill:<id>`: a second node, or a retry after a crash between the raise and
the drill's own step, finds the alert already raised instead of raising another.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from tocsin.domain import commands as c
from tocsin.domain.alerts import Alert, Status
from tocsin.domain.auth import Actor, Role
from tocsin.domain.drills import (
    ANNOUNCED,
    CANCELLED,
    ENDED,
    LIVE_STATES,
    MAX_ANNOUNCE,
    MAX_DURATION,
    MAX_POSTPONE,
    PENDING_STATES,
    POSTPONE_SECONDS,
    RUNNING,
    SCHEDULED,
    SKIPPED,
    DrillRecord,
    announcement,
    drill_alert,
    local_times,
    overlapping,
    regions_meet,
)
from tocsin.domain.events import NewEvent
from tocsin.domain.regions import RegionTree
from tocsin.domain.sirens import SirenRecord
from tocsin.errors import Conflict, InvalidInput, NotFound, TocsinError
from tocsin.service.bus import CommandBus, Context, Outcome
from tocsin.service.ports import Clock, UnitOfWork
from tocsin.service.regions import RegionService
from tocsin.types import iso_time

log = logging.getLogger("tocsin.drills")
SCHEDULER = Actor(name="drills", role=Role.ADMIN, origin="scheduler")
MIN_DURATION = 60
ACK_IN_TIME = 30.0  # seconds from the raise within which a siren's ack counts as in time
DRILL_ID = re.compile(r"[a-f0-9]{32}")

STEPS = {
    "announce": ((SCHEDULED,), ANNOUNCED, "drill.announced"),
    "started": ((SCHEDULED, ANNOUNCED), RUNNING, "drill.started"),
    "end": ((RUNNING,), ENDED, "drill.ended"),
    "postpone": ((SCHEDULED, ANNOUNCED), None, "drill.postponed"),
    "skip": ((SCHEDULED, ANNOUNCED), SKIPPED, "drill.skipped"),
}


def _drill_checks(ctx: Context, regions: Sequence[str], doing: str) -> None:
    ctx.authorize_regions(regions)
    # a drill only ever raises exercise alerts: a session in actual mode may not plan one
    ctx.check_mode(Status.EXERCISE, doing, what="drill")
    ctx.no_policy("a drill raises only exercise alerts")


def _validate(drill: DrillRecord, ctx: Context) -> None:
    if not drill.title.strip():
        raise InvalidInput("title must not be empty", field="title")
    if drill.threat not in ctx.catalogue:
        raise InvalidInput(f"unknown threat {drill.threat!r}", field="threat")
    if not drill.regions:
        raise InvalidInput("regions must name at least one region", field="regions")
    for code in drill.regions:
        ctx.tree.require(code, field="regions")
    if drill.scheduled_for <= ctx.now:
        raise InvalidInput(
            f"scheduled_for {iso_time(drill.scheduled_for)} is in the past",
            field="scheduled_for",
            code="drill_in_past",
        )
    if not 0 <= drill.announce_before <= MAX_ANNOUNCE:
        raise InvalidInput(
            f"announce_before must be 0 to {MAX_ANNOUNCE} seconds", field="announce_before"
        )
    if not MIN_DURATION <= drill.duration <= MAX_DURATION:
        raise InvalidInput(
            f"duration must be {MIN_DURATION} to {MAX_DURATION} seconds", field="duration"
        )


async def _refuse_overlap(drill: DrillRecord, ctx: Context) -> None:
    other = overlapping(drill, await ctx.uow.drills.all(), ctx.tree)
    if other is not None:
        raise Conflict(
            f"drill {other.id} ({other.title!r}) at {iso_time(other.scheduled_for)} overlaps "
            "this one in the same region",
            field="scheduled_for",
            code="drill_overlap",
        )


async def schedule_drill(cmd: c.ScheduleDrill, ctx: Context) -> Outcome[DrillRecord]:
    _drill_checks(ctx, cmd.regions, "schedule")
    drill = DrillRecord(
        id=cmd.drill_id,
        title=cmd.title,
        threat=cmd.threat,
        regions=tuple(cmd.regions),
        scheduled_for=cmd.scheduled_for,
        announce_before=cmd.announce_before,
        duration=cmd.duration,
        sirens=cmd.sirens,
        state=SCHEDULED,
        created_at=ctx.now,
        created_by=ctx.actor.label,
    )
    _validate(drill, ctx)
    await _refuse_overlap(drill, ctx)

    async def write(uow: UnitOfWork) -> None:
        await uow.drills.add(drill)

    return _outcome(ctx, "drill.scheduled", drill, write)


async def change_drill(cmd: c.ChangeDrill, ctx: Context) -> Outcome[DrillRecord]:
    before = await _get(ctx, cmd.drill_id)
    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "title": cmd.title,
            "threat": cmd.threat,
            "regions": None if cmd.regions is None else tuple(cmd.regions),
            "scheduled_for": cmd.scheduled_for,
            "announce_before": cmd.announce_before,
            "duration": cmd.duration,
            "sirens": cmd.sirens,
        }.items()
        if v is not None
    }
    after = replace(before, **changes)
    _drill_checks(ctx, (*before.regions, *after.regions), "change")
    _pending(before, "changed")
    _validate(after, ctx)
    await _refuse_overlap(after, ctx)
    told = {"scheduled_for", "regions", "sirens"}  # what the announcement says
    if before.state == ANNOUNCED and (after.announce_at > ctx.now or told & changes.keys()):
        after = replace(after, state=SCHEDULED)  # announced again, with the new plan

    async def write(uow: UnitOfWork) -> None:
        await uow.drills.save(after)

    return _outcome(ctx, "drill.changed", after, write, changed=sorted(changes))


async def cancel_drill(cmd: c.CancelDrill, ctx: Context) -> Outcome[DrillRecord]:
    before = await _get(ctx, cmd.drill_id)
    _drill_checks(ctx, before.regions, "cancel")
    _pending(before, "cancelled")
    after = replace(before, state=CANCELLED, ended_at=ctx.now)

    async def write(uow: UnitOfWork) -> None:
        await uow.drills.save(after)

    return _outcome(ctx, "drill.cancelled", after, write)


async def advance_drill(cmd: c.AdvanceDrill, ctx: Context) -> Outcome[DrillRecord]:
    """The scheduler's step; only the scheduler (an admin) sends it."""
    ctx.authorize_role(Role.ADMIN)
    ctx.no_mode("the scheduler's step; the alert a drill raises is an exercise")
    ctx.no_policy("a step of a drill already planned")
    before = await _get(ctx, cmd.drill_id)
    if cmd.step not in STEPS:
        raise InvalidInput(f"unknown step {cmd.step!r}", field="step")
    allowed, state, kind = STEPS[cmd.step]
    if before.state not in allowed:
        raise Conflict(f"drill {before.id} is {before.state}", field="state", code="drill_state")
    after = replace(before, state=state or before.state, reason=cmd.reason)
    extra: dict[str, Any] = {}
    if cmd.step == "announce":
        after = replace(after, announced_at=ctx.now)
        extra["texts"] = _texts(after, ctx)
    elif cmd.step == "started":
        after = replace(after, started_at=ctx.now, alert_id=cmd.alert_id)
    elif cmd.step == "end":
        after = replace(after, ended_at=ctx.now)
    elif cmd.step == "postpone":
        moved = after.scheduled_for + timedelta(seconds=POSTPONE_SECONDS)
        after = replace(after, scheduled_for=moved, postponed=before.postponed + 1)
        extra["texts"] = _texts(after, ctx)
    elif cmd.step == "skip":
        after = replace(after, ended_at=ctx.now)

    async def write(uow: UnitOfWork) -> None:
        await uow.drills.save(after)

    return _outcome(ctx, kind, after, write, **extra)


def _texts(drill: DrillRecord, ctx: Context) -> dict[str, str]:
    return texts_of(drill, ctx.tree)


def texts_of(drill: DrillRecord, tree: RegionTree) -> dict[str, str]:
    """The announcement in every language, naming the drill's regions from `tree`."""
    places = {
        lang: ", ".join(
            r.name(lang) if (r := tree.get(code)) is not None else code for code in drill.regions
        )
        for lang in ("en", "uk", "ru")
    }
    return announcement(drill, places, local_times(drill.scheduled_for, drill.regions))


async def _get(ctx: Context, drill_id: str) -> DrillRecord:
    drill = await ctx.uow.drills.get(drill_id) if DRILL_ID.fullmatch(drill_id) else None
    if drill is None:
        ctx.authorize_role(Role.ADMIN, Role.OPERATOR)
        raise NotFound(f"no drill {drill_id!r}", field="id")
    return drill


def _pending(drill: DrillRecord, doing: str) -> None:
    if drill.state not in PENDING_STATES:
        raise Conflict(
            f"drill {drill.id} is {drill.state}; only a drill not yet started can be {doing}",
            field="id",
            code="drill_started",
        )


def _outcome(
    ctx: Context, kind: str, drill: DrillRecord, write: Any, **extra: Any
) -> Outcome[DrillRecord]:
    data = {"drill": drill_view(drill), **extra}
    event = NewEvent(kind, ctx.now, ctx.actor.label, drill.alert_id, data)
    detail = {"state": drill.state, **{k: v for k, v in extra.items() if k != "texts"}}
    return Outcome(drill, kind, drill.id, detail, write, [event])


def drill_view(drill: DrillRecord) -> dict[str, Any]:
    return {
        "id": drill.id,
        "title": drill.title,
        "threat": drill.threat,
        "regions": list(drill.regions),
        "scheduled_for": iso_time(drill.scheduled_for),
        "announce_before": drill.announce_before,
        "announce_at": iso_time(drill.announce_at),
        "duration": drill.duration,
        "ends_at": iso_time(drill.ends_at),
        "sirens": drill.sirens,
        "state": drill.state,
        "alert_id": drill.alert_id,
        "postponed": drill.postponed,
        "reason": drill.reason,
        "created_at": iso_time(drill.created_at),
        "created_by": drill.created_by,
        "announced_at": _time(drill.announced_at),
        "started_at": _time(drill.started_at),
        "ended_at": _time(drill.ended_at),
    }


def _time(value: datetime | None) -> str | None:
    return None if value is None else iso_time(value)


def register(bus: CommandBus) -> None:
    bus.register(c.ScheduleDrill, schedule_drill)
    bus.register(c.ChangeDrill, change_drill)
    bus.register(c.CancelDrill, cancel_drill)
    bus.register(c.AdvanceDrill, advance_drill)


# --- reads ----------------------------------------------------------------------------------


class DrillReads(Protocol):
    async def all(self) -> list[DrillRecord]: ...

    async def get(self, drill_id: str) -> DrillRecord | None: ...

    async def deliveries(self, first: int, last: int) -> list[dict[str, Any]]: ...

    async def audit_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]: ...

    async def event_seqs(self, alert_id: str) -> tuple[int, int] | None: ...

    async def streams(self, drill_id: str) -> list[dict[str, Any]]: ...

    async def note_sirens(
        self,
        drill_id: str,
        sirens: Sequence[tuple[str, str]],
        since: datetime,
        until: datetime,
        command: tuple[int, datetime] | None = None,
    ) -> None: ...

    async def sirens_of(self, drill_id: str) -> list[dict[str, Any]]: ...


class OpenAlerts(Protocol):
    async def open_alerts(self, status: Status | None = None) -> list[Alert]: ...


class Sirens(Protocol):
    async def all(self) -> list[SirenRecord]: ...


class DrillService:
    def __init__(
        self,
        bus: CommandBus,
        reads: DrillReads,
        alerts: OpenAlerts,
        sirens: Sirens,
        regions: RegionService,
        clock: Clock,
        *,
        edges_counted: bool = False,
    ) -> None:
        self.bus = bus
        self.reads = reads
        # in a cluster (NATS), edge nodes' counts reach `drill_streams` through the writers
        self.edges_counted = edges_counted
        self.alerts = alerts
        self.sirens = sirens
        self.regions = regions
        self.clock = clock

    async def schedule(self, actor: Actor, **fields: Any) -> DrillRecord:
        cmd = c.ScheduleDrill(drill_id=uuid.uuid4().hex, **fields)
        drill: DrillRecord = await self.bus.handle(cmd, actor)
        return drill

    async def change(self, drill_id: str, actor: Actor, **fields: Any) -> DrillRecord:
        drill: DrillRecord = await self.bus.handle(c.ChangeDrill(drill_id, **fields), actor)
        return drill

    async def cancel(self, drill_id: str, actor: Actor) -> DrillRecord:
        drill: DrillRecord = await self.bus.handle(c.CancelDrill(drill_id), actor)
        return drill

    async def all(self) -> list[DrillRecord]:
        return await self.reads.all()

    async def get(self, drill_id: str) -> DrillRecord:
        drill = await self.reads.get(drill_id) if DRILL_ID.fullmatch(drill_id) else None
        if drill is None:
            raise NotFound(f"no drill {drill_id!r}", field="id")
        return drill

    async def notices(self) -> list[dict[str, Any]]:
        """The drills people are told of now (announced or running), with their texts: what
        the public page shows as a banner."""
        tree = self.regions.tree
        shown = []
        for drill in await self.reads.all():
            if drill.state not in (ANNOUNCED, RUNNING):
                continue
            shown.append(
                {
                    "id": drill.id,
                    "regions": list(drill.regions),
                    "state": drill.state,
                    "scheduled_for": iso_time(drill.scheduled_for),
                    "ends_at": iso_time(drill.ends_at),
                    "texts": texts_of(drill, tree),
                }
            )
        return shown

    # --- the scheduler (one node per cluster: the `drills` duty) ---------------------------

    async def run(self, interval: float) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("drill scheduler turn failed; trying again")
            await asyncio.sleep(interval)

    async def tick(self) -> list[tuple[str, str]]:
        """Do every step that is due now; what was done, as (drill id, step)."""
        done: list[tuple[str, str]] = []
        for drill in await self.reads.all():
            if drill.state not in LIVE_STATES:
                continue
            try:
                done.extend(await self._step(drill))
            except TocsinError as refused:  # changed or cancelled meanwhile
                log.warning("drill %s: %s", drill.id, refused)
        return done

    async def _step(self, drill: DrillRecord) -> list[tuple[str, str]]:
        now = self.clock.now()
        due = drill.due(now)
        done: list[tuple[str, str]] = []
        if due is None:
            return done
        if due == "start" and drill.state == SCHEDULED and drill.announce_before > 0:
            await self._advance(drill.id, "announce")  # late, but never unannounced
            done.append((drill.id, "announce"))
        if due == "miss":
            reason = (
                f"missed: no scheduler ran between {iso_time(drill.scheduled_for)} and "
                f"{iso_time(drill.ends_at)}; skipped"
            )
            await self._advance(drill.id, "skip", reason=reason)
            done.append((drill.id, "skip"))
        elif due == "announce":
            await self._advance(drill.id, "announce")
            done.append((drill.id, "announce"))
        elif due == "start":
            done.append((drill.id, await self._start(drill)))
        elif due == "end":
            if drill.alert_id is not None:
                try:
                    await self.bus.handle(c.End(drill.alert_id), SCHEDULER)
                except TocsinError as closed:  # expired or ended by hand already
                    log.info("drill %s: its alert is closed already (%s)", drill.id, closed)
            await self._advance(drill.id, "end")
            done.append((drill.id, "end"))
        return done

    async def _start(self, drill: DrillRecord) -> str:
        tree = self.regions.tree
        actual = [
            a
            for a in await self.alerts.open_alerts(Status.ACTUAL)
            if regions_meet(drill.regions, a.regions, tree)
        ]
        if actual:
            names = ", ".join(a.id for a in actual)
            if drill.postponed < MAX_POSTPONE:
                reason = (
                    f"an actual alert ({names}) is open in its region; postponed by "
                    f"{POSTPONE_SECONDS // 60} minutes ({drill.postponed + 1} of {MAX_POSTPONE})"
                )
                await self._advance(drill.id, "postpone", reason=reason)
                return "postpone"
            reason = (
                f"an actual alert ({names}) is open in its region, after {MAX_POSTPONE} "
                "postponements; skipped"
            )
            await self._advance(drill.id, "skip", reason=reason)
            return "skip"
        if drill.sirens:  # the sirens it concerns, as they are now: what its report lists
            place = [
                (siren.id, siren.region)
                for siren in await self.sirens.all()
                if regions_meet([siren.region], drill.regions, tree)
            ]
            if place:
                await self.reads.note_sirens(drill.id, place, self.clock.now(), drill.ends_at)
        raised: tuple[Alert, bool] = await self.bus.handle(
            c.Raise(drill_alert(drill), idempotency_key=f"drill:{drill.id}"), SCHEDULER
        )
        await self._advance(drill.id, "started", alert_id=raised[0].id)
        return "start"

    async def _advance(
        self, drill_id: str, step: str, *, alert_id: str | None = None, reason: str | None = None
    ) -> None:
        await self.bus.handle(c.AdvanceDrill(drill_id, step, alert_id, reason), SCHEDULER)

    # --- the after-action report -----------------------------------------------------------

    async def report(self, drill_id: str) -> dict[str, Any]:
        drill = await self.get(drill_id)
        report = await self._measure(drill)
        previous = await self._previous(drill)
        report["previous"] = None
        if previous is not None:
            before = await self._measure(previous)
            report["previous"] = {
                "id": previous.id,
                "scheduled_for": iso_time(previous.scheduled_for),
                "sirens": before["sirens"]["summary"],
                "channels": before["channels"],
                "time_to_95_percent_acked": before["sirens"]["time_to_95_percent_acked"],
            }
        return report

    async def _previous(self, drill: DrillRecord) -> DrillRecord | None:
        tree = self.regions.tree
        earlier = [
            d
            for d in await self.reads.all()
            if d.id != drill.id
            and d.state == ENDED
            and d.scheduled_for < drill.scheduled_for
            and regions_meet(d.regions, drill.regions, tree)
        ]
        return earlier[-1] if earlier else None

    async def _measure(self, drill: DrillRecord) -> dict[str, Any]:
        seqs = None if drill.alert_id is None else await self.reads.event_seqs(drill.alert_id)
        started = drill.started_at
        channels: dict[str, dict[str, Any]] = {}
        if seqs is not None and started is not None:
            for row in await self.reads.deliveries(*seqs):
                entry = channels.setdefault(
                    row["channel"], {"deliveries": 0, "failures": 0, "latencies": []}
                )
                if row["outcome"] == "ok":
                    entry["deliveries"] += 1
                    entry["latencies"].append((row["time"] - started).total_seconds())
                else:
                    entry["failures"] += 1
        for entry in channels.values():
            latencies = sorted(entry.pop("latencies"))
            entry["latency_p50_s"] = _percentile(latencies, 50)
            entry["latency_p99_s"] = _percentile(latencies, 99)
        console: list[dict[str, Any]] = []
        if started is not None:
            until = drill.ended_at or self.clock.now()
            for row in await self.reads.audit_between(started, until):
                if row["actor"] != SCHEDULER.label:
                    console.append({**row, "time": iso_time(row["time"])})
        return {
            "drill": drill_view(drill),
            "channels": channels,
            "sirens": await self._sirens(drill),
            "console_actions": console,
            "stream_clients": await self._streams(drill),
            "not_measured": [
                *(
                    []
                    if self.edges_counted
                    else [
                        "stream clients of edge nodes (`tocsin serve --edge`): this node is "
                        "not in a cluster (no NATS), where edges put their counts for the "
                        "writers to copy"
                    ]
                ),
                "whether people heard the sirens or read the notices",
            ],
        }

    async def _streams(self, drill: DrillRecord) -> dict[str, Any] | None:
        """The live streams during the drill, summed over the nodes' rows; None if it never
        started."""
        if drill.started_at is None:
            return None
        rows = await self.reads.streams(drill.id)
        kinds: dict[str, dict[str, int]] = {}
        for row in rows:
            for kind, counts in row["counts"].items():
                entry = kinds.setdefault(kind, dict.fromkeys(_STREAM_COUNTS, 0))
                for key in _STREAM_COUNTS:
                    entry[key] += int(counts.get(key, 0))
        total = {key: sum(entry[key] for entry in kinds.values()) for key in _STREAM_COUNTS}
        total["peak"] = sum(int(row["peak_total"]) for row in rows)
        return {
            "total": total,
            "by_kind": dict(sorted(kinds.items())),
            "nodes": [
                {
                    "node": row["node"],
                    "role": row.get("role") or "server",
                    "from": iso_time(row["watched_from"]),
                    "until": _time(row["watched_until"]),
                    "updated_at": iso_time(row["updated_at"]),
                    "peak": int(row["peak_total"]),
                    "by_kind": row["counts"],
                }
                for row in rows
            ],
        }

    async def _sirens(self, drill: DrillRecord) -> dict[str, Any]:
        """The drill's own record of its sirens: what later commands cannot change."""
        started = drill.started_at
        empty = dict.fromkeys(_SIREN_OUTCOMES, 0)
        if not drill.sirens:
            return {
                "sounded": False,
                "reason": "sirens_off",
                "detail": "the drill was planned with sirens: false; no siren was sent a command",
                "sirens": [],
                "summary": empty,
                "time_to_95_percent_acked": None,
            }
        if started is None:
            return {
                "sounded": False,
                "reason": "not_started",
                "detail": f"the drill never started (it is {drill.state})",
                "sirens": [],
                "summary": empty,
                "time_to_95_percent_acked": None,
            }
        rows = []
        delays: list[float] = []
        for noted in await self.reads.sirens_of(drill.id):
            outcome = _siren_outcome(noted, started)
            delay = None
            if noted["acked_at"] is not None:
                delay = round((noted["acked_at"] - started).total_seconds(), 3)
                delays.append(delay)
            rows.append(
                {
                    "id": noted["siren_id"],
                    "region": noted["region"],
                    "outcome": outcome,
                    "commanded_at": _time(noted["commanded_at"]),
                    "acked_at": _time(noted["acked_at"]),
                    "ack_after_s": delay,
                    "last_heartbeat_at": _time(noted["last_heartbeat_at"]),
                }
            )
        summary = {k: sum(1 for r in rows if r["outcome"] == k) for k in _SIREN_OUTCOMES}
        needed = math.ceil(0.95 * len(rows)) if rows else 0
        delays.sort()
        reached = delays[needed - 1] if rows and len(delays) >= needed else None
        return {
            "sounded": True,
            "reason": None,
            "detail": None,
            "sirens": rows,
            "summary": summary,
            "time_to_95_percent_acked": reached,
        }


_SIREN_OUTCOMES = ("in_time", "late", "failed", "silent")
_STREAM_COUNTS = ("at_start", "joined", "connected", "peak")


def _siren_outcome(noted: dict[str, Any], started: datetime) -> str:
    """in_time (it acknowledged the drill's command within ACK_IN_TIME s of the raise),
    late (later, but before the drill ended), failed (a heartbeat during the drill, no ack),
    or silent (neither)."""
    acked = noted["acked_at"]
    if acked is not None:
        return "in_time" if (acked - started).total_seconds() <= ACK_IN_TIME else "late"
    return "failed" if noted["last_heartbeat_at"] is not None else "silent"


def _percentile(values: Sequence[float], p: int) -> float | None:
    if not values:
        return None
    index = max(0, math.ceil(p / 100 * len(values)) - 1)
    return round(values[index], 3)

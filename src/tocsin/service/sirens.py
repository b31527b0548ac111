"""The siren registry: register, list, get, remove; and a siren's health, reported by the bridge.

Each change is a command on the bus: registering and removing (admin only) are one event each;
a siren turning faulty or recovering (a fact the bridge reports) is one event too.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Protocol

from tocsin.domain import commands as c
from tocsin.domain.auth import Actor, Role
from tocsin.domain.events import NewEvent
from tocsin.domain.sirens import FAULTY, SirenRecord
from tocsin.errors import Conflict, InvalidInput, NotFound
from tocsin.service.bus import CommandBus, Context, Outcome, Unchanged, Write
from tocsin.service.ports import UnitOfWork
from tocsin.service.regions import RegionService
from tocsin.types import iso_time

SIREN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_NAME = 200
REGISTERED, REMOVED = "siren.registered", "siren.removed"
HEALTH_ACTOR = "sirens"  # the bridge, as its faults and recoveries name it in the log


async def register_siren(cmd: c.RegisterSiren, ctx: Context) -> Outcome[SirenRecord]:
    """Register a siren at a region; it sounds for alerts covering that region."""
    ctx.authorize_role(Role.ADMIN)
    ctx.no_mode("a siren sounds for alerts of every status it is sent")
    ctx.no_policy("the two-person rule is for alerts")
    check_id(cmd.siren_id)
    ctx.tree.require(cmd.region, field="region")
    label = _name(cmd.label, cmd.siren_id)
    if await ctx.uow.sirens.get(cmd.siren_id) is not None:
        raise Conflict(
            f"siren {cmd.siren_id!r} is already registered; remove it first to move it",
            field="id",
            code="siren_exists",
        )
    # nothing logged before its registration (the next event) is owed to it
    registered = await ctx.uow.log.head() + 1
    record = SirenRecord(cmd.siren_id, cmd.region, label, ctx.now, last_ack_seq=registered)

    async def write(uow: UnitOfWork) -> None:
        await uow.sirens.add(record)

    return _outcome(ctx, REGISTERED, record, write)


async def remove_siren(cmd: c.RemoveSiren, ctx: Context) -> Outcome[SirenRecord]:
    ctx.authorize_role(Role.ADMIN)
    ctx.no_mode("a siren sounds for alerts of every status it is sent")
    ctx.no_policy("the two-person rule is for alerts")
    record = await ctx.uow.sirens.get(cmd.siren_id) if SIREN_ID.fullmatch(cmd.siren_id) else None
    if record is None:
        raise NotFound(f"no siren {cmd.siren_id!r}", field="id")

    async def write(uow: UnitOfWork) -> None:
        await uow.sirens.delete(cmd.siren_id)

    return _outcome(ctx, REMOVED, record, write)


async def siren_health(
    cmd: c.SirenHealth, ctx: Context
) -> Outcome[SirenRecord | None] | Unchanged[SirenRecord | None]:
    """A siren's health as the bridge judged it: `siren.faulty` when it turns faulty,
    `siren.recovered` when it turns healthy again (unknown to ok changes it quietly)."""
    ctx.no_mode("a siren's health has no actual or exercise status")
    ctx.no_policy("a fact the bridge observed")
    record = await ctx.uow.sirens.get(cmd.siren_id)
    if record is None:
        ctx.authorize_role(Role.ADMIN)
        return Unchanged(None)  # removed meanwhile
    ctx.authorize_regions([record.region])
    if record.state != cmd.previous or (record.state, record.fault_reason) == (
        cmd.state,
        cmd.reason,
    ):
        return Unchanged(record)  # someone judged it first
    after = replace(record, state=cmd.state, fault_reason=cmd.reason)

    async def write(uow: UnitOfWork) -> None:
        await uow.sirens.set_health(after.id, after.state, after.fault_reason)

    kind = _transition(record.state, cmd.state)
    detail = {"state": cmd.state, "previous": record.state, "reason": cmd.reason}
    if kind is None:
        return Outcome(after, "siren.state", record.id, detail, write)
    data = {
        "siren": _siren(record),
        "reason": cmd.reason if cmd.state == FAULTY else record.fault_reason,
        "state": cmd.state,
        "previous": record.state,
    }
    event = NewEvent(kind, ctx.now, HEALTH_ACTOR, None, data)
    return Outcome(after, kind, record.id, detail, write, [event])


def register(bus: CommandBus) -> None:
    bus.register(c.RegisterSiren, register_siren)
    bus.register(c.RemoveSiren, remove_siren)
    bus.register(c.SirenHealth, siren_health)


class SirenService:
    """The entry points' way to the registry: reads, and the commands that change it."""

    def __init__(self, bus: CommandBus, sirens: SirenReads, regions: RegionService) -> None:
        self.bus = bus
        self.sirens = sirens
        self.regions = regions

    async def register(
        self, siren_id: str, region: str, actor: Actor, name: str | None = None
    ) -> SirenRecord:
        """Register a siren at a region; it sounds for alerts covering that region."""
        record: SirenRecord = await self.bus.handle(c.RegisterSiren(siren_id, region, name), actor)
        return record

    async def list(self, region: str | None = None) -> list[SirenRecord]:
        """Every siren, or those at `region` and the regions within it."""
        records = await self.sirens.all()
        if region is None:
            return records
        tree = self.regions.tree
        tree.require(region, field="region")
        return [r for r in records if r.region in tree and tree.within(r.region, {region})]

    async def get(self, siren_id: str) -> SirenRecord:
        record = await self.sirens.get(siren_id) if SIREN_ID.fullmatch(siren_id) else None
        if record is None:
            raise NotFound(f"no siren {siren_id!r}", field="id")
        return record

    async def remove(self, siren_id: str, actor: Actor) -> SirenRecord:
        record: SirenRecord = await self.bus.handle(c.RemoveSiren(siren_id), actor)
        return record


class SirenReads(Protocol):
    async def all(self) -> list[SirenRecord]: ...

    async def get(self, siren_id: str) -> SirenRecord | None: ...


def _outcome(ctx: Context, kind: str, record: SirenRecord, write: Write) -> Outcome[SirenRecord]:
    event = NewEvent(kind, ctx.now, ctx.actor.label, None, {"siren": _siren(record)})
    detail = {"region": record.region, "name": record.name}
    return Outcome(record, kind, record.id, detail, write, [event])


def _siren(record: SirenRecord) -> dict[str, str]:
    return {"id": record.id, "region": record.region, "name": record.name}


def _transition(before: str, after: str) -> str | None:
    if after == FAULTY and before != FAULTY:
        return "siren.faulty"
    if before == FAULTY and after != FAULTY:
        return "siren.recovered"
    return None


def check_id(siren_id: str) -> str:
    if not SIREN_ID.fullmatch(siren_id):
        raise InvalidInput(
            "a siren id is 1 to 64 letters, digits, '-' or '_' (it is part of MQTT topics); "
            f"got {siren_id!r}",
            field="id",
        )
    return siren_id


def siren_view(record: SirenRecord) -> dict[str, Any]:
    """A siren as the API and the CLI show it."""
    acked = record.last_ack_at is not None
    return {
        "id": record.id,
        "region": record.region,
        "name": record.name,
        "registered_at": iso_time(record.registered_at),
        "state": record.state,
        "fault_reason": record.fault_reason,
        "last_heartbeat_at": _iso(record.last_heartbeat_at),
        "last_command_seq": record.last_command_seq,
        "last_command_at": _iso(record.last_command_at),
        "last_ack_seq": record.last_ack_seq if acked else None,
        "last_ack_at": _iso(record.last_ack_at),
    }


def _name(name: str | None, siren_id: str) -> str:
    text = (name or "").strip()
    if len(text) > MAX_NAME:
        raise InvalidInput(f"name is {len(text)} characters; at most {MAX_NAME}", field="name")
    if "\x00" in text:
        raise InvalidInput("name must not contain NUL characters", field="name")
    return text or siren_id


def _iso(value: Any) -> str | None:
    return None if value is None else iso_time(value)

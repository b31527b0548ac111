"""The audit trail's checks: verifying the keyed chain, and anchoring its head in the event log.

A checkpoint is a command like any other (`CheckpointAudit`, by the system): it appends an
`audit.checkpoint` event carrying the trail's entry count and head hash, with a MAC, and the
event goes out to every stream and webhook like the rest of the log. Removing the newest audit
entries then contradicts the last checkpoint, and removing the checkpoint leaves a gap in the
log's seqs that every receiver has seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import ClassVar, Protocol

from tocsin.domain.audit import CHECKPOINT, AuditEntry, Checkpoint, Verdict, verify
from tocsin.domain.auth import Actor, Role
from tocsin.domain.events import Event, NewEvent
from tocsin.service.bus import CommandBus, Context, Outcome, Unchanged

log = logging.getLogger(__name__)

SYSTEM = Actor(name="system", role=Role.ADMIN, origin="system")


@dataclass(frozen=True, slots=True)
class CheckpointAudit:
    name: ClassVar[str] = "audit.checkpoint"


class AuditReads(Protocol):
    async def audit_entries(self, after: int = 0, limit: int | None = None) -> list[AuditEntry]: ...

    async def audit_head(self) -> tuple[int, str] | None: ...

    async def events_of_type(self, type: str) -> list[Event]: ...

    async def event_seqs(self, after: int) -> list[int]: ...


def checkpoint_handler(key: bytes | None, reads: AuditReads):  # type: ignore[no-untyped-def]
    async def handle(
        cmd: CheckpointAudit, ctx: Context
    ) -> Outcome[Checkpoint | None] | Unchanged[Checkpoint | None]:
        ctx.authorize_role(Role.ADMIN)
        ctx.no_mode("the audit trail has no mode")
        ctx.no_policy("a checkpoint changes no alert")
        head = await reads.audit_head()
        if key is None or head is None:
            return Unchanged(None)
        marks = await reads.events_of_type(CHECKPOINT)
        if marks and Checkpoint.from_json(marks[-1].data["checkpoint"]).count + 1 >= head[0]:
            return Unchanged(None)  # nothing but the last checkpoint since it
        mark = Checkpoint(head[0], head[1]).signed(key)
        event = NewEvent(CHECKPOINT, ctx.now, ctx.actor.label, None, {"checkpoint": mark.to_json()})
        return Outcome(mark, CHECKPOINT, None, mark.to_json(), None, [event])

    return handle


class AuditService:
    def __init__(self, bus: CommandBus, reads: AuditReads, key: bytes | None) -> None:
        self.bus = bus
        self.reads = reads
        self.key = key
        bus.register(CheckpointAudit, checkpoint_handler(key, reads))

    async def verify(self) -> Verdict:
        entries = await self.reads.audit_entries()
        marks = [
            Checkpoint.from_json(e.data["checkpoint"])
            for e in await self.reads.events_of_type(CHECKPOINT)
        ]
        first = _first_named(entries)
        seqs = [] if first is None else await self.reads.event_seqs(first - 1)
        return verify(entries, self.key, checkpoints=marks, event_seqs=seqs)

    async def checkpoint(self, actor: Actor = SYSTEM) -> Checkpoint | None:
        """Anchor the trail's head in the event log (None: nothing new since the last one)."""
        mark: Checkpoint | None = await self.bus.handle(CheckpointAudit(), actor)
        return mark

    async def run(self, interval: float) -> None:
        """Checkpoint every `interval` seconds while the server runs."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.checkpoint()
            except Exception:  # a failed checkpoint is retried at the next tick
                log.exception("audit checkpoint failed")


def _first_named(entries: list[AuditEntry]) -> int | None:
    """The first event seq that an audit entry names (events before it predate naming)."""
    for entry in entries:
        seqs = entry.detail.get("events")
        if seqs:
            return int(seqs[0])
    return None


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

"""Is each siren working? Judged from its acks and heartbeats; changes become events.

A siren is `faulty` while a command it was sent is unacknowledged for longer than
`siren_ack_timeout`, or its last heartbeat (or, before the first, its registration) is older
than `siren_heartbeat_timeout`; otherwise `ok` once it has been heard from, and `unknown`
before. Each change is reported as a fact (`SirenHealth`, a command on the bus): turning faulty
appends `siren.faulty`, turning healthy again appends `siren.recovered`. Both carry the siren,
its region and the reason.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.domain.commands import SirenHealth
from tocsin.domain.sirens import FAULTY, OK, UNKNOWN, SirenRecord
from tocsin.service.audit import SYSTEM
from tocsin.service.ports import Clock, Facts
from tocsin.service.sirens import SirenReads
from tocsin.types import iso_time


@dataclass(frozen=True, slots=True)
class Limits:
    ack_timeout: float = 10.0
    heartbeat_timeout: float = 90.0


def assess(
    record: SirenRecord, now: datetime, limits: Limits, error: str | None = None
) -> tuple[str, str | None]:
    """The state a siren should be in now, and why it is faulty if it is."""
    reasons = []
    heard = record.last_heartbeat_at
    if now - (heard or record.registered_at) > timedelta(seconds=limits.heartbeat_timeout):
        since = "since registration" if heard is None else f"since {iso_time(heard)}"
        reasons.append(f"no heartbeat {since} (limit {limits.heartbeat_timeout:g} s)")
    if record.pending and record.last_command_at is not None:
        late = now - record.last_command_at > timedelta(seconds=limits.ack_timeout)
        if late:
            why = f": {error}" if error else ""
            reasons.append(
                f"command {record.last_command_seq} not acknowledged within "
                f"{limits.ack_timeout:g} s{why}"
            )
    if reasons:
        return FAULTY, "; ".join(reasons)
    return (OK if heard is not None else UNKNOWN), None


class Health:
    """Judges sirens one at a time, and reports each change of state as a fact."""

    def __init__(self, sirens: SirenReads, facts: Facts, clock: Clock, limits: Limits) -> None:
        self.sirens = sirens
        self.facts = facts
        self.clock = clock
        self.limits = limits
        self.errors: dict[str, str] = {}  # the last error a siren reported in an ack
        self._lock = asyncio.Lock()

    async def check(self, siren_id: str) -> SirenRecord | None:
        record = await self.sirens.get(siren_id)
        return None if record is None else await self.settle(record)

    async def check_all(self) -> list[SirenRecord]:
        return [await self.settle(record) for record in await self.sirens.all()]

    async def settle(self, record: SirenRecord) -> SirenRecord:
        """Put the siren in the state it should be in; returns it as it now is."""
        async with self._lock:
            now = self.clock.now()
            state, reason = assess(record, now, self.limits, self.errors.get(record.id))
            if (state, reason) == (record.state, record.fault_reason):
                return record
            await self.facts.report(SirenHealth(record.id, state, reason, record.state), SYSTEM)
            fresh = await self.sirens.get(record.id)
            return fresh or record

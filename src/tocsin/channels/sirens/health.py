"""Is each siren working? Judged from its acks and heartbeats; changes become events.

A siren is `faulty` while a command it was sent is unacknowledged for longer than
`siren_ack_timeout`, or its last heartbeat (or, before the first, its registration) is older
than `siren_heartbeat_timeout`; otherwise `ok` once it has been heard from, and `unknown`
before. Turning faulty appends `siren.faulty`; turning healthy again appends
`siren.recovered`. Both carry the siren, its region and the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.service.ports import Clock, CommitListener
from tocsin.storage.siren_store import FAULTY, OK, UNKNOWN, SirenRecord, SirenStore, set_health
from tocsin.storage.store import Store
from tocsin.types import iso_time

ACTOR = "sirens"


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
    """Moves sirens between states, one at a time, recording each fault and recovery."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        limits: Limits,
        listeners: Sequence[CommitListener] = (),
    ) -> None:
        self.store = store
        self.sirens = SirenStore(store.engine)
        self.clock = clock
        self.limits = limits
        self.listeners = list(listeners)
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
            kind = _transition(record.state, state)
            async with self.store.write() as tx:
                changed = await set_health(tx.conn, record.id, state, reason, expected=record.state)
                if changed and kind is not None:
                    await tx.append(
                        type=kind,
                        time=now,
                        actor=ACTOR,
                        alert_id=None,
                        data={
                            "siren": {
                                "id": record.id,
                                "region": record.region,
                                "name": record.name,
                            },
                            "reason": reason if state == FAULTY else record.fault_reason,
                            "state": state,
                            "previous": record.state,
                        },
                    )
            for listener in self.listeners:
                listener.committed(tx.events)
            fresh = await self.sirens.get(record.id)
            return fresh or record


def _transition(before: str, after: str) -> str | None:
    if after == FAULTY and before != FAULTY:
        return "siren.faulty"
    if before == FAULTY and after != FAULTY:
        return "siren.recovered"
    return None

"""Sirens: the registry and what the MQTT bridge learns of each (commands, acks, heartbeats).

`last_ack_seq` starts at the sequence number of the siren's registration: nothing logged before
a siren existed is owed to it, so "the commands after the last ack" is always a bounded range.
The API shows an ack only once one has arrived (`last_ack_at` is set).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tocsin.domain.alerts import Alert, Phase
from tocsin.domain.sirens import SirenRecord
from tocsin.storage import tables as t
from tocsin.types import Seq

_OPEN = [Phase.PRE_ALERT.value, Phase.ACTIVE.value]


class SirenStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def all(self) -> list[SirenRecord]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.sirens).order_by(t.sirens.c.id))).all()
        return [_record(row) for row in rows]

    async def get(self, siren_id: str) -> SirenRecord | None:
        async with self.engine.connect() as conn:
            return await get_siren(conn, siren_id)

    async def record_commands(self, ids: Sequence[str], seq: Seq, now: datetime) -> None:
        """Note that command `seq` went out (or is owed) to each of `ids`."""
        if not ids:
            return
        c = t.sirens.c
        query = (
            update(t.sirens)
            .where(
                c.id == bindparam("sid"),
                or_(c.last_command_seq.is_(None), c.last_command_seq < seq),
            )
            .values(last_command_seq=seq, last_command_at=now)
        )
        async with self.engine.begin() as conn:
            await conn.execute(query, [{"sid": i} for i in ids])

    async def record_ack(self, siren_id: str, seq: Seq, now: datetime) -> bool:
        """Note an ack of a command that went out; the newest one acknowledges all before.

        A drill running now whose command this ack covers (its seq is the command's or a later
        one: sirens carry out their commands in order) notes it too, once: its first ack
        within the drill's time."""
        c = t.sirens.c
        query = (
            update(t.sirens)
            .where(
                c.id == siren_id,
                c.last_command_seq >= seq,
                or_(c.last_ack_seq.is_(None), c.last_ack_seq <= seq),
            )
            .values(last_ack_seq=seq, last_ack_at=now)
        )
        d = t.drill_sirens.c
        drill = (
            update(t.drill_sirens)
            .where(
                d.siren_id == siren_id,
                d.acked_at.is_(None),
                d.command_seq <= seq,
                d.since <= now,
                d.until > now,
            )
            .values(ack_seq=seq, acked_at=now)
        )
        async with self.engine.begin() as conn:
            acked = bool((await conn.execute(query)).rowcount)
            if acked:
                await conn.execute(drill)
            return acked

    async def record_heartbeat(self, siren_id: str, now: datetime) -> bool:
        """Note a heartbeat, and in the record of a drill running now, its last one then."""
        query = update(t.sirens).where(t.sirens.c.id == siren_id).values(last_heartbeat_at=now)
        d = t.drill_sirens.c
        drill = (
            update(t.drill_sirens)
            .where(d.siren_id == siren_id, d.since <= now, d.until > now)
            .values(last_heartbeat_at=now)
        )
        async with self.engine.begin() as conn:
            heard = bool((await conn.execute(query)).rowcount)
            if heard:
                await conn.execute(drill)
            return heard

    async def open_alerts_at(self, seq: Seq) -> list[Alert]:
        """The alerts that were open just after event `seq` was committed.

        The alerts table holds each alert as it is now; an alert changed after `seq` is taken
        instead from the newest of its own events up to `seq` (each carries the whole alert).
        """
        e = t.events.c
        async with self.engine.connect() as conn:
            current = (
                await conn.execute(
                    select(t.alerts.c.id, t.alerts.c.data).where(t.alerts.c.phase.in_(_OPEN))
                )
            ).all()
            touched = select(e.alert_id).where(e.seq > seq, e.alert_id.is_not(None)).distinct()
            newest = (
                select(func.max(e.seq))
                .where(e.seq <= seq, e.type.like("alert.%"), e.alert_id.in_(touched))
                .group_by(e.alert_id)
            )
            changed_ids = set((await conn.execute(touched)).scalars())
            earlier = (await conn.execute(select(e.data).where(e.seq.in_(newest)))).scalars()
        alerts = {row.id: Alert.from_json(row.data) for row in current if row.id not in changed_ids}
        for data in earlier:  # the version as of `seq` wins over the current one
            if isinstance(data.get("alert"), dict):
                alert = Alert.from_json(data["alert"])
                alerts[alert.id] = alert
        return sorted((a for a in alerts.values() if a.is_open), key=lambda a: (a.raised_at, a.id))


async def get_siren(conn: AsyncConnection, siren_id: str) -> SirenRecord | None:
    row = (await conn.execute(select(t.sirens).where(t.sirens.c.id == siren_id))).first()
    return None if row is None else _record(row)


async def insert_siren(conn: AsyncConnection, record: SirenRecord) -> None:
    await conn.execute(insert(t.sirens).values(**_values(record)))


async def delete_siren(conn: AsyncConnection, siren_id: str) -> None:
    await conn.execute(delete(t.sirens).where(t.sirens.c.id == siren_id))


async def set_health(conn: AsyncConnection, siren_id: str, state: str, reason: str | None) -> None:
    await conn.execute(
        update(t.sirens).where(t.sirens.c.id == siren_id).values(state=state, fault_reason=reason)
    )


def _values(record: SirenRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "region": record.region,
        "name": record.name,
        "registered_at": record.registered_at,
        "state": record.state,
        "fault_reason": record.fault_reason,
        "last_heartbeat_at": record.last_heartbeat_at,
        "last_command_seq": record.last_command_seq,
        "last_command_at": record.last_command_at,
        "last_ack_seq": record.last_ack_seq,
        "last_ack_at": record.last_ack_at,
    }


def _record(row: Row[Any]) -> SirenRecord:
    return SirenRecord(
        id=row.id,
        region=row.region,
        name=row.name,
        registered_at=row.registered_at,
        state=row.state,
        fault_reason=row.fault_reason,
        last_heartbeat_at=row.last_heartbeat_at,
        last_command_seq=None if row.last_command_seq is None else int(row.last_command_seq),
        last_command_at=row.last_command_at,
        last_ack_seq=None if row.last_ack_seq is None else int(row.last_ack_seq),
        last_ack_at=row.last_ack_at,
    )

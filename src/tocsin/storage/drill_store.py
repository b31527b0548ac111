"""Drills: the plans the scheduler carries out, and what their reports are read from."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tocsin.domain.drills import DrillRecord
from tocsin.storage import tables as t

_FIELDS = tuple(f.name for f in fields(DrillRecord))


class DrillStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def all(self) -> list[DrillRecord]:
        async with self.engine.connect() as conn:
            return await all_drills(conn)

    async def get(self, drill_id: str) -> DrillRecord | None:
        async with self.engine.connect() as conn:
            return await get_drill(conn, drill_id)

    async def deliveries(self, first: int, last: int) -> list[dict[str, Any]]:
        """Every delivery attempt of the events `first`..`last`: channel, outcome, time."""
        d = t.deliveries.c
        query = select(t.deliveries).where(d.event_seq >= first, d.event_seq <= last)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [{str(k): v for k, v in row.items()} for row in rows]

    async def audit_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        a = t.audit.c
        query = (
            select(a.seq, a.time, a.actor, a.role, a.action, a.target)
            .where(a.time >= start, a.time <= end)
            .order_by(a.seq)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [{str(k): v for k, v in row.items()} for row in rows]

    async def event_seqs(self, alert_id: str) -> tuple[int, int] | None:
        e = t.events.c
        query = select(func.min(e.seq), func.max(e.seq)).where(e.alert_id == alert_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).one()
        return None if row[0] is None else (int(row[0]), int(row[1]))


async def all_drills(conn: AsyncConnection) -> list[DrillRecord]:
    rows = (await conn.execute(select(t.drills).order_by(t.drills.c.scheduled_for))).all()
    return [_record(row) for row in rows]


async def get_drill(conn: AsyncConnection, drill_id: str) -> DrillRecord | None:
    row = (await conn.execute(select(t.drills).where(t.drills.c.id == drill_id))).first()
    return None if row is None else _record(row)


async def insert_drill(conn: AsyncConnection, record: DrillRecord) -> None:
    await conn.execute(insert(t.drills).values(_values(record)))


async def save_drill(conn: AsyncConnection, record: DrillRecord) -> None:
    values = _values(record)
    await conn.execute(update(t.drills).where(t.drills.c.id == record.id).values(values))


async def delete_drill(conn: AsyncConnection, drill_id: str) -> None:
    await conn.execute(delete(t.drills).where(t.drills.c.id == drill_id))


def _values(record: DrillRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in _FIELDS}
    values["regions"] = list(record.regions)
    return values


def _record(row: Row[Any]) -> DrillRecord:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["regions"] = tuple(values["regions"])
    return DrillRecord(**values)

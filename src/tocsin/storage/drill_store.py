"""Drills: the plans the scheduler carries out, and what their reports are read from.

Besides the plans, two records kept while a drill runs, so that its report reads what happened
then and nothing that happened since:

- `drill_streams`: for each node, the live streams it held during the drill (written by the
  node's `DrillStreams`, at the drill's start, every few seconds, and at its end; an edge
  node's, which it puts in NATS, copied by the writers' `drill-streams` duty);
- `drill_sirens`: for each siren in the drill's regions, when it was sent the drill's command
  and when it acknowledged it, and its last heartbeat within the drill's time (written by the
  scheduler, the siren channel and the siren bridge; see `record_ack` in `siren_store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tocsin.domain.drills import RUNNING, DrillRecord
from tocsin.storage import tables as t
from tocsin.types import Seq

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

    async def running(self) -> list[tuple[str, datetime]]:
        """The drills running now: their ids and the time each ends."""
        d = t.drills.c
        query = select(d.id, d.scheduled_for, d.duration).where(d.state == RUNNING)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [(row.id, row.scheduled_for + timedelta(seconds=row.duration)) for row in rows]

    async def write_streams(
        self,
        drill_id: str,
        node: str,
        watched_from: datetime,
        watched_until: datetime | None,
        now: datetime,
        counts: dict[str, dict[str, int]],
        peak_total: int,
        *,
        role: str = "server",
    ) -> None:
        """A node's streams during the drill, as they stand (one row per drill and node);
        `role`: `server`, or `edge` for an edge's count copied from NATS."""
        values = {
            "drill_id": drill_id,
            "node": node,
            "role": role,
            "watched_from": watched_from,
            "watched_until": watched_until,
            "updated_at": now,
            "counts": counts,
            "peak_total": peak_total,
        }
        statement = self._insert(t.drill_streams).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[t.drill_streams.c.drill_id, t.drill_streams.c.node],
            set_={k: v for k, v in values.items() if k not in ("drill_id", "node")},
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def streams(self, drill_id: str) -> list[dict[str, Any]]:
        """Each node's row for the drill, by node."""
        s = t.drill_streams.c
        query = select(t.drill_streams).where(s.drill_id == drill_id).order_by(s.node)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [{str(k): v for k, v in row.items()} for row in rows]

    async def note_sirens(
        self,
        drill_id: str,
        sirens: Sequence[tuple[str, str]],
        since: datetime,
        until: datetime,
        command: tuple[Seq, datetime] | None = None,
    ) -> None:
        """Rows for these sirens (id, region) in the drill, kept if there already; with
        `command` (its seq and when it went out), the first drill command each was sent."""
        if not sirens:
            return
        table, c = t.drill_sirens, t.drill_sirens.c
        window = {"drill_id": drill_id, "since": since, "until": until}
        rows = [{**window, "siren_id": sid, "region": region} for sid, region in sirens]
        add = self._insert(table).on_conflict_do_nothing(index_elements=[c.drill_id, c.siren_id])
        async with self.engine.begin() as conn:
            await conn.execute(add, rows)
            if command is not None:
                seq, at = command
                mark = (
                    update(table)
                    .where(
                        c.drill_id == drill_id,
                        c.siren_id == bindparam("sid"),
                        c.command_seq.is_(None),
                    )
                    .values(command_seq=seq, commanded_at=at)
                )
                await conn.execute(mark, [{"sid": sid} for sid, _ in sirens])

    async def sirens_of(self, drill_id: str) -> list[dict[str, Any]]:
        """The drill's record of its sirens, by siren id."""
        c = t.drill_sirens.c
        query = select(t.drill_sirens).where(c.drill_id == drill_id).order_by(c.siren_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [{str(k): v for k, v in row.items()} for row in rows]

    @property
    def _insert(self) -> Any:
        return (postgresql if self.engine.dialect.name == "postgresql" else sqlite).insert

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

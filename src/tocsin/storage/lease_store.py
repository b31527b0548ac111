"""Leases in the database (`tocsin.service.ports.Leases`), shared by every node on it.

Taking or renewing a lease is one statement: an insert that, when the name is already there,
updates it only where this holder has it or its time has run out. The database's row lock
makes it atomic on every backend, without the event log's write lock, so a long commit never
delays a renewal.

On PostgreSQL the times are the database server's (`now()`, plus the term the node asks
for), never the node's: nodes on different machines compare one clock, so a node whose clock
runs ahead cannot take a lease that has not run out. A node's own clock decides only how long
its term is. (SQLite is one machine's file: its nodes share that machine's clock.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Interval, delete, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from tocsin.service.ports import Held
from tocsin.storage import tables as t

_lease = t.leases.c


class SqlLeases:
    def __init__(self, engine: AsyncEngine, *, server_clock: bool | None = None) -> None:
        """`server_clock`: compare times by the database's clock (the default on PostgreSQL)
        rather than by the `now` the caller gives."""
        self.engine = engine
        postgres = engine.dialect.name == "postgresql"
        self._insert = (postgresql if postgres else sqlite).insert
        self.server_clock = postgres if server_clock is None else server_clock

    async def acquire(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        end: Any = until
        current: Any = now
        if self.server_clock:
            current = func.now(type_=DateTime(timezone=True))
            end = current + literal(until - now, Interval())
        statement = self._insert(t.leases).values(name=name, holder=holder, until=end)
        taken = statement.on_conflict_do_update(
            index_elements=[_lease.name],
            set_={"holder": holder, "until": end},
            where=or_(_lease.holder == holder, _lease.until <= current),
        ).returning(_lease.holder)
        async with self.engine.begin() as conn:
            return (await conn.execute(taken)).scalar() == holder

    async def release(self, name: str, holder: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(t.leases).where(_lease.name == name, _lease.holder == holder))

    async def held(self) -> list[Held]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(_lease.name, _lease.holder, _lease.until))
            return [Held(row.name, row.holder, row.until) for row in rows]

"""Leases in the database (`tocsin.service.ports.Leases`), shared by every node on it.

Taking or renewing a lease is one statement: an insert that, when the name is already there,
updates it only where this holder has it or its time has run out. The database's row lock
makes it atomic on every backend, without the event log's write lock, so a long commit never
delays a renewal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from tocsin.service.ports import Held
from tocsin.storage import tables as t

_lease = t.leases.c


class SqlLeases:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert = dialect.insert

    async def acquire(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        statement = self._insert(t.leases).values(name=name, holder=holder, until=until)
        taken = statement.on_conflict_do_update(
            index_elements=[_lease.name],
            set_={"holder": holder, "until": until},
            where=or_(_lease.holder == holder, _lease.until <= now),
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

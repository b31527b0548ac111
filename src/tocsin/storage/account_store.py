"""Console accounts and sessions in the database: reads, and the unit of work's repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tocsin.domain.accounts import Account, Session, StoredAccount, StoredSession
from tocsin.domain.alerts import Status
from tocsin.storage import tables as t


class AccountReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def account(self, username: str) -> StoredAccount | None:
        async with self.engine.connect() as conn:
            return await _stored(conn, username)

    async def accounts(self) -> list[Account]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.users).order_by(t.users.c.username))).all()
        return [_account(row) for row in rows]

    async def session(self, id_hash: str) -> StoredSession | None:
        query = (
            select(t.sessions, t.users)
            .join(t.users, t.users.c.username == t.sessions.c.username)
            .where(t.sessions.c.id_hash == id_hash)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        session = Session(_account(row), row.csrf, Status(row.mode), row.expires_at, row.origin)
        return StoredSession(session, row.ended_at)


class SqlAccounts:
    """The accounts repository of one SQL unit of work."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, username: str) -> StoredAccount | None:
        return await _stored(self._conn, username)

    async def add(self, account: Account, password_hash: str) -> None:
        await self._conn.execute(
            insert(t.users).values(
                username=account.username,
                password_hash=password_hash,
                role=account.role,
                regions=None if account.regions is None else list(account.regions),
                created_at=account.created_at,
            )
        )

    async def change(self, username: str, **values: Any) -> bool:
        result = await self._conn.execute(
            update(t.users).where(t.users.c.username == username).values(**values)
        )
        return bool(result.rowcount)

    async def open_sessions(self, username: str) -> int:
        query = select(func.count()).where(
            t.sessions.c.username == username, t.sessions.c.ended_at.is_(None)
        )
        return int((await self._conn.execute(query)).scalar_one())

    async def end_sessions(self, username: str, now: datetime) -> int:
        result = await self._conn.execute(
            update(t.sessions)
            .where(t.sessions.c.username == username, t.sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )
        return int(result.rowcount)

    async def open_session(self, id_hash: str, session: Session, now: datetime) -> None:
        await self._conn.execute(
            insert(t.sessions).values(
                id_hash=id_hash,
                username=session.account.username,
                csrf=session.csrf,
                mode=session.mode.value,
                origin=session.origin,
                created_at=now,
                expires_at=session.expires_at,
            )
        )

    async def change_session(self, id_hash: str, **values: Any) -> None:
        await self._conn.execute(
            update(t.sessions).where(t.sessions.c.id_hash == id_hash).values(**values)
        )


async def _stored(conn: AsyncConnection, username: str) -> StoredAccount | None:
    result = await conn.execute(select(t.users).where(t.users.c.username == username))
    row = result.first()
    return None if row is None else StoredAccount(_account(row), row.password_hash)


def _account(row: Row[Any]) -> Account:
    regions = None if row.regions is None else tuple(row.regions)
    return Account(row.username, row.role, regions, row.created_at, row.disabled_at)


__all__: Sequence[str] = ("AccountReads", "SqlAccounts")

"""SQLite through one trip to aiosqlite's thread per statement: results, errors, the trips."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from tocsin.storage.engine import create_engine

metadata = sa.MetaData()
items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), nullable=False, unique=True),
    sa.Column("data", sa.JSON),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to a connection's thread."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def test_rows_counts_and_ids_come_back(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(sa.insert(items).values(name="a", data={"x": [1, 2]}))
        assert first.inserted_primary_key == (1,)
        await conn.execute(sa.insert(items), [{"name": "b"}, {"name": "c"}])
        changed = await conn.execute(sa.update(items).where(items.c.id > 1).values(data={}))
        assert changed.rowcount == 2
        returned = await conn.execute(
            sa.update(items).where(items.c.name == "a").values(name="z").returning(items.c.id)
        )
        assert returned.scalar_one() == 1
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(items).order_by(items.c.id))).all()
        assert [(r.id, r.name, r.data) for r in rows] == [
            (1, "z", {"x": [1, 2]}),
            (2, "b", {}),
            (3, "c", {}),
        ]
        assert (await conn.execute(sa.select(items).where(items.c.id == 9))).first() is None
        partial = await conn.execute(sa.select(items.c.name).order_by(items.c.id))
        assert partial.fetchmany(2) == [("z",), ("b",)]
        assert partial.fetchall() == [("c",)]


async def test_a_refused_statement_raises_and_is_rolled_back(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(sa.insert(items).values(name="a"))
            await conn.execute(sa.insert(items).values(name="a"))
    with pytest.raises(OperationalError):
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT * FROM no_such_table"))
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(items))).scalar() == 0


async def test_a_statement_is_one_trip_to_the_thread(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.select(items))  # the connection's first: set up once
        trips.clear()
        await conn.execute(sa.select(items).where(items.c.id == 1))
        await conn.execute(sa.insert(items).values(name="a"))
        await conn.execute(sa.select(items))
    assert trips.count("_execute") == 3
    assert "cursor" not in trips and "fetchall" not in trips and "close" not in trips

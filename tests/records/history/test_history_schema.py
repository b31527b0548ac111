"""Migration 0004 creates exactly the tables the code declares, and goes down and up again."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tocsin.bootstrap import Tocsin
from tocsin.records.storage import history_store as hs
from tocsin.records.storage import span_packs, stats_store
from tocsin.storage import migrate
from tocsin.storage import tables as t

MY_TABLES = {
    hs.history_imports.name,
    stats_store.alert_spans.name,
    stats_store.stats_progress.name,
    span_packs.span_packs.name,
}


def _table_of(diff: Any) -> str | None:
    if isinstance(diff, list):
        return _table_of(diff[0])
    for item in diff[1:]:
        name = getattr(item, "name", None)
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(item, str):
            return item if item in MY_TABLES else None
        if name in MY_TABLES:
            return str(name)
    return None


async def test_schema_matches_the_tables(tocsin: Tocsin) -> None:
    async with tocsin.store.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), t.metadata)
        )
    assert [d for d in diff if _table_of(d) in MY_TABLES] == []


async def test_migration_goes_down_and_up_again(tocsin: Tocsin) -> None:
    engine = tocsin.store.engine
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(migrate._config(sync), "0003"))
        names = await conn.run_sync(lambda sync: set(sync.dialect.get_table_names(sync)))
    assert names.isdisjoint(MY_TABLES)
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(sync.dialect.get_table_names(sync)))
    assert names >= MY_TABLES

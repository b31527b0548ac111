"""Imported alert history: the progress of each import, and the bulk writes of one batch.

A batch is one command on the bus: its rows (`SqlHistory`, the unit of work's repository), its
progress row, its `history.imported` event and its audit row commit in one transaction, so after
an interruption the import resumes after the last batch that committed, and nothing of a batch
that did not commit remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tocsin.records.domain.history import (
    ALERT_COLUMNS,
    REGION_COLUMNS,
    SPAN_COLUMNS,
    ImportRecord,
    NewAlerts,
)
from tocsin.records.storage import span_packs
from tocsin.records.storage.stats_store import alert_spans
from tocsin.storage import tables as t
from tocsin.storage.store import Tx
from tocsin.storage.tables import UTCDateTime, metadata
from tocsin.types import AlertId

history_imports = Table(
    "history_imports",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("source", String(100), nullable=False),
    Column("format", String(32), nullable=False),
    Column("file", String(500), nullable=False),
    Column("last_line", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("existing", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
)


class HistoryStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, fingerprint: str) -> ImportRecord | None:
        query = select(history_imports).where(history_imports.c.fingerprint == fingerprint)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else ImportRecord(**row._asdict())

    async def all(self) -> list[ImportRecord]:
        query = select(history_imports).order_by(history_imports.c.started_at)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [ImportRecord(**row._asdict()) for row in rows]


class SqlHistory:
    """Imported history within one unit of work."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def existing(self, ids: Sequence[AlertId]) -> set[AlertId]:
        return await existing_ids(self._tx.conn, ids)

    async def add(self, new: NewAlerts) -> None:
        """Insert the rows in bulk, and forget the statistics packs of their regions."""
        await insert_alerts(self._tx.conn, new)
        await span_packs.invalidate(self._tx.conn, {span[0] for span in new.spans})

    async def save_progress(self, record: ImportRecord, *, new: bool) -> None:
        await save_progress(self._tx.conn, record, new=new)


async def existing_ids(conn: AsyncConnection, ids: Sequence[AlertId]) -> set[AlertId]:
    """Which of `ids` are in `alerts`: one query, the ids passed as one parameter (a JSON
    array on SQLite, an array on PostgreSQL, joined rather than `= ANY(…)`, which PostgreSQL
    may answer with a sequential scan per id once it caches a generic plan)."""
    if not ids:
        return set()
    if conn.dialect.name == "sqlite":
        listed = select(func.json_each(bindparam("ids")).table_valued("value").c.value)
        value: object = orjson.dumps(list(ids)).decode()
    else:
        listed = select(func.unnest(bindparam("ids", type_=postgresql.ARRAY(String))))
        value = list(ids)
    query = select(t.alerts.c.id).where(t.alerts.c.id.in_(listed))
    return set((await conn.execute(query, {"ids": value})).scalars())


async def insert_alerts(conn: AsyncConnection, new: NewAlerts) -> None:
    """Insert new alerts, their regions and statistics spans, in bulk: one `executemany`
    straight to the driver per table on SQLite, `COPY` on PostgreSQL (SQLAlchemy's per-row
    parameter processing would cost more than the inserts themselves)."""
    sqlite = conn.dialect.name == "sqlite"
    alerts = [_sqlite_alert(row) for row in new.alerts] if sqlite else new.alerts
    for table, columns, rows in (
        (t.alerts, ALERT_COLUMNS, alerts),
        (t.alert_regions, REGION_COLUMNS, new.regions),
        (alert_spans, SPAN_COLUMNS, new.spans),
    ):
        if rows:
            insert_rows = _sqlite_insert if sqlite else _postgres_copy
            await insert_rows(conn, table.name, columns, rows)


async def _sqlite_insert(
    conn: AsyncConnection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    placeholders = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    await conn.exec_driver_sql(sql, rows)


async def _postgres_copy(
    conn: AsyncConnection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """COPY the rows in, on the transaction's own asyncpg connection."""
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(table, records=rows, columns=columns)


def _sqlite_alert(row: tuple[Any, ...]) -> tuple[Any, ...]:
    id_, status, phase, threat, raised_at, ended_at, expires_at, version, data = row
    times = (_sqlite_time(raised_at), _sqlite_time(ended_at), _sqlite_time(expires_at))
    return (id_, status, phase, threat, *times, version, data)


def _sqlite_time(value: datetime | None) -> str | None:
    """As SQLAlchemy stores a `UTCDateTime` on SQLite: UTC without zone, with microseconds."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


async def save_progress(conn: AsyncConnection, record: ImportRecord, *, new: bool) -> None:
    values = {
        "source": record.source,
        "format": record.format,
        "file": record.file,
        "last_line": record.last_line,
        "added": record.added,
        "existing": record.existing,
        "rejected": record.rejected,
        "started_at": record.started_at,
        "updated_at": record.updated_at,
        "finished_at": record.finished_at,
    }
    if new:
        await conn.execute(insert(history_imports).values(fingerprint=record.fingerprint, **values))
    else:
        await conn.execute(
            update(history_imports)
            .where(history_imports.c.fingerprint == record.fingerprint)
            .values(**values)
        )


async def forget(conn: AsyncConnection, fingerprint: str) -> None:
    await conn.execute(delete(history_imports).where(history_imports.c.fingerprint == fingerprint))

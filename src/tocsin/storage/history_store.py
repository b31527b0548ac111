"""Imported alert history: the progress of each import, and the bulk writes of one batch.

A batch is written inside one `Store.write()` transaction together with its progress row and
its `history.imported` event, so after an interruption the import resumes after the last batch
that committed, and nothing of a batch that did not commit remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tocsin.storage import tables as t
from tocsin.storage.stats_store import alert_spans
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

_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """Where one import of one file stands."""

    fingerprint: str
    source: str
    format: str
    file: str
    last_line: int
    added: int
    existing: int
    rejected: int
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


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


async def existing_ids(conn: AsyncConnection, ids: Sequence[AlertId]) -> set[AlertId]:
    found: set[AlertId] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = await conn.execute(select(t.alerts.c.id).where(t.alerts.c.id.in_(chunk)))
        found.update(rows.scalars())
    return found


async def insert_alerts(
    conn: AsyncConnection,
    alerts: Sequence[dict[str, Any]],
    regions: Sequence[dict[str, Any]],
    spans: Sequence[dict[str, Any]],
) -> None:
    """Insert new alerts (rows of `alerts`), their regions and statistics spans, in bulk."""
    for table, rows in ((t.alerts, alerts), (t.alert_regions, regions), (alert_spans, spans)):
        if not rows:
            continue
        if conn.dialect.name == "sqlite":
            await _sqlite_executemany(conn, table, rows)
        elif conn.dialect.name == "postgresql":
            await _postgres_copy(conn, table, rows)
        else:
            await conn.execute(insert(table), list(rows))


async def _sqlite_executemany(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """One `executemany` straight to the driver, with values as SQLAlchemy would store them
    on SQLite (its per-row parameter processing costs more than the insert itself)."""
    columns = [c for c in table.columns if c.name in rows[0]]
    convert = [_SQLITE.get(type(c.type), _same) for c in columns]
    names = ", ".join(c.name for c in columns)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
    keys = [c.name for c in columns]
    values = [tuple(f(row[k]) for f, k in zip(convert, keys, strict=True)) for row in rows]
    await conn.exec_driver_sql(sql, values)


async def _postgres_copy(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """COPY the rows in, on the transaction's own asyncpg connection."""
    columns = [c.name for c in table.columns if c.name in rows[0]]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    records = [
        tuple(_sqlite_json(row[k]) if k in json_columns else row[k] for k in columns)
        for row in rows
    ]
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


def _same(value: Any) -> Any:
    return value


def _sqlite_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"


def _sqlite_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


_SQLITE: dict[type[Any], Any] = {
    UTCDateTime: _sqlite_time,
    JSON: _sqlite_json,
    Boolean: _sqlite_bool,
}


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

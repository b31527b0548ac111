"""Database engines: SQLite (embedded default, WAL) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tocsin.errors import InvalidInput
from tocsin.storage.sqlite_driver import OneTripDBAPI

DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
WRITE_OPTION = "tocsin_write"
SQLITE_POOL = 16  # connections kept open (and as many more at the busiest)


def database_url(url: str) -> URL:
    """Parse a database URL and pick the async driver tocsin uses for it."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InvalidInput(f"not a database URL: {url!r}", field="database_url") from exc
    driver = DRIVERS.get(parsed.drivername)
    if driver is None:
        raise InvalidInput(
            f"unsupported database {parsed.drivername!r}: use sqlite:///FILE or "
            "postgresql+asyncpg://USER@HOST/DB",
            field="database_url",
        )
    return parsed.set(drivername=driver)


def create_engine(url: str) -> AsyncEngine:
    parsed = database_url(url)
    options: dict[str, Any] = {
        "json_serializer": lambda obj: orjson.dumps(obj).decode(),
        "json_deserializer": orjson.loads,
    }
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, options)
    return create_async_engine(parsed, pool_size=10, max_overflow=20, pool_pre_ping=True, **options)


def _sqlite_engine(url: URL, options: dict[str, Any]) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # a burst of requests keeps its connections: opening one starts a thread, sets the pragmas
    # and makes SQLite read the schema again
    engine = create_async_engine(
        url,
        connect_args={"timeout": 30},
        module=OneTripDBAPI(),
        pool_size=SQLITE_POOL,
        max_overflow=SQLITE_POOL,
        **options,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "busy_timeout=30000",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine

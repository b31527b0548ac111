"""Import of the full official alert history into SQLite and PostgreSQL, against a plain
`executemany` of the same rows.

    python bench/history_import.py [--file official_data_en.csv] [--postgres URL] [--no-postgres]

For each backend, in one run, on fresh databases (schema and region packs loaded):

- import:    `HistoryImporter.run` on the file: read, map names, check, write in batches of
             10,000 (alerts, their regions, statistics spans, progress, one event per batch)
- again:     the same rows from an updated file (one more line, so another fingerprint): every
             row is read and found present, nothing is added
- baseline:  the same alert rows, prepared in memory beforehand, inserted into `alerts` and
             `alert_regions` with one `executemany` each, in one transaction, straight
             through the driver (sqlite3 / asyncpg): the least any import of them must do
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from tocsin.bootstrap import build
from tocsin.config import Settings
from tocsin.domain.alerts import Alert
from tocsin.records.history.importer import HistoryImporter, Prepared

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "alerts" / "official_data_en.csv"
DEFAULT_PG = os.environ.get(
    "TOCSIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def main() -> None:
    args = _arguments()
    results = {}
    for backend in ("sqlite", "postgres"):
        if backend == "postgres" and args.no_postgres:
            continue
        results[backend] = asyncio.run(run_backend(backend, args.file, args.postgres))
    for backend, (imported, cpu, baseline, base_cpu, rows) in results.items():
        print(
            f"{backend:>8}: import {imported:6.2f} s ({rows / imported:,.0f} rows/s, CPU of "
            f"this process {cpu:5.2f} s); baseline executemany {baseline:6.2f} s (CPU "
            f"{base_cpu:5.2f} s); ratio {imported / baseline:.2f}×"
        )


def prepare_only(importer: HistoryImporter, file: Path) -> float:
    """The import's work before the database: read, check, map, build every table's rows."""
    started = time.perf_counter()
    for item in importer.prepare(file, "ua-official", "ua-official"):
        if isinstance(item, Prepared):
            item.alert_row()
            item.span_rows(importer._lineage_of(item.item.region))
    return time.perf_counter() - started


async def run_backend(
    backend: str, file: Path, pg_url: str
) -> tuple[float, float, float, float, int]:
    async with fresh(backend, pg_url) as url:
        tocsin = await build(Settings(database_url=url))
        try:
            importer = HistoryImporter(tocsin.bus, tocsin.store)
            prepared = prepare_only(importer, file)
            print(
                f"{backend}: reading, mapping and preparing the rows alone (no database): "
                f"{prepared:.2f} s"
            )
            started, cpu = time.perf_counter(), time.process_time()
            report = await importer.run(file, "ua-official", actor="bench")
            imported, cpu = time.perf_counter() - started, time.process_time() - cpu
            again = await import_again(importer, file)
            alerts = [
                p.alert()
                for p in importer.prepare(file, "ua-official", report.source)
                if isinstance(p, Prepared)
            ]
        finally:
            await tocsin.close()
        print(f"{backend}: {report.added} alerts imported, {report.rejected} rows rejected")
        print(f"{backend}: the same rows again from an updated file (all present): {again:.2f} s")
    async with fresh(backend, pg_url) as url:
        tocsin = await build(Settings(database_url=url))
        await tocsin.close()
        baseline, base_cpu = await plain_executemany(backend, url, alerts)
    return imported, cpu, baseline, base_cpu, len(alerts)


async def import_again(importer: HistoryImporter, file: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        updated = updated_copy(file, Path(tmp))
        started = time.perf_counter()
        report = await importer.run(updated, "ua-official", actor="bench")
        seconds = time.perf_counter() - started
    assert report.added == 0 and not report.already_imported
    return seconds


def updated_copy(file: Path, folder: Path) -> Path:
    """The file with one more (blank) line: the same rows, another fingerprint."""
    updated = folder / file.name
    updated.write_bytes(file.read_bytes() + b"\n")
    return updated


async def plain_executemany(backend: str, url: str, alerts: list[Alert]) -> tuple[float, float]:
    """Wall and CPU seconds of the inserts alone (the rows are built before the clock starts)."""
    rows = [_row(a) for a in alerts]
    regions = [(a.id, code) for a in alerts for code in a.regions]
    sql = (
        "INSERT INTO alerts (id, status, phase, threat, raised_at, ended_at, expires_at, "
        "version, data) VALUES ({})"
    )
    if backend == "sqlite":
        path = url.removeprefix("sqlite:///")
        started, cpu = time.perf_counter(), time.process_time()
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql.format(", ".join("?" * 9)), [_sqlite(r) for r in rows])
        db.executemany("INSERT INTO alert_regions (alert_id, region) VALUES (?, ?)", regions)
        db.execute("COMMIT")
        db.close()
        return time.perf_counter() - started, time.process_time() - cpu
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    started, cpu = time.perf_counter(), time.process_time()
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.executemany(sql.format(", ".join(f"${i}" for i in range(1, 10))), rows)
            await conn.executemany(
                "INSERT INTO alert_regions (alert_id, region) VALUES ($1, $2)", regions
            )
    finally:
        await conn.close()
    return time.perf_counter() - started, time.process_time() - cpu


def _row(a: Alert) -> tuple[Any, ...]:
    return (
        a.id,
        a.status.value,
        a.phase.value,
        a.threat,
        a.raised_at,
        a.ended_at,
        a.expires_at,
        a.version,
        orjson.dumps(a.to_json()).decode(),
    )


def _sqlite(row: tuple[Any, ...]) -> tuple[Any, ...]:
    def plain(value: Any) -> Any:
        return value.replace(tzinfo=None).isoformat(" ") if hasattr(value, "tzinfo") else value

    return tuple(plain(v) for v in row)


class fresh:
    """A new, empty database for one measurement; removed afterwards."""

    def __init__(self, backend: str, pg_url: str) -> None:
        self.backend, self.pg_url = backend, pg_url
        self.name = f"tocsin_bench_{uuid.uuid4().hex[:8]}"
        self.tmp: tempfile.TemporaryDirectory[str] | None = None

    async def __aenter__(self) -> str:
        if self.backend == "sqlite":
            self.tmp = tempfile.TemporaryDirectory()
            return f"sqlite:///{self.tmp.name}/bench.db"
        await _admin(self.pg_url, f"CREATE DATABASE {self.name}")
        return (
            self.pg_url.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
            + "/"
            + self.name
        )

    async def __aexit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()
        else:
            await _admin(self.pg_url, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time the history import.")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    main()

"""Shared fixtures: real databases (SQLite and PostgreSQL), the wired services, an API client,
real NATS servers (one, or a cluster of three).

Set `TOCSIN_REQUIRE_SERVICES=1` (CI does) to turn every skip into a failure: then a test that
cannot reach PostgreSQL or run `nats-server`, or cannot find ../shared/data, fails the run
instead of passing quietly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
import uvicorn

from nats_support import (
    Nats,
    cluster_settings,
    nats_server_binary,
    running_nats,
    started_node,
    unique_cluster,
)
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.service.ports import ManualClock

T = TypeVar("T")
REQUIRE_SERVICES = os.environ.get("TOCSIN_REQUIRE_SERVICES") == "1"
# every test database, copied from templates or shared across processes, is audited with one key
AUDIT_KEY = "tocsin-tests-audit-key"
os.environ.setdefault("TOCSIN_AUDIT_KEY", AUDIT_KEY)
# the many servers the tests start (in process and as subprocesses, which inherit this) read
# no report at start: each would spend seconds of CPU building the lexicons; the report tests
# build them once per process on first use
os.environ.setdefault("TOCSIN_REPORTS_WARM", "false")
POSTGRES_URL = os.environ.get(
    "TOCSIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TOCSIN_SHARED_DATA", REPO.parent / "shared" / "data"))
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SNAPSHOT_TABLES = ("log_head", "events", "regions", "audit", "alembic_version")
# what a test may change in a region; the shapes (megabytes) are only compared by length, so an
# unchanged region table is kept between tests instead of copied back each time
REGIONS_FINGERPRINT = (
    "SELECT count(*), md5(string_agg(concat_ws('|', code, position, parent, level, names::text,"
    " time_to_shelter, length(geometry), md5(geometry), external_id, pack, katottg,"
    " aliases::text), ',' ORDER BY code)) FROM regions"
)

_skipped: list[str] = []


def need(reason: str) -> None:
    """Skip for want of a service or data, or fail when they are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required but unavailable: {reason}")
    pytest.skip(reason)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skips (fails in CI) when it is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        need(f"{path} not found (set TOCSIN_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The root of ../shared/data; skips (fails in CI) when it is not there."""
    return shared_data()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_SERVICES and _skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REQUIRE_SERVICES and _skipped:
        terminalreporter.write_line(
            f"TOCSIN_REQUIRE_SERVICES=1 and {len(_skipped)} test(s) were skipped: failing the run",
            red=True,
        )


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    base = url.replace("postgresql+asyncpg://", "postgresql://")
    if database is None:
        return base
    return base.rsplit("/", 1)[0] + "/" + database


class PostgresDatabase:
    """A private database for this test session, reset to the template before each test."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dsn = _asyncpg_dsn(POSTGRES_URL, name)
        self.url = self.dsn.replace("postgresql://", "postgresql+asyncpg://")
        self.snapshot: dict[str, list[tuple[Any, ...]]] = {}
        self.regions: tuple[Any, ...] = ()

    async def capture(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            for table in SNAPSHOT_TABLES:
                self.snapshot[table] = [
                    tuple(r) for r in await conn.fetch(f"SELECT * FROM {table}")
                ]
            self.regions = tuple(await conn.fetchrow(REGIONS_FINGERPRINT))
        finally:
            await conn.close()

    async def reset(self) -> None:
        """Back to the template's rows; fails (naming who holds the tables) rather than wait
        for ever when a connection left by an earlier test keeps them locked."""
        conn = await asyncpg.connect(self.dsn)
        try:
            async with conn.transaction():
                await conn.execute("SET LOCAL lock_timeout = '30s'")
                tables = {
                    r["tablename"]
                    for r in await conn.fetch(
                        "SELECT tablename FROM pg_tables WHERE schemaname='public'"
                    )
                }
                if await self._regions_unchanged(conn):
                    tables.discard("regions")
                try:
                    await conn.execute(f"TRUNCATE {', '.join(sorted(tables))}")
                except asyncpg.LockNotAvailableError:
                    holders = await self._others()
                    raise AssertionError(f"the tables stay locked by: {holders}") from None
                for table, rows in self.snapshot.items():
                    if rows and table in tables:
                        await conn.copy_records_to_table(table, records=rows)
        finally:
            await conn.close()

    async def _regions_unchanged(self, conn: asyncpg.Connection) -> bool:
        try:
            async with conn.transaction():  # a savepoint: a schema a test changed is "changed"
                return tuple(await conn.fetchrow(REGIONS_FINGERPRINT)) == self.regions
        except asyncpg.PostgresError:
            return False

    async def _others(self) -> list[dict[str, Any]]:
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch(
                "SELECT pid, application_name, state, xact_start, left(query, 200) AS query"
                " FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.name,
            )
            return [dict(row) for row in rows]
        finally:
            await conn.close()


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_apart(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a loop of its own (session fixtures may be set up inside a test's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _prepare(url: str) -> None:
    tocsin = await build(Settings(database_url=url))
    await tocsin.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "tocsin.db"
    run_apart(_prepare(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    name = f"tocsin_test_{uuid.uuid4().hex[:10]}"
    try:
        run_apart(_admin(f"CREATE DATABASE {name}"))
    except (OSError, asyncpg.PostgresError) as exc:
        need(f"PostgreSQL at {POSTGRES_URL} is not available: {exc}")
    database = PostgresDatabase(name)
    try:
        run_apart(_prepare(database.url))
        run_apart(database.capture())
        yield database
    finally:
        run_apart(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _nats_binary() -> str:
    binary = nats_server_binary()
    if binary is None:
        need("nats-server is not installed (Debian package nats-server)")
    assert binary is not None
    return binary


@pytest.fixture(scope="session")
def nats_single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nats]:
    """One nats-server with JetStream, shared by the session's tests (each its own cluster)."""
    with running_nats(_nats_binary(), tmp_path_factory.mktemp("nats1")) as nats:
        yield nats


@pytest.fixture(scope="session")
def nats_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nats]:
    """Three routed nats-servers with JetStream (for R3 streams), shared by the session."""
    with running_nats(_nats_binary(), tmp_path_factory.mktemp("nats3"), size=3) as nats:
        yield nats


@pytest.fixture
def nats_cluster_own(tmp_path: Path) -> Iterator[Nats]:
    """Three routed nats-servers for one test alone (one that kills a server)."""
    with running_nats(_nats_binary(), tmp_path / "nats", size=3) as nats:
        yield nats


@pytest.fixture
async def postgres_url(postgres_database: PostgresDatabase) -> str:
    """The session's PostgreSQL database, reset for this test."""
    await postgres_database.reset()
    return postgres_database.url


@pytest.fixture
async def cluster_node(postgres_url: str, nats_single: Nats) -> AsyncIterator[Tocsin]:
    """A started node in cluster mode: PostgreSQL, one NATS server, a cluster name of its own."""
    async with started_node(cluster_settings(postgres_url, nats_single, unique_cluster())) as node:
        yield node


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with the schema and the built-in region packs, fresh for each test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "tocsin.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    await database.reset()
    return database.url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def tocsin(database_url: str, clock: ManualClock) -> AsyncIterator[Tocsin]:
    app = await build(Settings(database_url=database_url, channels=()), clock=clock)
    try:
        yield app
    finally:
        await app.close()
        await sqlite_threads_finished()


async def sqlite_threads_finished(timeout: float = 2.0) -> None:
    """Wait while aiosqlite's connection threads finish what they were given.

    A task cancelled in the middle of a query leaves its connection's thread running the query;
    when it finishes, the thread hands the result to the test's event loop, which must still be
    open then.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(
        thread.name.endswith("(_connection_worker_thread)") for thread in threading.enumerate()
    ):
        await asyncio.sleep(0.01)


@pytest.fixture
async def client(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(tocsin.settings)
    app.state.tocsin = tocsin
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as http:
        yield http


async def bearer(tocsin: Tocsin, role: str = "admin", *regions: str) -> dict[str, str]:
    """Authorization headers for a new token."""
    new = await tocsin.tokens.create(role, regions, name=f"test-{role}")
    return {"Authorization": f"Bearer {new.secret}"}


@pytest.fixture
async def admin(tocsin: Tocsin) -> dict[str, str]:
    return await bearer(tocsin, "admin")


@pytest.fixture
def live_server(database_url: str) -> Iterator[str]:
    """A real server on a free loopback port, over the test's database."""
    with serving(Settings(database_url=database_url)) as url:
        yield url


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """A real server with these settings on a free loopback port, in a thread of its own."""
    with running_app(create_app(settings), timeout_graceful_shutdown=2) as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def running_app(app: Any, **config: Any) -> Iterator[int]:
    """uvicorn serving `app` on a free loopback port (yielded), in a thread of its own;
    `config` goes to `uvicorn.Config` (e.g. `http="h11"`)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    options: dict[str, Any] = {"log_level": "warning", "lifespan": "on", **config}
    live = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not live.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        live.should_exit = True
        thread.join(10)

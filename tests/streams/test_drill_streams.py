"""The live streams connected during a drill, counted by every node and summed in its report:
real SSE and WebSocket clients of real servers, one node or two on one PostgreSQL database."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
import websockets
from alembic import command

from conftest import running_app
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.service.ports import ManualClock
from tocsin.storage import migrate
from tocsin.storage.drill_store import DrillStore
from tocsin.streams.admission import Admission
from tocsin.streams.drills import DrillStreams
from tocsin.types import iso_time

Json = dict[str, Any]


async def admin_token(database_url: str) -> dict[str, str]:
    tocsin = await build(Settings(database_url=database_url, channels=()))
    try:
        new = await tocsin.tokens.create("admin", name="drill streams test")
    finally:
        await tocsin.close()
    return {"Authorization": f"Bearer {new.secret}"}


@contextlib.contextmanager
def node(database_url: str, clock: ManualClock) -> Iterator[str]:
    """A real server whose alerts and drills keep `clock`; the scheduler turns often."""
    settings = Settings(database_url=database_url, channels=(), expiry_interval=0.1)

    async def factory() -> Tocsin:
        return await build(settings, clock=clock)

    with running_app(create_app(settings, factory=factory), timeout_graceful_shutdown=2) as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def sse(http: httpx.AsyncClient) -> AsyncIterator[None]:
    """An SSE stream, held open (admitted: its `ready` came) until the block ends."""
    async with http.stream("GET", "/v1/stream") as response:
        assert response.status_code == 200
        lines = response.aiter_lines()
        while not (await anext(lines)).startswith("event: ready"):
            pass
        yield
        await lines.aclose()


@contextlib.asynccontextmanager
async def socket(url: str) -> AsyncIterator[None]:
    async with websockets.connect(url.replace("http", "ws", 1) + "/v1/stream/ws") as ws:
        assert '"type":"open"' in str(await ws.recv())
        yield


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def subscribers(http: httpx.AsyncClient, headers: dict[str, str]) -> int:
    found: int = (await http.get("/v1/channels", headers=headers)).json()["streams"]["subscribers"]
    return found


async def schedule(http: httpx.AsyncClient, headers: dict[str, str], at: datetime) -> str:
    body = {
        "title": "Stream drill",
        "threat": "missile",
        "regions": ["UA-63"],
        "scheduled_for": iso_time(at),
        "announce_before": 0,
        "duration": 600,
        "sirens": False,
    }
    made = await http.post("/v1/drills", json=body, headers=headers)
    assert made.status_code == 201, made.text
    drill_id: str = made.json()["id"]
    return drill_id


async def report(http: httpx.AsyncClient, headers: dict[str, str], drill_id: str) -> Json:
    got = await http.get(f"/v1/drills/{drill_id}/report", headers=headers)
    assert got.status_code == 200, got.text
    found: Json = got.json()
    return found


async def stored_report(database_url: str, drill_id: str) -> Json:
    tocsin = await build(Settings(database_url=database_url, channels=()))
    try:
        found: Json = (await tocsin.drills.report(drill_id))["stream_clients"]
    finally:
        await tocsin.close()
    return found


def clock_now() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


async def test_clients_connected_during_a_drill_are_counted_and_later_ones_not(
    database_url: str,
) -> None:
    headers = await admin_token(database_url)
    clock = clock_now()
    with node(database_url, clock) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            drill_id = await schedule(http, headers, clock.now() + timedelta(hours=2))
            async with sse(http):
                pass  # opened and closed before the drill: not counted
            async with sse(http), sse(http), socket(url):
                await until(lambda: _equals(subscribers(http, headers), 3), "the server to see 3")
                clock.advance(2 * 3600)

                async def started() -> bool:
                    nodes = (await report(http, headers, drill_id))["stream_clients"]
                    return nodes is not None and len(nodes["nodes"]) == 1

                await until(started, "the drill to start and its streams to be noted")
                async with sse(http):  # joins during the drill
                    await until(lambda: _equals(subscribers(http, headers), 4), "4 streams")
                clock.advance(600)

                async def ended() -> bool:
                    found = (await report(http, headers, drill_id))["stream_clients"]
                    return bool(found["nodes"][0]["until"])

                await until(ended, "the drill's end to be noted")
            async with sse(http):  # after the end: not counted
                await until(lambda: _equals(subscribers(http, headers), 1), "1 stream")
                await asyncio.sleep(0.3)
    # read after the server has stopped (and written what it still held)
    found = await stored_report(database_url, drill_id)
    assert found["by_kind"]["sse"] == {"at_start": 2, "joined": 1, "connected": 3, "peak": 3}
    assert found["by_kind"]["websocket"] == {
        "at_start": 1,
        "joined": 0,
        "connected": 1,
        "peak": 1,
    }
    assert found["total"] == {"at_start": 3, "joined": 1, "connected": 4, "peak": 4}
    [row] = found["nodes"]
    assert row["from"] <= row["until"]


async def test_two_nodes_on_one_database_are_summed(postgres_url: str) -> None:
    headers = await admin_token(postgres_url)
    first_clock, second_clock = clock_now(), clock_now()
    with node(postgres_url, first_clock) as first, node(postgres_url, second_clock) as second:
        async with (
            httpx.AsyncClient(base_url=first, timeout=20) as one,
            httpx.AsyncClient(base_url=second, timeout=20) as two,
        ):
            drill_id = await schedule(one, headers, first_clock.now() + timedelta(hours=2))
            async with sse(one), sse(one), socket(second):
                await until(lambda: _equals(subscribers(one, headers), 2), "2 on the first")
                await until(lambda: _equals(subscribers(two, headers), 1), "1 on the second")
                for clock in (first_clock, second_clock):
                    clock.advance(2 * 3600)

                async def noted(count: int) -> bool:
                    found = (await report(one, headers, drill_id))["stream_clients"]
                    return found is not None and len(found["nodes"]) == count

                await until(lambda: noted(2), "both nodes to note the drill's streams")
                async with sse(two):
                    await until(lambda: _equals(subscribers(two, headers), 2), "2 on the second")
                for clock in (first_clock, second_clock):
                    clock.advance(600)

                async def ended() -> bool:
                    found = (await report(two, headers, drill_id))["stream_clients"]
                    return all(n["until"] for n in found["nodes"])

                await until(ended, "both nodes to note the drill's end")
                found = (await report(two, headers, drill_id))["stream_clients"]
    assert found["total"]["connected"] == 4
    assert found["by_kind"]["sse"]["connected"] == 3 and found["by_kind"]["sse"]["joined"] == 1
    assert found["by_kind"]["websocket"]["connected"] == 1
    by_node = sorted(n["peak"] for n in found["nodes"])
    assert by_node == [2, 2]  # two SSE on the first; a socket, then an SSE too, on the second


def test_a_tally_counts_from_its_start_until_it_stops() -> None:
    admission = Admission()
    before = admission.admit("10.0.0.1", "sse")
    gone = admission.admit("10.0.0.2", "radio")
    gone.release()
    tally = admission.tally()
    joined = admission.admit("10.0.0.3", "websocket")
    joined.release()
    again = admission.admit("10.0.0.3", "websocket")
    before.release()
    tally.stop()
    admission.admit("10.0.0.4", "sse")  # after: not counted
    assert tally.counts() == {
        "sse": {"at_start": 1, "joined": 0, "connected": 1, "peak": 1},
        "websocket": {"at_start": 0, "joined": 2, "connected": 2, "peak": 1},
    }
    assert tally.peak_total == 2
    again.release()
    assert admission.by_kind["websocket"] == 0 and admission.open == 1


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def test_a_node_writes_its_count_as_it_goes_so_a_crash_loses_little(tocsin: Tocsin) -> None:
    """Without the hub's events (a node started while the drill runs): the drills' table is
    read each turn, and the row is written each turn, before the drill ends."""
    clock = tocsin.clock
    assert isinstance(clock, ManualClock)
    drill = await tocsin.drills.schedule(
        LOCAL_ADMIN, title="Drill", threat="missile", regions=("UA-63",), announce_before=0,
        scheduled_for=clock.now() + timedelta(hours=1), duration=600, sirens=False,
    )  # fmt: skip
    admission = Admission()
    before = admission.admit("10.0.0.1", "sse")
    store = DrillStore(tocsin.store.engine)
    counter = DrillStreams(admission, store, clock, "node-a", interval=0.05)
    counter.start()
    try:
        await asyncio.sleep(0.2)
        assert await store.streams(drill.id) == []  # not started: nothing counted
        clock.advance(3600)
        await tocsin.drills.tick()

        async def counted(kind: str, connected: int) -> bool:
            rows = await store.streams(drill.id)
            return bool(rows) and rows[0]["counts"].get(kind, {}).get("connected") == connected

        await until(lambda: counted("sse", 1), "the open stream written")
        admission.admit("10.0.0.2", "radio")
        await until(lambda: counted("radio", 1), "the radio stream written, the drill running")
    finally:
        assert counter._task is not None
        counter._task.cancel()  # a crash: no last write
        with contextlib.suppress(asyncio.CancelledError):
            await counter._task
    [row] = await store.streams(drill.id)
    assert row["watched_until"] is None and row["node"] == "node-a"
    assert row["counts"]["sse"] == {"at_start": 1, "joined": 0, "connected": 1, "peak": 1}
    assert row["peak_total"] == 2
    before.release()
    report = await tocsin.drills.report(drill.id)
    assert report["stream_clients"]["total"]["connected"] == 2
    assert [n["role"] for n in report["stream_clients"]["nodes"]] == ["server"]
    # without NATS no writer copies edge nodes' counts: the report says they are not measured
    assert any("edge nodes" in note for note in report["not_measured"])


async def test_rows_written_before_roles_were_kept_are_a_server_nodes(tocsin: Tocsin) -> None:
    """Migration 0018: the rows already there get `role` `server`; down again, it is gone."""
    engine = tocsin.store.engine

    async def to(revision: str, up: bool) -> None:
        move = command.upgrade if up else command.downgrade
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: move(migrate._config(sync), revision))

    await to("0017", up=False)
    now = tocsin.clock.now()
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO drill_streams (drill_id, node, watched_from, updated_at, counts, "
                "peak_total) VALUES ('d1', 'old-node', :now, :now, '{}', 3)"
            ),
            {"now": now},
        )
    await to("head", up=True)
    [row] = await DrillStore(engine).streams("d1")
    assert (row["node"], row["role"], row["peak_total"]) == ("old-node", "server", 3)
    await to("0017", up=False)
    async with engine.connect() as conn:
        columns = (await conn.execute(sa.text("SELECT * FROM drill_streams"))).keys()
    assert "role" not in columns and "node" in columns
    await to("head", up=True)


class ListedRecord:
    """A `StreamRecord` whose list of running drills the test sets (an edge's, from NATS)."""

    def __init__(self) -> None:
        self.listed: list[tuple[str, datetime]] = []
        self.written: list[tuple[str, datetime | None]] = []

    async def running(self) -> list[tuple[str, datetime]]:
        return list(self.listed)

    async def write_streams(
        self,
        drill_id: str,
        node: str,
        watched_from: datetime,
        watched_until: datetime | None,
        now: datetime,
        counts: dict[str, dict[str, int]],
        peak_total: int,
    ) -> None:
        self.written.append((drill_id, watched_until))


async def test_a_list_that_lags_the_start_ends_a_drill_only_once_it_listed_it() -> None:
    clock = clock_now()
    ends = clock.now() + timedelta(minutes=10)
    lagging, record = ListedRecord(), ListedRecord()
    edge = DrillStreams(Admission(), lagging, clock, "edge", listed_first=True)
    server = DrillStreams(Admission(), record, clock, "server")
    for counter in (edge, server):
        counter.begin("d1", ends, clock.now())  # its `drill.started`
        await counter.turn()  # the list does not have it yet
    assert "d1" in edge.watches and lagging.written == [("d1", None)]
    assert "d1" not in server.watches and record.written == [("d1", clock.now())]
    lagging.listed = [("d1", ends)]
    await edge.turn()
    assert "d1" in edge.watches
    clock.advance(60)
    lagging.listed = []  # the drill ended (its event missed)
    await edge.turn()
    assert "d1" not in edge.watches and lagging.written[-1] == ("d1", clock.now())
    lagging.listed = [("d1", ends)]  # a stale list does not start it again
    await edge.turn()
    assert "d1" not in edge.watches

"""Edge nodes' live streams during a drill reach its report: each edge puts its count in NATS,
a writer copies it into the database. Real writers and edges (uvicorn), real SSE and WebSocket
clients, PostgreSQL and nats-server with JetStream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import websockets

from conftest import running_app
from nats_support import Nats, cluster_settings, eventually, unique_cluster
from tocsin.api.app import create_app
from tocsin.api.edge import create_edge_app
from tocsin.bootstrap import Tocsin, build
from tocsin.cluster.drill_counts import CountBucket
from tocsin.cluster.link import Link, Names, StreamSpec
from tocsin.cluster.snapshots import SnapshotBucket
from tocsin.config import Settings
from tocsin.edge import Edge, build_edge
from tocsin.live.snapshot import Snapshot
from tocsin.service.ports import ManualClock
from tocsin.types import iso_time

pytestmark = pytest.mark.postgres

Json = dict[str, Any]
INTERVAL = 0.2  # seconds between a node's writes of its count, and between the writer's copies


def writer_settings(database: str, nats: Nats, cluster: str) -> Settings:
    return cluster_settings(
        database,
        nats,
        cluster,
        expiry_interval=0.1,
        snapshot_interval=INTERVAL,
        drill_streams_interval=INTERVAL,
    )


@contextlib.contextmanager
def writer(settings: Settings, clock: ManualClock) -> Iterator[str]:
    """A writer node served by uvicorn, its alerts and drills keeping `clock`."""

    async def factory() -> Tocsin:
        return await build(settings, clock=clock)

    with running_app(create_app(settings, factory=factory), timeout_graceful_shutdown=2) as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def edge(settings: Settings, name: str) -> Iterator[str]:
    edge_settings = Settings(
        nats_url=settings.nats_url,
        cluster=settings.cluster,
        node_name=name,
        edge_start_timeout=30,
        drill_streams_interval=INTERVAL,
    )

    async def factory() -> Edge:
        return await build_edge(edge_settings)

    app = create_edge_app(edge_settings, factory=factory)
    with running_app(app, timeout_graceful_shutdown=2) as port:
        yield f"http://127.0.0.1:{port}"


async def admin_token(database_url: str) -> dict[str, str]:
    tocsin = await build(Settings(database_url=database_url, channels=()))
    try:
        new = await tocsin.tokens.create("admin", name="edge drill streams test")
    finally:
        await tocsin.close()
    return {"Authorization": f"Bearer {new.secret}"}


@contextlib.asynccontextmanager
async def sse(url: str) -> AsyncIterator[None]:
    """An SSE stream, held open (admitted: its `ready` came) until the block ends."""
    async with (
        httpx.AsyncClient(base_url=url, timeout=20) as http,
        http.stream("GET", "/v1/stream") as response,
    ):
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


async def schedule(url: str, headers: dict[str, str], at: datetime) -> str:
    body = {
        "title": "Edge stream drill",
        "threat": "missile",
        "regions": ["UA-63"],
        "scheduled_for": iso_time(at),
        "announce_before": 0,
        "duration": 600,
        "sirens": False,
    }
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        made = await http.post("/v1/drills", json=body, headers=headers)
    assert made.status_code == 201, made.text
    drill_id: str = made.json()["id"]
    return drill_id


async def report(url: str, headers: dict[str, str], drill_id: str) -> Json:
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        got = await http.get(f"/v1/drills/{drill_id}/report", headers=headers)
    assert got.status_code == 200, got.text
    found: Json = got.json()
    return found


def edge_row(found: Json) -> Json | None:
    streams = found["stream_clients"]
    rows = [] if streams is None else [n for n in streams["nodes"] if n["role"] == "edge"]
    return rows[0] if rows else None


async def edge_connected(url: str, headers: dict[str, str], drill_id: str, kind: str) -> int:
    row = edge_row(await report(url, headers, drill_id))
    return -1 if row is None else int(row["by_kind"].get(kind, {}).get("connected", 0))


def clock_now() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


async def test_an_edges_streams_are_counted_with_the_writers_and_later_ones_not(
    postgres_url: str, nats_single: Nats
) -> None:
    headers = await admin_token(postgres_url)
    clock = clock_now()
    settings = writer_settings(postgres_url, nats_single, unique_cluster())
    with writer(settings, clock) as w, edge(settings, "edge-one") as e:
        drill_id = await schedule(w, headers, clock.now() + timedelta(hours=2))
        async with sse(e), sse(e), socket(e), sse(w):
            clock.advance(2 * 3600)

            async def both_noted() -> bool:
                found = (await report(w, headers, drill_id))["stream_clients"]
                return found is not None and {n["role"] for n in found["nodes"]} == {
                    "server",
                    "edge",
                }

            await eventually(both_noted, timeout=30)
            async with sse(e):  # joins the edge during the drill
                await eventually(lambda: _is(edge_connected(w, headers, drill_id, "sse"), 3))
            clock.advance(600)

            async def ended() -> bool:
                found = (await report(w, headers, drill_id))["stream_clients"]
                return all(n["until"] for n in found["nodes"])

            await eventually(ended, timeout=30)
        async with sse(e), socket(e):  # after the end: not counted
            await asyncio.sleep(6 * INTERVAL)  # several of the edge's writes and the copies
            found = await report(w, headers, drill_id)
    streams = found["stream_clients"]
    row = edge_row(found)
    assert row is not None and row["node"] == "edge-one" and row["from"] <= row["until"]
    assert row["by_kind"]["sse"] == {"at_start": 2, "joined": 1, "connected": 3, "peak": 3}
    assert row["by_kind"]["websocket"] == {"at_start": 1, "joined": 0, "connected": 1, "peak": 1}
    assert row["peak"] == 4
    [server] = [n for n in streams["nodes"] if n["role"] == "server"]
    assert server["by_kind"]["sse"]["connected"] == 1
    assert streams["by_kind"]["sse"] == {"at_start": 3, "joined": 1, "connected": 4, "peak": 4}
    assert streams["total"]["connected"] == 5
    assert not any("edge" in note for note in found["not_measured"])
    assert any("heard the sirens" in note for note in found["not_measured"])


async def test_a_writer_restarted_during_the_drill_still_copies_the_edges_count(
    postgres_url: str, nats_single: Nats
) -> None:
    headers = await admin_token(postgres_url)
    clock = clock_now()
    cluster = unique_cluster()
    settings = writer_settings(postgres_url, nats_single, cluster)
    link = await Link.connect([nats_single.url], Names(cluster), StreamSpec())
    first = contextlib.ExitStack()
    held = contextlib.AsyncExitStack()
    try:
        w = first.enter_context(writer(settings, clock))
        with edge(settings, "edge-two") as e:
            drill_id = await schedule(w, headers, clock.now() + timedelta(hours=2))
            await held.enter_async_context(sse(e))
            clock.advance(2 * 3600)
            await eventually(lambda: _is(edge_connected(w, headers, drill_id, "sse"), 1))
            first.close()  # the writer stops in the middle of the drill
            bucket = await CountBucket.open(link)

            async def joined_in_bucket() -> bool:
                return any(
                    entry["drill_id"] == drill_id
                    and entry["counts"].get("websocket", {}).get("joined") == 1
                    for _, entry in (await bucket.entries()).values()
                )

            async with sse(e), socket(e):  # while no writer runs
                await eventually(joined_in_bucket, timeout=30)
            with writer(settings, clock) as second:
                clock.advance(600)

                async def ended() -> bool:
                    row = edge_row(await report(second, headers, drill_id))
                    return row is not None and bool(row["until"])

                await eventually(ended, timeout=30)
                found = await report(second, headers, drill_id)

                async def copied_and_gone() -> bool:  # the last count, once copied
                    entries = await bucket.entries()
                    return not any(entry["drill_id"] == drill_id for _, entry in entries.values())

                await eventually(copied_and_gone, timeout=30)
            await held.aclose()
    finally:
        await held.aclose()
        first.close()
        await link.close()
    row = edge_row(found)
    assert row is not None
    assert row["by_kind"]["sse"] == {"at_start": 1, "joined": 1, "connected": 2, "peak": 2}
    assert row["by_kind"]["websocket"] == {"at_start": 0, "joined": 1, "connected": 1, "peak": 1}
    assert found["stream_clients"]["total"]["connected"] == 3


async def _is(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def test_an_edge_started_during_a_drill_counts_from_its_own_start(
    postgres_url: str, nats_single: Nats
) -> None:
    """It did not read the `drill.started` event: it learns of the drill from the bucket."""
    headers = await admin_token(postgres_url)
    clock = clock_now()
    settings = writer_settings(postgres_url, nats_single, unique_cluster())
    with writer(settings, clock) as w:
        drill_id = await schedule(w, headers, clock.now() + timedelta(hours=2))
        clock.advance(2 * 3600)

        async def started() -> bool:
            return (await report(w, headers, drill_id))["drill"]["state"] == "running"

        await eventually(started, timeout=30)
        link = await Link.connect([nats_single.url], Names(settings.cluster), StreamSpec())
        try:
            snapshots = await SnapshotBucket.open(link)

            async def snapshot_after_the_start() -> bool:
                data = await snapshots.get()
                return data is not None and Snapshot.decode(data).seq == await link.last_seq()

            await eventually(snapshot_after_the_start, timeout=30)
        finally:
            await link.close()
        with edge(settings, "edge-late") as e:
            async with sse(e), socket(e):
                await eventually(lambda: _is(edge_connected(w, headers, drill_id, "websocket"), 1))
            found = await report(w, headers, drill_id)
    row = edge_row(found)
    assert row is not None and row["until"] is None  # still counting when read
    assert row["by_kind"]["sse"]["connected"] == 1
    assert row["by_kind"]["websocket"]["connected"] == 1

"""Edge nodes: no database, the public reads from the snapshot bucket and the event stream.

An edge answers the public reads byte for byte as the writer does, follows what the writer
commits after it started, refuses every write with a problem naming where writes go, and says
clearly why it cannot start when no writer has put a snapshot yet."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import orjson
import pytest
import websockets
from cluster_support import OBLASTS, raise_alerts
from typer.testing import CliRunner

from conftest import running_app
from nats_support import Nats, cluster_settings, eventually, started_node, unique_cluster
from tocsin.api.app import create_app
from tocsin.api.edge import create_edge_app
from tocsin.bootstrap import Tocsin
from tocsin.cli import app as cli
from tocsin.cluster.snapshots import SnapshotBucket, SnapshotTooLarge
from tocsin.config import Settings
from tocsin.domain.alerts import RaiseAlert, Status
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.commands import UpdateRegion
from tocsin.edge import Edge, NoSnapshot, build_edge
from tocsin.live.snapshot import Snapshot

pytestmark = pytest.mark.postgres

WRITER_URL = "https://ops.example.org"


@contextlib.asynccontextmanager
async def client(app: object, node: object) -> AsyncIterator[httpx.AsyncClient]:
    app.state.tocsin = node  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as http:
        yield http


@contextlib.asynccontextmanager
async def started_edge(settings: Settings) -> AsyncIterator[Edge]:
    edge = await build_edge(settings)
    try:
        await edge.start()
        yield edge
    finally:
        await edge.close()


@pytest.fixture
async def writer(postgres_url: str, nats_single: Nats) -> AsyncIterator[Tocsin]:
    settings = cluster_settings(
        postgres_url, nats_single, unique_cluster(), snapshot_interval=0.2, writer_url=WRITER_URL
    )
    async with started_node(settings) as node:
        yield node


def edge_settings(writer: Tocsin) -> Settings:
    return Settings(
        nats_url=writer.settings.nats_url,
        cluster=writer.settings.cluster,
        writer_url=WRITER_URL,
        edge_start_timeout=30,
    )


async def snapshot_at(writer: Tocsin) -> int:
    """The seq of the snapshot in the bucket once it has caught up with the writer's log."""
    assert writer.link is not None
    bucket = await SnapshotBucket.open(writer.link)

    async def caught_up() -> bool:
        data = await bucket.get()
        return data is not None and Snapshot.decode(data).seq == writer.log.head

    await eventually(caught_up)
    return writer.log.head


PUBLIC_READS = [
    "/v1/alerts/active",
    "/v1/alerts/active?status=all",
    "/v1/alerts/active?region=UA-05",
    "/v1/regions/states",
    "/v1/regions/states?status=exercise",
    "/v1/regions/UA-05/state",
    "/v1/regions?level=oblast",
    "/v1/iot/states",
    "/v1/iot/regions?level=oblast",
    "/cap/feed.atom",
    "/cap/feed.atom?status=all",
    "/v1/threats",
    "/compat/alerts-in-ua/v1/alerts/active.json",
    "/compat/alerts-in-ua/v1/iot/active_air_raid_alerts_by_oblast.json",
    "/compat/alerts-in-ua/v2/iot/active_air_raid_alerts.json",
    "/compat/alerts-in-ua/v1/iot/active_air_raid_alerts/4.json",
    "/compat/ukrainealarm/api/v3/alerts",
    "/compat/ukrainealarm/api/v3/alerts/4",
    "/compat/ukrainealarm/api/v3/alerts/status",
    "/compat/ukrainealarm/api/v3/regions",
]


async def same_answers(writer: Tocsin, edge: Edge, paths: list[str]) -> None:
    async with (
        client(create_app(writer.settings), writer) as w,
        client(create_edge_app(edge.settings), edge) as e,
    ):
        for path in paths:
            mine, theirs = await w.get(path), await e.get(path)
            assert theirs.status_code == mine.status_code == 200, (path, theirs.text)
            assert theirs.content == mine.content, path
            assert theirs.headers.get("etag") == mine.headers.get("etag"), path


async def test_an_edge_answers_the_public_reads_as_the_writer_does(writer: Tocsin) -> None:
    await raise_alerts(writer, 3)
    drill = RaiseAlert(threat="uav", regions=["UA-14"], status=Status.EXERCISE)
    await writer.alerts.raise_alert(drill, LOCAL_ADMIN)
    ended = (await writer.store.open_alerts())[0]
    await writer.alerts.end(ended.id, LOCAL_ADMIN)
    await snapshot_at(writer)

    async with started_edge(edge_settings(writer)) as edge:
        assert edge.live.head == writer.log.head
        alerts = [a.id for a in await writer.store.open_alerts()]
        messages = [f"/cap/alerts/{alert_id}.xml" for alert_id in [*alerts, ended.id]]
        await same_answers(writer, edge, [*PUBLIC_READS, *messages])

        # what the writer commits after the edge started reaches it through the stream
        await raise_alerts(writer, 2, first=len(OBLASTS) - 2)
        await eventually(lambda: edge.live.head == writer.log.head)
        await same_answers(writer, edge, PUBLIC_READS)
        async with client(create_edge_app(edge.settings), edge) as e:
            health = (await e.get("/healthz")).json()
            history = await e.get("/compat/alerts-in-ua/v1/regions/4/alerts/week_ago.json")
            assert (history.status_code, history.json()["code"]) == (404, "edge_not_served")
            sound = await e.get("/v1/threats/uav/siren.wav")
            assert sound.status_code == 200 and sound.content.startswith(b"RIFF")
        assert health["role"] == "edge" and health["last_seq"] == writer.log.head


async def test_an_edge_reads_older_events_from_the_stream(writer: Tocsin) -> None:
    await raise_alerts(writer, 4)
    at = await snapshot_at(writer)
    async with started_edge(edge_settings(writer)) as edge:
        # a client resuming from before the snapshot: the events come from the stream
        events = await edge.follower.read(at - 3)
        stored = await writer.store.events_after(at - 3)
        assert [e.to_json() for e in events] == [e.to_json() for e in stored]
        assert len(events) == 3


async def test_an_edge_refuses_writes_naming_where_they_go(writer: Tocsin) -> None:
    await snapshot_at(writer)
    before = writer.log.head
    async with (
        started_edge(edge_settings(writer)) as edge,
        client(create_edge_app(edge.settings), edge) as e,
    ):
        body = {"threat": "missile", "regions": ["UA-05"]}
        refused = await e.post("/v1/alerts", json=body, headers={"Authorization": "Bearer x"})
        assert refused.status_code == 405
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["code"] == "edge_read_only" and WRITER_URL in problem["detail"]
        assert "POST /v1/alerts" in problem["detail"]
        assert refused.headers["allow"] == "GET, HEAD, OPTIONS"
        for method in ("PUT", "PATCH", "DELETE"):
            assert (await e.request(method, "/v1/alerts/x")).json()["code"] == "edge_read_only"
        cap = await e.post("/v1/cap", content=b"<alert/>")
        assert cap.status_code == 405

        elsewhere = await e.get("/v1/audit")
        assert elsewhere.status_code == 404
        assert elsewhere.json()["code"] == "edge_not_served"
        assert WRITER_URL in elsewhere.json()["detail"]
        assert (await e.get("/console")).json()["code"] == "edge_not_served"
        assert (await e.get("/")).status_code == 200  # the live map
    assert writer.log.head == before  # nothing reached the writer


async def test_an_edge_with_no_snapshot_to_start_from_says_so(nats_single: Nats) -> None:
    settings = Settings(nats_url=nats_single.url, cluster=unique_cluster(), edge_start_timeout=0.5)
    with pytest.raises(NoSnapshot, match=r"no snapshot .* start a writer node of cluster"):
        await build_edge(settings)


def test_serve_edge_without_nats_is_refused_before_anything_starts() -> None:
    done = CliRunner().invoke(cli, ["serve", "--edge"], env={"TOCSIN_NATS_URL": ""})
    assert done.exit_code != 0
    assert "TOCSIN_NATS_URL" in done.output


async def test_the_bucket_keeps_the_snapshot_compressed_and_refuses_one_too_large(
    writer: Tocsin,
) -> None:
    assert writer.link is not None
    bucket = await SnapshotBucket.open(writer.link)
    data = await writer.snapshot()
    await bucket.put(data)
    assert await bucket.get() == data
    entry = await bucket.kv.get("snapshot")
    assert entry.value is not None and len(entry.value) < len(data) / 3

    noise = os.urandom(2 << 20)  # 2 MB that do not compress below the 1 MB NATS allows
    with pytest.raises(SnapshotTooLarge, match="raise max_payload"):
        await bucket.put(noise)
    assert await bucket.get() == data  # the one before stands


async def test_an_edge_takes_the_new_region_tree_after_an_import(writer: Tocsin) -> None:
    await snapshot_at(writer)
    async with started_edge(edge_settings(writer)) as edge:
        oblast = writer.regions.tree.get("UA-05")
        assert oblast is not None
        renamed = replace(oblast, names={**oblast.names, "en": "Vinnytsia (renamed)"})
        await writer.regions.import_regions([renamed], LOCAL_ADMIN, pack="ua")
        await eventually(lambda: edge.live.regions_stale)
        await eventually(lambda: not edge.live.regions_stale, timeout=30)
        found = edge.live.tree.get("UA-05")
        assert found is not None and found.names["en"] == "Vinnytsia (renamed)"


async def test_an_edge_shows_a_time_to_shelter_set_on_the_writer(writer: Tocsin) -> None:
    await snapshot_at(writer)
    async with started_edge(edge_settings(writer)) as edge:
        await writer.regions.update_region(UpdateRegion("UA-05", 240), LOCAL_ADMIN)
        await eventually(lambda: edge.live.regions_stale)
        await eventually(lambda: not edge.live.regions_stale, timeout=30)
        async with client(create_edge_app(edge.settings), edge) as http:
            found = (await http.get("/v1/regions/UA-05")).json()
        assert found["time_to_shelter"] == 240


async def frames(url: str, count: int, headers: dict[str, str]) -> list[tuple[int, str]]:
    """The first `count` event frames (id, event) of an SSE stream."""
    found: list[tuple[int, str]] = []
    seq = 0
    async with (
        httpx.AsyncClient(timeout=30) as http,
        http.stream("GET", url, headers=headers) as answer,
    ):
        assert answer.status_code == 200
        async for line in answer.aiter_lines():
            if line.startswith("id: "):
                seq = int(line[4:])
            elif line.startswith("event: ") and seq:
                found.append((seq, line[7:]))
                if len(found) == count:
                    break
    return found


async def test_an_edge_server_streams_over_sse_and_websocket_and_resumes(writer: Tocsin) -> None:
    await raise_alerts(writer, 2)
    first = await snapshot_at(writer)
    # started and stopped in a thread: the writer's loop goes on renewing its leases meanwhile
    stack = contextlib.ExitStack()
    port = await asyncio.to_thread(
        stack.enter_context, running_app(create_edge_app(edge_settings(writer)))
    )
    try:
        base = f"127.0.0.1:{port}"
        async with websockets.connect(f"ws://{base}/v1/stream/ws") as socket:
            opening = orjson.loads(await socket.recv())
            assert opening["type"] == "open"
            live = asyncio.ensure_future(frames(f"http://{base}/v1/stream", 1, {}))
            await asyncio.sleep(0.3)
            await raise_alerts(writer, 1, first=3)
            assert await asyncio.wait_for(live, 30) == [(first + 1, "alert.raised")]
            pushed = orjson.loads(await asyncio.wait_for(socket.recv(), 30))
            assert pushed["seq"] == first + 1 and pushed["type"] == "alert.raised"
        # a client resuming on this edge from before its snapshot gets exactly what it missed
        resumed = await frames(f"http://{base}/v1/stream", 3, {"Last-Event-ID": str(first - 2)})
        assert [seq for seq, _ in resumed] == [first - 1, first, first + 1]
    finally:
        await asyncio.to_thread(stack.close)

"""The whole cluster at once: three writers on one PostgreSQL, two edges and three NATS servers,
killed with SIGKILL and started again while alerts are raised.

Alerts are raised through random writers; a raise that fails with its writer is sent again to
another with the same `Idempotency-Key`, so none is raised twice. Meanwhile a writer and an edge
at a time are killed and started again, over and over, and once the NATS server leading the
event stream. Stream readers on random nodes resume on another with `Last-Event-ID` when theirs
dies, and get every event once and in order; a webhook gets every event, and again at most the
one in flight when a writer died; the edges catch up with the log.

`TOCSIN_WHOLE_CLUSTER_ALERTS` sets how many alerts to raise (1,000), and
`TOCSIN_WHOLE_CLUSTER_SECONDS` how long raising them may take (150): the test raises as many as
fit in that time, and checks all the rest the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cluster_support import OBLASTS

from nats_support import Nats, NatsServer, eventually, unique_cluster
from node_support import EdgeNode, Node, admin_token
from webhook_support import Receiver

pytestmark = pytest.mark.postgres

ALERTS = int(os.environ.get("TOCSIN_WHOLE_CLUSTER_ALERTS", "1000"))
BUDGET = float(os.environ.get("TOCSIN_WHOLE_CLUSTER_SECONDS", "150"))
SPREAD = 60.0  # seconds the raises take at least, so that the kills fall among them
POSTERS = 6  # raises under way at once
READERS = 6  # half from the first event on, half joining while alerts are raised
DRAIN = 90.0  # seconds for the readers, the webhook and the edges to have everything


@dataclass
class Cluster:
    """The test's processes, which of them are down, and how often each kind was killed."""

    writers: list[Node]
    edges: list[EdgeNode]
    nats: Nats
    name: str
    down: set[str] = field(default_factory=set)
    kills: Counter[str] = field(default_factory=Counter)
    failed_starts: Counter[str] = field(default_factory=Counter)

    @property
    def nodes(self) -> list[Node]:
        return [*self.writers, *self.edges]

    def up(self, nodes: Sequence[Node]) -> list[Node]:
        return [node for node in nodes if node.name not in self.down]

    async def bounce(self, node: Node, kind: str, down_for: float) -> None:
        """SIGKILL `node`, and start it again `down_for` seconds later."""
        self.down.add(node.name)
        node.kill()
        self.kills[kind] += 1
        await asyncio.sleep(down_for)
        await self.restart(node)
        self.down.discard(node.name)

    async def restart(self, node: Node, attempts: int = 10) -> None:
        """Start `node` as its service manager does (`Restart=always`, `RestartSec=1`): again
        a second after it exits, when it could not start (NATS was electing a leader)."""
        for _ in range(attempts - 1):
            try:
                await node.start().ready()
                return
            except RuntimeError:
                self.failed_starts[node.name] += 1
                await asyncio.sleep(1.0)
        await node.start().ready()

    async def bounce_nats(self, server: NatsServer, meanwhile: Awaitable[None]) -> None:
        """SIGKILL a NATS server, await `meanwhile`, and start the server again until it is a
        current peer of JetStream's leader."""
        server.kill()
        self.kills["nats"] += 1
        await meanwhile
        server.start()
        await asyncio.to_thread(self.nats.ready)
        await self.settled()

    async def settled(self) -> None:
        """Wait until the JetStream meta leader has every other server as a current peer
        (before that, a stream of three replicas finds no place)."""

        def peers() -> bool:
            for server in self.nats.servers:
                meta: Any = server.jsz().get("meta_cluster") or {}
                if meta.get("leader") == server.name:
                    others = meta.get("replicas") or []
                    size = len(self.nats.servers) - 1
                    return len(others) == size and all(peer["current"] for peer in others)
            return False

        await eventually(lambda: asyncio.to_thread(peers), timeout=30)

    def stream_leader(self) -> NatsServer | None:
        """The server leading the event stream, as the monitoring endpoints tell."""
        for server in self.nats.servers:
            if not server.alive:
                continue
            port = server.monitor
            jsz = httpx.get(f"http://127.0.0.1:{port}/jsz", params={"streams": "true"}).json()
            for account in jsz.get("account_details", []):
                for stream in account.get("stream_detail", []):
                    leader = (stream.get("cluster") or {}).get("leader")
                    if stream["name"] == f"{self.name}_events" and leader:
                        return self.nats.by_name(leader)
        return None


@pytest.fixture
def cluster(postgres_url: str, nats_cluster_own: Nats, tmp_path: Path) -> Iterator[Cluster]:
    name = unique_cluster()
    shared = {
        "nats_url": nats_cluster_own.url,
        "cluster": name,
        "nats_replicas": "3",
        "stream_keepalive": "1",
    }
    writers = [
        Node(
            f"writer-{n}",
            tmp_path,
            postgres_url,
            **shared,
            lease_seconds="1.5",
            log_poll_interval="0.05",
            snapshot_interval="1",
            packs="[]",
            webhook_allow_private="true",
        )
        for n in (1, 2, 3)
    ]
    edges = [EdgeNode(f"edge-{n}", tmp_path, **shared, writer_url=writers[0].url) for n in (1, 2)]
    made = Cluster(writers, edges, nats_cluster_own, name)
    try:
        yield made
    finally:
        for node in made.nodes:
            if node.process is not None and node.alive:
                node.process.terminate()
        for node in made.nodes:
            node.stop()


@dataclass
class Load:
    """Alerts raised through random writers, each under an idempotency key of its own."""

    cluster: Cluster
    http: httpx.AsyncClient
    rng: random.Random
    raised: dict[str, str] = field(default_factory=dict)  # idempotency key → alert id
    sending: Counter[str] = field(default_factory=Counter)  # raises under way, by writer
    retries: int = 0
    replayed: int = 0
    seconds: float = 0.0

    async def run(self, count: int, spread: float, budget: float) -> None:
        """Raise `count` alerts, spread over `spread` seconds at least, for `budget` at most."""
        began = time.monotonic()
        indexes = iter(range(count))

        async def poster() -> None:
            for index in indexes:
                if time.monotonic() - began > budget:
                    return
                await asyncio.sleep(max(0.0, began + index * spread / count - time.monotonic()))
                await self.raise_alert(index)

        await asyncio.gather(*(poster() for _ in range(POSTERS)))
        self.seconds = time.monotonic() - began

    async def raise_alert(self, index: int) -> None:
        key = f"whole-cluster-{index}"
        body = {"threat": "missile", "regions": [OBLASTS[index % len(OBLASTS)]]}
        failed: Node | None = None
        while True:
            writer = self.writer(failed)
            self.sending[writer.name] += 1
            try:
                url = f"{writer.url}/v1/alerts"
                answer = await self.http.post(url, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                self.retries += 1
                failed = writer
                await asyncio.sleep(0.05)
                continue
            finally:
                self.sending[writer.name] -= 1
            assert answer.status_code in (200, 201), (writer.name, answer.text)
            if answer.headers.get("Idempotent-Replayed") == "true":
                self.replayed += 1
            alert_id = answer.json()["id"]
            assert self.raised.setdefault(key, alert_id) == alert_id, key
            return

    def writer(self, failed: Node | None) -> Node:
        """A random writer up, another than the one that just failed if there is one."""
        up = self.cluster.up(self.cluster.writers)
        others = [node for node in up if node is not failed]
        return self.rng.choice(others or up or self.cluster.writers)


@dataclass
class Finish:
    """The log's last seq once every alert is raised: where the readers stop."""

    seq: int | None = None

    def reached(self, last: int | None) -> bool:
        return self.seq is not None and last is not None and last >= self.seq


@dataclass
class Reader:
    """An SSE client on one node after another: it resumes on a random other node, with
    `Last-Event-ID`, whenever its stream ends. `last` is None until it knows where it starts
    (a reader joining without `Last-Event-ID` starts at the `open` frame's `last_seq`)."""

    name: str
    cluster: Cluster
    rng: random.Random
    last: int | None
    start: int | None = None
    ids: list[int] = field(default_factory=list)
    visits: list[str] = field(default_factory=list)
    ends: Counter[str] = field(default_factory=Counter)
    node: Node | None = None

    def __post_init__(self) -> None:
        self.start = self.last

    @property
    def reconnects(self) -> int:
        return max(0, len(self.visits) - 1)

    async def run(self, first: Node, finish: Finish) -> None:
        timeout = httpx.Timeout(30.0, connect=5.0)
        async with httpx.AsyncClient(timeout=timeout) as http:
            node = first
            while not finish.reached(self.last):
                self.node = node
                self.visits.append(node.name)
                try:
                    self.ends[await self.follow(http, node, finish)] += 1
                except httpx.TransportError as exc:
                    self.ends[type(exc).__name__] += 1
                node = self.elsewhere(node)
                await asyncio.sleep(0.02)
        self.node = None

    async def follow(self, http: httpx.AsyncClient, node: Node, finish: Finish) -> str:
        """Read one stream from `node` until it ends or the finish is reached; how it ended."""
        headers = {} if self.last is None else {"Last-Event-ID": str(self.last)}
        async with http.stream("GET", f"{node.url}/v1/stream", headers=headers) as answer:
            if answer.status_code != 200:
                return f"status {answer.status_code}"
            kind = None
            async for line in answer.aiter_lines():
                if line.startswith("id: "):
                    self.ids.append(int(line[4:]))
                    self.last = self.ids[-1]
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "ready" and self.last is None:
                    self.last = self.start = int(orjson.loads(line[6:])["last_seq"])
                elif line.startswith("data: ") and kind == "dropped":
                    return "dropped"
                if finish.reached(self.last):
                    return "finished"
        return "closed"

    def elsewhere(self, node: Node) -> Node:
        others = [other for other in self.cluster.up(self.cluster.nodes) if other is not node]
        return self.rng.choice(others or self.cluster.nodes)

    def problems(self, seqs: list[int]) -> str | None:
        """What is wrong with what it read, given every seq of the log; None if nothing."""
        assert self.start is not None, f"{self.name} never started"
        wanted = [seq for seq in seqs if seq > self.start]
        if self.ids == wanted:
            return None
        lost = sorted(set(wanted) - set(self.ids))
        twice = sorted(seq for seq, n in Counter(self.ids).items() if n > 1)
        back = [b for a, b in zip(self.ids, self.ids[1:], strict=False) if b <= a]
        return (
            f"{self.name} from {self.start} via {self.visits} (ends {dict(self.ends)}): "
            f"{len(self.ids)} ids for {len(wanted)} events; lost {len(lost)} {lost[:10]}, "
            f"twice {len(twice)} {twice[:10]}, out of order {len(back)} {back[:10]}"
        )


@dataclass
class Chaos:
    """SIGKILL while alerts are raised: a writer and an edge, one of each at a time, again and
    again (once at least); once the NATS server leading the event stream, with an edge started
    while the stream elects another (from a snapshot that may be ahead of the stream)."""

    cluster: Cluster
    readers: list[Reader]
    load: Load
    rng: random.Random = field(default_factory=random.Random)
    one_edge: asyncio.Lock = field(default_factory=asyncio.Lock)  # held while an edge is down

    async def run(self, raising: asyncio.Task[None], spread: float) -> None:
        await asyncio.gather(
            self.repeat("writer", self.writer, raising),
            self.repeat("edge", self.edge, raising),
            self.nats(spread),
        )

    async def repeat(
        self, kind: str, pick: Callable[[], Awaitable[Node]], raising: asyncio.Task[None]
    ) -> None:
        while True:
            async with self.one_edge if kind == "edge" else contextlib.nullcontext():
                await self.cluster.bounce(await pick(), kind, self.rng.uniform(0.2, 1.5))
            await asyncio.wait({raising}, timeout=self.rng.uniform(0.5, 2.5))
            if raising.done():
                return

    async def nats(self, spread: float) -> None:
        await asyncio.sleep(self.rng.uniform(0.2, 0.5) * spread)
        async with self.one_edge:
            leader = await asyncio.to_thread(self.cluster.stream_leader)
            server = leader or self.rng.choice(self.cluster.nats.servers)
            edge = self.read(self.cluster.edges)
            await self.cluster.bounce_nats(server, self.cluster.bounce(edge, "edge", 0.5))

    def read(self, nodes: Sequence[Node]) -> Node:
        """A random one of `nodes` up, one that a stream reads from if there is one."""
        read = {reader.node.name for reader in self.readers if reader.node is not None}
        up = self.cluster.up(nodes)
        return self.rng.choice([node for node in up if node.name in read] or up)

    async def writer(self) -> Node:
        """A writer in the middle of a raise, the one relaying or delivering, or one read by a
        stream, in turn at random."""
        up = self.cluster.up(self.cluster.writers)
        way = self.rng.choice(["raising", "relay", "channels", "read"])
        if way == "raising":
            for _ in range(100):
                if busy := [node for node in up if self.load.sending[node.name]]:
                    return self.rng.choice(busy)
                await asyncio.sleep(0.01)
        elif way != "read":
            with contextlib.suppress(httpx.HTTPError):
                answer = await self.load.http.get(f"{self.rng.choice(up).url}/v1/channels")
                holders = {d["name"]: d["node"] for d in answer.json()["duties"]}
                for node in up:
                    if node.name == holders.get(way):
                        return node
        return self.read(self.cluster.writers)

    async def edge(self) -> Node:
        return self.read(self.cluster.edges)


async def log_after(http: httpx.AsyncClient, writer: Node, after: int) -> list[dict[str, Any]]:
    """Every event of the log after `after`, from a writer's `/v1/events`."""
    events: list[dict[str, Any]] = []
    while True:
        answer = await http.get(f"{writer.url}/v1/events", params={"after": after, "limit": 1000})
        assert answer.status_code == 200, answer.text
        page = answer.json()["events"]
        if not page:
            return events
        events += page
        after = page[-1]["seq"]


async def edge_heads(http: httpx.AsyncClient, cluster: Cluster) -> dict[str, int]:
    heads = {}
    for edge in cluster.edges:
        health = (await http.get(f"{edge.url}/healthz")).json()
        assert health["role"] == "edge", health
        heads[edge.name] = health["last_seq"]
    return heads


async def caught_up(
    http: httpx.AsyncClient, cluster: Cluster, receiver: Receiver, wanted: set[int], last: int
) -> None:
    """Wait until the edges are at `last` and the webhook has had every seq `wanted`."""
    deadline = time.monotonic() + DRAIN
    while True:
        heads = await edge_heads(http, cluster)
        missing = wanted - {request.seq for request in receiver.delivered}
        if not missing and all(head >= last for head in heads.values()):
            return
        assert time.monotonic() < deadline, (
            f"after {DRAIN} s: edges at {heads} (log at {last}); webhook missing "
            f"{len(missing)} {sorted(missing)[:10]}"
        )
        await asyncio.sleep(0.2)


async def later(reader: Reader, finish: Finish, spread: float) -> None:
    """Start `reader` on a random node: at once if it resumes from a seq, else while alerts
    are raised."""
    if reader.last is None:
        await asyncio.sleep(reader.rng.uniform(0.1, 0.5) * spread)
    await reader.run(reader.rng.choice(reader.cluster.up(reader.cluster.nodes)), finish)


async def read_to_the_end(readers: list[Reader], reading: list[asyncio.Task[None]]) -> None:
    """Wait until every reader has read to the finish."""
    done, pending = await asyncio.wait(reading, timeout=DRAIN)
    for task in pending:
        task.cancel()
    for task in done:
        task.result()
    stuck = [f"{r.name} at {r.last} on {r.node and r.node.name}" for r in readers if r.node]
    assert not pending, f"after {DRAIN} s, readers not at the end: {stuck}"


async def start_all(cluster: Cluster) -> None:
    await cluster.settled()
    for node in cluster.writers:
        node.start()
    await asyncio.gather(*(node.ready() for node in cluster.writers))
    for node in cluster.edges:
        node.start()
    await asyncio.gather(*(node.ready() for node in cluster.edges))


async def test_the_whole_cluster_loses_and_repeats_nothing_while_processes_die(
    postgres_url: str, cluster: Cluster
) -> None:
    began = time.monotonic()
    headers = {"Authorization": f"Bearer {admin_token(postgres_url)}"}
    await start_all(cluster)
    rng = random.Random()
    async with (
        Receiver() as receiver,
        httpx.AsyncClient(headers=headers, timeout=30) as http,
    ):
        writer = cluster.writers[0]
        made = await http.post(f"{writer.url}/v1/subscriptions", json={"url": receiver.url})
        assert made.status_code == 201, made.text
        base = made.json()["start_seq"]
        refused = await http.post(f"{cluster.edges[0].url}/v1/alerts", json={})
        assert refused.status_code == 405 and refused.json()["code"] == "edge_read_only"
        await caught_up(http, cluster, receiver, set(), base)

        finish = Finish()
        readers = [
            Reader(f"reader-{n}", cluster, rng, base if n < READERS // 2 else None)
            for n in range(READERS)
        ]
        load = Load(cluster, http, rng)
        spread = min(SPREAD, BUDGET)
        raising = asyncio.create_task(load.run(ALERTS, spread, BUDGET))
        reading = [asyncio.create_task(later(reader, finish, spread)) for reader in readers]
        try:
            await Chaos(cluster, readers, load).run(raising, spread)
            await raising

            events = await log_after(http, writer, base)
            seqs = [event["seq"] for event in events]
            finish.seq = seqs[-1]
            alerts = {e["seq"] for e in events if str(e["type"]).startswith("alert.")}
            await asyncio.gather(
                caught_up(http, cluster, receiver, alerts, finish.seq),
                read_to_the_end(readers, reading),
            )
            await asyncio.sleep(0.5)  # a delivery repeated would come now
        finally:
            for task in [raising, *reading]:
                task.cancel()
            await asyncio.gather(raising, *reading, return_exceptions=True)

    reconnects = sum(reader.reconnects for reader in readers)
    print(
        f"\nwhole cluster: {len(load.raised)}/{ALERTS} alerts raised in {load.seconds:.1f} s "
        f"({load.retries} retried, {load.replayed} replayed); kills: writer "
        f"{cluster.kills['writer']}, edge {cluster.kills['edge']}, nats {cluster.kills['nats']}; "
        f"{sum(cluster.failed_starts.values())} failed starts; {READERS} readers, "
        f"{reconnects} reconnects; webhook {len(receiver.requests)} "
        f"requests for {len(alerts)} events; {time.monotonic() - began:.1f} s"
    )

    # the log: every alert raised once, and nothing else
    assert seqs == list(range(base + 1, finish.seq + 1)), "a gap in the log"
    assert set(seqs) == alerts, "events in the log other than alerts'"
    answered = set(load.raised.values())
    raised = {e["alert"]["id"]: e["seq"] for e in events if e["type"] == "alert.raised"}
    assert len(answered) == len(load.raised), "one alert answered for two keys"
    assert set(raised) == answered, {"raised again": {a: raised[a] for a in set(raised) - answered}}
    assert len(events) == len(raised), "more than one event for an alert"

    # every reader: all from where it started, each once, in order
    problems = [p for reader in readers if (p := reader.problems(seqs)) is not None]
    assert not problems, "\n".join(problems)

    # the webhook: every event; more requests only for what was in flight at a writer's death
    requests = Counter(request.seq for request in receiver.requests)
    assert set(requests) == alerts, {"never delivered": sorted(alerts - set(requests))[:10]}
    again = len(receiver.requests) - len(alerts)
    assert again <= cluster.kills["writer"], {"delivered again": dict(requests - Counter(alerts))}
    for seq in (seq for seq, n in requests.items() if n > 1):
        ids = {r.headers["webhook-id"] for r in receiver.requests if r.seq == seq}
        assert len(ids) == 1, (seq, ids)

    assert cluster.kills["writer"] and cluster.kills["edge"] and cluster.kills["nats"] == 1
    assert reconnects > 0

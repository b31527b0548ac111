"""Fan-out through NATS: a cluster node's SSE clients, against a bare server fed by nats-py.

    python bench/fanout_nats.py [--clients 10000] [--alerts 20] [--rounds 2] [--interval 0.5]

tocsin: `tocsin serve` in cluster mode (`TOCSIN_NATS_URL`, a `TOCSIN_CLUSTER` of its own) on a
fresh PostgreSQL database, as a cluster runs (`--database sqlite`: a SQLite file), with N SSE
clients connected from a separate client process (`common.ClientPool`). Alerts are raised one
at a time through its API; its relay publishes each committed event to the stream
`{cluster}_events`, the node tails the stream with its ordered push consumer, and its hub writes
the frame to every client. A listener, subscribed with nats-py to the stream's subjects
(`{cluster}.events.>`), notes when each event arrives there: each delivery is timed from that
arrival to the frame's arrival at the client (and, beside it, from just before the POST). The
listener is a process of its own that does nothing else, started by this one (the raiser), so
that its clock readings do not wait behind the raiser's HTTP client.

baseline: a minimal asyncio server (one process, uvloop, no tocsin code), subscribed with nats-py
to a subject of its own, holding the same number of clients from the same client machinery. The
raiser publishes on that subject with nats-py the very SSE frames tocsin sent for the same
events (captured by a client in the tocsin round before), and the server writes each, as one
HTTP chunk, to every client. Timed the same way: from the frame's arrival at the listener's
subscription to its arrival at the client.

Rounds alternate (tocsin, baseline, tocsin, baseline, …; `--rounds`), so that what else runs
on the machine weighs on both; each tocsin round starts a fresh server process on the same
database and stream, each baseline round a fresh baseline process. Latencies are pooled over
the rounds. The CPU columns are each process's CPU time during the timed alerts, divided by
their number: tocsin's server handles the POST and relays the event as well as writing it.
A second table says where each alert's time went: commit and relay, JetStream's push to a
consumer (the listener follows the stream with one, as a node does), the first client, and the
fan-out from the first client to the last.

NATS: a `nats-server -js` of its own on a free loopback port, its store in the run's temporary
directory; `--nats URL` uses a running one instead (the run's stream is deleted at the end).
Everything listens on 127.0.0.1 only, every wait has a timeout, and the run a `--time-limit`:
each round stops raising at its share of it.

Target (issue "many nodes"): tocsin p99 ≤ 1.15× the baseline's. Like the other dissemination
benchmarks it exits non-zero only when a result is wrong (a client missed an alert, got one out
of order, or got other bytes than those published), never because the target was missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import nats
import orjson
from common import (
    HOST,
    MS,
    Arrivals,
    ClientPool,
    Server,
    Summary,
    chunk,
    cpu_seconds,
    free_port,
    latencies_ms,
    load,
    machine,
    print_table,
    raise_fd_limit,
    run_loop,
)
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nodes import NatsServer, nats_server_binary
from sse_fanout import Baseline

REGIONS = ("UA-63", "UA-30", "UA-46", "UA-51", "UA-12")
RATIO_LIMIT = 1.15
POSTGRES = os.environ.get(
    "TOCSIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass(frozen=True)
class Raised:
    """One timed alert: its seq and, in ns of the monotonic clock, when it was posted (or
    published) and when it reached the raiser's subscription to its subject."""

    seq: int
    started: int
    reached: int
    answered: int | None = None  # the POST's answer (tocsin)


@dataclass
class Run:
    name: str
    round: int
    opened: int
    connect_seconds: float
    timed: list[Raised]
    raised: int  # the warm-up included
    seen: Arrivals
    missing: int
    cpu: Cpu  # during the timed alerts

    def latencies(self, start: Callable[[Raised], int]) -> list[float]:
        return latencies_ms(self.seen.times, {r.seq: start(r) for r in self.timed})

    @property
    def latency(self) -> Summary:
        return Summary.of(self.latencies(lambda r: r.reached))


@dataclass
class Context:
    args: argparse.Namespace
    workdir: Path
    database_url: str
    nats_url: str
    nats_pid: int | None
    cluster: str
    raiser: Raiser
    token: str = ""


def main() -> int:
    args = _arguments()
    if args.alerts < 1 or args.clients < 1 or args.rounds < 1:
        raise SystemExit("--alerts, --clients and --rounds must be at least 1")
    limit = raise_fd_limit()
    print(f"machine: {machine()}; open-files limit {limit:,}")
    print(
        f"clients {args.clients:,} in {args.client_processes} process(es); alerts {args.alerts} "
        f"(+{args.warmup} warm-up) a round, at least {args.interval} s apart; rounds "
        f"{args.rounds}; database {args.database}; NATS {args.nats or 'own nats-server'}"
    )
    return asyncio.run(run(args))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="SSE fan-out through NATS JetStream against a bare server fed by nats-py.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=10_000, help="SSE clients per server")
    parser.add_argument("--alerts", type=int, default=20, help="timed alerts per round")
    parser.add_argument("--rounds", type=int, default=2, help="tocsin and baseline, in turn")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between raises")
    parser.add_argument("--warmup", type=int, default=1, help="alerts raised first, not timed")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--connect-concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per alert")
    parser.add_argument(
        "--database",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="tocsin's store: a fresh PostgreSQL database, or a SQLite file",
    )
    parser.add_argument("--postgres", default=POSTGRES, help="server to make the database on")
    parser.add_argument("--nats", help="a running NATS server with JetStream (default: own)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=600.0,
        help="seconds for the whole run; each round stops raising at its share of it",
    )
    return parser.parse_args()


async def run(args: argparse.Namespace) -> int:
    cluster = f"bench-{uuid.uuid4().hex[:10]}"
    deadline = time.monotonic() + args.time_limit
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp:
        workdir = Path(tmp)
        with own_nats(workdir) if args.nats is None else _given(args.nats) as (url, pid):
            async with (
                database(args, workdir) as database_url,
                Raiser.connected(url, cluster) as raiser,
            ):
                context = Context(args, workdir, database_url, url, pid, cluster, raiser)
                try:
                    runs = await rounds(context, deadline)
                finally:
                    await raiser.drop_stream()
    return report(runs, args, raiser.pushed)


async def rounds(context: Context, deadline: float) -> list[Run]:
    args = context.args
    server = _server(context)
    context.token = await asyncio.to_thread(server.create_token)
    runs: list[Run] = []
    total = 2 * args.rounds
    for k in range(args.rounds):
        left = total - len(runs)
        if time.monotonic() > deadline - 10:
            print(f"time limit: {k} of {args.rounds} rounds run")
            break
        tocsin = await tocsin_run(context, k + 1, _share(deadline, left))
        runs.append(tocsin)
        if len(tocsin.seen.frames) < tocsin.raised:
            raise RuntimeError("tocsin: client 0 did not capture every frame; no baseline")
        baseline = await baseline_run(context, k + 1, tocsin, _share(deadline, left - 1))
        runs.append(baseline)
    return runs


def _share(deadline: float, runs_left: int) -> float:
    """When a run stops raising: its share of the time left, with room to close."""
    now = time.monotonic()
    return now + 0.85 * max(0.0, deadline - now) / max(1, runs_left)


# --- tocsin --------------------------------------------------------------------------------


def _server(context: Context) -> Server:
    settings = {
        "TOCSIN_NATS_URL": context.nats_url,
        "TOCSIN_CLUSTER": context.cluster,
        "TOCSIN_NODE_NAME": "bench-node",
    }
    server = Server(context.workdir, settings=settings)
    server.database_url = context.database_url
    return server


async def tocsin_run(context: Context, round: int, stop_at: float) -> Run:
    server = _server(context)
    raiser = context.raiser
    server.start()
    try:
        await server.ready()
        await raiser.follow()
        headers = {"Authorization": f"Bearer {context.token}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:

            async def post(i: int) -> Raised:
                body = {"threat": "missile", "regions": [REGIONS[i % len(REGIONS)]]}
                started = time.monotonic_ns()
                answer = await http.post("/v1/alerts", json=body)
                answered = time.monotonic_ns()
                answer.raise_for_status()
                seq = await raiser.seq_of(answer.json()["id"], context.args.timeout)
                return Raised(seq, started, raiser.on_subject[seq], answered)

            raises = context.args.warmup + context.args.alerts
            return await measure(
                "tocsin", round, server.port, server.pid, post, raises, stop_at, context
            )
    finally:
        await asyncio.to_thread(server.stop)


# --- the baseline --------------------------------------------------------------------------


async def baseline_run(context: Context, round: int, tocsin: Run, stop_at: float) -> Run:
    frames = [tocsin.seen.frames[seq] for seq in sorted(tocsin.seen.frames)][: tocsin.raised]
    raiser = context.raiser
    subject = f"{context.cluster}-baseline.frames"
    port = free_port()
    spawn = multiprocessing.get_context("spawn")
    mine, theirs = spawn.Pipe()
    process = spawn.Process(
        target=baseline_process, args=(theirs, port, context.nats_url, subject), daemon=True
    )
    process.start()
    try:
        if not await asyncio.to_thread(mine.poll, 30):
            raise TimeoutError("baseline server did not start")
        mine.recv()
        await raiser.listen_frames(subject)

        async def publish(i: int) -> Raised:
            frame = frames[i]
            seq = _seq(frame)
            started = time.monotonic_ns()
            await raiser.nc.publish(subject, frame)
            reached = await raiser.frame_reached(seq, context.args.timeout)
            return Raised(seq, started, reached)

        pid = process.pid
        assert pid is not None
        run = await measure("baseline", round, port, pid, publish, len(frames), stop_at, context)
    finally:
        process.kill()
        await asyncio.to_thread(process.join, 10)
    published = {_seq(frame): frame for frame in frames}
    wrong = [seq for seq, frame in run.seen.frames.items() if published.get(seq) != frame]
    if wrong:
        raise RuntimeError(f"baseline: client 0 got other bytes than published for {wrong}")
    return run


def _seq(frame: bytes) -> int:
    """The seq of an SSE event frame, from its first line (`id: N`)."""
    return int(frame[4 : frame.index(b"\n")])


def baseline_process(conn: Connection, port: int, nats_url: str, subject: str) -> None:
    """The bare server: SSE streams on `port` (`sse_fanout.Baseline`), and every message on
    `subject` written, as one HTTP chunk, to every stream."""
    raise_fd_limit()

    async def serve() -> None:
        subscribers: set[asyncio.Transport] = set()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: Baseline(subscribers), HOST, port, backlog=2048)
        nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=3)

        async def write(msg: Msg) -> None:
            frame = chunk(msg.data)
            for subscriber in subscribers:
                subscriber.write(frame)

        await nc.subscribe(subject, cb=write)
        await nc.flush(timeout=10)
        conn.send("ready")
        async with server:
            await server.serve_forever()

    run_loop(serve())


# --- measuring -----------------------------------------------------------------------------


async def measure(
    name: str,
    round: int,
    port: int,
    server_pid: int,
    raise_one: Callable[[int], Awaitable[Raised]],
    raises: int,
    stop_at: float,
    context: Context,
) -> Run:
    """Raise `raises` alerts one at a time (the first `--warmup` untimed), none after
    `stop_at`; each once every client has the one before and `--interval` has passed."""
    args = context.args
    with ClientPool(
        port, args.clients, processes=args.client_processes, concurrency=args.connect_concurrency
    ) as pool:
        wait = max(10.0, stop_at - time.monotonic())
        opened = await asyncio.to_thread(pool.wait_ready, wait)
        print(
            f"round {round} {name}: {opened:,} of {args.clients:,} clients open in "
            f"{pool.connect_seconds:.1f} s"
            + (f"; failures {dict(pool.errors)}" if pool.errors else "")
        )
        timed: list[Raised] = []
        missing = raised = 0
        before = Cpu.now(server_pid, context.nats_pid, pool.pids)
        for i in range(raises):
            if i > args.warmup and time.monotonic() > stop_at:
                break
            if i == args.warmup:
                before = Cpu.now(server_pid, context.nats_pid, pool.pids)
            one = await raise_one(i)
            raised += 1
            if i >= args.warmup:
                timed.append(one)
            counts = await asyncio.to_thread(pool.await_seqs, [one.seq], args.timeout)
            missing += opened - counts[one.seq]
            await asyncio.sleep(max(0.0, args.interval - (time.monotonic_ns() - one.started) / 1e9))
        used = Cpu.now(server_pid, context.nats_pid, pool.pids) - before
        seen = await asyncio.to_thread(pool.finish)
    return Run(name, round, opened, pool.connect_seconds, timed, raised, seen, missing, used)


@dataclass(frozen=True)
class Cpu:
    """CPU seconds of the server, the NATS server (when it is this run's) and the clients."""

    server: float
    nats: float | None
    clients: float

    @classmethod
    def now(cls, server: int, nats_server: int | None, clients: list[int]) -> Cpu:
        nats_cpu = cpu_seconds(nats_server) if nats_server is not None else None
        return cls(cpu_seconds(server), nats_cpu, sum(cpu_seconds(pid) for pid in clients))

    def __sub__(self, other: Cpu) -> Cpu:
        nats_cpu = None if self.nats is None or other.nats is None else self.nats - other.nats
        return Cpu(self.server - other.server, nats_cpu, self.clients - other.clients)


class Raiser:
    """This process's side of NATS: its own connection to publish the baseline's frames, and
    a listener process (`listen`) that notes when each event reaches its subject in the
    stream, when JetStream pushes it to a consumer, and when each baseline frame reaches its
    subject. The listener does nothing else, so that its clock readings are not held up by
    this process's HTTP client or waits."""

    def __init__(self, nc: Client, cluster: str, conn: Connection) -> None:
        self.nc = nc
        self.cluster = cluster
        self.on_subject: dict[int, int] = {}  # seq → ns
        self.alerts: dict[str, int] = {}  # alert id → seq of its event
        self.pushed: dict[int, int] = {}  # seq → ns, from a JetStream consumer
        self.frames: dict[int, int] = {}  # baseline seq → ns
        self._conn = conn
        self._answers: list[str] = []
        self._listening: set[tuple[str, ...]] = set()  # commands the listener has carried out
        self._changed = asyncio.Event()

    @classmethod
    @contextlib.asynccontextmanager
    async def connected(cls, url: str, cluster: str) -> AsyncIterator[Raiser]:
        spawn = multiprocessing.get_context("spawn")
        mine, theirs = spawn.Pipe()
        process = spawn.Process(target=listen, args=(theirs, url, cluster), daemon=True)
        process.start()
        loop = asyncio.get_running_loop()
        try:
            nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=3)
            try:
                raiser = cls(nc, cluster, mine)
                loop.add_reader(mine.fileno(), raiser._receive)
                try:
                    await raiser._command(("ready",))
                    yield raiser
                finally:
                    loop.remove_reader(mine.fileno())
            finally:
                with contextlib.suppress(Exception):
                    await nc.close()
        finally:
            process.kill()
            await asyncio.to_thread(process.join, 10)

    async def follow(self) -> None:
        """Have the listener follow the stream (once the node made it)."""
        await self._once(("follow",))

    async def listen_frames(self, subject: str) -> None:
        self.frames.clear()
        await self._once(("frames", subject))

    async def _once(self, command: tuple[str, ...]) -> None:
        if command not in self._listening:
            await self._command(command)
            self._listening.add(command)

    async def seq_of(self, alert_id: str, timeout: float) -> int:
        await self._until(lambda: alert_id in self.alerts, timeout, f"alert {alert_id}")
        return self.alerts[alert_id]

    async def frame_reached(self, seq: int, timeout: float) -> int:
        await self._until(lambda: seq in self.frames, timeout, f"frame {seq}")
        return self.frames[seq]

    async def drop_stream(self) -> None:
        """The run's event stream and snapshot bucket go: a server given is left as it was."""
        js = self.nc.jetstream()
        for stream in (
            f"{self.cluster}_events",
            f"KV_{self.cluster}_state",
            f"KV_{self.cluster}_drill_streams",
        ):
            with contextlib.suppress(Exception):
                await js.delete_stream(stream)

    async def _command(self, command: tuple[str, ...], timeout: float = 30.0) -> None:
        if command[0] != "ready":
            self._conn.send(command)
        await self._until(lambda: command[0] in self._answers, timeout, f"listener {command}")
        self._answers.remove(command[0])

    def _receive(self) -> None:
        try:
            while self._conn.poll():
                self._note(*self._conn.recv())
        except (EOFError, OSError):  # the listener is gone: what waits for it times out
            asyncio.get_running_loop().remove_reader(self._conn.fileno())
        self._changed.set()

    def _note(self, kind: str, *rest: Any) -> None:
        if kind == "event":
            seq, alert_id, at = rest
            self.on_subject.setdefault(seq, at)  # a relay's repeat comes later
            if alert_id is not None:
                self.alerts.setdefault(alert_id, seq)
        elif kind == "pushed":
            self.pushed.setdefault(rest[0], rest[1])
        elif kind == "frame":
            self.frames.setdefault(rest[0], rest[1])
        else:
            self._answers.append(kind)

    async def _until(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not check():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"{what} not seen within {timeout} s") from None


def listen(conn: Connection, url: str, cluster: str) -> None:
    """The listener process: nats-py subscribed to the stream's subjects (and, on command, a
    JetStream consumer of the stream and the baseline's subject); each arrival's clock reading
    is taken first and sent to the raiser."""

    async def event(msg: Msg) -> None:
        now = time.monotonic_ns()
        body = orjson.loads(msg.data)
        alert = body.get("alert")
        raised = isinstance(alert, dict) and body.get("type") == "alert.raised"
        conn.send(("event", int(body["seq"]), str(alert["id"]) if raised else None, now))

    async def pushed(msg: Msg) -> None:
        conn.send(("pushed", msg.metadata.sequence.stream, time.monotonic_ns()))

    async def frame(msg: Msg) -> None:
        conn.send(("frame", _seq(msg.data), time.monotonic_ns()))

    async def main() -> None:
        nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=3)
        await nc.subscribe(f"{cluster}.events.>", cb=event)
        await nc.flush(timeout=10)
        commands: asyncio.Queue[tuple[str, ...]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def read() -> None:
            try:
                commands.put_nowait(conn.recv())
            except (EOFError, OSError):  # the raiser is gone
                loop.remove_reader(conn.fileno())
                commands.put_nowait(("stop",))

        loop.add_reader(conn.fileno(), read)
        conn.send(("ready",))
        while True:
            command = await commands.get()
            if command[0] == "stop":
                await nc.close()
                return
            if command[0] == "follow":
                await nc.jetstream(timeout=10).subscribe(
                    f"{cluster}.events.>",
                    stream=f"{cluster}_events",
                    cb=pushed,
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                )
            elif command[0] == "frames":
                await nc.subscribe(command[1], cb=frame)
            await nc.flush(timeout=10)
            conn.send((command[0],))

    run_loop(main())


# --- NATS and the database -----------------------------------------------------------------


@contextlib.contextmanager
def own_nats(workdir: Path) -> Iterator[tuple[str, int | None]]:
    """A `nats-server -js` on a free loopback port, its store under `workdir`."""
    binary = nats_server_binary()
    if binary is None:
        raise SystemExit("nats-server not found (Debian package nats-server); or give --nats")
    server = NatsServer(workdir)
    try:
        server.start(binary)
        yield server.url, server.pid
    finally:
        server.stop()


@contextlib.contextmanager
def _given(url: str) -> Iterator[tuple[str, int | None]]:
    yield url, None


@contextlib.asynccontextmanager
async def database(args: argparse.Namespace, workdir: Path) -> AsyncIterator[str]:
    """A fresh PostgreSQL database (dropped at the end), or a SQLite file in `workdir`."""
    if args.database == "sqlite":
        yield f"sqlite:///{workdir / 'tocsin.db'}"
        return
    name = f"tocsin_fanout_{uuid.uuid4().hex[:8]}"
    await _admin(args.postgres, f'CREATE DATABASE "{name}"')
    try:
        base = args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        await _admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(sql, timeout=30)
    finally:
        await connection.close()


# --- the report ----------------------------------------------------------------------------


def report(runs: list[Run], args: argparse.Namespace, pushed: dict[int, int]) -> int:
    tocsin = [r for r in runs if r.name == "tocsin"]
    baseline = [r for r in runs if r.name == "baseline"]
    for r in runs:
        if r.seen.dropped or r.seen.closed:
            print(f"round {r.round} {r.name}: {r.seen.dropped} `dropped`, {r.seen.closed} closed")
    print()
    print(
        "latency: from the event's arrival on its NATS subject (the listener's subscription) "
        "to its arrival at each client"
    )
    rows = [_row(str(r.round), [r]) for r in runs]
    rows += [_row("all", tocsin), _row("all", baseline)]
    print_table(
        (
            "round",
            "server",
            "clients",
            "deliveries",
            "p50 ms",
            "p99 ms",
            "max ms",
            "server CPU ms/alert",
            "NATS CPU ms/alert",
            "client CPU ms/alert",
            "missing",
            "out of order",
        ),
        rows,
    )
    print()
    _stages(tocsin, baseline, pushed)
    ours, theirs = _pooled(tocsin), _pooled(baseline)
    ratio_p99 = _ratio(ours.p99, theirs.p99)
    print(
        f"ratio tocsin/baseline: p50 {_ratio(ours.p50, theirs.p50):.2f}×, p99 {ratio_p99:.2f}×, "
        f"server CPU per alert {_ratio(_cpu_per_alert(tocsin), _cpu_per_alert(baseline)):.2f}×"
    )
    each = [
        f"{_ratio(ours.latency.p99, theirs.latency.p99):.2f}×"
        for ours, theirs in zip(tocsin, baseline, strict=False)
    ]
    print(f"p99 ratio of each round: {', '.join(each)}")
    verdict = "met" if ratio_p99 <= RATIO_LIMIT else "MISSED"
    print(f"target p99 ≤ {RATIO_LIMIT}× baseline: {verdict}")
    complete = len(runs) == 2 * args.rounds and all(
        r.opened == args.clients and r.missing == 0 and r.seen.disorder == 0 and len(r.timed) > 0
        for r in runs
    )
    if len(runs) < 2 * args.rounds:
        print(f"time limit: {len(runs)} of {2 * args.rounds} runs")
    print(f"load average at the end: {load()}")
    print(f"result: {'every client got every alert, in order' if complete else 'INCOMPLETE'}")
    return 0 if complete else 1


def _row(label: str, runs: list[Run]) -> tuple[object, ...]:
    latency = _pooled(runs)
    alerts = sum(len(r.timed) for r in runs) or 1
    nats_cpu = [r.cpu.nats for r in runs if r.cpu.nats is not None]
    return (
        label,
        runs[0].name,
        runs[0].opened if len(runs) == 1 else sum(r.opened for r in runs) // len(runs),
        latency.count,
        latency.p50,
        latency.p99,
        latency.max,
        sum(r.cpu.server for r in runs) / alerts * 1000,
        sum(nats_cpu) / alerts * 1000 if len(nats_cpu) == len(runs) else "—",
        sum(r.cpu.clients for r in runs) / alerts * 1000,
        sum(r.missing for r in runs),
        sum(r.seen.disorder for r in runs),
    )


def _pooled(runs: list[Run]) -> Summary:
    return Summary.of(v for r in runs for v in r.latencies(lambda r: r.reached))


def _ratio(ours: float, theirs: float) -> float:
    return ours / theirs if theirs > 0 else math.nan


def _cpu_per_alert(runs: list[Run]) -> float:
    return sum(r.cpu.server for r in runs) / (sum(len(r.timed) for r in runs) or 1)


def _stages(tocsin: list[Run], baseline: list[Run], pushed: dict[int, int]) -> None:
    """Where each alert's time goes, over the timed alerts (the last row over deliveries)."""
    timed = [r for run in tocsin for r in run.timed]
    rows = [
        ("tocsin", "POST → event on its NATS subject (commit, relay)", _gaps(timed, "started")),
        (
            "tocsin",
            "event on its subject → pushed by JetStream",
            [(pushed[r.seq] - r.reached) / MS for r in timed if r.seq in pushed],
        ),
        (
            "tocsin",
            "POST → its answer",
            [(r.answered - r.started) / MS for r in timed if r.answered is not None],
        ),
        *_spread("tocsin", tocsin),
        (
            "baseline",
            "publish → frame on its NATS subject",
            _gaps([r for run in baseline for r in run.timed], "started"),
        ),
        *_spread("baseline", baseline),
        ("tocsin", "POST → each client", [v for run in tocsin for v in run.latencies(_posted)]),
    ]
    print_table(
        ("server", "stage", "p50 ms", "p99 ms", "max ms"),
        [(name, stage, *_figures(values)) for name, stage, values in rows],
    )


def _gaps(timed: list[Raised], since: str) -> list[float]:
    return [(r.reached - getattr(r, since)) / MS for r in timed]


def _posted(raised: Raised) -> int:
    return raised.started


def _spread(name: str, runs: list[Run]) -> list[tuple[str, str, list[float]]]:
    """When the first client got each alert, and how long the rest took after it."""
    first, rest = [], []
    for run in runs:
        for r in run.timed:
            times = run.seen.times.get(r.seq)
            if times:
                first.append((min(times) - r.reached) / MS)
                rest.append((max(times) - min(times)) / MS)
    return [
        (name, "event on its subject → first client", first),
        (name, "first client → last client (the fan-out)", rest),
    ]


def _figures(values: list[float]) -> tuple[float, float, float]:
    found = Summary.of(values)
    return found.p50, found.p99, found.max


if __name__ == "__main__":
    sys.exit(main())

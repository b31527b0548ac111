"""N SSE clients on 2 edge processes against 1: streams opened per second, raise → received.

    python bench/edges.py [--clients 10000] [--alerts 10] [--rounds 3]

Starts one writer (`tocsin serve` in cluster mode, on a fresh SQLite file) and NATS JetStream
(a `nats-server -js` of the run's own on a free loopback port, or the server `--nats` names),
under a cluster name of the run's own. Two configurations are measured in turn, `--rounds`
times each (A, B, A, B, …), so that a change in the machine's load touches both:

- A: one edge process (`tocsin serve --edge`) holds every client;
- B: two edge processes, the clients split evenly between them (the i-th client of each
  client process connects to edge i mod 2).

Each measurement starts its edges afresh and waits until they have caught up with the writer.
The SSE clients are raw asyncio protocols in `--client-processes` processes of their own (as
many in A as in B); once all are spawned they are told to connect at once, at most
`--connect-concurrency` connections in flight in all, each waiting for its stream's `open`.
Connections opened per second: the clients opened, over the span from the first connect to the
last `open`. Then alerts are raised on the writer one at a time (the `--warmup` first, untimed),
each timed from just before its POST to its frame's arrival at every client; the next is raised
once every client has it and `--interval` has passed.

Every process's CPU time (/proc) is taken over the herd and over the timed alerts: the edges',
the clients', the writer's, NATS's (of the run's own server only) and this process's, which
raises the alerts; beside them the whole machine's (/proc/stat) against what its CPUs could
give. On a machine whose CPUs the clients, the writer and NATS share with the edges, they say
what bounds the figures.

The writer puts its snapshot in the bucket once at start (`TOCSIN_SNAPSHOT_INTERVAL` of an
hour), not in the middle of one configuration's alerts; a fresh edge catches up from the event
stream after it. Its audit checkpoint, an event of its own in the log every minute, is put off
as long (`TOCSIN_AUDIT_CHECKPOINT_INTERVAL`): each alert raised is then the next event, and the
frame the first client gets for it is checked to be that alert's.

The run is bounded by `--time-limit`: a round is begun only while the time left is more than
1.5 times the longest round so far, and a measurement raises no alert once the limit has
passed (but the first it times).

Target (the issue): with 2 edges, both the p99 and the connections opened per second better
than with 1. Like the other dissemination benchmarks it exits non-zero only when a result is
wrong (a stream not opened, an alert missed, out of order or not the one raised), never because
the target was missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from common import (
    HOST,
    Arrivals,
    ClientPool,
    Server,
    SSEClient,
    Summary,
    Watch,
    _serve_commands,
    cpu_seconds,
    latencies_ms,
    load,
    machine,
    print_table,
    raise_fd_limit,
    run_loop,
    sse_request,
    tocsin_command,
)
from nodes import NatsServer, drop_streams, nats_server_binary

REGIONS = ("UA-63", "UA-30", "UA-46", "UA-51", "UA-12")
CONFIGS = {"A": 1, "B": 2}  # configuration → edge processes
ROLES = ("edges", "clients", "writer", "nats", "raiser")


# --- the processes ------------------------------------------------------------------------


class EdgeNode(Server):
    """`tocsin serve --edge` on a loopback port: no database."""

    def env(self) -> dict[str, str]:
        env = super().env()
        del env["TOCSIN_DATABASE_URL"]
        return env

    def start(self) -> None:
        command = [*tocsin_command(), "serve", "--edge", "--host", HOST, "--port", str(self.port)]
        with open(self.workdir / "serve.log", "ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1

    def wait_caught_up(self, seq: int, timeout: float) -> None:
        """Until the edge answers ready at `seq` or later."""
        deadline = time.monotonic() + timeout
        self.wait_ready(timeout)
        while time.monotonic() < deadline:
            self._check_alive()
            if httpx.get(f"{self.url}/healthz", timeout=2).json()["last_seq"] >= seq:
                return
            time.sleep(0.05)
        raise TimeoutError(f"edge on {self.url} not at seq {seq} after {timeout} s")


def head_seq(server: Server) -> int:
    return int(httpx.get(f"{server.url}/healthz", timeout=10).json()["last_seq"])


class Raiser:
    """Alerts raised on the writer over a keep-alive connection (the standard library's
    client: a full HTTP client costs the machine more CPU per request), made again after a
    pause longer than the server keeps an idle connection."""

    IDLE = 2.0  # seconds; uvicorn closes an idle keep-alive connection after 5

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.count = 0
        self.used = 0.0

    def raise_alert(self) -> bytes:
        """Raise the next missile alert; its id."""
        region = REGIONS[self.count % len(REGIONS)]
        self.count += 1
        body = b'{"threat":"missile","regions":["%s"]}' % region.encode()
        if time.monotonic() - self.used > self.IDLE:
            self.connection.close()  # the next request connects again
        self.connection.request("POST", "/v1/alerts", body, self.headers)
        answer = self.connection.getresponse()
        data = answer.read()
        self.used = time.monotonic()
        if answer.status != 201:
            raise RuntimeError(f"POST /v1/alerts answered {answer.status}: {data[:300]!r}")
        return str(json.loads(data)["id"]).encode()

    def close(self) -> None:
        self.connection.close()


# --- the clients ---------------------------------------------------------------------------


async def connect(
    watch: Watch, ports: Sequence[int], count: int, concurrency: int, timeout: float
) -> list[SSEClient]:
    """`count` SSE clients, the i-th to `ports[i % len(ports)]`, each until its `open`."""
    seen = watch.seen
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(concurrency)
    request = sse_request("/v1/stream")
    clients: list[SSEClient] = []

    async def one(index: int) -> None:
        async with gate:
            client = SSEClient(watch, request, capture=index == 0)
            try:
                async with asyncio.timeout(timeout):
                    port = ports[index % len(ports)]
                    await loop.create_connection(lambda: client, HOST, port)
                    await client.opened
            except (OSError, TimeoutError) as exc:
                errno = getattr(exc, "errno", None)
                seen.errors[f"{type(exc).__name__} {errno}" if errno else type(exc).__name__] += 1
                if client.transport is not None:
                    client.transport.abort()
                return
            clients.append(client)
            seen.opened += 1

    await asyncio.gather(*(one(i) for i in range(count)))
    return clients


def herd_process(
    conn: Connection, ports: list[int], count: int, concurrency: int, timeout: float
) -> None:
    """One client process: say it is up, connect its clients when told, then obey commands."""
    raise_fd_limit()

    async def main() -> None:
        watch = Watch(Arrivals())
        conn.send("up")
        await asyncio.to_thread(conn.recv)
        started = time.monotonic_ns()
        clients = await connect(watch, ports, count, concurrency, timeout)
        conn.send(
            ("open", watch.seen.opened, dict(watch.seen.errors), started, time.monotonic_ns())
        )
        await _serve_commands(conn, watch, clients)

    run_loop(main())


class Herd(ClientPool):
    """Client processes that connect all at once when told (`open_all`), client i of each to
    `ports[i % len(ports)]`; then `await_seqs` and `finish` as a `ClientPool`."""

    def __init__(
        self, ports: list[int], count: int, processes: int, concurrency: int, timeout: float
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.processes: list[Any] = []
        self.timeout = timeout
        shares, gates = _shares(count, processes), _shares(concurrency, processes)
        for share, gate in zip(shares, gates, strict=True):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=herd_process, args=(theirs, ports, share, gate, timeout), daemon=True
            )
            process.start()
            self.conns.append(mine)
            self.processes.append(process)
        self.opened = 0
        self.errors: Counter[str] = Counter()
        self.connect_seconds = 0.0
        try:
            for conn in self.conns:
                self._recv(conn, 60)
        except BaseException:
            self.__exit__()
            raise

    def __enter__(self) -> Herd:
        return self

    def open_all(self) -> float:
        """Tell every process to connect; the seconds from the first connect to the last open."""
        for conn in self.conns:
            conn.send("go")
        spans = []
        for conn in self.conns:
            _, opened, errors, started, finished = self._recv(conn, self.timeout + 60)
            self.opened += opened
            self.errors.update(errors)
            spans.append((started, finished))
        self.connect_seconds = (max(f for _, f in spans) - min(s for s, _ in spans)) / 1e9
        return self.connect_seconds


def _shares(total: int, parts: int) -> list[int]:
    """`total` split into `parts` as evenly as can be, none below 1."""
    return [max(1, total // parts + (i < total % parts)) for i in range(parts)]


# --- CPU -----------------------------------------------------------------------------------


def machine_seconds() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far, all its CPUs (/proc/stat)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


@dataclass(frozen=True)
class Usage:
    """CPU seconds of each process of each role over a span, and the machine's."""

    seconds: dict[str, list[float]]
    busy: float  # CPU seconds the whole machine spent, every process's
    capacity: float  # CPU seconds its CPUs could give over the span

    def total(self, role: str) -> float:
        return sum(self.seconds.get(role, ()))

    @property
    def busy_share(self) -> float:
        return self.busy / self.capacity if self.capacity else 0.0

    @property
    def others_share(self) -> float:
        """What processes other than this run's took, of what the CPUs could give."""
        ours = sum(self.total(role) for role in self.seconds)
        return max(0.0, self.busy - ours) / self.capacity if self.capacity else 0.0


class Meter:
    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids
        self.before = self._sample()

    def _sample(self) -> tuple[dict[str, list[float]], tuple[float, float]]:
        cpu = {role: [cpu_seconds(pid) for pid in pids] for role, pids in self.pids.items()}
        return cpu, machine_seconds()

    def restart(self) -> None:
        self.before = self._sample()

    def read(self) -> Usage:
        (cpu0, (busy0, total0)), (cpu1, (busy1, total1)) = self.before, self._sample()
        seconds = {r: [b - a for a, b in zip(cpu0[r], cpu1[r], strict=True)] for r in cpu0}
        return Usage(seconds, busy1 - busy0, total1 - total0)


# --- one measurement -----------------------------------------------------------------------


@dataclass
class Measurement:
    config: str
    round: int
    opened: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    connect_seconds: float = 0.0
    herd: Usage | None = None
    alerts: Usage | None = None
    sent: dict[int, int] = field(default_factory=dict)  # seq → ns just before its POST
    seen: Arrivals = field(default_factory=Arrivals)
    missing: int = 0
    wrong: int = 0  # timed seqs whose frame was not the alert raised
    seconds: float = 0.0  # the whole measurement, edges started to stopped

    @property
    def edges(self) -> int:
        return CONFIGS[self.config]

    @property
    def rate(self) -> float:
        return self.opened / self.connect_seconds if self.connect_seconds else 0.0

    @property
    def latency(self) -> Summary:
        return Summary.of(latencies_ms(self.seen.times, self.sent))


@dataclass(frozen=True)
class Setup:
    workdir: Path
    writer: Server
    raiser: Raiser
    settings: dict[str, str]
    nats_pid: int | None
    deadline: float


def measure(setup: Setup, config: str, number: int, args: argparse.Namespace) -> Measurement:
    began = time.monotonic()
    result = Measurement(config, number)
    head = head_seq(setup.writer)
    edges = []
    for index in range(CONFIGS[config]):
        workdir = setup.workdir / f"round-{number}-{config}-{index}"
        workdir.mkdir()
        name = {"TOCSIN_NODE_NAME": f"edge-{number}{config}{index}"}
        edges.append(EdgeNode(workdir, settings={**setup.settings, **name}))
    try:
        for edge in edges:
            edge.start()
        for edge in edges:
            edge.wait_caught_up(head, args.timeout + 60)
        ports = [edge.port for edge in edges]
        with Herd(
            ports, args.clients, args.client_processes, args.connect_concurrency, args.timeout
        ) as herd:
            pids = {
                "edges": [edge.pid for edge in edges],
                "clients": herd.pids,
                "writer": [setup.writer.pid],
                "nats": [setup.nats_pid] if setup.nats_pid else [],
                "raiser": [os.getpid()],
            }
            meter = Meter(pids)
            result.connect_seconds = herd.open_all()
            result.herd = meter.read()
            result.opened, result.errors = herd.opened, dict(herd.errors)
            time.sleep(args.interval)
            ids = _raise(setup, herd, result, head, meter, args)
            result.seen = herd.finish()
    finally:
        for edge in edges:
            edge.stop()
    result.wrong = sum(ids[seq] not in result.seen.frames.get(seq, b"") for seq in ids)
    result.seconds = time.monotonic() - began
    return result


def _raise(
    setup: Setup,
    herd: Herd,
    result: Measurement,
    head: int,
    meter: Meter,
    args: argparse.Namespace,
) -> dict[int, bytes]:
    """Raise the alerts one at a time; the id of each, by the seq it was given."""
    ids: dict[int, bytes] = {}
    for i in range(args.warmup + args.alerts):
        if i > args.warmup and time.monotonic() > setup.deadline:
            break
        if i == args.warmup:
            meter.restart()
        seq = head + i + 1
        started = time.monotonic_ns()
        ids[seq] = setup.raiser.raise_alert()
        if i >= args.warmup:
            result.sent[seq] = started
        counts = herd.await_seqs([seq], args.timeout)
        result.missing += herd.opened - counts[seq]
        time.sleep(max(0.0, args.interval - (time.monotonic_ns() - started) / 1e9))
    result.alerts = meter.read()
    return ids


# --- the run -------------------------------------------------------------------------------


def main() -> int:
    args = _arguments()
    signal.signal(signal.SIGTERM, _terminated)
    limit = raise_fd_limit()
    print(f"machine: {machine()}; open-files limit {limit:,}")
    print(f"load average at the start: {load()}")
    print(
        f"clients {args.clients:,} in {args.client_processes} client process(es), "
        f"{args.connect_concurrency} connecting at a time; alerts {args.warmup} + "
        f"{args.alerts} a measurement, at least {args.interval} s apart; {args.rounds} "
        f"round(s) of A (1 edge) and B (2 edges)"
    )
    print(
        "writer: tocsin serve in cluster mode on SQLite; NATS: "
        + (args.nats or "a nats-server -js of the run's own")
    )
    deadline = time.monotonic() + args.time_limit
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp:
        measurements = run(Path(tmp), args, deadline)
    return report(measurements, args)


def _terminated(*_: object) -> None:
    raise SystemExit(143)


def run(workdir: Path, args: argparse.Namespace, deadline: float) -> list[Measurement]:
    cluster = f"bench-edges-{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as stack:
        nats_pid = None
        url = args.nats
        if url:
            stack.callback(lambda: asyncio.run(drop_streams(url, cluster)))
        else:
            binary = nats_server_binary()
            if binary is None:
                raise SystemExit("nats-server not found: install it, or give --nats URL")
            own = NatsServer(workdir)
            stack.callback(own.stop)
            url, nats_pid = own.start(binary).url, own.pid
        cluster_env = {"TOCSIN_NATS_URL": url, "TOCSIN_CLUSTER": cluster}
        (workdir / "writer").mkdir()
        writer = Server(
            workdir / "writer",
            settings={
                **cluster_env,
                "TOCSIN_NODE_NAME": "writer",
                "TOCSIN_SNAPSHOT_INTERVAL": "3600",
                "TOCSIN_AUDIT_CHECKPOINT_INTERVAL": "3600",
            },
        )
        token = writer.create_token()
        stack.enter_context(writer)
        writer.start()
        writer.wait_ready()
        raiser = Raiser(writer.port, token)
        stack.callback(raiser.close)
        settings = {**cluster_env, "TOCSIN_WRITER_URL": writer.url}
        setup = Setup(workdir, writer, raiser, settings, nats_pid, deadline)
        measurements = rounds(setup, args)
    return measurements


def rounds(setup: Setup, args: argparse.Namespace) -> list[Measurement]:
    """A, B, A, B, …: a round begun only while the time left is 1.5 times the longest yet."""
    measurements: list[Measurement] = []
    longest = 0.0
    for number in range(1, args.rounds + 1):
        if measurements and setup.deadline - time.monotonic() < 1.5 * longest:
            print(f"time limit: {number - 1} of {args.rounds} rounds measured")
            break
        began = time.monotonic()
        for config in CONFIGS:
            measured = measure(setup, config, number, args)
            measurements.append(measured)
            _progress(measured)
        longest = max(longest, time.monotonic() - began)
    return measurements


def _progress(m: Measurement) -> None:
    latency = m.latency
    print(
        f"  round {m.round} {m.config} ({m.edges} edge{'s' if m.edges > 1 else ''}): "
        f"{m.opened:,} open in {m.connect_seconds:.2f} s, {m.rate:,.0f}/s; "
        f"{len(m.sent)} alerts: p50 {latency.p50:.1f}, p99 {latency.p99:.1f}, "
        f"max {latency.max:.1f} ms ({m.seconds:.0f} s)"
        + (f"; failures {m.errors}" if m.errors else "")
        + (f"; {m.seen.dropped} `dropped`" if m.seen.dropped else "")
        + (f"; {m.seen.closed} streams closed" if m.seen.closed else ""),
        flush=True,
    )


# --- the report ----------------------------------------------------------------------------


HERD = (
    *("round", "config", "opened", "s", "opened/s", "edges µs", "each edge s", "clients µs"),
    *("writer µs", "NATS µs", "raiser µs", "machine busy %", "others %"),
)
ALERTS = (
    *("round", "config", "alerts", "p50", "p99", "max", "edges ms", "each edge ms"),
    *("clients ms", "writer ms", "NATS ms", "raiser ms", "machine busy %", "others %"),
)
SUMMARY = (
    *("config", "edges", "rounds", "opened/s median", "opened/s best", "deliveries"),
    *("p50 ms", "p99 ms", "max ms", "missing", "out of order", "not the alert raised"),
)


def report(measurements: list[Measurement], args: argparse.Namespace) -> int:
    print()
    print(
        "the herd: CPU per connection opened (µs); the machine's CPUs busy over its span, and "
        "busy with processes not of this run"
    )
    print_table(HERD, [_herd_row(m) for m in measurements])
    print()
    print(
        "the timed alerts: raise → received (ms); CPU per alert (ms); the machine's CPUs busy "
        "from the first raise to the last arrival, and busy with processes not of this run"
    )
    print_table(ALERTS, [_alerts_row(m) for m in measurements])
    print()
    summary = {config: _summary(measurements, config) for config in CONFIGS}
    print_table(SUMMARY, [(config, CONFIGS[config], *row) for config, row in summary.items()])
    rate_ratio = summary["B"][1] / summary["A"][1] if summary["A"][1] else float("nan")
    p99_ratio = summary["A"][5] / summary["B"][5] if summary["B"][5] else float("nan")
    print()
    print(
        f"2 edges against 1 (above 1: 2 edges better): connections opened per second B/A "
        f"{rate_ratio:.2f}× (medians of the rounds), p99 A/B {p99_ratio:.2f}× (every delivery "
        f"of the rounds)"
    )
    met = rate_ratio > 1 and p99_ratio > 1
    print(
        "target (the issue): with 2 edges both the p99 and the connections opened per second "
        f"better than with 1: {'met' if met else 'MISSED'}"
    )
    print(f"load average at the end: {load()}")
    complete = all(
        m.opened == args.clients
        and m.missing == 0
        and m.seen.disorder == 0
        and m.wrong == 0
        and m.sent
        for m in measurements
    )
    verdict = "every client opened and got every alert, in order" if complete else "INCOMPLETE"
    print(f"result: {verdict}")
    return 0 if complete else 1


def _herd_row(m: Measurement) -> tuple[object, ...]:
    assert m.herd is not None
    per = 1e6 / m.opened if m.opened else 0.0
    each = " / ".join(f"{s:.2f}" for s in m.herd.seconds["edges"])
    return (
        m.round,
        m.config,
        m.opened,
        f"{m.connect_seconds:.2f}",
        round(m.rate),
        m.herd.total("edges") * per,
        each,
        *(m.herd.total(role) * per for role in ROLES[1:]),
        m.herd.busy_share * 100,
        m.herd.others_share * 100,
    )


def _alerts_row(m: Measurement) -> tuple[object, ...]:
    assert m.alerts is not None
    latency = m.latency
    per = 1000 / len(m.sent) if m.sent else 0.0
    each = " / ".join(f"{s * per:.1f}" for s in m.alerts.seconds["edges"])
    return (
        m.round,
        m.config,
        len(m.sent),
        latency.p50,
        latency.p99,
        latency.max,
        m.alerts.total("edges") * per,
        each,
        *(m.alerts.total(role) * per for role in ROLES[1:]),
        m.alerts.busy_share * 100,
        m.alerts.others_share * 100,
    )


def _summary(measurements: list[Measurement], config: str) -> tuple[Any, ...]:
    mine = [m for m in measurements if m.config == config]
    latency = Summary.of([ms for m in mine for ms in latencies_ms(m.seen.times, m.sent)])
    return (
        len(mine),
        statistics.median(m.rate for m in mine),
        max(m.rate for m in mine),
        latency.count,
        latency.p50,
        latency.p99,
        latency.max,
        sum(m.missing for m in mine),
        sum(m.seen.disorder for m in mine),
        sum(m.wrong for m in mine),
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="SSE clients on 2 edge processes against 1: streams opened per second and "
        "raise → received latency."
    )
    size = parser.add_argument
    size("--clients", type=int, default=10_000, help="SSE clients, in A and in B [%(default)s]")
    size("--alerts", type=int, default=10, help="timed alerts a measurement [%(default)s]")
    size("--warmup", type=int, default=1, help="alerts raised first, untimed [%(default)s]")
    size("--rounds", type=int, default=3, help="rounds of A then B [%(default)s]")
    size("--interval", type=float, default=0.5, help="seconds between raises [%(default)s]")
    size("--client-processes", type=int, default=2, help="client processes [%(default)s]")
    size(
        "--connect-concurrency",
        type=int,
        default=500,
        help="connections in flight, in all client processes [%(default)s]",
    )
    size(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds for the herd, and for each alert [%(default)s]",
    )
    size("--time-limit", type=float, default=600.0, help="seconds for the run [%(default)s]")
    size("--nats", metavar="URL", default="", help="a NATS server to use [one of the run's own]")
    args = parser.parse_args()
    if min(args.clients, args.alerts, args.rounds, args.client_processes) < 1:
        raise SystemExit("--clients, --alerts, --rounds and --client-processes must be ≥ 1")
    if args.clients < 2 * args.client_processes:
        raise SystemExit("--clients must be at least twice --client-processes")
    return args


if __name__ == "__main__":
    sys.exit(main())

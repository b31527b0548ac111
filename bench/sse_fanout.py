"""Raise → received by N concurrent SSE clients, against a bare asyncio server.

    python bench/sse_fanout.py [--clients 10000] [--alerts 20] [--interval 0.5]

Starts `tocsin serve` on a free loopback port with a fresh SQLite file, opens N SSE connections
from a separate client process (raw asyncio protocols, uvloop), waits until all got `open`, then
raises K alerts one after another: each is timed from just before its POST to its frame's arrival
at every client, and the next is raised once every client has it (and `--interval` has passed).

Baseline, in the same run: a bare asyncio server (one process, uvloop, like uvicorn) accepts the
same N connections from the same client process and, on `POST /trigger`, writes the very bytes
tocsin sent for that alert (captured by client 0, as the same HTTP chunk) to every socket.

The run is bounded by `--time-limit` (300 s): tocsin stops raising new alerts at 70 % of it,
and the baseline raises as many as tocsin did (unless the limit runs out first).

Targets (issue #4): tocsin p99 within 1.5× the baseline's, and under 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

import httpx
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

REGIONS = ("UA-63", "UA-30", "UA-46", "UA-51", "UA-12")
P99_LIMIT_MS = 250.0
RATIO_LIMIT = 1.5


@dataclass
class Run:
    name: str
    opened: int
    connect_seconds: float
    latency: Summary
    missing: int
    seen: Arrivals
    server_cpu: float
    client_cpu: float
    sent: dict[int, int]
    posted: dict[int, int]  # seq → ns from just before the POST to its response
    raised: int  # alerts raised, the warm-up included


def main() -> int:
    args = _arguments()
    if args.alerts < 1 or args.clients < 1:
        raise SystemExit("--alerts and --clients must be at least 1")
    limit = raise_fd_limit()
    print(f"machine: {machine()}; open-files limit {limit:,}")
    print(
        f"clients {args.clients:,} in {args.client_processes} process(es); alerts "
        f"{args.alerts}, at least {args.interval} s apart"
    )
    deadline = time.monotonic() + args.time_limit
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp, Server(Path(tmp)) as server:
        token = server.create_token()
        server.start()
        server.wait_ready()
        tocsin = measure_tocsin(server, token, args, deadline)
        server.stop()
    frames = [tocsin.seen.frames[seq] for seq in sorted(tocsin.seen.frames)]
    if len(frames) < tocsin.raised:
        print("tocsin: client 0 did not capture every frame; no baseline", file=sys.stderr)
        return 1
    baseline = measure_baseline(frames[: tocsin.raised], args, deadline)
    report(tocsin, baseline, args)
    complete = all(
        r.opened == args.clients and r.missing == 0 and r.seen.disorder == 0
        for r in (tocsin, baseline)
    )
    print(f"load average at the end: {load()}")
    print(f"result: {'every client got every alert, in order' if complete else 'INCOMPLETE'}")
    return 0 if complete else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="SSE fan-out latency against a bare server.")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between raises")
    parser.add_argument("--warmup", type=int, default=1, help="alerts raised first, not timed")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--connect-concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per alert")
    parser.add_argument("--per-alert", action="store_true", help="print each alert's figures")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=300.0,
        help="seconds for the whole run: tocsin stops raising at 70 %% of it, the baseline "
        "then raises as many",
    )
    return parser.parse_args()


def measure_tocsin(server: Server, token: str, args: argparse.Namespace, deadline: float) -> Run:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        base = http.get("/healthz").json()["last_seq"]

        def post(i: int) -> None:
            body = {"threat": "missile", "regions": [REGIONS[i % len(REGIONS)]]}
            http.post("/v1/alerts", json=body).raise_for_status()

        stop_at = deadline - 0.3 * args.time_limit
        raises = args.warmup + args.alerts
        return measure("tocsin", server.port, server.pid, base, post, raises, stop_at, args)


def measure_baseline(frames: list[bytes], args: argparse.Namespace, deadline: float) -> Run:
    port = free_port()
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    process = context.Process(target=baseline_process, args=(theirs, port), daemon=True)
    process.start()
    try:
        if not mine.poll(30):
            raise TimeoutError("baseline server did not start")
        mine.recv()
        with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30) as http:
            first = int(frames[0].split(b"\n", 1)[0][4:])

            def post(i: int) -> None:
                http.post("/trigger", content=frames[i]).raise_for_status()

            base = first - 1
            return measure("baseline", port, process.pid, base, post, len(frames), deadline, args)
    finally:
        process.kill()
        process.join()


def measure(
    name: str,
    port: int,
    server_pid: int,
    base: int,
    post: Callable[[int], None],
    raises: int,
    stop_at: float,
    args: argparse.Namespace,
) -> Run:
    """Raise `raises` alerts (the first `--warmup` untimed), but none after `stop_at`."""
    with ClientPool(
        port, args.clients, processes=args.client_processes, concurrency=args.connect_concurrency
    ) as pool:
        opened = pool.wait_ready(timeout=max(10.0, stop_at - time.monotonic()))
        print(
            f"{name}: {opened:,} of {args.clients:,} clients open in "
            f"{pool.connect_seconds:.1f} s"
            + (f"; failures {dict(pool.errors)}" if pool.errors else "")
        )
        sent: dict[int, int] = {}
        posted: dict[int, int] = {}
        missing = raised = 0
        cpu_before = client_before = 0.0
        for i in range(raises):
            if i > args.warmup and time.monotonic() > stop_at:
                break
            if i == args.warmup:
                cpu_before = cpu_seconds(server_pid)
                client_before = sum(cpu_seconds(pid) for pid in pool.pids)
            seq = base + i + 1
            started = time.monotonic_ns()
            post(i)
            if i >= args.warmup:
                sent[seq] = started
                posted[seq] = time.monotonic_ns() - started
            raised += 1
            counts = pool.await_seqs([seq], args.timeout)
            missing += opened - counts[seq]
            time.sleep(max(0.0, args.interval - (time.monotonic_ns() - started) / 1e9))
        server_cpu = cpu_seconds(server_pid) - cpu_before
        client_cpu = sum(cpu_seconds(pid) for pid in pool.pids) - client_before
        seen = pool.finish()
    latency = Summary.of(latencies_ms(seen.times, sent))
    return Run(
        name,
        opened,
        pool.connect_seconds,
        latency,
        missing,
        seen,
        server_cpu,
        client_cpu,
        sent,
        posted,
        raised,
    )


def report(tocsin: Run, baseline: Run, args: argparse.Namespace) -> None:
    if len(baseline.sent) < args.alerts:
        print(
            f"time limit: {len(tocsin.sent)} (tocsin) and {len(baseline.sent)} (baseline) "
            f"of {args.alerts} alerts timed"
        )
    for r in (tocsin, baseline):
        if r.seen.dropped or r.seen.closed:
            print(f"{r.name}: {r.seen.dropped} `dropped` events, {r.seen.closed} streams closed")
    print()
    rows = [
        (
            r.name,
            r.opened,
            r.latency.count,
            r.latency.p50,
            r.latency.p99,
            r.latency.max,
            r.server_cpu / len(r.sent) * 1000,
            r.client_cpu / len(r.sent) * 1000,
            r.missing,
            r.seen.disorder,
        )
        for r in (tocsin, baseline)
    ]
    print_table(
        (
            "server",
            "clients",
            "deliveries",
            "p50 ms",
            "p99 ms",
            "max ms",
            "server CPU ms/alert",
            "client CPU ms/alert",
            "missing",
            "out of order",
        ),
        rows,
    )
    if args.per_alert:
        print()
        print_table(
            ("seq", "tocsin POST ms", "tocsin p50", "tocsin max", "baseline p50", "baseline max"),
            per_alert(tocsin, baseline),
        )
        print()
    ratio_p50 = tocsin.latency.p50 / baseline.latency.p50
    ratio_p99 = tocsin.latency.p99 / baseline.latency.p99
    print(f"ratio tocsin/baseline: p50 {ratio_p50:.2f}×, p99 {ratio_p99:.2f}×")
    print(
        f"target p99 ≤ {RATIO_LIMIT}× baseline: {_verdict(ratio_p99 <= RATIO_LIMIT)}; "
        f"target p99 < {P99_LIMIT_MS:.0f} ms: {_verdict(tocsin.latency.p99 < P99_LIMIT_MS)}"
    )


def per_alert(tocsin: Run, baseline: Run) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for seq, started in tocsin.sent.items():
        ours = Summary.of(latencies_ms(tocsin.seen.times, {seq: started}))
        theirs = Summary.of(latencies_ms(baseline.seen.times, {seq: baseline.sent[seq]}))
        rows.append((seq, tocsin.posted[seq] / MS, ours.p50, ours.max, theirs.p50, theirs.max))
    return rows


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


# --- the bare asyncio server ---------------------------------------------------------------

HEAD = (
    b"HTTP/1.1 200 OK\r\nserver: baseline\r\ncache-control: no-store\r\n"
    b"x-accel-buffering: no\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)
OPEN = chunk(b'event: ready\ndata: {"last_seq":0}\n\n')


class Baseline(asyncio.Protocol):
    """GET /v1/stream: subscribe; POST /trigger: write the body as one chunk to every one."""

    def __init__(self, subscribers: set[asyncio.Transport]) -> None:
        self.subscribers = subscribers
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end]
            length = _content_length(head)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self._handle(head, body)

    def _handle(self, head: bytes, body: bytes) -> None:
        assert self.transport is not None
        if head.startswith(b"GET /v1/stream"):
            self.transport.write(HEAD + OPEN)
            self.subscribers.add(self.transport)
        elif head.startswith(b"POST /trigger"):
            frame = chunk(body)
            for subscriber in self.subscribers:
                subscriber.write(frame)
            self.transport.write(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n")
        else:
            self.transport.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self.subscribers.discard(cast(asyncio.Transport, self.transport))


def _content_length(head: bytes) -> int:
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def baseline_process(conn: Connection, port: int) -> None:
    raise_fd_limit()

    async def serve() -> None:
        subscribers: set[asyncio.Transport] = set()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: Baseline(subscribers), HOST, port, backlog=2048)
        conn.send("ready")
        async with server:
            await server.serve_forever()

    run_loop(serve())


if __name__ == "__main__":
    sys.exit(main())

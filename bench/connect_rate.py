"""Opening N stream connections at once, against a bare asyncio server.

    python bench/connect_rate.py [--clients 10000] [--rounds 3]

The thundering herd right after a raise: N SSE clients connect at once (raw asyncio protocols
in a separate process, at most `--connect-concurrency` connecting at a time) and each waits for
its stream's `open` event. Timed from the first connect to the last `open`, and the server's
CPU over the same span (from /proc).

Baseline, in the same run: the bare asyncio server of `sse_fanout.py` (one process, uvloop),
which answers `GET /v1/stream` with the response head and an `open` frame, nothing else. Beside
it, the floor of the HTTP server tocsin runs on: uvicorn, as `tocsin serve` runs it (uvloop,
httptools, no access log), with a minimal ASGI app that sends the same head and `open` frame
and waits for the client to go. The three are measured in alternating rounds (tocsin, bare,
uvicorn, tocsin, …) so that a change in the machine's load touches all; the best round of each
is compared, and every round is printed with the server's CPU per connection, the steadier
figure on a shared machine.

Target (issue #14): tocsin opens connections at ≥ 0.5× the bare server's rate.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from common import (
    HOST,
    ClientPool,
    Server,
    cpu_seconds,
    free_port,
    load,
    machine,
    raise_fd_limit,
    run_loop,
)
from slow_clients import rss
from sse_fanout import baseline_process

OPEN = b'event: ready\ndata: {"last_seq":0}\n\n'
HEAD = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")]

TARGET = 0.5
NAMES = ("tocsin", "bare", "uvicorn")


@dataclass(frozen=True)
class Round:
    name: str
    opened: int
    seconds: float
    server_cpu: float
    memory: int  # the server's resident memory with every connection open, less before
    errors: dict[str, int]

    @property
    def rate(self) -> float:
        return self.opened / self.seconds if self.seconds else 0.0

    @property
    def kib(self) -> float:
        """Server memory per open connection, in KiB (the kernel's socket buffers apart)."""
        return self.memory / self.opened / 1024 if self.opened else 0.0

    @property
    def cpu_us(self) -> float:
        """Server CPU per connection opened, in µs."""
        return self.server_cpu / self.opened * 1e6 if self.opened else 0.0


def main() -> int:
    args = _arguments()
    limit = raise_fd_limit()
    print(f"machine: {machine()}; open-files limit {limit:,}")
    print(
        f"clients {args.clients:,} per round in {args.client_processes} process(es), "
        f"{args.connect_concurrency} connecting at a time; {args.rounds} round(s) each"
    )
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp, Server(Path(tmp)) as server:
        server.start()
        server.wait_ready()
        bare_port, floor_port = free_port(), free_port()
        bare = _start(baseline_process, bare_port)
        floor = _start(uvicorn_process, floor_port)
        try:
            for _ in range(args.rounds):
                rounds.append(measure("tocsin", server.port, server.pid, args))
                rounds.append(measure("bare", bare_port, bare.pid, args))
                rounds.append(measure("uvicorn", floor_port, floor.pid, args))
        finally:
            for process in (bare, floor):
                process.kill()
                process.join()
    return report(rounds, args)


def _start(target: Callable[[Connection, int], None], port: int) -> Any:
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    process = context.Process(target=target, args=(theirs, port), daemon=True)
    process.start()
    if not mine.poll(30):
        process.kill()
        raise TimeoutError(f"{target.__name__} did not start")
    mine.recv()
    return process


async def minimal_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The least an ASGI stream can do: the head, `open`, then wait for the client to go."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEAD})
    await send({"type": "http.response.body", "body": OPEN, "more_body": True})
    while (await receive())["type"] != "http.disconnect":
        pass


def uvicorn_process(conn: Connection, port: int) -> None:
    import uvicorn

    raise_fd_limit()
    config = uvicorn.Config(
        minimal_app,
        host=HOST,
        port=port,
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=2048,
        http="httptools",
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        serving = asyncio.ensure_future(server.serve())
        while not server.started:  # noqa: ASYNC110  (uvicorn has no event to wait on)
            await asyncio.sleep(0.05)
        conn.send("ready")
        await serving

    run_loop(serve())


def measure(name: str, port: int, pid: int, args: argparse.Namespace) -> Round:
    before, resident = cpu_seconds(pid), rss(pid)
    with ClientPool(
        port,
        args.clients,
        processes=args.client_processes,
        concurrency=args.connect_concurrency,
        timeout=args.timeout,
    ) as pool:
        opened = pool.wait_ready(timeout=args.timeout + 60)
        cpu = cpu_seconds(pid) - before
        memory = rss(pid) - resident
        pool.finish()
    result = Round(name, opened, pool.connect_seconds, cpu, memory, dict(pool.errors))
    print(
        f"  {name:7} {result.opened:>7,} open in {result.seconds:6.2f} s: "
        f"{result.rate:>8,.0f}/s, server CPU {result.cpu_us:4.0f} µs and "
        f"{result.kib:4.1f} KiB per connection"
        + (f"; failures {result.errors}" if result.errors else "")
    )
    time.sleep(args.pause)  # let the closed sockets leave TIME_WAIT's busiest moment
    return result


def report(rounds: list[Round], args: argparse.Namespace) -> int:
    best = {name: max(r.rate for r in rounds if r.name == name) or 1e-9 for name in NAMES}
    cpu = {name: statistics.median(r.cpu_us for r in rounds if r.name == name) for name in NAMES}
    ratio = best["tocsin"] / best["bare"]
    print()
    print("best rate of each, and the median of its server CPU per connection:")
    for name in NAMES:
        print(
            f"  {name:7} {best[name]:>8,.0f}/s  {best[name] / best['bare']:.2f}× bare  "
            f"{cpu[name]:5.0f} µs"
        )
    cpu_ratio = f"{cpu['tocsin'] / cpu['uvicorn']:.2f}×" if cpu["uvicorn"] else "(too few to time)"
    print(
        f"tocsin against uvicorn's floor: {best['tocsin'] / best['uvicorn']:.2f}× the rate, "
        f"{cpu_ratio} the CPU per connection"
    )
    print(f"target ≥ {TARGET}× the bare server's rate: {'met' if ratio >= TARGET else 'missed'}")
    print(f"load average at the end: {load()}")
    complete = all(r.opened == args.clients for r in rounds)
    print(f"result: {'every connection opened' if complete else 'INCOMPLETE'}")
    return 0 if complete else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Stream connection-open rate against a bare server."
    )
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--connect-concurrency", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for one round")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between rounds")
    args = parser.parse_args()
    if args.clients < 1 or args.rounds < 1:
        raise SystemExit("--clients and --rounds must be at least 1")
    return args


if __name__ == "__main__":
    sys.exit(main())

"""Raise → committed → first delivery, with `kill -9` of the server at random points.

    python bench/kill9.py [--alerts 1000] [--kills 10] [--concurrency 4] [--seed 7]

Starts `tocsin serve` on a free loopback port with a fresh SQLite file, then runs together:

- a receiver: one SSE connection (raw asyncio stream) that reconnects after every drop with
  `Last-Event-ID` set to the last seq it got, and records every frame it receives, raw;
- a raiser: `--concurrency` workers posting `--alerts` alerts, each with its own
  `Idempotency-Key`, retrying on connection errors and 5xx until a 2xx answers;
- a killer: at `--kills` random points in the run (each when the raiser has started a randomly
  drawn alert, plus 0–30 ms) sends SIGKILL to the server, then restarts it on the same port and
  database and waits until it is ready.

At the end the receiver must hold every alert's `alert.raised` event exactly once, in strictly
increasing seq, and the database exactly `--alerts` alerts. The latency raise → delivery runs
from just before an alert's first POST to its frame's arrival, and leaves out the alerts whose
raise → delivery overlapped a kill (from the SIGKILL until the restarted server was ready).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
from common import (
    HOST,
    MS,
    Server,
    SSEStream,
    Summary,
    load,
    machine,
    parse_frame,
    print_table,
    sse_request,
)

REGIONS = ("UA-63", "UA-30", "UA-46", "UA-51", "UA-12", "UA-14", "UA-65", "RU-BEL")
RETRY_PAUSE = 0.05


@dataclass
class Raised:
    index: int
    first_try: int  # monotonic ns just before the first POST
    alert_id: str = ""
    replayed: bool = False  # answered 200 Idempotent-Replayed: committed before a kill
    attempts: int = 0


@dataclass
class Received:
    frames: list[tuple[int, bytes, int]] = field(default_factory=list)  # seq, event, ns
    ids: dict[str, int] = field(default_factory=dict)  # alert id → arrival ns (first)
    raised: Counter[str] = field(default_factory=Counter)  # alert id → raise frames seen
    last: int | None = None  # the seq to resume after (Last-Event-ID)
    connects: int = 0
    refused: int = 0
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # a new alert arrived


@dataclass
class Run:
    started: int = 0  # alerts whose first POST has been sent
    raised: dict[int, Raised] = field(default_factory=dict)
    kills: list[tuple[int, int]] = field(default_factory=list)  # ns of each SIGKILL, ready again
    progressed: asyncio.Event = field(default_factory=asyncio.Event)  # `started` went up
    received: Received = field(default_factory=Received)


def main() -> int:
    args = _arguments()
    print(f"machine: {machine()}")
    print(
        f"alerts {args.alerts:,}, kills {args.kills}, raiser concurrency {args.concurrency}, "
        f"seed {args.seed}"
    )
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp, Server(Path(tmp)) as server:
        token = server.create_token()
        server.start()
        server.wait_ready()
        started = time.monotonic()
        run = asyncio.run(_run(server, token, args))
        elapsed = time.monotonic() - started
        server.stop()
        stored = _count_stored(Path(tmp) / "tocsin.db")
    return report(run, stored, elapsed, server.starts, args)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="kill -9 the server while alerts are raised.")
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--time-limit", type=float, default=280.0, help="seconds for raising, killing, receiving"
    )
    return parser.parse_args()


async def _run(server: Server, token: str, args: argparse.Namespace) -> Run:
    run = Run()
    rng = random.Random(args.seed)
    receiver = asyncio.create_task(receive(server.port, run.received))
    await asyncio.wait_for(run.received.opened.wait(), 30)
    points = sorted(rng.sample(range(1, args.alerts), min(args.kills, args.alerts - 1)))
    killer = asyncio.create_task(kill_at(server, points, run, rng))
    try:
        async with asyncio.timeout(args.time_limit):
            await raise_all(server.url, token, args, run)
            await killer
            await _until_delivered(run)
    except TimeoutError:
        print(f"timed out after {args.time_limit} s", file=sys.stderr)
    finally:
        for task in (killer, receiver):
            task.cancel()
        await asyncio.gather(killer, receiver, return_exceptions=True)
    return run


async def _until_delivered(run: Run, grace: float = 30.0) -> None:
    """Wait until every raised alert has arrived (or `grace` seconds have passed)."""
    wanted = {r.alert_id for r in run.raised.values()}
    got = run.received
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(grace):
            while not wanted <= got.ids.keys():
                got.changed.clear()
                await got.changed.wait()


# --- receiver ------------------------------------------------------------------------------


async def receive(port: int, got: Received) -> None:
    """Hold an SSE connection; reconnect with Last-Event-ID after every drop."""
    while True:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            got.refused += 1
            await asyncio.sleep(RETRY_PAUSE)
            continue
        got.connects += 1
        try:
            writer.write(sse_request("/v1/stream", got.last))
            await _read_stream(reader, got)
        except (OSError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        await asyncio.sleep(RETRY_PAUSE)


async def _read_stream(reader: asyncio.StreamReader, got: Received) -> None:
    stream = SSEStream()
    while data := await reader.read(65536):
        now = time.monotonic_ns()
        for raw in stream.feed(data):
            frame = parse_frame(raw)
            if frame.event == b"ready":
                if got.last is None:
                    got.last = orjson.loads(frame.data)["last_seq"]
                got.opened.set()
            if frame.seq is None:
                continue
            got.last = frame.seq
            got.frames.append((frame.seq, frame.event, now))
            if frame.event == b"alert.raised":
                alert_id = orjson.loads(frame.data)["alert"]["id"]
                got.raised[alert_id] += 1
                got.ids.setdefault(alert_id, now)
                got.changed.set()
        if stream.status not in (0, 200):
            raise ValueError(f"HTTP {stream.status}")


# --- raiser and killer ---------------------------------------------------------------------


async def raise_all(url: str, token: str, args: argparse.Namespace, run: Run) -> None:
    todo = iter(range(args.alerts))
    prefix = f"kill9-{time.time_ns()}"
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10, limits=limits) as http:

        async def worker() -> None:
            for index in todo:
                run.started += 1
                run.progressed.set()
                run.raised[index] = await raise_one(http, index, f"{prefix}-{index}")

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))


async def raise_one(http: httpx.AsyncClient, index: int, key: str) -> Raised:
    raised = Raised(index, time.monotonic_ns())
    body = {
        "threat": "missile",
        "regions": [REGIONS[index % len(REGIONS)]],
        "headline": f"kill9 #{index}",
    }
    while True:
        raised.attempts += 1
        try:
            response = await http.post("/v1/alerts", json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            await asyncio.sleep(RETRY_PAUSE)
            continue
        if response.status_code >= 500:
            await asyncio.sleep(RETRY_PAUSE)
            continue
        response.raise_for_status()
        raised.alert_id = response.json()["id"]
        raised.replayed = response.headers.get("Idempotent-Replayed") == "true"
        return raised


async def kill_at(server: Server, points: list[int], run: Run, rng: random.Random) -> None:
    for point in points:
        while run.started < point:
            run.progressed.clear()
            await run.progressed.wait()
        await asyncio.sleep(rng.uniform(0, 0.03))
        killed = time.monotonic_ns()
        server.kill()
        server.start()
        await server.ready()
        run.kills.append((killed, time.monotonic_ns()))


# --- figures -------------------------------------------------------------------------------


def _count_stored(database: Path) -> tuple[int, int]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        alerts = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
        events = db.execute("SELECT count(*) FROM events WHERE type = 'alert.raised'").fetchone()
    return int(alerts), int(events[0])


def report(
    run: Run, stored: tuple[int, int], elapsed: float, starts: int, args: argparse.Namespace
) -> int:
    got = run.received
    ids = {r.alert_id for r in run.raised.values()}
    seqs = [seq for seq, _, _ in got.frames]
    duplicates = len(seqs) - len(set(seqs))
    disorder = sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
    gaps = (max(seqs) - min(seqs) + 1 - len(set(seqs))) if seqs else 0
    lost = len(ids - got.ids.keys())
    foreign = len(got.ids.keys() - ids)
    clean = _clean_latencies(run)
    restart = Summary.of((ready - killed) / MS for killed, ready in run.kills)
    stored_alerts, stored_events = stored
    print()
    print_table(
        ("figure", "value"),
        [
            ("commits acknowledged (2xx)", len(run.raised)),
            ("distinct alert ids", len(ids)),
            (
                "answered as replayed (committed, answer lost to a kill)",
                sum(r.replayed for r in run.raised.values()),
            ),
            ("POST attempts", sum(r.attempts for r in run.raised.values())),
            ("kills (SIGKILL)", len(run.kills)),
            ("server starts", starts),
            ("seconds from a kill to ready again, p50", round(restart.p50 / 1000, 1)),
            ("seconds from a kill to ready again, max", round(restart.max / 1000, 1)),
            ("receiver reconnects", max(0, got.connects - 1)),
            ("receiver connects refused while down", got.refused),
            ("frames received", len(seqs)),
            ("alert.raised events received (distinct)", len(got.ids)),
            ("lost (raised, never received)", lost),
            ("received but not raised by us", foreign),
            ("duplicate frames (same seq again)", duplicates),
            ("out-of-order frames (seq not above the previous)", disorder),
            ("gaps in seq", gaps),
            ("alerts in the database", stored_alerts),
            ("alert.raised events in the database", stored_events),
            ("seconds", round(elapsed, 1)),
        ],
    )
    print(
        f"latency raise → delivery ({clean.count:,} alerts not spanning a kill): "
        f"p50 {clean.p50:.1f} ms, p99 {clean.p99:.1f} ms, max {clean.max:.1f} ms"
    )
    ok = (
        len(ids) == args.alerts
        and lost == 0
        and foreign == 0
        and duplicates == 0
        and disorder == 0
        and gaps == 0
        and max(got.raised.values(), default=0) <= 1
        and stored_alerts == args.alerts
        and stored_events == args.alerts
    )
    print(f"load average at the end: {load()}")
    print(f"result: {'no alert lost, duplicated or out of order' if ok else 'FAILED'}")
    return 0 if ok else 1


def _clean_latencies(run: Run) -> Summary:
    arrived = run.received.ids
    values = []
    for raised in run.raised.values():
        delivered = arrived.get(raised.alert_id)
        if delivered is None or any(
            killed <= delivered and raised.first_try <= ready for killed, ready in run.kills
        ):
            continue
        values.append((delivered - raised.first_try) / MS)
    return Summary.of(values)


if __name__ == "__main__":
    sys.exit(main())

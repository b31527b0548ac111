"""Raise → received by the healthy SSE clients while 5 % of the clients stop reading, against
a run of the same size where every client reads.

    python bench/slow_clients.py [--clients 2000] [--slow-share 0.05] [--alerts 400] [--rounds 2]

Two kinds of run, each on a fresh `tocsin serve` (a fresh SQLite file) with the same settings,
taken in turn `--rounds` times (baseline, slow, baseline, slow, …: a machine whose load drifts
weighs on both alike), their latencies pooled:

- baseline:  N clients, all reading;
- slow:      N clients, of which `--slow-share` stop reading their socket once they have `open`
             (never closing it): what a stalled phone, or a client that wants to hurt, does.
             Their sockets have a small receive buffer (4 KiB), so that the server's buffers
             for them fill within a few hundred alerts (about 300 at the default sizes).

In each, K alerts are raised one after another; each is timed from just before its POST to
its frame's arrival at every reading client, and the next is raised once every reading client
has it (and `--interval` has passed). The figures: the reading clients' p50/p99/max, the
server's resident memory (RSS) after the clients connected, its peak (VmHWM) and at the end,
and how many streams the server still holds at the end (`GET /v1/channels`): a slow client is
dropped once more than `--stream-buffer` frames wait for its socket, and its connection closed
once it has not taken the `dropped` frame within `stream_keepalive` seconds.

Targets: the reading clients' p99 with slow clients within 1.2× the baseline's; the server's
peak RSS above the baseline's by no more than what the slow clients may hold (their buffers:
`--stream-buffer` frames, the transport's 64 KiB, per slow client) plus 32 MiB. Like the other
dissemination benchmarks it exits non-zero only when a result is wrong: a reading client
missed an alert or got one out of order.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import (
    ClientPool,
    Server,
    Summary,
    cpu_seconds,
    latencies_ms,
    load,
    machine,
    print_table,
    raise_fd_limit,
)

REGIONS = ("UA-63", "UA-30", "UA-46", "UA-51", "UA-12")
RATIO_LIMIT = 1.2
TRANSPORT_BUFFER = 64 * 1024  # uvicorn pauses writing to a socket above this
SLACK = 32 * 1024 * 1024
MiB = 1024 * 1024


@dataclass
class Run:
    name: str
    reading: int
    slow: int
    opened: int
    latency: Summary
    latencies: list[float]
    missing: int
    disorder: int
    rss_start: int
    rss_peak: int
    rss_end: int
    streams_end: int
    held_until: int | None  # the last alert (of every 25th) after which the server held N streams
    frame_bytes: int
    server_cpu: float  # seconds per timed alert
    client_cpu: float


def main() -> int:
    args = _arguments()
    slow = round(args.clients * args.slow_share)
    if args.clients < 2 or args.alerts < 1 or not 0 < slow < args.clients:
        raise SystemExit("need --clients ≥ 2, --alerts ≥ 1 and a slow share giving 1 … N-1")
    limit = raise_fd_limit()
    print(f"machine: {machine()}; open-files limit {limit:,}")
    print(
        f"clients {args.clients:,} ({slow:,} stop reading in the second run); alerts "
        f"{args.alerts}, at least {args.interval} s apart; stream_buffer {args.stream_buffer}, "
        f"stream_keepalive {args.keepalive} s"
    )
    runs: list[Run] = []
    for _ in range(args.rounds):
        runs += [run("baseline", 0, args), run("slow", slow, args)]
    report(runs, args)
    correct = all(r.opened == args.clients and r.missing == 0 and r.disorder == 0 for r in runs)
    print(f"load average at the end: {load()}")
    print(f"result: {'every reading client got every alert, in order' if correct else 'WRONG'}")
    return 0 if correct else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="SSE latency and memory with stalled clients.")
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--slow-share", type=float, default=0.05)
    parser.add_argument("--alerts", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2, help="baseline and slow runs, in turn")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between raises")
    parser.add_argument("--warmup", type=int, default=1, help="alerts raised first, not timed")
    parser.add_argument(
        "--stream-buffer", type=int, default=20, help="the server's stream_buffer (frames)"
    )
    parser.add_argument("--keepalive", type=float, default=2.0, help="stream_keepalive, s")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per alert")
    return parser.parse_args()


def run(name: str, slow: int, args: argparse.Namespace) -> Run:
    settings = {
        "TOCSIN_STREAM_BUFFER": str(args.stream_buffer),
        "TOCSIN_STREAM_KEEPALIVE": str(args.keepalive),
    }
    with (
        tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp,
        Server(Path(tmp), settings=settings) as server,
    ):
        token = server.create_token()
        server.start()
        server.wait_ready()
        return measure(name, server, token, slow, args)


def measure(name: str, server: Server, token: str, slow: int, args: argparse.Namespace) -> Run:
    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=server.url, headers=headers, timeout=30) as http,
        ClientPool(server.port, args.clients, processes=args.client_processes, slow=slow) as pool,
    ):
        base = http.get("/healthz").json()["last_seq"]
        opened = pool.wait_ready(timeout=120)
        print(
            f"{name}: {opened:,} of {args.clients:,} clients open in {pool.connect_seconds:.1f} s"
            + (f"; failures {dict(pool.errors)}" if pool.errors else "")
        )
        reading = opened - slow
        rss_start = rss(server.pid)
        sent: dict[int, int] = {}
        missing = 0
        frame = 0
        cpu = client = 0.0
        held_until = None
        for i in range(args.warmup + args.alerts):
            if i == args.warmup:
                cpu, client = cpu_seconds(server.pid), sum(map(cpu_seconds, pool.pids))
            seq = base + i + 1
            started = time.monotonic_ns()
            body = {"threat": "missile", "regions": [REGIONS[i % len(REGIONS)]]}
            raised = http.post("/v1/alerts", json=body)
            raised.raise_for_status()
            frame = max(frame, len(raised.content))
            if i >= args.warmup:
                sent[seq] = started
            counts = pool.await_seqs([seq], args.timeout)
            missing += reading - counts[seq]
            if slow and i % 25 == 0 and streams(http) == opened:
                held_until = i
            time.sleep(max(0.0, args.interval - (time.monotonic_ns() - started) / 1e9))
        cpu = (cpu_seconds(server.pid) - cpu) / args.alerts
        client = (sum(map(cpu_seconds, pool.pids)) - client) / args.alerts
        time.sleep(args.keepalive * 2)  # the slow clients' farewell runs out
        at_end = streams(http)
        rss_peak, rss_end = peak_rss(server.pid), rss(server.pid)
        seen = pool.finish()
    latencies = latencies_ms(seen.times, sent)
    return Run(
        name,
        reading,
        slow,
        opened,
        Summary.of(latencies),
        latencies,
        missing,
        seen.disorder,
        rss_start,
        rss_peak,
        rss_end,
        at_end,
        held_until,
        frame,
        cpu,
        client,
    )


def report(runs: list[Run], args: argparse.Namespace) -> None:
    print()
    rows = [
        (
            r.name,
            r.reading,
            r.slow,
            r.latency.count,
            r.latency.p50,
            r.latency.p99,
            r.latency.max,
            r.rss_start / MiB,
            r.rss_peak / MiB,
            r.rss_end / MiB,
            r.streams_end,
            r.server_cpu * 1000,
            r.client_cpu * 1000,
            r.missing,
            r.disorder,
        )
        for r in runs
    ]
    print_table(
        (
            "run",
            "reading",
            "slow",
            "deliveries",
            "p50 ms",
            "p99 ms",
            "max ms",
            "RSS start MiB",
            "RSS peak MiB",
            "RSS end MiB",
            "streams at end",
            "server CPU ms/alert",
            "client CPU ms/alert",
            "missing",
            "out of order",
        ),
        rows,
    )
    baseline = [r for r in runs if not r.slow]
    slow = [r for r in runs if r.slow]
    without = Summary.of(v for r in baseline for v in r.latencies)
    with_slow = Summary.of(v for r in slow for v in r.latencies)
    ratio = with_slow.p99 / without.p99
    # an event's SSE frame is about the size of the alert the POST answers, and more
    frame = max(r.frame_bytes for r in runs)
    per_slow = args.stream_buffer * 2 * frame + TRANSPORT_BUFFER
    allowed = slow[0].slow * per_slow + SLACK
    grown = max(r.rss_peak for r in slow) - max(r.rss_peak for r in baseline)
    held = max(r.streams_end - r.reading for r in slow)
    until = [r.held_until for r in slow]
    print()
    print(
        f"pooled over {args.rounds} round(s): p99 without slow clients {without.p99:.1f} ms, "
        f"with {with_slow.p99:.1f} ms (p50 {without.p50:.1f} / {with_slow.p50:.1f} ms)"
    )
    print(
        f"p99 with slow clients / without: {ratio:.2f}× "
        f"(target ≤ {RATIO_LIMIT}×: {_verdict(ratio <= RATIO_LIMIT)})"
    )
    print(
        f"peak RSS with slow clients − without: {grown / MiB:+.1f} MiB (bound "
        f"{slow[0].slow} × {per_slow / 1024:.0f} KiB + {SLACK // MiB} MiB = "
        f"{allowed / MiB:.1f} MiB: {_verdict(grown <= allowed)})"
    )
    print(
        f"slow clients' streams the server still held at the end of a run: at most {held} of "
        f"{slow[0].slow} (the others dropped as too slow and their connections closed); it "
        f"held them all until alert {', '.join(map(str, until))} (looked at every 25 alerts)"
    )


def streams(http: httpx.Client) -> int:
    """The live streams the server holds."""
    return int(http.get("/v1/channels").json()["streams"]["subscribers"])


def rss(pid: int) -> int:
    return _status_kib(pid, "VmRSS") * 1024


def peak_rss(pid: int) -> int:
    return _status_kib(pid, "VmHWM") * 1024


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    sys.exit(main())

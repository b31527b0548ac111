"""A burst of wrong passwords for one console account, against a quiet server (issue #13).

    python bench/login_burst.py [--rounds 5] [--burst 60] [--clients 10]

Starts `tocsin serve` on a free loopback port with a fresh SQLite file, creates an admin token
and one console account per round with the CLI, and opens `--clients` SSE connections from a
separate client process. After an untimed warm-up (an alert, and a burst), `--rounds` times:

- quiet: one alert, timed from just before its POST to its frame's arrival at every client;
- burst: `--burst` logins for the round's account, each with a wrong password, posted at once
  over as many keep-alive connections (a minimal HTTP/1.1 client, as in burst.py) from a
  loopback address of the round's own (127.0.0.3, 127.0.0.4, …), so that every round is a
  first attack and not one the throttle already holds back; in its middle (half the median
  duration of the bursts before it, from its first request) one alert is raised and timed
  the same way.

Throughout, one more connection asks `GET /healthz` every `--probe-interval` seconds; the
probes sent between a burst's first request and its last answer are the burst's, the others
the quiet ones.

Targets (issue #13): `/healthz` p99 during the bursts under 100 ms; an alert raised in the
middle of a burst delivered within 1.2× a quiet one (p50 over all deliveries). The run exits
non-zero only when a result is wrong: an alert not delivered to every client in order, or a
wrong password answered with anything but 401, 429 or 503.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
from burst import Poster
from common import (
    HOST,
    MS,
    ClientPool,
    Server,
    Summary,
    latencies_ms,
    load,
    machine,
    print_table,
    raise_fd_limit,
    tocsin_command,
)

HEALTHZ_LIMIT_MS = 100.0
RATIO_LIMIT = 1.2
REFUSALS = frozenset({401, 429, 503})
GLOBAL_ATTEMPTS = 100  # the default login_global_attempts: each round spends 5 of them


def main() -> int:
    args = _arguments()
    limit = raise_fd_limit()
    print(f"machine: {machine()}; open-files limit {limit:,}")
    print(f"clients {args.clients:,}; rounds {args.rounds}; burst {args.burst} wrong passwords")
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp, Server(Path(tmp)) as server:
        token = server.create_token()
        accounts = [_create_account(server, f"bench{r}") for r in range(args.rounds + 1)]
        server.start()
        server.wait_ready()
        with ClientPool(server.port, args.clients) as pool:
            opened = pool.wait_ready(timeout=args.time_limit / 2)
            print(
                f"{opened:,} of {args.clients:,} clients open in {pool.connect_seconds:.1f} s"
                + (f"; failures {dict(pool.errors)}" if pool.errors else "")
            )
            try:
                measured = asyncio.run(
                    asyncio.wait_for(
                        _measure(server, token, accounts, pool, args), args.time_limit / 2
                    )
                )
            except TimeoutError:
                print(f"result: INCOMPLETE (time limit of {args.time_limit:.0f} s reached)")
                return 1
    return report(measured, opened, args)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Wrong passwords in a burst, against quiet.")
    parser.add_argument("--rounds", type=int, default=5, help="quiet alerts, and bursts")
    parser.add_argument("--burst", type=int, default=60, help="wrong passwords per burst")
    parser.add_argument("--clients", type=int, default=10, help="SSE clients")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between steps")
    parser.add_argument(
        "--probe-interval", type=float, default=0.01, help="seconds between /healthz probes"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait per step")
    parser.add_argument(
        "--time-limit", type=float, default=300.0, help="seconds for connecting and measuring"
    )
    args = parser.parse_args()
    if not 1 <= args.rounds < GLOBAL_ATTEMPTS // 5 - 1:
        parser.error(
            f"--rounds must be 1 to {GLOBAL_ATTEMPTS // 5 - 2}: past that the global "
            "login limit holds back whole bursts"
        )
    return args


def _create_account(server: Server, username: str) -> str:
    """A console account made with the CLI against the server's database."""
    subprocess.run(
        [*tocsin_command(), "user", "create", username, "--role", "viewer", "--password-stdin"],
        input=secrets.token_urlsafe(24) + "\n",
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return username


@dataclass
class Measured:
    quiet: dict[int, int] = field(default_factory=dict)  # seq → ns just before its POST
    burst: dict[int, int] = field(default_factory=dict)
    windows: list[tuple[int, int]] = field(default_factory=list)  # each burst's first/last ns
    probes: list[tuple[int, float]] = field(default_factory=list)  # sent at ns, ms to answer
    answers: Counter[int] = field(default_factory=Counter)  # login status → count
    burst_ms: list[float] = field(default_factory=list)  # first request to last answer
    answered_before: list[int] = field(default_factory=list)  # logins answered at each raise
    missing: int = 0
    arrivals: dict[int, list[int]] = field(default_factory=dict)
    disorder: int = 0


async def _measure(
    server: Server, token: str, accounts: list[str], pool: ClientPool, args: argparse.Namespace
) -> Measured:
    measured = Measured()
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        found = (await http.get("/v1/regions", params={"level": "oblast"})).json()["regions"]
        regions = [r["code"] for r in found]
        seq = (await http.get("/healthz")).json()["last_seq"]
    if len(regions) < 2 * args.rounds + 1:
        raise SystemExit(f"only {len(regions)} oblasts: too few for {args.rounds} rounds")
    probing = asyncio.Event()
    prober = asyncio.create_task(_probe(server.port, args.probe_interval, measured, probing))
    raiser = _Raiser(server.port, token)
    try:
        seq += 1
        await raiser.raise_alert(regions[-1])  # warm-ups, not timed: an alert and a burst
        await _settle(pool, [seq], measured, args)
        warmup = _Burst(server.port, "127.0.0.2", accounts[0], args.burst)
        durations = [await warmup.run(Measured())]
        for round_, username in enumerate(accounts[1:]):
            seq += 1
            await raiser.raise_alert(regions[2 * round_], measured.quiet, seq)
            await _settle(pool, [seq], measured, args)
            await asyncio.sleep(args.interval)
            seq += 1
            burst = _Burst(server.port, f"127.0.0.{round_ + 3}", username, args.burst)
            logins = asyncio.create_task(burst.run(measured))
            await raiser.connect()
            await burst.started.wait()
            middle = sorted(durations)[len(durations) // 2] / 2  # of the bursts so far
            await asyncio.sleep(max(0.0, middle - (time.monotonic() - burst.start)))
            measured.answered_before.append(burst.answered)
            await raiser.raise_alert(regions[2 * round_ + 1], measured.burst, seq)
            durations.append(await logins)
            await _settle(pool, [seq], measured, args)
            await asyncio.sleep(args.interval)
    finally:
        probing.set()
        await prober
        raiser.close()
    seen = await asyncio.to_thread(pool.finish)
    measured.arrivals = seen.times
    measured.disorder = seen.disorder
    return measured


class _Raiser:
    """Raises alerts, each over a fresh connection (the server closes idle ones)."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.poster: Poster | None = None

    async def connect(self) -> None:
        self.close()
        self.poster = await Poster.open(self.port, self.token)

    async def raise_alert(
        self, region: str, sent: dict[int, int] | None = None, seq: int = 0
    ) -> None:
        """Raise an alert for `region`; with `sent`, note when it was posted under `seq`."""
        if self.poster is None:
            await self.connect()
        assert self.poster is not None
        if sent is not None:
            sent[seq] = time.monotonic_ns()
        await self.poster.raise_alert(region)
        self.close()

    def close(self) -> None:
        if self.poster is not None:
            self.poster.close()
            self.poster = None


class _Burst:
    """`size` wrong passwords for `username`, posted at once, each over a connection of its
    own from the loopback address `source`."""

    def __init__(self, port: int, source: str, username: str, size: int) -> None:
        self.port, self.source, self.size = port, source, size
        body = orjson.dumps({"username": username, "password": "not the password, sorry"})
        self.request = (
            f"POST /v1/session HTTP/1.1\r\nhost: {HOST}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        ).encode() + body
        self.started = asyncio.Event()
        self.start = 0.0  # time.monotonic() of the first request
        self.answered = 0

    async def run(self, measured: Measured) -> float:
        """Post the burst; seconds from its first request to its last answer."""
        connections = [
            await asyncio.open_connection(HOST, self.port, local_addr=(self.source, 0))
            for _ in range(self.size)
        ]
        started = time.monotonic_ns()
        self.start = time.monotonic()
        self.started.set()
        try:
            await asyncio.gather(
                *(self._one(reader, writer, measured) for reader, writer in connections)
            )
        finally:
            for _, writer in connections:
                writer.close()
        ended = time.monotonic_ns()
        measured.windows.append((started, ended))
        measured.burst_ms.append((ended - started) / MS)
        return (ended - started) / 1e9

    async def _one(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, measured: Measured
    ) -> None:
        writer.write(self.request)
        status, _ = await _answer(reader)
        measured.answers[status] += 1
        self.answered += 1


async def _probe(port: int, interval: float, measured: Measured, done: asyncio.Event) -> None:
    """`GET /healthz` every `interval` seconds over one keep-alive connection."""
    reader, writer = await asyncio.open_connection(HOST, port)
    request = f"GET /healthz HTTP/1.1\r\nhost: {HOST}\r\n\r\n".encode()
    try:
        while not done.is_set():
            sent = time.monotonic_ns()
            writer.write(request)
            status, _ = await _answer(reader)
            if status != 200:
                raise RuntimeError(f"/healthz answered {status}")
            measured.probes.append((sent, (time.monotonic_ns() - sent) / MS))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), interval)
    finally:
        writer.close()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return int(head.split(b" ", 2)[1]), await reader.readexactly(length)


async def _settle(
    pool: ClientPool, seqs: list[int], measured: Measured, args: argparse.Namespace
) -> None:
    counts = await asyncio.to_thread(pool.await_seqs, seqs, args.timeout)
    measured.missing += sum(pool.opened - counts[s] for s in seqs)


def report(measured: Measured, opened: int, args: argparse.Namespace) -> int:
    quiet = Summary.of(latencies_ms(measured.arrivals, measured.quiet))
    burst = Summary.of(latencies_ms(measured.arrivals, measured.burst))

    def during_burst(sent: int) -> bool:
        return any(start <= sent <= end for start, end in measured.windows)

    probes_burst = Summary.of(ms for sent, ms in measured.probes if during_burst(sent))
    probes_quiet = Summary.of(ms for sent, ms in measured.probes if not during_burst(sent))
    bursts = Summary.of(measured.burst_ms)
    print()
    print_table(
        ("alert raised", "alerts", "deliveries", "p50 ms", "p99 ms", "max ms"),
        [
            ("quiet", len(measured.quiet), quiet.count, quiet.p50, quiet.p99, quiet.max),
            ("mid-burst", len(measured.burst), burst.count, burst.p50, burst.p99, burst.max),
        ],
    )
    print()
    print_table(
        ("/healthz", "probes", "p50 ms", "p99 ms", "max ms"),
        [
            ("quiet", probes_quiet.count, probes_quiet.p50, probes_quiet.p99, probes_quiet.max),
            ("burst", probes_burst.count, probes_burst.p50, probes_burst.p99, probes_burst.max),
        ],
    )
    print()
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(measured.answers.items()))
    print(
        f"logins answered: {answers}; a burst from first request to last answer: "
        f"p50 {bursts.p50:,.1f} ms, max {bursts.max:,.1f} ms"
    )
    raised = sorted(measured.answered_before)
    inside = sum(n < args.burst for n in raised)
    print(
        f"mid-burst alerts raised with {raised[len(raised) // 2]} of {args.burst} logins "
        f"answered (median); {inside} of {len(raised)} before the burst's last answer"
    )
    ratio = burst.p50 / quiet.p50
    verdict = "met" if ratio <= RATIO_LIMIT else "MISSED"
    print(f"ratio mid-burst/quiet alert p50: {ratio:.2f}× (target ≤ {RATIO_LIMIT}×: {verdict})")
    print(f"ratio mid-burst/quiet alert p99: {burst.p99 / quiet.p99:.2f}×")
    verdict = "met" if probes_burst.p99 < HEALTHZ_LIMIT_MS else "MISSED"
    print(
        f"/healthz p99 during the bursts: {probes_burst.p99:,.1f} ms "
        f"(target < {HEALTHZ_LIMIT_MS:.0f} ms: {verdict})"
    )
    print(f"load average at the end: {load()}")
    refused = set(measured.answers) <= REFUSALS
    complete = opened == args.clients and measured.missing == 0 and measured.disorder == 0
    logins = sum(measured.answers.values()) == args.rounds * args.burst and refused
    print(
        "result: "
        + (
            "every alert delivered in order, every wrong password refused"
            if complete and logins
            else "INCOMPLETE"
        )
        + f" (missing {measured.missing}, out of order {measured.disorder})"
    )
    return 0 if complete and logins else 1


if __name__ == "__main__":
    sys.exit(main())

"""50 alerts raised at once for 50 regions, against a single alert (the 2020 German test-day case).

    python bench/burst.py [--clients 1000] [--singles 10] [--bursts 3] [--size 50]

Starts `tocsin serve` on a free loopback port with a fresh SQLite file and opens `--clients` SSE
connections (no filter: every client gets every alert) from a separate client process.

- single: `--singles` alerts, one at a time (each once every client has the one before), each
  timed from just before its POST to its frame's arrival at every client;
- burst: `--bursts` times, `--size` alerts for `--size` different real regions (every
  first-level unit from `GET /v1/regions?level=oblast`, then raions from `level=raion`) posted
  concurrently over `--size` keep-alive connections (a minimal HTTP/1.1 client, like the SSE
  clients: a full HTTP client would spend on the same two CPUs what the server needs), each
  delivery timed from just before the burst began.

The `2xx` columns time the POSTs' answers (the commits) the same way: from just before the POST
(single) or the burst (burst) to each 2xx.

Target (issue #4): the burst's p99 no worse than 2× a single alert's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
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
)

RATIO_LIMIT = 2.0


def main() -> int:
    args = _arguments()
    limit = raise_fd_limit()
    print(f"machine: {machine()}; open-files limit {limit:,}")
    print(
        f"clients {args.clients:,}; single alerts {args.singles}; bursts {args.bursts} × "
        f"{args.size} alerts"
    )
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp, Server(Path(tmp)) as server:
        token = server.create_token()
        server.start()
        server.wait_ready()
        with ClientPool(server.port, args.clients) as pool:
            opened = pool.wait_ready(timeout=args.time_limit / 2)
            print(
                f"{opened:,} of {args.clients:,} clients open in {pool.connect_seconds:.1f} s"
                + (f"; failures {dict(pool.errors)}" if pool.errors else "")
            )
            try:
                result = asyncio.run(
                    asyncio.wait_for(_measure(server, token, pool, args), args.time_limit / 2)
                )
            except TimeoutError:
                print(f"result: INCOMPLETE (time limit of {args.time_limit:.0f} s reached)")
                return 1
    return report(result, opened, args)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Burst of alerts against a single alert.")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=10)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--size", type=int, default=50, help="alerts (and regions) per burst")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between raises")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait per step")
    parser.add_argument(
        "--time-limit", type=float, default=300.0, help="seconds for connecting and measuring"
    )
    return parser.parse_args()


class Measured:
    def __init__(self) -> None:
        self.single: dict[int, int] = {}  # seq → ns just before its POST
        self.burst: dict[int, int] = {}  # seq → ns just before its burst began
        self.single_commits: list[float] = []  # ms from POST to its 2xx
        self.burst_commits: list[float] = []  # ms from the burst's start to each 2xx
        self.missing = 0
        self.regions: list[str] = []
        self.arrivals: dict[int, list[int]] = {}
        self.disorder = 0


async def _measure(
    server: Server, token: str, pool: ClientPool, args: argparse.Namespace
) -> Measured:
    measured = Measured()
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        measured.regions = regions = await _regions(http, args.size)
        seq = (await http.get("/healthz")).json()["last_seq"]
    posters = [await Poster.open(server.port, token) for _ in range(args.size)]
    try:
        for i in range(1 + args.singles):  # the first is a warm-up, not timed
            seq += 1
            started = time.monotonic_ns()
            await posters[0].raise_alert(regions[i % len(regions)])
            if i:
                measured.single[seq] = started
                measured.single_commits.append((time.monotonic_ns() - started) / MS)
            await _settle(pool, [seq], measured, started, args)
        for _ in range(args.bursts):
            seqs = list(range(seq + 1, seq + 1 + args.size))
            seq += args.size
            started = time.monotonic_ns()
            done = await asyncio.gather(
                *(
                    poster.raise_alert(region)
                    for poster, region in zip(posters, regions, strict=True)
                )
            )
            measured.burst_commits += [(t - started) / MS for t in done]
            measured.burst.update(dict.fromkeys(seqs, started))
            await _settle(pool, seqs, measured, started, args)
    finally:
        for poster in posters:
            poster.close()
    seen = await asyncio.to_thread(pool.finish)
    measured.arrivals = seen.times
    measured.disorder = seen.disorder
    return measured


async def _regions(http: httpx.AsyncClient, count: int) -> list[str]:
    codes: list[str] = []
    for level in ("oblast", "raion"):
        found = (await http.get("/v1/regions", params={"level": level})).json()["regions"]
        codes += [r["code"] for r in found]
    if len(codes) < count:
        raise SystemExit(f"only {len(codes)} oblast and raion regions; asked for {count}")
    return codes[:count]


class Poster:
    """One keep-alive HTTP/1.1 connection posting alerts, as light as the SSE clients: a full
    HTTP client costs about a millisecond of CPU per request, on the CPUs the server needs."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str):
        self.reader, self.writer = reader, writer
        self.head = (
            (
                "POST /v1/alerts HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\n"
                "content-type: application/json\r\ncontent-length: {length}\r\n\r\n"
            )
            .replace("{host}", HOST)
            .replace("{token}", token)
        )

    @classmethod
    async def open(cls, port: int, token: str) -> Poster:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer, token)

    async def raise_alert(self, region: str) -> int:
        """Raise a missile alert for `region`; the monotonic ns its 2xx arrived."""
        body = b'{"threat":"missile","regions":["%s"]}' % region.encode()
        self.writer.write(self.head.replace("{length}", str(len(body))).encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        arrived = time.monotonic_ns()
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.lower().split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        answer = await self.reader.readexactly(length)
        if not 200 <= status < 300:
            raise RuntimeError(f"POST /v1/alerts answered {status}: {answer[:300]!r}")
        return arrived

    def close(self) -> None:
        self.writer.close()


async def _settle(
    pool: ClientPool,
    seqs: list[int],
    measured: Measured,
    started: int,
    args: argparse.Namespace,
) -> None:
    counts = await asyncio.to_thread(pool.await_seqs, seqs, args.timeout)
    measured.missing += sum(pool.opened - counts[s] for s in seqs)
    await asyncio.sleep(max(0.0, args.interval - (time.monotonic_ns() - started) / 1e9))


def report(measured: Measured, opened: int, args: argparse.Namespace) -> int:
    single = Summary.of(latencies_ms(measured.arrivals, measured.single))
    burst = Summary.of(latencies_ms(measured.arrivals, measured.burst))
    single_commit = Summary.of(measured.single_commits)
    burst_commit = Summary.of(measured.burst_commits)
    print(f"regions in a burst: {', '.join(measured.regions)}")
    print()
    print_table(
        ("case", "alerts", "deliveries", "p50 ms", "p99 ms", "max ms", "2xx p50 ms", "2xx max ms"),
        [
            (
                "single",
                len(measured.single),
                single.count,
                single.p50,
                single.p99,
                single.max,
                single_commit.p50,
                single_commit.max,
            ),
            (
                f"burst of {args.size}",
                len(measured.burst),
                burst.count,
                burst.p50,
                burst.p99,
                burst.max,
                burst_commit.p50,
                burst_commit.max,
            ),
        ],
    )
    ratio = burst.p99 / single.p99
    verdict = "met" if ratio <= RATIO_LIMIT else "MISSED"
    print(f"ratio burst/single p99: {ratio:.2f}× (target ≤ {RATIO_LIMIT}×: {verdict})")
    print(f"load average at the end: {load()}")
    complete = opened == args.clients and measured.missing == 0 and measured.disorder == 0
    print(
        f"result: {'every client got every alert, in order' if complete else 'INCOMPLETE'}"
        f" (missing {measured.missing}, out of order {measured.disorder})"
    )
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())

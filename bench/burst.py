"""50 alerts raised at once for 50 regions, against a single alert (the 2020 German test-day case).

    python bench/burst.py [--clients 1000] [--singles 10] [--bursts 3] [--size 50]
                          [--writers 1] [--cluster] [--postgres URL] [--nats URL]

Starts `tocsin serve` on a free loopback port with a fresh SQLite file and opens `--clients` SSE
connections (no filter: every client gets every alert) from a separate client process.

With `--writers 2` (or more), or `--cluster`, the writers are that many `tocsin serve` nodes in
cluster mode on one PostgreSQL database of the run's own and NATS JetStream (`--nats`, else a
`nats-server -js` of the run's own): the clients connect to the writers in turn, the burst's
POSTs are spread over them likewise, and the single alerts go to each in turn. The rows `via
node-N` time the single alerts raised through that writer alone.

- single: `--singles` alerts, one at a time (each once every client has the one before), each
  timed from just before its POST to its frame's arrival at every client;
- burst: `--bursts` times, `--size` alerts for `--size` different real regions (every
  first-level unit from `GET /v1/regions?level=oblast`, then raions from `level=raion`) posted
  concurrently over `--size` keep-alive connections (a minimal HTTP/1.1 client, like the SSE
  clients: a full HTTP client would spend on the same two CPUs what the server needs), each
  delivery timed from just before the burst began.

The `2xx` columns time the POSTs' answers (the commits) the same way: from just before the POST
(single) or the burst (burst) to each 2xx.

The CPU table gives each process's CPU time (Linux /proc) over the timed single alerts and over
the bursts, divided by their number: the writers, NATS (when the run's own), the client process
and this one (the raiser).

Target (issue #4): the burst's p99 no worse than 2× a single alert's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from common import (
    HOST,
    MS,
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
from nodes import POSTGRES, Cluster

RATIO_LIMIT = 2.0


def main() -> int:
    args = _arguments()
    limit = raise_fd_limit()
    print(f"machine: {machine()}; open-files limit {limit:,}")
    print(
        f"clients {args.clients:,}; single alerts {args.singles}; bursts {args.bursts} × "
        f"{args.size} alerts"
    )
    if args.cluster:
        print(
            f"writers {args.writers} in cluster mode on PostgreSQL and NATS "
            f"{args.nats or '(a nats-server of its own)'}: clients and each burst's POSTs spread "
            f"over them, single alerts to each in turn"
        )
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp, _writers(Path(tmp), args) as w:
        servers, others = w
        token = servers[0].create_token()
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        with ClientPool([server.port for server in servers], args.clients) as pool:
            opened = pool.wait_ready(timeout=args.time_limit / 2)
            print(
                f"{opened:,} of {args.clients:,} clients open in {pool.connect_seconds:.1f} s"
                + (f"; failures {dict(pool.errors)}" if pool.errors else "")
            )
            processes = _processes(servers, others, pool, args)
            try:
                result = asyncio.run(
                    asyncio.wait_for(
                        _measure(servers, token, pool, processes, args), args.time_limit / 2
                    )
                )
            except TimeoutError:
                print(f"result: INCOMPLETE (time limit of {args.time_limit:.0f} s reached)")
                return 1
    return report(result, opened, args)


@contextlib.contextmanager
def _writers(
    workdir: Path, args: argparse.Namespace
) -> Iterator[tuple[list[Server], dict[str, int]]]:
    """The writers, not yet started, and other processes of the run's own (by name)."""
    if not args.cluster:
        with Server(workdir) as server:
            yield [server], {}
        return
    with Cluster(workdir, args.writers, args.postgres, args.nats) as cluster:
        own = {} if cluster.own_nats is None else {"nats-server": cluster.own_nats.pid}
        yield cluster.nodes, own


def _processes(
    servers: list[Server], others: dict[str, int], pool: ClientPool, args: argparse.Namespace
) -> dict[str, list[int]]:
    """The processes whose CPU is counted, by name."""
    if args.cluster:
        named = {f"node-{i}": [server.pid] for i, server in enumerate(servers, 1)}
    else:
        named = {"tocsin serve": [servers[0].pid]}
    return {
        **named,
        **{name: [pid] for name, pid in others.items()},
        "clients": pool.pids,
        "raiser": [os.getpid()],
    }


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
    parser.add_argument(
        "--writers", type=int, default=1, help="tocsin serve processes; 2 or more: cluster mode"
    )
    parser.add_argument(
        "--cluster", action="store_true", help="cluster mode (PostgreSQL and NATS) even for one"
    )
    parser.add_argument("--postgres", default=POSTGRES, help="PostgreSQL, for cluster mode")
    parser.add_argument("--nats", default="", help="NATS URL (default: a nats-server of its own)")
    args = parser.parse_args()
    if args.writers < 1:
        raise SystemExit("--writers must be at least 1")
    args.cluster = args.cluster or args.writers > 1
    return args


class Measured:
    def __init__(self) -> None:
        self.single: dict[int, int] = {}  # seq → ns just before its POST
        self.via: dict[int, dict[int, int]] = {}  # writer → its single alerts (seq → ns)
        self.burst: dict[int, int] = {}  # seq → ns just before its burst began
        self.single_commits: list[float] = []  # ms from POST to its 2xx
        self.burst_commits: list[float] = []  # ms from the burst's start to each 2xx
        self.missing = 0
        self.regions: list[str] = []
        self.arrivals: dict[int, list[int]] = {}
        self.disorder = 0
        self.relay = ""  # the node holding the relay duty (cluster mode)
        self.cpu_single: dict[str, float] = {}  # process → CPU s over the timed single alerts
        self.cpu_burst: dict[str, float] = {}  # process → CPU s over the bursts


async def _measure(
    servers: list[Server],
    token: str,
    pool: ClientPool,
    processes: dict[str, list[int]],
    args: argparse.Namespace,
) -> Measured:
    measured = Measured()
    writers = len(servers)
    async with httpx.AsyncClient(base_url=servers[0].url, timeout=60) as http:
        measured.regions = regions = await _regions(http, args.size)
        seq = (await http.get("/healthz")).json()["last_seq"]
    # poster i posts to writer i % writers: single alerts in turn, a burst spread evenly
    posters = [await Poster.open(servers[i % writers].port, token) for i in range(args.size)]
    cpu = _cpu(processes)
    try:
        for i in range(writers + args.singles):  # the first to each writer: a warm-up
            if i == writers:
                cpu = _cpu(processes)
            seq += 1
            started = time.monotonic_ns()
            await posters[i % writers].raise_alert(regions[i % len(regions)])
            if i >= writers:
                measured.single[seq] = started
                measured.via.setdefault(i % writers, {})[seq] = started
                measured.single_commits.append((time.monotonic_ns() - started) / MS)
            await _settle(pool, [seq], measured, started, args)
        measured.cpu_single = _cpu(processes, cpu)
        if args.cluster:
            measured.relay = await _relay_holder(servers[0], token)
        cpu = _cpu(processes)
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
        measured.cpu_burst = _cpu(processes, cpu)
    finally:
        for poster in posters:
            poster.close()
    seen = await asyncio.to_thread(pool.finish)
    measured.arrivals = seen.times
    measured.disorder = seen.disorder
    return measured


def _cpu(
    processes: dict[str, list[int]], since: dict[str, float] | None = None
) -> dict[str, float]:
    """CPU seconds of each named process so far, or since `since`."""
    now = {name: sum(map(cpu_seconds, pids)) for name, pids in processes.items()}
    return now if since is None else {name: now[name] - since[name] for name in now}


async def _relay_holder(server: Server, token: str) -> str:
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as http:
        duties = (await http.get("/v1/channels")).json()["duties"]
    return next((str(d["node"]) for d in duties if d["name"] == "relay"), "none")


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
    if measured.relay:
        print(f"relay duty held by {measured.relay}")
    print()
    rows: list[tuple[object, ...]] = [
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
    ]
    if len(measured.via) > 1:
        for writer, sent in sorted(measured.via.items()):
            via = Summary.of(latencies_ms(measured.arrivals, sent))
            name = f"single via node-{writer + 1}"
            rows.append((name, len(sent), via.count, via.p50, via.p99, via.max, "", ""))
    print_table(
        ("case", "alerts", "deliveries", "p50 ms", "p99 ms", "max ms", "2xx p50 ms", "2xx max ms"),
        rows,
    )
    ratio = burst.p99 / single.p99
    verdict = "met" if ratio <= RATIO_LIMIT else "MISSED"
    print(f"ratio burst/single p99: {ratio:.2f}× (target ≤ {RATIO_LIMIT}×: {verdict})")
    print()
    singles, bursts = max(1, len(measured.single)), max(1, args.bursts)
    print_table(
        ("process", "CPU ms a single alert", f"CPU ms a burst of {args.size}"),
        [
            (name, 1000 * measured.cpu_single[name] / singles, 1000 * spent / bursts)
            for name, spent in measured.cpu_burst.items()
        ],
    )
    print(f"load average at the end: {load()}")
    complete = opened == args.clients and measured.missing == 0 and measured.disorder == 0
    print(
        f"result: {'every client got every alert, in order' if complete else 'INCOMPLETE'}"
        f" (missing {measured.missing}, out of order {measured.disorder})"
    )
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())

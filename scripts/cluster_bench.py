"""Measure cluster mode: the relay's throughput (events/s from the events table to the stream)
and the latency from a commit to the JetStream feed of the same node.

    python scripts/cluster_bench.py [--postgres postgresql://postgres@127.0.0.1/postgres]
                                    [--nats nats://127.0.0.1:4222] [--events 5000]

It makes a database of its own and a stream under a cluster name of its own, and removes both.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import asyncpg

from tocsin.bootstrap import build
from tocsin.cluster.link import Link, Names, StreamSpec
from tocsin.cluster.relay import Relay
from tocsin.config import Settings
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.events import NewEvent
from tocsin.service.ports import SystemClock
from tocsin.streams.log import LocalFeed


async def throughput(url: str, nats: str, count: int) -> float:
    tocsin = await build(Settings(database_url=url, channels=()), load_packs=False)
    now = SystemClock().now()
    data = {"region": "UA-63", "note": "x" * 400}  # about the size of an alert event
    async with tocsin.store.write() as tx:
        await tx.append_all([NewEvent("regions.imported", now, "bench", None, data)] * count)
    head = await tocsin.store.last_seq()
    link = await Link.connect([nats], Names(f"bench{uuid.uuid4().hex[:8]}"), StreamSpec())
    source = LocalFeed(tocsin.store)
    await source.start()
    relay = Relay(source, link)
    began = time.perf_counter()
    task = asyncio.create_task(relay.run())
    while relay.relayed < head:  # noqa: ASYNC110 - polled from outside the relay
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - began
    task.cancel()
    await source.stop()
    await link.js.delete_stream(link.names.stream)
    await link.close()
    await tocsin.close()
    return head / elapsed


async def latency(url: str, nats: str, count: int) -> list[float]:
    cluster = f"bench{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=url, nats_url=nats, cluster=cluster, channels=(), packs=("ua",)
    )
    tocsin = await build(settings)
    await tocsin.start()
    try:
        while tocsin.feed.head < await tocsin.store.last_seq():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        found: list[float] = []
        for index in range(count):
            regions = ["UA-63"] if index % 2 else ["UA-59"]
            await tocsin.alerts.raise_alert(RaiseAlert(threat="uav", regions=regions), LOCAL_ADMIN)
            committed = time.perf_counter()
            seq = await tocsin.store.last_seq()
            while tocsin.feed.head < seq:
                await tocsin.feed.wait(tocsin.feed.head, timeout=5.0)
            found.append(time.perf_counter() - committed)
        assert tocsin.link is not None
        await tocsin.link.js.delete_stream(tocsin.link.names.stream)
        return found
    finally:
        await tocsin.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--commits", type=int, default=300)
    args = parser.parse_args()
    name = f"tocsin_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.postgres)
    await admin.execute(f"CREATE DATABASE {name}")
    url = args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        rate = await throughput(f"{url}/{name}", args.nats, args.events)
        print(f"relay: {rate:,.0f} events/s ({args.events} events, one relay, batches of 500)")
        found = sorted(await latency(f"{url}/{name}", args.nats, args.commits))
        p50 = statistics.median(found) * 1000
        p99 = found[int(len(found) * 0.99) - 1] * 1000
        print(f"commit -> feed: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(found)} commits)")
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())

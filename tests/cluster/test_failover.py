"""NATS itself clustered: with the event stream kept by three servers (R3), killing the server
that leads the stream in the middle of a run loses no event and duplicates none."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from cluster_support import OBLASTS

from nats_support import Nats, cluster_settings, eventually, started_node, unique_cluster
from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.streams.log import LogFeed
from tocsin.types import Seq

pytestmark = pytest.mark.postgres


async def follow(feed: LogFeed, after: Seq, into: list[Seq]) -> None:
    """Read the feed as a consumer does, noting every seq it is given."""
    while True:
        await feed.wait(after, timeout=5.0)
        for event in await feed.read(after, 100):
            into.append(event.seq)
            after = event.seq


@pytest.fixture
async def node(postgres_url: str, nats_cluster_own: Nats) -> AsyncIterator[Tocsin]:
    settings = cluster_settings(postgres_url, nats_cluster_own, unique_cluster(), nats_replicas=3)
    async with started_node(settings) as tocsin:
        yield tocsin


async def test_killing_the_stream_leader_loses_nothing(
    node: Tocsin, nats_cluster_own: Nats
) -> None:
    assert node.link is not None
    info = await node.link.js.stream_info(node.link.names.stream)
    assert info.config.num_replicas == 3
    start = await node.store.last_seq()  # the database's first events (regions imported)
    await eventually(lambda: node.feed.head == start)
    seen: list[Seq] = []
    reader = asyncio.create_task(follow(node.feed, start, seen))
    try:
        for index in range(48):
            if index == 20:
                await eventually(lambda: len(seen) >= 20)  # the stream holds what came before
                leader = (await node.link.js.stream_info(node.link.names.stream)).cluster
                assert leader is not None and leader.leader
                nats_cluster_own.by_name(leader.leader).kill()
            region = OBLASTS[index % len(OBLASTS)]
            await node.alerts.raise_alert(RaiseAlert(threat="uav", regions=[region]), LOCAL_ADMIN)
        last = await node.store.last_seq()
        await eventually(lambda: len(seen) >= last - start, timeout=120)
        await asyncio.sleep(0.5)  # anything duplicated would come now
    finally:
        reader.cancel()
    assert seen == list(range(start + 1, last + 1))  # all, in order, none twice
    assert await node.link.last_seq() == last
    after = (await node.link.js.stream_info(node.link.names.stream)).cluster
    assert after is not None and after.leader != leader.leader

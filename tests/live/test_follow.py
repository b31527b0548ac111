"""Following the cluster's stream from a snapshot ahead of it: the writer builds the snapshot
from its database, which can be past what the relay has put in the stream yet. A client resuming
from before the snapshot still gets every event in between, once the stream has them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from nats_support import Nats, unique_cluster
from tocsin.bootstrap import Tocsin
from tocsin.cluster.feed import JetStreamFeed
from tocsin.cluster.link import Link, Names, StreamSpec
from tocsin.cluster.relay import message
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.events import Event
from tocsin.domain.interest import Interest
from tocsin.live.follow import Follower
from tocsin.live.state import LiveState
from tocsin.streams.hub import Encoded, Hub

pytestmark = pytest.mark.postgres


@pytest.fixture
async def link(nats_single: Nats) -> AsyncIterator[Link]:
    """A stream of its own, which the test fills as a relay would."""
    made = await Link.connect(nats_single.url.split(","), Names(unique_cluster()), StreamSpec())
    try:
        yield made
    finally:
        await made.js.delete_stream(made.names.stream)
        await made.close()


async def relay(link: Link, events: Sequence[Event]) -> None:
    for event in events:
        body, headers = message(event)
        await link.js.publish(link.names.subject(str(event.type)), body, headers=headers)


async def test_a_client_resuming_from_before_the_snapshot_gets_what_the_stream_lacked(
    cluster_node: Tocsin, link: Link
) -> None:
    writer = cluster_node
    for region in ("UA-05", "UA-07", "UA-09", "UA-12"):
        await writer.alerts.raise_alert(RaiseAlert(threat="missile", regions=[region]), LOCAL_ADMIN)
    events = await writer.store.events_after(0)
    retention = writer.cap.config.retention
    state = LiveState.from_snapshot(
        await writer.snapshot(), clock=writer.clock, retention=retention
    )
    behind = events[-4].seq - 1
    await relay(link, events[:-4])  # the stream lags the snapshot by four events

    feed = JetStreamFeed(link)
    await feed.start()
    follower = Follower(state, feed)
    await follower.start()
    hub = Hub(follower)
    await hub.start()
    seen: list[int] = []

    async def client() -> None:
        async for item in hub.stream(Interest(statuses=None), since=behind, keepalive=0.2):
            if isinstance(item, Encoded):
                seen.append(item.seq)

    reading = asyncio.create_task(client())
    try:
        assert (state.head, feed.head) == (events[-1].seq, behind)
        await asyncio.sleep(0.3)
        assert seen == []  # not there yet, and not passed by
        await relay(link, events[-4:])
        for _ in range(500):
            if len(seen) >= 4:
                break
            await asyncio.sleep(0.02)
        assert seen == [event.seq for event in events[-4:]]
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await hub.stop()
        await follower.stop()
        await feed.stop()

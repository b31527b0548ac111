"""The JetStream feed: events read back from the stream are the stored ones, shared as one
object per event, and read from the stream itself where a node has no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cluster_support import raise_alerts

from nats_support import eventually
from tocsin.bootstrap import Tocsin
from tocsin.cluster.feed import JetStreamFeed
from tocsin.domain.events import Event
from tocsin.types import Seq

pytestmark = pytest.mark.postgres


async def relayed(cluster_node: Tocsin, count: int) -> Seq:
    before = await cluster_node.store.last_seq()
    await raise_alerts(cluster_node, count)
    await eventually(lambda: cluster_node.feed.head == before + count)
    return before


async def test_every_consumer_gets_the_same_event_objects(cluster_node: Tocsin) -> None:
    before = await relayed(cluster_node, 4)
    first, second = await cluster_node.feed.read(before), await cluster_node.feed.read(before)
    assert [e.seq for e in first] == [before + 1, before + 2, before + 3, before + 4]
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert first[0].alert is not None and first[0].alert is second[0].alert  # decoded once


async def test_a_feed_without_a_database_reads_older_events_from_the_stream(
    cluster_node: Tocsin,
) -> None:
    assert cluster_node.link is not None
    before = await relayed(cluster_node, 5)
    feed = JetStreamFeed(cluster_node.link, recent=2)  # keeps only the newest two in memory
    await feed.start()
    try:
        assert feed.head == before + 5
        older = await feed.read(before, 3)  # not in its memory: fetched from the stream
        stored = await cluster_node.store.events_after(before, 3)
        assert [e.to_json() for e in older] == [e.to_json() for e in stored]
        assert [e.alert_id for e in older] == [e.alert_id for e in stored]
        assert await feed.read(before + 5) == []  # nothing past the head
    finally:
        await feed.stop()


def test_the_public_form_decodes_to_the_same_event(node_event: Event) -> None:
    again = Event.from_json(node_event.to_json(), node_event.alert_id)
    assert again.to_json() == node_event.to_json()
    assert (again.seq, again.id, again.type, again.time) == (
        node_event.seq,
        node_event.id,
        node_event.type,
        node_event.time,
    )
    assert again.alert_id == node_event.alert_id


@pytest.fixture
def node_event() -> Event:
    return Event(
        7,
        "0b9a",
        "incident.created",
        datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC),
        "operator",
        "inc_1",
        {"incident": {"id": "inc_1"}},
    )

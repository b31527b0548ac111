"""The relay: committed events reach the JetStream stream in seq order, exactly once, with the
stream's sequence equal to the event's seq; a relay that starts again goes on from the stream's
end; the relay is a duty that one node holds at a time."""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from cluster_support import raise_alerts

from nats_support import Nats, cluster_settings, eventually, unique_cluster
from tocsin.bootstrap import Tocsin, build
from tocsin.cluster.relay import OutOfOrder, Refused, Relay

pytestmark = pytest.mark.postgres


async def test_committed_events_reach_the_stream_in_order_with_their_seqs(
    cluster_node: Tocsin,
) -> None:
    assert cluster_node.link is not None
    await raise_alerts(cluster_node, 12)
    last = await cluster_node.store.last_seq()
    await eventually(lambda: cluster_node.feed.head == last)
    assert await cluster_node.link.last_seq() == last
    stored = await cluster_node.store.events_after(0, 1000)
    js, stream = cluster_node.link.js, cluster_node.link.names.stream
    for event in stored:
        message = await js.get_msg(stream, event.seq, direct=True)
        assert message.seq == event.seq
        assert message.subject == f"{cluster_node.link.names.cluster}.events.{event.type}"
        assert message.data is not None and orjson.loads(message.data) == event.to_json()
    read = await cluster_node.feed.read(0, 1000)
    assert [e.to_json() for e in read] == [e.to_json() for e in stored]
    assert [e.alert_id for e in read] == [e.alert_id for e in stored]


async def test_a_relay_publishing_again_changes_nothing(cluster_node: Tocsin) -> None:
    assert cluster_node.link is not None
    await raise_alerts(cluster_node, 5)
    last = await cluster_node.store.last_seq()
    await eventually(lambda: cluster_node.feed.head == last)
    events = await cluster_node.store.events_after(last - 3, 3)
    again = Relay(
        cluster_node.log, cluster_node.link
    )  # as a relay that crashed before it saw the acks
    await again.publish(events)  # acknowledged as duplicates: the stream keeps the first ones
    assert await cluster_node.link.last_seq() == last
    ahead = dataclasses.replace(events[-1], seq=last + 2)  # a gap: refused, not stored
    with pytest.raises(Refused, match="wrong last sequence"):
        await again.publish([ahead])
    assert await cluster_node.link.last_seq() == last
    await raise_alerts(cluster_node, 2, first=5)
    await eventually(lambda: cluster_node.feed.head == last + 2)
    assert [e.seq for e in await cluster_node.feed.read(last - 3)] == list(
        range(last - 2, last + 3)
    )


async def test_the_relay_is_a_duty_held_once_and_handed_over(
    postgres_url: str, nats_single: Nats
) -> None:
    cluster = unique_cluster()
    first = await build(cluster_settings(postgres_url, nats_single, cluster, node_name="first"))
    second = await build(cluster_settings(postgres_url, nats_single, cluster, node_name="second"))
    try:
        await first.start()
        await second.start()
        held = {h.name: h.holder for h in await first.leases.held()}
        assert held["relay"] == "first"
        await raise_alerts(second, 3)  # committed on the node that does not relay
        last = await second.store.last_seq()
        await eventually(lambda: first.feed.head == last and second.feed.head == last)
        await first.close()  # gives its leases up
        await raise_alerts(second, 3, first=3)
        await eventually(lambda: second.feed.head == last + 3)
        held = {h.name: h.holder for h in await second.leases.held()}
        assert held["relay"] == "second"
    finally:
        await second.close()
        await first.close()


def test_out_of_order_is_an_error_of_its_own() -> None:
    assert issubclass(OutOfOrder, Exception)

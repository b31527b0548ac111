"""Several `tocsin serve` on one PostgreSQL deliver each event once, and when the node that
delivers is killed, another takes its deliveries over from where it stopped."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import PostgresDatabase
from node_support import Node, admin_token
from webhook_support import Received, Receiver, Reply

pytestmark = pytest.mark.postgres

OBLASTS = ["UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21", "UA-23"]


@pytest.fixture
async def database(postgres_database: PostgresDatabase) -> str:
    await postgres_database.reset()
    return postgres_database.url


@pytest.fixture
def nodes(database: str, tmp_path: Path) -> Iterator[list[Node]]:
    made = [
        Node(
            name,
            tmp_path,
            database,
            webhook_allow_private="true",
            lease_seconds="1.5",
            log_poll_interval="0.05",
        )
        for name in ("writer-a", "writer-b")
    ]
    try:
        yield made
    finally:
        for node in made:
            node.stop()


async def raise_alerts(http: httpx.AsyncClient, nodes: list[Node], count: int, first: int) -> None:
    for index in range(first, first + count):
        node = nodes[index % len(nodes)]
        body = {"threat": "missile", "regions": [OBLASTS[index % len(OBLASTS)]]}
        answer = await http.post(f"{node.url}/v1/alerts", json=body)
        assert answer.status_code == 201, answer.text


async def wanted_seqs(http: httpx.AsyncClient, node: Node, after: int) -> set[int]:
    """The seqs of the alert events after `after`: what the subscription must deliver."""
    answer = await http.get(f"{node.url}/v1/events", params={"after": after, "limit": 1000})
    events: list[dict[str, Any]] = answer.json()["events"]
    return {e["seq"] for e in events if str(e["type"]).startswith("alert.")}


async def delivered(receiver: Receiver, seqs: set[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not seqs <= set(receiver.seqs):
        assert time.monotonic() < deadline, f"missing {sorted(seqs - set(receiver.seqs))}"
        await asyncio.sleep(0.05)


async def channels_node(http: httpx.AsyncClient, node: Node) -> str:
    duties = (await http.get(f"{node.url}/v1/channels")).json()["duties"]
    return next(d["node"] for d in duties if d["name"] == "channels")


async def test_two_writers_deliver_each_event_once_and_hand_over_on_kill(
    database: str, nodes: list[Node]
) -> None:
    token = admin_token(database)
    headers = {"Authorization": f"Bearer {token}"}

    def slow_enough_to_kill_mid_delivery(_request: Received, _count: int) -> Reply:
        return Reply(delay=0.02)

    async with Receiver(slow_enough_to_kill_mid_delivery) as receiver:
        for node in nodes:
            node.start()
        for node in nodes:
            await node.ready()
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            made = await http.post(f"{nodes[0].url}/v1/subscriptions", json={"url": receiver.url})
            assert made.status_code == 201, made.text
            start = made.json()["start_seq"]

            # both nodes raise; one delivers
            await raise_alerts(http, nodes, 50, 0)
            first = await wanted_seqs(http, nodes[0], start)
            assert len(first) == 50
            await delivered(receiver, first, timeout=60)
            assert len(receiver.requests) == len(set(receiver.seqs)) == 50

            # the delivering node dies in the middle of a backlog; the other takes it over
            holder = await channels_node(http, nodes[0])
            dying = next(n for n in nodes if n.name == holder)
            survivor = next(n for n in nodes if n is not dying)
            await raise_alerts(http, [survivor], 40, 50)
            while len(receiver.requests) < 55:
                await asyncio.sleep(0.005)
            dying.kill()
            killed = time.monotonic()
            before = len(receiver.requests)
            second = await wanted_seqs(http, survivor, max(first))
            assert len(second) == 40
            await delivered(receiver, second, timeout=60)
            assert len(receiver.requests) > before  # the survivor delivered the rest
            assert time.monotonic() - killed < 30
            assert await channels_node(http, survivor) == survivor.name

    counts = Counter(receiver.seqs)
    again = {seq: n for seq, n in counts.items() if n > 1}
    assert set(counts) == first | second
    # at most what was in flight at the kill is delivered again, with the same webhook-id
    assert sum(n - 1 for n in again.values()) <= 1, again
    for seq in again:
        ids = {r.headers["webhook-id"] for r in receiver.delivered if r.seq == seq}
        assert len(ids) == 1

"""Two `tocsin serve` on one PostgreSQL and one NATS: a client that resumes on the other node
with `Last-Event-ID` gets exactly what it missed; the relay is a duty listed by /v1/channels,
and when its node is killed the other takes it over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cluster_support import OBLASTS

from nats_support import Nats, unique_cluster
from node_support import Node, admin_token

pytestmark = pytest.mark.postgres


@pytest.fixture
def nodes(postgres_url: str, nats_single: Nats, tmp_path: Path) -> Iterator[list[Node]]:
    cluster = unique_cluster()
    made = [
        Node(
            name,
            tmp_path,
            postgres_url,
            nats_url=nats_single.url,
            cluster=cluster,
            lease_seconds="1.5",
            log_poll_interval="0.05",
            packs="[]",
        )
        for name in ("node-a", "node-b")
    ]
    try:
        yield made
    finally:
        for node in made:
            node.stop()


async def raise_alerts(http: httpx.AsyncClient, node: Node, count: int) -> None:
    for index in range(count):
        body = {"threat": "missile", "regions": [OBLASTS[index % len(OBLASTS)]]}
        answer = await http.post(f"{node.url}/v1/alerts", json=body)
        assert answer.status_code == 201, answer.text


async def sse_ids(
    http: httpx.AsyncClient, node: Node, count: int, headers: dict[str, str]
) -> list[int]:
    """The ids of the first `count` events a stream from `node` sends."""
    ids: list[int] = []
    async with http.stream("GET", f"{node.url}/v1/stream", headers=headers) as answer:
        assert answer.status_code == 200
        async for line in answer.aiter_lines():
            if line.startswith("id: "):
                ids.append(int(line[4:]))
                if len(ids) == count:
                    break
    return ids


async def holder(http: httpx.AsyncClient, node: Node, duty: str) -> str | None:
    duties = (await http.get(f"{node.url}/v1/channels")).json()["duties"]
    return next((d["node"] for d in duties if d["name"] == duty), None)


async def test_a_client_resumes_on_the_other_node_and_the_relay_moves(
    postgres_url: str, nodes: list[Node]
) -> None:
    token = admin_token(postgres_url)
    for node in nodes:
        node.start()
    a, b = [await node.ready() for node in nodes]
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        head = (await http.get(f"{a.url}/v1/channels")).json()["last_seq"]
        relay = await holder(http, a, "relay")
        assert relay in ("node-a", "node-b")
        await raise_alerts(http, b, 4)  # raised on b, streamed by a
        first = await sse_ids(http, a, 4, {"Last-Event-ID": str(head)})
        assert first == list(range(head + 1, head + 5))
        await raise_alerts(http, a, 3)  # missed by the client, which then goes to b
        missed = await sse_ids(http, b, 3, {"Last-Event-ID": str(first[-1])})
        assert missed == list(range(head + 5, head + 8))
        since = await http.get(f"{b.url}/v1/events", params={"after": head})
        assert [e["seq"] for e in since.json()["events"]] == first + missed

        dead = a if relay == "node-a" else b
        alive = b if dead is a else a
        dead.kill()
        await raise_alerts(http, alive, 2)
        after_kill = await sse_ids(http, alive, 2, {"Last-Event-ID": str(missed[-1])})
        assert after_kill == [head + 8, head + 9]
        assert await holder(http, alive, "relay") == alive.name

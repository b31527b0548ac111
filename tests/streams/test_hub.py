"""The subscription pipeline: filters, replay then live with no gap or duplicate, slow consumers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.interest import Interest
from tocsin.streams.hub import Dropped, Encoded, Hub


@pytest.fixture
async def started(tocsin: Tocsin) -> AsyncIterator[Tocsin]:
    await tocsin.start()
    yield tocsin


async def take(stream: AsyncIterator[Encoded | Dropped | None], n: int) -> list[Encoded]:
    got: list[Encoded] = []
    async with asyncio.timeout(10):
        async for item in stream:
            if isinstance(item, Encoded):
                got.append(item)
                if len(got) == n:
                    return got
            elif isinstance(item, Dropped):
                raise AssertionError(f"dropped: {item.reason}")
    return got


def raise_cmd(threat: str, *regions: str, status: Status = Status.ACTUAL) -> RaiseAlert:
    return RaiseAlert(threat=threat, regions=regions, status=status)


async def test_live_events_in_order(started: Tocsin) -> None:
    stream = started.hub.stream(Interest(statuses=None), keepalive=0.05)
    reader = asyncio.create_task(take(stream, 3))
    await asyncio.sleep(0.05)
    alert, _ = await started.alerts.raise_alert(raise_cmd("uav", "UA-63"), LOCAL_ADMIN)
    await started.alerts.update_alert(alert.id, UpdateAlert(threat="missile"), LOCAL_ADMIN)
    await started.alerts.end(alert.id, LOCAL_ADMIN)
    got = await reader
    assert [e.type for e in got] == ["alert.raised", "alert.escalated", "alert.ended"]
    assert [e.seq for e in got] == list(range(got[0].seq, got[0].seq + 3))


async def test_replay_then_live_without_gap_or_duplicate(started: Tocsin) -> None:
    await started.alerts.raise_alert(raise_cmd("uav", "UA-63"), LOCAL_ADMIN)
    since = await started.store.last_seq() - 1
    for _ in range(3):
        await started.alerts.raise_alert(raise_cmd("air", "UA-59"), LOCAL_ADMIN)
    await asyncio.sleep(0.1)
    stream = started.hub.stream(Interest(), since, keepalive=0.05)
    reader = asyncio.create_task(take(stream, 7))
    await asyncio.sleep(0.05)
    for _ in range(3):
        await started.alerts.raise_alert(raise_cmd("air", "UA-30"), LOCAL_ADMIN)
    got = await reader
    assert [e.seq for e in got] == list(range(since + 1, since + 8))
    assert got[0].regions == frozenset({"UA-63"})


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (Interest(regions=frozenset({"UA-63"})), ["UA-63 missile"]),
        (Interest(threats=frozenset({"uav"})), ["RU-BEL uav"]),
        (Interest(statuses=frozenset({"exercise"})), ["UA-30 air"]),
        (Interest(statuses=None), ["UA-63 missile", "RU-BEL uav", "UA-30 air"]),
        (Interest(), ["UA-63 missile", "RU-BEL uav"]),
    ],
)
async def test_filters(started: Tocsin, chosen: Interest, expected: list[str]) -> None:
    since = await started.store.last_seq()
    await started.alerts.raise_alert(raise_cmd("missile", "UA-63"), LOCAL_ADMIN)
    await started.alerts.raise_alert(raise_cmd("uav", "RU-BEL"), LOCAL_ADMIN)
    await started.alerts.raise_alert(raise_cmd("air", "UA-30", status=Status.EXERCISE), LOCAL_ADMIN)
    got = await take(started.hub.stream(chosen, since, keepalive=0.05), len(expected))
    described = [f"{min(e.regions)} {min(e.threats)}" for e in got]
    assert described == expected


async def test_region_removal_reaches_the_removed_region(started: Tocsin) -> None:
    alert, _ = await started.alerts.raise_alert(raise_cmd("uav", "UA-63", "UA-59"), LOCAL_ADMIN)
    since = await started.store.last_seq()
    await started.alerts.update_alert(alert.id, UpdateAlert(remove_regions=["UA-59"]), LOCAL_ADMIN)
    [event] = await take(started.hub.stream(Interest(regions=frozenset({"UA-59"})), since), 1)
    assert event.type == "alert.updated" and "UA-59" in event.regions


async def test_deescalation_reaches_subscribers_of_the_old_threat(started: Tocsin) -> None:
    alert, _ = await started.alerts.raise_alert(raise_cmd("missile", "UA-63"), LOCAL_ADMIN)
    since = await started.store.last_seq()
    await started.alerts.update_alert(alert.id, UpdateAlert(threat="uav"), LOCAL_ADMIN)
    [event] = await take(started.hub.stream(Interest(threats=frozenset({"missile"})), since), 1)
    assert event.type == "alert.deescalated"


async def test_the_same_bytes_go_to_every_subscriber(started: Tocsin) -> None:
    readers = [
        asyncio.create_task(take(started.hub.stream(Interest(), keepalive=0.05), 1))
        for _ in range(3)
    ]
    await asyncio.sleep(0.05)
    await started.alerts.raise_alert(raise_cmd("missile", "UA-63"), LOCAL_ADMIN)
    got = [(await r)[0] for r in readers]
    assert got[0].sse is got[1].sse is got[2].sse
    assert got[0].sse.startswith(b"id: %d\nevent: alert.raised\ndata: {" % got[0].seq)


async def test_slow_subscriber_is_dropped_with_a_reason(tocsin: Tocsin) -> None:
    hub = Hub(tocsin.feed, buffer=10, tree=lambda: tocsin.regions.tree)
    await tocsin.feed.start()
    await hub.start()
    try:
        start = hub.position
        stream = hub.stream(Interest(), keepalive=0.05)
        first = await anext(stream)
        assert first is None  # a keepalive: subscribed, reading nothing yet
        for _ in range(15):
            await tocsin.alerts.raise_alert(raise_cmd("air", "UA-63"), LOCAL_ADMIN)
        await asyncio.sleep(0.3)
        items = [item async for item in stream]
        events = [i for i in items if isinstance(i, Encoded)]
        dropped = items[-1]
        assert isinstance(dropped, Dropped) and "too far behind" in dropped.reason
        assert dropped.resume_from == (events[-1].seq if events else start)
        assert len(events) < 15
        assert hub.subscribers == 0
    finally:
        await hub.stop()


async def test_commits_by_another_process_are_picked_up(started: Tocsin, database_url: str) -> None:
    from tocsin.bootstrap import build
    from tocsin.config import Settings

    other = await build(Settings(database_url=database_url))
    try:
        reader = asyncio.create_task(take(started.hub.stream(Interest(), keepalive=0.05), 1))
        await asyncio.sleep(0.05)
        alert, _ = await other.alerts.raise_alert(raise_cmd("missile", "RU-KRS"), LOCAL_ADMIN)
        [event] = await reader
        assert event.type == "alert.raised" and event.regions == frozenset({"RU-KRS"})
        assert alert.id.encode() in event.json
    finally:
        await other.close()

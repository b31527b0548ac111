"""The delivery core: durable cursors, retries, attempt records, pausing, independence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from tocsin.bootstrap import Tocsin, build
from tocsin.channels.delivery import Outcome, RetryPolicy, Supervisor, Target
from tocsin.config import Settings
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.events import Event
from tocsin.storage.delivery_store import DeliveryStore

FAST = RetryPolicy(first_delay=0.01, max_delay=0.05, give_up_after=0.5)


@dataclass(eq=False)
class Recorder:
    """A target that keeps what it receives; fails the first `failures` attempts per event."""

    consumer: str = "test:recorder"
    channel: str = "test"
    label: str = "memory"
    failures: int = 0
    permanent: bool = False
    delay: float = 0.0
    region: str | None = None
    received: list[int] = field(default_factory=list)
    tries: dict[int, int] = field(default_factory=dict)

    def wants(self, event: Event) -> bool:
        alert = event.data.get("alert")
        return alert is not None and (self.region is None or self.region in alert["regions"])

    async def send(self, event: Event) -> Outcome:
        await asyncio.sleep(self.delay)
        self.tries[event.seq] = self.tries.get(event.seq, 0) + 1
        if self.tries[event.seq] <= self.failures:
            return Outcome.failed("HTTP 503", permanent=self.permanent)
        self.received.append(event.seq)
        return Outcome.ok()


@pytest.fixture
async def started(tocsin: Tocsin) -> AsyncIterator[tuple[Tocsin, Supervisor]]:
    await tocsin.start()
    supervisor = Supervisor(tocsin.feed, DeliveryStore(tocsin.store.engine), tocsin.clock, FAST)
    yield tocsin, supervisor
    await supervisor.stop()


async def raise_some(tocsin: Tocsin, *regions: str) -> list[int]:
    seqs = []
    for region in regions:
        await tocsin.alerts.raise_alert(RaiseAlert(threat="air", regions=[region]), LOCAL_ADMIN)
        seqs.append(await tocsin.store.last_seq())
    return seqs


async def until(predicate: object, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_delivers_wanted_events_in_order_and_records_attempts(
    started: tuple[Tocsin, Supervisor],
) -> None:
    tocsin, supervisor = started
    target = Recorder(region="UA-63", failures=2)
    supervisor.add(target, start=await tocsin.store.last_seq())
    seqs = await raise_some(tocsin, "UA-63", "UA-59", "UA-63")
    await until(lambda: len(target.received) == 2)
    assert target.received == [seqs[0], seqs[2]]
    await until(lambda: supervisor.workers[target.consumer].cursor == seqs[-1])
    attempts = await supervisor.store.attempts(consumer=target.consumer)
    outcomes = sorted((a.event_seq, a.attempt, a.outcome) for a in attempts)
    assert outcomes == [
        (seqs[0], 1, "failed"),
        (seqs[0], 2, "failed"),
        (seqs[0], 3, "delivered"),
        (seqs[2], 1, "failed"),
        (seqs[2], 2, "failed"),
        (seqs[2], 3, "delivered"),
    ]
    assert all(a.latency_ms >= 0 for a in attempts)
    assert await supervisor.store.cursor(target.consumer) == seqs[-1]


async def test_restart_resumes_from_the_cursor(
    started: tuple[Tocsin, Supervisor], database_url: str
) -> None:
    tocsin, supervisor = started
    first = Recorder()
    supervisor.add(first, start=await tocsin.store.last_seq())
    before = await raise_some(tocsin, "UA-63", "UA-59")
    await until(lambda: supervisor.workers[first.consumer].cursor == before[-1])
    await supervisor.remove(first.consumer)
    during = await raise_some(tocsin, "UA-30", "UA-32")  # while the consumer is down
    again = Recorder()
    # the same clock: a server on the real one would expire alerts raised in the test's past
    other = await build(Settings(database_url=database_url), clock=tocsin.clock)
    await other.start()
    revived = Supervisor(other.feed, DeliveryStore(other.store.engine), other.clock, FAST)
    try:
        revived.add(again, start=0)  # stored cursor wins over `start`
        await until(lambda: len(again.received) == 2)
        assert again.received == during
        assert first.received == before
    finally:
        await revived.stop()
        await other.close()


async def test_a_failing_target_is_paused_and_reported(started: tuple[Tocsin, Supervisor]) -> None:
    tocsin, supervisor = started
    paused: list[str] = []

    async def on_pause(target: Target, reason: str) -> None:
        paused.append(reason)

    target = Recorder(failures=10**6)
    supervisor.add(target, start=await tocsin.store.last_seq(), on_pause=on_pause)
    [seq] = await raise_some(tocsin, "UA-63")
    await until(lambda: bool(paused))
    assert paused == [f"event {seq}: HTTP 503"]
    [status] = supervisor.status()
    assert status["state"] == "paused" and status["backlog"] == 1
    assert status["last_error"] == f"event {seq}: HTTP 503"
    assert await supervisor.store.cursor(target.consumer) is None  # not past the failed event
    assert (await supervisor.store.last_errors())[target.consumer][1] == "HTTP 503"


async def test_permanent_failure_pauses_at_once(started: tuple[Tocsin, Supervisor]) -> None:
    tocsin, supervisor = started
    target = Recorder(failures=1, permanent=True)
    supervisor.add(target, start=await tocsin.store.last_seq())
    await raise_some(tocsin, "UA-63")
    await until(lambda: supervisor.workers[target.consumer].state == "paused")
    assert target.tries == {max(target.tries): 1}


async def test_a_slow_target_delays_nobody_else(started: tuple[Tocsin, Supervisor]) -> None:
    tocsin, supervisor = started
    slow = Recorder(consumer="test:slow", delay=5.0)
    fast = Recorder(consumer="test:fast")
    start = await tocsin.store.last_seq()
    supervisor.add(slow, start=start)
    supervisor.add(fast, start=start)
    seqs = await raise_some(tocsin, "UA-63", "UA-59", "UA-30")
    await until(lambda: len(fast.received) == 3, timeout=3.0)
    assert fast.received == seqs and slow.received == []


def test_backoff_grows_with_jitter_and_a_ceiling() -> None:
    import random

    policy = RetryPolicy(first_delay=1, factor=2, max_delay=10, jitter=0.2)
    rng = random.Random(7)
    delays = [policy.delay(n, rng) for n in range(1, 8)]
    for n, value in enumerate(delays, start=1):
        base = min(10, 2 ** (n - 1))
        assert base * 0.8 <= value <= base * 1.2
    assert len({round(d, 6) for d in delays}) == len(delays)

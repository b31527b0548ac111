"""Duties that run once among the nodes: one node does the work, another takes it over when
the first stops or dies, and a node that loses its lease stops the work."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

from tocsin.bootstrap import Tocsin
from tocsin.service.exclusive import Exclusive, node_name
from tocsin.service.ports import SystemClock
from tocsin.storage.lease_store import SqlLeases

TTL = 0.6


class Work:
    """What a duty does, recorded: when each node started and stopped it."""

    def __init__(self) -> None:
        self.running: set[str] = set()
        self.log: list[tuple[str, str]] = []
        self.overlaps = 0

    def node(self, tocsin: Tocsin, name: str) -> Exclusive:
        async def start() -> None:
            if self.running:
                self.overlaps += 1
            self.running.add(name)
            self.log.append(("start", name))

        async def stop() -> None:
            self.running.discard(name)
            self.log.append(("stop", name))

        leases = SqlLeases(tocsin.store.engine)
        return Exclusive(leases, "duty", name, SystemClock(), start=start, stop=stop, ttl=TTL)


async def until(condition: Callable[[], bool], timeout: float) -> float:
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout, "not in time"
        await asyncio.sleep(0.01)
    return time.monotonic() - began


async def test_one_node_runs_it_and_another_takes_over_a_clean_stop(tocsin: Tocsin) -> None:
    work = Work()
    a, b = work.node(tocsin, "a"), work.node(tocsin, "b")
    await a.begin()
    await b.begin()
    assert work.running == {"a"} and a.running and not b.running
    await asyncio.sleep(3 * TTL)  # a renews; b keeps asking and is refused
    assert work.running == {"a"} and work.overlaps == 0
    await a.end()
    waited = await until(lambda: work.running == {"b"}, TTL)  # released: at b's next turn
    assert waited <= TTL / 3 + 0.2
    await b.end()
    assert work.log == [("start", "a"), ("stop", "a"), ("start", "b"), ("stop", "b")]


async def test_when_the_holder_dies_another_takes_over_within_a_term_and_a_third(
    tocsin: Tocsin,
) -> None:
    work = Work()
    a, b = work.node(tocsin, "a"), work.node(tocsin, "b")
    await a.begin()
    await b.begin()
    assert a._task is not None
    a._task.cancel()  # a dies: it neither renews nor releases
    died = time.monotonic()
    await until(lambda: "b" in work.running, 2 * TTL)
    assert time.monotonic() - died <= TTL + TTL / 3 + 0.2
    await b.end()


async def test_a_holder_that_loses_its_lease_stops_the_work(tocsin: Tocsin) -> None:
    work = Work()
    a = work.node(tocsin, "a")
    await a.begin()
    assert work.running == {"a"}
    leases = SqlLeases(tocsin.store.engine)
    far = SystemClock().now() + timedelta(hours=1)  # as if a's term had run out and c took it
    await leases.release("duty", "a")
    assert await leases.acquire("duty", "c", far, SystemClock().now())
    await until(lambda: not work.running, TTL)
    assert not a.running
    await a.end()


async def test_a_duty_that_cannot_start_lets_another_node_try(tocsin: Tocsin) -> None:
    attempts: list[str] = []

    async def broken() -> None:
        attempts.append("a")
        raise RuntimeError("cannot start here")

    async def nothing() -> None:
        return None

    leases = SqlLeases(tocsin.store.engine)
    a = Exclusive(leases, "duty", "a", SystemClock(), start=broken, stop=nothing, ttl=TTL)
    await a.begin()
    assert not a.running and attempts == ["a"]
    assert await leases.held() == []
    await a.end()


async def test_the_server_runs_its_duties_under_leases(tocsin: Tocsin) -> None:
    leases = SqlLeases(tocsin.store.engine)
    await tocsin.start()
    try:
        held = {h.name: h.holder for h in await leases.held()}
        assert held == {"channels": tocsin.node, "audit-checkpoint": tocsin.node}
        assert all(duty.running for duty in tocsin.duties)
    finally:
        for duty in tocsin.duties:
            await duty.end()
    assert await leases.held() == []  # given up on a clean stop: another node takes over at once


def test_node_names_differ_between_processes_unless_configured() -> None:
    assert node_name() != node_name()
    assert node_name("writer-1") == "writer-1"

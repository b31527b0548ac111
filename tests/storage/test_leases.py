"""Leases in the database: one holder at a time, renewed by it, taken once run out; on
PostgreSQL by the database's clock, whatever the nodes' clocks say.

The rules are checked with the times given (`server_clock=False`), so that time can pass at
will; the server's clock is checked on PostgreSQL with real time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from conftest import START
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.storage.lease_store import SqlLeases

SECOND = timedelta(seconds=1)


async def test_one_holder_at_a_time(tocsin: Tocsin) -> None:
    leases = SqlLeases(tocsin.store.engine, server_clock=False)
    assert await leases.acquire("channels", "a", START + 3 * SECOND, START)
    assert not await leases.acquire("channels", "b", START + 4 * SECOND, START + SECOND)
    assert await leases.acquire("expiry", "b", START + 4 * SECOND, START + SECOND)
    held = {h.name: (h.holder, h.until) for h in await leases.held()}
    assert held == {"channels": ("a", START + 3 * SECOND), "expiry": ("b", START + 4 * SECOND)}


async def test_the_holder_renews_and_others_wait_until_it_runs_out(tocsin: Tocsin) -> None:
    leases = SqlLeases(tocsin.store.engine, server_clock=False)
    assert await leases.acquire("relay", "a", START + 3 * SECOND, START)
    assert await leases.acquire("relay", "a", START + 5 * SECOND, START + 2 * SECOND)
    # b's clock is past a's first term, not its renewed one
    assert not await leases.acquire("relay", "b", START + 7 * SECOND, START + 4 * SECOND)
    assert await leases.acquire("relay", "b", START + 8 * SECOND, START + 5 * SECOND)
    assert not await leases.acquire("relay", "a", START + 8 * SECOND, START + 5 * SECOND)
    assert [(h.holder, h.until) for h in await leases.held()] == [("b", START + 8 * SECOND)]


async def test_release_hands_over_at_once_and_only_by_the_holder(tocsin: Tocsin) -> None:
    leases = SqlLeases(tocsin.store.engine, server_clock=False)
    assert await leases.acquire("relay", "a", START + 3 * SECOND, START)
    await leases.release("relay", "b")  # not b's to give
    assert not await leases.acquire("relay", "b", START + 3 * SECOND, START)
    await leases.release("relay", "a")
    assert await leases.acquire("relay", "b", START + 3 * SECOND, START)


async def test_racing_holders_get_it_once(tocsin: Tocsin) -> None:
    leases = SqlLeases(tocsin.store.engine, server_clock=False)
    got = await asyncio.gather(
        *(leases.acquire("race", f"node{i}", START + 3 * SECOND, START) for i in range(8))
    )
    assert got.count(True) == 1


@pytest.mark.postgres
async def test_on_postgresql_a_node_whose_clock_runs_ahead_cannot_take_a_held_lease(
    postgres_url: str,
) -> None:
    tocsin = await build(Settings(database_url=postgres_url, channels=(), packs=()))
    try:
        leases = SqlLeases(tocsin.store.engine)
        assert leases.server_clock
        now = datetime.now(UTC)
        assert await leases.acquire("relay", "a", now + 3 * SECOND, now)
        # b's clock is an hour ahead: by its clock a's lease ran out long ago; not by the server's
        ahead = now + timedelta(hours=1)
        assert not await leases.acquire("relay", "b", ahead + 3 * SECOND, ahead)
        # a's term is the server's time plus what a asked for, not a's own clock
        behind = now - timedelta(hours=1)
        assert await leases.acquire("relay", "a", behind + 0.3 * SECOND, behind)
        (held,) = await leases.held()
        assert abs(held.until - (datetime.now(UTC) + 0.3 * SECOND)) < 2 * SECOND
        await asyncio.sleep(0.5)  # the term has run out by the server's clock
        assert await leases.acquire("relay", "b", ahead + 3 * SECOND, ahead)
    finally:
        await tocsin.close()

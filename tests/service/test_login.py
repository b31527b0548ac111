"""Console login under attack: attempts counted before any password is checked, in the database,
per username, per address and overall; passwords checked off the event loop; refusals audited."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.errors import Busy, TooManyAttempts, Unauthorized
from tocsin.service.ports import ManualClock
from tocsin.storage import login_store

PASSWORD = "correct horse battery"
WRONG = "not the password at all"


def refusal(entry: Any) -> dict[str, Any]:
    """What a `session.refused` entry says of the refusal (less the bus's checks and events)."""
    return {k: v for k, v in entry.detail.items() if k not in ("checks", "events")}


@pytest.fixture
async def accounts(tocsin: Tocsin) -> Tocsin:
    await tocsin.accounts.create("olena", PASSWORD, "operator", ["UA-63"])
    return tocsin


@pytest.fixture
async def https(accounts: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(accounts.settings)
    app.state.tocsin = accounts
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://tocsin.test") as http:
        yield http


async def refused_for(tocsin: Tocsin, username: str, origin: str = "10.0.0.1") -> float:
    """The wait a login is refused with (it must be refused by the throttle)."""
    with pytest.raises(TooManyAttempts) as info:
        await tocsin.accounts.login(username, WRONG, origin)
    assert info.value.retry_after is not None
    return info.value.retry_after


async def wrong(tocsin: Tocsin, username: str = "olena", origin: str = "10.0.0.1") -> None:
    with pytest.raises(Unauthorized):
        await tocsin.accounts.login(username, WRONG, origin)


async def test_a_concurrent_burst_is_counted_before_any_password_is_checked(
    accounts: Tocsin, https: httpx.AsyncClient
) -> None:
    body = {"username": "olena", "password": WRONG}
    answers = await asyncio.gather(*(https.post("/v1/session", json=body) for _ in range(60)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 5 + [429] * 55
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    problem = refused.json()
    assert problem["code"] == "too_many_attempts" and problem["status"] == 429
    assert "try again in 1 s" in problem["detail"]


async def test_the_right_password_waits_a_second_not_minutes(
    accounts: Tocsin, https: httpx.AsyncClient, clock: ManualClock
) -> None:
    for _ in range(5):
        await wrong(accounts)
    good = {"username": "olena", "password": PASSWORD}
    held = await https.post("/v1/session", json=good)
    assert held.status_code == 429 and held.headers["retry-after"] == "1"
    clock.advance(1)
    assert (await https.post("/v1/session", json=good)).status_code == 200
    for _ in range(4):  # a good password started the username afresh
        await wrong(accounts)
    assert (await https.post("/v1/session", json=good)).status_code == 200


async def test_waits_double_and_stay_bounded(accounts: Tocsin, clock: ManualClock) -> None:
    for _ in range(5):
        await wrong(accounts)
    waits = []
    for _ in range(12):
        wait = await refused_for(accounts, "olena")
        waits.append(wait)
        clock.advance(wait)
        await wrong(accounts)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    clock.advance(await refused_for(accounts, "olena"))
    secret, _ = await accounts.accounts.login("olena", PASSWORD, "10.0.0.1")
    assert secret  # never locked out for good


async def test_password_spraying_meets_the_address_limit(accounts: Tocsin) -> None:
    for n in range(20):
        await wrong(accounts, f"user{n}", "198.51.100.7")
    for n in range(20, 30):
        await refused_for(accounts, f"user{n}", "198.51.100.7")
    await wrong(accounts, "user20", "198.51.100.8")  # another address is not held back


async def test_the_global_limit_holds_across_addresses(
    database_url: str, clock: ManualClock
) -> None:
    settings = Settings(database_url=database_url, channels=(), login_global_attempts=10)
    tocsin = await build(settings, clock=clock)
    try:
        for n in range(10):
            await wrong(tocsin, f"user{n}", f"198.51.100.{n}")
        assert await refused_for(tocsin, "user10", "198.51.100.10") == 1
        entries = await tocsin.store.audit_entries()
        assert refusal(entries[-1]) == {"reason": "throttled", "limit": "global", "wait": 1}
    finally:
        await tocsin.close()


async def test_a_username_of_any_length_is_counted(accounts: Tocsin) -> None:
    await wrong(accounts, "İ" * 64)  # twice as long lower-cased
    entries = await accounts.store.audit_entries()
    assert entries[-1].target == "i̇" * 64


async def test_every_server_counts_the_same_attempts(
    accounts: Tocsin, database_url: str, clock: ManualClock
) -> None:
    other = await build(Settings(database_url=database_url, channels=()), clock=clock)
    try:
        for node in (accounts, other, accounts, other, other):
            await wrong(node)
        assert await refused_for(accounts, "olena") == 1
        assert await refused_for(other, "olena") == 1
    finally:
        await other.close()


async def test_an_unknown_username_costs_as_much_as_a_known_one(accounts: Tocsin) -> None:
    await accounts.accounts.create("petro", PASSWORD, "viewer")
    await accounts.accounts.disable("petro")

    async def fastest(username: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            await wrong(accounts, username)
            times.append(time.perf_counter() - started)
        return min(times)

    known, unknown, disabled = [await fastest(name) for name in ("olena", "nobody", "petro")]
    assert unknown > known / 2 and disabled > known / 2, (known, unknown, disabled)


async def test_every_refusal_is_audited_without_the_password(accounts: Tocsin) -> None:
    await accounts.accounts.create("petro", PASSWORD, "viewer")
    await accounts.accounts.disable("petro")
    before = len(await accounts.store.audit_entries())
    await wrong(accounts, "olena", "192.0.2.1")
    await wrong(accounts, "Nobody ", "192.0.2.2")
    with pytest.raises(Unauthorized):
        await accounts.accounts.login("petro", PASSWORD, "192.0.2.3")
    for _ in range(4):
        await wrong(accounts, "olena", "192.0.2.1")
    await refused_for(accounts, "olena", "192.0.2.1")
    entries = (await accounts.store.audit_entries())[before:]
    assert [(e.action, e.actor, e.target, e.origin, e.detail["reason"]) for e in entries] == [
        ("session.refused", "anonymous", "olena", "192.0.2.1", "wrong password"),
        ("session.refused", "anonymous", "nobody", "192.0.2.2", "unknown account"),
        ("session.refused", "anonymous", "petro", "192.0.2.3", "account disabled"),
        *[("session.refused", "anonymous", "olena", "192.0.2.1", "wrong password")] * 4,
        ("session.refused", "anonymous", "olena", "192.0.2.1", "throttled"),
    ]
    assert refusal(entries[-1]) == {"reason": "throttled", "limit": "user", "wait": 1}
    stored = orjson.dumps([e.to_json() for e in entries]).decode()
    assert WRONG not in stored and PASSWORD not in stored


async def test_the_event_loop_runs_while_passwords_are_checked(accounts: Tocsin) -> None:
    checks = []
    for _ in range(2):
        started = time.perf_counter()
        await accounts.accounts.passwords.verify(None, WRONG)
        checks.append(time.perf_counter() - started)
    check = min(checks)  # what the loop would stand still for, if it checked them itself
    lags: list[float] = []
    checking = True

    async def tick() -> None:
        while checking:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - started - 0.005)

    gc.disable()  # a full collection of the test process's heap would be a pause of its own
    try:
        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0.02)
        for n in range(4):
            await wrong(accounts, "olena", f"203.0.113.{n}")
        checking = False
        await ticker
    finally:
        gc.enable()
    # had the loop checked a password itself, it would have stood still for a whole check;
    # a shared machine's scheduling adds pauses of its own, well short of that
    assert max(lags) < check, (max(lags), check)


async def test_a_full_pool_refuses_at_once_and_gives_the_attempt_back(
    database_url: str, clock: ManualClock
) -> None:
    settings = Settings(
        database_url=database_url, channels=(), password_workers=1, password_queue=1
    )
    tocsin = await build(settings, clock=clock)
    try:
        outcomes = await asyncio.gather(
            *(tocsin.accounts.login(f"user{n}", WRONG, "10.0.0.1") for n in range(4)),
            return_exceptions=True,
        )
        kinds = sorted(type(o).__name__ for o in outcomes)
        assert kinds == ["Busy", "Busy", "Unauthorized", "Unauthorized"]
        busy = next(o for o in outcomes if isinstance(o, Busy))
        assert busy.status == 503 and busy.retry_after == 1
        entries = await tocsin.store.audit_entries()
        reasons = sorted(e.detail["reason"] for e in entries if e.action == "session.refused")
        assert reasons == ["no worker free to check the password"] * 2 + ["unknown account"] * 2
        async with tocsin.store.write() as tx:  # the two unchecked attempts were given back
            buckets = await login_store.buckets(tx, ["address:10.0.0.1", "global"])
        assert [b.level for b in buckets.values()] == [2, 2]
    finally:
        await tocsin.close()

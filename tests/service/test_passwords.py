"""Passwords: checked in a bounded pool of their own, an unknown account against a fixed hash,
and new ones refused when they are short or easy to guess."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from tocsin.bootstrap import Tocsin
from tocsin.errors import Busy, InvalidInput
from tocsin.service.passwords import Passwords, check_strength

PASSWORD = "correct horse battery"


@pytest.fixture
async def passwords() -> AsyncIterator[Passwords]:
    pool = Passwords(workers=1, queue=0)
    yield pool
    pool.close()


async def test_verify(passwords: Passwords) -> None:
    stored = await passwords.new_hash(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert await passwords.verify(stored, PASSWORD)
    assert not await passwords.verify(stored, PASSWORD + "!")
    assert not await passwords.verify(None, PASSWORD)  # an unknown account
    assert not await passwords.verify("not a hash", PASSWORD)


async def test_an_unknown_account_is_checked_against_a_hash_too(passwords: Passwords) -> None:
    stored = await passwords.new_hash(PASSWORD)
    await passwords.verify(None, PASSWORD)  # the first check makes the fixed hash

    async def seconds(hash_: str | None) -> float:
        started = time.perf_counter()
        await passwords.verify(hash_, "wrong password here")
        return time.perf_counter() - started

    known = min([await seconds(stored) for _ in range(3)])
    unknown = min([await seconds(None) for _ in range(3)])
    assert unknown > known / 2, (known, unknown)


async def test_a_full_pool_refuses_at_once_and_frees_its_slot_when_done(
    passwords: Passwords,
) -> None:
    stored = await passwords.new_hash(PASSWORD)
    first = asyncio.ensure_future(passwords.verify(stored, PASSWORD))
    await asyncio.sleep(0)
    started = time.perf_counter()
    with pytest.raises(Busy) as info:
        await passwords.verify(stored, PASSWORD)
    assert time.perf_counter() - started < 0.05
    assert info.value.retry_after == 1 and info.value.status == 503
    first.cancel()  # the caller goes away: the worker still holds its slot until it is done
    with pytest.raises(Busy):
        await passwords.verify(stored, PASSWORD)
    for _ in range(100):
        await asyncio.sleep(0.05)
        try:
            assert await passwords.verify(stored, PASSWORD)
        except Busy:
            continue
        break
    else:
        pytest.fail("the slot was never freed")


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own priority is Linux's")
async def test_the_workers_run_at_the_lowest_priority(passwords: Passwords) -> None:
    await passwords.verify(None, PASSWORD)
    workers = [t for t in threading.enumerate() if t.name.startswith("tocsin-passwords")]
    assert workers
    for worker in workers:
        assert worker.native_id is not None
        assert os.sched_getscheduler(worker.native_id) == os.SCHED_IDLE


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short", "at least 12 characters"),
        ("password1234", "too easy to guess (This is a very common password)"),
        ("a" * 200, "too easy to guess"),  # only the first 72 characters are looked at
        ("olena.olena.olena", "too easy to guess"),
    ],
)
def test_weak_passwords(password: str, why: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_strength(password, ["olena"])
    assert info.value.field == "password" and why in info.value.message


@pytest.mark.parametrize("password", [PASSWORD, "Tr0ub4dor&3 in Lviv", "x7#Kq!p2Lm9@" * 20])
def test_strong_passwords(password: str) -> None:
    check_strength(password, ["olena"])


@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("text", ["bad\\ud800text", "bad\\u0000text"])
async def test_a_login_with_unstorable_text_is_invalid_input(
    tocsin: Tocsin, client: httpx.AsyncClient, field: str, text: str
) -> None:
    body = {"username": "olena", "password": PASSWORD, field: "TEXT"}
    raw = orjson.dumps(body).decode().replace("TEXT", text)
    answer = await client.post(
        "/v1/session", content=raw, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422 and answer.json()["field"] == field

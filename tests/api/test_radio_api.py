"""The live radio feed, over a real server: silence, then the siren and the announcement."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import numpy as np
import pytest

from conftest import bearer, serving
from tocsin.bootstrap import build
from tocsin.channels.media import radio, sound
from tocsin.config import Settings

WINDOW = sound.RATE // 2  # half a second


def loudness(data: bytes) -> np.ndarray:
    """RMS of every half second of the received audio."""
    samples = sound.decode(data)
    usable = len(samples) // WINDOW * WINDOW
    return np.sqrt(np.mean(samples[:usable].reshape(-1, WINDOW) ** 2, axis=1))


async def listen(
    http: httpx.AsyncClient, seconds: float, **params: Any
) -> tuple[httpx.Headers, bytearray]:
    received = bytearray()
    deadline = time.monotonic() + seconds
    async with http.stream("GET", "/v1/broadcast/radio", params=params) as response:
        assert response.status_code == 200
        async for chunk in response.aiter_bytes():
            received += chunk
            if time.monotonic() > deadline:
                break
    return response.headers, received


async def test_the_feed_is_silent_then_sounds_the_siren_then_speaks(database_url: str) -> None:
    threats = {"uav": {"siren": {"pattern": "continuous", "seconds": 3}}}
    settings = Settings(database_url=database_url, channels=(), threats=threats)
    admin = await build(settings)
    try:
        headers = await bearer(admin, "admin")
    finally:
        await admin.close()
    with serving(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            listening = asyncio.create_task(
                listen(http, 14, region="UA-63", lang="en", format="mp3")
            )
            await asyncio.sleep(3)
            raised = await http.post(
                "/v1/alerts", json={"threat": "uav", "regions": ["UA-63"]}, headers=headers
            )
            assert raised.status_code == 201, raised.text
            got, received = await listening
    assert got["content-type"] == "audio/mpeg"
    assert got["icy-name"] and got["icy-genre"] == "Emergency" and got["icy-pub"] == "0"
    level = loudness(bytes(received))
    assert len(level) >= 2 * 14  # real time, and at most a little ahead
    loud = np.flatnonzero(level > 0.3)  # the siren: a horn at 0.6 of full scale
    assert loud.size >= 5, level.round(3).tolist()
    assert level[: 2 * 2].max() < 0.001  # silence before the alert
    after = level[loud[-1] + 1 :]
    assert ((after > 0.01) & (after < 0.3)).sum() >= 4, level.round(3).tolist()  # speech


def test_a_piece_is_sent_in_slices_that_add_up() -> None:
    piece = radio.Piece(bytes(range(250)) * 40, 4.2)
    parts = piece.slices()
    assert len(parts) == 4
    assert b"".join(p.data for p in parts) == piece.data
    assert sum(p.seconds for p in parts) == pytest.approx(4.2)


async def test_the_programme_keeps_to_real_time() -> None:
    now = [0.0]

    async def nothing() -> Any:
        await asyncio.Event().wait()
        yield  # pragma: no cover

    async def render(event: Any) -> list[radio.Piece]:
        return []

    audio = radio.programme(nothing(), render, "mp3", lead=2.0, clock=lambda: now[0])
    for _ in range(3):  # up to two seconds ahead of the clock: sent at once
        await asyncio.wait_for(anext(audio), 1)
    fourth = asyncio.ensure_future(anext(audio))
    await asyncio.sleep(0.3)
    assert not fourth.done()  # three seconds ahead: it waits
    await asyncio.wait_for(fourth, 2)
    await audio.aclose()


async def test_bad_requests_are_refused(client: httpx.AsyncClient) -> None:
    wrong = await client.get("/v1/broadcast/radio", params={"region": "UA-63", "format": "flac"})
    assert (wrong.status_code, wrong.json()["field"]) == (422, "format")
    nowhere = await client.get("/v1/broadcast/radio", params={"region": "XX-1"})
    assert (nowhere.status_code, nowhere.json()["field"]) == (422, "region")


async def first_slices(count: int, **options: Any) -> list[float]:
    """The peak of each of the first `count` slices of a programme with no alerts."""

    async def nothing() -> Any:
        await asyncio.Event().wait()
        yield  # pragma: no cover

    async def render(event: Any) -> list[radio.Piece]:
        return []

    later = iter(range(10**6))  # a clock that runs ahead: no waiting
    audio = radio.programme(nothing(), render, "wav", clock=lambda: 1e6 + next(later), **options)
    peaks = [float(np.abs(sound.decode(await anext(audio))).max()) for _ in range(count)]
    await audio.aclose()
    return peaks


async def test_between_alerts_silence_or_the_interval_signal() -> None:
    assert max(await first_slices(4)) == 0
    peaks = await first_slices(7, interval=3)
    assert [p > 0.1 for p in peaks] == [True, False, False, True, False, False, True]

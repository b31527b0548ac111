"""The Icecast source client, against Debian's icecast2 on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from conftest import bearer, serving
from icecast_support import SOURCE_PASSWORD, icecast
from tocsin.bootstrap import build
from tocsin.channels.media import icecast as source
from tocsin.channels.media import radio, sound
from tocsin.config import Settings
from tocsin.errors import InvalidInput, Unavailable


def test_a_mount_url_names_server_password_and_mount() -> None:
    mount = source.Mount.parse("icecast://source:p%40ss@radio.example.org:8010/ua-63.mp3")
    assert (mount.host, mount.port, mount.path) == ("radio.example.org", 8010, "/ua-63.mp3")
    assert (mount.user, mount.password, mount.tls) == ("source", "p@ss", False)
    assert str(mount) == "icecast://source:****@radio.example.org:8010/ua-63.mp3"
    assert source.Mount.parse("icecasts://h/m").tls


@pytest.mark.parametrize("url", ["http://h/m", "icecast://h", "icecast:///m"])
def test_a_bad_mount_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        source.Mount.parse(url)
    assert refused.value.field == "icecast"


async def silence_forever() -> object:
    while True:
        yield radio.silence("mp3").data
        await asyncio.sleep(0.2)


async def test_a_wrong_password_is_refused(tmp_path: Path) -> None:
    with icecast(tmp_path) as port:
        mount = source.Mount.parse(f"icecast://source:wrong@127.0.0.1:{port}/x.mp3")
        with pytest.raises(Unavailable, match="refused the source"):
            await source.push(mount, silence_forever(), "audio/mpeg", {})  # type: ignore[arg-type]


async def hear(port: int, path: str, seconds: float) -> tuple[httpx.Headers, bytes]:
    received = bytearray()
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(100):  # until the source has connected
            async with http.stream("GET", f"http://127.0.0.1:{port}{path}") as response:
                if response.status_code != 200:
                    await asyncio.sleep(0.1)
                    continue
                async for chunk in response.aiter_bytes():
                    received += chunk
                    if time.monotonic() > deadline:
                        break
                break
    return response.headers, bytes(received)


async def test_the_feed_reaches_icecast_listeners(database_url: str, tmp_path: Path) -> None:
    threats = {"uav": {"siren": {"pattern": "pulsed", "seconds": 4}}}
    settings = Settings(database_url=database_url, channels=(), threats=threats)
    admin = await build(settings)
    try:
        headers = await bearer(admin, "admin")
    finally:
        await admin.close()
    with icecast(tmp_path) as port, serving(settings) as base:
        mount = source.Mount.parse(f"icecast://source:{SOURCE_PASSWORD}@127.0.0.1:{port}/ua.mp3")
        params = {"region": "UA-63", "lang": "en"}
        relaying = asyncio.create_task(source.relay(f"{base}/v1/broadcast/radio", params, mount))
        listening = asyncio.create_task(hear(port, "/ua.mp3", 10))
        await asyncio.sleep(2)
        async with httpx.AsyncClient(base_url=base, headers=headers) as http:
            body = {"threat": "uav", "regions": ["UA-63"]}
            assert (await http.post("/v1/alerts", json=body)).status_code == 201
        heard, audio = await listening
        relaying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relaying
    assert heard["content-type"] == "audio/mpeg"
    assert heard["icy-name"].encode("latin-1").decode() == "tocsin: Kharkiv Oblast"
    samples = sound.decode(audio)
    assert len(samples) / sound.RATE > 5
    window = sound.RATE // 2
    usable = len(samples) // window * window
    level = np.sqrt(np.mean(samples[:usable].reshape(-1, window) ** 2, axis=1))
    assert (level > 0.3).sum() >= 2, level.round(3).tolist()  # the siren, through icecast

"""A source client for Icecast: pushes a radio feed to a mount, as a station's encoder would.

`icecast://source:PASSWORD@host:8000/tocsin-ua-63.mp3` (or `icecasts://` for TLS) names the
server, the source password and the mount. The audio goes with HTTP PUT (Icecast 2.4 and
later), its content type and the station's `ice-*` headers; Icecast then serves the mount to
any number of listeners.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

import httpx

from tocsin.errors import InvalidInput, Unavailable

SCHEMES: Final = {"icecast": False, "icecasts": True}


@dataclass(frozen=True, slots=True)
class Mount:
    host: str
    port: int
    tls: bool
    path: str
    user: str
    password: str = ""

    @classmethod
    def parse(cls, url: str) -> Mount:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname or len(parts.path) < 2:
            message = "an Icecast mount is icecast://source:PASSWORD@host:port/mount"
            raise InvalidInput(message, field="icecast")
        port = parts.port or 8000
        user = unquote(parts.username or "source")
        password = unquote(parts.password or "")
        return cls(parts.hostname, port, SCHEMES[parts.scheme], parts.path, user, password)

    def __str__(self) -> str:
        scheme = "icecasts" if self.tls else "icecast"
        return f"{scheme}://{self.user}:****@{self.host}:{self.port}{self.path}"


async def push(
    mount: Mount, audio: AsyncIterator[bytes], media_type: str, station: Mapping[str, str]
) -> None:
    """Send `audio` to the mount until it ends; `Unavailable` when Icecast refuses or goes."""
    context = ssl.create_default_context() if mount.tls else None
    try:
        reader, writer = await asyncio.open_connection(mount.host, mount.port, ssl=context)
    except OSError as exc:
        raise Unavailable(f"cannot reach {mount}: {exc}") from None
    try:
        writer.write(_request(mount, media_type, station))
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 10)
        if b" 200 " not in status and b" 100 " not in status:
            said = status.decode("latin-1").strip() or "no answer"
            raise Unavailable(f"{mount} refused the source: {said}")
        async for data in audio:
            writer.write(data)
            await writer.drain()
    except (OSError, TimeoutError) as exc:
        raise Unavailable(f"lost {mount}: {exc}") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _request(mount: Mount, media_type: str, station: Mapping[str, str]) -> bytes:
    secret = base64.b64encode(f"{mount.user}:{mount.password}".encode()).decode()
    lines = [
        f"PUT {mount.path} HTTP/1.1",
        f"Host: {mount.host}:{mount.port}",
        f"Authorization: Basic {secret}",
        f"Content-Type: {media_type}",
        "Ice-Public: 0",
        *(f"Ice-{key}: {value}" for key, value in station.items()),
        "Expect: 100-continue",
    ]
    # header values go out as they came in: a feed's icy-* headers carry UTF-8 bytes as latin-1
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")


async def relay(feed: str, params: Mapping[str, str], mount: Mount) -> None:
    """Push a tocsin server's radio feed (`feed`, e.g. http://127.0.0.1:8000/v1/broadcast/radio)
    to the mount, with the feed's station name, description and genre, until either ends."""
    timeout = httpx.Timeout(10, read=60)  # the feed sends audio every second
    async with httpx.AsyncClient(timeout=timeout) as http:
        try:
            async with http.stream("GET", feed, params=params) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise Unavailable(f"the feed answered {response.status_code}: {response.text}")
                heard = response.headers
                station = {
                    key: heard[f"icy-{key.lower()}"]
                    for key in ("Name", "Description", "Genre")
                    if f"icy-{key.lower()}" in heard
                }
                media_type = heard.get("content-type", "audio/mpeg")
                await push(mount, response.aiter_raw(), media_type, station)
        except httpx.HTTPError as exc:
            raise Unavailable(f"lost the feed {feed}: {exc}") from None

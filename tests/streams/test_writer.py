"""The stream writers: straight to uvicorn's socket, or the plain ASGI `send`, chosen by the
`stream_direct_writes` setting; both deliver the same bytes through a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import serving
from tocsin.bootstrap import build
from tocsin.config import Settings
from tocsin.streams import writer as writers
from tocsin.streams.push import Pusher
from tocsin.streams.writer import DirectWriter, SendWriter, Writer, http_chunk, writer_for


async def token(database_url: str) -> dict[str, str]:
    tocsin = await build(Settings(database_url=database_url))
    try:
        new = await tocsin.tokens.create("admin", name="writer test")
    finally:
        await tocsin.close()
    return {"Authorization": f"Bearer {new.secret}"}


async def plain_send(message: dict[str, Any]) -> None:
    pass


def test_a_plain_send_gets_the_send_writer_whatever_the_setting() -> None:
    for direct in (True, False):
        chosen = writer_for(plain_send, direct=direct)
        assert isinstance(chosen, SendWriter) and not isinstance(chosen, DirectWriter)
        assert chosen.write_now(b"x") is False


def test_both_writers_are_writers() -> None:
    assert isinstance(SendWriter(plain_send), Writer)
    assert isinstance(DirectWriter(plain_send, lambda chunk: True), Writer)


async def test_the_direct_writer_writes_the_chunk_built_once() -> None:
    written: list[bytes] = []

    def direct(chunk: bytes) -> bool:
        written.append(chunk)
        return True

    chunk = http_chunk(b"data: 1\n\n")
    pusher = Pusher(DirectWriter(plain_send, direct), limit=5)
    pusher.push(b"data: 1\n\n", 1, chunk)
    pusher.push(b"data: 2\n\n", 2)
    assert written[0] is chunk and written[1] == http_chunk(b"data: 2\n\n")
    assert pusher.written == 2 and not pusher.busy


async def test_a_bare_send_is_the_send_writer() -> None:
    sent: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        assert message["type"] == "http.response.body" and message["more_body"] is True
        sent.append(message["body"])

    pusher = Pusher(send, limit=5)
    pusher.push(b"a", 1)
    assert sent == [b"a"] and pusher.written == 1


@pytest.fixture
def direct_writes() -> Iterator[list[bool]]:
    """What every write straight to a socket answered, in any server of this process."""
    answers: list[bool] = []
    original = writers._Socket.write

    def counted(self: Any, chunk: bytes) -> bool:
        answer = original(self, chunk)
        answers.append(answer)
        return answer

    writers._Socket.write = counted  # type: ignore[method-assign]
    try:
        yield answers
    finally:
        writers._Socket.write = original  # type: ignore[method-assign]


async def read_until(http: httpx.AsyncClient, seen: asyncio.Event, marker: bytes) -> bytes:
    """The stream's body from the first event frame up to and with the frame holding `marker`;
    `seen` is set once the replay has begun."""
    body = b""
    params = {"since": "0", "status": "all"}
    async with http.stream("GET", "/v1/stream", params=params) as response:
        assert response.status_code == 200
        async for data in response.aiter_bytes():
            body += data
            if b"id: " in body:
                seen.set()
            if marker in body and body.endswith(b"\n\n"):
                break
    events = body[body.index(b"id: ") :]  # the `open` frame names the server's position
    return events[: events.index(b"\n\n", events.index(marker)) + 2]


async def test_direct_and_send_deliver_the_same_bytes(
    database_url: str, direct_writes: list[bool]
) -> None:
    headers = await token(database_url)
    with (
        serving(Settings(database_url=database_url, stream_direct_writes=True)) as direct,
        serving(Settings(database_url=database_url, stream_direct_writes=False)) as plain,
    ):
        async with (
            httpx.AsyncClient(base_url=direct, timeout=20) as fast,
            httpx.AsyncClient(base_url=plain, timeout=20) as slow,
        ):
            for region in ("UA-63", "UA-59"):  # replayed
                raised = await fast.post(
                    "/v1/alerts", headers=headers, json={"threat": "uav", "regions": [region]}
                )
                assert raised.status_code == 201
            marker = b'"regions":["UA-46"]'
            seen = [asyncio.Event(), asyncio.Event()]
            readers = []
            for client, ready in zip((fast, slow), seen, strict=True):
                # one server at a time: FastAPI builds its routes lazily on first use, and two
                # threads doing so at once race on the process's warning filters
                readers.append(asyncio.create_task(read_until(client, ready, marker)))
                await asyncio.wait_for(ready.wait(), 20)
            live = await fast.post(  # live, to both
                "/v1/alerts", headers=headers, json={"threat": "missile", "regions": ["UA-46"]}
            )
            assert live.status_code == 201
            got_direct, got_send = await asyncio.wait_for(asyncio.gather(*readers), 20)
    assert got_direct == got_send
    assert got_direct.count(b"event: alert.raised\n") == 3
    assert True in direct_writes  # the direct server wrote straight to its socket


async def test_with_direct_writes_off_every_frame_goes_through_send(
    database_url: str, direct_writes: list[bool]
) -> None:
    headers = await token(database_url)
    with serving(Settings(database_url=database_url, stream_direct_writes=False)) as plain:
        async with httpx.AsyncClient(base_url=plain, timeout=20) as http:
            raised = await http.post(
                "/v1/alerts", headers=headers, json={"threat": "uav", "regions": ["UA-63"]}
            )
            assert raised.status_code == 201
            got = await asyncio.wait_for(
                read_until(http, asyncio.Event(), b'"regions":["UA-63"]'), 20
            )
    assert got.startswith(b"id: ") and b"event: alert.raised\n" in got
    assert direct_writes == []

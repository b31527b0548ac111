"""Frames written straight to uvicorn's socket: the same chunk for every client, and `send`
whenever the socket is full, with every byte in order."""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import running_app
from tocsin.streams.push import Pusher
from tocsin.streams.writer import DirectWriter, direct_writer, http_chunk

Scope = dict[str, Any]


class Recorder:
    """An ASGI app streaming what a test tells it to, through a `Pusher`."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames
        self.direct: list[bool] = []
        self.used_direct: bool | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        writer = direct_writer(send)
        self.used_direct = writer is not None
        counted = None
        if writer is not None:

            def counted(chunk: bytes) -> bool:
                wrote = writer(chunk)
                self.direct.append(wrote)
                return wrote

        chosen = send if counted is None else DirectWriter(send, counted)
        pusher = Pusher(chosen, limit=len(self.frames) + 1)
        for i, frame in enumerate(self.frames, start=1):
            pusher.push(frame, i, http_chunk(frame))
        await pusher.drained()
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def body_of(port: int, *, pause: float = 0.0) -> bytes:
    """The raw chunked body, read (after `pause`, if any) to its end."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**27)
    writer.write(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
    await writer.drain()
    if pause:
        await asyncio.sleep(pause)
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"transfer-encoding: chunked" in head.lower()
    body = await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 30)
    writer.close()
    await writer.wait_closed()
    return body


async def test_uvicorn_frames_go_straight_to_the_socket() -> None:
    frames = [b"id: %d\nevent: raised\ndata: {}\n\n" % i for i in range(1, 6)]
    app = Recorder(frames)
    with running_app(app, http="httptools", lifespan="off") as port:
        body = await body_of(port)
    assert body == b"".join(http_chunk(f) for f in frames) + b"0\r\n\r\n"
    assert app.used_direct and app.direct == [True] * 5


async def test_a_full_socket_falls_back_to_send_and_loses_nothing() -> None:
    frames = [bytes([65 + i % 26]) * 65536 for i in range(400)]  # 26 MB, far over the buffers
    app = Recorder(frames)
    with running_app(app, http="httptools", lifespan="off") as port:
        body = await body_of(port, pause=1.0)  # the client reads nothing for a second
    assert body == b"".join(http_chunk(f) for f in frames) + b"0\r\n\r\n"
    assert app.direct[0] is True
    assert False in app.direct  # the socket filled up: those frames went through `send`
    assert len(app.direct) < len(frames)  # frames queued behind a waiting send skip the check


async def test_other_servers_get_the_frames_through_send() -> None:
    frames = [b"id: 1\ndata: {}\n\n", b"id: 2\ndata: {}\n\n"]
    app = Recorder(frames)
    with running_app(app, http="h11", lifespan="off") as port:
        body = await body_of(port)
    assert body == b"".join(http_chunk(f) for f in frames) + b"0\r\n\r\n"
    assert app.used_direct is False


def test_a_plain_send_has_no_direct_writer() -> None:
    async def send(message: dict[str, Any]) -> None:
        pass

    assert direct_writer(send) is None

"""Writing a stream's frames to its client from the hub's own task.

A live stream with ten thousand clients must not cost ten thousand task switches per event.
`Pusher` writes through the stream's `Writer` (see `tocsin.streams.writer`) directly from the
caller: straight to the socket when the writer can, else through the response's ASGI `send`,
which finishes without suspending while the client's socket takes data, so the frame is on the
wire before `push` returns. When the socket is full, that `send` waits for it to drain, resumed by
the event loop as a task would be, and later frames queue behind it, up to a limit: a client
that falls further behind is finished with a reason and resumes from the last frame written.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections import deque
from collections.abc import Coroutine
from typing import Any, cast

from tocsin.streams.writer import Direct, Send, SendWriter, Writer, http_chunk
from tocsin.types import Seq

SEND_BUFFER = 64 * 1024  # a live stream's kernel send buffer (Linux doubles it)


def abort(send: Send) -> bool:
    """Reset the connection under uvicorn's `send` at once, dropping what waits to be written
    in the process and in the kernel (a `close` would wait for a client that no longer
    reads); False for a server that does not show its transport."""
    transport = _transport(send)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    return True


def cap_send_buffer(send: Send, size: int = SEND_BUFFER) -> None:
    """Cap the kernel's send buffer of the socket under uvicorn's `send` at `size` bytes.

    Left to itself, Linux grows a socket's send buffer up to `net.ipv4.tcp_wmem` (4 MiB by
    default) for a client that stops reading: memory the process's RSS does not show, per
    stalled stream. A live stream's frames are small and few; capped, a stalled client fills
    its buffers after a few of them and is dropped (`Pusher`'s limit).
    """
    transport = _transport(send)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


def _transport(send: Send) -> Any:
    """The transport of uvicorn's `send` (asyncio's or uvloop's, which is not an
    `asyncio.Transport`), or None."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if callable(getattr(transport, "abort", None)) and hasattr(transport, "get_extra_info"):
        return transport
    return None


class Pusher:
    """The body of one streaming response, written in order, never blocking the caller."""

    def __init__(self, writer: Writer | Send, *, limit: int, written: Seq = 0) -> None:
        """`writer`: how frames reach the client; a bare ASGI `send` means `SendWriter`."""
        # `Writer` is a protocol: an isinstance check of one costs more than a stream's open
        self._writer = cast(Writer, writer) if hasattr(writer, "write_now") else SendWriter(writer)
        self._limit = limit
        self._backlog: deque[tuple[bytes, Seq | None]] = deque()
        self._sending: Coroutine[Any, Any, None] | None = None  # a send waiting for the socket
        self._sending_seq: Seq | None = None
        self._idle: asyncio.Future[None] | None = None
        self.written: Seq = written  # the seq of the last event frame handed to the socket
        self.finished: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._over = False
        self._direct: Direct | None = getattr(self._writer, "direct", None)
        self._ready = True  # nothing waits to be written and the stream is not finished

    @property
    def busy(self) -> bool:
        return self._sending is not None or bool(self._backlog)

    def push(self, body: bytes, seq: Seq | None = None, chunk: bytes | None = None) -> None:
        """Write `body` (after what is queued); `seq` is the last event it carries, if any;
        `chunk`, if given, is `http_chunk(body)`, built once for many clients."""
        if self._ready:
            # the usual case: straight to the socket
            direct = self._direct
            if (
                direct(chunk or http_chunk(body))
                if direct is not None
                else self._writer.write_now(body, chunk)
            ):
                if seq is not None:
                    self.written = seq
                return
            self._step(self._write(body), seq)
        elif not self._over:
            if len(self._backlog) >= self._limit:
                self.finish(f"too far behind: more than {self._limit} frames queued")
                return
            self._backlog.append((body, seq))

    async def drained(self) -> None:
        """Until every pushed frame is written (or the stream finished)."""
        while self.busy and not self.finished.done():
            if self._idle is None or self._idle.done():
                self._idle = asyncio.get_running_loop().create_future()
            waiting: set[asyncio.Future[Any]] = {self._idle, self.finished}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)

    def finish(self, reason: str) -> None:
        """End the stream: nothing more is written; a waiting send is abandoned."""
        self._over = True
        self._ready = False
        if not self.finished.done():
            self.finished.set_result(reason)
        self._backlog.clear()
        if self._sending is not None:
            self._sending.close()
            self._sending = None
        self._wake_idle()

    def _write(self, body: bytes) -> Coroutine[Any, Any, None]:
        return self._writer.send(body)

    def _step(self, sending: Coroutine[Any, Any, None], seq: Seq | None) -> None:
        while True:
            try:
                waiting = sending.send(None)
            except StopIteration:
                if seq is not None:
                    self.written = seq
                if not self._backlog:
                    self._ready = not self._over
                    if self._idle is not None:
                        self._wake_idle()
                    return
                body, seq = self._backlog.popleft()
                sending = self._write(body)
                continue
            except Exception as exc:  # the connection is unusable
                self.finish(f"write failed: {exc.__class__.__name__}")
                return
            self._sending, self._sending_seq = sending, seq
            self._ready = False
            self._resume_when(waiting)
            return

    def _resume_when(self, waiting: Any) -> None:
        if waiting is None:  # a bare yield (sleep(0)): resume on the next loop turn
            asyncio.get_running_loop().call_soon(self._resume)
            return
        waiting._asyncio_future_blocking = False  # as asyncio.Task does for the future it awaits
        waiting.add_done_callback(self._resumed)

    def _resumed(self, _: object) -> None:
        self._resume()

    def _resume(self) -> None:
        sending, seq = self._sending, self._sending_seq
        if sending is None:  # finished meanwhile
            return
        self._sending = self._sending_seq = None
        self._step(sending, seq)

    def _wake_idle(self) -> None:
        if self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

"""How a stream's bytes reach its client: through the ASGI `send`, or straight to the socket.

A `Writer` has two ways to write. `send` goes through the server, waiting while the client's
socket is full. `write_now` puts a chunk on the wire at once when it can, or says it can't
(then the pusher uses `send`). `SendWriter` is plain ASGI and never writes at once;
`DirectWriter` writes to uvicorn's socket (HTTP/1.1 with httptools) the very chunk built once
for every client, and offers that write itself (`direct`), which the pusher calls with nothing
in between: it runs once for every client of every event. `writer_for` chooses; the
`stream_direct_writes` setting turns the direct writes off. Both put the same bytes on the wire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, runtime_checkable

try:
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle as _CYCLE
except ImportError:  # uvicorn without httptools
    _CYCLE = None  # type: ignore[assignment,misc]

Send = Callable[[dict[str, Any]], Awaitable[None]]
Direct = Callable[[bytes], bool]  # writes an HTTP/1.1 chunk to the socket now, or says it can't


@runtime_checkable
class Writer(Protocol):
    def write_now(self, body: bytes, chunk: bytes | None = None) -> bool:
        """Put `body` on the wire now, without waiting; False when this writer can't.
        `chunk`, if given, is `http_chunk(body)`, built once for many clients."""
        ...

    def send(self, body: bytes) -> Coroutine[Any, Any, None]:
        """Write `body` through the server, waiting while the socket is full."""
        ...


class SendWriter:
    """The plain ASGI way: every frame is an `http.response.body` message to `send`."""

    direct: Direct | None = None  # a write straight to the socket, when there is one

    def __init__(self, send: Send) -> None:
        self._send = send

    def write_now(self, body: bytes, chunk: bytes | None = None) -> bool:
        return False

    def send(self, body: bytes) -> Coroutine[Any, Any, None]:
        message = {"type": "http.response.body", "body": body, "more_body": True}
        return self._send(message)  # type: ignore[return-value]  # ASGI servers' send is a coroutine


class DirectWriter(SendWriter):
    """Straight to the socket while it takes data; through `send` otherwise."""

    def __init__(self, send: Send, direct: Direct) -> None:
        super().__init__(send)
        self.direct = self._socket = direct

    def write_now(self, body: bytes, chunk: bytes | None = None) -> bool:
        return self._socket(chunk or http_chunk(body))


def writer_for(send: Send, *, direct: bool = True) -> Writer:
    """A `DirectWriter` when `direct` is on and `send` is uvicorn's (httptools), else a
    `SendWriter`."""
    found = direct_writer(send) if direct else None
    return SendWriter(send) if found is None else DirectWriter(send, found)


def http_chunk(body: bytes) -> bytes:
    """`body` as one chunk of a chunked HTTP/1.1 response."""
    return b"%x\r\n%s\r\n" % (len(body), body)


def direct_writer(send: Send) -> Direct | None:
    """For uvicorn's HTTP/1.1 protocol (httptools): write a chunk built once for every client
    straight to the response's socket, as its `send` would after framing the body again for
    each; None for any other server.

    It declines (False) whenever `send` would not write at once: the socket is full (the
    server has paused writing), the client is gone or the response is over. The pusher then
    falls back to `send`, which waits for the socket.
    """
    cycle = getattr(send, "__self__", None)
    if _CYCLE is None or not isinstance(cycle, _CYCLE):
        return None
    flow: Any = getattr(cycle, "flow", None)
    transport: Any = getattr(cycle, "transport", None)
    state = ("disconnected", "response_complete", "chunked_encoding")
    if transport is None or not hasattr(flow, "write_paused"):
        return None
    if not all(hasattr(cycle, a) for a in state):
        return None  # another uvicorn, built otherwise: `send` alone

    return _Socket(cycle, flow, transport).write


class _Socket:
    """uvicorn's response, written straight to its socket: one small object per stream, so
    that a fan-out to ten thousand of them reads as little memory as it can."""

    __slots__ = ("cycle", "flow", "transport")

    def __init__(self, cycle: Any, flow: Any, transport: Any) -> None:
        self.cycle, self.flow, self.transport = cycle, flow, transport

    def write(self, chunk: bytes) -> bool:
        cycle = self.cycle
        if (
            self.flow.write_paused
            or cycle.disconnected
            or cycle.response_complete
            or not cycle.chunked_encoding
        ):
            return False
        self.transport.write(chunk)
        return True

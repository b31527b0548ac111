"""uvicorn as `tocsin serve` runs it, with a deadline for every request's head, and its access
log (when `access_log` is on) written off the event loop.

uvicorn times out an idle keep-alive connection (`timeout_keep_alive`), but nothing else: a
client that connects and sends nothing, or a request line and never the end of its headers
(slowloris), holds a connection and a file descriptor for as long as it likes. The protocols
here are uvicorn's own (httptools when installed, as uvicorn picks, else h11) with one timer
more: a connection whose request line and headers have not all arrived `head_timeout` seconds
after it opened, or after the request's first byte, is closed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sys
from logging.handlers import QueueHandler, QueueListener
from typing import Any, cast

import h11
from uvicorn.logging import AccessFormatter
from uvicorn.protocols.http.h11_impl import H11Protocol

from tocsin.config import Settings

log = logging.getLogger("tocsin.api")


class HeadDeadline:
    """The timer; `loop` and `transport` are the protocol's."""

    head_timeout = 10.0
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _head_timer: asyncio.TimerHandle | None = None

    def _expect_head(self) -> None:
        """Start the timer, unless it runs already (more bytes do not restart it)."""
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_late)

    def _head_arrived(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            log.debug("closing a connection whose request head did not arrive in time")
            self.transport.close()


class H11HeadDeadline(HeadDeadline, H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # a request begun, its head not all here
            self._expect_head()
        else:
            self._head_arrived()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        super().connection_lost(exc)


def _httptools_protocol() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no httptools: uvicorn would use h11
        return None

    class HttpToolsHeadDeadline(HeadDeadline, HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._expect_head()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._expect_head()

        def on_headers_complete(self) -> None:
            self._head_arrived()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_arrived()
            super().connection_lost(exc)

    return HttpToolsHeadDeadline


def protocol(head_timeout: float, http: str = "auto") -> type[asyncio.Protocol]:
    """The HTTP protocol class for uvicorn (`http`: auto, httptools or h11)."""
    base = _httptools_protocol() if http in ("auto", "httptools") else None
    if base is None and http == "httptools":
        raise RuntimeError("httptools is not installed")
    chosen = base or H11HeadDeadline
    return cast(
        "type[asyncio.Protocol]",
        type(chosen.__name__, (chosen,), {"head_timeout": head_timeout}),
    )


def options(settings: Settings, http: str = "auto") -> dict[str, Any]:
    """The `uvicorn.Config` options that guard the server against slow clients."""
    return {"http": protocol(settings.request_head_timeout, http), "timeout_keep_alive": 5}


class _Handoff(QueueHandler):
    """Hands the record over as it is: the access formatter, in the listener's thread, reads
    its arguments (plain strings and numbers), which `QueueHandler.prepare` would drop."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


ACCESS_FORMAT = '%(asctime)s %(client_addr)s "%(request_line)s" %(status_code)s'


def access_log() -> QueueListener:
    """Send uvicorn's access log through a queue to a thread of its own, which writes it to
    standard output: a request never waits for the terminal or the disk. Stop the listener
    that is returned at the end (it writes what is left)."""
    lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(AccessFormatter(ACCESS_FORMAT, use_colors=False))
    access = logging.getLogger("uvicorn.access")
    access.handlers = [_Handoff(lines)]
    access.propagate = False
    access.setLevel(logging.INFO)
    listener = QueueListener(lines, handler)
    listener.start()
    return listener

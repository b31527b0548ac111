"""What the apprise and broadcast tests share: a loopback HTTP receiver that apprise's real
`json://` plugin posts to, subscription records, and waiting.

Not a conftest: imported by name (pytest puts this directory on the path), like cap_support.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tocsin.channels.delivery import RetryPolicy
from tocsin.storage.delivery_store import SubscriptionRecord

FAST = RetryPolicy(first_delay=0.01, max_delay=0.05, give_up_after=30.0)


@dataclass(frozen=True, slots=True)
class Message:
    path: str
    title: str
    body: str
    type: str
    attachments: tuple[dict[str, Any], ...] = ()


@dataclass(eq=False)
class Receiver:
    """Records what arrives; answers 503 to the next `failures` requests."""

    port: int = 0
    failures: int = 0
    messages: list[Message] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook", auth: str = "") -> str:
        return f"json://{auth}127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m.path == path]

    def take(self, path: str, body: bytes) -> int:
        with self.lock:
            if self.failures > 0:
                self.failures -= 1
                self.refused += 1
                return 503
            data: dict[str, Any] = json.loads(body)
            attached = tuple(data.get("attachments") or ())
            self.messages.append(
                Message(path, data["title"], data["message"], data["type"], attached)
            )
            return 200


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = receiver.take(self.path, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def record(
    url: str,
    *,
    kind: str = "apprise",
    lang: str = "uk",
    filters: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    id: str = "sub1",
    start_seq: int = 0,
) -> SubscriptionRecord:
    return SubscriptionRecord(
        id=id,
        kind=kind,
        url=url,
        secret=None,
        filters=filters or {},
        lang=lang,
        options=options or {},
        state="active",
        state_reason=None,
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
        created_by="test",
        start_seq=start_seq,
    )


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)

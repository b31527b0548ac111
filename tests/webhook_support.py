"""A real webhook receiver for tests: HTTP/1.1 on a free loopback port, recording every request.

It answers by a plan (a function of the request and how many came before), so it can fail N
times, redirect, be slow, or succeed. `ThreadedReceiver` runs one on a loop of its own, for
tests that drive a server in another thread or the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from tocsin.bootstrap import Tocsin, build
from tocsin.channels.delivery import Outcome, RetryPolicy
from tocsin.channels.subscriptions import SubscriptionChannel, compile_filter
from tocsin.config import Settings
from tocsin.domain.events import Event
from tocsin.domain.interest import Interest
from tocsin.domain.regions import RegionTree
from tocsin.errors import InvalidInput
from tocsin.service.ports import Clock
from tocsin.storage.delivery_store import SubscriptionRecord


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(self.body)
        return data

    @property
    def seq(self) -> int:
        return int(self.json()["seq"])


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Plan = Callable[[Received, int], Reply]  # the request and how many came before it


def ok(_request: Received, _count: int) -> Reply:
    return Reply()


def fail_first(times: int, status: int = 503, **headers: str) -> Plan:
    def plan(_request: Received, count: int) -> Reply:
        return Reply(status, dict(headers)) if count < times else Reply()

    return plan


def always(status: int, **headers: str) -> Plan:
    return lambda _request, _count: Reply(status, dict(headers))


def slow(seconds: float) -> Plan:
    return lambda _request, _count: Reply(delay=seconds)


class Receiver:
    def __init__(self, plan: Plan = ok) -> None:
        self.plan = plan
        self.requests: list[Received] = []
        self.answered: list[tuple[Received, int]] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def delivered(self) -> list[Received]:
        """Requests answered with 2xx, in the order they came."""
        return [r for r, status in self.answered if 200 <= status < 300]

    @property
    def seqs(self) -> list[int]:
        return [r.seq for r in self.delivered]

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._closing.set()  # slow replies end now, unanswered
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> Receiver:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await _read(reader)
            count = len(self.requests)
            self.requests.append(request)
            reply = self.plan(request, count)
            if reply.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), reply.delay)
                if self._closing.is_set():
                    return
            head = [f"HTTP/1.1 {reply.status} Reply", "content-length: 0", "connection: close"]
            head += [f"{k}: {v}" for k, v in reply.headers.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
            await writer.drain()
            self.answered.append((request, reply.status))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()  # the socket is closed before the loop may end
            self._tasks.discard(task)


async def _read(reader: asyncio.StreamReader) -> Received:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    lines = head.split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Received(method, path, headers, body)


class ThreadedReceiver:
    """A receiver on a loop in a thread of its own (for servers in threads, and the CLI)."""

    def __init__(self, plan: Plan = ok) -> None:
        self.receiver = Receiver(plan)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.receiver.start(), self.loop).result(10)
        return self.receiver

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.receiver.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Block until `predicate()` holds (for tests without a loop of their own)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


async def until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


FAST = RetryPolicy(first_delay=0.01, max_delay=0.05, give_up_after=0.5)


async def start_tocsin(database_url: str, clock: Clock | None = None, **extra: Any) -> Tocsin:
    """A server's worth of tocsin: the log read and the subscription channel running, private
    webhook targets allowed (the receivers are on loopback) and retries fast."""
    tocsin = await build(settings(database_url, webhook_allow_private=True, **extra), clock=clock)
    tocsin.supervisor.policy = FAST
    await tocsin.start()
    channel = SubscriptionChannel(tocsin, interval=0.1)
    tocsin.channels.append(channel)
    await channel.start()
    return tocsin


def settings(database_url: str, **extra: Any) -> Settings:
    """Settings with no channels started by themselves, and webhook options whether or not
    `config.Settings` declares them yet (until it does, they are set on the frozen object)."""
    extra.setdefault("channels", ())
    known = {k: v for k, v in extra.items() if k in Settings.model_fields}
    made = Settings(database_url=database_url, **known)
    for name, value in extra.items():
        if name not in known:
            object.__setattr__(made, name, value)
    return made


# --- a kind of subscription kept in memory: the registry takes third-party kinds too --------

DELIVERED: dict[str, list[int]] = {}


def validate(url: str, options: dict[str, Any]) -> None:
    if not url.startswith("memory://"):
        raise InvalidInput("a memory URL starts with memory://", field="url")


def make_target(record: SubscriptionRecord, tocsin: Tocsin) -> MemoryTarget:
    return MemoryTarget(record, compile_filter(record.filters), lambda: tocsin.regions.tree)


@dataclass(eq=False)
class MemoryTarget:
    record: SubscriptionRecord
    interest: Interest
    tree: Callable[[], RegionTree]
    channel: str = "memory"

    @property
    def consumer(self) -> str:
        return self.record.consumer

    @property
    def label(self) -> str:
        return self.record.url

    def wants(self, event: Event) -> bool:
        return self.interest.matches(event, self.tree())

    async def send(self, event: Event) -> Outcome:
        DELIVERED.setdefault(self.record.id, []).append(event.seq)
        return Outcome.ok()

"""The delivery core every durable channel runs on.

Each target (a webhook endpoint, an apprise subscription, a siren bridge, …) has its own worker
and its own durable cursor: the last event sequence it finished. The worker reads the log after
its cursor, sends each event it wants, retries failures with exponential backoff and jitter,
records every attempt, and moves its cursor only past events that are done. A restart resumes
from the cursor, so delivery is at least once; receivers de-duplicate by the event's `seq` / id.
A failing or slow target delays nobody else: workers are independent tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tocsin.domain.events import Event
from tocsin.domain.subscriptions import Attempt
from tocsin.service.ports import Clock, DeliveryLog
from tocsin.streams.log import LogFeed
from tocsin.types import Seq

log = logging.getLogger("tocsin.delivery")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to. A failure is a value, not an exception."""

    delivered: bool
    error: str | None = None
    permanent: bool = False  # retrying will not help (e.g. the receiver refused the payload)
    retry_after: float | None = None

    @classmethod
    def ok(cls) -> Outcome:
        return cls(True)

    @classmethod
    def failed(
        cls, error: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> Outcome:
        return cls(False, error, permanent, retry_after)


class Target(Protocol):
    """One destination of one channel."""

    @property
    def consumer(self) -> str:
        """The durable cursor's name, e.g. `webhook:sub_1a2b`."""
        ...

    @property
    def channel(self) -> str: ...

    @property
    def label(self) -> str:
        """Where it goes, fit to show (secrets masked)."""
        ...

    def wants(self, event: Event) -> bool: ...

    async def send(self, event: Event) -> Outcome: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    first_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 300.0
    jitter: float = 0.2
    give_up_after: float = 3600.0  # seconds of failing on one event before pausing the target

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.max_delay, self.first_delay * self.factor ** max(0, attempt - 1))
        return base * (1 + rng.uniform(-self.jitter, self.jitter))


PauseHandler = Callable[[Target, str], Awaitable[None]]


@dataclass(eq=False)
class Worker:
    target: Target
    feed: LogFeed
    store: DeliveryLog
    clock: Clock
    policy: RetryPolicy
    start: Seq
    on_pause: PauseHandler | None = None
    cursor: Seq = 0
    state: str = "starting"
    last_error: str | None = None
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def run(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.target.consumer)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.state = "stopped"

    async def _run(self) -> None:
        stored = await self.store.cursor(self.target.consumer)
        self.cursor = self.start if stored is None else stored
        self.state = "running"
        while self.state == "running":
            try:
                await self.feed.wait(self.cursor, timeout=5.0)
                for event in await self.feed.read(self.cursor, 500):
                    if not await self._handle(event):
                        return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("delivery worker %s failed; retrying", self.target.consumer)
                self.last_error = f"internal: {exc}"
                await asyncio.sleep(1.0)

    async def _handle(self, event: Event) -> bool:
        """Deliver one event (or pass it by); False when the target was paused."""
        if self.target.wants(event) and not await self._deliver(event):
            return False
        await self.store.advance(self.target.consumer, event.seq, self.clock.now())
        self.cursor = event.seq
        return True

    async def _deliver(self, event: Event) -> bool:
        began = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(event, attempt)
            if outcome.delivered:
                self.last_error = None
                return True
            self.last_error = outcome.error
            failing_for = time.monotonic() - began
            if outcome.permanent or failing_for >= self.policy.give_up_after:
                await self._pause(f"event {event.seq}: {outcome.error}")
                return False
            wait = outcome.retry_after or self.policy.delay(attempt, self._rng)
            await asyncio.sleep(min(wait, max(0.0, self.policy.give_up_after - failing_for)))

    async def _attempt(self, event: Event, attempt: int) -> Outcome:
        began = time.perf_counter()
        try:
            outcome = await self.target.send(event)
        except Exception as exc:  # an adapter bug must not stop the worker
            outcome = Outcome.failed(f"{type(exc).__name__}: {exc}")
        latency = (time.perf_counter() - began) * 1000
        await self.store.record(
            Attempt(
                self.target.consumer,
                self.target.channel,
                self.target.label,
                event.seq,
                event.id,
                attempt,
                self.clock.now(),
                latency,
                "delivered" if outcome.delivered else "failed",
                outcome.error,
            )
        )
        return outcome

    async def _pause(self, reason: str) -> None:
        self.state = "paused"
        self.last_error = reason
        log.warning("paused %s: %s", self.target.consumer, reason)
        if self.on_pause is not None:
            await self.on_pause(self.target, reason)


class Supervisor:
    """Runs one worker per target and reports on them."""

    def __init__(
        self, feed: LogFeed, store: DeliveryLog, clock: Clock, policy: RetryPolicy | None = None
    ) -> None:
        self.feed = feed
        self.store = store
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.workers: dict[str, Worker] = {}

    def add(self, target: Target, *, start: Seq, on_pause: PauseHandler | None = None) -> Worker:
        """Start delivering to `target` from its stored cursor, or from `start` if it has none."""
        if target.consumer in self.workers:
            raise ValueError(f"{target.consumer} is already running")
        worker = Worker(target, self.feed, self.store, self.clock, self.policy, start, on_pause)
        self.workers[target.consumer] = worker
        worker.run()
        return worker

    async def remove(self, consumer: str) -> None:
        worker = self.workers.pop(consumer, None)
        if worker is not None:
            await worker.stop()

    async def stop(self) -> None:
        for consumer in list(self.workers):
            await self.remove(consumer)

    def status(self) -> list[dict[str, Any]]:
        head = self.feed.head
        return [
            {
                "consumer": consumer,
                "channel": worker.target.channel,
                "target": worker.target.label,
                "state": worker.state,
                "cursor": worker.cursor,
                "backlog": max(0, head - worker.cursor),
                "last_error": worker.last_error,
            }
            for consumer, worker in sorted(self.workers.items())
        ]

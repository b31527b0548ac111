"""Reading the event log as it grows.

`LogFeed` is the one interface consumers read through: events after a sequence number, and a
wait for the next commit. `LocalFeed` serves it in-process: commits made by this process wake
waiters at once, and their events are read from memory rather than from the database again;
commits made by other processes on the same database (the CLI, another node) are found by a
cheap poll of the newest sequence number and read from the database once, then from memory.
Every consumer of a recent event gets the same `Event` object, so what is decoded from it
(its alert) is decoded once in the process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Protocol

from tocsin.domain.events import Event
from tocsin.storage.store import Store
from tocsin.types import Seq


class LogFeed(Protocol):
    """What consumers read: `LocalFeed` here, `tocsin.cluster.feed.JetStreamFeed` from NATS."""

    async def read(self, after: Seq, limit: int = 1000) -> list[Event]: ...

    async def wait(self, after: Seq, timeout: float) -> Seq:
        """Return the newest committed seq once it is past `after`, or at the timeout."""
        ...

    @property
    def head(self) -> Seq: ...


class RunningFeed(LogFeed, Protocol):
    """A feed the composition root starts and stops with the server."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Recent:
    """The newest events of the log in memory, by seq, and the newest seq known (`head`),
    with a wait for it to move: what every feed keeps so that its consumers share one `Event`
    object per event and read recent ones without I/O."""

    def __init__(self, keep: int = 4096) -> None:
        self.head: Seq = 0
        self._events: dict[Seq, Event] = {}
        self._keep = keep
        self._changed = asyncio.Event()

    def add(self, events: Sequence[Event]) -> None:
        """Keep events just committed (or received), newest last, and move the head."""
        if events:
            for event in events:
                self._events[event.seq] = event
            self._trim()
            self.advance(events[-1].seq)

    def after(self, after: Seq, limit: int) -> list[Event]:
        """The events kept after `after`, up to the first seq not kept."""
        found: list[Event] = []
        while len(found) < limit and (event := self._events.get(after + len(found) + 1)):
            found.append(event)
        return found

    def kept(self) -> dict[Seq, Event]:
        return dict(self._events)

    def share(self, events: list[Event]) -> list[Event]:
        """Keep recent events read from elsewhere (the database) with the others, so that
        every consumer gets the same objects (an alert is decoded once) and reads them from
        memory; older ones (a replay) are passed on without being kept."""
        oldest = self.head - self._keep
        shared = [
            self._events.setdefault(event.seq, event) if event.seq > oldest else event
            for event in events
        ]
        self._trim()
        return shared

    def _trim(self) -> None:
        while len(self._events) > self._keep:  # forget the oldest (insertion order)
            del self._events[next(iter(self._events))]

    def advance(self, seq: Seq) -> None:
        if seq > self.head:
            self.head = seq
            self._changed.set()

    async def wait(self, after: Seq, timeout: float) -> Seq:
        if self.head > after:
            return self.head
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.head <= after:
                    self._changed.clear()
                    await self._changed.wait()
        return self.head


class LocalFeed:
    """The log of one database, read in-process; also a `CommitListener` for its own writes."""

    def __init__(self, store: Store, *, poll_interval: float = 0.25, recent: int = 4096) -> None:
        self.store = store
        self.poll_interval = poll_interval
        self._recent = Recent(recent)  # this process's latest commits, by seq
        self._poller: asyncio.Task[None] | None = None

    @property
    def head(self) -> Seq:
        return self._recent.head

    async def sync(self) -> None:
        """Move the head to the newest seq in the database (the feed starts from there)."""
        self._recent.advance(await self.store.last_seq())

    async def start(self) -> None:
        await self.sync()
        self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None

    def committed(self, events: Sequence[Event]) -> None:
        self._recent.add(events)

    def heard(self, seq: Seq) -> None:
        """Another process says it committed up to `seq`: read it now, not at the next poll."""
        self._recent.advance(seq)

    async def read(self, after: Seq, limit: int = 1000) -> list[Event]:
        if found := self._recent.after(after, limit):  # up to the first seq not in memory
            return found
        return self._recent.share(await self.store.events_after(after, limit))

    async def wait(self, after: Seq, timeout: float) -> Seq:
        return await self._recent.wait(after, timeout)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            with contextlib.suppress(Exception):
                self._recent.advance(await self.store.last_seq())

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
    async def read(self, after: Seq, limit: int = 1000) -> list[Event]: ...

    async def wait(self, after: Seq, timeout: float) -> Seq:
        """Return the newest committed seq once it is past `after`, or at the timeout."""
        ...

    @property
    def head(self) -> Seq: ...


class LocalFeed:
    """The log of one database, read in-process; also a `CommitListener` for its own writes."""

    def __init__(self, store: Store, *, poll_interval: float = 0.25, recent: int = 4096) -> None:
        self.store = store
        self.poll_interval = poll_interval
        self._head: Seq = 0
        self._recent: dict[Seq, Event] = {}  # this process's latest commits, by seq
        self._keep = recent
        self._changed = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    @property
    def head(self) -> Seq:
        return self._head

    async def sync(self) -> None:
        """Move the head to the newest seq in the database (the feed starts from there)."""
        self._advance(await self.store.last_seq())

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
        if events:
            for event in events:
                self._recent[event.seq] = event
            self._trim()
            self._advance(events[-1].seq)

    async def read(self, after: Seq, limit: int = 1000) -> list[Event]:
        found: list[Event] = []
        while len(found) < limit and (event := self._recent.get(after + len(found) + 1)):
            found.append(event)
        if found:  # up to the first seq not in memory (read on the next call)
            return found
        return self._share(await self.store.events_after(after, limit))

    def _share(self, events: list[Event]) -> list[Event]:
        """Keep recent events read from the database with this process's own, so that every
        consumer gets the same objects (an alert is decoded once) and reads them from memory;
        older ones (a replay) are passed on without being kept."""
        oldest = self._head - self._keep
        shared = [
            self._recent.setdefault(event.seq, event) if event.seq > oldest else event
            for event in events
        ]
        self._trim()
        return shared

    def _trim(self) -> None:
        while len(self._recent) > self._keep:  # forget the oldest (insertion order)
            del self._recent[next(iter(self._recent))]

    async def wait(self, after: Seq, timeout: float) -> Seq:
        if self._head > after:
            return self._head
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self._head <= after:
                    self._changed.clear()
                    await self._changed.wait()
        return self._head

    def _advance(self, seq: Seq) -> None:
        if seq > self._head:
            self._head = seq
            self._changed.set()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            with contextlib.suppress(Exception):
                self._advance(await self.store.last_seq())

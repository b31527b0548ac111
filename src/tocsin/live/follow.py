"""Keeping a `LiveState` current from a `LogFeed`, and reading the log no further than it.

`Follower` reads batches after the state's head from any feed (the in-process `LocalFeed` of a
database, or the cluster's stream) and applies each event. It is itself a `LogFeed` of what it
has applied, so the live streams of an edge tail the follower, not the feed: a client told of
an event finds it in `/v1/alerts/active` when it asks.

The state may start ahead of the feed: a writer builds the snapshot from its database, which
can be past what the relay has put in the stream yet. A read of the events in between (a client
resuming from before the snapshot) then waits until the feed has them, instead of finding
nothing there and going on past them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tocsin.domain.events import Event
from tocsin.live.state import LiveState, LogGap
from tocsin.service.audit import stop as stop_task
from tocsin.service.ports import LogFeed
from tocsin.types import Seq

log = logging.getLogger("tocsin.live")


class Follower:
    def __init__(self, state: LiveState, feed: LogFeed, *, page: int = 1000) -> None:
        self.state = state
        self.feed = feed
        self.page = page
        self.problem: str | None = None  # why the state stopped following, if it did
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def head(self) -> Seq:
        return self.state.head

    async def catch_up(self) -> Seq:
        """Apply every event the feed has after the head; the head then."""
        while events := await self.feed.read(self.state.head, self.page):
            before = self.state.head
            self._apply(events)
            if self.state.head == before:
                break  # nothing new in what the feed gave
        return self.state.head

    async def start(self) -> None:
        """Catch up, then follow the feed in a task of its own."""
        await self.catch_up()
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None

    async def _follow(self) -> None:
        while True:
            try:
                await self.feed.wait(self.state.head, timeout=5.0)
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except LogGap as gap:
                self.problem = gap.message
                log.error("stopped following the log: %s", gap.message)
                return
            except Exception:
                log.exception("reading the event log failed; retrying")
                await asyncio.sleep(1.0)

    def _apply(self, events: list[Event]) -> None:
        before = self.state.head
        try:
            self.state.apply(events)
        finally:
            if self.state.head > before:
                self._changed.set()

    # --- LogFeed: the log as far as the state has applied it --------------------------------

    async def read(self, after: Seq, limit: int = 1000) -> list[Event]:
        head = self.state.head
        if after >= head:
            return []
        while not (events := await self.feed.read(after, min(limit, head - after))):
            if self.feed.head > after:
                return []  # said to be there, yet not read (older than the stream keeps)
            await self.feed.wait(after, timeout=5.0)  # the state began ahead of the feed
        return [event for event in events if event.seq <= head]

    async def wait(self, after: Seq, timeout: float) -> Seq:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.state.head <= after:
                    self._changed.clear()
                    await self._changed.wait()
        return self.state.head

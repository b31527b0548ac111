"""Answers held in memory, valid for a head of the event log.

A public read (the active alerts, the region states, the IoT line, the Atom feed, a CAP
message) is worked out once and kept under a key (its filter and language), together with the
log's generation when the work began. The `ReadModel` follows the log through the `LogFeed`
port (its `head`, and `read` for the events after the head it last looked at), so it works the
same over the local database feed and over a stream:

- while the head has not moved, a held answer is served without I/O (`peek`);
- when it moves, the events in between are read once (from memory for this process's own
  commits) and the answers they may change are let go: an alert's change lets go the answers
  drawn from alerts of its status (an exercise leaves the public "actual" answers standing),
  a region import or a type this version does not know lets go of all, and a token, siren,
  incident or the like of none (but `/healthz`, which names the head); answers are then worked
  out again lazily, when asked for;
- requests for the same key while it is being worked out share that one computation;
- an answer may also name the time it stops being right (`Fresh.until`, by the service clock):
  the Atom feed lets a closed alert go once its retention time is over, with no event to say so;
- at most `keys` answers are held; the least recently used goes first.

A commit of this process moves the head before its command returns, so a read that follows a
write on the same node sees it. A commit of another process is seen when the feed sees it (the
local feed polls the database every `log_poll_interval` seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tocsin.domain.events import ALERT_TYPES, REGION_TYPES, Event, EventType
from tocsin.service.ports import Clock, LogFeed
from tocsin.types import Seq

V = TypeVar("V")
Topic = Hashable
SCAN_LIMIT = 1000
"""Events read to tell which held answers still stand, at most; beyond, all are dropped."""
QUIET_TYPES = frozenset(EventType) - ALERT_TYPES - REGION_TYPES
ANY_ALERT = "any alert"
"""The topic of an answer drawn from every alert, whatever its status (the default)."""
ANY_EVENT = "any event"
"""The topic of an answer that names the log's head itself: every event changes it."""


def topic_of(event: Event) -> Topic | None:
    """What an event changes: the alerts of one status (an alert's change), nothing a public
    read shows (a token, a siren, an incident …: `QUIET_TYPES`), or — None — everything (a
    region import, a type this version does not know)."""
    if event.type in QUIET_TYPES:
        return ANY_EVENT
    alert = event.alert if event.type in ALERT_TYPES else None
    return None if alert is None else alert.status


@dataclass(frozen=True, slots=True)
class Fresh(Generic[V]):
    """A worked-out answer, right until the log moves or, if given, until `until`."""

    value: V
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Held(Generic[V]):
    value: V
    topics: tuple[Topic, ...]
    version: tuple[int, ...]
    stamp: object
    until: datetime | None


class ReadModel(Generic[V]):
    """Answers by key, each drawn from some topics of the log (the alerts of some statuses, by
    default of any), and valid while no event of those topics has come and `stamp()` is the
    same object (e.g. the region tree the answers were drawn over, replaced only after the
    import that changes it commits)."""

    def __init__(
        self,
        feed: LogFeed,
        clock: Clock,
        *,
        keys: int = 4096,
        stamp: Callable[[], object] = lambda: None,
        topic: Callable[[Event], Topic | None] = topic_of,
    ) -> None:
        self.feed = feed
        self.clock = clock
        self.keys = keys
        self.stamp = stamp
        self.topic = topic
        self.computed = 0  # answers worked out (for tests and figures)
        self._held: OrderedDict[Hashable, _Held[V]] = OrderedDict()
        self._flights: dict[Hashable, tuple[tuple[int, ...], object, asyncio.Task[V]]] = {}
        self._generation = 0
        self._topics: dict[Topic, int] = {}
        self._checked: Seq = feed.head
        self._scan: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._held)

    def peek(self, key: Hashable) -> V | None:
        """The held answer if it still stands; no I/O. None: ask `get`."""
        held = self._held.get(key)
        if (
            held is None
            or self.feed.head != self._checked
            or held.version != self._version(held.topics)
            or held.stamp is not self.stamp()
        ):
            return None
        if held.until is not None and self.clock.now() >= held.until:
            return None
        self._held.move_to_end(key)
        return held.value

    async def get(
        self,
        key: Hashable,
        compute: Callable[[], Awaitable[Fresh[V]]],
        topics: Iterable[Topic] = (ANY_ALERT,),
    ) -> V:
        """The answer for `key`, drawn from `topics`: held, or worked out by `compute` (once for
        all who ask while it runs). What `compute` raises reaches every asker; nothing is held."""
        await self.catch_up()
        found = self.peek(key)
        if found is not None:
            return found
        ordered = tuple(sorted(set(topics), key=str))
        version, stamp = self._version(ordered), self.stamp()
        flight = self._flights.get(key)
        if flight is None or flight[0] != version or flight[1] is not stamp:
            work = self._work(key, compute, _Held(None, ordered, version, stamp, None))
            task = asyncio.ensure_future(work)
            task.add_done_callback(_retrieve)
            flight = (version, stamp, task)
            self._flights[key] = flight
        return await asyncio.shield(flight[2])

    async def catch_up(self) -> None:
        """Look at the events since the head last looked at, and let go of the answers they
        change. One look at a time, shared by all who wait for it."""
        while self.feed.head != self._checked:
            if self._scan is None:
                self._scan = asyncio.ensure_future(self._look(self.feed.head))
                self._scan.add_done_callback(_retrieve)
            scan = self._scan
            await asyncio.shield(scan)

    def drop(self) -> None:
        """Forget every answer."""
        self._generation += 1
        self._held.clear()

    def _version(self, topics: tuple[Topic, ...]) -> tuple[int, ...]:
        return (self._generation, *(self._topics.get(t, 0) for t in topics))

    async def _work(
        self, key: Hashable, compute: Callable[[], Awaitable[Fresh[V]]], due: _Held[None]
    ) -> V:
        try:
            fresh = await compute()
            self.computed += 1
            if due.version == self._version(due.topics):
                held = _Held(fresh.value, due.topics, due.version, due.stamp, fresh.until)
                self._hold(key, held)
            return fresh.value
        finally:
            flight = self._flights.get(key)
            if flight is not None and flight[2] is asyncio.current_task():
                del self._flights[key]

    def _hold(self, key: Hashable, held: _Held[V]) -> None:
        self._held[key] = held
        self._held.move_to_end(key)
        while len(self._held) > self.keys:
            self._held.popitem(last=False)

    async def _look(self, head: Seq) -> None:
        try:
            touched = await self._touched(self._checked, head)
        except Exception:
            touched = None  # unreadable: assume the worst
        try:
            if touched is None:
                self.drop()
            else:
                for topic in (*touched, ANY_EVENT):
                    self._topics[topic] = self._topics.get(topic, 0) + 1
        finally:
            self._checked = head
            self._scan = None

    async def _touched(self, after: Seq, head: Seq) -> set[Topic] | None:
        """The topics the events after `after` up to `head` change; None: everything."""
        if not self._held and not self._flights:
            return None  # nothing to keep: no need to read
        if head < after or head - after > SCAN_LIMIT:
            return None  # a new log, or far behind: working answers out again is cheaper
        touched: set[Topic] = set()
        while after < head:
            events = await self.feed.read(after, head - after)
            if not events:
                return None
            for event in events:
                if event.seq <= head:
                    topic = self.topic(event)
                    if topic is None:
                        return None
                    touched.add(topic)
            after = events[-1].seq
        if touched - {ANY_EVENT}:
            touched.add(ANY_ALERT)
        return touched


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a shared task's exception as seen: its askers may all have gone."""
    if not task.cancelled():
        with contextlib.suppress(BaseException):
            task.exception()

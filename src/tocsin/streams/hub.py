"""One subscription pipeline for every live stream.

A single task tails the event log; each event is encoded once (JSON, and the SSE frame built
from it) and the same bytes are offered to every subscriber whose filter matches. A subscriber
that asks for events since N is first replayed the stored events after N, then continues live,
with no gap and no duplicate.

Subscribers come in two kinds. An iterating one (`stream`) has a bounded queue that its own
task reads; one that falls too far behind is dropped with a reason and resumes from its last
sequence number. A pushed one (`attach`, for Server-Sent Events) is written to by the hub's
task itself through a `Pusher`: the events read together in one batch go out as one write,
joined once for every subscriber with an equal filter, so a burst of alerts costs each client
one write rather than one per alert.

The hub also holds the `Admission` of new streams: how many may be open, in all and per client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import orjson

from tocsin.domain.events import Event
from tocsin.domain.interest import Interest
from tocsin.domain.regions import RegionTree
from tocsin.streams.admission import Admission
from tocsin.streams.log import LogFeed
from tocsin.streams.push import Pusher
from tocsin.streams.writer import http_chunk
from tocsin.types import Seq

log = logging.getLogger("tocsin.streams")


@dataclass(frozen=True, slots=True)
class Encoded:
    """An event, encoded once for every subscriber."""

    seq: Seq
    type: str
    json: bytes
    text: str
    sse: bytes
    event: Event = field(repr=False, compare=False)

    @classmethod
    def of(cls, event: Event) -> Encoded:
        body = orjson.dumps(event.to_json())
        text = body.decode()
        sse = b"id: %d\nevent: %s\ndata: %s\n\n" % (event.seq, event.type.encode(), body)
        return cls(event.seq, event.type, body, text, sse, event)

    @property
    def regions(self) -> frozenset[str]:
        return self.event.regions

    @property
    def threats(self) -> frozenset[str]:
        return self.event.threats


@dataclass(frozen=True, slots=True)
class Dropped:
    reason: str
    resume_from: Seq


@dataclass(frozen=True, slots=True)
class Frames:
    """The SSE frames of the events of one batch that a filter matches, joined once."""

    sse: bytes
    last: Seq
    chunk: bytes  # `sse` as one HTTP/1.1 chunk

    @classmethod
    def of(cls, batch: list[Encoded], filter: Interest, tree: RegionTree) -> Frames | None:
        return cls.join([event for event in batch if filter.matches(event.event, tree)])

    @classmethod
    def join(cls, events: list[Encoded]) -> Frames | None:
        if not events:
            return None
        sse = b"".join(event.sse for event in events)
        return cls(sse, events[-1].seq, http_chunk(sse))


@dataclass(eq=False)
class Subscription:
    filter: Interest
    limit: int
    queue: asyncio.Queue[Encoded] = field(init=False)
    dropped: str | None = None
    pusher: Pusher | None = None  # set once a pushed subscriber has caught up

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.limit)

    def offer(self, batch: list[Encoded], tree: RegionTree) -> None:
        if self.dropped is not None:
            return
        for event in batch:
            if self.filter.matches(event.event, tree):
                try:
                    self.queue.put_nowait(event)
                except asyncio.QueueFull:
                    self.dropped = f"too far behind: more than {self.limit} events queued"
                    return


class Hub:
    def __init__(
        self,
        feed: LogFeed,
        *,
        buffer: int = 1000,
        page: int = 1000,
        tree: Callable[[], RegionTree] | None = None,
        admission: Admission | None = None,
    ) -> None:
        self.feed = feed
        self.tree = tree or _no_regions  # the current region tree, for matching by coverage
        self.buffer = buffer
        self.page = page
        self.admission = admission or Admission()
        self.position: Seq = 0
        self._subscribers: set[Subscription] = set()  # iterating, or pushed but catching up
        self._pushed: dict[Interest, set[Pusher]] = {}  # by filter: one join for each filter
        self._task: asyncio.Task[None] | None = None
        # told of every batch of events the hub reads, in its task (they must not block)
        self.listeners: list[Callable[[list[Event]], None]] = []

    @property
    def subscribers(self) -> int:
        return len(self._subscribers) + sum(len(group) for group in self._pushed.values())

    async def start(self) -> None:
        self.position = self.feed.head
        self._task = asyncio.create_task(self._tail())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def stream(
        self, filter: Interest, since: Seq | None = None, *, keepalive: float = 15.0
    ) -> AsyncIterator[Encoded | Dropped | None]:
        """Matching events after `since` (or from now), then live; None is a keepalive tick.

        When the subscriber falls too far behind, the last item is a `Dropped` saying why and
        where to resume from.
        """
        subscription = Subscription(filter, self.buffer)
        live_from = self.position
        self._subscribers.add(subscription)
        try:
            last = live_from if since is None else since
            if since is not None and since < live_from:
                async for event in self._replay(filter, since, live_from):
                    last = event.seq
                    yield event
                last = max(last, live_from)
            async for item in self._live(subscription, last, keepalive):
                yield item
        finally:
            self._subscribers.discard(subscription)

    async def attach(self, filter: Interest, since: Seq | None, pusher: Pusher) -> Subscription:
        """Push matching events after `since` (or from now) to `pusher`, then every live one.

        The stored events are replayed first, a page per write, each written before the next
        is read; what the hub reads meanwhile is queued and follows them. `detach` ends it.
        """
        if since is None or since == self.position:
            return self.attach_now(filter, pusher)
        subscription = Subscription(filter, self.buffer)
        live_from = self.position
        self._subscribers.add(subscription)
        try:
            last = live_from if since is None else since
            if since < live_from:
                page: list[Encoded] = []
                async for event in self._replay(filter, since, live_from):
                    page.append(event)
                    if len(page) == self.page:
                        await self._push_page(pusher, page)
                        page = []
                await self._push_page(pusher, page)
                last = max(last, live_from)
        except BaseException:
            self.detach(subscription)
            raise
        if subscription.dropped is not None:
            pusher.finish(subscription.dropped)
            return subscription
        queued: list[Encoded] = []
        while not subscription.queue.empty():
            event = subscription.queue.get_nowait()
            if event.seq > last:
                queued.append(event)
        if frames := Frames.join(queued):
            pusher.push(frames.sse, frames.last, frames.chunk)
        # from here the hub writes to it directly
        self._subscribers.discard(subscription)
        return self._push_to(subscription, pusher)

    def attach_now(self, filter: Interest, pusher: Pusher) -> Subscription:
        """`attach` from the hub's position: nothing to replay, so nothing to wait for (the
        usual case, and the one that comes by the thousand right after a raise)."""
        return self._push_to(Subscription(filter, self.buffer), pusher)

    def _push_to(self, subscription: Subscription, pusher: Pusher) -> Subscription:
        self._pushed.setdefault(subscription.filter, set()).add(pusher)
        subscription.pusher = pusher
        return subscription

    def detach(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)
        group = self._pushed.get(subscription.filter)
        if subscription.pusher is not None and group is not None:
            group.discard(subscription.pusher)
            if not group:
                del self._pushed[subscription.filter]

    @staticmethod
    async def _push_page(pusher: Pusher, page: list[Encoded]) -> None:
        if frames := Frames.join(page):
            pusher.push(frames.sse, frames.last, frames.chunk)
            await pusher.drained()

    async def _replay(self, filter: Interest, after: Seq, until: Seq) -> AsyncIterator[Encoded]:
        while after < until:
            events = await self.feed.read(after, self.page)
            if not events:
                return
            for event in events:
                if event.seq > until:
                    return
                after = event.seq
                if filter.matches(event, self.tree()):
                    yield Encoded.of(event)

    async def _live(
        self, subscription: Subscription, last: Seq, keepalive: float
    ) -> AsyncIterator[Encoded | Dropped | None]:
        while subscription.dropped is None:
            try:
                async with asyncio.timeout(keepalive):
                    event = await subscription.queue.get()
            except TimeoutError:
                yield None
                continue
            if event.seq > last:
                last = event.seq
                yield event
        yield Dropped(subscription.dropped or "dropped", last)

    async def _tail(self) -> None:
        while True:
            try:
                await self.feed.wait(self.position, timeout=5.0)
                events = await self.feed.read(self.position, self.page)
                if not events:
                    if self.feed.head > self.position:  # said to be there, yet not read
                        await asyncio.sleep(0.25)  # (a stream trimmed below it): never spin
                    continue
                batch = [Encoded.of(event) for event in events]
                self.position = batch[-1].seq
                for listener in self.listeners:
                    try:
                        listener(events)
                    except Exception:
                        log.exception("a listener of the hub failed")
                tree = self.tree()
                for subscription in tuple(self._subscribers):
                    subscription.offer(batch, tree)
                for filter, pushers in list(self._pushed.items()):
                    if frames := Frames.of(batch, filter, tree):
                        sse, last, chunk = frames.sse, frames.last, frames.chunk
                        for pusher in list(pushers):
                            try:
                                pusher.push(sse, last, chunk)
                            except Exception:  # that stream ends (it resumes), not the rest
                                log.exception("writing to a stream failed")
                                pusher.finish("internal error; resume from resume_from")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the event log failed; retrying")
                await asyncio.sleep(1.0)


_EMPTY = RegionTree([])


def _no_regions() -> RegionTree:
    return _EMPTY

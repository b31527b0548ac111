"""`JetStreamFeed`: the event log read from the stream, the `LogFeed` of a node in a cluster.

The stream is tailed with one ordered push consumer per node: JetStream pushes every new
message as it is stored, in sequence, with flow control and idle heartbeats, and the client
re-creates the consumer from the last sequence it saw when a message is missing or the
heartbeats stop (its server died). That costs no round trip per event, unlike fetching each by
sequence (a direct get), which is kept for what the tail does not hold. On top, a check every
`check` seconds compares the stream's last sequence with the feed's head and subscribes again
if the tail stalled behind it.

Received events are kept in memory like `LocalFeed`'s (`Recent`), so every consumer in the
process gets the same `Event` object. An event older than those is read from the database when
the node has one (the database keeps every event; the stream only `nats_stream_max_age`), else
from the stream; one older than the stream keeps is then skipped (reads go on from the oldest it
keeps), so a reader never waits for it for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

import orjson
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from tocsin.cluster.link import Link, patiently
from tocsin.cluster.relay import ALERT_ID
from tocsin.domain.events import Event
from tocsin.streams.log import Recent
from tocsin.types import Seq

log = logging.getLogger("tocsin.cluster.feed")


class EventReads(Protocol):
    """The database's log, where a node has one."""

    async def events_after(self, seq: Seq, limit: int = 1000) -> list[Event]: ...


def decode(msg: Msg) -> Event:
    alert_id = msg.headers.get(ALERT_ID) if msg.headers else None
    return Event.from_json(orjson.loads(msg.data), alert_id)


class JetStreamFeed:
    """The log as the stream of `link` holds it; `store` (the database), when there is one,
    serves what is older than the events kept in memory."""

    def __init__(
        self,
        link: Link,
        *,
        store: EventReads | None = None,
        recent: int = 4096,
        heartbeat: float = 1.0,
        check: float = 2.0,
    ) -> None:
        self.link = link
        self.store = store
        self.heartbeat = heartbeat
        self.check = check
        self._recent = Recent(recent)
        self._tail: JetStreamContext.PushSubscription | None = None
        self._watch: asyncio.Task[None] | None = None

    @property
    def head(self) -> Seq:
        return self._recent.head

    async def start(self) -> None:
        self._recent.advance(await patiently(self.link.last_seq, "reading the stream's head"))
        await patiently(self._subscribe, "following the stream")
        self._watch = asyncio.create_task(self._watchdog(), name="jetstream feed watchdog")

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self._unsubscribe()

    async def read(self, after: Seq, limit: int = 1000) -> list[Event]:
        if found := self._recent.after(after, limit):
            return found
        limit = min(limit, self.head - after)  # never past what the stream holds
        if limit <= 0:
            return []
        if self.store is not None:
            return self._recent.share(await self.store.events_after(after, limit))
        return self._recent.share(await self._fetch(after, limit))

    async def wait(self, after: Seq, timeout: float) -> Seq:
        return await self._recent.wait(after, timeout)

    async def _received(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        if seq <= self.head:
            return  # seen already (the consumer was made again from an earlier seq)
        try:
            event = decode(msg)
        except Exception:
            log.exception("event %d in the stream cannot be read; skipped", seq)
            self._recent.advance(seq)
            return
        self._recent.add([event])

    async def _subscribe(self) -> None:
        self._tail = await self.link.js.subscribe(
            self.link.names.events,
            stream=self.link.names.stream,
            cb=self._received,
            ordered_consumer=True,
            idle_heartbeat=self.heartbeat,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            config=_starting(self.head + 1),
        )

    async def _unsubscribe(self) -> None:
        if self._tail is not None:
            with contextlib.suppress(Exception):
                await self._tail.unsubscribe()
            self._tail = None

    async def _watchdog(self) -> None:
        """Subscribe again when the stream is ahead of the feed and the feed does not move."""
        behind: Seq | None = None
        while True:
            await asyncio.sleep(self.check)
            try:
                last = await self.link.last_seq()
            except Exception:
                continue  # NATS unreachable or electing a leader: the client reconnects
            if last <= self.head:
                behind = None
            elif behind != self.head:
                behind = self.head  # give the tail until the next check
            else:
                log.warning(
                    "the stream is at %d, this node at %d: following it again", last, self.head
                )
                await self._unsubscribe()
                with contextlib.suppress(Exception):
                    await self._subscribe()
                behind = None

    async def _fetch(self, after: Seq, limit: int) -> list[Event]:
        """Up to `limit` events after `after` from the stream itself (from its oldest one, if
        it no longer keeps `after + 1`)."""
        sub = await self.link.js.subscribe(
            self.link.names.events,
            stream=self.link.names.stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            config=_starting(after + 1),
        )
        events: list[Event] = []
        try:
            while len(events) < limit:
                try:
                    msg = await sub.next_msg(timeout=5.0)
                except NatsTimeout:
                    break
                events.append(decode(msg))
                if msg.metadata.sequence.stream >= self.head:
                    break
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        return events


def _starting(seq: Seq) -> ConsumerConfig:
    return ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=seq)

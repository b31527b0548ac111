"""The relay: committed events, from the events table (the outbox) to the stream, in order.

One node relays at a time (the `relay` duty, under a lease). Each event is published with
`Nats-Msg-Id` = its seq and `Nats-Expected-Last-Sequence` = seq − 1: the stream takes an event
only right after the one before it, so the stream's sequence is the event's seq, with no gap
and no duplicate. A relay that stops in the middle of a batch (its node died, it lost the
lease) leaves the stream at some seq; whoever relays next reads the stream's last sequence and
goes on from there. A publish it repeats is dropped as a duplicate (within the stream's
duplicate window) or refused as out of place; either way the stream is unchanged.

Batches are published without waiting for each ack (the acks are awaited together), so a burst
of commits costs one round trip, not one per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import orjson
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import Header

from tocsin.cluster.link import Link
from tocsin.domain.events import Event
from tocsin.streams.log import LocalFeed
from tocsin.types import Seq

log = logging.getLogger("tocsin.cluster.relay")

ALERT_ID = "Tocsin-Alert-Id"  # the event's alert (or incident) id, not in its public form


class OutOfOrder(Exception):
    """The stream holds events this relay did not expect (another relay, a restored database)."""


def message(event: Event) -> tuple[bytes, dict[str, str]]:
    """An event as it is published: its public form, and the headers that keep it in place."""
    headers = {
        Header.MSG_ID.value: str(event.seq),
        Header.EXPECTED_LAST_SEQUENCE.value: str(event.seq - 1),
    }
    if event.alert_id is not None:
        headers[ALERT_ID] = event.alert_id
    return orjson.dumps(event.to_json()), headers


class Relay:
    """Publishes the log read through `source` (the database's feed) to the stream of `link`."""

    def __init__(
        self,
        source: LocalFeed,
        link: Link,
        *,
        batch: int = 500,
        ack_timeout: float = 5.0,
        retry: float = 0.5,
    ) -> None:
        self.source = source
        self.link = link
        self.batch = batch
        self.ack_timeout = ack_timeout
        self.retry = retry
        self.relayed: Seq = 0  # the stream's last sequence, as this relay last knew it
        self._acks = Acks(link)

    async def run(self) -> None:
        """Relay until cancelled; after any failure, start again from the stream's last seq."""
        wake = await self._listen()
        try:
            while True:
                try:
                    self.relayed = await self.link.last_seq()
                    await self._follow()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("relaying to NATS failed (%s); again from the stream's end", exc)
                    await asyncio.sleep(self.retry)
        finally:
            await self._acks.close()
            if wake is not None:
                with contextlib.suppress(Exception):
                    await wake.unsubscribe()

    async def _listen(self) -> Subscription | None:
        """Hear other nodes' commits at once rather than at the feed's next poll."""

        async def heard(msg: Msg) -> None:
            with contextlib.suppress(ValueError):
                self.source.heard(int(msg.data))

        try:
            return await self.link.nc.subscribe(self.link.names.committed, cb=heard)
        except Exception as exc:  # the poll still finds them
            log.warning("cannot hear other nodes' commits: %s", exc)
            return None

    async def _follow(self) -> None:
        head = await self.source.store.last_seq()
        if head < self.relayed:
            raise OutOfOrder(
                f"the stream {self.link.names.stream} is at seq {self.relayed}, past this "
                f"database's last event {head}: is it another deployment's stream?"
            )
        while True:
            await self.source.wait(self.relayed, timeout=5.0)
            events = await self.source.read(self.relayed, self.batch)
            if events:
                await self.publish(events)

    async def publish(self, events: Sequence[Event]) -> None:
        """Publish events that follow the stream's last one, and wait for every ack."""
        await self._acks.publish(events, self.ack_timeout)
        self.relayed = events[-1].seq


class Refused(Exception):
    """JetStream did not store an event (out of place, no stream, …)."""


class Acks:
    """Pipelined publishing: every message of a batch is sent before any ack is awaited, each
    with a reply subject of its own under one inbox.

    (nats-py's `publish_async` would do, but when JetStream answers with an error its reply
    handler raises inside the client's callback and the future is never resolved: a refused
    publish looked like a lost ack until the timeout.)"""

    def __init__(self, link: Link) -> None:
        self.link = link
        self._inbox: str | None = None
        self._subscription: Subscription | None = None
        self._waiting: dict[str, asyncio.Future[int]] = {}

    async def _reply_to(self) -> str:
        if self._inbox is None:
            inbox = self.link.nc.new_inbox()
            self._subscription = await self.link.nc.subscribe(f"{inbox}.*", cb=self._answered)
            self._inbox = inbox
        return self._inbox

    async def close(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription, self._inbox = None, None

    async def _answered(self, msg: Msg) -> None:
        future = self._waiting.pop(msg.subject, None)
        if future is None or future.done():
            return
        if msg.headers and msg.headers.get("Status") == "503":
            future.set_exception(Refused(f"no stream {self.link.names.stream} answers"))
            return
        try:
            answer = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            future.set_exception(Refused(f"unreadable ack: {msg.data[:200]!r}"))
            return
        if error := answer.get("error"):
            future.set_exception(Refused(str(error.get("description", error))))
        else:
            future.set_result(int(answer["seq"]))

    async def publish(self, events: Sequence[Event], timeout: float) -> None:
        inbox = await self._reply_to()
        loop = asyncio.get_running_loop()
        pending: list[tuple[Event, asyncio.Future[int]]] = []
        try:
            for event in events:
                reply = f"{inbox}.{event.seq}"
                future: asyncio.Future[int] = loop.create_future()
                self._waiting[reply] = future
                pending.append((event, future))
                body, headers = message(event)
                subject = self.link.names.subject(str(event.type))
                await self.link.nc.publish(subject, body, reply=reply, headers=headers)
            async with asyncio.timeout(timeout):
                for event, future in pending:
                    if (stored := await future) != event.seq:
                        raise OutOfOrder(f"event {event.seq} was stored as {stored}")
        finally:
            for event, future in pending:
                future.cancel()
                self._waiting.pop(f"{inbox}.{event.seq}", None)


class Herald:
    """A `CommitListener` that tells the relay, wherever it runs, that this node committed."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self._sending: set[asyncio.Task[None]] = set()

    def committed(self, events: Sequence[Event]) -> None:
        if events and not self.link.nc.is_closed:
            task = asyncio.get_running_loop().create_task(self._send(events[-1].seq))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, seq: Seq) -> None:
        with contextlib.suppress(Exception):  # the relay's poll finds it anyway
            await self.link.nc.publish(self.link.names.committed, str(seq).encode())

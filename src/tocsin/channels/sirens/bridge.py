"""The siren channel: region states and siren commands over MQTT, acks and heartbeats back.

`SirenChannel` (registered as `sirens`; on only when `mqtt_url` is set) runs

- one durable worker of the supervisor's over the log, whose target (`target.SirenTarget`)
  publishes what each alert event changes;
- one MQTT connection (`link.Link`), which also carries the sirens' acks and statuses to the
  listener here: acks and heartbeats are recorded, a siren's status brings it in sync;
- a watchdog that marks sirens faulty and recovered (`health`) and re-sends commands that were
  not acknowledged in time, once per ack timeout.

See docs/sirens.md for the topics and payloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiomqtt

from tocsin.channels.delivery import Target
from tocsin.channels.sirens.health import Health, Limits
from tocsin.channels.sirens.link import BrokerAddress, Link
from tocsin.channels.sirens.target import SirenTarget
from tocsin.channels.sirens.topics import Topics, encode, parse_ack, parse_status
from tocsin.domain.sirens import SirenRecord
from tocsin.errors import InvalidInput
from tocsin.storage.siren_store import SirenStore
from tocsin.types import Seq

if TYPE_CHECKING:
    from tocsin.channels.context import ChannelContext
    from tocsin.config import Settings

log = logging.getLogger("tocsin.sirens")


class SirenChannel:
    """The `sirens` channel; on only when an MQTT broker is configured (`mqtt_url`)."""

    name = "sirens"

    def __init__(
        self,
        tocsin: ChannelContext,
        *,
        url: str | None = None,
        prefix: str | None = None,
        ack_timeout: float | None = None,
        heartbeat_timeout: float | None = None,
        check_interval: float = 1.0,
        backoff: tuple[float, float] = (0.1, 5.0),
        connect_wait: float = 5.0,
    ) -> None:
        settings = tocsin.settings
        self.tocsin = tocsin
        self.url = url if url is not None else configured_url(settings)
        self.topics = Topics(prefix or settings.mqtt_topic_prefix)
        self.limits = Limits(
            settings.siren_ack_timeout if ack_timeout is None else ack_timeout,
            settings.siren_heartbeat_timeout if heartbeat_timeout is None else heartbeat_timeout,
        )
        self.check_interval = check_interval
        self.backoff = backoff
        self.connect_wait = connect_wait
        self.consumer = f"sirens:{self.topics.prefix}"
        self.sirens = SirenStore(tocsin.store.engine)
        self.health = Health(self.sirens, tocsin.facts, tocsin.clock, self.limits)
        self.link: Link | None = None
        self.target: SirenTarget | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._revive: asyncio.Task[None] | None = None
        self._resent: dict[str, datetime] = {}

    async def start(self) -> None:
        if not self.url:
            log.info("sirens: no mqtt_url is set; the channel is off")
            return
        try:
            address = BrokerAddress.parse(self.url)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="mqtt_url") from None
        stored = await self.tocsin.deliveries.cursor(self.consumer)
        start = await self.tocsin.store.last_seq() if stored is None else stored
        conn = uuid.uuid4().hex[:12]
        offline = encode({"state": "offline", "conn": conn})
        will = aiomqtt.Will(self.topics.bridge, offline, qos=1, retain=True)
        self.link = Link(
            address,
            subscriptions=(self.topics.acks, self.topics.statuses),
            on_message=self._message,
            will=will,
            identifier=f"tocsin-bridge-{conn}",
            backoff=self.backoff,
        )
        self.target = SirenTarget(
            self.tocsin,
            self.link,
            self.topics,
            consumer=self.consumer,
            applied=start,
            alerts=await self.sirens.open_alerts_at(start),
            conn=conn,
            connect_wait=self.connect_wait,
        )
        await self.target.leave_out_silent()
        self.link.on_connect = self.target.connected
        self.link.start()
        self._add_worker(start)
        self._watchdog = asyncio.create_task(self._watch(), name="siren watchdog")

    async def stop(self) -> None:
        for task in (self._watchdog, self._revive):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.tocsin.supervisor.remove(self.consumer)
        if self.target is not None:
            await self.target.close()
        if self.link is not None and self.target is not None:
            offline = {"state": "offline", "conn": self.target.conn}
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                async with asyncio.timeout(2):
                    await self.link.publish(self.topics.bridge, encode(offline), retain=True)
            await self.link.stop()

    def status(self) -> list[dict[str, Any]]:
        if self.link is None or self.target is None:
            return [{"channel": self.name, "state": "off", "reason": "mqtt_url is not set"}]
        worker = next(
            (w for w in self.tocsin.supervisor.status() if w["consumer"] == self.consumer), {}
        )
        return [
            {
                **worker,
                "channel": self.name,
                "consumer": self.consumer,
                "target": self.target.label,
                "connected": self.link.connected,
                "broker_error": self.link.last_error,
                "sirens_in_sync": len(self.target.synced),
            }
        ]

    def _add_worker(self, start: Seq) -> None:
        assert self.target is not None
        target: Target = self.target
        self.tocsin.supervisor.add(target, start=start, on_pause=self._paused)

    async def _paused(self, target: Target, reason: str) -> None:
        """Sirens never give up: after a long outage the worker starts again from its cursor."""
        log.error("siren worker paused (%s); starting it again", reason)
        self._revive = asyncio.create_task(self._start_again())

    async def _start_again(self) -> None:
        await asyncio.sleep(1.0)
        await self.tocsin.supervisor.remove(self.consumer)
        assert self.target is not None
        self._add_worker(self.target.applied)

    async def _message(self, message: aiomqtt.Message) -> None:
        assert self.target is not None
        found = self.topics.siren_topic(message.topic.value)
        if found is None or not isinstance(message.payload, bytes):
            return
        siren_id, kind = found
        now = self.tocsin.clock.now()
        if kind == "ack":
            ack = parse_ack(siren_id, message.payload)
            if ack is None:
                return
            if not ack.ok:
                self.health.errors[siren_id] = ack.error or "error"
                return
            self.health.errors.pop(siren_id, None)
            if await self.sirens.record_ack(siren_id, ack.seq, now):
                await self.health.check(siren_id)
        elif kind == "status":
            status = parse_status(siren_id, message.payload)
            if status is None:
                return
            if not status.online:
                self.target.gone(siren_id, status.conn)
            elif await self.sirens.record_heartbeat(siren_id, now):
                await self.target.sync(siren_id, status.conn, status.last_seq)
                await self.health.check(siren_id)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval)
            try:
                for record in await self.health.check_all():
                    await self._resend_if_due(record)
            except Exception:
                log.exception("siren watchdog failed; trying again")

    async def _resend_if_due(self, record: SirenRecord) -> None:
        """Re-send unacknowledged commands, once per ack timeout (sirens ack duplicates)."""
        assert self.target is not None
        if not record.pending or record.last_command_at is None:
            return
        now = self.tocsin.clock.now()
        last = max(record.last_command_at, self._resent.get(record.id, record.last_command_at))
        if now - last > timedelta(seconds=self.limits.ack_timeout):
            self._resent[record.id] = now
            with contextlib.suppress(aiomqtt.MqttError):
                await self.target.resend(record)


def configured_url(settings: Settings) -> str | None:
    """`mqtt_url`, kept as a secret (it may hold a password)."""
    return settings.mqtt_url.get_secret_value() if settings.mqtt_url is not None else None

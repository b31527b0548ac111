"""One MQTT connection that comes back: connect, subscribe, read, and on any loss reconnect
with exponential backoff. Publishing fails at once (an `MqttError`) while it is down, so the
caller can retry; nothing is queued here behind the caller's back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomqtt
import orjson

log = logging.getLogger("tocsin.sirens")

SCHEMES = {"mqtt": (1883, False), "mqtts": (8883, True)}
MessageHandler = Callable[[aiomqtt.Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is: `mqtt://[USER[:PASSWORD]@]HOST[:PORT]` (or `mqtts://` for TLS)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"not an MQTT URL: {url!r} ({exc})") from None
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError(
                f"an MQTT URL is mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; got {url!r}"
            )
        default_port, tls = SCHEMES[parts.scheme]
        return cls(
            parts.hostname,
            port or default_port,
            tls,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )

    @property
    def label(self) -> str:
        """The URL, fit to show: the password is masked."""
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}{':***' if self.password else ''}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"

    def client(
        self, *, identifier: str, will: aiomqtt.Will | None = None, timeout: float = 5.0
    ) -> aiomqtt.Client:
        client = aiomqtt.Client(
            self.host,
            self.port,
            username=self.username,
            password=self.password,
            identifier=identifier,
            will=will,
            timeout=timeout,
            keepalive=15,
            tls_context=ssl.create_default_context() if self.tls else None,
        )
        client.pending_calls_threshold = 1_000_000  # bursts of retained states are expected
        return client


class Link:
    """A connection kept up by a task of its own."""

    def __init__(
        self,
        address: BrokerAddress,
        *,
        subscriptions: Sequence[str],
        on_message: MessageHandler,
        on_connect: Callable[[], Awaitable[None]] | None = None,
        will: aiomqtt.Will | None = None,
        identifier: str | None = None,
        backoff: tuple[float, float] = (0.1, 5.0),
        timeout: float = 5.0,
    ) -> None:
        self.address = address
        self.subscriptions = tuple(subscriptions)
        self.on_message = on_message
        self.on_connect = on_connect
        self.will = will
        self.identifier = identifier or f"tocsin-{uuid.uuid4().hex[:12]}"
        self.backoff = backoff
        self.timeout = timeout
        self.connects = 0
        self.last_error: str | None = None
        self._client: aiomqtt.Client | None = None
        self._down = asyncio.Event()
        self._up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._delay = backoff[0]

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"mqtt {self.identifier}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def wait_connected(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._up.wait()
        return self._up.is_set()

    async def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> None:
        """Publish and wait for the broker to take it (PUBACK at QoS 1); MqttError if it can't."""
        client, down = self._client, self._down
        if client is None or down.is_set():
            raise aiomqtt.MqttError(f"not connected to {self.address.label}")
        sending = asyncio.ensure_future(client.publish(topic, payload, qos=qos, retain=retain))
        lost = asyncio.ensure_future(down.wait())
        try:
            await asyncio.wait({sending, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not sending.done():
                sending.cancel()
                sending.add_done_callback(_consume)
        if not sending.done() or sending.cancelled():
            raise aiomqtt.MqttError(f"lost the connection to {self.address.label}")
        sending.result()

    async def _run(self) -> None:
        while True:
            try:
                async with self.address.client(
                    identifier=self.identifier, will=self.will, timeout=self.timeout
                ) as client:
                    await self._serve(client)
            except aiomqtt.MqttError as exc:
                self._note(f"{self.address.label}: {exc}")
            except Exception as exc:  # a bug in a handler must not end the link
                log.exception("MQTT link %s failed", self.identifier)
                self._note(f"{type(exc).__name__}: {exc}")
            finally:
                self._up.clear()
                self._down.set()
                self._client = None
            await asyncio.sleep(self._delay)
            self._delay = min(self._delay * 2, self.backoff[1])

    async def _serve(self, client: aiomqtt.Client) -> None:
        self._client, self._down = client, asyncio.Event()
        for topic in self.subscriptions:
            await client.subscribe(topic, qos=1)
        if self.on_connect is not None:
            await self.on_connect()
        self.connects += 1
        self.last_error = None
        self._delay = self.backoff[0]
        self._up.set()
        log.info("connected to %s as %s", self.address.label, self.identifier)
        async for message in client.messages:
            try:
                await self.on_message(message)
            except Exception:
                log.exception("could not handle an MQTT message on %s", message.topic.value)

    def _note(self, error: str) -> None:
        if error != self.last_error:
            log.warning("MQTT link %s down: %s", self.identifier, error)
        self.last_error = error


async def read_retained(
    address: BrokerAddress, patterns: Sequence[str], *, quiet: float = 0.3, limit: float = 10.0
) -> dict[str, Any]:
    """The retained messages (JSON) under `patterns` that the broker holds now, by topic.

    Reads on a connection of its own at QoS 0 (a broker drops QoS 1 messages beyond a client's
    queue, and there may be thousands) until nothing has come for `quiet` seconds.
    """
    found: dict[str, Any] = {}
    identifier = f"tocsin-read-{uuid.uuid4().hex[:12]}"
    async with address.client(identifier=identifier) as client:
        for pattern in patterns:
            await client.subscribe(pattern, qos=0)
        messages = aiter(client.messages)
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                async with asyncio.timeout(quiet):
                    message = await anext(messages)
            except TimeoutError:
                break
            payload = message.payload if isinstance(message.payload, bytes) else b""
            topic = message.topic.value
            try:
                found[topic] = orjson.loads(payload) if payload else None
            except orjson.JSONDecodeError:
                found[topic] = None
    return {topic: data for topic, data in found.items() if data is not None}


def _consume(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()

"""The connection to NATS JetStream, and the names a deployment uses there.

Every stream, subject and consumer is named after the deployment's `cluster` setting, so two
deployments (or two test runs) on the same NATS servers never meet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError, ServiceUnavailableError

from tocsin.types import Seq

log = logging.getLogger("tocsin.cluster")

DUPLICATE_WINDOW = 120.0  # seconds JetStream remembers a message id (a relay's retry)
START_PATIENCE = 30.0  # seconds a node at start waits for JetStream to answer (a leader election)

T = TypeVar("T")


async def patiently(
    step: Callable[[], Awaitable[T]], what: str, seconds: float = START_PATIENCE
) -> T:
    """`step()`, tried again while JetStream times out or has no leader (its servers are
    electing one, e.g. right after one died), for up to `seconds`; then its error."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await step()
        except (NatsTimeout, ServiceUnavailableError, NoRespondersError) as exc:
            if asyncio.get_running_loop().time() >= deadline:
                raise
            log.warning("%s: %s; trying again", what, exc or type(exc).__name__)
            await asyncio.sleep(0.5)


@dataclass(frozen=True, slots=True)
class Names:
    """What one deployment is called in NATS."""

    cluster: str

    @property
    def stream(self) -> str:
        return f"{self.cluster}_events"

    @property
    def events(self) -> str:
        """Every event's subject."""
        return f"{self.cluster}.events.>"

    def subject(self, type: str) -> str:
        return f"{self.cluster}.events.{type}"

    @property
    def state_bucket(self) -> str:
        """The key-value bucket of the public state's snapshot (edge nodes start from it)."""
        return f"{self.cluster}_state"

    @property
    def committed(self) -> str:
        """Where a node says it committed events (a wake-up for the relay, nothing more)."""
        return f"{self.cluster}.committed"


@dataclass(frozen=True, slots=True)
class StreamSpec:
    replicas: int = 1
    max_age: float = 7 * 86400.0


class Link:
    """One node's connection to JetStream for one deployment."""

    def __init__(self, nc: Client, names: Names, spec: StreamSpec) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream(timeout=5.0)
        self.names = names
        self.spec = spec

    @classmethod
    async def connect(
        cls, servers: list[str], names: Names, spec: StreamSpec, *, node: str = "tocsin"
    ) -> Link:
        """Connect (reconnecting for ever after), and make or update the event stream."""

        async def error(exc: Exception) -> None:
            log.warning("NATS: %s", exc)

        async def disconnected() -> None:
            log.warning("NATS: disconnected; reconnecting")

        async def reconnected() -> None:
            log.info("NATS: reconnected to %s", nc.connected_url and nc.connected_url.netloc)

        nc = await nats.connect(
            servers=servers,
            name=node,
            connect_timeout=2,
            reconnect_time_wait=0.5,
            max_reconnect_attempts=-1,
            error_cb=error,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
        )
        link = cls(nc, names, spec)
        try:
            await patiently(link.ensure_stream, "making or checking the event stream")
        except BaseException:
            await nc.close()
            raise
        return link

    def stream_config(self) -> StreamConfig:
        return StreamConfig(
            name=self.names.stream,
            subjects=[self.names.events],
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            storage=StorageType.FILE,
            num_replicas=self.spec.replicas,
            max_age=self.spec.max_age,
            duplicate_window=DUPLICATE_WINDOW,
            allow_direct=True,
            deny_delete=True,
            deny_purge=True,
        )

    async def ensure_stream(self) -> None:
        config = self.stream_config()
        try:
            info = await self.js.stream_info(self.names.stream)
        except NotFoundError:
            await self.js.add_stream(config)
            return
        current = info.config
        if (current.num_replicas, current.max_age) != (config.num_replicas, config.max_age):
            await self.js.update_stream(config)

    async def last_seq(self) -> Seq:
        """The stream's last sequence: the seq of the newest event relayed."""
        info = await self.js.stream_info(self.names.stream)
        return int(info.state.last_seq)

    async def first_seq(self) -> Seq:
        """The oldest sequence the stream still keeps (older ones aged out)."""
        info = await self.js.stream_info(self.names.stream)
        return int(info.state.first_seq)

    async def close(self) -> None:
        with contextlib.suppress(NatsError, OSError):
            await self.nc.drain()
        if not self.nc.is_closed:
            await self.nc.close()

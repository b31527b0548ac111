"""The snapshot bucket: the public state, as edge nodes start from it.

One writer at a time (the `snapshot` duty) puts the snapshot of its database
(`tocsin.live.snapshot`) in a JetStream key-value bucket, `{cluster}_state`, under one key, once
at start and then every `snapshot_interval` seconds while the log moves. An edge node reads it
at start, then catches up from the event stream after the seq it names; it reads it again only
to take a newer region tree after an import.

The bytes are compressed (zlib): the region shapes make most of them, and compress about six
to one, well under the message size NATS allows. A snapshot that would still not fit is not
put, and the reason logged; edges then go on from the one before.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable

from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

from tocsin.cluster.link import Link, patiently
from tocsin.types import Seq

log = logging.getLogger("tocsin.cluster.snapshots")

KEY = "snapshot"


class SnapshotTooLarge(Exception):
    """A compressed snapshot beyond the message size the NATS servers accept."""


class SnapshotBucket:
    """The bucket of one deployment."""

    def __init__(self, kv: KeyValue, link: Link) -> None:
        self.kv = kv
        self.link = link

    @classmethod
    async def open(cls, link: Link) -> SnapshotBucket:
        """The bucket, made (with the event stream's replicas) if there is none yet."""
        name = link.names.state_bucket
        try:
            kv = await link.js.key_value(name)
        except BucketNotFoundError:
            config = KeyValueConfig(
                bucket=name,
                history=1,
                replicas=link.spec.replicas,
                storage=StorageType.FILE,
                description="the public state, as edge nodes start from it",
            )
            kv = await link.js.create_key_value(config)
        return cls(kv, link)

    async def put(self, snapshot: bytes) -> int:
        """Keep `snapshot` (its bytes, uncompressed); the bucket's revision."""
        data = zlib.compress(snapshot, 6)
        limit = self.link.nc.max_payload
        if len(data) > limit - 1024:  # room for the message's own headers
            raise SnapshotTooLarge(
                f"the snapshot is {len(data)} bytes compressed; the NATS servers accept "
                f"{limit} (raise max_payload on them)"
            )
        return int(await self.kv.put(KEY, data))

    async def get(self) -> bytes | None:
        """The newest snapshot kept (uncompressed), or None if none has been put yet."""
        try:
            entry = await self.kv.get(KEY)
        except KeyNotFoundError:
            return None
        return None if entry.value is None else zlib.decompress(entry.value)

    async def wait(self, timeout: float, *, poll: float = 0.5) -> bytes:
        """The newest snapshot, waiting up to `timeout` seconds for a first one to be put."""
        async with asyncio.timeout(timeout):
            while True:
                found = await patiently(self.get, "reading the snapshot bucket", timeout)
                if found is not None:
                    return found
                await asyncio.sleep(poll)


async def publish_forever(
    bucket: SnapshotBucket,
    make: Callable[[], Awaitable[bytes]],
    head: Callable[[], Seq],
    interval: float,
) -> None:
    """Put `make()` in the bucket now, and again every `interval` seconds when `head()` moved."""
    done: Seq | None = None
    while True:
        now = head()
        if now != done:
            try:
                revision = await bucket.put(await make())
                done = now
                log.debug("snapshot at seq %d put (revision %d)", now, revision)
            except asyncio.CancelledError:
                raise
            except SnapshotTooLarge as exc:
                log.error("snapshot not put: %s", exc)
                done = now  # the same state would not fit either: wait for a change
            except Exception:
                log.exception("putting the snapshot failed; trying again")
        await asyncio.sleep(interval)

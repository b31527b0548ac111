"""Edge nodes' counts of a drill's live streams, carried to the database over NATS.

An edge node (`tocsin serve --edge`) has no database, yet in a deployment most of the public's
streams are on edges. Each edge keeps the same tally as a server node (`DrillStreams` on its
stream admission) and puts it, as JSON, in the key-value bucket `{cluster}_drill_streams`,
key `<drill>.<node>`: when it starts counting, every `drill_streams_interval` seconds while the
drill runs, and when it stops. Nothing is written per connection.

One writer at a time (the `drill-streams` duty, under a lease) copies every entry it has not
copied yet into `drill_streams` (one row per drill and node, role `edge`), so the drill's
report reads the database only. A copy is an upsert of the entry as it stands: done twice, the
row is the same. The bucket keeps an entry for `MAX_AGE` (three days), so a writer restarted,
or no writer at all for a while, copies it later; a new holder of the duty copies everything
there once. An edge's last count of a drill (it stopped counting) is deleted from the bucket
once copied, unless put again since, so the bucket holds little more than the drills running.

The same duty puts the drills running now under the key `running` (their ids and ends): an
edge started during a drill learns of it there, as a server node learns of it from the drills'
table. An edge stops counting at the `drill.ended` event, or at the drill's planned end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import datetime
from typing import Any, Protocol

import orjson
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import (
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoKeysError,
)
from nats.js.kv import KeyValue

from tocsin.cluster.link import Link
from tocsin.types import iso_time

log = logging.getLogger("tocsin.cluster.drill_counts")

MAX_AGE = 3 * 86400.0  # seconds the bucket keeps an entry not copied (or copied)
RUNNING = "running"
_UNSAFE = re.compile(r"[^-_=A-Za-z0-9]")


def key(drill_id: str, node: str) -> str:
    """An entry's key: the drill and the node, the node's name made safe for a key (the
    entry holds the name as it is)."""
    return f"{_UNSAFE.sub('_', drill_id)}.{_UNSAFE.sub('_', node)}"


class StreamRows(Protocol):
    """Where the copies go (the database's `DrillStore`)."""

    async def running(self) -> list[tuple[str, datetime]]: ...

    async def write_streams(
        self,
        drill_id: str,
        node: str,
        watched_from: datetime,
        watched_until: datetime | None,
        now: datetime,
        counts: dict[str, dict[str, int]],
        peak_total: int,
        *,
        role: str = "server",
    ) -> None: ...


class CountBucket:
    """The bucket of one deployment."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @classmethod
    async def open(cls, link: Link) -> CountBucket:
        """The bucket, made by whoever needs it first (with the event stream's replicas)."""
        name = f"{link.names.cluster}_drill_streams"
        try:
            kv = await link.js.key_value(name)
        except BucketNotFoundError:
            config = KeyValueConfig(
                bucket=name,
                history=1,
                ttl=MAX_AGE,
                replicas=link.spec.replicas,
                storage=StorageType.FILE,
                description="edge nodes' counts of the streams during drills",
            )
            kv = await link.js.create_key_value(config)
        return cls(kv)

    async def put_count(self, entry: dict[str, Any]) -> int:
        data = orjson.dumps(entry)
        return int(await self.kv.put(key(entry["drill_id"], entry["node"]), data))

    async def entries(self) -> dict[str, tuple[int, dict[str, Any]]]:
        """Every count in the bucket, by key: its revision and its entry."""
        try:
            keys = await self.kv.keys()
        except NoKeysError:
            return {}
        found: dict[str, tuple[int, dict[str, Any]]] = {}
        for name in keys:
            if name == RUNNING:
                continue
            try:
                got = await self.kv.get(name)
            except KeyNotFoundError:  # aged out meanwhile
                continue
            if got.value:
                found[name] = (int(got.revision or 0), orjson.loads(got.value))
        return found

    async def forget(self, name: str, revision: int) -> None:
        """Delete a final count once copied, unless it was put again since `revision`."""
        with contextlib.suppress(KeyWrongLastSequenceError):
            await self.kv.delete(name, last=revision)

    async def put_running(self, running: list[tuple[str, datetime]]) -> None:
        body = [{"id": drill_id, "ends_at": iso_time(ends)} for drill_id, ends in running]
        await self.kv.put(RUNNING, orjson.dumps(sorted(body, key=lambda d: d["id"])))

    async def get_running(self) -> list[tuple[str, datetime]]:
        try:
            got = await self.kv.get(RUNNING)
        except KeyNotFoundError:
            return []
        if not got.value:
            return []
        return [(d["id"], datetime.fromisoformat(d["ends_at"])) for d in orjson.loads(got.value)]


class EdgeRecord:
    """The `StreamRecord` of an edge's `DrillStreams`: its counts go to the bucket, and the
    drills running are those the writers last put there."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self._bucket: CountBucket | None = None

    async def bucket(self) -> CountBucket:
        if self._bucket is None:
            self._bucket = await CountBucket.open(self.link)
        return self._bucket

    async def running(self) -> list[tuple[str, datetime]]:
        return await (await self.bucket()).get_running()

    async def write_streams(
        self,
        drill_id: str,
        node: str,
        watched_from: datetime,
        watched_until: datetime | None,
        now: datetime,
        counts: dict[str, dict[str, int]],
        peak_total: int,
    ) -> None:
        entry = {
            "drill_id": drill_id,
            "node": node,
            "watched_from": iso_time(watched_from),
            "watched_until": None if watched_until is None else iso_time(watched_until),
            "updated_at": iso_time(now),
            "counts": counts,
            "peak_total": peak_total,
        }
        await (await self.bucket()).put_count(entry)


class Copier:
    """The `drill-streams` duty: the bucket's counts into the database, and the drills running
    into the bucket, every `interval` seconds."""

    def __init__(self, link: Link, rows: StreamRows, interval: float) -> None:
        self.link = link
        self.rows = rows
        self.interval = interval
        self.copied: dict[str, int] = {}  # key → the revision copied
        self._running: list[tuple[str, datetime]] | None = None
        self._bucket: CountBucket | None = None

    async def run(self) -> None:
        while True:
            try:
                await self.turn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("copying the edges' drill counts failed; trying again")
            await asyncio.sleep(self.interval)

    async def turn(self) -> int:
        """Copy what changed; how many entries were copied."""
        if self._bucket is None:
            self._bucket = await CountBucket.open(self.link)
        bucket = self._bucket
        running = sorted(await self.rows.running())
        if running != self._running:
            await bucket.put_running(running)
            self._running = running
        done = 0
        entries = await bucket.entries()
        self.copied = {k: v for k, v in self.copied.items() if k in entries}
        for name, (revision, entry) in entries.items():
            if self.copied.get(name) == revision:
                continue
            until = entry.get("watched_until")
            await self.rows.write_streams(
                str(entry["drill_id"]),
                str(entry["node"]),
                datetime.fromisoformat(entry["watched_from"]),
                None if until is None else datetime.fromisoformat(until),
                datetime.fromisoformat(entry["updated_at"]),
                {
                    str(kind): {str(m): int(n) for m, n in counts.items()}
                    for kind, counts in entry["counts"].items()
                },
                int(entry["peak_total"]),
                role="edge",
            )
            self.copied[name] = revision
            done += 1
            if until is not None:  # the edge's last word on this drill: the row has it now
                await bucket.forget(name, revision)
        return done

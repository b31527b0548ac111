"""The composition root of an edge node (`tocsin serve --edge`): the public reads, no database.

An edge connects to NATS only. It starts from the snapshot one writer keeps in the cluster's
bucket (`tocsin.cluster.snapshots`), catches up from the event stream after the seq it names,
then follows the stream (`JetStreamFeed` with no database: what its memory no longer holds
is read from the stream). The public services run unchanged over the `LiveState` it keeps:
the active alerts, region states and IoT lines (`AlertQueries`), the CAP feed and messages
(`CapPublisher`), the answers held in memory (`ReadModel`) and the live streams (`Hub`), which
read the log as far as the state has applied it (the `Follower`), so a client told of an event
finds it in the reads.

During a drill it counts its live streams as a server node does, and puts its count in NATS
for a writer to copy into the drill's record (`tocsin.cluster.drill_counts`).

After a region import (which the log names but does not carry) the edge serves the tree it has
until a writer puts a snapshot with the new one; it looks every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from tocsin.cap.render import CapConfig
from tocsin.cluster.drill_counts import EdgeRecord
from tocsin.cluster.feed import JetStreamFeed
from tocsin.cluster.link import Link, Names, StreamSpec, patiently
from tocsin.cluster.snapshots import SnapshotBucket
from tocsin.config import Settings
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import Catalogue, builtin
from tocsin.errors import InvalidInput, Unavailable
from tocsin.live.follow import Follower
from tocsin.live.snapshot import Snapshot
from tocsin.live.state import LiveState
from tocsin.service.audit import stop as stop_task
from tocsin.service.cap_publish import CapPublisher
from tocsin.service.exclusive import node_name
from tocsin.service.ports import Clock, SystemClock
from tocsin.service.queries import AlertQueries
from tocsin.service.readmodel import ReadModel
from tocsin.streams.admission import Admission
from tocsin.streams.drills import DrillStreams
from tocsin.streams.hub import Hub

log = logging.getLogger("tocsin.edge")

REGIONS_CHECK = 3.0  # seconds between looks at the bucket while the region tree is stale


class NoSnapshot(Unavailable):
    code = "no_snapshot"
    title = "No snapshot to start from"


@dataclass
class Edge:
    settings: Settings
    clock: Clock
    catalogue: Catalogue
    live: LiveState
    follower: Follower
    feed: JetStreamFeed
    link: Link
    bucket: SnapshotBucket
    queries: AlertQueries
    cap: CapPublisher
    reads: ReadModel[Any]
    hub: Hub
    drill_streams: DrillStreams  # its live streams during drills, put in NATS
    node: str
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    # the public reads ask a node for `regions.tree` and `store`: both are the live state here
    @property
    def regions(self) -> LiveState:
        return self.live

    @property
    def store(self) -> LiveState:
        return self.live

    async def start(self) -> None:
        """Catch up from the stream, then follow it; serve the live streams."""
        await self.follower.start()
        await self.hub.start()
        self.hub.listeners.append(self.drill_streams.seen)
        self.drill_streams.start()
        self._tasks.append(asyncio.create_task(self._regions(), name="edge region tree"))
        log.info(
            "edge %s ready at seq %d (stream at %d), %d regions, %d alerts held",
            self.node,
            self.live.head,
            self.feed.head,
            len(self.live.tree),
            len(self.live.held),
        )

    async def close(self) -> None:
        for task in self._tasks:
            await stop_task(task)
        self._tasks.clear()
        await self.drill_streams.close()
        await self.hub.stop()
        await self.follower.stop()
        await self.feed.stop()
        await self.link.close()

    def health(self) -> dict[str, Any]:
        """How far this edge is: its seq, the stream's, and whether it still follows."""
        problem = self.follower.problem
        return {
            "status": "ok" if problem is None else "stalled",
            "role": "edge",
            "node": self.node,
            "database": self.live.backend,
            "last_seq": self.live.head,
            "stream_seq": self.feed.head,
            "regions": len(self.live.tree),
            "regions_stale": self.live.regions_stale,
            "writer": self.settings.writer_url,
            **({"problem": problem} if problem else {}),
        }

    async def _regions(self) -> None:
        """Take a newer region tree from the bucket once the log says regions were imported."""
        while True:
            await asyncio.sleep(REGIONS_CHECK)
            if not self.live.regions_stale:
                continue
            try:
                data = await self.bucket.get()
                if data is None:
                    continue
                snapshot = Snapshot.decode(data)
                if snapshot.regions_at >= self.live.regions_changed:
                    self.live.adopt_regions(snapshot.regions, snapshot.regions_at)
                    log.info("took the region tree of seq %d", snapshot.regions_at)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the snapshot bucket failed; trying again")


async def build_edge(settings: Settings, *, clock: Clock | None = None) -> Edge:
    """Connect to NATS, read the newest snapshot (waiting `edge_start_timeout` for a first one)
    and wire the public services over it. `Edge.start` then catches up from the stream."""
    if not settings.nats_servers:
        raise InvalidInput("an edge node reads the cluster: set TOCSIN_NATS_URL", field="nats_url")
    clock = clock or SystemClock()
    node = node_name(settings.node_name)
    spec = StreamSpec(settings.nats_replicas, settings.nats_stream_max_age)
    link = await Link.connect(settings.nats_servers, Names(settings.cluster), spec, node=node)
    try:
        bucket = await patiently(lambda: SnapshotBucket.open(link), "opening the snapshot bucket")
        try:
            data = await bucket.wait(settings.edge_start_timeout)
        except TimeoutError:
            raise NoSnapshot(
                f"no snapshot in the bucket {link.names.state_bucket!r} after "
                f"{settings.edge_start_timeout:g} s: start a writer node of cluster "
                f"{settings.cluster!r} first",
                field="cluster",
            ) from None
        config = CapConfig.from_settings(settings)
        writer = settings.writer_url or "a writer node"
        live = LiveState.from_snapshot(
            data, clock=clock, retention=config.retention, elsewhere=writer
        )
        feed = JetStreamFeed(link)
        await feed.start()
    except BaseException:
        await link.close()
        raise
    follower = Follower(live, feed)
    catalogue = builtin().with_overrides(settings.threats)

    def tree() -> RegionTree:
        return live.tree

    admission = Admission(settings.stream_max_total, settings.stream_max_per_client)
    return Edge(
        settings=settings,
        clock=clock,
        catalogue=catalogue,
        live=live,
        follower=follower,
        feed=feed,
        link=link,
        bucket=bucket,
        queries=AlertQueries(live, live, catalogue),
        cap=CapPublisher(live, live, catalogue, clock, config),
        reads=ReadModel(follower, clock, keys=settings.read_cache_keys, stamp=tree),
        hub=Hub(
            follower,
            buffer=settings.stream_buffer,
            tree=tree,
            admission=admission,
        ),
        drill_streams=DrillStreams(
            admission,
            EdgeRecord(link),
            clock,
            node,
            interval=settings.drill_streams_interval,
            listed_first=True,
        ),
        node=node,
    )

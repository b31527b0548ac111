"""The live streams each node held during a drill: the drill's report sums the nodes.

Every node that serves streams (not only the one that runs the drills) keeps its own count: a
`Tally` on its `Admission`, from the drill's start to its end. It learns of both from the
`drill.started` and `drill.ended` events as its hub reads them (so the count starts with the
drill, to the event), and from the drills' table every few seconds (so a node started while a
drill runs counts from its own start, and one that missed the end still stops).

Nothing is written per connection: the tally is a few additions in memory, and each node writes
one row per drill (`drill_streams`) when it starts counting, every `interval` seconds while the
drill runs (a crash loses at most that), and when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tocsin.domain.events import Event
from tocsin.service.ports import Clock
from tocsin.streams.admission import Admission, Tally

log = logging.getLogger("tocsin.streams.drills")

STARTED, ENDS = "drill.started", ("drill.ended", "drill.skipped", "drill.cancelled")


class StreamRecord(Protocol):
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
    ) -> None: ...


@dataclass(eq=False)
class Watch:
    drill_id: str
    tally: Tally
    since: datetime
    ends_at: datetime
    until: datetime | None = None  # set when it stopped counting


class DrillStreams:
    def __init__(
        self,
        admission: Admission,
        record: StreamRecord,
        clock: Clock,
        node: str,
        *,
        interval: float = 10.0,
        listed_first: bool = False,
    ) -> None:
        self.admission = admission
        self.record = record
        self.clock = clock
        self.node = node
        self.interval = interval
        # a drill not among `record.running()` has ended: at once when that is the drills'
        # table (the events are committed with it); with `listed_first` (an edge, which reads a
        # list the writers put every few seconds and may lag the `drill.started` it read) only
        # once it was listed and then left the list
        self.listed_first = listed_first
        self.listed: set[str] = set()
        self.watches: dict[str, Watch] = {}
        self.done: set[str] = set()  # drills this node has stopped counting
        self._stopped: list[Watch] = []  # stopped, not yet written
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- in memory, from the hub's task ------------------------------------------------

    def seen(self, events: list[Event]) -> None:
        """The hub's listener: start or stop counting at a drill's events."""
        for event in events:
            if event.type == STARTED or event.type in ENDS:
                drill = event.data.get("drill")
                if not isinstance(drill, dict) or not isinstance(drill.get("id"), str):
                    continue
                if event.type == STARTED:
                    self.begin(drill["id"], datetime.fromisoformat(drill["ends_at"]), event.time)
                else:
                    self.end(drill["id"], event.time)

    def begin(self, drill_id: str, ends_at: datetime, now: datetime) -> None:
        if drill_id in self.watches or drill_id in self.done or now >= ends_at:
            return
        self.watches[drill_id] = Watch(drill_id, self.admission.tally(), now, ends_at)
        self._wake.set()

    def end(self, drill_id: str, now: datetime) -> None:
        watch = self.watches.pop(drill_id, None)
        if watch is None:
            return
        watch.tally.stop()
        watch.until = min(now, watch.ends_at)
        self.done.add(drill_id)
        self._stopped.append(watch)
        self._wake.set()

    # --- the writer ------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="drill streams")

    async def run(self) -> None:
        while True:
            try:
                await self.turn()
            except Exception:
                log.exception("noting the streams of a drill failed; trying again")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()

    async def turn(self) -> None:
        """Check the running drills against those counted, and write every count."""
        now = self.clock.now()
        running = dict(await self.record.running())
        for drill_id, ends_at in running.items():
            self.begin(drill_id, ends_at, now)
        self.listed.update(running)
        for drill_id, watch in list(self.watches.items()):
            gone = drill_id not in running and (not self.listed_first or drill_id in self.listed)
            if gone or now >= watch.ends_at:
                self.end(drill_id, now)
        self.listed.intersection_update(running)
        await self.flush()

    async def flush(self) -> None:
        now = self.clock.now()
        while self._stopped:
            await self._write(self._stopped[0], now)
            self._stopped.pop(0)
        for watch in list(self.watches.values()):
            await self._write(watch, now)

    async def _write(self, watch: Watch, now: datetime) -> None:
        tally = watch.tally
        await self.record.write_streams(
            watch.drill_id,
            self.node,
            watch.since,
            watch.until,
            now,
            tally.counts(),
            tally.peak_total,
        )

    async def close(self) -> None:
        """Stop; a drill still counted is written as counted until now (this node stops)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        now = self.clock.now()
        for drill_id in list(self.watches):
            self.end(drill_id, now)
            self.done.discard(drill_id)  # a restart of this object counts again
        try:
            await self.flush()
        except Exception:
            log.exception("could not write the streams of a drill at the end")

"""The statistics projection kept in step with the event log, and its packs kept for next time.

`alert_spans` is a read model: alerts of the live path reach it by following the event log,
and it can be rebuilt from the log at any time, so it is written here, outside the command bus,
one transaction per batch of events; its place in the log is kept in `stats_progress`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from tocsin.domain.alerts import Alert
from tocsin.domain.events import Event
from tocsin.records.storage import span_packs
from tocsin.records.storage import stats_store as ss
from tocsin.records.storage.stats_store import Lineage
from tocsin.storage import tables as t
from tocsin.storage.store import Store
from tocsin.types import Seq

PROJECTOR = "stats"


class SqlSpanProjection:
    def __init__(self, store: Store, name: str = PROJECTOR) -> None:
        self.store = store
        self.name = name

    async def position(self) -> Seq:
        """The last seq of the log applied."""
        async with self.store.engine.connect() as conn:
            return await ss.get_position(conn, self.name)

    async def catch_up(self, lineage: Lineage, batch: int = 1000) -> int:
        """Apply every event not yet applied; returns how many alerts were (re)projected."""
        projected = 0
        while True:
            async with self.store.write() as tx:
                position = await ss.get_position(tx.conn, self.name)
                events = await self.store.events_after(position, batch)
                if not events:
                    return projected
                latest = alerts_in(events)
                touched = await ss.replace_spans(tx.conn, latest, lineage)
                await span_packs.invalidate(tx.conn, touched)
                await ss.set_position(tx.conn, self.name, events[-1].seq)
                projected += len(latest)

    async def rebuild(self, lineage: Lineage) -> int:
        """Forget the projection of live alerts and build it again from the log."""
        async with self.store.write() as tx:
            await ss.set_position(tx.conn, self.name, 0)
            await span_packs.invalidate_all(tx.conn)
        return await self.catch_up(lineage)

    async def load_packs(
        self, keys: Sequence[span_packs.Key]
    ) -> dict[span_packs.Key, span_packs.Pack]:
        return await span_packs.load(self.store.engine, keys)

    async def build_packs(
        self, keys: Sequence[span_packs.Key]
    ) -> dict[span_packs.Key, span_packs.Pack]:
        return await span_packs.build(self.store.engine, keys)

    async def keep_packs(
        self, packs: dict[span_packs.Key, span_packs.Pack], head: Seq, position: Seq
    ) -> None:
        """Keep packs for next time, unless the spans may have changed since they were read
        (the log moved past `head`, or the projection past `position`)."""
        async with self.store.write() as tx:
            if await tx.conn.scalar(select(func.max(t.events.c.seq))) != (head or None):
                return
            if await ss.get_position(tx.conn, self.name) != position:
                return
            await span_packs.save(tx.conn, packs)


def alerts_in(events: Sequence[Event]) -> list[Alert]:
    """The latest state of every alert these events carry."""
    latest: dict[str, Alert] = {}
    for event in events:
        if event.type.startswith("alert.") and "alert" in event.data:
            alert = Alert.from_json(event.data["alert"])
            latest[alert.id] = alert
    return list(latest.values())

"""The statistics projection: one span per alert and region, for the region and each ancestor.

`alert_spans` holds, for every alert that became active, one row per region it covers *and per
ancestor of those regions* (each region once per alert; `direct` marks the alert's own
regions), with the start and end in integer
microseconds since the epoch (end NULL while the alert is open). "Was region R or any part of
it under alert" is then a range scan of R's own rows, and rollups never double-count an alert.

History imports write spans in the same transaction as their alerts. Alerts of the live path
reach the projection through the event log (`tocsin.records.storage.stats_projection`), which
keeps its place in `stats_progress`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Select

from tocsin.domain.alerts import Alert
from tocsin.records.domain.stats import from_micros as from_micros
from tocsin.records.domain.stats import micros as micros
from tocsin.storage.tables import metadata
from tocsin.types import RegionCode, Seq

OPEN_END = np.iinfo(np.int64).max
"""The end of a span whose alert is still open (replaced by "now" when a question is asked)."""

alert_spans = Table(
    "alert_spans",
    metadata,
    Column("status", String(16), primary_key=True),
    Column("start_us", BigInteger, primary_key=True, autoincrement=False),
    Column("alert_id", String(36), primary_key=True),
    Column("region", String(64), primary_key=True),
    Column("end_us", BigInteger, nullable=True),
    Column("threat", String(32), nullable=False),
    Column("source", String(100), nullable=False),
    Column("direct", Boolean, nullable=False),
    Index(
        "ix_alert_spans_region",
        "region",
        "status",
        "threat",
        "source",
        "direct",
        "start_us",
        "end_us",
    ),
    sqlite_with_rowid=False,
)
"""Keyed by (status, start, alert, region): history arrives in time order, so rows append;
an alert's spans share status, start and id (neither changes once the alert is active), so
the projector replaces them by key. A region's pack is built from one read of the covering
index by region, in (threat, source, direct) groups."""

stats_progress = Table(
    "stats_progress",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

Lineage = Callable[[RegionCode], Sequence[RegionCode]]
"""A region and its ancestors (as far as the region tree knows them)."""


def span_source(alert: Alert) -> str:
    """What statistics filter on: `ua-official` for `history:ua-official:17`, else the alert's
    source as it is (`api`, …)."""
    source = alert.source or "unknown"
    if source.startswith("history:"):
        return source.split(":")[1]
    return source[:100]


def span_rows(
    alert: Alert, lineage: Lineage | dict[RegionCode, list[RegionCode]]
) -> list[dict[str, Any]]:
    if alert.activated_at is None:
        return []  # a pre-alert that never became an alert puts no region under alert
    up = lineage.__getitem__ if isinstance(lineage, dict) else lineage
    direct = set(alert.regions)
    regions = dict.fromkeys(code for region in alert.regions for code in up(region))
    start = micros(alert.activated_at)
    end = None if alert.ended_at is None else max(start, micros(alert.ended_at))
    base = {
        "status": alert.status.value,
        "start_us": start,
        "alert_id": alert.id,
        "end_us": end,
        "threat": alert.threat,
        "source": span_source(alert),
    }
    return [{"region": code, "direct": code in direct, **base} for code in regions]


async def replace_spans(
    conn: AsyncConnection, alerts: Sequence[Alert], lineage: Lineage
) -> set[RegionCode]:
    """Make the spans of these alerts match them (the projector's write); returns the regions
    whose spans changed."""
    c = alert_spans.c
    touched: set[RegionCode] = set()
    for alert in alerts:
        if alert.activated_at is None:
            continue
        key = (
            c.status == alert.status.value,
            c.start_us == micros(alert.activated_at),
            c.alert_id == alert.id,
        )
        touched.update((await conn.execute(select(c.region).where(*key))).scalars())
        await conn.execute(delete(alert_spans).where(*key))
    rows = [row for alert in alerts for row in span_rows(alert, lineage)]
    touched.update(row["region"] for row in rows)
    if rows:
        await conn.execute(insert(alert_spans), rows)
    return touched


async def clear_spans(conn: AsyncConnection) -> None:
    await conn.execute(delete(alert_spans))


async def get_position(conn: AsyncConnection, name: str) -> Seq:
    query = select(stats_progress.c.seq).where(stats_progress.c.name == name)
    value = (await conn.execute(query)).scalar()
    return int(value or 0)


async def set_position(conn: AsyncConnection, name: str, seq: Seq) -> None:
    done = await conn.execute(
        update(stats_progress).where(stats_progress.c.name == name).values(seq=seq)
    )
    if not done.rowcount:
        await conn.execute(insert(stats_progress).values(name=name, seq=seq))


class SpanArrays:
    """Spans as NumPy arrays, sorted by start: region index, start and end in microseconds."""

    __slots__ = ("ends", "regions", "starts")

    def __init__(self, regions: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        order = np.lexsort((ends, starts))
        self.regions = regions[order]
        self.starts = starts[order]
        self.ends = ends[order]

    def __len__(self) -> int:
        return int(self.starts.size)

    @classmethod
    def join(
        cls, parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], *, presorted: bool
    ) -> SpanArrays:
        if not parts:
            empty = np.empty(0, dtype=np.int64)
            return cls(empty, empty, empty)
        regions, starts, ends = (np.concatenate(column) for column in zip(*parts, strict=True))
        if presorted:
            joined = cls.__new__(cls)
            joined.regions, joined.starts, joined.ends = regions, starts, ends
            return joined
        return cls(regions, starts, ends)

    def of(self, index: int) -> SpanArrays:
        keep = self.regions == index
        return SpanArrays(self.regions[keep], self.starts[keep], self.ends[keep])


class StatsStore:
    """Reads of the projection, fast: the rows go from the driver straight into NumPy."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def spans(
        self,
        regions: Sequence[RegionCode],
        *,
        statuses: Iterable[str],
        threats: Iterable[str] | None = None,
        sources: Iterable[str] | None = None,
        since: int | None = None,
        until: int | None = None,
        direct: bool = False,
    ) -> SpanArrays:
        """Spans of these regions overlapping [since, until) (or touching `since`)."""
        c = alert_spans.c
        query: Select[Any] = select(c.region, c.start_us, c.end_us).where(
            c.region.in_(list(regions)), c.status.in_(sorted(statuses))
        )
        if threats is not None:
            query = query.where(c.threat.in_(sorted(threats)))
        if sources is not None:
            query = query.where(c.source.in_(sorted(sources)))
        if direct:
            query = query.where(c.direct.is_(True))
        if until is not None:
            query = query.where(c.start_us < until)
        if since is not None:
            query = query.where((c.end_us.is_(None)) | (c.end_us >= since))
        rows = await self._fetch(query)
        index = {code: i for i, code in enumerate(regions)}
        if not rows:
            empty = np.empty(0, dtype=np.int64)
            return SpanArrays(empty, empty, empty)
        region_col, start_col, end_col = zip(*rows, strict=True)
        return SpanArrays(
            np.fromiter((index[r] for r in region_col), dtype=np.int64, count=len(rows)),
            np.fromiter(start_col, dtype=np.int64, count=len(rows)),
            np.fromiter(
                (OPEN_END if e is None else e for e in end_col), dtype=np.int64, count=len(rows)
            ),
        )

    async def position(self, name: str) -> Seq:
        async with self.engine.connect() as conn:
            return await get_position(conn, name)

    async def _fetch(self, query: Select[Any]) -> list[tuple[Any, ...]]:
        return await fetch_raw(self.engine, query)


async def fetch_raw(engine: AsyncEngine, query: Select[Any]) -> list[tuple[Any, ...]]:
    """Rows as plain tuples straight from the driver (no per-row processing)."""
    async with engine.connect() as conn:
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        if conn.dialect.name == "sqlite":
            cursor = await driver.execute(str(compiled), params)
            try:
                return list(await cursor.fetchall())
            finally:
                await cursor.close()
        return [tuple(r) for r in await driver.fetch(str(compiled), *params)]

"""Span packs: each region's spans (per status) packed into NumPy arrays stored as BLOBs.

Reading 100,000 spans row by row costs far more than the arithmetic on them; a pack is read
as a handful of byte strings. Packs are derived data: every writer of `alert_spans` deletes
the packs of the regions it touches in the same transaction (`invalidate`), and a reader that
finds no pack builds it from the spans and saves it, unless the log moved meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    LargeBinary,
    String,
    Table,
    cast,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tocsin.records.storage.stats_store import OPEN_END, alert_spans, fetch_raw
from tocsin.storage.tables import metadata
from tocsin.types import RegionCode

span_packs = Table(
    "span_packs",
    metadata,
    Column("region", String(64), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("starts", LargeBinary, nullable=False),
    Column("ends", LargeBinary, nullable=False),
    Column("direct", LargeBinary, nullable=False),
    Column("threats", LargeBinary, nullable=False),
    Column("sources", LargeBinary, nullable=False),
    Column("labels", JSON, nullable=False),
)

Key = tuple[RegionCode, str]
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Pack:
    """One region's spans of one status, sorted by (start, end); open ends are `OPEN_END`."""

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    direct: npt.NDArray[np.bool_]
    threats: npt.NDArray[np.int16]
    sources: npt.NDArray[np.int16]
    threat_labels: tuple[str, ...]
    source_labels: tuple[str, ...]

    def select(
        self, threats: Iterable[str] | None, sources: Iterable[str] | None, direct: bool
    ) -> npt.NDArray[np.bool_]:
        keep = np.ones(self.starts.size, dtype=bool)
        if threats is not None:
            keep &= np.isin(self.threats, _indexes(self.threat_labels, threats))
        if sources is not None:
            keep &= np.isin(self.sources, _indexes(self.source_labels, sources))
        if direct:
            keep &= self.direct
        return keep

    def row(self, key: Key) -> dict[str, Any]:
        return {
            "region": key[0],
            "status": key[1],
            "n": int(self.starts.size),
            "starts": self.starts.tobytes(),
            "ends": self.ends.tobytes(),
            "direct": self.direct.astype(np.uint8).tobytes(),
            "threats": self.threats.tobytes(),
            "sources": self.sources.tobytes(),
            "labels": {"threats": list(self.threat_labels), "sources": list(self.source_labels)},
        }

    @classmethod
    def from_row(cls, row: Any) -> Pack:
        return cls(
            np.frombuffer(row.starts, dtype=np.int64),
            np.frombuffer(row.ends, dtype=np.int64),
            np.frombuffer(row.direct, dtype=np.uint8).astype(bool),
            np.frombuffer(row.threats, dtype=np.int16),
            np.frombuffer(row.sources, dtype=np.int16),
            tuple(row.labels["threats"]),
            tuple(row.labels["sources"]),
        )


EMPTY = Pack(
    np.empty(0, np.int64),
    np.empty(0, np.int64),
    np.empty(0, bool),
    np.empty(0, np.int16),
    np.empty(0, np.int16),
    (),
    (),
)


async def invalidate(conn: AsyncConnection, regions: Iterable[RegionCode]) -> None:
    codes = sorted(set(regions))
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        await conn.execute(delete(span_packs).where(span_packs.c.region.in_(chunk)))


async def invalidate_all(conn: AsyncConnection) -> None:
    await conn.execute(delete(span_packs))


async def load(engine: AsyncEngine, keys: Sequence[Key]) -> dict[Key, Pack]:
    """The stored packs of these keys (absent ones are missing from the answer)."""
    wanted = set(keys)
    regions = sorted({k[0] for k in wanted})
    found: dict[Key, Pack] = {}
    async with engine.connect() as conn:
        for start in range(0, len(regions), _CHUNK):
            chunk = regions[start : start + _CHUNK]
            rows = await conn.execute(select(span_packs).where(span_packs.c.region.in_(chunk)))
            for row in rows:
                key = (row.region, row.status)
                if key in wanted:
                    found[key] = Pack.from_row(row)
    return found


async def build(engine: AsyncEngine, keys: Sequence[Key]) -> dict[Key, Pack]:
    """Packs made from `alert_spans` (every key gets one, empty if it has no spans).

    The database hands over each (region, status, threat, source, direct) group's spans as
    one string of `start,end,start,end,…` that NumPy parses in C: a region with 100,000 spans
    is a handful of rows instead of 100,000.
    """
    regions = sorted({k[0] for k in keys})
    statuses = sorted({k[1] for k in keys})
    c = alert_spans.c
    pair = cast(c.start_us, String) + "," + cast(func.coalesce(c.end_us, OPEN_END), String)
    groups = (c.region, c.status, c.threat, c.source, c.direct)
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(regions), _CHUNK):
        query = (
            select(*groups, func.aggregate_strings(pair, ","))
            .where(c.region.in_(regions[start : start + _CHUNK]), c.status.in_(statuses))
            .group_by(*groups)
        )
        rows += await fetch_raw(engine, query)
    grouped: dict[Key, list[tuple[Any, ...]]] = {key: [] for key in keys}
    for row in rows:
        bucket = grouped.get((row[0], row[1]))
        if bucket is not None:
            bucket.append(row)
    return {key: _pack(found) for key, found in grouped.items()}


async def save(conn: AsyncConnection, packs: dict[Key, Pack]) -> None:
    if not packs:
        return
    for start in range(0, len(packs), _CHUNK):
        keys = list(packs)[start : start + _CHUNK]
        regions = sorted({k[0] for k in keys})
        await conn.execute(
            delete(span_packs).where(
                span_packs.c.region.in_(regions), span_packs.c.status.in_({k[1] for k in keys})
            )
        )
    await conn.execute(insert(span_packs), [pack.row(key) for key, pack in packs.items()])


def _pack(groups: list[tuple[Any, ...]]) -> Pack:
    """Groups of (region, status, threat, source, direct, "start,end,start,end,…")."""
    if not groups:
        return EMPTY
    threat_labels = sorted({g[2] for g in groups})
    source_labels = sorted({g[3] for g in groups})
    parts = []
    for _, _, threat, source, direct, text in groups:
        pairs = np.fromstring(text, dtype=np.int64, sep=",").reshape(-1, 2)
        n = len(pairs)
        parts.append(
            (
                pairs,
                np.full(n, bool(direct)),
                np.full(n, threat_labels.index(threat), np.int16),
                np.full(n, source_labels.index(source), np.int16),
            )
        )
    pairs, direct, threats, sources = (
        np.concatenate(column) for column in zip(*parts, strict=True)
    )
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return Pack(
        np.ascontiguousarray(pairs[order, 0]),
        np.ascontiguousarray(pairs[order, 1]),
        direct[order],
        threats[order],
        sources[order],
        tuple(threat_labels),
        tuple(source_labels),
    )


def _indexes(labels: tuple[str, ...], wanted: Iterable[str]) -> list[int]:
    chosen = set(wanted)
    return [i for i, label in enumerate(labels) if label in chosen]

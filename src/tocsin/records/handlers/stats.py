"""Statistics questions: time under alert, counts and durations per region, rankings, time
series, hour-of-day and weekday profiles, and how many regions were under alert at once.

Answers come from the `alert_spans` projection (see `tocsin.records.storage.stats_store`), a
read model rebuilt from the event log: before each question it catches up with the log (live
alerts reach it that way) through the `SpanProjection` port, outside the command bus, and the
spans of a region set are kept in memory until the log moves on, so a second question about the
same region costs no database work. Exercise and test alerts are left out unless asked for.
The questions and their answers are in `tocsin.records.handlers.stats_answers`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from tocsin.domain.regions import Region
from tocsin.domain.threats import Catalogue
from tocsin.errors import InvalidInput
from tocsin.records.domain import stats as st
from tocsin.records.domain.calendar import calendar_edges, parse_every, parse_zone, zone_offsets
from tocsin.records.handlers.stats_answers import (
    Bounds,
    ConcurrencyResult,
    DataSpan,
    Filters,
    ProfileResult,
    RegionStats,
    Series,
    Window,
)
from tocsin.records.storage import span_packs
from tocsin.records.storage.stats_projection import SqlSpanProjection
from tocsin.records.storage.stats_store import OPEN_END, Lineage, SpanArrays, micros
from tocsin.service.ports import Clock
from tocsin.service.regions import RegionService
from tocsin.storage.store import Store
from tocsin.types import RegionCode, Seq

__all__ = [
    "Bounds",
    "ConcurrencyResult",
    "DataSpan",
    "Filters",
    "ProfileResult",
    "RegionStats",
    "Series",
    "SpanProjection",
    "StatsProjector",
    "StatsService",
    "Window",
]

CACHE_SIZE = 64
PACK_CACHE_SIZE = 8192


class SpanProjection(Protocol):
    """The statistics read model (`alert_spans` and its packs), rebuilt from the event log."""

    async def position(self) -> Seq: ...

    async def catch_up(self, lineage: Lineage, batch: int = 1000) -> int: ...

    async def rebuild(self, lineage: Lineage) -> int: ...

    async def load_packs(
        self, keys: Sequence[span_packs.Key]
    ) -> dict[span_packs.Key, span_packs.Pack]: ...

    async def build_packs(
        self, keys: Sequence[span_packs.Key]
    ) -> dict[span_packs.Key, span_packs.Pack]: ...

    async def keep_packs(
        self, packs: dict[span_packs.Key, span_packs.Pack], head: Seq, position: Seq
    ) -> None: ...


class StatsService:
    def __init__(
        self, store: Store, regions: RegionService, catalogue: Catalogue, clock: Clock
    ) -> None:
        self.store = store
        self.regions = regions
        self.catalogue = catalogue
        self.clock = clock
        self.projection: SpanProjection = SqlSpanProjection(store)
        self.projector = StatsProjector(self.projection, regions)
        self._cache: OrderedDict[tuple[Any, ...], SpanArrays] = OrderedDict()
        self._packs_cache: dict[span_packs.Key, span_packs.Pack] = {}
        self._head: Seq = -1

    async def region(self, code: RegionCode, window: Window, filters: Filters) -> RegionStats:
        region = self._region(code)
        spans = await self._spans((code,), filters)
        bounds = self._bounds(window, spans)
        return _region_stats(region, spans, bounds, filters)

    async def span(self, code: RegionCode, filters: Filters) -> DataSpan:
        """The period that has data: the first start and the last end of the region's alerts
        (or its parts'), now while one is open."""
        region = self._region(code)
        spans = await self._spans((code,), filters)
        if not len(spans):
            return DataSpan(region, filters, 0, None, None, False)
        now = micros(self.clock.now())
        still_open = bool((spans.ends == OPEN_END).any())
        last = int(_ends(spans, now).max())
        return DataSpan(region, filters, len(spans), int(spans.starts[0]), last, still_open)

    async def ranking(
        self,
        level: str,
        within: RegionCode | None,
        window: Window,
        filters: Filters,
        *,
        by: str = "seconds",
        limit: int = 50,
    ) -> tuple[Bounds, list[RegionStats]]:
        if by not in ("seconds", "count"):
            raise InvalidInput("by must be seconds or count", field="by")
        regions = self._level(level, within)
        spans = await self._spans(tuple(r.code for r in regions), filters)
        bounds = self._bounds(window, spans)
        out = [_region_stats(r, spans.of(i), bounds, filters) for i, r in enumerate(regions)]
        out.sort(key=lambda s: (-(s.seconds if by == "seconds" else s.count), s.region.code))
        return bounds, out[:limit]

    async def series(
        self, code: RegionCode, window: Window, filters: Filters, *, every: str, tz: str
    ) -> Series:
        region = self._region(code)
        zone = parse_zone(tz)
        spans = await self._spans((code,), filters)
        bounds = self._bounds(window, spans)
        labels, edges = calendar_edges(bounds.lo, bounds.hi, parse_every(every), zone)
        union = st.clip(st.merge(spans.starts, _ends(spans, bounds.now)), bounds.lo, bounds.hi)
        covered = st.covered_per_bucket(union, edges)
        counts = st.started_per_bucket(spans.starts, edges)
        return Series(
            region,
            bounds,
            every,
            tz,
            labels,
            [int(c) for c in counts],
            [float(s) / st.SECOND for s in covered],
        )

    async def profile(
        self, code: RegionCode, window: Window, filters: Filters, *, by: str, tz: str
    ) -> ProfileResult:
        if by not in ("hour", "weekday"):
            raise InvalidInput("a profile is by hour or by weekday", field="by")
        region = self._region(code)
        zone = parse_zone(tz)
        spans = await self._spans((code,), filters)
        bounds = self._bounds(window, spans)
        union = st.clip(st.merge(spans.starts, _ends(spans, bounds.now)), bounds.lo, bounds.hi)
        starts = spans.starts[(spans.starts >= bounds.lo) & (spans.starts < bounds.hi)]
        offsets = zone_offsets(zone, bounds.lo, bounds.hi)
        return ProfileResult(
            region, bounds, by, tz, st.profile(union, starts, bounds.lo, bounds.hi, offsets, by=by)
        )

    async def concurrency(
        self,
        within: RegionCode | None,
        window: Window,
        filters: Filters,
        *,
        level: str | None,
        every: str,
        tz: str,
    ) -> ConcurrencyResult:
        scope = self._region(within or self._default_root())
        zone = parse_zone(tz)
        if level is None:  # the regions alerts named, at any level
            tree = self.regions.tree
            regions = [scope, *(tree.require(c) for c in tree.descendants(scope.code))]
            spans = await self._spans(tuple(r.code for r in regions), filters, direct=True)
        else:
            regions = self._level(level, scope.code)
            spans = await self._spans(tuple(r.code for r in regions), filters)
        bounds = self._bounds(window, spans)
        ends = _ends(spans, bounds.now)
        per_region = []
        for index in np.unique(spans.regions):
            keep = spans.regions == index
            merged = st.merge(spans.starts[keep], ends[keep])
            per_region.append(st.clip(merged, bounds.lo, bounds.hi))
        result = st.concurrency(per_region)
        labels, edges = calendar_edges(bounds.lo, bounds.hi, parse_every(every), zone)
        peaks = [int(p) for p in result.peaks(edges)]
        return ConcurrencyResult(
            scope, level, len(regions), bounds, every, tz, result, labels, peaks
        )

    async def _spans(
        self, codes: tuple[RegionCode, ...], filters: Filters, *, direct: bool = False
    ) -> SpanArrays:
        await self._refresh()
        key = (codes, filters, direct)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        statuses = sorted(filters.statuses)
        packs = await self._packs([(code, status) for code in codes for status in statuses])
        parts = []
        for index, code in enumerate(codes):
            for status in statuses:
                pack = packs[(code, status)]
                keep = pack.select(filters.threats, filters.sources, direct)
                count = int(keep.sum())
                if count:
                    parts.append(
                        (np.full(count, index, np.int64), pack.starts[keep], pack.ends[keep])
                    )
        spans = SpanArrays.join(parts, presorted=len(parts) == 1)
        self._cache[key] = spans
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return spans

    async def _packs(self, keys: list[span_packs.Key]) -> dict[span_packs.Key, span_packs.Pack]:
        missing = [k for k in keys if k not in self._packs_cache]
        if missing:
            found = await self.projection.load_packs(missing)
            absent = [k for k in missing if k not in found]
            if absent:
                head, position = self._head, await self.projection.position()
                built = await self.projection.build_packs(absent)
                await self.projection.keep_packs(built, head, position)
                found.update(built)
            self._packs_cache.update(found)
        out = {k: self._packs_cache[k] for k in keys}
        while len(self._packs_cache) > PACK_CACHE_SIZE:
            self._packs_cache.pop(next(iter(self._packs_cache)))
        return out

    async def _refresh(self) -> None:
        head = await self.store.last_seq()
        if head != self._head:
            await self.projector.catch_up()
            self._cache.clear()
            self._packs_cache.clear()
            self._head = head

    def _bounds(self, window: Window, spans: SpanArrays) -> Bounds:
        window.check()
        now = micros(self.clock.now())
        if window.since is not None:
            lo = micros(window.since)
        elif len(spans):
            lo = int(spans.starts[0])
        else:
            lo = now
        if window.until is not None:
            hi = micros(window.until)
        elif len(spans):  # to the last end (or now, while an alert is open)
            hi = int(np.where(spans.ends == OPEN_END, now, spans.ends).max())
        else:
            hi = now
        return Bounds(lo, max(hi, lo), now)

    def _region(self, code: RegionCode) -> Region:
        return self.regions.tree.require(code, field="region")

    def _level(self, level: str, within: RegionCode | None) -> list[Region]:
        tree = self.regions.tree
        if within is not None:
            tree.require(within, field="within")
            pool = [tree.require(c) for c in (within, *tree.descendants(within))]
        else:
            pool = list(tree)
        chosen = [r for r in pool if r.level == level]
        if not chosen:
            levels = sorted({r.level for r in pool})
            raise InvalidInput(
                f"no regions of level {level!r} there; levels: {', '.join(levels)}", field="level"
            )
        return sorted(chosen, key=lambda r: r.code)

    def _default_root(self) -> RegionCode:
        roots = self.regions.tree.roots()
        if not roots:
            raise InvalidInput("no regions are loaded", field="within")
        codes = [r.code for r in roots]
        return "UA" if "UA" in codes else codes[0]


class StatsProjector:
    """Keeps `alert_spans` in step with alerts of the live path by following the event log."""

    def __init__(self, projection: SpanProjection, regions: RegionService) -> None:
        self.projection = projection
        self.regions = regions

    async def catch_up(self, batch: int = 1000) -> int:
        """Apply every event not yet applied; returns how many alerts were (re)projected."""
        return await self.projection.catch_up(self._lineage, batch)

    async def rebuild(self) -> int:
        """Forget the projection of live alerts and build it again from the log."""
        return await self.projection.rebuild(self._lineage)

    def _lineage(self, code: RegionCode) -> list[RegionCode]:
        tree = self.regions.tree
        return [code, *tree.ancestors(code)] if code in tree else [code]


def _region_stats(
    region: Region, spans: SpanArrays, bounds: Bounds, filters: Filters
) -> RegionStats:
    ends = _ends(spans, bounds.now)
    union = st.clip(st.merge(spans.starts, ends), bounds.lo, bounds.hi)
    inside = (spans.starts >= bounds.lo) & (spans.starts < bounds.hi)
    finished = inside & (spans.ends != OPEN_END)
    durations = st.Durations.of(spans.ends[finished] - spans.starts[finished])
    return RegionStats(
        region, bounds, filters, int(inside.sum()), union.total / st.SECOND, durations
    )


def _ends(spans: SpanArrays, now: int) -> st.Times:
    return np.where(spans.ends == OPEN_END, np.maximum(now, spans.starts), spans.ends)

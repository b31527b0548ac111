"""Statistics questions: time under alert, counts and durations per region, rankings, time
series, hour-of-day and weekday profiles, and how many regions were under alert at once.

Answers come from the `alert_spans` projection (see `tocsin.records.storage.stats_store`).
Before each question the projection catches up with the event log (live alerts reach it that
way), and the spans of a region set are kept in memory until the log moves on, so a second question
about the same region costs no database work. Exercise and test alerts are left out unless
asked for.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from sqlalchemy import func, select

from tocsin.domain.alerts import Alert, Status
from tocsin.domain.regions import Region
from tocsin.domain.threats import Catalogue
from tocsin.errors import InvalidInput
from tocsin.records.domain import stats as st
from tocsin.records.storage import span_packs
from tocsin.records.storage import stats_store as ss
from tocsin.records.storage.stats_store import OPEN_END, SpanArrays, StatsStore, from_micros, micros
from tocsin.service.ports import Clock
from tocsin.service.regions import RegionService
from tocsin.storage import tables as t
from tocsin.storage.store import Store
from tocsin.types import RegionCode, Seq, iso_time

Every = Literal["hour", "day", "week", "month", "year"]
EVERY: tuple[str, ...] = ("hour", "day", "week", "month", "year")
PROJECTOR = "stats"
CACHE_SIZE = 64
PACK_CACHE_SIZE = 8192


@dataclass(frozen=True, slots=True)
class Filters:
    statuses: frozenset[str] = frozenset({Status.ACTUAL.value})
    threats: frozenset[str] | None = None
    sources: frozenset[str] | None = None

    @classmethod
    def parse(
        cls,
        status: str | None = None,
        threat: str | None = None,
        source: str | None = None,
        catalogue: Catalogue | None = None,
    ) -> Filters:
        """`status`: actual (default), a list like `exercise,test`, or `all`; `threat`: ids;
        `source`: e.g. `ua-official` (a history data set), `api`, `cap`."""
        statuses = _statuses(status or "actual")
        threats = _names(threat)
        if threats is not None and catalogue is not None:
            for threat_id in threats:
                catalogue.require(threat_id, field="threat")
        return cls(statuses, threats, _names(source))

    def to_json(self) -> dict[str, Any]:
        return {
            "status": sorted(self.statuses),
            "threat": None if self.threats is None else sorted(self.threats),
            "source": None if self.sources is None else sorted(self.sources),
        }


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime | None = None
    until: datetime | None = None

    def check(self) -> Window:
        for name, value in (("since", self.since), ("until", self.until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(
                    f"{name} needs a time zone (e.g. 2024-01-01T00:00:00Z)", field=name
                )
        if self.since and self.until and self.until <= self.since:
            raise InvalidInput("until must be after since", field="until")
        return self


@dataclass(frozen=True, slots=True)
class Bounds:
    """A resolved window in microseconds, and the moment taken as "now" for open alerts."""

    lo: int
    hi: int
    now: int

    @property
    def seconds(self) -> float:
        return (self.hi - self.lo) / st.SECOND

    def to_json(self) -> dict[str, str]:
        return {"since": iso_time(from_micros(self.lo)), "until": iso_time(from_micros(self.hi))}


@dataclass(frozen=True, slots=True)
class RegionStats:
    region: Region
    bounds: Bounds
    filters: Filters
    count: int
    seconds: float
    durations: st.Durations

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        share = self.seconds / self.bounds.seconds if self.bounds.seconds > 0 else 0.0
        return {
            "region": self.region.code,
            "name": self.region.name(lang),
            "level": self.region.level,
            **self.bounds.to_json(),
            "count": self.count,
            "seconds": self.seconds,
            "hours": round(self.seconds / 3600, 6),
            "share": share,
            "durations": {
                "count": self.durations.count,
                "mean": self.durations.mean,
                "median": self.durations.median,
                "p95": self.durations.p95,
                "longest": self.durations.longest,
            },
            "filters": self.filters.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Series:
    region: Region
    bounds: Bounds
    every: str
    tz: str
    labels: list[datetime]
    alerts: list[int]
    seconds: list[float]

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {
            "region": self.region.code,
            "name": self.region.name(lang),
            **self.bounds.to_json(),
            "every": self.every,
            "tz": self.tz,
            "buckets": [
                {"start": label.isoformat(), "alerts": a, "seconds": s, "hours": s / 3600}
                for label, a, s in zip(self.labels, self.alerts, self.seconds, strict=True)
            ],
        }


@dataclass(frozen=True, slots=True)
class ProfileResult:
    region: Region
    bounds: Bounds
    by: str
    tz: str
    profile: st.Profile

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        names = [f"{h:02d}" for h in range(24)] if self.by == "hour" else list(WEEKDAYS)
        p = self.profile
        return {
            "region": self.region.code,
            "name": self.region.name(lang),
            **self.bounds.to_json(),
            "by": self.by,
            "tz": self.tz,
            "slots": [
                {
                    "slot": i,
                    "label": names[i],
                    "alerts": int(p.starts[i]),
                    "seconds": float(p.seconds[i]),
                    "share": float(p.share[i]),
                }
                for i in range(len(names))
            ],
        }


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class ConcurrencyResult:
    within: Region
    level: str | None
    regions: int
    bounds: Bounds
    every: str
    tz: str
    result: st.Concurrency
    labels: list[datetime] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        peak_at = self.result.peak_at
        return {
            "within": self.within.code,
            "name": self.within.name(lang),
            "level": self.level or "alerted",
            "regions": self.regions,
            **self.bounds.to_json(),
            "peak": self.result.peak,
            "peak_at": None if peak_at is None else iso_time(from_micros(peak_at)),
            "every": self.every,
            "tz": self.tz,
            "buckets": [
                {"start": label.isoformat(), "peak": peak}
                for label, peak in zip(self.labels, self.peaks, strict=True)
            ],
        }


class StatsService:
    def __init__(
        self, store: Store, regions: RegionService, catalogue: Catalogue, clock: Clock
    ) -> None:
        self.store = store
        self.regions = regions
        self.catalogue = catalogue
        self.clock = clock
        self.spans = StatsStore(store.engine)
        self.projector = StatsProjector(store, regions)
        self._cache: OrderedDict[tuple[Any, ...], SpanArrays] = OrderedDict()
        self._packs_cache: dict[span_packs.Key, span_packs.Pack] = {}
        self._head: Seq = -1

    async def region(self, code: RegionCode, window: Window, filters: Filters) -> RegionStats:
        region = self._region(code)
        spans = await self._spans((code,), filters)
        bounds = self._bounds(window, spans)
        return _region_stats(region, spans, bounds, filters)

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
        zone = _zone(tz)
        spans = await self._spans((code,), filters)
        bounds = self._bounds(window, spans)
        labels, edges = calendar_edges(bounds.lo, bounds.hi, _every(every), zone)
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
        zone = _zone(tz)
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
        zone = _zone(tz)
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
        labels, edges = calendar_edges(bounds.lo, bounds.hi, _every(every), zone)
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
            found = await span_packs.load(self.store.engine, missing)
            absent = [k for k in missing if k not in found]
            if absent:
                head, position = self._head, await self.spans.position(PROJECTOR)
                built = await span_packs.build(self.store.engine, absent)
                await self._save(built, head, position)
                found.update(built)
            self._packs_cache.update(found)
        out = {k: self._packs_cache[k] for k in keys}
        while len(self._packs_cache) > PACK_CACHE_SIZE:
            self._packs_cache.pop(next(iter(self._packs_cache)))
        return out

    async def _save(
        self, packs: dict[span_packs.Key, span_packs.Pack], head: Seq, position: Seq
    ) -> None:
        """Keep packs for next time, unless the spans may have changed since they were read."""
        async with self.store.write() as tx:
            if await tx.conn.scalar(select(func.max(t.events.c.seq))) != (head or None):
                return
            if await ss.get_position(tx.conn, PROJECTOR) != position:
                return
            await span_packs.save(tx.conn, packs)

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

    def __init__(self, store: Store, regions: RegionService) -> None:
        self.store = store
        self.regions = regions

    async def catch_up(self, batch: int = 1000) -> int:
        """Apply every event not yet applied; returns how many alerts were (re)projected."""
        projected = 0
        while True:
            async with self.store.write() as tx:
                position = await ss.get_position(tx.conn, PROJECTOR)
                events = await self.store.events_after(position, batch)
                if not events:
                    return projected
                latest: dict[str, Alert] = {}
                for event in events:
                    if event.type.startswith("alert.") and "alert" in event.data:
                        alert = Alert.from_json(event.data["alert"])
                        latest[alert.id] = alert
                touched = await ss.replace_spans(tx.conn, list(latest.values()), self._lineage)
                await span_packs.invalidate(tx.conn, touched)
                await ss.set_position(tx.conn, PROJECTOR, events[-1].seq)
                projected += len(latest)

    async def rebuild(self) -> int:
        """Forget the projection of live alerts and build it again from the log."""
        async with self.store.write() as tx:
            await ss.set_position(tx.conn, PROJECTOR, 0)
            await span_packs.invalidate_all(tx.conn)
        return await self.catch_up()

    def _lineage(self, code: RegionCode) -> list[RegionCode]:
        tree = self.regions.tree
        return [code, *tree.ancestors(code)] if code in tree else [code]


def calendar_edges(lo: int, hi: int, every: str, zone: ZoneInfo) -> tuple[list[datetime], st.Times]:
    """Local calendar buckets covering [lo, hi): their starts (local) and the cut points,
    the first and last cut being lo and hi themselves."""
    start = _floor(from_micros(lo).astimezone(zone), every)
    labels = [start]
    cuts = [lo]
    current = start
    limit = 200_000
    while True:
        current = _next(current, every, zone)
        moment = micros(current)
        if moment >= hi:
            break
        labels.append(current)
        cuts.append(moment)
        if len(cuts) > limit:
            raise InvalidInput(
                f"too many {every} buckets in this window (more than {limit})", field="every"
            )
    cuts.append(hi)
    return labels, np.array(cuts, dtype=np.int64)


def zone_offsets(zone: ZoneInfo, lo: int, hi: int) -> st.Offsets:
    """The zone's UTC offsets over [lo, hi] as a step function (transitions to the second)."""
    day = 86_400
    first, last = lo // st.SECOND - day, hi // st.SECOND + day
    since = [np.iinfo(np.int64).min]
    offsets = [_offset(zone, first)]
    t = first
    while t < last:
        nxt = min(t + day, last)
        if _offset(zone, nxt) != offsets[-1]:
            a, b = t, nxt  # offset(a) == previous, offset(b) differs
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(zone, mid) == offsets[-1]:
                    a = mid
                else:
                    b = mid
            since.append(b * st.SECOND)
            offsets.append(_offset(zone, b))
        t = nxt
    return st.Offsets(np.array(since, np.int64), np.array(offsets, np.int64))


def _offset(zone: ZoneInfo, seconds: int) -> int:
    delta = datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()
    return 0 if delta is None else int(delta.total_seconds()) * st.SECOND


def _floor(moment: datetime, every: str) -> datetime:
    if every == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if every == "day":
        return _localize(day)
    if every == "week":
        return _localize(day - timedelta(days=day.weekday()))
    if every == "month":
        return _localize(day.replace(day=1))
    return _localize(day.replace(month=1, day=1))


def _next(moment: datetime, every: str, zone: ZoneInfo) -> datetime:
    if every == "hour":
        return (moment.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
    local = moment.date()
    if every == "day":
        nxt = local + timedelta(days=1)
    elif every == "week":
        nxt = local + timedelta(days=7)
    elif every == "month":
        nxt = date(local.year + local.month // 12, local.month % 12 + 1, 1)
    else:
        nxt = date(local.year + 1, 1, 1)
    return datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)


def _localize(moment: datetime) -> datetime:
    """The same wall-clock time with the offset that applies then (after a date change)."""
    return datetime(moment.year, moment.month, moment.day, moment.hour, tzinfo=moment.tzinfo)


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


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r} (e.g. UTC, Europe/Kyiv)", field="tz"
        ) from None


def _every(text: str) -> str:
    if text not in EVERY:
        raise InvalidInput(f"every must be one of {', '.join(EVERY)}", field="every")
    return text


def _statuses(text: str) -> frozenset[str]:
    if text.strip() == "all":
        return frozenset(s.value for s in Status)
    out = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            out.add(Status(part).value)
        except ValueError:
            raise InvalidInput(
                f"status must be actual, exercise, test (comma-separated) or all; got {part!r}",
                field="status",
            ) from None
    if not out:
        raise InvalidInput("status must name at least one status, or all", field="status")
    return frozenset(out)


def _names(text: str | None) -> frozenset[str] | None:
    if text is None or not text.strip():
        return None
    return frozenset(p.strip() for p in text.split(",") if p.strip())

"""Statistics of time under alert: pure interval arithmetic over NumPy arrays.

Times are integer microseconds since the Unix epoch (int64); intervals are half-open
[start, end). A region's alerts may overlap (two alerts for one raion, an oblast alert over a
hromada alert): `merge` unites them, so time under alert is never counted twice. Nothing here
reads a clock, a database or a time zone database; the service hands in what it needs
(window bounds, bucket edges, UTC offsets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

Times = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR
EMPTY: Times = np.empty(0, dtype=np.int64)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (`moment` must be aware)."""
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)


@dataclass(frozen=True, slots=True)
class Intervals:
    """Disjoint, sorted intervals: the union of some alerts."""

    starts: Times
    ends: Times

    def __len__(self) -> int:
        return int(self.starts.size)

    @property
    def total(self) -> int:
        """Microseconds covered."""
        return int((self.ends - self.starts).sum())


@dataclass(frozen=True, slots=True)
class Durations:
    """Durations of alerts, in seconds."""

    count: int
    total: float
    mean: float | None
    median: float | None
    p95: float | None
    longest: float | None

    @classmethod
    def of(cls, micros: Times) -> Durations:
        if micros.size == 0:
            return cls(0, 0.0, None, None, None, None)
        seconds = micros.astype(np.float64) / SECOND
        median, p95 = np.percentile(seconds, [50, 95])  # linear interpolation
        return cls(
            int(seconds.size),
            float(seconds.sum()),
            float(seconds.mean()),
            float(median),
            float(p95),
            float(seconds.max()),
        )


@dataclass(frozen=True, slots=True)
class Offsets:
    """A time zone as a step function: from each `since` on, local time = UTC + `offset`."""

    since: Times
    offsets: Times

    @classmethod
    def utc(cls) -> Offsets:
        return cls(np.array([np.iinfo(np.int64).min], dtype=np.int64), np.zeros(1, np.int64))

    def at(self, times: Times) -> Times:
        index = np.searchsorted(self.since, times, side="right") - 1
        return self.offsets[np.maximum(index, 0)]

    def local(self, times: Times) -> Times:
        return times + self.at(times)

    @property
    def whole_hours(self) -> bool:
        return bool((self.offsets % HOUR == 0).all())


@dataclass(frozen=True, slots=True)
class Concurrency:
    """How many regions were under alert at once: the step function and its peak."""

    times: Times
    levels: npt.NDArray[np.int64]
    peak: int
    peak_at: int | None

    def level_at(self, moments: Times) -> npt.NDArray[np.int64]:
        if self.levels.size == 0:  # nothing was under alert
            return np.zeros(moments.size, dtype=np.int64)
        index = np.searchsorted(self.times, moments, side="right") - 1
        out = np.where(index >= 0, self.levels[np.maximum(index, 0)], 0)
        return out.astype(np.int64)

    def peaks(self, edges: Times) -> npt.NDArray[np.int64]:
        """The highest level within each bucket [edges[i], edges[i+1])."""
        out = self.level_at(edges[:-1])
        lo = np.searchsorted(self.times, edges[:-1], side="right")
        hi = np.searchsorted(self.times, edges[1:], side="left")
        for i in np.flatnonzero(hi > lo):
            out[i] = max(int(out[i]), int(self.levels[lo[i] : hi[i]].max()))
        return out


def merge(starts: Times, ends: Times) -> Intervals:
    """The union of intervals given sorted by start."""
    if starts.size == 0:
        return Intervals(EMPTY, EMPTY)
    reach = np.maximum.accumulate(ends)
    opens = np.empty(starts.size, dtype=bool)
    opens[0] = True
    opens[1:] = starts[1:] > reach[:-1]
    first = np.flatnonzero(opens)
    return Intervals(starts[first], np.maximum.reduceat(ends, first))


def clip(intervals: Intervals, lo: int, hi: int) -> Intervals:
    """The parts of disjoint intervals inside [lo, hi)."""
    starts = np.maximum(intervals.starts, lo)
    ends = np.minimum(intervals.ends, hi)
    keep = ends > starts
    return Intervals(starts[keep], ends[keep])


def covered_before(intervals: Intervals, moments: Times) -> Times:
    """For each moment t, the microseconds of the (disjoint) intervals before t."""
    if len(intervals) == 0:
        return np.zeros(moments.size, dtype=np.int64)
    lengths = intervals.ends - intervals.starts
    prefix = np.concatenate(([0], np.cumsum(lengths)))
    k = np.searchsorted(intervals.starts, moments, side="left")
    overshoot = np.where(k > 0, np.maximum(intervals.ends[np.maximum(k - 1, 0)] - moments, 0), 0)
    return (prefix[k] - overshoot).astype(np.int64)


def covered_per_bucket(intervals: Intervals, edges: Times) -> Times:
    """Microseconds under alert within each bucket [edges[i], edges[i+1])."""
    return np.diff(covered_before(intervals, edges))


def started_per_bucket(starts: Times, edges: Times) -> npt.NDArray[np.int64]:
    """How many of the (sorted) starts fall in each bucket."""
    return np.diff(np.searchsorted(starts, edges, side="left")).astype(np.int64)


def concurrency(per_region: Sequence[Intervals]) -> Concurrency:
    """Sweep the regions' (each already united) intervals; an end and a start at the same
    moment are an end first, so back-to-back alerts never count twice."""
    starts = [i.starts for i in per_region if len(i)]
    if not starts:
        return Concurrency(EMPTY, EMPTY, 0, None)
    ends = [i.ends for i in per_region if len(i)]
    times = np.concatenate([*starts, *ends])
    steps = np.concatenate(
        [
            np.ones(sum(s.size for s in starts), np.int64),
            -np.ones(sum(e.size for e in ends), np.int64),
        ]
    )
    order = np.lexsort((steps, times))
    times, levels = times[order], np.cumsum(steps[order])
    last = np.flatnonzero(np.append(times[1:] != times[:-1], True))  # after all at one moment
    times, levels = times[last], levels[last]
    top = int(np.argmax(levels))
    return Concurrency(times, levels, int(levels[top]), int(times[top]))


def profile_edges(lo: int, hi: int, offsets: Offsets) -> Times:
    """Cut [lo, hi) at every local hour (every quarter hour in zones with such offsets)."""
    step = HOUR if offsets.whole_hours else HOUR // 4
    inner = np.arange((lo // step + 1) * step, hi, step, dtype=np.int64)
    return np.concatenate(([lo], inner, [hi])).astype(np.int64)


def hour_of_day(times: Times, offsets: Offsets) -> npt.NDArray[np.int64]:
    return ((offsets.local(times) // HOUR) % 24).astype(np.int64)


def weekday(times: Times, offsets: Offsets) -> npt.NDArray[np.int64]:
    """0 = Monday (1970-01-01 was a Thursday)."""
    return ((offsets.local(times) // DAY + 3) % 7).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Profile:
    """Per slot (hour of day or weekday): alerts started, seconds under alert, and the share
    of the window's time in that slot spent under alert."""

    starts: npt.NDArray[np.int64]
    seconds: Floats
    share: Floats


def profile(
    intervals: Intervals, starts: Times, lo: int, hi: int, offsets: Offsets, *, by: str
) -> Profile:
    slot_of = hour_of_day if by == "hour" else weekday
    slots = 24 if by == "hour" else 7
    edges = profile_edges(lo, hi, offsets)
    cells = edges[:-1]
    slot = slot_of(cells, offsets)
    covered = covered_per_bucket(intervals, edges).astype(np.float64)
    seconds = np.bincount(slot, weights=covered, minlength=slots) / SECOND
    available = np.bincount(slot, weights=np.diff(edges).astype(np.float64), minlength=slots)
    share = np.divide(seconds * SECOND, available, out=np.zeros(slots), where=available > 0)
    counts = np.bincount(slot_of(starts, offsets), minlength=slots).astype(np.int64)
    return Profile(counts, seconds, share)

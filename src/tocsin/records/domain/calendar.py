"""Local calendars for statistics: bucket edges in a time zone, and a zone's UTC offsets.

Times are integer microseconds since the epoch, as in `tocsin.records.domain.stats`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from tocsin.errors import InvalidInput
from tocsin.records.domain import stats as st
from tocsin.records.domain.stats import from_micros, micros

EVERY: tuple[str, ...] = ("hour", "day", "week", "month", "year")


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


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r} (e.g. UTC, Europe/Kyiv)", field="tz"
        ) from None


def parse_every(text: str) -> str:
    if text not in EVERY:
        raise InvalidInput(f"every must be one of {', '.join(EVERY)}", field="every")
    return text

"""Interval arithmetic of `tocsin.records.domain.stats`, on small cases worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tocsin.records.domain import stats as st
from tocsin.records.domain.calendar import calendar_edges, zone_offsets

H = st.HOUR


def arr(*values: int) -> st.Times:
    return np.array(values, dtype=np.int64)


def test_merge_unites_overlapping_and_touching_intervals() -> None:
    merged = st.merge(arr(0, 5, 10, 20, 30), arr(10, 7, 15, 25, 31))
    assert merged.starts.tolist() == [0, 20, 30]
    assert merged.ends.tolist() == [15, 25, 31]
    assert merged.total == 15 + 5 + 1
    assert len(st.merge(arr(), arr())) == 0


def test_clip_and_coverage_before() -> None:
    union = st.Intervals(arr(0, 20), arr(10, 30))
    clipped = st.clip(union, 5, 25)
    assert (clipped.starts.tolist(), clipped.ends.tolist()) == ([5, 20], [10, 25])
    assert st.covered_before(union, arr(-5, 0, 5, 15, 25, 40)).tolist() == [0, 0, 5, 10, 15, 20]
    assert st.covered_per_bucket(union, arr(0, 10, 20, 40)).tolist() == [10, 0, 10]
    assert st.started_per_bucket(arr(0, 5, 20), arr(0, 10, 20, 40)).tolist() == [2, 0, 1]


def test_durations_use_linear_percentiles() -> None:
    d = st.Durations.of(arr(*(s * st.SECOND for s in (60, 120, 180, 240, 3600))))
    assert (d.count, d.median, d.longest, d.total) == (5, 180.0, 3600.0, 4200.0)
    assert d.p95 == pytest.approx(240 + 0.8 * (3600 - 240))
    assert st.Durations.of(arr()).median is None


def test_concurrency_counts_an_end_before_a_start_at_the_same_moment() -> None:
    a = st.Intervals(arr(0, 10), arr(10, 20))  # back to back in one region
    b = st.Intervals(arr(10), arr(15))
    c = st.Intervals(arr(12), arr(30))
    result = st.concurrency([a, b, c])
    assert (result.peak, result.peak_at) == (3, 12)
    assert result.level_at(arr(-1, 0, 10, 14, 15, 25, 30)).tolist() == [0, 1, 2, 3, 2, 1, 0]
    assert result.peaks(arr(0, 11, 16, 40)).tolist() == [2, 3, 2]
    assert st.concurrency([]).peak == 0


def test_hour_profile_splits_an_alert_across_hours() -> None:
    union = st.Intervals(arr(H // 2), arr(2 * H + H // 4))  # 00:30 – 02:15 UTC
    profile = st.profile(union, arr(H // 2), 0, st.DAY, st.Offsets.utc(), by="hour")
    assert profile.seconds[:3].tolist() == [1800.0, 3600.0, 900.0]
    assert profile.starts[0] == 1 and profile.starts.sum() == 1
    assert profile.share[1] == 1.0 and profile.share[5] == 0.0


def test_weekday_profile_in_a_time_zone() -> None:
    monday = int(datetime(2024, 1, 1, 23, 30, tzinfo=UTC).timestamp()) * st.SECOND
    kyiv = zone_offsets(ZoneInfo("Europe/Kyiv"), monday - st.DAY, monday + st.DAY)
    assert st.weekday(arr(monday), kyiv).tolist() == [1]  # 01:30 on Tuesday in Kyiv
    assert st.weekday(arr(monday), st.Offsets.utc()).tolist() == [0]
    assert st.hour_of_day(arr(monday), kyiv).tolist() == [1]


def test_zone_offsets_find_daylight_saving_changes() -> None:
    lo = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) * st.SECOND
    hi = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) * st.SECOND
    offsets = zone_offsets(ZoneInfo("Europe/Kyiv"), lo, hi)
    changes = [datetime.fromtimestamp(int(t) // st.SECOND, UTC) for t in offsets.since[1:]]
    assert changes == [datetime(2024, 3, 31, 1, tzinfo=UTC), datetime(2024, 10, 27, 1, tzinfo=UTC)]
    assert (offsets.offsets // H).tolist() == [2, 3, 2]


def test_calendar_edges_follow_local_midnights() -> None:
    lo = int(datetime(2024, 3, 30, 12, tzinfo=UTC).timestamp()) * st.SECOND
    hi = int(datetime(2024, 4, 1, 12, tzinfo=UTC).timestamp()) * st.SECOND
    labels, edges = calendar_edges(lo, hi, "day", ZoneInfo("Europe/Kyiv"))
    assert [label.isoformat() for label in labels] == [
        "2024-03-30T00:00:00+02:00",
        "2024-03-31T00:00:00+02:00",
        "2024-04-01T00:00:00+03:00",
    ]
    assert np.diff(edges).tolist()[1] == 23 * H  # the day the clocks go forward
    labels, _ = calendar_edges(lo, hi + 40 * st.DAY, "month", ZoneInfo("UTC"))
    assert [label.isoformat()[:7] for label in labels] == ["2024-03", "2024-04", "2024-05"]

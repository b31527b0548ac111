"""The live state: folded from the log, restored from a snapshot and caught up, it answers every
public read as the database does, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from live_support import afternoon, assert_answers_as_the_store, folded, morning, raise_

from conftest import START
from tocsin.bootstrap import Tocsin
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.events import Event
from tocsin.domain.regions import Region
from tocsin.live import snapshot
from tocsin.live.follow import Follower
from tocsin.live.state import LiveState, LogGap, NotHeld
from tocsin.service.ports import HistoryQuery, ManualClock
from tocsin.streams.log import LocalFeed


async def test_folded_from_the_start_it_answers_as_the_store(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    made = await morning(tocsin, clock)
    await afternoon(tocsin, clock, made)
    state = await folded(tocsin, clock)
    await assert_answers_as_the_store(state, tocsin)
    assert await state.get_alert(made["old"].id) is None  # closed past the retention: dropped
    assert made["approved"].id in {a.id for a in await state.open_alerts()}


async def test_restored_from_a_snapshot_and_caught_up_it_is_the_state_folded_from_the_start(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    made = await morning(tocsin, clock)
    taken = await tocsin.snapshot()
    at = await tocsin.store.last_seq()
    await afternoon(tocsin, clock, made)
    retention = tocsin.cap.config.retention
    kept: dict[str, Any] = {"clock": clock, "retention": retention}
    restored = LiveState.from_snapshot(taken, **kept)
    assert restored.head == at
    await Follower(restored, LocalFeed(tocsin.store)).catch_up()
    await assert_answers_as_the_store(restored, tocsin)
    from_start = await folded(tocsin, clock)
    assert _bytes(restored) == _bytes(from_start)
    assert _bytes(restored) == _bytes(snapshot.restore(await tocsin.snapshot(), **kept))


async def test_a_snapshot_read_while_the_writer_commits_catches_up_all_the_same(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    """The seq is read first; what the database shows past it is skipped when caught up."""
    made = await morning(tocsin, clock)
    at = await tocsin.store.last_seq()
    await afternoon(tocsin, clock, made)
    taken = snapshot.Snapshot.decode(await tocsin.snapshot())
    early = snapshot.Snapshot(
        at, at, taken.regions, taken.last_change, taken.alerts
    )  # as if the seq were read before the afternoon's commits
    state = early.state(clock=clock, retention=tocsin.cap.config.retention, elsewhere="w")
    await Follower(state, LocalFeed(tocsin.store)).catch_up()
    await assert_answers_as_the_store(state, tocsin)


async def test_closed_alerts_are_dropped_once_past_the_retention(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    state = await folded(tocsin, clock)
    feed = Follower(state, LocalFeed(tocsin.store))
    alert = await raise_(tocsin, "air", "UA-63")
    await tocsin.alerts.end(alert.id, LOCAL_ADMIN)
    await feed.catch_up()
    assert len(await state.alert_events(alert.id)) == 2
    clock.advance(tocsin.cap.config.retention.total_seconds())
    assert await state.get_alert(alert.id) is not None  # closed exactly the retention ago
    clock.advance(1)
    assert await state.alert_events(alert.id) == []
    assert state.held == []
    await assert_answers_as_the_store(state, tocsin)


async def test_history_is_answered_within_the_retention_and_refused_before_it(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    state = await folded(tocsin, clock)
    state.elsewhere = "https://writer.example"
    with pytest.raises(NotHeld, match=r"https://writer\.example") as refused:
        await state.history(HistoryQuery(since=state.horizon - timedelta(seconds=1)))
    assert refused.value.status == 503
    with pytest.raises(NotHeld):
        await state.history(HistoryQuery())
    assert await state.history(HistoryQuery(since=state.horizon)) == []


async def test_a_gap_in_the_log_stops_the_state_where_it_was(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    await raise_(tocsin, "air", "UA-63")
    await raise_(tocsin, "air", "UA-59")
    events = await tocsin.store.events_after(0, 10_000)
    state = LiveState(clock=clock, retention=timedelta(hours=1))
    with pytest.raises(LogGap, match="skipped"):
        state.apply([*events[:-2], events[-1]])
    assert state.head == events[-3].seq
    assert await state.open_alerts() == []
    state.apply(events)  # what was applied already is skipped
    assert {a.regions for a in await state.open_alerts()} == {("UA-63",), ("UA-59",)}


async def test_regions_imported_after_the_tree_make_it_stale_until_a_newer_one_comes(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    state = await folded(tocsin, clock)
    assert not state.regions_stale
    region = Region(code="XX", level="country", names={"en": "Elsewhere"})
    await tocsin.regions.import_regions([region], LOCAL_ADMIN, pack="xx")
    await Follower(state, LocalFeed(tocsin.store)).catch_up()
    assert state.regions_stale
    assert "XX" not in state.tree
    taken = snapshot.Snapshot.decode(await tocsin.snapshot())
    assert not state.adopt_regions(taken.regions, taken.regions_at - 1_000_000)
    assert state.adopt_regions(taken.regions, taken.regions_at)
    assert "XX" in state.tree
    assert not state.regions_stale


def test_bytes_that_are_not_a_snapshot_are_refused() -> None:
    clock = ManualClock(START)
    for data in (b"", b"[]", b'{"format": 99}', b'{"format": 1}'):
        with pytest.raises(snapshot.SnapshotError):
            snapshot.restore(data, clock=clock, retention=timedelta(hours=1))


def test_an_empty_state_round_trips() -> None:
    clock = ManualClock(START)
    state = LiveState(clock=clock, retention=timedelta(hours=1), head=7)
    again = snapshot.restore(snapshot.encode(state), clock=clock, retention=state.retention)
    assert (again.head, again.regions_at, len(again.tree), again.held) == (7, 7, 0, [])


def test_events_of_other_kinds_only_move_the_head() -> None:
    clock = ManualClock(START)
    state = LiveState(clock=clock, retention=timedelta(hours=1))
    other = Event(1, "e1", "siren.faulty", clock.now(), "bridge", None, {"siren": "s1"})
    unknown = Event(2, "e2", "future.kind", clock.now(), "x", None, {})
    state.apply([other, unknown])
    assert (state.head, state.held, state.last_change) == (2, [], None)


def _bytes(state: LiveState) -> bytes:
    """The state's snapshot, but for the seq of its region tree (taken at different times)."""
    return replace(snapshot.of(state), regions_at=0).encode()

"""Drills carried out by the scheduler on a real database: announced, raised as an exercise,
ended; postponed or skipped for an actual alert; raised once when two nodes tick at once;
carried on after a restart. And, over the in-memory bus, that no drill raises an actual alert."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.domain import commands as c
from tocsin.domain.alerts import Alert, Phase, RaiseAlert, Status
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role
from tocsin.domain.drills import (
    ANNOUNCED,
    ENDED,
    MAX_POSTPONE,
    POSTPONE_SECONDS,
    RUNNING,
    SKIPPED,
    STATES,
    DrillRecord,
    drill_alert,
)
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.threats import builtin
from tocsin.errors import Forbidden, TocsinError
from tocsin.service import alerts as alert_handlers
from tocsin.service import drills as drill_handlers
from tocsin.service.bus import CommandBus
from tocsin.service.drills import DrillService
from tocsin.service.ports import ManualClock
from tocsin.storage.memory import MemoryState, MemoryUnitOfWorkFactory

KHARKIV = "UA-63"


async def schedule(t: Tocsin, _actor: Actor = LOCAL_ADMIN, **fields: Any) -> DrillRecord:
    values: dict[str, Any] = {
        "title": "Spring drill",
        "threat": "missile",
        "regions": (KHARKIV,),
        "scheduled_for": t.clock.now() + timedelta(hours=2),
        "announce_before": 3600,
        "duration": 600,
        "sirens": True,
    }
    return await t.drills.schedule(_actor, **{**values, **fields})


async def events_of(t: Tocsin, kind: str) -> list[Any]:
    return await t.store.events_of_type(kind)


def clock_of(t: Tocsin) -> ManualClock:
    assert isinstance(t.clock, ManualClock)
    return t.clock


async def test_a_drill_is_announced_raised_as_an_exercise_and_ends_by_itself(
    tocsin: Tocsin,
) -> None:
    drill = await schedule(tocsin)
    clock = clock_of(tocsin)
    assert await tocsin.drills.tick() == []  # nothing due yet
    clock.advance(3600)
    assert await tocsin.drills.tick() == [(drill.id, "announce")]
    [announced] = await events_of(tocsin, "drill.announced")
    texts = announced.data["texts"]
    assert set(texts) == {"en", "uk", "ru"}
    # 14:00 UTC on 1 March: 16:00 in Kyiv (UTC+2 in winter)
    assert drill.scheduled_for == datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
    assert texts["en"].startswith("A drill will take place at 16:00 Kyiv time in Kharkiv")
    assert texts["uk"].startswith("О 16:00 за київським часом у Харків")
    assert texts["ru"].startswith("В 16:00 по киевскому времени в Харьков")
    assert "Sirens will sound. This is not a real alert." in texts["en"]
    assert "Це не справжня тривога." in texts["uk"] and "учения" in texts["ru"]
    assert (await tocsin.drills.get(drill.id)).state == ANNOUNCED

    clock.advance(3600)
    assert await tocsin.drills.tick() == [(drill.id, "start")]
    running = await tocsin.drills.get(drill.id)
    assert running.state == RUNNING and running.alert_id is not None
    alert = await tocsin.alerts.get(running.alert_id)
    assert alert.status is Status.EXERCISE and alert.phase is Phase.ACTIVE
    assert list(alert.regions) == [KHARKIV]

    clock.advance(600)
    assert await tocsin.drills.tick() == [(drill.id, "end")]
    assert (await tocsin.alerts.get(running.alert_id)).phase is Phase.ENDED
    assert (await tocsin.drills.get(drill.id)).state == ENDED
    assert await tocsin.drills.tick() == []


async def test_an_actual_alert_postpones_the_drill_then_skips_it(tocsin: Tocsin) -> None:
    drill = await schedule(tocsin, announce_before=0)
    actual, _ = await tocsin.alerts.raise_alert(RaiseAlert("missile", ["UA-63-R124"]), LOCAL_ADMIN)
    clock = clock_of(tocsin)
    clock.advance(2 * 3600)
    for turn in range(MAX_POSTPONE):
        assert await tocsin.drills.tick() == [(drill.id, "postpone")]
        moved = await tocsin.drills.get(drill.id)
        assert moved.postponed == turn + 1
        assert moved.scheduled_for == drill.scheduled_for + timedelta(
            seconds=POSTPONE_SECONDS * (turn + 1)
        )
        clock.advance(POSTPONE_SECONDS)
    assert await tocsin.drills.tick() == [(drill.id, "skip")]
    skipped = await tocsin.drills.get(drill.id)
    assert skipped.state == SKIPPED and skipped.alert_id is None
    [event] = await events_of(tocsin, "drill.skipped")
    assert actual.id in event.data["drill"]["reason"] and "skipped" in event.data["drill"]["reason"]
    postponed = await events_of(tocsin, "drill.postponed")
    assert len(postponed) == MAX_POSTPONE and "postponed" in postponed[0].data["drill"]["reason"]
    assert [a.status for a in await tocsin.store.open_alerts()] == [Status.ACTUAL]


async def test_an_actual_alert_elsewhere_does_not_hold_the_drill(tocsin: Tocsin) -> None:
    drill = await schedule(tocsin, announce_before=0)
    await tocsin.alerts.raise_alert(RaiseAlert("missile", ["UA-32"]), LOCAL_ADMIN)
    clock_of(tocsin).advance(2 * 3600)
    assert await tocsin.drills.tick() == [(drill.id, "start")]


async def test_two_nodes_ticking_at_once_raise_the_drill_once(tocsin: Tocsin) -> None:
    drill = await schedule(tocsin, announce_before=0)
    other = DrillService(
        tocsin.bus,
        tocsin.drills.reads,
        tocsin.store,
        tocsin.drills.sirens,
        tocsin.regions,
        tocsin.clock,
    )
    clock_of(tocsin).advance(2 * 3600)
    await asyncio.gather(tocsin.drills.tick(), other.tick())
    await other.tick()
    raised = [a for a in await tocsin.store.open_alerts() if a.status is Status.EXERCISE]
    assert len(raised) == 1
    assert (await tocsin.drills.get(drill.id)).alert_id == raised[0].id
    assert len(await events_of(tocsin, "drill.started")) == 1


async def test_the_schedule_survives_a_restart(database_url: str, clock: ManualClock) -> None:
    first = await build(Settings(database_url=database_url, channels=()), clock=clock)
    try:
        drill = await schedule(first)
    finally:
        await first.close()
    clock.advance(2 * 3600)
    second = await build(Settings(database_url=database_url, channels=()), clock=clock)
    try:
        assert await second.drills.tick() == [(drill.id, "announce"), (drill.id, "start")]
    finally:
        await second.close()


async def test_a_drill_whose_time_passed_unattended_is_skipped(tocsin: Tocsin) -> None:
    drill = await schedule(tocsin)
    clock_of(tocsin).advance(3 * 3600)
    assert await tocsin.drills.tick() == [(drill.id, "skip")]
    [event] = await events_of(tocsin, "drill.skipped")
    assert event.data["drill"]["reason"].startswith("missed: ")
    assert await tocsin.store.open_alerts() == []


async def test_a_drill_changed_after_its_announcement_is_announced_again(tocsin: Tocsin) -> None:
    drill = await schedule(tocsin)
    clock_of(tocsin).advance(3600)
    await tocsin.drills.tick()
    later = drill.scheduled_for + timedelta(minutes=30)
    changed = await tocsin.drills.change(drill.id, LOCAL_ADMIN, scheduled_for=later)
    assert changed.state == "scheduled"
    assert await tocsin.drills.tick() == []  # its new announcement time is ahead
    clock_of(tocsin).advance(30 * 60)
    assert await tocsin.drills.tick() == [(drill.id, "announce")]
    first, second = await events_of(tocsin, "drill.announced")
    assert "16:30 Kyiv time" in second.data["texts"]["en"] != first.data["texts"]["en"]


async def test_a_cancelled_drill_is_never_raised(tocsin: Tocsin) -> None:
    drill = await schedule(tocsin)
    await tocsin.drills.cancel(drill.id, LOCAL_ADMIN)
    clock_of(tocsin).advance(3 * 3600)
    assert await tocsin.drills.tick() == []
    assert await tocsin.store.open_alerts() == []


# --- no drill raises an actual alert ----------------------------------------------------------

OBLASTS = ("X-1", "X-2")
TREE = RegionTree(
    [
        Region("X", "country", {"en": "X"}),
        *(Region(code, "oblast", {"en": code}, parent="X") for code in OBLASTS),
    ]
)
START = datetime(2026, 3, 1, tzinfo=UTC)


class MemoryReads:
    """The scheduler's reads over the in-memory state."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def all(self) -> list[DrillRecord]:
        return sorted(self.state.drills.values(), key=lambda d: d.scheduled_for)

    async def get(self, drill_id: str) -> DrillRecord | None:
        return self.state.drills.get(drill_id)

    async def open_alerts(self, status: Status | None = None) -> list[Alert]:
        return [a for a in self.state.alerts.values() if status in (None, a.status)]


class Tree:
    tree = TREE


text = st.text(min_size=0, max_size=30)
actors = st.sampled_from(
    [
        LOCAL_ADMIN,
        LOCAL_ADMIN,
        Actor("op", Role.OPERATOR, frozenset({"X"})),
        Actor("op", Role.OPERATOR, frozenset({"X"}), session_mode="actual"),
        Actor("op", Role.OPERATOR, frozenset({"X"}), session_mode="exercise"),
    ]
)


def mostly(valid: Any, wild: Any) -> Any:
    """Valid values most of the time (so drills are accepted and raised), anything else too."""
    return st.one_of(valid, valid, valid, wild)


drill_fields = st.fixed_dictionaries(
    {
        "title": mostly(st.sampled_from(["Spring drill", "actual", "exercise"]), text),
        "threat": mostly(st.just("missile"), st.sampled_from(["actual", "exercise", ""])),
        "regions": mostly(
            st.sampled_from([("X-1",), ("X-2",), ("X",)]),
            st.lists(st.sampled_from([*OBLASTS, "X", "Y"]), max_size=3).map(tuple),
        ),
        "scheduled_for": mostly(st.integers(60, 4 * 3600), st.integers(-3600, 48 * 3600)).map(
            lambda s: START + timedelta(seconds=s)
        ),
        "announce_before": mostly(st.integers(0, 3600), st.integers(-10, 20 * 24 * 3600)),
        "duration": mostly(st.integers(60, 3600), st.integers(-10, 8 * 3600)),
        "sirens": st.booleans(),
    }
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=drill_fields,
    changes=st.lists(drill_fields.map(lambda d: {k: v for k, v in d.items() if v}), max_size=2),
    actor=actors,
    steps=st.lists(st.integers(0, 6 * 3600), min_size=1, max_size=6),
)
def test_no_drill_raises_an_actual_alert(
    fields: dict[str, Any], changes: list[dict[str, Any]], actor: Actor, steps: list[int]
) -> None:
    async def run() -> None:
        state = MemoryState(audit_key=b"k")
        clock = ManualClock(START)
        bus = CommandBus(
            MemoryUnitOfWorkFactory(state), clock, tree=lambda: TREE, catalogue=builtin()
        )
        alert_handlers.register(bus)
        drill_handlers.register(bus)
        reads = MemoryReads(state)
        service = DrillService(bus, reads, reads, _NoSirens(), Tree(), clock)  # type: ignore[arg-type]
        try:
            drill = await service.schedule(actor, **fields)
        except TocsinError:
            return
        for change in changes:
            with contextlib.suppress(TocsinError):
                await service.change(drill.id, actor, **change)
        for step in steps:
            clock.advance(step)
            await service.tick()
        final = state.drills[drill.id]
        if clock.now() >= final.ends_at:
            assert final.state in (ENDED, SKIPPED), final
        assert all(a.status is Status.EXERCISE for a in state.alerts.values())
        assert all(e.alert is None or e.alert.status is Status.EXERCISE for e in state.log)

    asyncio.run(run())


class _NoSirens:
    async def all(self) -> list[Any]:
        return []


@given(
    title=text,
    threat=st.text(max_size=10),
    regions=st.lists(st.text(max_size=8), max_size=3).map(tuple),
    state=st.sampled_from(STATES),
    seconds=st.integers(0, 10**6),
    sirens=st.booleans(),
)
def test_the_alert_a_drill_raises_is_always_an_exercise(
    title: str, threat: str, regions: tuple[str, ...], state: str, seconds: int, sirens: bool
) -> None:
    drill = DrillRecord(
        "a" * 32, title, threat, regions, START, seconds, seconds, sirens, state, START, "x"
    )
    assert drill_alert(drill).status is Status.EXERCISE


@pytest.mark.parametrize("field", ["status", "mode", "actual"])
def test_a_drill_has_no_field_that_names_a_status(field: str) -> None:
    for kind in (c.ScheduleDrill, c.ChangeDrill, DrillRecord):
        assert field not in kind.__dataclass_fields__


async def test_a_console_session_plans_drills_in_exercise_mode_only(tocsin: Tocsin) -> None:
    operator = Actor("olena", Role.OPERATOR, frozenset({"UA-63"}), session_mode="actual")
    with pytest.raises(Forbidden) as refused:
        await schedule(tocsin, _actor=operator)
    assert refused.value.field == "status"
    drill = await schedule(tocsin, _actor=replace(operator, session_mode="exercise"))
    assert drill.created_by == "olena"
    outside = Actor("ivan", Role.OPERATOR, frozenset({"UA-32"}), session_mode="exercise")
    with pytest.raises(Forbidden):
        await tocsin.drills.cancel(drill.id, outside)

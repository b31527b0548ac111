"""The alert handlers on the bus over the in-memory unit of work: the command path without a
database, and the two-person rule judged by coverage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tocsin.domain import commands as c
from tocsin.domain.alerts import Phase, RaiseAlert, Status, UpdateAlert
from tocsin.domain.approval import ApprovalPolicy, coverage_units
from tocsin.domain.audit import verify
from tocsin.domain.auth import Actor, Role
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.threats import builtin
from tocsin.errors import Conflict, Forbidden
from tocsin.service import alerts
from tocsin.service.bus import CommandBus
from tocsin.service.ports import ManualClock
from tocsin.storage.memory import MemoryState, MemoryUnitOfWorkFactory

KEY = b"memory-key"
OBLASTS = [f"X-{i}" for i in range(1, 7)]
TREE = RegionTree(
    [
        Region("X", "country", {"en": "X"}),
        *(Region(code, "oblast", {"en": code}, parent="X") for code in OBLASTS),
        *(Region(f"{o}-H{j}", "hromada", {"en": o}, parent=o) for o in OBLASTS for j in (1, 2, 3)),
    ]
)
OPERATOR = Actor("night officer", Role.OPERATOR, frozenset({"X"}))
APPROVER = Actor("shift lead", Role.APPROVER, frozenset({"X"}))


class Published:
    def __init__(self) -> None:
        self.seqs: list[int] = []

    def committed(self, events: object) -> None:
        self.seqs.extend(e.seq for e in events)  # type: ignore[attr-defined]


@pytest.fixture
def bus() -> CommandBus:
    bus = CommandBus(
        MemoryUnitOfWorkFactory(MemoryState(audit_key=KEY)),
        ManualClock(datetime(2026, 3, 1, tzinfo=UTC)),
        tree=lambda: TREE,
        catalogue=builtin(),
        policy=ApprovalPolicy(more_regions_than=3, free_text=True),
        listeners=[Published()],
    )
    alerts.register(bus)
    return bus


def state(bus: CommandBus) -> MemoryState:
    factory = bus.uow
    assert isinstance(factory, MemoryUnitOfWorkFactory)
    return factory.state


@pytest.mark.parametrize(
    ("codes", "units"),
    [
        (["X"], 6),
        (["X-1-H1", "X-1-H2", "X-1-H3"], 1),
        (["X-1", "X-1-H1"], 1),
        (["X-1-H1", "X-2-H1", "X-3-H1", "X-4-H1"], 4),
    ],
)
def test_coverage_is_counted_in_first_level_units(codes: list[str], units: int) -> None:
    assert len(coverage_units(codes, TREE)) == units


async def test_the_country_code_is_held_like_every_oblast(bus: CommandBus) -> None:
    alert, created = await bus.handle(c.Raise(RaiseAlert("missile", ["X"])), OPERATOR)
    assert created and alert.phase is Phase.PENDING
    assert state(bus).log == []  # nothing public
    assert [e.action for e in state(bus).audit] == ["alert.pending"]


async def test_an_approved_alert_stays_within_what_was_approved(bus: CommandBus) -> None:
    held, _ = await bus.handle(c.Raise(RaiseAlert("missile", OBLASTS[:5])), OPERATOR)
    approved = await bus.handle(c.Approve(held.id), APPROVER)
    assert approved.phase is Phase.ACTIVE
    before = (list(state(bus).log), list(state(bus).audit), dict(state(bus).alerts))
    for change in (UpdateAlert(regions=["X-6", *OBLASTS[1:5]]), UpdateAlert(regions=["X"])):
        with pytest.raises(Conflict) as refused:
            await bus.handle(c.Update(held.id, change), OPERATOR)
        assert refused.value.code == "approval_required"
    assert (state(bus).log, state(bus).audit, state(bus).alerts) == before
    narrowed = await bus.handle(c.Update(held.id, UpdateAlert(regions=["X-1-H1"])), OPERATOR)
    assert narrowed.regions == ("X-1-H1",)
    back = await bus.handle(c.Update(held.id, UpdateAlert(regions=OBLASTS[:5])), OPERATOR)
    assert back.regions == tuple(OBLASTS[:5])  # within the approval again


async def test_an_unapproved_alert_is_not_widened_past_the_limit(bus: CommandBus) -> None:
    alert, _ = await bus.handle(c.Raise(RaiseAlert("uav", ["X-1"])), OPERATOR)
    await bus.handle(c.Update(alert.id, UpdateAlert(add_regions=["X-2", "X-3"])), OPERATOR)
    with pytest.raises(Conflict):
        await bus.handle(c.Update(alert.id, UpdateAlert(regions=["X"])), OPERATOR)


async def test_every_accepted_command_is_audited_and_published(bus: CommandBus) -> None:
    alert, _ = await bus.handle(c.Raise(RaiseAlert("uav", ["X-1"])), OPERATOR)
    await bus.handle(c.Update(alert.id, UpdateAlert(threat="missile")), OPERATOR)
    await bus.handle(c.End(alert.id), OPERATOR)
    memory = state(bus)
    assert [e.type for e in memory.log] == ["alert.raised", "alert.escalated", "alert.ended"]
    assert [e.detail["events"] for e in memory.audit] == [[1], [2], [3]]
    assert verify(memory.audit, KEY, event_seqs=[e.seq for e in memory.log]).ok
    published = bus.listeners[0]
    assert isinstance(published, Published) and published.seqs == [1, 2, 3]


async def test_a_drill_session_cannot_raise_the_real_thing(bus: CommandBus) -> None:
    drill = Actor("trainee", Role.OPERATOR, frozenset({"X"}), session_mode="exercise")
    with pytest.raises(Forbidden):
        await bus.handle(c.Raise(RaiseAlert("uav", ["X-1"])), drill)
    alert, _ = await bus.handle(c.Raise(RaiseAlert("uav", ["X-1"], status=Status.EXERCISE)), drill)
    assert alert.status is Status.EXERCISE and state(bus).audit[-1].actor == "trainee"

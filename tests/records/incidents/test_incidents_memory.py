"""Incident commands on a bus over the in-memory unit of work: the same handlers, no database;
a refused command leaves the state as it was, and every row carries its event's seq."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tocsin.domain.auth import Actor, Role
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.threats import builtin
from tocsin.errors import Forbidden
from tocsin.records.domain import commands as rc
from tocsin.records.domain.incidents import AddClaim, CreateIncident, SourceInput
from tocsin.records.domain.responses import AddResponse, UpdateResponse
from tocsin.records.handlers import incident_commands
from tocsin.service.bus import CommandBus
from tocsin.service.ports import ManualClock
from tocsin.storage.memory import MemoryUnitOfWorkFactory

NIGHT = datetime(2026, 2, 20, 1, 30, tzinfo=UTC)
TREE = RegionTree(
    [
        Region("UA", "country", {"en": "Ukraine"}),
        Region("UA-63", "oblast", {"en": "Kharkiv Oblast"}, parent="UA"),
    ]
)
DRILL = Actor("ivan", Role.OPERATOR, frozenset({"UA-63"}), session_mode="exercise")


def bus() -> tuple[CommandBus, MemoryUnitOfWorkFactory]:
    memory = MemoryUnitOfWorkFactory()
    commands = CommandBus(memory, ManualClock(NIGHT), tree=lambda: TREE, catalogue=builtin())
    incident_commands.register(commands)
    return commands, memory


async def test_commands_on_memory_carry_their_event_seqs() -> None:
    commands, memory = bus()
    spec = CreateIncident(["UA-63"], ["missile"], NIGHT, mode="exercise")  # type: ignore[arg-type]
    made, new = await commands.handle(rc.RecordIncident(spec), DRILL)
    claim = AddClaim("injured", SourceInput("OVA", "official"), value=3)
    claim_id, _ = await commands.handle(rc.AddClaim(made, claim, "k"), DRILL)
    assert await commands.handle(rc.AddClaim(made, claim, "k"), DRILL) == (claim_id, False)
    await commands.handle(rc.ChangeClaim(made, claim_id, "verify"), DRILL)
    crew = await commands.handle(rc.AddResponse(made, AddResponse("evacuation")), DRILL)
    await commands.handle(rc.UpdateResponse(made, crew, UpdateResponse(progress=10)), DRILL)
    state = memory.state
    seqs = [e.seq for e in state.log]
    assert new and [a.detail["events"] for a in state.audit] == [[s] for s in seqs]
    record = state.incidents[made]
    [added] = record.claims
    assert (added.seq, added.changes[0].seq) == (seqs[1], seqs[2])
    assert (record.responses[0].seq, record.responses[0].updates[0].seq) == (seqs[3], seqs[4])
    actual = Actor("olena", Role.OPERATOR, frozenset({"UA-63"}), session_mode="actual")
    with pytest.raises(Forbidden):
        await commands.handle(rc.CloseIncident(made), actual)
    assert memory.state.incidents[made] == record and [e.seq for e in state.log] == seqs

"""Incident commands on the command bus (SQLite and PostgreSQL): a console session in another
mode is refused with nothing written, and every accepted command leaves exactly one audit row,
written by the bus, naming its one event and the checks its handler settled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert, Status
from tocsin.domain.auth import Actor, Role
from tocsin.errors import Forbidden
from tocsin.records.domain import commands as rc
from tocsin.records.domain.incidents import AddClaim, AmendIncident, CreateIncident, SourceInput
from tocsin.records.domain.responses import AddResponse, UpdateResponse
from tocsin.records.storage import incident_store as db

NIGHT = datetime(2026, 2, 20, 1, 30, tzinfo=UTC)
ADMIN = Actor("admin", Role.ADMIN)
TABLES = (
    db.incidents,
    db.incident_regions,
    db.incident_alerts,
    db.claims,
    db.status_changes,
    db.responses,
    db.response_updates,
    db.incident_log,
)


def spec(mode: Status = Status.ACTUAL) -> CreateIncident:
    return CreateIncident(regions=["UA-63"], threats=["missile"], start=NIGHT, mode=mode)


def claim(value: int = 3) -> AddClaim:
    return AddClaim("injured", SourceInput("Kharkiv OVA", "official"), value=value)


async def state(tocsin: Tocsin) -> tuple[int, int, dict[str, int]]:
    """The log's head, the audit trail's length, and the rows of every incident table."""
    rows = {}
    async with tocsin.store.engine.connect() as conn:
        for table in TABLES:
            rows[table.name] = int(
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return await tocsin.store.last_seq(), len(await tocsin.store.audit_entries()), rows


async def setup(tocsin: Tocsin, mode: Status, actor: Actor = ADMIN) -> tuple[str, str, str, str]:
    """An incident of `mode` with a claim and a response, and an alert to link."""
    alert, _ = await tocsin.alerts.raise_alert(RaiseAlert("missile", ["UA-63"]), ADMIN)
    made, new = await tocsin.bus.handle(rc.RecordIncident(spec(mode)), actor)
    claim_id, _ = await tocsin.bus.handle(rc.AddClaim(made, claim()), actor)
    crew = AddResponse("crew", task="assessment")
    response_id = await tocsin.bus.handle(rc.AddResponse(made, crew), actor)
    assert new
    return made, claim_id, response_id, alert.id


def changes(incident_id: str, claim_id: str, response_id: str, alert_id: str) -> list[Any]:
    """Every command that changes an incident, in an order in which each is accepted."""
    return [
        rc.AddClaim(incident_id, claim(5), idempotency_key="k1"),
        rc.ChangeClaim(incident_id, claim_id, "verify", "OVA confirmed"),
        rc.UpdateResponse(incident_id, response_id, UpdateResponse(progress=40)),
        rc.AddResponse(incident_id, AddResponse("evacuation", people=5)),
        rc.LinkAlerts(incident_id, (alert_id,)),
        rc.AmendIncident(incident_id, AmendIncident(title="Night attack")),
        rc.CloseIncident(incident_id, note="done"),
        rc.ReopenIncident(incident_id, note="a late report"),
    ]


@pytest.mark.parametrize("session", ["actual", "test"])
async def test_a_session_in_another_mode_is_refused_and_nothing_is_written(
    tocsin: Tocsin, session: str
) -> None:
    ids = await setup(tocsin, Status.EXERCISE)
    await tocsin.bus.handle(rc.CloseIncident(ids[0]), ADMIN)
    other = Actor("olena", Role.OPERATOR, frozenset({"UA-63"}), session_mode=session)
    before = await state(tocsin)
    commands = [rc.RecordIncident(spec(Status.EXERCISE)), *changes(*ids)]
    for command in commands:
        with pytest.raises(Forbidden) as refused:
            await tocsin.bus.handle(command, other)
        assert refused.value.field == "mode", command
        assert f"in {session} mode" in str(refused.value)
    assert await state(tocsin) == before


async def test_every_incident_command_leaves_one_audit_row_written_by_the_bus(
    tocsin: Tocsin,
) -> None:
    drilling = Actor("ivan", Role.OPERATOR, frozenset({"UA-63"}), session_mode="exercise")
    start = await tocsin.store.last_seq()
    audited = len(await tocsin.store.audit_entries())
    ids = await setup(tocsin, Status.EXERCISE, drilling)
    made = ids[0]
    commands = changes(*ids)
    for command in commands:
        await tocsin.bus.handle(command, drilling)
    replayed = await tocsin.bus.handle(commands[0], drilling)  # the same key: nothing written
    assert replayed[1] is False
    events = [e for e in await tocsin.store.events_after(start) if e.type.startswith("incident.")]
    audit = [
        a
        for a in (await tocsin.store.audit_entries())[audited:]
        if a.action.startswith("incident.")
    ]
    assert len(events) == len(audit) == 3 + len(commands)
    for event, row in zip(events, audit, strict=True):
        assert row.action == event.type and row.target == event.data["incident_id"]
        assert row.detail["events"] == [event.seq]
        checks = row.detail["checks"]
        assert checks["authorized"] == "regions" and checks["policy"].startswith("none: ")
    assert all(a.actor == "ivan" and a.detail["checks"]["mode"] == "exercise" for a in audit)
    timeline = await tocsin.incidents.timeline(made)
    assert [e.seq for e in timeline] == [e.seq for e in events if e.data["incident_id"] == made]
    record = await tocsin.incidents.get(made)
    seqs = {e.type: e.seq for e in timeline}
    assert [c.seq for c in record.claims][-1] == seqs["incident.claim_added"]
    assert record.claims[0].changes[0].seq == seqs["incident.claim_verified"]

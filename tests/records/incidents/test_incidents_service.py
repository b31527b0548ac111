"""IncidentService on SQLite and PostgreSQL: one event per command, nothing deleted, refused
commands write nothing, region scopes, queries, and the schema of migration 0005."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import Actor, Role
from tocsin.domain.events import Event
from tocsin.errors import TocsinError
from tocsin.records.domain.claims import ClaimStatus, Measure
from tocsin.records.domain.figures import Standing
from tocsin.records.domain.incidents import (
    AddClaim,
    AmendIncident,
    CreateIncident,
    IncidentRecord,
    Place,
    SourceInput,
)
from tocsin.records.domain.responses import AddResponse, ResponseStatus, UpdateResponse
from tocsin.records.handlers.incidents import IncidentFilter, IncidentService
from tocsin.records.storage import incident_store as db
from tocsin.service.ports import ManualClock
from tocsin.storage import migrate
from tocsin.storage import tables as t

pytest_plugins = ("incident_support",)  # the `incidents` and `api` fixtures
ADMIN = Actor("duty officer", Role.ADMIN)
KHARKIV_OPERATOR = Actor("kharkiv", Role.OPERATOR, frozenset({"UA-63"}))
NIGHT = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
MY_TABLES = {
    table.name
    for table in (
        db.incidents,
        db.incident_regions,
        db.incident_threats,
        db.incident_alerts,
        db.claims,
        db.status_changes,
        db.responses,
        db.response_updates,
        db.incident_log,
    )
}


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def committed(self, events: Any) -> None:
        self.events.extend(events)


async def create(service: IncidentService, actor: Actor = ADMIN, **fields: Any) -> IncidentRecord:
    body: dict[str, Any] = {"regions": ["UA-63-R124"], "threats": ["missile"], "start": NIGHT}
    body.update(fields)
    record, created = await service.create(CreateIncident(**body), actor)
    assert created
    return record


async def claim(
    service: IncidentService, incident_id: str, actor: Actor = ADMIN, **fields: Any
) -> Any:
    body: dict[str, Any] = {"measure": "injured", "value": 1, "source": SourceInput("OVA")}
    body.update(fields)
    record, made, created = await service.add_claim(incident_id, AddClaim(**body), actor)
    assert created
    return record, made


async def count(tocsin: Tocsin, table: Any) -> int:
    async with tocsin.store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_every_command_is_one_event_with_its_actor(
    tocsin: Tocsin, incidents: IncidentService, clock: ManualClock
) -> None:
    alert, _ = await tocsin.alerts.raise_alert(RaiseAlert("missile", ["UA-63"]), ADMIN)
    start = await tocsin.store.last_seq()
    recorder = Recorder()
    incidents.listeners.append(recorder)
    record = await create(incidents, places=[Place.of(49.99, 36.23, 300, "Saltivka")])
    incident_id = record.incident.id
    clock.advance(60)
    _, first = await claim(incidents, incident_id, value=22)
    await incidents.change_claim(incident_id, first.id, "verify", ADMIN, "OVA confirmed")
    _, second = await claim(incidents, incident_id, value=28, supersedes=[first.id])
    await incidents.change_claim(incident_id, second.id, "verify", ADMIN)
    _, crew = await incidents.add_response(
        incident_id, AddResponse("crew", task="assessment", party="SES"), ADMIN
    )
    await incidents.update_response(incident_id, crew.id, UpdateResponse(progress=50), ADMIN)
    await incidents.update_response(incident_id, crew.id, UpdateResponse("completed"), ADMIN)
    await incidents.link_alerts(incident_id, [alert.id], ADMIN)
    await incidents.amend(incident_id, AmendIncident(title="Night missile attack"), ADMIN)
    await incidents.close(incident_id, ADMIN, end=NIGHT + timedelta(hours=1))
    await incidents.reopen(incident_id, ADMIN, note="a late report")

    events = await tocsin.store.events_after(start)
    assert [e.type for e in events] == [
        "incident.created",
        "incident.claim_added",
        "incident.claim_verified",
        "incident.claim_added",
        "incident.claim_verified",
        "incident.response_added",
        "incident.response_updated",
        "incident.response_completed",
        "incident.alert_linked",
        "incident.updated",
        "incident.closed",
        "incident.reopened",
    ]
    assert all(
        e.actor == "duty officer" and e.data["incident_id"] == incident_id and e.alert_id is None
        for e in events
    )
    assert [e.seq for e in recorder.events] == [e.seq for e in events]
    assert [e.seq for e in await incidents.timeline(incident_id)] == [e.seq for e in events]
    audit = await tocsin.store.audit_entries()
    assert [a.action for a in audit[-len(events) :]] == [e.type for e in events]

    record = await incidents.get(incident_id)
    assert record.incident.alerts == (alert.id,) and record.incident.is_open
    assert record.incident.title == "Night missile attack"
    assert record.incident.places[0].name == "Saltivka"
    figure = record.figures()[Measure.INJURED]
    assert (figure.quantity.value, figure.status) == (28, Standing.CONFIRMED)
    old = record.claim(first.id)
    assert old is not None and old.status is ClaimStatus.CONFIRMED  # superseded, not deleted
    assert [c.note for c in old.changes] == ["OVA confirmed"]
    response = record.response(crew.id)
    assert response is not None and response.status is ResponseStatus.COMPLETED
    assert [u.progress for u in response.updates] == [50, None]


async def test_nothing_is_ever_deleted(tocsin: Tocsin, incidents: IncidentService) -> None:
    record = await create(incidents)
    incident_id = record.incident.id
    _, first = await claim(incidents, incident_id)
    await incidents.change_claim(incident_id, first.id, "retract", ADMIN, "wrong incident")
    _, again = await claim(incidents, incident_id, value=0)
    assert await count(tocsin, db.claims) == 2
    assert await count(tocsin, db.status_changes) == 1
    record = await incidents.get(incident_id)
    assert [c.status for c in record.claims] == [ClaimStatus.RETRACTED, ClaimStatus.UNVERIFIED]
    assert record.figures()[Measure.INJURED].claims == (again.id,)


REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("claim", {"value": -1}, "negative_count", "value"),
    ("claim", {"source": SourceInput("")}, "empty_source", "source.name"),
    (
        "claim",
        {
            "measure": "intercepted",
            "value": 50,
            "weapon": "uav",
            "source": SourceInput("Air Force"),
        },
        "intercepted_exceeds_launched",
        "value",
    ),
    ("claim", {"supersedes": ["nope"]}, "unknown_claim", "supersedes[0]"),
    ("create", {"end": NIGHT - timedelta(minutes=5)}, "end_before_start", "end"),
    ("create", {"regions": ["UA-63", "XX-1"]}, "unknown_region", "regions[1]"),
    ("create", {"threats": ["comet"]}, "unknown_threat", "threats[0]"),
    ("create", {"alerts": ["no-such-alert"]}, "unknown_alert", "alerts[0]"),
    ("link", {"alerts": ["no-such-alert"]}, "unknown_alert", "alerts[0]"),
    ("verify", {"claim_id": "nope"}, "not_found", "claim_id"),
    ("respond", {"kind": "crew"}, "invalid_input", "task"),
    ("progress", {"response_id": "nope"}, "not_found", "response_id"),
    ("amend", {"end": NIGHT - timedelta(days=1)}, "end_before_start", "end"),
    ("close", {"end": NIGHT - timedelta(days=1)}, "end_before_start", "end"),
    ("claim-closed", {}, "incident_closed", "status"),
    ("scope", {}, "forbidden", "regions[0]"),
]


@pytest.mark.parametrize(
    ("what", "fields", "code", "field"), REFUSED, ids=[f"{r[0]}-{r[2]}" for r in REFUSED]
)
async def test_a_refused_command_writes_nothing(
    tocsin: Tocsin,
    incidents: IncidentService,
    what: str,
    fields: dict[str, Any],
    code: str,
    field: str,
) -> None:
    record = await create(incidents)
    incident_id = record.incident.id
    await claim(
        incidents,
        incident_id,
        measure="launched",
        value=49,
        weapon="uav",
        source=SourceInput("Air Force"),
    )
    if what == "claim-closed":
        await incidents.close(incident_id, ADMIN)
    if what == "scope":
        incident_id = (await create(incidents, regions=["UA-12"])).incident.id
    before = await tocsin.store.last_seq()
    rows = await counts(tocsin)
    audit = len(await tocsin.store.audit_entries())

    async def attempt() -> Any:
        if what == "create":
            return await create(incidents, **fields)
        if what == "link":
            return await incidents.link_alerts(incident_id, fields["alerts"], ADMIN)
        if what == "verify":
            return await incidents.change_claim(incident_id, fields["claim_id"], "verify", ADMIN)
        if what == "respond":
            return await incidents.add_response(incident_id, AddResponse(**fields), ADMIN)
        if what == "progress":
            return await incidents.update_response(
                incident_id, fields["response_id"], UpdateResponse(progress=5), ADMIN
            )
        if what == "amend":
            return await incidents.amend(incident_id, AmendIncident(**fields), ADMIN)
        if what == "close":
            return await incidents.close(incident_id, ADMIN, **fields)
        actor = KHARKIV_OPERATOR if what == "scope" else ADMIN
        return await claim(incidents, incident_id, actor, **fields)

    with pytest.raises(TocsinError) as caught:
        await attempt()
    assert (caught.value.code, caught.value.field) == (code, field)
    assert await tocsin.store.last_seq() == before
    assert await counts(tocsin) == rows
    assert len(await tocsin.store.audit_entries()) == audit


async def counts(tocsin: Tocsin) -> dict[str, int]:
    tables = (
        db.incidents,
        db.incident_regions,
        db.incident_alerts,
        db.claims,
        db.status_changes,
        db.responses,
        db.response_updates,
        db.incident_log,
    )
    return {table.name: await count(tocsin, table) for table in tables}


async def test_region_scopes(incidents: IncidentService) -> None:
    record = await create(incidents, KHARKIV_OPERATOR)
    incident_id = record.incident.id
    await claim(incidents, incident_id, KHARKIV_OPERATOR)
    with pytest.raises(TocsinError) as caught:
        await create(incidents, KHARKIV_OPERATOR, regions=["UA-63", "UA-12"])
    assert (caught.value.code, caught.value.field) == ("forbidden", "regions[1]")
    with pytest.raises(TocsinError) as caught:
        await incidents.amend(incident_id, AmendIncident(add_regions=["UA-12"]), KHARKIV_OPERATOR)
    assert (caught.value.code, caught.value.field) == ("forbidden", "add_regions[0]")
    for actor in (Actor("v", Role.VIEWER), Actor("odesa", Role.AUTOMATION, frozenset({"UA-51"}))):
        with pytest.raises(TocsinError) as caught:
            await claim(incidents, incident_id, actor)
        assert caught.value.code == "forbidden"


async def test_find_by_region_time_threat_status(
    incidents: IncidentService, clock: ManualClock
) -> None:
    raion = await create(incidents, regions=["UA-63-R124"], start=NIGHT)
    oblast = await create(
        incidents,
        regions=["UA-63"],
        threats=["uav"],
        start=NIGHT + timedelta(days=1),
        end=NIGHT + timedelta(days=1, hours=3),
    )
    elsewhere = await create(
        incidents, regions=["UA-12-H351"], threats=["artillery"], start=NIGHT + timedelta(days=2)
    )
    await incidents.close(elsewhere.incident.id, ADMIN)

    async def ids(**filters: Any) -> list[str]:
        return [r.incident.id for r in await incidents.find(IncidentFilter(**filters))]

    r, o, e = raion.incident.id, oblast.incident.id, elsewhere.incident.id
    assert await ids() == [e, o, r]
    assert await ids(region="UA-63") == [o, r]
    assert await ids(region="UA-63-R124") == [r]
    assert await ids(region="UA") == [e, o, r]
    assert await ids(threat="uav,artillery") == [e, o]
    assert await ids(status="closed") == [e]
    assert await ids(status="open") == [o, r]
    assert await ids(since=NIGHT + timedelta(days=1, hours=2)) == [e, o]
    assert await ids(until=NIGHT + timedelta(days=1)) == [r]
    assert await ids(limit=2) == [e, o]
    assert await ids(before=(oblast.incident.start, o)) == [r]
    for filters, field in (
        ({"region": "XX"}, "region"),
        ({"threat": "comet"}, "threat"),
        ({"status": "pending"}, "status"),
        ({"mode": "open"}, "mode"),
        ({"since": NIGHT, "until": NIGHT}, "until"),
    ):
        with pytest.raises(TocsinError) as caught:
            await ids(**filters)
        assert caught.value.field == field


async def test_schema_matches_the_tables(tocsin: Tocsin) -> None:
    async with tocsin.store.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), t.metadata)
        )
    mine = [d for d in diff if _table_of(d) in MY_TABLES]
    assert mine == []


async def test_migration_goes_down_and_up_again(tocsin: Tocsin) -> None:
    engine = tocsin.store.engine
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(migrate._config(sync), "0004"))
        names = await conn.run_sync(lambda sync: set(sync.dialect.get_table_names(sync)))
    assert names.isdisjoint(MY_TABLES)
    await migrate.upgrade(engine)
    assert await migrate.current_revision(engine) == migrate.head_revision()


def _table_of(diff: Any) -> str | None:
    kind, *rest = diff[0] if isinstance(diff, list) else diff
    if kind in ("add_table", "remove_table"):
        return str(rest[0].name)
    if kind in ("add_index", "remove_index"):
        return str(rest[0].table.name)
    if kind in ("add_column", "remove_column") or kind.startswith("modify_"):
        return str(rest[1])
    return None

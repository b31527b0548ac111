"""Migration 0008 on a database that already has incidents (SQLite and PostgreSQL): every
existing incident gets the mode actual, column and JSON alike, keeps its open / closed status
and its claims; and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import Status
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.records.domain.incidents import AddClaim, CreateIncident, SourceInput
from tocsin.records.handlers.incidents import IncidentFilter
from tocsin.storage import migrate

NIGHT = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


async def migrate_to(tocsin: Tocsin, revision: str) -> None:
    async with tocsin.store.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(migrate._config(sync), revision))


async def rows(tocsin: Tocsin) -> dict[str, dict[str, Any]]:
    """Each incident's row as stored: its columns, and the JSON in `data` decoded."""
    async with tocsin.store.engine.connect() as conn:
        found = (await conn.execute(sa.text("SELECT * FROM incidents"))).mappings().all()
    return {row["id"]: {**row, "data": _json(row["data"])} for row in found}


def _json(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else json.loads(data)  # drivers differ on raw SQL


def shape(found: dict[str, dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """Status and mode of each row, in its columns and in its JSON (None where absent)."""
    return {
        i: (r["status"], r.get("mode"), r["data"]["status"], r["data"].get("mode"))
        for i, r in found.items()
    }


async def test_existing_incidents_become_actual_and_keep_their_status(tocsin: Tocsin) -> None:
    service = tocsin.incidents
    made = []
    for title in ("Strike", "Shelling"):
        record, _ = await service.create(
            CreateIncident(["UA-63"], ["missile"], NIGHT, title=title), LOCAL_ADMIN
        )
        made.append(record.incident.id)
    strike, shelling = made
    await service.add_claim(strike, AddClaim("injured", SourceInput("OVA"), value=3), LOCAL_ADMIN)
    await service.close(shelling, LOCAL_ADMIN)

    await migrate_to(tocsin, "0007")
    old = await rows(tocsin)
    assert shape(old) == {
        strike: ("open", None, "open", None),
        shelling: ("closed", None, "closed", None),
    }
    assert all("state" not in r and "state" not in r["data"] for r in old.values())

    await migrate.upgrade(tocsin.store.engine)
    assert await migrate.current_revision(tocsin.store.engine) == migrate.head_revision()
    new = await rows(tocsin)
    assert shape(new) == {
        strike: ("open", "actual", "open", "actual"),
        shelling: ("closed", "actual", "closed", "actual"),
    }
    assert all("state" not in r and "state" not in r["data"] for r in new.values())
    listed = await service.find(IncidentFilter(mode="actual"))
    assert {r.incident.id: (r.incident.status.value, r.incident.mode) for r in listed} == {
        strike: ("open", Status.ACTUAL),
        shelling: ("closed", Status.ACTUAL),
    }
    record = await service.get(strike)
    assert [c.quantity.value for c in record.claims] == [3]
    closed = await service.find(IncidentFilter(status="closed"))
    assert [r.incident.id for r in closed] == [shelling]
    assert await service.find(IncidentFilter(mode="exercise,test")) == []


async def test_going_down_drops_the_mode_and_keeps_the_status(tocsin: Tocsin) -> None:
    service = tocsin.incidents
    drill, _ = await service.create(
        CreateIncident(["UA-63"], ["missile"], NIGHT, mode=Status.EXERCISE), LOCAL_ADMIN
    )
    await service.close(drill.incident.id, LOCAL_ADMIN)
    assert shape(await rows(tocsin)) == {
        drill.incident.id: ("closed", "exercise", "closed", "exercise"),
    }

    await migrate_to(tocsin, "0007")
    assert shape(await rows(tocsin)) == {drill.incident.id: ("closed", None, "closed", None)}

    await migrate.upgrade(tocsin.store.engine)
    assert shape(await rows(tocsin)) == {
        drill.incident.id: ("closed", "actual", "closed", "actual"),
    }


async def test_incidents_recorded_before_publication_existed_stay_public(tocsin: Tocsin) -> None:
    service = tocsin.incidents
    record, _ = await service.create(CreateIncident(["UA-63"], ["missile"], NIGHT), LOCAL_ADMIN)
    incident_id = record.incident.id
    assert record.incident.published_at is None  # new: waits for an officer
    await migrate_to(tocsin, "0011")
    async with tocsin.store.engine.begin() as conn:  # as it was stored before: no such key
        data = _json((await conn.execute(sa.text("SELECT data FROM incidents"))).scalar())
        del data["published_at"]
        await conn.execute(sa.text("UPDATE incidents SET data = :data"), {"data": json.dumps(data)})

    await migrate.upgrade(tocsin.store.engine)
    stored = (await rows(tocsin))[incident_id]
    assert stored["published_at"] is not None and "published_at" not in stored["data"]
    public = await service.find(IncidentFilter(public_only=True))
    assert [r.incident.id for r in public] == [incident_id]
    again = await service.get(incident_id, public_only=True)
    assert again.incident.published_at == again.incident.recorded_at

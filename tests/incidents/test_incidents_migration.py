"""Migration 0008 on a database that already has incidents (SQLite and PostgreSQL): open /
closed moves to `state`, every existing incident becomes actual, claims stay; and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command

from tocsin.bootstrap import Tocsin
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.incidents import AddClaim, CreateIncident, IncidentState, SourceInput
from tocsin.service.incidents import IncidentFilter
from tocsin.storage import migrate

NIGHT = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


async def migrate_to(tocsin: Tocsin, revision: str) -> None:
    async with tocsin.store.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(migrate._config(sync), revision))


async def rows(tocsin: Tocsin) -> dict[str, dict[str, Any]]:
    """Each incident's row as stored: its columns and the JSON in `data`."""
    async with tocsin.store.engine.connect() as conn:
        found = (await conn.execute(sa.text("SELECT * FROM incidents"))).mappings().all()
    return {row["id"]: dict(row) for row in found}


async def test_existing_incidents_become_actual_and_keep_their_state(tocsin: Tocsin) -> None:
    service = tocsin.incidents
    kept: dict[str, IncidentState] = {}
    for title in ("Strike", "Shelling"):
        record, _ = await service.create(
            CreateIncident(["UA-63"], ["missile"], NIGHT, title=title), LOCAL_ADMIN
        )
        kept[record.incident.id] = record.incident.state
    strike, shelling = kept
    await service.add_claim(strike, AddClaim("injured", SourceInput("OVA"), value=3), LOCAL_ADMIN)
    await service.close(shelling, LOCAL_ADMIN)

    await migrate_to(tocsin, "0007")
    old = await rows(tocsin)
    assert {i: (r["status"], "state" in r) for i, r in old.items()} == {
        strike: ("open", False),
        shelling: ("closed", False),
    }
    data = old[shelling]["data"]
    data = data if isinstance(data, dict) else json.loads(data)  # drivers differ on raw SQL
    assert data["status"] == "closed" and "state" not in data

    await migrate.upgrade(tocsin.store.engine)
    assert await migrate.current_revision(tocsin.store.engine) == migrate.head_revision()
    new = await rows(tocsin)
    assert {i: (r["state"], r["status"]) for i, r in new.items()} == {
        strike: ("open", "actual"),
        shelling: ("closed", "actual"),
    }
    listed = await service.find(IncidentFilter(status="actual"))
    assert {r.incident.id: (r.incident.state.value, r.incident.status.value) for r in listed} == {
        strike: ("open", "actual"),
        shelling: ("closed", "actual"),
    }
    record = await service.get(strike)
    assert [c.quantity.value for c in record.claims] == [3]
    assert [r.incident.id for r in await service.find(IncidentFilter(state="closed"))] == [shelling]

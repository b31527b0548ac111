"""Incident storage (migrations 0005 and 0008).

`incidents` is the projection of each incident (updated by amend, link, close, reopen); every
other table is append-only: claims and their status changes, response actions and their
updates, and `incident_log`, which names the events of each incident for its timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    and_,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from tocsin.domain.events import Event
from tocsin.records.domain.claims import Claim, StatusChange
from tocsin.records.domain.incidents import Incident, IncidentRecord
from tocsin.records.domain.responses import ResponseAction, ResponseUpdate
from tocsin.storage import tables as t
from tocsin.storage.store import Store, Tx
from tocsin.types import AlertId, RegionCode, ThreatId

_CHUNK = 500


def _pair(name: str, column: str, length: int) -> Table:
    return Table(
        name,
        t.metadata,
        Column("incident_id", String(36), primary_key=True),
        Column(column, String(length), primary_key=True),
        Index(f"ix_{name}_{column}", column, "incident_id"),
    )


def _appended(name: str, key: str, extra: Column[Any], *, seq_key: bool = False) -> Table:
    return Table(
        name,
        t.metadata,
        Column(key, String(36), primary_key=True),
        Column("seq", BigInteger, primary_key=seq_key, autoincrement=False, nullable=False),
        Column("incident_id", String(36), nullable=False),
        extra,
        Column("data", JSON, nullable=False),
        Index(f"ix_{name}_incident", "incident_id", "seq"),
    )


incidents = Table(
    "incidents",
    t.metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("mode", String(16), nullable=False, server_default="actual"),
    Column("start_at", t.UTCDateTime, nullable=False),
    Column("end_at", t.UTCDateTime, nullable=True),
    Column("recorded_at", t.UTCDateTime, nullable=False),
    Column("updated_at", t.UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("published_at", t.UTCDateTime, nullable=True),  # None: not public yet
    Index("ix_incidents_start", "start_at", "id"),
)
incident_regions = _pair("incident_regions", "region", 64)
incident_threats = _pair("incident_threats", "threat", 32)
incident_alerts = Table(
    "incident_alerts",
    t.metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("alert_id", String(36), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Index("ix_incident_alerts_alert", "alert_id"),
)
claims = _appended("incident_claims", "id", Column("measure", String(32), nullable=False))
status_changes = _appended(
    "claim_status_changes",
    "claim_id",
    Column("status", String(16), nullable=False),
    seq_key=True,
)
responses = _appended("incident_responses", "id", Column("kind", String(32), nullable=False))
response_updates = _appended(
    "response_updates",
    "response_id",
    Column("status", String(16), nullable=False),
    seq_key=True,
)
incident_log = Table(
    "incident_log",
    t.metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(64), nullable=False),
)


@dataclass(frozen=True, slots=True)
class IncidentQuery:
    """Incidents whose window [start, end or start] meets [since, until), newest start first."""

    since: datetime | None = None
    until: datetime | None = None
    regions: frozenset[RegionCode] | None = None
    threats: frozenset[ThreatId] | None = None
    status: str | None = None  # open or closed
    modes: frozenset[str] | None = None  # actual, exercise, test; None: all
    before: tuple[datetime, str] | None = None
    limit: int | None = 100
    public_only: bool = False  # only published incidents (what the public may read)


class IncidentStore:
    """Reads."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, incident_id: str) -> IncidentRecord | None:
        async with self.store.engine.connect() as conn:
            return await load_record(conn, incident_id)

    async def records(self, incident_ids: Sequence[str]) -> list[IncidentRecord]:
        """Records in the order of `incident_ids` (unknown ids are left out)."""
        async with self.store.engine.connect() as conn:
            return await _load_records(conn, incident_ids)

    async def find(self, q: IncidentQuery) -> list[IncidentRecord]:
        query = select(incidents.c.id).where(*_conditions(q))
        query = query.order_by(incidents.c.start_at.desc(), incidents.c.id.desc())
        if q.limit is not None:
            query = query.limit(q.limit)
        async with self.store.engine.connect() as conn:
            ids = list((await conn.execute(query)).scalars())
            return await _load_records(conn, ids)

    async def timeline(self, incident_id: str) -> list[Event]:
        query = (
            select(t.events)
            .join(incident_log, incident_log.c.seq == t.events.c.seq)
            .where(incident_log.c.incident_id == incident_id)
            .order_by(t.events.c.seq)
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_event(row) for row in rows]


async def load_record(conn: AsyncConnection, incident_id: str) -> IncidentRecord | None:
    found = await _load_records(conn, [incident_id])
    return found[0] if found else None


async def existing_alerts(tx: Tx, alert_ids: Iterable[AlertId]) -> set[AlertId]:
    ids = sorted(set(alert_ids))
    found: set[AlertId] = set()
    for chunk in _chunks(ids):
        query = select(t.alerts.c.id).where(t.alerts.c.id.in_(chunk))
        found.update((await tx.conn.execute(query)).scalars())
    return found


async def insert_incident(tx: Tx, incident: Incident, seq: int) -> None:
    await tx.conn.execute(insert(incidents).values(id=incident.id, **_incident_row(incident)))
    await _insert_links(tx, incident.id, incident.regions, incident.threats, incident.alerts, seq)


async def update_incident(tx: Tx, before: Incident, after: Incident, seq: int) -> None:
    await tx.conn.execute(
        update(incidents).where(incidents.c.id == after.id).values(**_incident_row(after))
    )
    await _insert_links(
        tx,
        after.id,
        [r for r in after.regions if r not in before.regions],
        [h for h in after.threats if h not in before.threats],
        [a for a in after.alerts if a not in before.alerts],
        seq,
    )


async def insert_claim(tx: Tx, claim: Claim) -> None:
    await tx.conn.execute(
        insert(claims).values(
            id=claim.id,
            seq=claim.seq,
            incident_id=claim.incident_id,
            measure=claim.measure.value,
            data=claim.to_json(),
        )
    )


async def insert_status_change(tx: Tx, claim: Claim, change: StatusChange) -> None:
    await tx.conn.execute(
        insert(status_changes).values(
            claim_id=claim.id,
            seq=change.seq,
            incident_id=claim.incident_id,
            status=change.status.value,
            data=change.to_json(),
        )
    )


async def insert_response(tx: Tx, action: ResponseAction) -> None:
    await tx.conn.execute(
        insert(responses).values(
            id=action.id,
            seq=action.seq,
            incident_id=action.incident_id,
            kind=action.kind.value,
            data=action.to_json(),
        )
    )


async def insert_response_update(tx: Tx, action: ResponseAction, change: ResponseUpdate) -> None:
    await tx.conn.execute(
        insert(response_updates).values(
            response_id=action.id,
            seq=change.seq,
            incident_id=action.incident_id,
            status=change.status.value,
            data=change.to_json(),
        )
    )


async def log(tx: Tx, incident_id: str, event: Event) -> None:
    await tx.conn.execute(
        insert(incident_log).values(incident_id=incident_id, seq=event.seq, type=event.type)
    )


async def _insert_links(
    tx: Tx,
    incident_id: str,
    regions: Sequence[RegionCode],
    threats: Sequence[ThreatId],
    alerts: Sequence[AlertId],
    seq: int,
) -> None:
    for table, column, values in (
        (incident_regions, "region", regions),
        (incident_threats, "threat", threats),
    ):
        for chunk in _chunks(list(values)):
            await tx.conn.execute(
                insert(table), [{"incident_id": incident_id, column: v} for v in chunk]
            )
    if alerts:
        await tx.conn.execute(
            insert(incident_alerts),
            [{"incident_id": incident_id, "alert_id": a, "seq": seq} for a in alerts],
        )


def _conditions(q: IncidentQuery) -> list[Any]:
    c = incidents.c
    conditions: list[Any] = []
    if q.until is not None:
        conditions.append(c.start_at < q.until)
    if q.since is not None:
        conditions.append(or_(c.end_at >= q.since, and_(c.end_at.is_(None), c.start_at >= q.since)))
    if q.status is not None:
        conditions.append(c.status == q.status)
    if q.modes is not None:
        conditions.append(c.mode.in_(sorted(q.modes)))
    if q.public_only:
        conditions.append(c.published_at.is_not(None))
    if q.regions is not None:
        conditions.append(
            c.id.in_(
                select(incident_regions.c.incident_id).where(
                    incident_regions.c.region.in_(sorted(q.regions))
                )
            )
        )
    if q.threats is not None:
        conditions.append(
            c.id.in_(
                select(incident_threats.c.incident_id).where(
                    incident_threats.c.threat.in_(sorted(q.threats))
                )
            )
        )
    if q.before is not None:
        start, incident_id = q.before
        conditions.append(or_(c.start_at < start, and_(c.start_at == start, c.id < incident_id)))
    return conditions


async def _load_records(conn: AsyncConnection, ids: Sequence[str]) -> list[IncidentRecord]:
    wanted = list(dict.fromkeys(ids))
    found: dict[str, Incident] = {}
    claim_rows: list[Row[Any]] = []
    change_rows: list[Row[Any]] = []
    response_rows: list[Row[Any]] = []
    update_rows: list[Row[Any]] = []
    for chunk in _chunks(wanted):
        query = select(incidents.c.data).where(incidents.c.id.in_(chunk))
        for row in (await conn.execute(query)).all():
            incident = Incident.from_json(row.data)
            found[incident.id] = incident
        for table, rows in (
            (claims, claim_rows),
            (status_changes, change_rows),
            (responses, response_rows),
            (response_updates, update_rows),
        ):
            query = select(table).where(table.c.incident_id.in_(chunk)).order_by(table.c.seq)
            rows.extend((await conn.execute(query)).all())
    changes: dict[str, list[StatusChange]] = {}
    for row in change_rows:
        changes.setdefault(row.claim_id, []).append(
            StatusChange.from_json({**row.data, "seq": row.seq})
        )
    updates: dict[str, list[ResponseUpdate]] = {}
    for row in update_rows:
        updates.setdefault(row.response_id, []).append(
            ResponseUpdate.from_json(row.data, seq=row.seq)
        )
    by_incident: dict[str, tuple[list[Claim], list[ResponseAction]]] = {i: ([], []) for i in found}
    for row in claim_rows:
        by_incident[row.incident_id][0].append(
            Claim.from_json(row.data, seq=row.seq, changes=changes.get(row.id, ()))
        )
    for row in response_rows:
        by_incident[row.incident_id][1].append(
            ResponseAction.from_json(row.data, seq=row.seq, updates=tuple(updates.get(row.id, ())))
        )
    return [
        IncidentRecord(found[i], tuple(by_incident[i][0]), tuple(by_incident[i][1]))
        for i in wanted
        if i in found
    ]


def _incident_row(incident: Incident) -> dict[str, Any]:
    return {
        "status": incident.status.value,
        "mode": incident.mode.value,
        "start_at": incident.start,
        "end_at": incident.end,
        "recorded_at": incident.recorded_at,
        "updated_at": incident.updated_at,
        "version": incident.version,
        "data": incident.to_json(),
        "published_at": incident.published_at,
    }


def _event(row: Row[Any]) -> Event:
    return Event(row.seq, row.id, row.type, row.time, row.actor, row.alert_id, row.data)


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]

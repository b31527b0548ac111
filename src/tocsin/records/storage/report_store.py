"""Report storage (migration 0019): each report once (its text, source, extraction, matches as
JSON), and its proposals one row each, whose status and decision change when an officer decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
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
from sqlalchemy.ext.asyncio import AsyncConnection

from tocsin.errors import Conflict
from tocsin.records.domain.reports import Proposal, Report
from tocsin.storage import tables as t
from tocsin.storage.store import Store, Tx

reports = Table(
    "reports",
    t.metadata,
    Column("id", String(36), primary_key=True),
    Column("mode", String(16), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("received_at", t.UTCDateTime, nullable=False),
    Column("received_by", String(200), nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_reports_received", "received_at", "id"),
)
report_proposals = Table(
    "report_proposals",
    t.metadata,
    Column("report_id", String(36), primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("data", JSON, nullable=False),
)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    modes: frozenset[str] | None = None  # None: every mode
    before: tuple[Any, str] | None = None  # (received_at, id) of the last one seen
    limit: int = 100


class ReportStore:
    """Reads."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def report(self, report_id: str) -> Report | None:
        async with self.store.engine.connect() as conn:
            return await load_report(conn, report_id)

    async def find(self, q: ReportQuery) -> list[Report]:
        """Newest first, each with its proposals."""
        c = reports.c
        query = select(c.id).order_by(c.received_at.desc(), c.id.desc()).limit(q.limit)
        if q.modes is not None:
            query = query.where(c.mode.in_(sorted(q.modes)))
        if q.before is not None:
            at, report_id = q.before
            query = query.where(
                or_(c.received_at < at, and_(c.received_at == at, c.id < report_id))
            )
        async with self.store.engine.connect() as conn:
            ids = list((await conn.execute(query)).scalars())
            return [r for r in [await load_report(conn, i) for i in ids] if r is not None]


async def load_report(conn: AsyncConnection, report_id: str) -> Report | None:
    row = (await conn.execute(select(reports.c.data).where(reports.c.id == report_id))).first()
    if row is None:
        return None
    query = (
        select(report_proposals.c.data)
        .where(report_proposals.c.report_id == report_id)
        .order_by(report_proposals.c.position)
    )
    proposals = [Proposal.from_json(r.data) for r in (await conn.execute(query)).all()]
    return Report.from_json(row.data, proposals)


async def insert_report(tx: Tx, report: Report) -> None:
    await tx.conn.execute(
        insert(reports).values(
            id=report.id,
            mode=report.mode.value,
            lang=report.lang,
            received_at=report.received_at,
            received_by=report.received_by[:200],
            data=report.to_json(),
        )
    )
    await insert_proposals(tx, report.id, report.proposals, start=0)


async def insert_proposals(
    tx: Tx, report_id: str, proposals: Sequence[Proposal], *, start: int
) -> None:
    if proposals:
        await tx.conn.execute(
            insert(report_proposals),
            [
                {
                    "report_id": report_id,
                    "id": p.id,
                    "position": start + i,
                    "kind": p.kind,
                    "status": p.status.value,
                    "data": p.to_json(),
                }
                for i, p in enumerate(proposals)
            ],
        )


async def save_proposal(tx: Tx, report_id: str, proposal: Proposal) -> None:
    """Record a proposal's decision; refused (and the transaction with it) when another request
    decided it in the meantime."""
    c = report_proposals.c
    done = await tx.conn.execute(
        update(report_proposals)
        .where(c.report_id == report_id, c.id == proposal.id, c.status == "pending")
        .values(status=proposal.status.value, data=proposal.to_json())
    )
    if done.rowcount != 1:
        raise Conflict(f"proposal {proposal.id} was decided meanwhile", field="status")


class SqlReports:
    """Reports within one unit of work."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def get(self, report_id: str) -> Report | None:
        return await load_report(self._tx.conn, report_id)

    async def add(self, report: Report) -> None:
        await insert_report(self._tx, report)

    async def save_proposal(self, report_id: str, proposal: Proposal) -> None:
        await save_proposal(self._tx, report_id, proposal)

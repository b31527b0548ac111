"""A history import's batches on the command bus (SQLite and PostgreSQL): each batch's rows, its
progress, its event and its audit row commit together, and a batch that fails leaves none."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_support import counts, head, official
from sqlalchemy import insert

from tocsin.bootstrap import Tocsin
from tocsin.domain.auth import Actor, Role
from tocsin.errors import Forbidden
from tocsin.records.history.importer import HistoryImporter, Prepared
from tocsin.records.storage.history_store import HistoryStore
from tocsin.records.storage.stats_store import alert_spans
from tocsin.storage import tables as t

BATCH = 400


def importer(tocsin: Tocsin) -> HistoryImporter:
    return HistoryImporter(tocsin.bus, tocsin.store)


async def test_each_batch_commits_its_rows_event_and_audit_row(
    tocsin: Tocsin, tmp_path: Path
) -> None:
    path = head(official(), 1000, tmp_path / "official.csv")
    seq, audited = await tocsin.store.last_seq(), len(await tocsin.store.audit_entries())
    report = await importer(tocsin).run(path, "ua-official", actor="cli:ivan", batch_size=BATCH)
    events = await tocsin.store.events_after(seq)
    audit = (await tocsin.store.audit_entries())[audited:]
    assert [e.type for e in events] == ["history.imported"] * 3 == [a.action for a in audit]
    for event, row in zip(events, audit, strict=True):
        assert row.detail["events"] == [event.seq] and row.actor == "cli:ivan"
        assert row.detail["added"] == event.data["added"]
        assert row.detail["checks"]["authorized"] == "role"
        assert row.detail["checks"]["mode"].startswith("none: ")
    assert sum(e.data["added"] for e in events) == report.added == (await counts(tocsin))["alerts"]


async def test_a_failed_batch_leaves_nothing_of_itself(tocsin: Tocsin, tmp_path: Path) -> None:
    path = head(official(), 1000, tmp_path / "official.csv")
    work = importer(tocsin)
    rows = [p for p in work.prepare(path, "ua-official", "ua-official") if isinstance(p, Prepared)]
    second = next(p for p in rows if p.line > BATCH + 1)  # the first row of the second batch
    span = second.span_rows(work._lineage_of(second.item.region))[-1]
    columns = ("region", "status", "start_us", "alert_id", "end_us", "threat", "source", "direct")
    async with tocsin.store.engine.begin() as conn:  # a span in the way: the batch's insert fails
        await conn.execute(insert(alert_spans).values(dict(zip(columns, span, strict=True))))
    seq, audited = await tocsin.store.last_seq(), len(await tocsin.store.audit_entries())
    with pytest.raises(Exception):  # noqa: B017 (the database's own integrity error)
        await work.run(path, "ua-official", actor="t", batch_size=BATCH)
    events = await tocsin.store.events_after(seq)
    assert [e.data["lines"] for e in events] == [[2, BATCH + 1]]  # the first batch only
    assert len(await tocsin.store.audit_entries()) == audited + 1
    [record] = await HistoryStore(tocsin.store.engine).all()
    assert (record.last_line, record.added) == (BATCH + 1, events[0].data["added"])
    assert (await counts(tocsin))["alerts"] == events[0].data["added"]
    async with tocsin.store.engine.connect() as conn:
        ids = {a for (a,) in await conn.execute(t.alerts.select().with_only_columns(t.alerts.c.id))}
    assert second.id not in ids and all(p.id in ids for p in rows if p.line <= BATCH + 1)


async def test_only_an_admin_imports_history(tocsin: Tocsin, tmp_path: Path) -> None:
    path = head(official(), 50, tmp_path / "official.csv")
    before = await counts(tocsin)
    operator = Actor("kharkiv", Role.OPERATOR, frozenset({"UA"}))
    with pytest.raises(Forbidden):
        await importer(tocsin).run(path, "ua-official", actor=operator)
    assert await counts(tocsin) == before
    assert await HistoryStore(tocsin.store.engine).all() == []

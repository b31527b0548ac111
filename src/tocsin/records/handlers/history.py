"""The history import's command: one batch of rows, committed with the import's progress, one
`history.imported` event and its audit row, or not at all.

The rows are written in bulk by one repository call (`executemany` on SQLite, `COPY` on
PostgreSQL); those whose alert is in the store already (an import run again, or an overlapping
file) are counted and left out.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tocsin.domain.auth import Role
from tocsin.domain.events import NewEvent
from tocsin.records.domain import commands as rc
from tocsin.records.domain.history import EVENT_TYPE, BatchDone, ImportRecord
from tocsin.records.handlers.ports import records_of
from tocsin.service.bus import CommandBus, Context, Outcome
from tocsin.service.ports import UnitOfWork

Done = tuple[ImportRecord, BatchDone]


async def import_batch(cmd: rc.ImportBatch, ctx: Context) -> Outcome[Done]:
    ctx.authorize_role(Role.ADMIN)
    ctx.no_mode("imported history is the record of past alerts; it alerts no one")
    ctx.no_policy("imported alerts ended long ago; they warn no one")
    batch, record = cmd.batch, cmd.record
    fresh = batch.rows.without(await records_of(ctx.uow).history.existing(batch.rows.ids))
    added = len(fresh.alerts)
    present = batch.size - added
    updated = replace(
        record,
        last_line=batch.last_line,
        added=record.added + added,
        existing=record.existing + present,
        rejected=record.rejected + batch.bad,
        updated_at=ctx.now,
        finished_at=ctx.now if batch.final else None,
    )
    data = {
        "source": record.source,
        "format": record.format,
        "file": Path(record.file).name,
        "fingerprint": record.fingerprint,
        "lines": [batch.first_line, batch.last_line],
        "added": added,
        "existing": present,
        "rejected": batch.bad,
        "finished": batch.final,
    }
    event = NewEvent(EVENT_TYPE, ctx.now, ctx.actor.label, None, data)

    async def write(uow: UnitOfWork) -> None:
        await records_of(uow).history.add(fresh)
        await records_of(uow).history.save_progress(updated, new=cmd.new)

    done = BatchDone(batch.first_line, batch.last_line, added, present, batch.bad)
    return Outcome((updated, done), EVENT_TYPE, record.fingerprint, data, write, [event])


def register(bus: CommandBus) -> None:
    bus.register(rc.ImportBatch, import_batch)

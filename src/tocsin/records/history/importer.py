"""Importing alert history into the store: idempotent, batched and resumable.

- Every data row becomes one alert (status as given, `actual` for the Ukrainian data sets; phase
  `ended`, or `expired` for a volunteer row whose all-clear was never seen) whose id is a UUID 5
  of the source name and the row's content, so importing the same rows again adds nothing.
- Rows are written in batches. Each batch is one command on the bus
  (`tocsin.records.handlers.history`), so one transaction holds its alerts, their regions, their
  statistics spans, the import's progress (the last line committed), one `history.imported`
  event and its audit row. An interrupted import resumes after the last committed batch.
- An import is one file's content read as one format (`import_key`): the same file read as
  another format is another import.
- Bad rows (unreadable, ending before they start, naming no known region or threat) are
  reported with their line and reason. With `on_error="skip"` they are left out, and counted
  in the next batch that has a good row; a file without one writes nothing, neither progress
  nor event. With `on_error="abort"` the whole file is checked *before anything is written*,
  and a file with a bad row writes nothing at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

import orjson

from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.auth import Actor, Role
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import Catalogue
from tocsin.errors import InvalidInput
from tocsin.records.domain import commands as rc
from tocsin.records.domain.history import Batch, BatchDone, ImportRecord, NewAlerts
from tocsin.records.history.formats import BadRow, Row, reader
from tocsin.records.history.mapping import PlaceMapper, Unmapped
from tocsin.records.storage.history_store import HistoryStore
from tocsin.records.storage.stats_store import micros
from tocsin.service.bus import CommandBus
from tocsin.storage.store import Store
from tocsin.types import AlertId, RegionCode

OnError = Literal["skip", "abort"]
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tocsin.dev/history")
_NAMESPACE_BYTES = NAMESPACE.bytes
DEFAULT_BATCH = 10_000


class HistoryAlert(NamedTuple):
    """One readable row, mapped to a region (a named tuple: an import makes tens of
    thousands)."""

    line: int
    region: RegionCode
    start: datetime
    end: datetime
    threat: str
    status: Status
    naive: bool = False


@dataclass(frozen=True, slots=True)
class Prepared:
    """A row ready to be written: its alert's id and the rows of every table it goes into."""

    id: AlertId
    item: HistoryAlert
    source: str

    @property
    def line(self) -> int:
        return self.item.line

    def alert(self) -> Alert:
        item = self.item
        return Alert(
            id=self.id,
            status=item.status,
            phase=Phase.EXPIRED if item.naive else Phase.ENDED,
            threat=item.threat,
            regions=(item.region,),
            raised_at=item.start,
            activated_at=item.start,
            updated_at=item.end,
            ended_at=item.end,
            expires_at=item.end if item.naive else None,
            raised_by=f"history:{self.source}",
            source=f"history:{self.source}:{item.line}",
        )

    def alert_row(self) -> tuple[Any, ...]:
        """The `alerts` row (columns as in `ALERT_COLUMNS`); `data` is the JSON of
        `self.alert()`, built directly (an import writes tens of thousands of these)."""
        item = self.item
        status, phase = item.status.value, (Phase.EXPIRED if item.naive else Phase.ENDED).value
        start, end = item.start, item.end
        expires = end if item.naive else None
        data = {
            "id": self.id,
            "status": status,
            "phase": phase,
            "threat": item.threat,
            "regions": [item.region],
            "raised_at": start,
            "activated_at": start,
            "updated_at": end,
            "ended_at": end,
            "expires_at": expires,
            "version": 1,
            "raised_by": f"history:{self.source}",
            "headline": None,
            "text": None,
            "cancel_message": None,
            "source": f"history:{self.source}:{item.line}",
            "approval": None,
        }
        json = orjson.dumps(data, option=orjson.OPT_UTC_Z).decode()  # times as `iso_time` has them
        return (self.id, status, phase, item.threat, start, end, expires, 1, json)

    def span_rows(self, lineage: Sequence[RegionCode]) -> list[tuple[Any, ...]]:
        """The `alert_spans` rows (columns as in `SPAN_COLUMNS`): the region and each of
        its ancestors, `lineage`."""
        item = self.item
        status, start, end = item.status.value, micros(item.start), micros(item.end)
        return [
            (code, status, start, self.id, end, item.threat, self.source, code == item.region)
            for code in lineage
        ]


@dataclass
class ImportReport:
    file: str
    format: str
    source: str
    fingerprint: str
    rows: int = 0
    added: int = 0
    existing: int = 0
    bad: list[BadRow] = field(default_factory=list)
    resumed_after: int | None = None
    already_imported: bool = False
    aborted: bool = False
    dry_run: bool = False
    batches: int = 0
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return len(self.bad)

    @property
    def unusable(self) -> bool:
        """Not one row of the file could be imported (or, on a dry run, could be)."""
        return not self.already_imported and self.rows == self.rejected


def mapped_rows(
    path: Path, fmt: str, tree: RegionTree, catalogue: Catalogue
) -> Iterator[HistoryAlert | BadRow]:
    """The file's rows with their region codes, or the reason a row cannot be used."""
    read = reader(fmt)
    mapper = PlaceMapper(tree) if fmt.startswith("ua-") else None
    for record in read(path):
        if isinstance(record, BadRow):
            yield record
            continue
        try:
            region = _region(record, mapper, tree)
        except Unmapped as exc:
            yield BadRow(record.line, str(exc))
            continue
        if record.threat not in catalogue:
            yield BadRow(record.line, f"unknown threat type {record.threat!r}")
            continue
        yield HistoryAlert(
            record.line,
            region,
            record.start,
            record.end,
            record.threat,
            record.status,
            record.naive,
        )


def fingerprint(path: Path) -> tuple[str, int]:
    """SHA-256 of the file's bytes, and its number of lines."""
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


class HistoryImporter:
    """Reads, checks and maps a file's rows, and sends them to the bus a batch at a time."""

    def __init__(self, bus: CommandBus, store: Store) -> None:
        self.bus = bus
        self.records = HistoryStore(store.engine)
        self.tree = bus.tree()
        self.catalogue = bus.catalogue
        self._lineage: dict[RegionCode, list[RegionCode]] = {}

    async def run(
        self,
        path: Path,
        fmt: str,
        *,
        actor: Actor | str,
        source: str | None = None,
        on_error: OnError = "skip",
        batch_size: int = DEFAULT_BATCH,
        dry_run: bool = False,
        on_batch: Callable[[BatchDone], None] | None = None,
    ) -> ImportReport:
        """Import `path`; `actor` imports it (a name stands for the local command line, an
        admin)."""
        if isinstance(actor, str):
            actor = Actor(name=actor, role=Role.ADMIN, origin="cli")
        started = time.perf_counter()
        _require_file(path)
        if batch_size < 1:
            raise InvalidInput("batch size must be at least 1", field="batch_size")
        reader(fmt)
        digest, _ = fingerprint(path)
        name = source or default_source(fmt, path)
        report = ImportReport(path.name, fmt, name, digest, dry_run=dry_run)
        record = await self.records.get(import_key(fmt, digest))
        if record is not None and record.finished:
            report.already_imported = True
            report.rows = record.added + record.existing + record.rejected
            report.existing = record.added + record.existing
            report.seconds = time.perf_counter() - started
            return report
        if on_error == "abort" or dry_run:
            self._check(path, fmt, name, report)
            if report.bad and on_error == "abort":
                report.aborted = True
            if report.aborted or dry_run:
                report.seconds = time.perf_counter() - started
                return report
            report.bad, report.rows = [], 0
        await self._import(path, fmt, name, record, batch_size, actor, report, on_batch)
        report.seconds = time.perf_counter() - started
        return report

    def _check(self, path: Path, fmt: str, name: str, report: ImportReport) -> None:
        for item in self.prepare(path, fmt, name):
            report.rows += 1
            if isinstance(item, BadRow):
                report.bad.append(item)

    def prepare(self, path: Path, fmt: str, name: str) -> Iterator[Prepared | BadRow]:
        seen: dict[str, int] = {}
        for item in mapped_rows(path, fmt, self.tree, self.catalogue):
            if isinstance(item, BadRow):
                yield item
                continue
            key = _content_key(name, item)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:  # the same row twice in one file: two alerts, both stable
                key = f"{key}#{seen[key]}"
            yield Prepared(_uuid5(key), item, name)

    async def _import(
        self,
        path: Path,
        fmt: str,
        name: str,
        record: ImportRecord | None,
        batch_size: int,
        actor: Actor,
        report: ImportReport,
        on_batch: Callable[[BatchDone], None] | None,
    ) -> None:
        now = self.bus.clock.now()
        new = record is None
        if record is None:
            key = import_key(fmt, report.fingerprint)
            record = ImportRecord(key, name, fmt, str(path), 0, 0, 0, 0, now, now, None)
        else:
            report.resumed_after = record.last_line
        batches = self._batches(path, fmt, name, record.last_line, batch_size, report)
        batch = await asyncio.to_thread(next, batches)
        while True:
            if new and batch.final and not batch.size:  # not one good row: nothing to record
                break
            # read and prepare the next batch in a thread while this one is written
            ahead = None if batch.final else asyncio.create_task(asyncio.to_thread(next, batches))
            try:
                record, done = await self.bus.handle(rc.ImportBatch(record, new, batch), actor)
            except BaseException:
                if ahead is not None:
                    await asyncio.wait([ahead])
                raise
            new = False
            report.batches += 1
            if on_batch is not None:
                on_batch(done)
            if ahead is None:
                break
            batch = await ahead
        report.added, report.existing = record.added, record.existing

    def _batches(
        self, path: Path, fmt: str, name: str, after: int, size: int, report: ImportReport
    ) -> Iterator[Batch]:
        """Batches of the rows after line `after`, each with at least one good row but the last;
        every row is read (and counted, and bad rows reported) so that a resumed import reports
        the same as an uninterrupted one."""
        items: list[Prepared] = []
        bad, first, last = 0, None, after
        for item in self.prepare(path, fmt, name):
            report.rows += 1
            if isinstance(item, BadRow):
                report.bad.append(item)
            if item.line <= after:
                continue
            if items and len(items) + bad >= size:  # a full batch, and more to come
                yield self._batch(items, bad, first, last, final=False)
                items, bad, first = [], 0, None
            last = item.line
            first = last if first is None else first
            if isinstance(item, BadRow):
                bad += 1
            else:
                items.append(item)
        yield self._batch(items, bad, first, last, final=True)

    def _batch(
        self, items: list[Prepared], bad: int, first: int | None, last: int, *, final: bool
    ) -> Batch:
        unique = {p.id: p for p in items}.values()
        rows = NewAlerts(
            [p.alert_row() for p in unique],
            [(p.id, p.item.region) for p in unique],
            [span for p in unique for span in p.span_rows(self._lineage_of(p.item.region))],
        )
        first = last + 1 if first is None else first
        return Batch(rows, len(items), bad, first, last, final)

    def _lineage_of(self, code: RegionCode) -> list[RegionCode]:
        lineage = self._lineage.get(code)
        if lineage is None:
            lineage = self._lineage[code] = [code, *self.tree.ancestors(code)]
        return lineage


def import_key(fmt: str, digest: str) -> str:
    """What identifies an import (its `history_imports` row): the SHA-256 of the format's name
    and the file's SHA-256, `digest`."""
    return hashlib.sha256(f"{fmt}\n{digest}".encode()).hexdigest()


def default_source(fmt: str, path: Path) -> str:
    """`ua-official`, `ua-volunteer`; for the generic formats the file's name without suffix."""
    return fmt if fmt.startswith("ua-") else path.stem


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}", field="file")


def _region(record: Row, mapper: PlaceMapper | None, tree: RegionTree) -> RegionCode:
    if record.place is not None:
        if mapper is None:
            raise Unmapped("this format gives places, not region codes")
        return mapper.resolve(record.place)
    assert record.region is not None
    if record.region not in tree:
        raise Unmapped(f"unknown region code {record.region!r}")
    return record.region


def _content_key(source: str, item: HistoryAlert) -> str:
    start, end = micros(item.start), micros(item.end)
    return f"{source}|{item.region}|{item.threat}|{item.status.value}|{start}|{end}"


def _uuid5(key: str) -> str:
    """`str(uuid.uuid5(NAMESPACE, key))`, without the cost of building UUID objects."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + key.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"

"""Importing history into the store (SQLite and PostgreSQL): idempotent, batched, resumable."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_support import counts, head, official, volunteer

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import Phase, Status
from tocsin.records.history.importer import BatchDone, HistoryImporter
from tocsin.records.storage.history_store import HistoryStore
from tocsin.storage.store import HistoryQuery

SLICE = 3000


def importer(tocsin: Tocsin) -> HistoryImporter:
    return HistoryImporter(tocsin.bus, tocsin.store)


def expected_spans(tocsin: Tocsin, codes: list[str]) -> int:
    tree = tocsin.regions.tree
    return sum(1 + len(tree.ancestors(code)) for code in codes)


async def test_a_slice_imports_once(tocsin: Tocsin, tmp_path: Path) -> None:
    path = head(official(), SLICE, tmp_path / "official.csv")
    report = await importer(tocsin).run(path, "ua-official", actor="test", batch_size=1000)
    assert (report.rows, report.added, report.existing, report.rejected) == (SLICE, SLICE - 1, 0, 1)
    assert report.bad[0].line == 18 and "Lubenskyi raion" in report.bad[0].reason
    assert report.batches == 3
    before = await counts(tocsin)
    alerts = await tocsin.store.history(HistoryQuery(limit=5000))
    assert before["alerts"] == before["alert_regions"] == len(alerts) == SLICE - 1
    assert before["spans"] == expected_spans(tocsin, [a.regions[0] for a in alerts])
    first = min(alerts, key=lambda a: (a.raised_at, a.source or ""))
    assert (first.status, first.phase, first.threat) == (Status.ACTUAL, Phase.ENDED, "air")
    assert first.regions == ("UA-05",) and first.source == "history:ua-official:2"
    assert first.ended_at is not None and first.activated_at == first.raised_at
    again = await importer(tocsin).run(path, "ua-official", actor="test")
    assert again.already_imported and again.added == 0
    assert await counts(tocsin) == before


async def test_overlapping_files_add_only_the_new_rows(tocsin: Tocsin, tmp_path: Path) -> None:
    small = head(official(), 1000, tmp_path / "small.csv")
    large = head(official(), 1500, tmp_path / "large.csv")
    first = await importer(tocsin).run(small, "ua-official", actor="test")
    second = await importer(tocsin).run(large, "ua-official", actor="test")
    assert (first.added, second.added, second.existing) == (999, 500, 999)
    assert (await counts(tocsin))["alerts"] == 1499


async def test_one_event_per_batch(tocsin: Tocsin, tmp_path: Path) -> None:
    path = head(official(), 1200, tmp_path / "official.csv")
    before = await tocsin.store.last_seq()
    await importer(tocsin).run(path, "ua-official", actor="tester", batch_size=500)
    events = await tocsin.store.events_after(before)
    assert [e.type for e in events] == ["history.imported"] * 3
    assert [e.data["lines"] for e in events] == [[2, 501], [502, 1001], [1002, 1201]]
    assert [e.data["added"] for e in events] == [499, 500, 200]
    assert events[0].data["rejected"] == 1 and events[-1].data["finished"]
    assert {e.actor for e in events} == {"tester"}


async def test_an_interrupted_import_resumes(tocsin: Tocsin, tmp_path: Path) -> None:
    path = head(official(), SLICE, tmp_path / "official.csv")
    done: list[BatchDone] = []

    def crash_after_two(batch: BatchDone) -> None:
        done.append(batch)
        if len(done) == 2:
            raise KeyboardInterrupt("power cut")

    with pytest.raises(KeyboardInterrupt):
        await importer(tocsin).run(
            path, "ua-official", actor="t", batch_size=700, on_batch=crash_after_two
        )
    record = (await HistoryStore(tocsin.store.engine).all())[0]
    assert (record.last_line, record.finished_at) == (1401, None)
    assert (await counts(tocsin))["alerts"] == 1399
    resumed = await importer(tocsin).run(path, "ua-official", actor="t", batch_size=700)
    assert resumed.resumed_after == 1401
    assert (resumed.added, resumed.existing, resumed.rejected) == (SLICE - 1, 0, 1)
    after = await counts(tocsin)
    assert after["alerts"] == SLICE - 1
    record = (await HistoryStore(tocsin.store.engine).all())[0]
    assert record.finished_at is not None and record.last_line == SLICE + 1


async def test_abort_mode_writes_nothing_when_a_row_is_bad(tocsin: Tocsin, tmp_path: Path) -> None:
    path = head(official(), 500, tmp_path / "official.csv")
    before = await counts(tocsin)
    report = await importer(tocsin).run(
        path, "ua-official", actor="t", on_error="abort", batch_size=100
    )
    assert report.aborted and report.added == 0 and [b.line for b in report.bad] == [18]
    assert await counts(tocsin) == before
    assert await HistoryStore(tocsin.store.engine).all() == []


async def test_abort_mode_imports_a_clean_file(tocsin: Tocsin, tmp_path: Path) -> None:
    lines = official().read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "clean.csv"
    path.write_text(lines[0] + "".join(lines[18:400]), encoding="utf-8")
    report = await importer(tocsin).run(path, "ua-official", actor="t", on_error="abort")
    assert not report.aborted and report.added == 382


async def test_dry_run_checks_without_writing(tocsin: Tocsin, tmp_path: Path) -> None:
    path = head(official(), 300, tmp_path / "official.csv")
    before = await counts(tocsin)
    report = await importer(tocsin).run(path, "ua-official", actor="t", dry_run=True)
    assert report.dry_run and report.rows == 300 and report.rejected == 1
    assert await counts(tocsin) == before


async def test_skip_mode_reports_each_bad_row(tocsin: Tocsin, tmp_path: Path) -> None:
    path = tmp_path / "other-country.csv"
    path.write_text(
        "region,threat,start,end,status\n"
        "UA-63,missile,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z,actual\n"
        "XX-99,missile,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z,actual\n"
        "UA-63,missile,2024-01-02T05:00:00Z,2024-01-02T04:00:00Z,actual\n"
        "UA-63,missile,soon,2024-01-02T04:00:00Z,actual\n"
        "UA-63,meteor,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z,actual\n"
        "RU-BEL,uav,2024-01-02T03:00:00Z,2024-01-02T03:30:00Z,exercise\n",
        encoding="utf-8",
    )
    report = await importer(tocsin).run(path, "csv", actor="t")
    assert report.source == "other-country" and report.added == 2
    reasons = {b.line: b.reason for b in report.bad}
    assert sorted(reasons) == [3, 4, 5, 6]
    assert "unknown region code 'XX-99'" in reasons[3]
    assert "ends before it starts" in reasons[4]
    assert "'soon' is not an ISO 8601 time" in reasons[5]
    assert "unknown threat type 'meteor'" in reasons[6]
    alerts = await tocsin.store.history(HistoryQuery(limit=10))
    assert {(a.regions[0], a.status, a.threat) for a in alerts} == {
        ("UA-63", Status.ACTUAL, "missile"),
        ("RU-BEL", Status.EXERCISE, "uav"),
    }
    assert {a.source for a in alerts} == {"history:other-country:2", "history:other-country:7"}


async def test_jsonl_imports_like_csv(tocsin: Tocsin, tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    path.write_text(
        '{"region": "UA-32", "threat": "uav", "start": "2024-05-01T00:00:00Z",'
        ' "end": "2024-05-01T01:00:00Z"}\n'
        '{"region": "UA-32", "threat": "uav", "start": "2024-05-01T00:00:00Z",'
        ' "end": "2024-05-01T01:00:00Z"}\n',
        encoding="utf-8",
    )
    report = await importer(tocsin).run(path, "jsonl", actor="t", source="kyiv-oblast-feed")
    assert report.added == 2  # the same row twice is two alerts, each with a stable id
    again = await importer(tocsin).run(path, "jsonl", actor="t", source="kyiv-oblast-feed")
    assert again.added == 0


async def test_volunteer_rows_without_an_all_clear_expired(tocsin: Tocsin, tmp_path: Path) -> None:
    path = head(volunteer(), 50, tmp_path / "volunteer.csv")
    report = await importer(tocsin).run(path, "ua-volunteer", actor="t")
    assert report.added == 50 and report.source == "ua-volunteer"
    alerts = await tocsin.store.history(HistoryQuery(limit=100))
    naive = [a for a in alerts if a.phase is Phase.EXPIRED]
    assert naive and all(a.expires_at == a.ended_at for a in naive)
    kyiv = next(a for a in alerts if a.source == "history:ua-volunteer:2")
    assert kyiv.regions == ("UA-30",) and kyiv.phase is Phase.EXPIRED


def generic(tmp_path: Path, *rows: bytes, name: str = "rows.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(b"region,threat,start,end\n" + b"".join(row + b"\n" for row in rows))
    return path


GOOD = b"UA-63,missile,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z"
LATER = b"UA-63,missile,2024-01-03T03:00:00Z,2024-01-03T04:00:00Z"


async def test_abused_rows_are_reported_and_the_good_ones_imported(
    tocsin: Tocsin, tmp_path: Path
) -> None:
    path = generic(
        tmp_path,
        GOOD,
        b"UA-\xff,missile,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z",
        bytes(b for b in range(256) if b not in b"\r\n"),
        b'UA-63,"' + b"x" * 140_000 + b'",2024-01-02T03:00:00Z,2024-01-02T04:00:00Z',
        b"UA-63,missile,0001-01-01T00:00:00+03:00,2024-01-02T04:00:00Z",
        b"UA-63,missile,2024-01-02T03:00:00Z,9999-12-31T23:59:59-03:00",
        b"UA-63,missile,9999-12-31T23:59:59Z,9999-12-31T23:59:59Z",
        LATER,
    )
    report = await importer(tocsin).run(path, "csv", actor="t")
    assert (report.rows, report.added, report.rejected) == (8, 2, 6)
    assert [b.line for b in report.bad] == [3, 4, 5, 6, 7, 8]
    assert (await counts(tocsin))["alerts"] == 2


async def test_a_file_without_a_good_row_records_nothing(tocsin: Tocsin, tmp_path: Path) -> None:
    path = generic(
        tmp_path,
        b"XX-1,missile,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z",
        b"UA-63,meteor,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z",
    )
    before, seq = await counts(tocsin), await tocsin.store.last_seq()
    report = await importer(tocsin).run(path, "csv", actor="t", batch_size=1)
    assert (report.rows, report.added, report.rejected, report.batches) == (2, 0, 2, 0)
    assert await counts(tocsin) == before and await tocsin.store.events_after(seq) == []
    assert await HistoryStore(tocsin.store.engine).all() == []
    again = await importer(tocsin).run(path, "csv", actor="t")
    assert not again.already_imported and again.rejected == 2


async def test_bad_rows_are_counted_with_the_next_good_one(tocsin: Tocsin, tmp_path: Path) -> None:
    bad = b"XX-1,missile,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z"
    path = generic(tmp_path, bad, bad, bad, GOOD, bad, bad)
    seq = await tocsin.store.last_seq()
    report = await importer(tocsin).run(path, "csv", actor="t", batch_size=2)
    events = await tocsin.store.events_after(seq)
    assert [(e.data["lines"], e.data["added"], e.data["rejected"]) for e in events] == [
        ([2, 5], 1, 3),
        ([6, 7], 0, 2),
    ]
    assert (report.added, report.rejected) == (1, 5)
    (record,) = await HistoryStore(tocsin.store.engine).all()
    assert (record.added, record.rejected, record.last_line, record.finished) == (1, 5, 7, True)


async def test_the_same_file_read_as_another_format_is_another_import(
    tocsin: Tocsin, tmp_path: Path
) -> None:
    path = tmp_path / "both.csv"
    path.write_text(
        "oblast,raion,hromada,level,started_at,finished_at,region,threat,start,end\n"
        "Kharkivska oblast,,,oblast,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z,"
        "UA-63,air,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z\n",
        encoding="utf-8",
    )
    first = await importer(tocsin).run(path, "ua-official", actor="t")
    second = await importer(tocsin).run(path, "csv", actor="t")
    assert (first.added, second.already_imported, second.added) == (1, False, 1)
    assert first.fingerprint == second.fingerprint  # the file's SHA-256, as the events say
    records = await HistoryStore(tocsin.store.engine).all()
    assert sorted(r.format for r in records) == ["csv", "ua-official"]
    third = await importer(tocsin).run(path, "csv", actor="t")
    assert third.already_imported

"""The bulk writes of an import (SQLite and PostgreSQL) store what the rest of tocsin stores."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson
from history_support import head, official, volunteer

from tocsin.bootstrap import Tocsin
from tocsin.records.history.importer import HistoryImporter, Prepared
from tocsin.records.storage import history_store as hs

ALERT_ROW = "SELECT raised_at, ended_at, expires_at, data FROM alerts WHERE id = '{}'"


def importer(tocsin: Tocsin) -> HistoryImporter:
    return HistoryImporter(tocsin.bus, tocsin.store)


def prepared(tocsin: Tocsin, path: Path, fmt: str) -> list[Prepared]:
    items = importer(tocsin).prepare(path, fmt, fmt)
    return [item for item in items if isinstance(item, Prepared)]


async def test_imported_alerts_read_back_as_prepared(tocsin: Tocsin, tmp_path: Path) -> None:
    files = [
        (head(official(), 200, tmp_path / "official.csv"), "ua-official"),
        (head(volunteer(), 200, tmp_path / "volunteer.csv"), "ua-volunteer"),
    ]
    for path, fmt in files:
        await importer(tocsin).run(path, fmt, actor="t")
        items = prepared(tocsin, path, fmt)
        assert any(p.item.naive for p in items) == (fmt == "ua-volunteer")
        for item in items:
            assert await tocsin.store.get_alert(item.id) == item.alert()


async def test_an_imported_row_is_stored_as_a_saved_alert_is(
    tocsin: Tocsin, tmp_path: Path
) -> None:
    path = head(volunteer(), 20, tmp_path / "volunteer.csv")
    await importer(tocsin).run(path, "ua-volunteer", actor="t")
    items = prepared(tocsin, path, "ua-volunteer")
    naive = next(p for p in items if p.item.naive)  # expired: no all-clear was seen
    for item in (naive, next(p for p in items if not p.item.naive)):
        twin = replace(item.alert(), id=f"twin-{item.id[5:]}")
        async with tocsin.store.write() as tx:
            await tx.save_alert(twin, new=True)
        async with tocsin.store.engine.connect() as conn:
            ours = (await conn.exec_driver_sql(ALERT_ROW.format(item.id))).one()
            theirs = (await conn.exec_driver_sql(ALERT_ROW.format(twin.id))).one()
        assert ours[:3] == theirs[:3]  # the driver's values, as SQLAlchemy wrote them
        assert _data(ours[3]) == {**_data(theirs[3]), "id": item.id}


async def test_existing_ids_answers_in_one_query(tocsin: Tocsin, tmp_path: Path) -> None:
    path = head(official(), 1500, tmp_path / "official.csv")
    await importer(tocsin).run(path, "ua-official", actor="t")
    present = [p.id for p in prepared(tocsin, path, "ua-official")]
    absent = [f"00000000-0000-5000-8000-{n:012d}" for n in range(1500)]
    async with tocsin.store.engine.connect() as conn:
        assert await hs.existing_ids(conn, []) == set()
        assert await hs.existing_ids(conn, absent) == set()
        assert await hs.existing_ids(conn, absent[:700] + present[::2]) == set(present[::2])


def test_new_alerts_less_some_alerts() -> None:
    rows = hs.NewAlerts(
        alerts=[("a", "actual"), ("b", "actual")],
        regions=[("a", "UA-63"), ("b", "UA-32")],
        spans=[
            ("UA-63", "actual", 1, "a", 2, "air", "x", True),
            ("UA", "actual", 1, "a", 2, "air", "x", False),
            ("UA-32", "actual", 1, "b", 2, "air", "x", True),
        ],
    )
    assert rows.ids == ["a", "b"] and rows.without(set()) is rows
    left = rows.without({"a"})
    assert (left.ids, left.regions) == (["b"], [("b", "UA-32")])
    assert [span[0] for span in left.spans] == ["UA-32"]


def _data(value: str | dict[str, object]) -> dict[str, object]:
    """The `data` column as the driver gives it: text on SQLite, decoded on PostgreSQL."""
    return value if isinstance(value, dict) else orjson.loads(value)

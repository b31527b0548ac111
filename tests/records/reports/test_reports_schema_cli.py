"""The report tables as migration 0017 makes them, and `tocsin report` on the local database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from tocsin.bootstrap import Tocsin
from tocsin.cli import app as tocsin_app
from tocsin.records.storage import report_store
from tocsin.storage import migrate
from tocsin.storage import tables as t

MY_TABLES = {report_store.reports.name, report_store.report_proposals.name}
runner = CliRunner()


def _table_of(diff: Any) -> str | None:
    if isinstance(diff, list):
        return _table_of(diff[0])
    for item in diff[1:]:
        name = getattr(item, "name", None) if not isinstance(item, str) else None
        table = getattr(item, "table", None)
        if table is not None:
            return str(table.name)
        if name in MY_TABLES:
            return str(name)
        if isinstance(item, str) and item in MY_TABLES:
            return item
    return None


async def test_schema_matches_the_tables(tocsin: Tocsin) -> None:
    async with tocsin.store.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), t.metadata)
        )
    assert [d for d in diff if _table_of(d) in MY_TABLES] == []


async def test_migration_goes_down_and_up_again(tocsin: Tocsin) -> None:
    engine = tocsin.store.engine
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(migrate._config(sync), "0018"))
        names = await conn.run_sync(lambda sync: set(sync.dialect.get_table_names(sync)))
    assert names.isdisjoint(MY_TABLES)
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(sync.dialect.get_table_names(sync)))
    assert names >= MY_TABLES


def tocsin(database_url: str, *args: str, code: int = 0, stdin: str | None = None) -> str:
    result = runner.invoke(
        tocsin_app, list(args), env={"TOCSIN_DATABASE_URL": database_url}, input=stdin
    )
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    return result.stdout if code == 0 else output


def as_json(database_url: str, *args: str, stdin: str | None = None) -> Any:
    return json.loads(tocsin(database_url, *args, "--json", stdin=stdin))


def test_a_report_is_added_shown_and_its_figure_accepted_from_the_cli(
    database_url: str, tmp_path: Path
) -> None:
    made = as_json(
        database_url,
        "incident",
        "create",
        "-r",
        "UA-63",
        "-t",
        "missile",
        "--start",
        "2026-02-28T22:30:00Z",
    )
    old = as_json(
        database_url, "incident", "claim", made["id"], "injured", "22", "--source", "OVA"
    )["id"]
    text = tmp_path / "report.txt"
    text.write_text(
        "Overnight Russia attacked Kharkiv with missiles. 28 people were wounded.",
        encoding="utf-8",
    )
    report = as_json(
        database_url,
        "report",
        "add",
        str(text),
        "--source-name",
        "Kharkiv OVA",
        "--source-kind",
        "official",
        "--published-at",
        "2026-03-01T08:00:00+02:00",
    )
    assert report["matches"] == [made["id"]]
    [proposal] = report["proposals"]
    assert (proposal["relation"], proposal["supersedes"]) == ("correction", [old])
    assert as_json(database_url, "report", "show", report["id"])["proposals"] == [proposal]
    shown = tocsin(database_url, "report", "show", report["id"])
    assert f"matches: {made['id']}" in shown and proposal["id"][:8] in shown
    listed = tocsin(database_url, "report", "list")
    assert report["id"][:8] in listed
    accepted = tocsin(database_url, "report", "accept", report["id"], proposal["id"][:8])
    assert "accepted" in accepted
    record = as_json(database_url, "incident", "show", made["id"])
    [new] = [c for c in record["claims"] if c["id"] != old]
    assert (new["value"], new["supersedes"], new["report"]["id"]) == (28, [old], report["id"])
    again = tocsin(database_url, "report", "accept", report["id"], proposal["id"], code=1)
    assert "already accepted" in again

    stdin = as_json(
        database_url,
        "report",
        "add",
        "-",
        "--source-name",
        "OVA",
        stdin="Вночі ворог атакував Харків ракетами. Поранено 3 людей.",
    )
    assert stdin["lang"] == "uk"
    refused = tocsin(
        database_url, "report", "add", str(tmp_path / "missing.txt"), "--source-name", "OVA", code=2
    )
    assert "cannot read" in refused
    refused = tocsin(database_url, "report", "add", str(text), code=2)
    assert "source.name" in refused

"""Helpers for the history tests: slices of the real data sets, the CLI with the new commands."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import shared_data
from tocsin.bootstrap import Tocsin
from tocsin.cli import history, replay, stats
from tocsin.records.storage.stats_store import alert_spans
from tocsin.storage import tables as t

runner = CliRunner()


def official() -> Path:
    return shared_data("alerts", "official_data_en.csv")


def volunteer() -> Path:
    return shared_data("alerts", "volunteer_data_en.csv")


def head(source: Path, rows: int, target: Path) -> Path:
    """The header and the first `rows` data rows of `source`."""
    with source.open(encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(rows + 1)]
    target.write_text("".join(lines), encoding="utf-8")
    return target


def cli() -> typer.Typer:
    """The `tocsin` command with this feature's commands, wired as the composition root will."""
    from tocsin.cli import app as main

    app = typer.Typer()
    app.registered_commands = list(main.registered_commands)
    app.registered_groups = list(main.registered_groups)
    app.add_typer(history.app, name="history")
    app.add_typer(stats.app, name="stats")
    replay.register(app)
    return app


def invoke(database_url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(cli(), list(args), env={"TOCSIN_DATABASE_URL": database_url})
    output = result.stdout + result.stderr
    assert result.exit_code == code, output + repr(result.exception)
    return result.stdout


async def counts(tocsin: Tocsin) -> dict[str, int]:
    async with tocsin.store.engine.connect() as conn:
        return {
            name: int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
            for name, table in (
                ("alerts", t.alerts),
                ("alert_regions", t.alert_regions),
                ("spans", alert_spans),
                ("events", t.events),
            )
        }

"""`tocsin drill`: schedule, list, show, change, cancel and report, through the command bus."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from tocsin.cli import app

runner = CliRunner()


def tocsin(database_url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args], env={"TOCSIN_DATABASE_URL": database_url})
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    return result.stdout if code == 0 else output


def test_drill_commands(database_url: str) -> None:
    soon = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    out = tocsin(
        database_url,
        "drill", "schedule", "Spring drill", "--at", soon.isoformat(), "--region", "UA-63",
    )  # fmt: skip
    drill_id = out.strip().splitlines()[-1]
    assert len(drill_id) == 32
    assert drill_id in tocsin(database_url, "drill", "list")
    shown = json.loads(tocsin(database_url, "drill", "show", drill_id))
    assert (shown["title"], shown["regions"], shown["state"]) == (
        "Spring drill",
        ["UA-63"],
        "scheduled",
    )
    tocsin(database_url, "drill", "change", drill_id, "--title", "Autumn drill")
    assert json.loads(tocsin(database_url, "drill", "show", drill_id))["title"] == "Autumn drill"
    overlap = tocsin(
        database_url,
        "drill", "schedule", "Again", "--at", soon.isoformat(), "--region", "UA-63-R124",
        code=1,
    )  # fmt: skip
    assert "overlaps" in overlap
    past = (soon - timedelta(days=2)).isoformat()
    assert "in the past" in tocsin(
        database_url, "drill", "schedule", "Old", "--at", past, "--region", "UA-32", code=2
    )
    tocsin(database_url, "drill", "cancel", drill_id)
    report = json.loads(tocsin(database_url, "drill", "report", drill_id))
    assert report["drill"]["state"] == "cancelled" and report["channels"] == {}

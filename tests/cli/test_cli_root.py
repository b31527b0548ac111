"""`tocsin --database-url URL --config FILE <command>`: the options of every command, given once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tocsin.cli import app, db

runner = CliRunner()
ELSEWHERE = {"TOCSIN_DATABASE_URL": "sqlite:////nonexistent/dir/elsewhere.db"}


def tocsin(*args: str, code: int = 0, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, list(args), env=env or ELSEWHERE)
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    return result.stdout if code == 0 else output  # stderr names the database


def test_the_flag_before_the_command_picks_the_database(database_url: str) -> None:
    raised = tocsin(
        "--database-url", database_url, "alert", "raise", "--threat", "uav", "-r", "UA-63", "--json"
    )
    alert_id = json.loads(raised)["id"]
    listed = json.loads(tocsin("--database-url", database_url, "alert", "list", "--json"))
    assert [a["id"] for a in listed["alerts"]] == [alert_id]
    assert "up to date" in tocsin("--database-url", database_url, "db", "status")


def test_the_flag_reaches_records_and_tokens(database_url: str) -> None:
    created = tocsin("--database-url", database_url, "token", "create", "--role", "viewer")
    assert "viewer" in created
    assert "viewer" in tocsin("--database-url", database_url, "token", "list")
    assert "no incidents" in tocsin("--database-url", database_url, "incident", "list")


def test_the_flag_wins_over_the_environment(database_url: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert "revision 0" in tocsin("--database-url", other, "db", "upgrade")
    assert "up to date" in tocsin("--database-url", other, "db", "status")
    assert "revision none" in tocsin(
        "--database-url",
        f"sqlite:///{tmp_path / 'third.db'}",
        "db",
        "status",
        env={"TOCSIN_DATABASE_URL": other},
    )


def test_the_config_file_before_the_command(database_url: str, tmp_path: Path) -> None:
    config = tmp_path / "tocsin.toml"
    config.write_text(f'[tocsin]\ndatabase_url = "{database_url}"\n', encoding="utf-8")
    result = runner.invoke(app, ["--config", str(config), "db", "status"], env={})
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_the_flag_holds_for_its_invocation_only(database_url: str, tmp_path: Path) -> None:
    assert "up to date" in tocsin("--database-url", database_url, "db", "status")
    bare = typer.Typer()  # no root options: the environment decides
    bare.add_typer(db.app, name="db")
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = runner.invoke(bare, ["db", "status"], env={"TOCSIN_DATABASE_URL": other})
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "other.db: revision none" in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--database-url", "mysql://x/y", "alert", "list"], "unsupported database"),
        (["--database-url", "::nonsense::", "db", "status"], "not a database URL"),
        (["--config", "/nonexistent/tocsin.toml", "db", "status"], "does not exist"),
    ],
)
def test_bad_root_options_are_clear_errors(args: list[str], says: str) -> None:
    assert says in tocsin(*args, code=2)


def test_the_old_position_is_refused() -> None:
    output = tocsin("alert", "list", "--database-url", "sqlite:///x.db", code=2)
    assert "No such option" in output

"""Which database a command uses: said on stderr, and never made up on the spot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from tocsin.cli import app

runner = CliRunner()


def test_a_command_in_an_empty_folder_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["alert", "list"], env={"TOCSIN_DATABASE_URL": None})
    assert result.exit_code == 1
    assert f"no database at {tmp_path / 'tocsin.db'}" in result.stderr
    assert "tocsin db upgrade" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["token", "create", "--role", "viewer"],
        ["regions", "list"],
        ["incident", "list"],
        ["audit", "verify"],
        ["alert", "raise", "--threat", "uav", "-r", "UA-63"],
    ],
)
def test_no_command_creates_a_missing_file(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "typo.db"
    result = runner.invoke(app, ["--database-url", f"sqlite:///{missing}", *args])
    assert result.exit_code == 1, result.output
    assert not missing.exists()
    assert not (tmp_path / "typo.db.audit-key").exists()


def test_every_command_says_which_database_it_used(database_url: str) -> None:
    url = database_url.replace("postgres@", "postgres:s3cret@")  # trust: any password will do
    result = runner.invoke(
        app, ["token", "create", "--role", "viewer"], env={"TOCSIN_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("tocsin_")
    if url.startswith("sqlite"):
        assert result.stderr == f"Using {url} ({Path(url[10:]).resolve()})\n"
    else:
        masked = url.replace(":s3cret@", ":***@")
        assert result.stderr == f"Using {masked}\n"


def test_the_quick_start_of_the_readme_still_works(tmp_path: Path) -> None:
    """`tocsin db upgrade` (as `tocsin serve` does) then `token create … | tail -n 1`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_DATABASE")}
    cli = [sys.executable, "-m", "tocsin"]
    subprocess.run([*cli, "db", "upgrade"], cwd=tmp_path, env=env, check=True)
    made = subprocess.run(
        f"{' '.join(cli)} token create --role admin | tail -n 1",
        shell=True,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert made.stdout.startswith("tocsin_"), made
    assert made.stderr.startswith(f"Using sqlite+aiosqlite:///tocsin.db ({tmp_path / 'tocsin.db'})")


def _helps(command: object, path: list[str]) -> list[tuple[str, str]]:
    found = [(" ".join(path), runner.invoke(app, [*path, "--help"], terminal_width=200).output)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _helps(sub, [*path, name])
    return found


def test_every_help_shows_readable_placeholders() -> None:
    helps = _helps(typer.main.get_command(app), [])
    assert len(helps) > 60
    unreadable = [(name, text) for name, text in helps if "<" in text.replace("<=", "")]
    assert unreadable == []
    raised = dict(helps)["alert raise"]
    assert "--region" in raised and "REGION" in raised
    root = dict(helps)[""]
    assert "sqlite+aiosqlite:///tocsin.db" in root

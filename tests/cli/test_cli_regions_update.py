"""`tocsin regions update CODE --time-to-shelter SECONDS|none`, locally and through a server."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tocsin.cli import app

runner = CliRunner()


def cli(database_url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env={"TOCSIN_DATABASE_URL": database_url})
    assert result.exit_code == code, result.stdout + result.stderr
    return result.stdout if code == 0 else result.stdout + result.stderr


def shelter(database_url: str, code: str) -> int | None:
    seconds: int | None = json.loads(cli(database_url, "regions", "show", code, "--json"))[
        "time_to_shelter"
    ]
    return seconds


def test_set_and_clear_locally(database_url: str) -> None:
    said = cli(database_url, "regions", "update", "UA-63", "--time-to-shelter", "90")
    assert said.strip() == "UA-63: time to shelter 90 s"
    assert shelter(database_url, "UA-63") == 90
    cleared = cli(database_url, "regions", "update", "UA-63", "--time-to-shelter", "none", "--json")
    assert json.loads(cleared)["time_to_shelter"] is None
    assert shelter(database_url, "UA-63") is None


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["UA-63", "--time-to-shelter", "-5"], 2, "[time_to_shelter]: time_to_shelter is 0 to"),
        (["UA-63", "--time-to-shelter", "3601"], 2, "not 3601"),
        (["UA-63", "--time-to-shelter", "1.5"], 2, "whole seconds or none, not '1.5'"),
        (["XX-9", "--time-to-shelter", "60"], 1, "[code]: no region 'XX-9'"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(
    database_url: str, args: list[str], code: int, says: str
) -> None:
    assert says in cli(database_url, "regions", "update", *args, code=code)
    assert shelter(database_url, "UA-63") is None


def test_through_a_server_with_an_admin_token(database_url: str, live_server: str) -> None:
    def token(role: str, *regions: str) -> str:
        scope = [a for r in regions for a in ("--region", r)]
        return cli(database_url, "token", "create", "--role", role, *scope).splitlines()[-1]

    args = ["regions", "update", "UA-59", "--time-to-shelter", "75", "--server", live_server]
    refused = cli(database_url, *args, "--token", token("operator", "UA-59"), code=1)
    assert "needs the admin role" in refused
    said = cli(database_url, *args, "--token", token("admin"), "--json")
    assert json.loads(said)["time_to_shelter"] == 75
    assert shelter(database_url, "UA-59") == 75

"""The `tocsin alert` commands talking to a running server over HTTP."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tocsin.cli import app

runner = CliRunner()


def cli(database_url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env={"TOCSIN_DATABASE_URL": database_url})
    assert result.exit_code == code, result.stdout + result.stderr
    return result.stdout if code == 0 else result.stdout + result.stderr


def token(database_url: str, role: str, *regions: str) -> str:
    args = ["token", "create", "--role", role]
    for region in regions:
        args += ["--region", region]
    return cli(database_url, *args).strip().splitlines()[-1]


def test_raise_escalate_end_through_the_server(database_url: str, live_server: str) -> None:
    secret = token(database_url, "operator", "RU-BEL")
    remote = ["--server", live_server, "--token", secret, "--json"]
    raised = json.loads(
        cli(database_url, "alert", "raise", "--threat", "uav", "-r", "RU-BEL", *remote)
    )
    assert raised["raised_by"].startswith("operator (tk_")
    escalated = json.loads(
        cli(database_url, "alert", "update", raised["id"], "--threat", "missile", *remote)
    )
    assert escalated["threat"]["id"] == "missile" and escalated["version"] == 2
    listed = json.loads(cli(database_url, "alert", "list", *remote))
    assert [a["id"] for a in listed["alerts"]] == [raised["id"]]
    ended = json.loads(cli(database_url, "alert", "end", raised["id"], *remote))
    assert ended["phase"] == "ended"


def test_scope_and_auth_errors_come_back_as_messages(database_url: str, live_server: str) -> None:
    secret = token(database_url, "operator", "RU-BEL")
    out = cli(
        database_url,
        "alert",
        "raise",
        "--threat",
        "missile",
        "-r",
        "UA-63",
        "--server",
        live_server,
        "--token",
        secret,
        code=1,
    )
    assert "may alert only RU-BEL" in out and "[regions[0]]" in out
    out = cli(
        database_url,
        "alert",
        "raise",
        "--threat",
        "missile",
        "-r",
        "UA-63",
        "--server",
        live_server,
        "--token",
        "tocsin_bogus",
        code=1,
    )
    assert "unknown or revoked" in out
    out = cli(
        database_url,
        "alert",
        "raise",
        "--threat",
        "missile",
        "-r",
        "UA-63",
        "--server",
        live_server,
        code=2,
    )
    assert "--server needs --token" in out


def test_unreachable_server_is_a_clear_error(database_url: str) -> None:
    out = cli(
        database_url, "alert", "list", "--server", "http://127.0.0.1:9", "--token", "x", code=1
    )
    assert "cannot reach" in out

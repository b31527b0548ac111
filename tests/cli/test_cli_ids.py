"""Alert ids by prefix: `alert list` shows eight characters, and every command takes them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tocsin.cli import alert_ids, app
from tocsin.errors import Conflict

runner = CliRunner()


def cli(database_url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env={"TOCSIN_DATABASE_URL": database_url})
    assert result.exit_code == code, result.stdout + result.stderr
    return result.stdout if code == 0 else result.stdout + result.stderr


def raise_uav(database_url: str, *extra: str) -> str:
    raised = cli(database_url, "alert", "raise", "--threat", "uav", "-r", "UA-63", "--json", *extra)
    alert_id: str = json.loads(raised)["id"]
    return alert_id


def test_the_short_id_of_the_list_shows_updates_and_ends_the_alert(database_url: str) -> None:
    alert_id = raise_uav(database_url)
    short = alert_id[:8]
    assert short in cli(database_url, "alert", "list")
    shown = json.loads(cli(database_url, "alert", "show", short, "--json"))
    assert shown["id"] == alert_id
    updated = json.loads(
        cli(database_url, "alert", "update", short, "--threat", "missile", "--json")
    )
    assert updated["threat"]["id"] == "missile"
    ended = json.loads(cli(database_url, "alert", "end", short.upper(), "--json"))
    assert (ended["id"], ended["phase"]) == (alert_id, "ended")


def test_an_ended_alert_is_found_by_prefix_too(database_url: str) -> None:
    alert_id = raise_uav(database_url)
    cli(database_url, "alert", "end", alert_id)
    assert json.loads(cli(database_url, "alert", "show", alert_id[:6], "--json"))["id"] == alert_id


@pytest.mark.parametrize(
    ("given", "code", "says"),
    [
        ("abc", 2, "at least 4 characters"),
        ("ffffffff", 1, "no alert 'ffffffff'"),
        ("ffffffff-ffff-ffff-ffff-ffffffffffff", 1, "no alert"),
    ],
)
def test_short_and_unknown_ids_are_clear_errors(
    database_url: str, given: str, code: int, says: str
) -> None:
    raise_uav(database_url)
    assert says in cli(database_url, "alert", "show", given, code=code)


class Listed:
    """Alerts with chosen ids, answering as the local and remote clients do."""

    def __init__(self, *ids: str) -> None:
        self.alerts = [{"id": i} for i in ids]

    async def active(self, params: dict[str, str]) -> list[dict[str, str]]:
        return self.alerts[:1]

    async def history(self, params: dict[str, str]) -> list[dict[str, str]]:
        return self.alerts


ONE = "0f3a9c1e-0000-4000-8000-000000000001"
TWO = "0f3a9c2b-0000-4000-8000-000000000002"


@pytest.mark.parametrize(("given", "found"), [("0f3a9c1", ONE), ("0F3A9C2B", TWO), (ONE, ONE)])
async def test_a_unique_prefix_is_the_one_id(given: str, found: str) -> None:
    assert await alert_ids.resolve(Listed(ONE, TWO), given) == found  # type: ignore[arg-type]


async def test_an_ambiguous_prefix_names_every_candidate() -> None:
    with pytest.raises(Conflict) as raised:
        await alert_ids.resolve(Listed(ONE, TWO, ONE), "0f3a")  # type: ignore[arg-type]
    assert raised.value.message == f"'0f3a' matches 2 alerts: {ONE}, {TWO}"
    assert raised.value.field == "id"


def test_the_prefix_works_against_a_server(database_url: str, live_server: str) -> None:
    secret = cli(database_url, "token", "create", "--role", "admin").strip().splitlines()[-1]
    remote = ["--server", live_server, "--token", secret]
    alert_id = raise_uav(database_url, *remote)
    result = runner.invoke(
        app,
        ["alert", "end", alert_id[:8], *remote, "--json"],
        env={"TOCSIN_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["phase"] == "ended"
    assert result.stderr == f"Using server {live_server}\n"

"""The `tocsin` command against the local database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli import app

runner = CliRunner()


def tocsin(database_url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args], env={"TOCSIN_DATABASE_URL": database_url})
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    return result.stdout if code == 0 else output  # stderr names the database


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "regions", "alert", "token"):
        assert command in result.stdout


def test_alert_lifecycle(database_url: str) -> None:
    raised = json.loads(
        tocsin(database_url, "alert", "raise", "--threat", "missile", "--region", "UA-63", "--json")
    )
    assert raised["threat"]["signal"] == "Rocket Danger!"
    assert raised["regions"][0]["name"] == "Kharkiv Oblast"
    alert_id = raised["id"]
    escalated = json.loads(
        tocsin(
            database_url,
            "alert",
            "update",
            alert_id,
            "--threat",
            "uav",
            "--add-region",
            "UA-59",
            "--json",
        )
    )
    assert escalated["threat"]["id"] == "uav"
    assert [r["code"] for r in escalated["regions"]] == ["UA-63", "UA-59"]
    listed = tocsin(database_url, "alert", "list")
    assert alert_id[:8] in listed and "UAV Danger!" in listed
    ended = json.loads(tocsin(database_url, "alert", "end", alert_id, "--json"))
    assert ended["phase"] == "ended"
    assert "no alerts" in tocsin(database_url, "alert", "list")
    history = json.loads(tocsin(database_url, "alert", "list", "--history", "--json"))
    assert [a["id"] for a in history["alerts"]] == [alert_id]


def test_cancel_and_show_in_ukrainian(database_url: str) -> None:
    raised = json.loads(
        tocsin(
            database_url,
            "alert",
            "raise",
            "--threat",
            "uav",
            "-r",
            "RU-BEL",
            "--status",
            "exercise",
            "--json",
        )
    )
    cancelled = json.loads(
        tocsin(
            database_url,
            "alert",
            "cancel",
            raised["id"],
            "--message",
            "Помилкова тривога",
            "--lang",
            "uk",
            "--json",
        )
    )
    assert cancelled["phase"] == "cancelled"
    assert cancelled["cancel_message"] == "Помилкова тривога"
    assert cancelled["marker"] == "НАВЧАННЯ"
    shown = tocsin(database_url, "alert", "show", raised["id"], "--lang", "uk")
    assert "Бєлгородська область" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alert", "raise", "--threat", "nuke", "-r", "UA-63"], "unknown threat type 'nuke'"),
        (["alert", "raise", "--threat", "uav", "-r", "UA-99"], "unknown region code 'UA-99'"),
        (["alert", "raise", "--threat", "uav"], "at least one region"),
        (["alert", "end", "no-such-alert"], "no alert 'no-such-alert'"),
        (["token", "create", "--role", "operator"], "needs at least one region"),
        (["token", "create", "--role", "wizard"], "unknown role 'wizard'"),
        (["token", "revoke", "tk_00000000"], "no active token"),
        (["regions", "show", "XX-1"], "unknown region code 'XX-1'"),
    ],
)
def test_bad_input_is_an_error_message_and_nonzero_exit(
    database_url: str, args: list[str], message: str
) -> None:
    result = runner.invoke(app, args, env={"TOCSIN_DATABASE_URL": database_url})
    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_ending_twice_is_refused(database_url: str) -> None:
    raised = json.loads(
        tocsin(database_url, "alert", "raise", "--threat", "air", "-r", "UA-30", "--json")
    )
    tocsin(database_url, "alert", "end", raised["id"])
    output = tocsin(database_url, "alert", "end", raised["id"], code=1)
    assert "it is ended" in output


def test_token_create_prints_the_token_alone_on_the_last_line(database_url: str) -> None:
    output = tocsin(
        database_url,
        "token",
        "create",
        "--role",
        "operator",
        "--region",
        "RU-BEL",
        "--name",
        "Belgorod desk",
    )
    token = output.strip().splitlines()[-1]
    assert token.startswith("tocsin_tk_") and " " not in token
    listed = tocsin(database_url, "token", "list")
    assert "Belgorod desk" in listed and "RU-BEL" in listed and token not in listed
    token_id = "_".join(token.split("_")[1:3])
    assert f"token {token_id} revoked" in tocsin(database_url, "token", "revoke", token_id)
    assert "no active token" in tocsin(database_url, "token", "revoke", token_id, code=1)


def test_regions_list_and_show(database_url: str) -> None:
    listed = tocsin(database_url, "regions", "list", "--level", "oblast", "--search", "kharkiv")
    assert "UA-63" in listed and "1 of" in listed
    shown = json.loads(tocsin(database_url, "regions", "show", "UA-63", "--json"))
    assert shown["parent"] == "UA" and shown["names"]["uk"] == "Харківська область"
    assert len(shown["children"]) == 7


def test_regions_import_custom_geojson(database_url: str, tmp_path: Path) -> None:
    source = tmp_path / "shelters.geojson"
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "code": "UA-63-X1",
                            "parent": "UA-63",
                            "level": "district",
                            "names": {"en": "Test district"},
                            "time_to_shelter": 90,
                        },
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [
                                    [36.1, 49.9],
                                    [36.4, 49.9],
                                    [36.4, 50.1],
                                    [36.1, 50.1],
                                    [36.1, 49.9],
                                ]
                            ],
                        },
                    }
                ],
            }
        )
    )
    output = tocsin(database_url, "regions", "import", str(source))
    assert "1 added" in output
    shown = json.loads(tocsin(database_url, "regions", "show", "UA-63-X1", "--json"))
    assert shown["time_to_shelter"] == 90 and shown["ancestors"] == ["UA-63", "UA"]


def test_regions_import_reports_bad_files(database_url: str, tmp_path: Path) -> None:
    source = tmp_path / "bad.geojson"
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "Z-1", "parent": "NOPE", "level": "x"},
                        "geometry": None,
                    }
                ],
            }
        )
    )
    result = runner.invoke(
        app, ["regions", "import", str(source)], env={"TOCSIN_DATABASE_URL": database_url}
    )
    assert result.exit_code == 2
    assert "NOPE" in result.stderr


def test_db_upgrade_and_status(database_url: str) -> None:
    assert "revision 0" in tocsin(database_url, "db", "upgrade")
    assert "up to date" in tocsin(database_url, "db", "status")


def test_bad_database_url_is_a_clear_error() -> None:
    result = runner.invoke(app, ["alert", "list"], env={"TOCSIN_DATABASE_URL": "mysql://x/y"})
    assert result.exit_code == 2
    assert "unsupported database" in result.stderr

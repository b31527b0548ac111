"""`tocsin incident` against the local database and against a running server."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tocsin.cli import app as tocsin_app
from tocsin.cli.incidents import app

pytest_plugins = ("incident_support",)  # the `incident_server` fixture

runner = CliRunner()


def incident(database_url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env={"TOCSIN_DATABASE_URL": database_url})
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    return result.stdout if code == 0 else output  # stderr names the database


def as_json(database_url: str, *args: str) -> Any:
    return json.loads(incident(database_url, *args, "--json"))


def test_a_duty_officer_records_a_drone_attack(database_url: str, tmp_path: Path) -> None:
    created = as_json(
        database_url,
        "create",
        "-r",
        "UA-51-R104",
        "-t",
        "uav",
        "--start",
        "2026-02-28T22:00:00Z",
        "--end",
        "2026-03-01T04:00:00Z",
        "--place",
        "46.48,30.72,5000,Odesa",
        "--title",
        "Drone attack on Odesa",
    )
    incident_id = created["id"]
    assert created["places"] == [{"lat": 46.48, "lon": 30.72, "precision_m": 5000, "name": "Odesa"}]
    launched = as_json(
        database_url,
        "claim",
        incident_id,
        "launched",
        "49",
        "--weapon",
        "uav",
        "--source",
        "Air Force",
        "--source-kind",
        "military",
        "--status",
        "confirmed",
        "--reliability",
        "A",
    )
    assert launched["figures"]["launched"]["value"] == 49
    shot = incident(
        database_url,
        "claim",
        incident_id,
        "intercepted",
        "21",
        "--weapon",
        "uav",
        "--source",
        "Air Force",
        "--reliability",
        "A",
    )
    assert "current Shot down / intercepted: 21 (Unverified reports)" in shot
    shot_id = shot.split()[1].rstrip(":")
    verified = incident(database_url, "verify", incident_id, shot_id, "--note", "AF post")
    assert "21 (Confirmed)" in verified
    first = as_json(
        database_url,
        "claim",
        incident_id,
        "wounded",
        "22",
        "--source",
        "Odesa OVA",
        "--status",
        "confirmed",
        "--reliability",
        "A",
    )
    second = as_json(
        database_url,
        "claim",
        incident_id,
        "injured",
        "28",
        "--source",
        "Odesa OVA",
        "--supersedes",
        first["id"],
        "--reliability",
        "A",
    )
    assert second["figures"]["injured"]["text"] == "28"
    as_json(database_url, "verify", incident_id, second["id"])
    rumour = as_json(
        database_url,
        "claim",
        incident_id,
        "detonations_heard",
        "5-6",
        "--source",
        "Odesa Live",
        "--source-kind",
        "social_media",
    )
    assert rumour["figures"]["detonations_heard"]["text"] == "5–6"
    retracted = as_json(database_url, "retract", incident_id, rumour["id"])
    assert "detonations_heard" not in retracted["figures"]

    crew = as_json(
        database_url,
        "respond",
        incident_id,
        "crew",
        "--task",
        "rescue",
        "--party",
        "SES Odesa",
        "--people",
        "12",
    )
    done = as_json(database_url, "progress", incident_id, crew["id"], "--status", "completed")
    assert (done["status"], done["progress"]) == ("completed", 100)

    shown = incident(database_url, "show", incident_id, "--lang", "uk")
    assert "Поранені" in shown and "28" in shown and "Air Force (A)" in shown
    listed = incident(database_url, "list", "--region", "UA-51")
    assert incident_id[:8] in listed and "Injured 28" in listed
    stats = json.loads(incident(database_url, "stats", "--region", "UA-51"))
    assert stats["interception"]["confirmed"]["rate"] == 0.4286
    assert stats["casualties"]["injured"]["value"] == 28

    out = tmp_path / "incidents.csv"
    assert "wrote" in incident(database_url, "export", "--output", str(out), "--tz", "Europe/Kyiv")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["event_date"], r["admin1"], r["sub_event_type"]) for r in rows] == [
        ("2026-03-01", "Odesa Oblast", "Air/drone strike")
    ]
    exported = json.loads(incident(database_url, "export", "--format", "json"))
    assert exported["incidents"][0]["figures"]["injured"]["value"] == 28

    closed = as_json(database_url, "close", incident_id, "--note", "all figures in")
    assert closed["status"] == "closed"
    refused = incident(database_url, "claim", incident_id, "killed", "1", "--source", "X", code=1)
    assert "is closed: cannot add a claim" in refused  # (the field tag is eaten by rich markup)
    assert as_json(database_url, "reopen", incident_id)["status"] == "open"


def test_bad_input_is_refused_with_the_field(database_url: str) -> None:
    created = as_json(
        database_url, "create", "-r", "UA-63", "-t", "missile", "--start", "2026-03-01T01:30:00Z"
    )
    for args, message in (
        (
            ("claim", "--source", "OVA", created["id"], "injured", "--", "-2"),
            "a count cannot be negative",
        ),
        (("claim", created["id"], "injured", "2", "--source", " "), "source.name must not be"),
        (("claim", created["id"], "morale", "2", "--source", "OVA"), "unknown measure 'morale'"),
        (
            (
                "create",
                "-r",
                "UA-63",
                "-t",
                "missile",
                "--start",
                "2026-03-01T02:00:00Z",
                "--end",
                "2026-03-01T01:00:00Z",
            ),
            "is before start",
        ),
        (
            ("create", "-r", "XX", "-t", "missile", "--start", "2026-03-01T02:00:00Z"),
            "[regions[0]]: unknown region code 'XX'",
        ),
        (
            ("create", "-r", "UA-63", "-t", "missile", "--start", "x", "--place", "north"),
            "a place is LAT,LON",
        ),
        (("export", "--format", "xml"), "format must be csv or json"),
    ):
        assert message in incident(database_url, *args, code=2)
    missing = incident(database_url, "show", "no-such-incident", code=1)
    assert "no incident" in missing


def test_through_a_running_server(database_url: str, incident_server: str) -> None:
    def token(*args: str) -> str:
        result = runner.invoke(
            tocsin_app, ["token", "create", *args], env={"TOCSIN_DATABASE_URL": database_url}
        )
        assert result.exit_code == 0, result.stdout + result.stderr
        return result.stdout.strip().splitlines()[-1]

    kharkiv = [
        "--server",
        incident_server,
        "--token",
        token("--role", "operator", "--region", "UA-63"),
    ]
    created = as_json(
        database_url,
        "create",
        "-r",
        "UA-63-H1293",
        "-t",
        "missile",
        "--start",
        "2026-03-01T01:30:00Z",
        *kharkiv,
    )
    assert created["created_by"].startswith("operator (tk_")
    windows = as_json(
        database_url,
        "claim",
        created["id"],
        "windows_broken",
        "7",
        "--source",
        "Kharkiv City Council",
        *kharkiv,
    )
    assert windows["figures"]["windows_broken"]["value"] == 7
    refused = incident(
        database_url,
        "create",
        "-r",
        "UA-12",
        "-t",
        "artillery",
        "--start",
        "2026-03-01T09:00:00Z",
        *kharkiv,
        code=1,
    )
    assert "[regions[0]]" in refused and "UA-12" in refused
    public = ("--server", incident_server, "--token", "wrong")  # a bad token reads as the public
    hidden = incident(database_url, "show", created["id"], *public, code=1)
    assert "no incident" in hidden  # actual, not yet published
    published = as_json(database_url, "publish", created["id"], *kharkiv)
    assert published["published_at"] is not None and published["publishable_at"] is None
    shown = as_json(database_url, "show", created["id"], *public)
    assert shown["figures"]["windows_broken"]["status"] == "unverified"  # reads are public
    bad_token = incident(
        database_url,
        "verify",
        created["id"],
        windows["id"],
        "--server",
        incident_server,
        "--token",
        "wrong",
        code=1,
    )
    assert "token" in bad_token.lower()
    csv_text = incident(database_url, "export", "--server", incident_server, "--token", "x")
    assert csv_text.splitlines()[0].startswith("event_date,admin1,admin2,location")


def test_drills_and_retries(database_url: str) -> None:
    start = ("-r", "UA-63", "-t", "missile", "--start", "2026-03-01T01:30:00Z")
    drill = as_json(
        database_url,
        "create",
        *start,
        "--mode",
        "exercise",
        "--title",
        "Drill",
        "--idempotency-key",
        "d-1",
    )
    again = as_json(
        database_url,
        "create",
        *start,
        "--mode",
        "exercise",
        "--title",
        "Drill",
        "--idempotency-key",
        "d-1",
    )
    assert (drill["mode"], drill["status"], again["id"]) == ("exercise", "open", drill["id"])
    real = as_json(database_url, "create", *start, "--title", "Strike")
    assert (real["mode"], real["status"]) == ("actual", "open")
    assert "no incidents" not in incident(database_url, "list")
    listed = incident(database_url, "list", "--mode", "exercise")
    assert drill["id"][:8] in listed and real["id"][:8] not in listed
    assert "Open" in listed and "EXERCISE" in listed
    assert "status Open — EXERCISE" in incident(database_url, "show", drill["id"])
    both = as_json(database_url, "list", "--mode", "all", "--status", "open")["incidents"]
    assert {i["id"] for i in both} == {drill["id"], real["id"]}
    assert as_json(database_url, "list", "--mode", "all", "--status", "closed")["incidents"] == []
    for key, value in (("c-1", "2"), ("c-1", "2")):
        claim = as_json(
            database_url,
            "claim",
            drill["id"],
            "injured",
            value,
            "--source",
            "OVA",
            "--idempotency-key",
            key,
        )
    assert len(as_json(database_url, "show", drill["id"])["claims"]) == 1
    reused = incident(
        database_url,
        "claim",
        drill["id"],
        "injured",
        "3",
        "--source",
        "OVA",
        "--idempotency-key",
        "c-1",
        code=1,
    )
    assert "idempotency key was used for a different request" in reused
    assert claim["figures"]["injured"]["value"] == 2
    stats = json.loads(incident(database_url, "stats", "--mode", "exercise", "--all-claims"))
    assert stats["incidents"] == 1 and stats["casualties"]["injured"]["value"] == 2
    assert stats["mode"] == "exercise"
    assert json.loads(incident(database_url, "stats"))["incidents"] == 1
    exported = incident(database_url, "export", "--mode", "exercise", "--status", "open")
    assert [line.split(",")[0] for line in exported.splitlines()[1:]] == ["2026-03-01"]
    assert "EXERCISE" in exported and "Strike" not in exported
    refused = incident(database_url, "create", *start, "--mode", "drill", code=2)
    assert "mode" in refused
    for args in (("list", "--status", "exercise"), ("list", "--mode", "open")):
        assert incident(database_url, *args, code=2)

"""Replaying history: the timeline, the pacing, the bounds, and a replay against a server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from history_support import head, invoke, official

from tocsin.domain.alerts import RaiseAlert, Status
from tocsin.errors import InvalidInput, NotFound
from tocsin.records.history.importer import HistoryAlert
from tocsin.records.history.replay import Replayer, parse_speed, select, timeline

T0 = datetime(2022, 3, 15, 16, 0, tzinfo=UTC)


def item(line: int, start_min: float, end_min: float, region: str = "UA-63") -> HistoryAlert:
    return HistoryAlert(
        line,
        region,
        T0 + timedelta(minutes=start_min),
        T0 + timedelta(minutes=end_min),
        "air",
        Status.ACTUAL,
    )


class Recorder:
    """Commands that record what was sent and when (on a fake clock)."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.now = 0.0
        self.sent: list[tuple[float, str, str]] = []
        self.fail_on = fail_on
        self.count = 0

    async def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    async def raise_alert(self, cmd: RaiseAlert, key: str | None) -> dict[str, Any]:
        assert cmd.status is Status.EXERCISE and cmd.threat == "air"
        if cmd.regions[0] == self.fail_on:
            raise InvalidInput(f"unknown region code {cmd.regions[0]!r}", field="regions")
        self.count += 1
        self.sent.append((self.now, "raise", cmd.regions[0]))
        return {"id": f"a{self.count}"}

    async def act(self, alert_id: str, action: str, message: str | None = None) -> dict[str, Any]:
        if alert_id == "missing":
            raise NotFound("no alert")
        self.sent.append((self.now, action, alert_id))
        return {"id": alert_id}


def test_speed_and_selection() -> None:
    assert parse_speed("10000x") == 10000 and parse_speed("2") == 2
    for bad in ("fast", "0x", "-3"):
        with pytest.raises(InvalidInput):
            parse_speed(bad)
    alerts = [item(3, 10, 20), item(2, 0, 5), item(4, 30, 40)]
    assert [a.line for a in select(alerts)] == [2, 3, 4]
    assert [a.line for a in select(alerts, T0 + timedelta(minutes=1), limit=1)] == [3]
    steps = timeline([item(2, 0, 10), item(3, 10, 20)])
    assert [(s.action, s.index) for s in steps] == [
        ("raise", 0),
        ("end", 0),
        ("raise", 1),
        ("end", 1),
    ]  # an end before a raise at 10 min


async def test_replay_paces_commands_by_the_speed() -> None:
    recorder = Recorder()
    replayer = Replayer(recorder, speed=60, sleep=recorder.sleep, monotonic=recorder.monotonic)
    report = await replayer.run([item(2, 0, 30), item(3, 10, 20, "UA-59")], "test")
    assert recorder.sent == [
        (0.0, "raise", "UA-63"),
        (10.0, "raise", "UA-59"),
        (20.0, "end", "a2"),
        (30.0, "end", "a1"),
    ]
    assert (report.raised, report.ended, report.failed) == (2, 2, [])
    assert report.history_seconds == 1800 and report.wall_seconds == 30


async def test_replay_stops_at_its_limit_and_ends_what_it_raised() -> None:
    recorder = Recorder()
    replayer = Replayer(
        recorder, speed=60, max_seconds=15, sleep=recorder.sleep, monotonic=recorder.monotonic
    )
    report = await replayer.run([item(2, 0, 30), item(3, 10, 20), item(4, 50, 60)], "test")
    assert report.stopped_early and "15 s" in report.stopped_early
    assert report.raised == 2 and report.ended == 2
    assert [s[1] for s in recorder.sent] == ["raise", "raise", "end", "end"]


async def test_a_failed_command_is_reported_and_the_replay_goes_on() -> None:
    recorder = Recorder(fail_on="XX-1")
    replayer = Replayer(recorder, speed=1e9, sleep=recorder.sleep, monotonic=recorder.monotonic)
    report = await replayer.run([item(2, 0, 1, "XX-1"), item(3, 1, 2)], "test")
    assert report.raised == 1 and report.ended == 1
    assert report.failed == ["line 2: raise: unknown region code 'XX-1'"]


def test_replay_is_never_actual() -> None:
    with pytest.raises(InvalidInput, match="never actual"):
        Replayer(Recorder(), speed=1, status=Status.ACTUAL)


def test_replay_through_a_running_server(
    live_server: str, database_url: str, tmp_path: Path
) -> None:
    secret = invoke(database_url, "token", "create", "--role", "operator", "--region", "UA")
    token = secret.strip().splitlines()[-1]
    path = head(official(), 30, tmp_path / "official.csv")
    out = invoke(
        database_url,
        "replay",
        str(path),
        "--format",
        "ua-official",
        "--speed",
        "1000000000x",
        "--limit",
        "10",
        "--status",
        "test",
        "--server",
        live_server,
        "--token",
        token,
    )
    assert "replayed 10 of 10 alerts as test (10 ended" in out
    remote = ["--server", live_server, "--token", token, "--json"]
    history = json.loads(
        invoke(database_url, "alert", "list", "--history", "--status", "test", *remote)
    )
    assert len(history["alerts"]) == 10
    assert {a["status"] for a in history["alerts"]} == {"test"}
    assert {a["phase"] for a in history["alerts"]} == {"ended"}

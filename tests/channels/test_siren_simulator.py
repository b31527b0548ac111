"""The siren simulator: a virtual siren's logic, the simulator on a real broker, and
`tocsin siren` (register, list, remove, simulate)."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiomqtt
import orjson
import pytest
from rich.console import Console
from siren_support import clear_retained, new_prefix, reading, shared_broker, until
from typer.testing import CliRunner

from tocsin.channels.sirens.simulator import Simulator, VirtualSiren
from tocsin.channels.sirens.topics import Topics
from tocsin.cli.sirens import app

Json = dict[str, Any]
runner = CliRunner()


def command(seq: int, kind: str = "sound", **fields: Any) -> Json:
    patterns = {"sound": ("continuous", 180), "all_clear": ("all_clear", 60), "stop": ("none", 0)}
    pattern, seconds = patterns[kind]
    return {
        "siren": "s1", "region": "UA-63", "seq": seq, "event_id": f"e{seq}",
        "time": "2026-03-01T12:00:00Z", "command": kind, "pattern": pattern,
        "seconds": seconds, "threat": "missile", "status": "actual", "drill": False,
        "alert_id": "a1", "message": None, **fields,
    }  # fmt: skip


# --- one virtual siren -------------------------------------------------------------------------


def test_a_siren_sounds_counts_down_and_falls_idle() -> None:
    siren = VirtualSiren("s1", "UA-63")
    ack = siren.handle(command(7), now=1000.0)
    assert (ack["seq"], ack["result"]) == (7, "ok")
    assert siren.activity(1000.0) == "sounding continuous 3:00 (missile)"
    assert siren.activity(1007.5) == "sounding continuous 2:53 (missile)"
    assert siren.activity(1180.0) == "idle"
    siren.handle(command(9, "all_clear"), now=2000.0)
    assert siren.activity(2000.0) == "all-clear 1:00"
    assert siren.carried_out == [7, 9]


def test_a_duplicate_is_acknowledged_again_but_not_carried_out() -> None:
    siren = VirtualSiren("s1", "UA-63")
    siren.handle(command(7), now=0.0)
    siren.handle(command(9, "all_clear"), now=1.0)
    for seq in (9, 7):  # a re-sent command, and a late one
        assert siren.handle(command(seq), now=2.0)["result"] == "duplicate"
    assert siren.carried_out == [7, 9]
    assert siren.mode == "all_clear"
    assert [c["seq"] for c in siren.received] == [7, 9, 9, 7]


def test_a_drill_never_interrupts_an_actual_alert() -> None:
    siren = VirtualSiren("s1", "UA-63")
    siren.handle(command(3), now=0.0)
    ack = siren.handle(command(4, status="exercise", drill=True, threat="uav"), now=10.0)
    assert ack["result"] == "ok" and "ignored" in ack["note"]
    assert siren.activity(10.0) == "sounding continuous 2:50 (missile)"
    siren.handle(command(5, "all_clear"), now=20.0)
    siren.handle(command(6, status="exercise", drill=True, threat="uav"), now=100.0)
    assert siren.activity(100.0) == "DRILL sounding continuous 3:00 (uav)"


def test_a_stop_silences_at_once() -> None:
    siren = VirtualSiren("s1", "UA-63")
    siren.handle(command(3), now=0.0)
    siren.handle(command(4, "stop", message="False alarm"), now=5.0)
    assert not siren.sounding(5.0)
    assert siren.activity(5.0) == "stopped: false alarm"
    assert siren.message == "False alarm"


def test_the_status_tells_where_the_siren_is() -> None:
    siren = VirtualSiren("s1", "UA-63", conn="c1")
    siren.handle(command(12), now=0.0)
    status = siren.status(now=60.0)
    assert (status["state"], status["conn"], status["last_seq"]) == ("online", "c1", 12)
    assert status["activity"] == "sounding continuous 2:00 (missile)"
    assert siren.status(now=0.0, online=False)["state"] == "offline"


# --- on the broker ------------------------------------------------------------------------------


@pytest.fixture
async def broker() -> AsyncIterator[tuple[str, str]]:
    url, prefix = shared_broker(), new_prefix()
    yield url, prefix
    await clear_retained(url, prefix)


@asynccontextmanager
async def simulating(url: str, prefix: str, **options: Any) -> AsyncIterator[Simulator]:
    tag = uuid.uuid4().hex[:6]
    options = {"heartbeat": 0.1, "backoff": (0.05, 0.5), **options}
    simulator = Simulator(
        [(f"a-{tag}", "UA-63"), (f"b-{tag}", "UA-30")], url=url, prefix=prefix, **options
    )
    simulator.start()
    try:
        await until(lambda: simulator.connected, what="sirens connected")
        yield simulator
    finally:
        await simulator.stop()


async def send(url: str, topic: str, payload: Json, retain: bool = False) -> None:
    host, port = url.removeprefix("mqtt://").split(":")
    async with aiomqtt.Client(host, int(port)) as client:
        await client.publish(topic, orjson.dumps(payload), qos=1, retain=retain)


async def test_simulated_sirens_ack_commands_and_send_heartbeats(broker: tuple[str, str]) -> None:
    url, prefix = broker
    topics = Topics(prefix)
    async with reading(url, topics.acks, topics.statuses) as reader, simulating(url, prefix) as sim:
        a, b = sim.sirens
        await send(url, topics.command(a), command(5))
        await until(lambda: reader.on(topics.ack(a)), what="the ack")
        await until(lambda: len(reader.on(topics.status(b))) >= 3, what="heartbeats")
        assert sim.sirens[a].mode == "sounding"
        assert sim.sirens[b].received == []
        [ack] = reader.on(topics.ack(a))
        assert (ack["seq"], ack["result"]) == (5, "ok")
        beat = reader.last(topics.status(a))
        assert (beat["state"], beat["last_seq"]) == ("online", 5)
        assert beat["conn"] == sim.sirens[a].conn


async def test_sirens_answer_the_bridge_coming_online(broker: tuple[str, str]) -> None:
    url, prefix = broker
    topics = Topics(prefix)
    async with (
        reading(url, topics.statuses) as reader,
        simulating(url, prefix, heartbeat=3600) as sim,
    ):
        a, _ = sim.sirens
        await until(lambda: len(reader.on(topics.status(a))) == 1, what="the status on connect")
        await send(url, topics.bridge, {"state": "online", "conn": "x", "time": "…"}, True)
        await until(lambda: len(reader.on(topics.status(a))) == 2, what="an answer")
        await send(url, topics.bridge, {"state": "offline", "conn": "x"}, True)
        await send(url, topics.command(a), command(1))
        await until(lambda: sim.sirens[a].last_seq == 1)
        assert len(reader.on(topics.status(a))) == 2  # only "online" asks for a status


async def test_lost_acks_are_counted(broker: tuple[str, str]) -> None:
    url, prefix = broker
    topics = Topics(prefix)
    async with (
        reading(url, topics.acks) as reader,
        simulating(url, prefix, fail_ack=1.0, rng=random.Random(1)) as sim,
    ):
        a, _ = sim.sirens
        await send(url, topics.command(a), command(5))
        await until(lambda: sim.sirens[a].acks_dropped == 1)
        sim.fail_ack = 0.0
        await send(url, topics.command(a), command(5))  # the bridge sends it again
        await until(lambda: reader.on(topics.ack(a)), what="the ack of the duplicate")
    assert reader.on(topics.ack(a))[0]["result"] == "duplicate"
    assert sim.sirens[a].carried_out == [5]


async def test_a_stopped_siren_says_it_is_offline(broker: tuple[str, str]) -> None:
    url, prefix = broker
    topics = Topics(prefix)
    async with reading(url, topics.statuses) as reader:
        async with simulating(url, prefix, heartbeat=3600) as sim:
            a, _ = sim.sirens
            conn = sim.sirens[a].conn
        await until(
            lambda: any(s["state"] == "offline" for s in reader.on(topics.status(a))),
            what="the goodbye",
        )
    offline = next(s for s in reader.on(topics.status(a)) if s["state"] == "offline")
    assert offline["conn"] == conn  # so a bridge can tell it from a newer connection's
    assert not sim.sirens[a].connected


async def test_the_table_shows_each_siren(broker: tuple[str, str]) -> None:
    url, prefix = broker
    async with simulating(url, prefix, fail_ack=1.0) as sim:
        a, b = sim.sirens
        await send(url, Topics(prefix).command(a), command(5, status="exercise", drill=True))
        await until(lambda: sim.sirens[a].acks_dropped == 1)
        console = Console(width=140, record=True, color_system=None)
        console.print(sim.table())
    text = console.export_text()
    assert "DRILL sounding continuous 3:00 (missile)" in text.replace("2:59", "3:00")
    assert "0 (1 lost)" in text
    [row] = [line.split() for line in text.splitlines() if line.strip().startswith(b)]
    assert row == [b, "UA-30", "up", "idle", "0"]


# --- tocsin siren ----------------------------------------------------------------------------


def siren_cli(database_url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args], env={"TOCSIN_DATABASE_URL": database_url})
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    return result.stdout if code == 0 else output  # stderr names the database


def test_register_list_and_remove(database_url: str) -> None:
    out = siren_cli(database_url, "register", "kh-001", "--region", "UA-63", "--name", "Square")
    assert "siren kh-001 registered at UA-63" in out
    siren_cli(database_url, "register", "kh-002", "--region", "UA-63-H1272")
    siren_cli(database_url, "register", "ky-001", "--region", "UA-30")
    listed = siren_cli(database_url, "list", "--region", "UA-63")
    assert "kh-001" in listed and "Square" in listed and "kh-002" in listed
    assert "ky-001" not in listed and "unknown" in listed
    assert "siren kh-001 removed" in siren_cli(database_url, "remove", "kh-001")
    assert "kh-001" not in siren_cli(database_url, "list")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["register", "bad id", "--region", "UA-63"], 2, "a siren id is 1 to 64"),
        (["register", "s1", "--region", "XX-99"], 2, "unknown region code 'XX-99'"),
        (["remove", "nobody"], 1, "no siren 'nobody'"),
    ],
)
def test_mistakes_are_explained(
    database_url: str, args: list[str], code: int, message: str
) -> None:
    assert message in siren_cli(database_url, *args, code=code)


def test_a_siren_id_is_registered_once(database_url: str) -> None:
    siren_cli(database_url, "register", "kh-001", "--region", "UA-63")
    out = siren_cli(database_url, "register", "kh-001", "--region", "UA-30", code=1)
    assert "already registered" in out


def test_simulate_registers_and_runs_sirens(database_url: str) -> None:
    url, prefix = shared_broker(), new_prefix()
    out = siren_cli(
        database_url, "simulate", "--count", "3", "--region", "UA-63", "--region", "UA-30",
        "--mqtt-url", url, "--prefix", prefix, "--heartbeat", "0.2", "--duration", "1",
        "--id-prefix", "demo",
    )  # fmt: skip
    assert f"3 sirens on {url}, topics {prefix}/sirens/" in out
    assert "demo-003" in out and "idle" in out
    listed = siren_cli(database_url, "list")
    for siren, region in (("demo-001", "UA-63"), ("demo-002", "UA-30"), ("demo-003", "UA-63")):
        assert any(line.split()[:2] == [siren, region] for line in listed.splitlines()), listed


def test_simulate_can_leave_the_registry_alone(database_url: str) -> None:
    url, prefix = shared_broker(), new_prefix()
    siren_cli(
        database_url, "simulate", "--count", "1", "--no-register", "--mqtt-url", url,
        "--prefix", prefix, "--duration", "0.3",
    )  # fmt: skip
    assert "no sirens" in siren_cli(database_url, "list")


def test_simulate_refuses_a_bad_broker_url(database_url: str) -> None:
    out = siren_cli(database_url, "simulate", "--mqtt-url", "http://x", "--no-register", code=2)
    assert "an MQTT URL is mqtt://HOST[:PORT]" in out

"""Sirens over MQTT, against a real broker: retained region states, commands through the alert
lifecycle, drills, acks and heartbeats, faults, and restarts of the broker and of the bridge.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from siren_support import (
    Mosquitto,
    clear_retained,
    eventually,
    new_prefix,
    reading,
    retained,
    shared_broker,
    until,
)

from tocsin.api import sirens as sirens_api
from tocsin.api.app import create_app as create_base_app
from tocsin.bootstrap import Tocsin, build
from tocsin.channels.sirens.bridge import SirenChannel, configured_url
from tocsin.channels.sirens.commands import SirenPlace, advance, siren_command
from tocsin.channels.sirens.health import Limits, assess
from tocsin.channels.sirens.link import BrokerAddress
from tocsin.channels.sirens.simulator import Simulator
from tocsin.channels.sirens.topics import Ack, SirenStatus, Topics, parse_ack, parse_status
from tocsin.config import Settings
from tocsin.domain.alerts import Alert, EventType, Phase, RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.events import Event
from tocsin.domain.threats import builtin
from tocsin.errors import InvalidInput
from tocsin.service.ports import ManualClock
from tocsin.storage.drill_store import DrillStore
from tocsin.storage.siren_store import SirenRecord, SirenStore

HROMADA = "UA-63-H1272"  # Balakliiska hromada, in Iziumskyi raion of Kharkiv oblast (UA-63)
Json = dict[str, Any]


async def bearer(tocsin: Tocsin, role: str = "admin", *regions: str) -> dict[str, str]:
    """Authorization headers for a new token."""
    new = await tocsin.tokens.create(role, regions, name=f"test-{role}")
    return {"Authorization": f"Bearer {new.secret}"}


@pytest.fixture
async def broker() -> AsyncIterator[tuple[str, str]]:
    """The shared broker and a topic prefix for this test alone (cleared afterwards)."""
    url, prefix = shared_broker(), new_prefix()
    yield url, prefix
    await clear_retained(url, prefix)


@pytest.fixture
async def started(tocsin: Tocsin) -> Tocsin:
    await tocsin.start()
    return tocsin


@asynccontextmanager
async def channel_on(
    tocsin: Tocsin, url: str, prefix: str, **options: Any
) -> AsyncIterator[SirenChannel]:
    options = {"ack_timeout": 10.0, "heartbeat_timeout": 90.0, **options}
    channel = SirenChannel(
        tocsin, url=url, prefix=prefix, check_interval=0.05, backoff=(0.05, 0.5), **options
    )
    await channel.start()
    try:
        assert channel.link is not None
        await until(lambda: channel.target is not None and channel.target.reconciled.is_set())
        yield channel
    finally:
        await channel.stop()


@asynccontextmanager
async def sirens_on(
    tocsin: Tocsin, channel: SirenChannel, places: dict[str, str], **options: Any
) -> AsyncIterator[Simulator]:
    """Register sirens (id → region) and run them in the simulator until they are in sync."""
    service = tocsin.sirens
    for siren_id, region in places.items():
        await service.register(siren_id, region, LOCAL_ADMIN)
    assert channel.url is not None
    options = {"heartbeat": 0.2, "backoff": (0.05, 0.5), **options}
    simulator = Simulator(places.items(), url=channel.url, prefix=channel.topics.prefix, **options)
    simulator.start()
    try:
        await until(lambda: simulator.connected, what="sirens connected")
        target = channel.target
        await until(lambda: target is not None and set(places) <= set(target.synced), what="sync")
        yield simulator
    finally:
        await simulator.stop()


def ids(n: int = 4) -> list[str]:
    tag = uuid.uuid4().hex[:6]
    return [f"s{i}-{tag}" for i in range(n)]


async def raise_alert(tocsin: Tocsin, threat: str = "missile", *regions: str, **kw: Any) -> str:
    cmd = RaiseAlert(threat=threat, regions=list(regions or ["UA-63"]), **kw)
    alert, _ = await tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN)
    return alert.id


async def acked(tocsin: Tocsin, siren: str, seq: int) -> bool:
    record = await SirenStore(tocsin.store.engine).get(siren)
    return record is not None and record.last_ack_seq == seq


def commands(simulator: Simulator, siren: str) -> list[Json]:
    return simulator.sirens[siren].received


def kinds(simulator: Simulator, siren: str) -> list[tuple[int, str, str]]:
    return [(c["seq"], c["command"], c["pattern"]) for c in commands(simulator, siren)]


# --- region states ---------------------------------------------------------------------------


async def test_region_states_are_retained_for_late_clients(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    async with (
        channel_on(started, url, prefix),
        reading(url, f"{prefix}/regions/+/state", qos=0) as early,
    ):
        alert_id = await raise_alert(started, "missile", "UA-63")
        seq = await started.store.last_seq()
        topic = f"{prefix}/regions/UA-63/state"
        last = f"{prefix}/regions/{HROMADA}/state"  # the last published: hromadas come last
        await until(lambda: (early.last(last) or {}).get("state") == "active")
        late = await retained(url, f"{prefix}/regions/+/state", expect=len(started.regions.tree))
    state = late[topic]
    assert state == {
        "region": "UA-63", "status": "actual", "state": "active", "letter": "A",
        "threat": "missile", "alerts": [alert_id], "partial_alerts": [], "pre_alert": False,
        "since": "2026-03-01T12:00:00Z", "seq": seq, "event_id": state["event_id"],
        "time": "2026-03-01T12:00:00Z", "cause": "event",
    }  # fmt: skip
    assert late[f"{prefix}/regions/UA/state"]["state"] == "partial"
    assert late[f"{prefix}/regions/UA/state"]["partial_alerts"] == [alert_id]
    assert late[f"{prefix}/regions/{HROMADA}/state"]["letter"] == "A"
    assert late[f"{prefix}/regions/UA-30/state"]["state"] == "none"  # from the first snapshot
    assert len(late) == len(started.regions.tree)  # every region, so no device has to guess
    changed = {m.topic for m in early.messages if (m.data or {}).get("cause") == "event"}
    assert f"{prefix}/regions/UA-30/state" not in changed  # only changed states are published


async def test_exercise_states_go_to_their_own_topics(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    topics = (f"{prefix}/regions/UA-63/#", f"{prefix}/regions/{HROMADA}/#")
    async with channel_on(started, url, prefix), reading(url, *topics) as reader:
        await raise_alert(started, "uav", "UA-63", status=Status.EXERCISE)
        drill = f"{prefix}/regions/UA-63/state/exercise"
        await until(lambda: reader.last(drill) is not None)
        await until(lambda: reader.last(f"{prefix}/regions/{HROMADA}/state/exercise") is not None)
    assert reader.last(drill)["state"] == "active"
    assert reader.last(drill)["status"] == "exercise"
    public = reader.on(f"{prefix}/regions/UA-63/state")
    assert [m["cause"] for m in public] == ["snapshot"]  # the public state did not change
    assert reader.on(f"{prefix}/regions/UA-63/state/test") == []


async def test_a_restarted_bridge_publishes_only_the_states_the_broker_lacks(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    async with channel_on(started, url, prefix):
        await raise_alert(started, "missile", "UA-63")
        await until(lambda: _cursor(started, prefix) == started.feed.head)
    regions = len(started.regions.tree)
    async with reading(url, f"{prefix}/regions/+/state", qos=0) as reader:
        await until(lambda: len(reader.messages) == regions, what="the retained states")
        async with channel_on(started, url, prefix) as again:
            assert again.target is not None
            await until(lambda: again.target is not None and again.target.reconciled.is_set())
        assert len(reader.messages) == regions  # nothing was stale, so nothing was sent again


def _cursor(tocsin: Tocsin, prefix: str) -> int:
    worker = tocsin.supervisor.workers.get(f"sirens:{prefix}")
    return -1 if worker is None else worker.cursor


# --- commands through the lifecycle -----------------------------------------------------------


async def test_commands_follow_the_alert_lifecycle(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    oblast, hromada, elsewhere, country = ids()
    places = {oblast: "UA-63", hromada: HROMADA, elsewhere: "UA-30", country: "UA"}
    async with (
        channel_on(started, url, prefix) as channel,
        sirens_on(started, channel, places) as sim,
    ):
        alert_id = await raise_alert(started, "uav", "UA-63")
        raised = await started.store.last_seq()
        await started.alerts.update_alert(alert_id, UpdateAlert(threat="missile"), LOCAL_ADMIN)
        escalated = await started.store.last_seq()
        await started.alerts.update_alert(alert_id, UpdateAlert(headline="Inside"), LOCAL_ADMIN)
        await started.alerts.end(alert_id, LOCAL_ADMIN)
        ended = await started.store.last_seq()
        await until(lambda: sim.sirens[hromada].last_seq == ended, what="all-clear")
        await eventually(lambda: acked(started, oblast, ended), what="acks")
    expected = [
        (raised, "sound", "pulsed"),
        (escalated, "sound", "continuous"),
        (ended, "all_clear", "all_clear"),
    ]
    assert kinds(sim, oblast) == expected
    assert kinds(sim, hromada) == expected  # an alert for the oblast covers its hromadas
    assert commands(sim, elsewhere) == []
    assert commands(sim, country) == []  # UA is only partly under alert: its siren is silent
    first, second, last = commands(sim, hromada)
    assert first == {
        "siren": hromada, "region": HROMADA, "seq": raised, "event_id": first["event_id"],
        "time": "2026-03-01T12:00:00Z", "command": "sound", "pattern": "pulsed",
        "seconds": 120, "threat": "uav", "status": "actual", "drill": False,
        "alert_id": alert_id, "message": None,
    }  # fmt: skip
    assert (second["threat"], second["seconds"]) == ("missile", 180)  # continuous for 3 minutes
    assert (last["threat"], last["seconds"], last["drill"]) == ("missile", 60, False)
    records = {r.id: r for r in await SirenStore(started.store.engine).all()}
    assert records[oblast].last_command_seq == ended
    assert records[oblast].last_ack_seq == ended
    assert records[elsewhere].last_command_seq is None


async def test_a_plain_subscriber_gets_every_command_live(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    """A siren that never sends a status (or a monitor on its topic) still gets its commands."""
    url, prefix = broker
    [siren] = ids(1)
    service = started.sirens
    await service.register(siren, HROMADA, LOCAL_ADMIN)
    topic = f"{prefix}/sirens/{siren}/command"
    async with (
        channel_on(started, url, prefix),
        reading(url, f"{prefix}/sirens/+/command") as monitor,
    ):
        alert_id = await raise_alert(started, "uav", "UA-63")
        await started.alerts.update_alert(alert_id, UpdateAlert(threat="missile"), LOCAL_ADMIN)
        await started.alerts.end(alert_id, LOCAL_ADMIN)
        ended = await started.store.last_seq()
        await until(lambda: len(monitor.on(topic)) == 3)
    assert [(c["seq"], c["command"]) for c in monitor.on(topic)] == [
        (ended - 2, "sound"),
        (ended - 1, "sound"),
        (ended, "all_clear"),
    ]
    assert {m.topic for m in monitor.messages} == {topic}


async def test_a_cancel_stops_the_sirens_without_an_all_clear(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    [siren] = ids(1)
    async with (
        channel_on(started, url, prefix) as channel,
        sirens_on(started, channel, {siren: HROMADA}) as sim,
    ):
        alert_id = await raise_alert(started, "missile", "UA-63")
        await started.alerts.cancel(alert_id, LOCAL_ADMIN, "False alarm: no threat.")
        cancelled = await started.store.last_seq()
        await until(lambda: sim.sirens[siren].last_seq == cancelled)
    stop = commands(sim, siren)[-1]
    assert (stop["command"], stop["pattern"], stop["seconds"]) == ("stop", "none", 0)
    assert stop["message"] == "False alarm: no threat."
    assert [c["command"] for c in commands(sim, siren)] == ["sound", "stop"]
    assert sim.sirens[siren].activity(0) == "stopped: false alarm"


async def test_sirens_follow_the_most_severe_alert_over_them(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    [siren] = ids(1)
    async with (
        channel_on(started, url, prefix) as channel,
        sirens_on(started, channel, {siren: HROMADA}) as sim,
    ):
        uav = await raise_alert(started, "uav", "UA-63")
        missile = await raise_alert(started, "missile", HROMADA)
        await started.alerts.update_alert(
            uav, UpdateAlert(add_regions=["UA-30"]), LOCAL_ADMIN
        )  # changes nothing for this siren
        await started.alerts.end(missile, LOCAL_ADMIN)  # the UAV alert still covers it
        await started.alerts.end(uav, LOCAL_ADMIN)
        last = await started.store.last_seq()
        await until(lambda: sim.sirens[siren].last_seq == last)
    assert [(c["command"], c["threat"]) for c in commands(sim, siren)] == [
        ("sound", "uav"),
        ("sound", "missile"),
        ("sound", "uav"),  # back to the UAV pattern, not an all-clear
        ("all_clear", "uav"),
    ]


async def test_an_exercise_plays_the_drill_variant(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    [siren] = ids(1)
    async with (
        channel_on(started, url, prefix) as channel,
        sirens_on(started, channel, {siren: "UA-63"}) as sim,
    ):
        await raise_alert(started, "missile", "UA-63", status=Status.EXERCISE)
        seq = await started.store.last_seq()
        await until(lambda: sim.sirens[siren].last_seq == seq)
        [command] = commands(sim, siren)
        assert (command["status"], command["drill"], command["pattern"]) == (
            "exercise",
            True,
            "continuous",
        )
        assert sim.sirens[siren].activity(sim.clock()).startswith("DRILL sounding continuous")


async def test_a_drill_without_sirens_sends_them_nothing_and_one_with_sirens_does(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    [siren] = ids(1)
    clock = started.clock
    assert isinstance(clock, ManualClock)
    plan: dict[str, Any] = {"threat": "missile", "regions": ("UA-63",), "announce_before": 0}
    quiet = await started.drills.schedule(
        LOCAL_ADMIN, title="Quiet", scheduled_for=clock.now() + timedelta(hours=1),
        duration=600, sirens=False, **plan,
    )  # fmt: skip
    loud = await started.drills.schedule(
        LOCAL_ADMIN, title="Loud", scheduled_for=clock.now() + timedelta(hours=2),
        duration=600, sirens=True, **plan,
    )  # fmt: skip
    async with (
        channel_on(started, url, prefix) as channel,
        sirens_on(started, channel, {siren: "UA-63"}) as sim,
    ):
        target = channel.target
        assert target is not None
        for drill in (quiet, loud):
            clock.advance(3600)
            await started.drills.tick()
            raised = await started.drills.get(drill.id)
            assert raised.state == "running" and raised.alert_id is not None
            seqs = await DrillStore(started.store.engine).event_seqs(raised.alert_id)
            assert seqs is not None
            await until(lambda s=seqs[0]: target.applied >= s, what="the channel caught up")
            if drill is quiet:
                assert commands(sim, siren) == []
                assert target.alerts == {}  # nor does it hold the region
        await until(lambda: len(commands(sim, siren)) == 1, what="the loud drill's command")
        [command] = commands(sim, siren)
        assert command["alert_id"] == raised.alert_id
        assert (command["command"], command["drill"], command["status"]) == (
            "sound",
            True,
            "exercise",
        )


async def test_a_drill_report_keeps_each_siren_s_part_whatever_it_is_sent_after(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    [siren, mute] = ids(2)
    clock = started.clock
    assert isinstance(clock, ManualClock)
    drill = await started.drills.schedule(
        LOCAL_ADMIN, title="Loud", threat="missile", regions=("UA-63",), announce_before=0,
        scheduled_for=clock.now() + timedelta(hours=1), duration=600, sirens=True,
    )  # fmt: skip
    await started.sirens.register(mute, "UA-63", LOCAL_ADMIN)  # never answers
    store = DrillStore(started.store.engine)

    async def noted() -> dict[str, Any]:
        return {row["siren_id"]: row for row in await store.sirens_of(drill.id)}

    async with (
        channel_on(started, url, prefix) as channel,
        sirens_on(started, channel, {siren: "UA-63"}) as sim,
    ):
        clock.advance(3600)
        await started.drills.tick()
        await until(lambda: len(commands(sim, siren)) == 1, what="the drill's command")
        await eventually(lambda: _acked(store, drill.id, siren), what="the drill's ack noted")
        clock.advance(600)
        await started.drills.tick()
        report = await started.drills.report(drill.id)
        # after the drill: an actual alert, its command carried out and acknowledged
        alert_id = await raise_alert(started, "missile", "UA-63")
        await until(lambda: len(commands(sim, siren)) == 3, what="the actual alert's command")
        seq = commands(sim, siren)[-1]["seq"]
        await eventually(lambda: _siren_acked(started, siren, seq), what="the later ack")
    rows = await noted()
    assert set(rows) == {siren, mute}
    assert rows[siren]["command_seq"] == commands(sim, siren)[0]["seq"] < seq
    assert rows[mute]["commanded_at"] is not None and rows[mute]["acked_at"] is None
    by_id = {s["id"]: s for s in report["sirens"]["sirens"]}
    assert (by_id[siren]["outcome"], by_id[mute]["outcome"]) == ("in_time", "silent")
    assert by_id[siren]["ack_after_s"] == 0.0
    again = await started.drills.report(drill.id)
    assert again["sirens"] == report["sirens"]
    assert alert_id not in str(again["sirens"])


async def _acked(store: DrillStore, drill_id: str, siren: str) -> bool:
    rows = {row["siren_id"]: row for row in await store.sirens_of(drill_id)}
    return siren in rows and rows[siren]["acked_at"] is not None


async def _siren_acked(tocsin: Tocsin, siren: str, seq: int) -> bool:
    record = await SirenStore(tocsin.store.engine).get(siren)
    return record is not None and record.last_ack_seq == seq


async def test_pre_alerts_and_text_updates_sound_nothing(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    [siren] = ids(1)
    async with (
        channel_on(started, url, prefix) as channel,
        sirens_on(started, channel, {siren: "UA-63"}) as sim,
    ):
        alert_id = await raise_alert(started, "missile", "UA-63", pre_alert=True)
        await started.alerts.update_alert(alert_id, UpdateAlert(text="Be ready"), LOCAL_ADMIN)
        await started.alerts.activate(alert_id, LOCAL_ADMIN)
        activated = await started.store.last_seq()
        await until(lambda: sim.sirens[siren].last_seq == activated)
    assert kinds(sim, siren) == [(activated, "sound", "continuous")]


# --- health -----------------------------------------------------------------------------------


async def siren_events(tocsin: Tocsin) -> list[Json]:
    events = await tocsin.store.events_after(0, 1000)
    return [
        {"type": e.type, **e.data} for e in events if e.type in ("siren.faulty", "siren.recovered")
    ]


async def state_of(tocsin: Tocsin, siren: str) -> str | None:
    record = await SirenStore(tocsin.store.engine).get(siren)
    return None if record is None else record.state


async def test_a_siren_that_does_not_acknowledge_is_faulty_until_it_does(
    started: Tocsin, broker: tuple[str, str], clock: ManualClock
) -> None:
    url, prefix = broker
    [siren] = ids(1)
    async with (
        channel_on(started, url, prefix, ack_timeout=10) as channel,
        sirens_on(started, channel, {siren: "UA-63"}, fail_ack=1.0) as sim,
    ):
        await eventually(lambda: _is(started, siren, "ok"), what="first heartbeat")
        await raise_alert(started, "missile", "UA-63")
        seq = await started.store.last_seq()
        await until(lambda: sim.sirens[siren].last_seq == seq)
        clock.advance(9)
        await asyncio.sleep(0.3)
        assert await state_of(started, siren) == "ok"  # not yet late
        clock.advance(2)
        await eventually(lambda: _is(started, siren, "faulty"), what="faulty")
        record = await SirenStore(started.store.engine).get(siren)
        assert record is not None
        assert record.fault_reason == f"command {seq} not acknowledged within 10 s"
        sim.fail_ack = 0.0  # the uplink works again: the re-sent command is acknowledged
        clock.advance(11)
        await eventually(lambda: _is(started, siren, "ok"), what="recovered")
    assert sim.sirens[siren].carried_out == [seq]  # the re-sent command was a duplicate
    assert len(commands(sim, siren)) >= 2
    assert await siren_events(started) == [
        {"type": "siren.faulty", "siren": {"id": siren, "region": "UA-63", "name": siren},
         "reason": f"command {seq} not acknowledged within 10 s", "state": "faulty",
         "previous": "ok"},
        {"type": "siren.recovered", "siren": {"id": siren, "region": "UA-63", "name": siren},
         "reason": f"command {seq} not acknowledged within 10 s", "state": "ok",
         "previous": "faulty"},
    ]  # fmt: skip


async def _is(tocsin: Tocsin, siren: str, state: str) -> bool:
    return await state_of(tocsin, siren) == state


async def test_a_siren_whose_heartbeat_is_stale_is_faulty_until_it_beats_again(
    started: Tocsin, broker: tuple[str, str], clock: ManualClock
) -> None:
    url, prefix = broker
    [siren] = ids(1)
    async with (
        channel_on(started, url, prefix, heartbeat_timeout=90) as channel,
        sirens_on(started, channel, {siren: HROMADA}) as sim,
    ):
        await eventually(lambda: _is(started, siren, "ok"), what="first heartbeat")
        sim.heartbeats = False
        await asyncio.sleep(0.3)
        clock.advance(91)
        await eventually(lambda: _is(started, siren, "faulty"), what="faulty")
        sim.heartbeats = True
        await eventually(lambda: _is(started, siren, "ok"), what="recovered")
    faulty, recovered = await siren_events(started)
    assert faulty["type"] == "siren.faulty"
    assert faulty["reason"] == "no heartbeat since 2026-03-01T12:00:00Z (limit 90 s)"
    assert recovered["type"] == "siren.recovered"
    assert recovered["siren"]["region"] == HROMADA


async def test_a_siren_never_heard_from_is_faulty_after_the_heartbeat_limit(
    started: Tocsin, broker: tuple[str, str], clock: ManualClock
) -> None:
    url, prefix = broker
    [siren] = ids(1)
    service = started.sirens
    await service.register(siren, "UA-63", LOCAL_ADMIN)
    async with channel_on(started, url, prefix, heartbeat_timeout=30):
        await asyncio.sleep(0.2)
        assert await state_of(started, siren) == "unknown"
        clock.advance(31)
        await eventually(lambda: _is(started, siren, "faulty"))
    [event] = await siren_events(started)
    assert event["reason"] == "no heartbeat since registration (limit 30 s)"
    assert event["previous"] == "unknown"


# --- restarts ---------------------------------------------------------------------------------


def without_repeats(received: list[Json]) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for c in received:
        item = (c["seq"], c["command"], c["pattern"])
        if not out or out[-1] != item:
            out.append(item)
    return out


def check_delivery(received: list[Json], expected: list[tuple[int, str, str]]) -> None:
    """Every command, in order; a repeat only of one command, right after itself."""
    seqs = [c["seq"] for c in received]
    assert seqs == sorted(seqs), f"out of order: {seqs}"
    assert without_repeats(received) == expected
    assert len(received) - len(expected) <= 1, f"more than the in-flight one repeated: {seqs}"


async def test_nothing_is_lost_when_the_broker_restarts_mid_alert(
    started: Tocsin, tmp_path: Path
) -> None:
    broker = Mosquitto(tmp_path)
    broker.start()
    prefix = new_prefix()
    oblast, hromada, elsewhere = ids(3)
    places = {oblast: "UA-63", hromada: HROMADA, elsewhere: "UA-30"}
    try:
        async with (
            channel_on(started, broker.url, prefix) as channel,
            sirens_on(started, channel, places) as sim,
            reading(broker.url, f"{prefix}/regions/UA-63/state") as reader,
        ):
            alert_id = await raise_alert(started, "uav", "UA-63")
            raised = await started.store.last_seq()
            await until(lambda: sim.sirens[hromada].last_seq == raised)

            broker.kill()
            assert channel.link is not None
            await until(lambda: channel.link is not None and not channel.link.connected)
            await started.alerts.update_alert(alert_id, UpdateAlert(threat="missile"), LOCAL_ADMIN)
            escalated = await started.store.last_seq()
            await started.alerts.end(alert_id, LOCAL_ADMIN)
            ended = await started.store.last_seq()
            other = await raise_alert(started, "missile", "UA-30")
            elsewhere_raised = await started.store.last_seq()
            await asyncio.sleep(0.5)  # the worker tries, and fails
            assert channel.status()[0]["connected"] is False
            assert channel.status()[0]["backlog"] >= 3

            broker.start()
            for siren, seq in ((oblast, ended), (hromada, ended), (elsewhere, elsewhere_raised)):
                await until(lambda s=siren, q=seq: sim.sirens[s].last_seq == q, what=siren)
            await eventually(lambda: acked(started, oblast, ended), what="acks")
            await until(
                lambda: (reader.last(f"{prefix}/regions/UA-63/state") or {}).get("state") == "none",
                what="the reader's final state",
            )
            await until(lambda: channel.target is not None and channel.target.reconciled.is_set())
        expected = [
            (raised, "sound", "pulsed"),
            (escalated, "sound", "continuous"),
            (ended, "all_clear", "all_clear"),
        ]
        check_delivery(commands(sim, oblast), expected)
        check_delivery(commands(sim, hromada), expected)
        check_delivery(commands(sim, elsewhere), [(elsewhere_raised, "sound", "continuous")])
        final = await retained(broker.url, f"{prefix}/regions/+/state")
        assert final[f"{prefix}/regions/UA-63/state"]["state"] == "none"
        assert final[f"{prefix}/regions/{HROMADA}/state"]["state"] == "none"
        assert final[f"{prefix}/regions/UA-30/state"]["alerts"] == [other]
        assert final[f"{prefix}/regions/UA/state"]["state"] == "partial"
        assert len(final) == len(started.regions.tree)  # the restarted broker has them all again
        seqs = [m["seq"] for m in reader.on(f"{prefix}/regions/UA-63/state")]
        assert seqs == sorted(seqs)
    finally:
        broker.kill()


async def test_a_restarted_bridge_sends_what_was_missed_in_order(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    oblast, hromada = ids(2)
    places = {oblast: "UA-63", hromada: HROMADA}
    async with channel_on(started, url, prefix) as first, sirens_on(started, first, places) as sim:
        alert_id = await raise_alert(started, "uav", "UA-63")
        raised = await started.store.last_seq()
        await until(lambda: sim.sirens[oblast].last_seq == raised)
        await first.stop()  # the server goes away
        await started.alerts.update_alert(alert_id, UpdateAlert(threat="missile"), LOCAL_ADMIN)
        escalated = await started.store.last_seq()
        await started.alerts.cancel(alert_id, LOCAL_ADMIN, "Mistake")
        cancelled = await started.store.last_seq()
        await asyncio.sleep(0.3)
        assert sim.sirens[oblast].last_seq == raised
        async with channel_on(started, url, prefix):  # and comes back: from its cursor
            for siren in places:
                await until(lambda s=siren: sim.sirens[s].last_seq == cancelled, what=siren)
    expected = [
        (raised, "sound", "pulsed"),
        (escalated, "sound", "continuous"),
        (cancelled, "stop", "none"),
    ]
    check_delivery(commands(sim, oblast), expected)
    check_delivery(commands(sim, hromada), expected)


async def test_a_siren_that_reconnects_gets_what_it_missed(
    started: Tocsin, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    [siren] = ids(1)
    async with channel_on(started, url, prefix) as channel:
        async with sirens_on(started, channel, {siren: "UA-63"}) as sim:
            alert_id = await raise_alert(started, "uav", "UA-63")
            raised = await started.store.last_seq()
            await until(lambda: sim.sirens[siren].last_seq == raised)
        await until(
            lambda: channel.target is not None and siren not in channel.target.synced,
            what="the siren's last will",
        )
        await started.alerts.end(alert_id, LOCAL_ADMIN)  # while the siren is away
        ended = await started.store.last_seq()
        again = Simulator([(siren, "UA-63")], url=url, prefix=prefix, heartbeat=0.2)
        again.sirens[siren].last_seq = raised  # it remembers what it carried out
        again.start()
        try:
            await until(lambda: again.sirens[siren].last_seq == ended)
        finally:
            await again.stop()
    assert without_repeats(commands(again, siren)) == [(ended, "all_clear", "all_clear")]


async def test_a_bad_broker_url_is_refused_at_start(tocsin: Tocsin) -> None:
    channel = SirenChannel(tocsin, url="http://broker")
    with pytest.raises(InvalidInput, match="MQTT URL") as caught:
        await channel.start()
    assert caught.value.field == "mqtt_url"


# --- a running server --------------------------------------------------------------------------

SERVER: dict[str, str] = {}


def create_app(settings: Settings) -> Any:
    app = create_base_app(settings)
    app.include_router(sirens_api.router)
    return app


def server_sirens(tocsin: Tocsin) -> SirenChannel:
    """The channel as the registry builds it (`channels = ["test_sirens:server_sirens"]`)."""
    return SirenChannel(tocsin, url=SERVER["url"], prefix=SERVER["prefix"], backoff=(0.05, 0.5))


@contextmanager
def serving(database_url: str) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(database_url=database_url, channels=("test_sirens:server_sirens",))
    server = uvicorn.Server(uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on",
        timeout_graceful_shutdown=2,
    ))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


async def test_a_running_server_drives_the_sirens(
    database_url: str, broker: tuple[str, str]
) -> None:
    url, prefix = broker
    SERVER.update(url=url, prefix=prefix)
    oblast, elsewhere = ids(2)
    admin = await build(Settings(database_url=database_url))
    try:
        headers = await bearer(admin, "admin")
        with serving(database_url) as base:
            async with httpx.AsyncClient(base_url=base, headers=headers) as http:
                for siren, region in ((oblast, "UA-63"), (elsewhere, "UA-30")):
                    response = await http.post("/v1/sirens", json={"id": siren, "region": region})
                    assert response.status_code == 201, response.text
                sim = Simulator(
                    [(oblast, "UA-63"), (elsewhere, "UA-30")], url=url, prefix=prefix, heartbeat=0.2
                )
                sim.start()
                try:
                    await eventually(lambda: _is(admin, oblast, "ok"), what="heard of")
                    raised = (
                        await http.post("/v1/alerts", json={"threat": "uav", "regions": ["UA-63"]})
                    ).json()
                    await http.patch(f"/v1/alerts/{raised['id']}", json={"threat": "missile"})
                    await http.post(
                        f"/v1/alerts/{raised['id']}/cancel", json={"message": "Mistake"}
                    )
                    await until(lambda: len(sim.sirens[oblast].carried_out) == 3)
                    listed = (await http.get("/v1/sirens")).json()["sirens"]
                finally:
                    await sim.stop()
    finally:
        await admin.close()
    assert [(c["command"], c["threat"]) for c in commands(sim, oblast)] == [
        ("sound", "uav"),
        ("sound", "missile"),
        ("stop", "missile"),
    ]
    assert commands(sim, elsewhere) == []
    assert {s["id"]: s["state"] for s in listed} == {oblast: "ok", elsewhere: "ok"}


async def test_the_channel_is_off_without_a_broker(tocsin: Tocsin) -> None:
    channel = SirenChannel(tocsin)
    await channel.start()
    assert channel.status() == [
        {"channel": "sirens", "state": "off", "reason": "mqtt_url is not set"}
    ]
    await channel.stop()
    assert channel.link is None


# --- the rules, without a broker ---------------------------------------------------------------


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TREE_PLACE = SirenPlace("s1", HROMADA, frozenset({HROMADA, "UA-63-R125", "UA-63", "UA"}))


def alert(threat: str = "missile", regions: tuple[str, ...] = ("UA-63",), **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "id": "a1", "status": Status.ACTUAL, "phase": Phase.ACTIVE, "threat": threat,
        "regions": regions, "raised_at": NOW, "updated_at": NOW, "raised_by": "test",
        "activated_at": NOW, **fields,
    }  # fmt: skip
    return Alert(**values)


def event_for(kind: EventType, changed: Alert, seq: int = 5) -> Event:
    return Event(
        seq,
        f"e{seq}",
        kind.value,
        NOW,
        "test",
        changed.id,
        {"alert": changed.to_json(), "changes": {}},
    )


def command_for(
    kind: EventType, changed: Alert, *others: Alert, before: Alert | None = None
) -> tuple[str, str, str | None] | None:
    opened = {a.id: a for a in others}
    if before is not None:
        opened[before.id] = before
    after = advance(opened, changed)
    found = siren_command(event_for(kind, changed), changed, opened, after, TREE_PLACE, builtin())
    return None if found is None else (found.kind, found.pattern, found.threat)


@pytest.mark.parametrize(
    ("kind", "changed", "before", "expected"),
    [
        (EventType.RAISED, alert(), None, ("sound", "continuous", "missile")),
        (EventType.RAISED, alert(phase=Phase.PRE_ALERT, activated_at=None), None, None),
        (
            EventType.ACTIVATED,
            alert(),
            alert(phase=Phase.PRE_ALERT, activated_at=None),
            ("sound", "continuous", "missile"),
        ),
        (EventType.ESCALATED, alert(), alert("uav"), ("sound", "continuous", "missile")),
        (EventType.DEESCALATED, alert("uav"), alert(), ("sound", "pulsed", "uav")),
        (EventType.UPDATED, alert(headline="Stay inside"), alert(), None),
        (
            EventType.UPDATED,
            alert(regions=("UA-30", "UA-63")),
            alert(regions=("UA-30",)),
            ("sound", "continuous", "missile"),
        ),
        (
            EventType.UPDATED,
            alert(regions=("UA-30",)),
            alert(regions=("UA-30", "UA-63")),
            ("all_clear", "all_clear", "missile"),
        ),
        (EventType.UPDATED, alert(regions=("UA-30",)), alert(regions=("UA-30", "UA-59")), None),
        (EventType.ENDED, alert(phase=Phase.ENDED), alert(), ("all_clear", "all_clear", "missile")),
        (
            EventType.EXPIRED,
            alert(phase=Phase.EXPIRED),
            alert(),
            ("all_clear", "all_clear", "missile"),
        ),
        (EventType.CANCELLED, alert(phase=Phase.CANCELLED), alert(), ("stop", "none", "missile")),
        (EventType.RAISED, alert(regions=("UA",)), None, ("sound", "continuous", "missile")),
        (EventType.RAISED, alert(regions=("UA-63-H1273",)), None, None),  # a neighbour
        (EventType.ENDED, alert(phase=Phase.PRE_ALERT), None, None),
    ],
)
def test_what_each_change_means_for_a_siren(
    kind: EventType, changed: Alert, before: Alert | None, expected: tuple[str, ...] | None
) -> None:
    assert command_for(kind, changed, before=before) == expected


def test_a_weaker_alert_sounds_the_stronger_pattern_and_ending_it_clears_nothing() -> None:
    strong = alert(id="a0")
    weak = alert("uav", (HROMADA,))
    assert command_for(EventType.RAISED, weak, strong) == ("sound", "continuous", "missile")
    gone = alert("uav", (HROMADA,), phase=Phase.ENDED)
    assert command_for(EventType.ENDED, gone, strong, before=weak) is None
    ended_strong = alert(id="a0", phase=Phase.ENDED)
    assert command_for(EventType.ENDED, ended_strong, weak, before=strong) == (
        "sound",
        "pulsed",
        "uav",
    )


def test_an_exercise_is_judged_apart_and_marked_as_a_drill() -> None:
    real = alert(id="a0")
    drill = alert(status=Status.EXERCISE)
    after = advance({real.id: real}, drill)
    found = siren_command(
        event_for(EventType.RAISED, drill), drill, {real.id: real}, after, TREE_PLACE, builtin()
    )
    assert found is not None
    assert found.to_json()["drill"] is True and found.to_json()["status"] == "exercise"
    ended = alert(status=Status.EXERCISE, phase=Phase.ENDED)
    assert command_for(EventType.ENDED, ended, real, before=drill) == (
        "all_clear",
        "all_clear",
        "missile",
    )


def test_a_cancel_carries_the_false_alarm_message() -> None:
    before = alert()
    cancelled = alert(phase=Phase.CANCELLED, cancel_message="False alarm")
    found = siren_command(
        event_for(EventType.CANCELLED, cancelled),
        cancelled,
        {"a1": before},
        {},
        TREE_PLACE,
        builtin(),
    )
    assert found is not None and found.to_json()["message"] == "False alarm"
    assert (found.to_json()["seconds"], found.to_json()["alert_id"]) == (0, "a1")


async def test_open_alerts_as_of_any_point_in_the_log(tocsin: Tocsin) -> None:
    store = SirenStore(tocsin.store.engine)
    a = await raise_alert(tocsin, "uav", "UA-63")
    s1 = await tocsin.store.last_seq()
    b = await raise_alert(tocsin, "missile", "UA-30")
    s2 = await tocsin.store.last_seq()
    await tocsin.alerts.update_alert(a, UpdateAlert(threat="missile"), LOCAL_ADMIN)
    s3 = await tocsin.store.last_seq()
    await tocsin.alerts.end(b, LOCAL_ADMIN)
    s4 = await tocsin.store.last_seq()

    async def seen(seq: int) -> set[tuple[str, str]]:
        return {(x.id, x.threat) for x in await store.open_alerts_at(seq)}

    assert await seen(s1 - 1) == set()
    assert await seen(s1) == {(a, "uav")}
    assert await seen(s2) == {(a, "uav"), (b, "missile")}
    assert await seen(s3) == {(a, "missile"), (b, "missile")}
    assert await seen(s4) == {(a, "missile")}


def test_topics_and_their_parts() -> None:
    topics = Topics("ops/tocsin/v1")
    assert topics.state("UA-63") == "ops/tocsin/v1/regions/UA-63/state"
    assert topics.state("UA-63", Status.TEST) == "ops/tocsin/v1/regions/UA-63/state/test"
    assert topics.command("s-1") == "ops/tocsin/v1/sirens/s-1/command"
    assert topics.siren_topic("ops/tocsin/v1/sirens/s-1/ack") == ("s-1", "ack")
    assert topics.siren_topic("ops/tocsin/v1/sirens/s-1/status") == ("s-1", "status")
    for other in ("ops/tocsin/v1/sirens/s-1/x", "other/sirens/s-1/ack", "ops/tocsin/v1/sirens/a"):
        assert topics.siren_topic(other) is None
    for bad in ("", "/a", "a/", "a/+/b", "a/#"):
        with pytest.raises(ValueError, match="topic prefix"):
            Topics(bad)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"seq": 7}', Ack("s1", 7, True, None)),
        (b'{"seq": 7, "result": "duplicate"}', Ack("s1", 7, True, None)),
        (b'{"seq": 7, "result": "error", "error": "amplifier"}', Ack("s1", 7, False, "amplifier")),
        (b'{"seq": -1}', None),
        (b'{"seq": true}', None),
        (b"[7]", None),
        (b"not json", None),
    ],
)
def test_acks_are_parsed_strictly(payload: bytes, expected: Ack | None) -> None:
    assert parse_ack("s1", payload) == expected


def test_statuses_are_parsed_strictly() -> None:
    assert parse_status("s1", b'{"state": "online", "conn": "c", "last_seq": 4}') == SirenStatus(
        "s1", True, "c", 4
    )
    assert parse_status("s1", b'{"state": "offline"}') == SirenStatus("s1", False, None, 0)
    assert parse_status("s1", b'{"state": "asleep"}') is None
    assert parse_status("s1", b'{"state": "online", "last_seq": "x"}') == SirenStatus(
        "s1", True, None, 0
    )


@pytest.mark.parametrize(
    ("url", "address", "label"),
    [
        ("mqtt://127.0.0.1:1883", BrokerAddress("127.0.0.1", 1883), "mqtt://127.0.0.1:1883"),
        ("mqtt://broker", BrokerAddress("broker", 1883), "mqtt://broker:1883"),
        (
            "mqtts://u:p%40ss@b:8884",
            BrokerAddress("b", 8884, True, "u", "p@ss"),
            "mqtts://u:***@b:8884",
        ),
    ],
)
def test_broker_urls(url: str, address: BrokerAddress, label: str) -> None:
    assert BrokerAddress.parse(url) == address
    assert address.label == label


@pytest.mark.parametrize("url", ["http://b", "mqtt://", "mqtt://b:99999", "b:1883"])
def test_bad_broker_urls(url: str) -> None:
    with pytest.raises(ValueError, match="MQTT URL"):
        BrokerAddress.parse(url)


def record(**fields: Any) -> SirenRecord:
    return SirenRecord(
        **{
            "id": "s1",
            "region": "UA-63",
            "name": "s1",
            "registered_at": NOW,
            "last_ack_seq": 3,
            **fields,
        }
    )


@pytest.mark.parametrize(
    ("fields", "after", "expected"),
    [
        ({}, 89, ("unknown", None)),
        ({}, 91, ("faulty", "no heartbeat since registration (limit 90 s)")),
        ({"last_heartbeat_at": NOW}, 30, ("ok", None)),
        ({"last_heartbeat_at": NOW + timedelta(seconds=60)}, 120, ("ok", None)),
        (
            {"last_heartbeat_at": NOW},
            91,
            ("faulty", "no heartbeat since 2026-03-01T12:00:00Z (limit 90 s)"),
        ),
        (
            {
                "last_heartbeat_at": NOW + timedelta(seconds=5),
                "last_command_seq": 9,
                "last_command_at": NOW,
            },
            9,
            ("ok", None),
        ),
        (
            {
                "last_heartbeat_at": NOW + timedelta(seconds=5),
                "last_command_seq": 9,
                "last_command_at": NOW,
            },
            11,
            ("faulty", "command 9 not acknowledged within 10 s"),
        ),
        (
            {
                "last_heartbeat_at": NOW + timedelta(seconds=5),
                "last_command_seq": 9,
                "last_command_at": NOW,
                "last_ack_seq": 9,
            },
            11,
            ("ok", None),
        ),
    ],
)
def test_how_a_siren_is_judged(
    fields: dict[str, Any], after: float, expected: tuple[str, str | None]
) -> None:
    now = NOW + timedelta(seconds=after)
    assert assess(record(**fields), now, Limits(ack_timeout=10, heartbeat_timeout=90)) == expected


def test_a_reported_error_is_part_of_the_reason() -> None:
    late = record(last_heartbeat_at=NOW, last_command_seq=9, last_command_at=NOW)
    state, reason = assess(late, NOW + timedelta(seconds=11), Limits(10, 90), "amplifier")
    assert (state, reason) == ("faulty", "command 9 not acknowledged within 10 s: amplifier")


def test_the_broker_url_is_a_secret() -> None:
    settings = Settings(mqtt_url="mqtt://u:pw@b:1883")
    assert configured_url(settings) == "mqtt://u:pw@b:1883"
    assert "pw" not in repr(settings)
    assert configured_url(Settings()) is None

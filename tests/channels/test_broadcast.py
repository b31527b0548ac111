"""Broadcast repeats: the schedule (ticked by hand on a ManualClock), restarts, two repeaters,
and the running channel delivering announcements through apprise to a loopback receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from apprise_support import FAST, Receiver, receiving, record, until
from pydantic import Field

from conftest import sqlite_threads_finished
from tocsin.bootstrap import Tocsin, build
from tocsin.cap.texts import LONG_LIMIT
from tocsin.channels import apprise as apprise_kind
from tocsin.channels import broadcast
from tocsin.channels.broadcast import BroadcastRepeater, repeat_minutes
from tocsin.channels.delivery import Supervisor
from tocsin.channels.notices import Size
from tocsin.config import Settings
from tocsin.domain.alerts import RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.events import Event
from tocsin.domain.threats import builtin
from tocsin.errors import InvalidInput
from tocsin.service.ports import ManualClock
from tocsin.types import iso_time

MINUTE = 60
SMS = "twilio://AC1234567890abcdef1234567890abcd:Token0123456789abcdef0123456789ab@15551234567/1555"


class BroadcastSettings(Settings):
    """The settings with the field this channel reads (until config.py has it)."""

    broadcast_repeat_minutes: dict[str, float] = Field(default_factory=dict)


@pytest.fixture
async def tocsin(database_url: str, clock: ManualClock) -> AsyncIterator[Tocsin]:
    """The services, with private targets allowed: the receivers listen on loopback."""
    settings = Settings(database_url=database_url, channels=(), webhook_allow_private=True)
    app = await build(settings, clock=clock)
    try:
        yield app
    finally:
        await app.close()
        await sqlite_threads_finished()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


async def raise_alert(tocsin: Tocsin, threat: str = "missile", **kw: Any) -> str:
    cmd = RaiseAlert(threat=threat, regions=["UA-63"], **kw)
    alert, _ = await tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN)
    return alert.id


async def repeats(tocsin: Tocsin) -> list[Event]:
    return [e for e in await tocsin.store.events_after(0) if e.type == "broadcast.repeat"]


async def tick_at(
    repeater: BroadcastRepeater, clock: ManualClock, start: datetime, minutes: float
) -> list[tuple[int, str]]:
    """Move the clock to `minutes` after `start`, tick, and say which repeats were appended."""
    clock.advance((start + timedelta(minutes=minutes) - clock.now()).total_seconds())
    return [(e.data["repeat"], e.data["due"]) for e in await repeater.tick()]


def at(start: datetime, minutes: float) -> str:
    return iso_time(start + timedelta(minutes=minutes))


# --- settings and checks -----------------------------------------------------------------


def test_repeat_minutes_lie_over_the_defaults() -> None:
    assert repeat_minutes(None) == {"missile": 5.0, "aviation": 5.0, "*": 10.0}
    merged = repeat_minutes({"uav": 15, "*": 20, "missile": 0}, builtin())
    assert merged == {"missile": 0.0, "aviation": 5.0, "uav": 15.0, "*": 20.0}


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"uav": 0.5}, "broadcast_repeat_minutes.uav"),
        ({"uav": -1}, "broadcast_repeat_minutes.uav"),
        ({"uav": 24 * 60 + 1}, "broadcast_repeat_minutes.uav"),
        ({"uav": "5"}, "broadcast_repeat_minutes.uav"),
        ({"uav": True}, "broadcast_repeat_minutes.uav"),
        ({"comet": 5}, "broadcast_repeat_minutes.comet"),
    ],
)
def test_bad_repeat_minutes_are_refused(value: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        repeat_minutes(value, builtin())
    assert caught.value.field == field


def test_validate_takes_apprise_urls_and_options() -> None:
    broadcast.validate("json://127.0.0.1/playout", {"text": "short"})
    with pytest.raises(InvalidInput) as caught:
        broadcast.validate("https://example.com/playout", {})
    assert caught.value.field == "url"
    with pytest.raises(InvalidInput) as caught:
        broadcast.validate("json://127.0.0.1/playout", {"text": "tiny"})
    assert caught.value.field == "options.text"


async def test_broadcast_targets_take_the_long_text_and_repeats(tocsin: Tocsin) -> None:
    target = broadcast.make_target(record(SMS, kind="broadcast"), tocsin)  # SMS, yet long
    assert (target.channel, target.consumer) == ("broadcast", "broadcast:sub1")
    assert target.size is Size.LONG
    assert "broadcast.repeat" in target.events
    short = broadcast.make_target(
        record("json://127.0.0.1/x", kind="broadcast", options={"text": "short"}), tocsin
    )
    assert short.size is Size.SHORT


# --- the schedule ------------------------------------------------------------------------


async def test_repeats_follow_the_schedule(tocsin: Tocsin, clock: ManualClock) -> None:
    repeater = BroadcastRepeater(tocsin)
    start = clock.now()
    alert_id = await raise_alert(tocsin, "missile")
    assert await tick_at(repeater, clock, start, 0) == []
    assert await tick_at(repeater, clock, start, 4.99) == []
    assert await tick_at(repeater, clock, start, 5) == [(1, at(start, 5))]
    assert await repeater.tick() == []  # the same moment again: nothing more
    assert await tick_at(repeater, clock, start, 9.99) == []
    assert await tick_at(repeater, clock, start, 10) == [(2, at(start, 10))]
    assert await tick_at(repeater, clock, start, 17) == [(3, at(start, 15))]
    assert await tick_at(repeater, clock, start, 20) == [(4, at(start, 20))]
    [first, *_] = await repeats(tocsin)
    alert = await tocsin.alerts.get(alert_id)
    assert (first.actor, first.alert_id) == ("system", alert_id)
    assert first.time == start + timedelta(minutes=5)
    assert first.data == {
        "alert": alert.to_json(), "changes": {}, "repeat": 1, "due": at(start, 5), "minutes": 5.0,
    }  # fmt: skip
    assert first.to_json()["repeat"] == 1
    [status] = repeater.status()
    assert status["alert"] == alert_id and status["repeats"] == 4
    assert status["next_due"] == at(start, 25)


async def test_each_repeat_is_a_command_with_its_audit_row(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    repeater = BroadcastRepeater(tocsin)
    start = clock.now()
    alert_id = await raise_alert(tocsin, "missile")
    before = len(await tocsin.store.audit_entries())
    assert await tick_at(repeater, clock, start, 5) == [(1, at(start, 5))]
    assert await tick_at(repeater, clock, start, 6) == []  # not due: nothing audited
    [entry] = (await tocsin.store.audit_entries())[before:]
    [repeat] = await repeats(tocsin)
    assert (entry.action, entry.target, entry.actor) == ("broadcast.repeat", alert_id, "system")
    assert entry.detail["events"] == [repeat.seq] and entry.detail["repeat"] == 1
    assert repeat.actor == "system"


async def test_intervals_come_from_the_settings_per_threat(
    database_url: str, clock: ManualClock
) -> None:
    settings = BroadcastSettings(
        database_url=database_url, broadcast_repeat_minutes={"uav": 15, "air": 0}
    )
    tocsin = await build(settings, clock=clock)
    try:
        repeater = BroadcastRepeater(tocsin)
        start = clock.now()
        uav = await raise_alert(tocsin, "uav")
        missile = await raise_alert(tocsin, "missile")
        await raise_alert(tocsin, "air")  # off
        artillery = await raise_alert(tocsin, "artillery")  # "*": 10
        seen = []
        for minute in range(1, 31):
            clock.advance(MINUTE)
            seen += [(minute, e.alert_id) for e in await repeater.tick()]
    finally:
        await tocsin.close()
    assert start + timedelta(minutes=30) == clock.now()
    assert [m for m, a in seen if a == uav] == [15, 30]
    assert [m for m, a in seen if a == missile] == [5, 10, 15, 20, 25, 30]
    assert [m for m, a in seen if a == artillery] == [10, 20, 30]
    assert len(seen) == 11


async def test_pre_alerts_wait_for_activation(tocsin: Tocsin, clock: ManualClock) -> None:
    repeater = BroadcastRepeater(tocsin)
    start = clock.now()
    alert_id = await raise_alert(tocsin, "missile", pre_alert=True)
    assert await tick_at(repeater, clock, start, 12) == []
    await tocsin.alerts.activate(alert_id, LOCAL_ADMIN)
    assert await tick_at(repeater, clock, start, 16) == []
    assert await tick_at(repeater, clock, start, 17) == [(1, at(start, 17))]


@pytest.mark.parametrize("close", ["end", "cancel", "expire"])
async def test_closed_alerts_stop_repeating(tocsin: Tocsin, clock: ManualClock, close: str) -> None:
    repeater = BroadcastRepeater(tocsin)
    start = clock.now()
    alert_id = await raise_alert(tocsin, "missile", expires_at=start + timedelta(minutes=6))
    assert await tick_at(repeater, clock, start, 5) == [(1, at(start, 5))]
    clock.advance(2 * MINUTE)
    if close == "expire":
        await tocsin.alerts.expire_due(LOCAL_ADMIN)
    else:
        await getattr(tocsin.alerts, close)(alert_id, LOCAL_ADMIN)
    assert await tick_at(repeater, clock, start, 10) == []
    assert await tick_at(repeater, clock, start, 60) == []
    assert repeater.status() == []
    assert len(await repeats(tocsin)) == 1


async def test_a_change_of_threat_changes_the_interval_from_the_next_repeat(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    repeater = BroadcastRepeater(tocsin)
    start = clock.now()
    alert_id = await raise_alert(tocsin, "uav")
    assert await tick_at(repeater, clock, start, 10) == [(1, at(start, 10))]
    clock.advance(2 * MINUTE)
    await tocsin.alerts.update_alert(alert_id, UpdateAlert(threat="missile"), LOCAL_ADMIN)
    assert await tick_at(repeater, clock, start, 14) == []
    assert await tick_at(repeater, clock, start, 15) == [(2, at(start, 15))]
    await tocsin.alerts.update_alert(alert_id, UpdateAlert(threat="uav"), LOCAL_ADMIN)
    assert await tick_at(repeater, clock, start, 20) == []
    assert await tick_at(repeater, clock, start, 25) == [(3, at(start, 25))]
    [*_, last] = await repeats(tocsin)
    assert last.data["alert"]["threat"] == "uav" and last.data["minutes"] == 10.0


async def test_a_restart_resumes_from_the_log_with_one_catch_up(
    tocsin: Tocsin, clock: ManualClock, database_url: str
) -> None:
    start = clock.now()
    await raise_alert(tocsin, "missile")
    assert await tick_at(BroadcastRepeater(tocsin), clock, start, 5) == [(1, at(start, 5))]
    clock.advance(32 * MINUTE)  # down from minute 5 to 37
    other = await build(Settings(database_url=database_url), clock=clock)
    try:
        revived = BroadcastRepeater(other)
        assert await tick_at(revived, clock, start, 37) == [(2, at(start, 35))]
        assert await tick_at(revived, clock, start, 39) == []
        assert await tick_at(revived, clock, start, 40) == [(3, at(start, 40))]
    finally:
        await other.close()
    assert [e.data["repeat"] for e in await repeats(tocsin)] == [1, 2, 3]


async def test_two_repeaters_never_repeat_twice(
    tocsin: Tocsin, clock: ManualClock, database_url: str
) -> None:
    start = clock.now()
    await raise_alert(tocsin, "missile")
    other = await build(Settings(database_url=database_url), clock=clock)
    try:
        mine, theirs = BroadcastRepeater(tocsin), BroadcastRepeater(other)
        assert await mine.tick() == [] and await theirs.tick() == []  # both know the schedule
        for minute in (5, 10, 15):
            clock.advance((start + timedelta(minutes=minute) - clock.now()).total_seconds())
            await asyncio.gather(mine.tick(), theirs.tick())
    finally:
        await other.close()
    assert [e.data["repeat"] for e in await repeats(tocsin)] == [1, 2, 3]


# --- delivery ----------------------------------------------------------------------------


async def test_only_broadcast_targets_take_repeats_and_not_stale_ones(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    start = clock.now()
    await raise_alert(tocsin, "missile")
    repeater = BroadcastRepeater(tocsin)
    await tick_at(repeater, clock, start, 5)
    [raised, repeat] = await tocsin.store.events_after(await tocsin.store.last_seq() - 2)
    on_air = broadcast.make_target(record("json://127.0.0.1/x", kind="broadcast"), tocsin)
    apprise = apprise_kind.make_target(record("json://127.0.0.1/y"), tocsin)
    assert on_air.wants(raised) and on_air.wants(repeat)
    assert apprise.wants(raised) and not apprise.wants(repeat)
    clock.advance(4 * MINUTE + 59)
    assert on_air.wants(repeat)
    clock.advance(1)  # five minutes old: the next repeat is due
    assert not on_air.wants(repeat) and on_air.wants(raised)


async def test_filters_apply_to_repeats(tocsin: Tocsin, clock: ManualClock) -> None:
    start = clock.now()
    await raise_alert(tocsin, "missile", status=Status.EXERCISE)
    await tick_at(BroadcastRepeater(tocsin), clock, start, 5)
    [repeat] = await repeats(tocsin)
    actual_only = broadcast.make_target(record("json://127.0.0.1/x", kind="broadcast"), tocsin)
    drills = broadcast.make_target(
        record("json://127.0.0.1/x", kind="broadcast", filters={"statuses": ["exercise"]}), tocsin
    )
    sumy = broadcast.make_target(
        record(
            "json://127.0.0.1/x",
            kind="broadcast",
            filters={"regions": ["UA-59"], "statuses": ["exercise"]},
        ),
        tocsin,
    )
    assert [t.wants(repeat) for t in (actual_only, drills, sumy)] == [False, True, False]


@pytest.fixture
async def on_air(
    tocsin: Tocsin, receiver: Receiver
) -> AsyncIterator[tuple[Supervisor, BroadcastRepeater]]:
    """The server's pieces running: the log, a supervisor, and the repeater channel."""
    await tocsin.start()
    supervisor = Supervisor(tocsin.feed, tocsin.deliveries, tocsin.clock, FAST)
    repeater = BroadcastRepeater(tocsin, interval=0.02)
    await repeater.start()
    yield supervisor, repeater
    await repeater.stop()
    await supervisor.stop()


async def test_the_running_channel_repeats_then_sends_the_all_clear_once(
    tocsin: Tocsin,
    clock: ManualClock,
    receiver: Receiver,
    on_air: tuple[Supervisor, BroadcastRepeater],
) -> None:
    supervisor, repeater = on_air
    start_seq = await tocsin.store.last_seq()
    tv = broadcast.make_target(record(receiver.url("/tv"), kind="broadcast"), tocsin)
    chat = apprise_kind.make_target(record(receiver.url("/chat"), id="sub2"), tocsin)
    supervisor.add(tv, start=start_seq)
    supervisor.add(chat, start=start_seq)
    alert_id = await raise_alert(tocsin, "missile")
    await until(lambda: len(receiver.at("/tv")) == 1)
    for count in (2, 3):
        clock.advance(5 * MINUTE)
        await until(lambda: len(receiver.at("/tv")) == count)  # noqa: B023
    await tocsin.alerts.end(alert_id, LOCAL_ADMIN)
    await until(lambda: len(receiver.at("/tv")) == 4 and len(receiver.at("/chat")) == 2)
    clock.advance(30 * MINUTE)
    await asyncio.sleep(0.2)  # ten ticks of the repeater: nothing more
    tv_got = receiver.at("/tv")
    assert [m.title for m in tv_got] == [
        "Ракетна небезпека!",
        "Ракетна небезпека! (тривога триває)",
        "Ракетна небезпека! (тривога триває)",
        "Відбій тривоги",
    ]
    assert tv_got[1].body == tv_got[0].body and len(tv_got[0].body) <= LONG_LIMIT
    assert [m.title for m in receiver.at("/chat")] == ["Ракетна небезпека!", "Відбій тривоги"]
    assert [e.data["repeat"] for e in await repeats(tocsin)] == [1, 2]
    assert repeater.status() == [] and repeater.last_error is None


async def test_a_cancelled_alert_gets_the_false_alarm_notice(
    tocsin: Tocsin,
    clock: ManualClock,
    receiver: Receiver,
    on_air: tuple[Supervisor, BroadcastRepeater],
) -> None:
    supervisor, _ = on_air
    tv = broadcast.make_target(record(receiver.url("/tv"), kind="broadcast", lang="en"), tocsin)
    sms = broadcast.make_target(
        record(
            receiver.url("/sms"), kind="broadcast", lang="en", options={"text": "short"}, id="s2"
        ),
        tocsin,
    )
    start = await tocsin.store.last_seq()
    supervisor.add(tv, start=start)
    supervisor.add(sms, start=start)
    alert_id = await raise_alert(tocsin, "air")
    clock.advance(10 * MINUTE)
    await until(lambda: len(receiver.at("/tv")) == 2)
    await tocsin.alerts.cancel(alert_id, LOCAL_ADMIN, "Sensor fault.")
    await until(lambda: len(receiver.at("/tv")) == 3 and len(receiver.at("/sms")) == 3)
    assert receiver.at("/sms")[2].body.endswith("Sensor fault.")
    titles = [m.title for m in receiver.at("/tv")]
    assert titles == [
        "Air Raid Alert!",
        "Air Raid Alert! (still in force)",
        "False alarm, alert cancelled",
    ]
    assert "cancelled as a false alarm" in receiver.at("/tv")[2].body
    assert "Sensor fault." in receiver.at("/tv")[2].body  # the operator's message


async def test_a_target_back_from_downtime_skips_stale_repeats(
    tocsin: Tocsin, clock: ManualClock, receiver: Receiver
) -> None:
    start = clock.now()
    start_seq = await tocsin.store.last_seq()
    await raise_alert(tocsin, "missile")
    repeater = BroadcastRepeater(tocsin)
    for minute in (5, 10, 15):
        await tick_at(repeater, clock, start, minute)
    clock.advance(2 * MINUTE)  # minute 17: only the repeat of minute 15 is current
    await tocsin.start()
    supervisor = Supervisor(tocsin.feed, tocsin.deliveries, tocsin.clock, FAST)
    try:
        tv = broadcast.make_target(record(receiver.url("/tv"), kind="broadcast"), tocsin)
        supervisor.add(tv, start=start_seq)
        seq = await tocsin.store.last_seq()
        await until(lambda: supervisor.workers[tv.consumer].cursor == seq)
    finally:
        await supervisor.stop()
    assert [m.title for m in receiver.at("/tv")] == [
        "Ракетна небезпека!",
        "Ракетна небезпека! (тривога триває)",
    ]
    attempts = await tocsin.deliveries.attempts(consumer=tv.consumer)
    assert len(attempts) == 2  # the stale repeats were passed by, not sent


async def test_repeats_are_not_cap_messages(tocsin: Tocsin, clock: ManualClock) -> None:
    from tocsin.cap.render import CapConfig
    from tocsin.service.cap_publish import CapPublisher
    from tocsin.storage.cap_store import CapStore

    start = clock.now()
    alert_id = await raise_alert(tocsin, "missile")
    await tick_at(BroadcastRepeater(tocsin), clock, start, 5)
    publisher = CapPublisher(
        CapStore(tocsin.store), tocsin.regions, tocsin.catalogue, tocsin.clock, CapConfig()
    )
    latest = await publisher.latest(alert_id)
    assert latest.identifier == f"tocsin.{alert_id}.1"
    assert b"<msgType>Alert</msgType>" in latest.data and latest.updated == start

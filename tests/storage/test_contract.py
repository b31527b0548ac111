"""The storage contract: the same lifecycle and log guarantees on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.domain.alerts import Phase, RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.errors import Conflict, IllegalTransition, UnknownRegion
from tocsin.service.ports import ManualClock
from tocsin.storage import migrate
from tocsin.storage.store import HistoryQuery


def missile(*regions: str, status: Status = Status.ACTUAL) -> RaiseAlert:
    return RaiseAlert(threat="missile", regions=regions or ("UA-63",), status=status)


async def test_schema_is_at_head(tocsin: Tocsin) -> None:
    assert await migrate.current_revision(tocsin.store.engine) == migrate.head_revision()


async def test_packs_loaded_on_first_start(tocsin: Tocsin) -> None:
    tree = tocsin.regions.tree
    assert tree.require("UA-63").names["en"] == "Kharkiv Oblast"
    assert tree.require("RU-BEL").parent == "RU"
    assert len([r for r in tree if r.level == "oblast" and r.parent == "UA"]) == 27


async def test_raise_appends_one_event_with_the_full_alert(tocsin: Tocsin) -> None:
    before = await tocsin.store.last_seq()
    alert, created = await tocsin.alerts.raise_alert(missile("UA-63"), LOCAL_ADMIN)
    events = await tocsin.store.events_after(before)
    assert created
    assert [e.type for e in events] == ["alert.raised"]
    assert events[0].seq == before + 1
    assert events[0].data["alert"] == alert.to_json()
    assert events[0].actor == "cli"
    assert await tocsin.store.get_alert(alert.id) == alert


async def test_lifecycle_round_trip(tocsin: Tocsin, clock: ManualClock) -> None:
    alert, _ = await tocsin.alerts.raise_alert(
        RaiseAlert(threat="uav", regions=["UA-63"], pre_alert=True), LOCAL_ADMIN
    )
    assert alert.phase is Phase.PRE_ALERT
    clock.advance(30)
    active = await tocsin.alerts.activate(alert.id, LOCAL_ADMIN)
    escalated = await tocsin.alerts.update_alert(
        alert.id, UpdateAlert(threat="missile", add_regions=["UA-59"]), LOCAL_ADMIN
    )
    clock.advance(600)
    ended = await tocsin.alerts.end(alert.id, LOCAL_ADMIN)
    assert active.activated_at == alert.raised_at + timedelta(seconds=30)
    assert escalated.regions == ("UA-63", "UA-59") and escalated.threat == "missile"
    assert ended.phase is Phase.ENDED and ended.version == 4
    events = await tocsin.store.events_after(0)
    types = [e.type for e in events if e.alert_id == alert.id]
    assert types == ["alert.raised", "alert.activated", "alert.escalated", "alert.ended"]
    assert await tocsin.store.open_alerts() == []


async def test_rejected_command_writes_nothing(tocsin: Tocsin) -> None:
    alert, _ = await tocsin.alerts.raise_alert(missile(), LOCAL_ADMIN)
    await tocsin.alerts.end(alert.id, LOCAL_ADMIN)
    last = await tocsin.store.last_seq()
    with pytest.raises(IllegalTransition):
        await tocsin.alerts.update_alert(alert.id, UpdateAlert(threat="uav"), LOCAL_ADMIN)
    with pytest.raises(UnknownRegion):
        await tocsin.alerts.raise_alert(missile("UA-99"), LOCAL_ADMIN)
    assert await tocsin.store.last_seq() == last
    assert (await tocsin.store.get_alert(alert.id)).phase is Phase.ENDED  # type: ignore[union-attr]
    assert len(await tocsin.store.history(HistoryQuery())) == 1


async def test_noop_update_appends_nothing(tocsin: Tocsin) -> None:
    alert, _ = await tocsin.alerts.raise_alert(missile(), LOCAL_ADMIN)
    last = await tocsin.store.last_seq()
    same = await tocsin.alerts.update_alert(alert.id, UpdateAlert(threat="missile"), LOCAL_ADMIN)
    assert same == alert
    assert await tocsin.store.last_seq() == last


async def test_idempotency_key_raises_once(tocsin: Tocsin) -> None:
    first, created = await tocsin.alerts.raise_alert(missile(), LOCAL_ADMIN, idempotency_key="k1")
    again, created_again = await tocsin.alerts.raise_alert(
        missile(), LOCAL_ADMIN, idempotency_key="k1"
    )
    assert created and not created_again and again == first
    with pytest.raises(Conflict) as info:
        await tocsin.alerts.raise_alert(missile("UA-59"), LOCAL_ADMIN, idempotency_key="k1")
    assert info.value.code == "idempotency_key_reused"
    assert len(await tocsin.store.open_alerts()) == 1


async def test_expiry(tocsin: Tocsin, clock: ManualClock) -> None:
    cmd = RaiseAlert(threat="uav", regions=["UA-63"], expires_at=clock.now() + timedelta(minutes=5))
    alert, _ = await tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN)
    assert await tocsin.alerts.expire_due(LOCAL_ADMIN) == []
    clock.advance(301)
    [expired] = await tocsin.alerts.expire_due(LOCAL_ADMIN)
    assert expired.id == alert.id and expired.phase is Phase.EXPIRED
    assert expired.ended_at == cmd.expires_at
    assert await tocsin.alerts.expire_due(LOCAL_ADMIN) == []


async def test_history_window_filters_and_pages(tocsin: Tocsin, clock: ManualClock) -> None:
    ids = []
    for index in range(5):
        alert, _ = await tocsin.alerts.raise_alert(
            missile(
                "UA-63" if index % 2 else "RU-BEL",
                status=Status.EXERCISE if index == 4 else Status.ACTUAL,
            ),
            LOCAL_ADMIN,
        )
        ids.append(alert.id)
        clock.advance(60)
        await tocsin.alerts.end(alert.id, LOCAL_ADMIN)
        clock.advance(3600)
    newest_first = list(reversed(ids))
    everything = await tocsin.store.history(HistoryQuery())
    assert [a.id for a in everything] == newest_first
    page = await tocsin.store.history(HistoryQuery(limit=2))
    rest = await tocsin.store.history(HistoryQuery(before=(page[-1].raised_at, page[-1].id)))
    assert [a.id for a in page + rest] == newest_first
    kharkiv = await tocsin.store.history(HistoryQuery(regions=frozenset({"UA-63"})))
    assert [a.id for a in kharkiv] == [ids[3], ids[1]]
    actual = await tocsin.store.history(HistoryQuery(status=Status.ACTUAL))
    assert ids[4] not in [a.id for a in actual]
    second = everything[-2]
    window = await tocsin.store.history(
        HistoryQuery(
            since=second.raised_at + timedelta(seconds=30),
            until=second.raised_at + timedelta(seconds=31),
        )
    )
    assert [a.id for a in window] == [second.id]


async def test_state_survives_restart(
    tocsin: Tocsin, database_url: str, clock: ManualClock
) -> None:
    alert, _ = await tocsin.alerts.raise_alert(missile("UA-63", "UA-59"), LOCAL_ADMIN)
    new = await tocsin.tokens.create("operator", ["RU-BEL"], "belgorod desk")
    last = await tocsin.store.last_seq()
    await tocsin.close()
    again = await build(Settings(database_url=database_url), clock=clock)
    try:
        assert await again.store.open_alerts() == [alert]
        assert await again.store.last_seq() == last
        actor = await again.tokens.authenticate(new.secret)
        assert actor.regions == frozenset({"RU-BEL"})
        assert len(again.regions.tree) == len(tocsin.regions.tree)
    finally:
        await again.close()


async def test_concurrent_writers_keep_the_log_gap_free(
    tocsin: Tocsin, database_url: str, clock: ManualClock
) -> None:
    """Two independent service instances (as two processes would) write at once."""
    other = await build(Settings(database_url=database_url), clock=clock)
    try:
        start = await tocsin.store.last_seq()
        alert, _ = await tocsin.alerts.raise_alert(missile("UA-63"), LOCAL_ADMIN)

        async def churn(node: Tocsin, threat: str, n: int) -> None:
            for _ in range(n):
                await node.alerts.update_alert(alert.id, UpdateAlert(threat=threat), LOCAL_ADMIN)
                await node.alerts.update_alert(alert.id, UpdateAlert(threat="air"), LOCAL_ADMIN)

        async def raiser(node: Tocsin, n: int) -> None:
            for _ in range(n):
                await node.alerts.raise_alert(missile("RU-BEL"), LOCAL_ADMIN)

        await asyncio.gather(
            churn(tocsin, "missile", 10),
            churn(other, "uav", 10),
            raiser(tocsin, 10),
            raiser(other, 10),
        )
        events = await tocsin.store.events_after(start, limit=10_000)
        assert [e.seq for e in events] == list(range(start + 1, start + 1 + len(events)))
        versions = [e.data["alert"]["version"] for e in events if e.alert_id == alert.id]
        assert versions == list(range(1, len(versions) + 1))
        final = await tocsin.store.get_alert(alert.id)
        assert final is not None and final.version == versions[-1]
        assert final.to_json() == events[-1 - _last_index(events, alert.id)].data["alert"]
        assert len(await tocsin.store.open_alerts()) == 21
    finally:
        await other.close()


def _last_index(events: list, alert_id: str) -> int:  # type: ignore[type-arg]
    for offset, event in enumerate(reversed(events)):
        if event.alert_id == alert_id:
            return offset
    raise AssertionError("no event for the alert")

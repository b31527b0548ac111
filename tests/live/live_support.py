"""A writer's day of alerts, and the comparison of a live state with the database it follows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import Alert, RaiseAlert, Status, UpdateAlert
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role
from tocsin.live.follow import Follower
from tocsin.live.state import LiveState
from tocsin.service.ports import HistoryQuery, ManualClock
from tocsin.streams.log import LocalFeed

SYSTEM = Actor(name="system", role=Role.ADMIN, origin="system")
APPROVER = Actor(name="second", role=Role.ADMIN, origin="api")


async def raise_(tocsin: Tocsin, threat: str, *regions: str, **options: Any) -> Alert:
    alert, _ = await tocsin.alerts.raise_alert(
        RaiseAlert(threat=threat, regions=list(regions), **options), LOCAL_ADMIN
    )
    return alert


async def morning(tocsin: Tocsin, clock: ManualClock) -> dict[str, Alert]:
    """Alerts raised, escalated, ended, cancelled, expired; exercises; one long closed."""
    made = {"old": await raise_(tocsin, "air", "UA-46")}
    clock.advance(60)
    await tocsin.alerts.end(made["old"].id, LOCAL_ADMIN)
    clock.advance(2 * 3600)  # the old all-clear is now past the CAP feed's retention
    made["missile"] = await raise_(tocsin, "air", "UA-63", "UA-59", headline="Drones")
    made["drill"] = await raise_(tocsin, "missile", "UA-32", status=Status.EXERCISE)
    made["early"] = await raise_(tocsin, "air", "UA-18", pre_alert=True)
    made["short"] = await raise_(
        tocsin, "artillery", "UA-14", expires_at=clock.now() + timedelta(seconds=30)
    )
    clock.advance(10)
    await tocsin.alerts.update_alert(
        made["missile"].id, UpdateAlert(threat="missile", add_regions=["UA-61"]), LOCAL_ADMIN
    )
    return made


async def afternoon(tocsin: Tocsin, clock: ManualClock, made: dict[str, Alert]) -> None:
    """More changes after a snapshot: activation, expiry, cancel, a held alert approved."""
    await tocsin.alerts.activate(made["early"].id, LOCAL_ADMIN)
    clock.advance(40)
    assert [a.id for a in await tocsin.alerts.expire_due(SYSTEM)] == [made["short"].id]
    made["mistake"] = await raise_(tocsin, "missile", "UA-71")
    clock.advance(5)
    await tocsin.alerts.cancel(made["mistake"].id, LOCAL_ADMIN, "False alarm")
    await tocsin.alerts.update_alert(
        made["missile"].id, UpdateAlert(remove_regions=["UA-59"]), LOCAL_ADMIN
    )
    tocsin.alerts.policy = ApprovalPolicy(always=True)
    held = await raise_(tocsin, "air", "UA-05")
    refused = await raise_(tocsin, "air", "UA-07")
    tocsin.alerts.policy = ApprovalPolicy()
    made["approved"] = await tocsin.alerts.approve(held.id, APPROVER)
    await tocsin.alerts.reject(refused.id, APPROVER, "not needed")
    await tocsin.alerts.end(made["drill"].id, LOCAL_ADMIN)


async def folded(tocsin: Tocsin, clock: ManualClock) -> LiveState:
    """A state folded from the first event, with the writer's region tree."""
    state = LiveState(
        clock=clock,
        retention=tocsin.cap.config.retention,
        regions=await tocsin.store.regions(),
        regions_at=await tocsin.store.last_seq(),
    )
    await Follower(state, LocalFeed(tocsin.store)).catch_up()
    return state


async def assert_answers_as_the_store(state: LiveState, tocsin: Tocsin) -> None:
    """Every read the public services make, answered alike by the state and the database."""
    store, cap = tocsin.store, tocsin.cap.reads
    assert state.head == await store.last_seq()
    for status in (None, *Status):
        assert await state.open_alerts(status) == await store.open_alerts(status)
    since = state.horizon
    listed = await cap.feed_alerts(set(Status), since)
    events = await cap.events_of(a.id for a in listed)
    public = [a for a in listed if events.get(a.id)]  # held or refused ones have no events
    assert await state.feed_alerts(set(Status), since) == public
    assert _json(await state.events_of(a.id for a in public)) == _json(
        {a.id: events[a.id] for a in public}
    )
    for alert in public:
        assert [e.to_json() for e in await state.alert_events(alert.id)] == [
            e.to_json() for e in await cap.alert_events(alert.id)
        ]
        assert await state.get_alert(alert.id) == await store.get_alert(alert.id)
    assert await state.last_alert_change() == await cap.last_alert_change()
    assert _regions(await state.regions()) == _regions(await store.regions())
    for query in (
        HistoryQuery(since=since),
        HistoryQuery(since=since, status=Status.EXERCISE),
        HistoryQuery(since=since, regions=frozenset({"UA-63", "UA-71"}), limit=1),
    ):
        assert await state.history(query) == await store.history(query)


def _json(found: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {key: [e.to_json() for e in events] for key, events in found.items()}


def _regions(regions: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (r.code, r.level, dict(r.names), r.parent, r.geojson_geometry(), r.time_to_shelter, r.pack)
        for r in regions
    ]

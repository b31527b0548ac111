"""Subscriptions end to end: filters, order, retries, pausing and resuming, restarts, other
processes changing the table, and the service's checks (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from standardwebhooks import Webhook

from tocsin.bootstrap import Tocsin, build
from tocsin.channels.subscriptions import KINDS, PAUSED_EVENT, SubscriptionChannel
from tocsin.domain.alerts import Alert, RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.errors import InvalidInput, NotFound
from tocsin.service.ports import ManualClock
from tocsin.service.subscriptions import (
    Created,
    Filters,
    NewSubscription,
)
from tocsin.storage.delivery_store import SubscriptionRecord
from tocsin.storage.uow import SqlUnitOfWorkFactory
from webhook_support import (
    DELIVERED,
    Received,
    Receiver,
    Reply,
    always,
    fail_first,
    settings,
    slow,
    start_tocsin,
    until,
)


@pytest.fixture
async def live(database_url: str, clock: ManualClock) -> AsyncIterator[Tocsin]:
    tocsin = await start_tocsin(database_url, clock)
    try:
        yield tocsin
    finally:
        await tocsin.close()


def channel(tocsin: Tocsin) -> SubscriptionChannel:
    [found] = [c for c in tocsin.channels if isinstance(c, SubscriptionChannel)]
    return found


async def subscribe(tocsin: Tocsin, url: str, kind: str = "webhook", **filters: Any) -> Created:
    new = NewSubscription(kind, url, Filters(**filters))
    return await tocsin.subscriptions.create(new, LOCAL_ADMIN)


async def raise_alert(
    tocsin: Tocsin, threat: str, *regions: str, status: Status = Status.ACTUAL
) -> tuple[Alert, int]:
    cmd = RaiseAlert(threat=threat, regions=list(regions), status=status)
    alert, _ = await tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN)
    return alert, await tocsin.store.last_seq()


async def update(tocsin: Tocsin, alert: Alert, **changes: Any) -> int:
    await tocsin.alerts.update_alert(alert.id, UpdateAlert(**changes), LOCAL_ADMIN)
    return await tocsin.store.last_seq()


async def settled(tocsin: Tocsin, *created: Created) -> None:
    """Wait until every worker of `created` has passed the newest event."""
    head = await tocsin.store.last_seq()
    workers = tocsin.supervisor.workers
    await until(lambda: all(workers[c.record.consumer].cursor >= head for c in created))


# --- filters ------------------------------------------------------------------------------


async def test_each_subscriber_gets_exactly_the_events_it_asked_for(live: Tocsin) -> None:
    async with (
        Receiver() as kharkiv,
        Receiver() as raion,
        Receiver() as missile,
        Receiver() as drills,
        Receiver() as everything,
    ):
        subs = [
            await subscribe(live, kharkiv.url, regions=["UA-63"]),
            await subscribe(live, raion.url, regions=["UA-63-R124"]),  # a raion of UA-63
            await subscribe(live, missile.url, threats=["missile"]),
            await subscribe(live, drills.url, statuses=["exercise"]),
            await subscribe(live, everything.url),
        ]
        first, e1 = await raise_alert(live, "missile", "UA-63")
        second, e2 = await raise_alert(live, "uav", "UA-59")
        drill, e3 = await raise_alert(live, "uav", "UA-63", status=Status.EXERCISE)
        e4 = await update(live, second, threat="missile")  # escalation
        e5 = await update(live, second, threat="uav")  # de-escalation: from missile
        e6 = await update(live, first, add_regions=["UA-59"])
        e7 = await update(live, first, remove_regions=["UA-63"])  # leaves Kharkiv oblast
        await live.alerts.end(first.id, LOCAL_ADMIN)
        e8 = await live.store.last_seq()
        await live.alerts.cancel(second.id, LOCAL_ADMIN)
        e9 = await live.store.last_seq()
        await live.alerts.end(drill.id, LOCAL_ADMIN)
        e10 = await live.store.last_seq()
        await settled(live, *subs)
    assert kharkiv.seqs == [e1, e6, e7]
    assert raion.seqs == [e1, e6, e7]
    assert missile.seqs == [e1, e4, e5, e6, e7, e8]
    assert drills.seqs == [e3, e10]
    assert everything.seqs == [e1, e2, e4, e5, e6, e7, e8, e9]
    for sub, receiver in zip(subs, (kharkiv, raion, missile, drills, everything), strict=True):
        assert sub.secret is not None
        for request in receiver.delivered:
            assert Webhook(sub.secret).verify(request.body, request.headers)["seq"] == request.seq


async def test_a_new_subscription_gets_events_from_its_creation_on(live: Tocsin) -> None:
    async with Receiver() as receiver:
        await raise_alert(live, "uav", "UA-63")
        created = await subscribe(live, receiver.url)
        assert created.record.start_seq == await live.store.last_seq()
        _, later = await raise_alert(live, "uav", "UA-59")
        await settled(live, created)
    assert receiver.seqs == [later]


# --- failures -----------------------------------------------------------------------------


async def test_retries_until_delivered_and_records_every_attempt(live: Tocsin) -> None:
    async with Receiver(fail_first(2, 503)) as receiver:
        created = await subscribe(live, receiver.url)
        _, seq = await raise_alert(live, "missile", "UA-63")
        await settled(live, created)
    assert receiver.seqs == [seq] and len(receiver.requests) == 3
    attempts = await live.subscriptions.attempts(created.record.id)
    assert [(a.attempt, a.outcome, a.error) for a in attempts] == [
        (3, "delivered", None),
        (2, "failed", "HTTP 503"),
        (1, "failed", "HTTP 503"),
    ]
    assert {(a.event_seq, a.channel, a.target) for a in attempts} == {
        (seq, "webhook", receiver.url)
    }
    assert all(a.latency_ms > 0 for a in attempts)
    assert await live.deliveries.cursor(created.record.consumer) == seq


async def test_a_refusing_endpoint_is_paused_reported_and_resumed(live: Tocsin) -> None:
    service = live.subscriptions
    async with Receiver(always(410)) as gone, Receiver() as open_, Receiver() as other:
        bad = await subscribe(live, gone.url, regions=["UA-63"])
        everything = await subscribe(live, open_.url)
        filtered = await subscribe(live, other.url, regions=["UA-59"])
        _, failed = await raise_alert(live, "missile", "UA-63")
        await until(lambda: channel(live).records[bad.record.consumer].state == "paused")
        reason = f"event {failed}: HTTP 410"
        record = await service.get(bad.record.id)
        assert (record.state, record.state_reason) == ("paused", reason)
        [paused] = [e for e in await live.store.events_after(failed) if e.type == PAUSED_EVENT]
        assert paused.alert_id is None
        assert paused.data == {  # public: no target, no reason
            "subscription": {"id": bad.record.id, "kind": "webhook"},
            "stopped_at": failed,
        }
        assert paused.actor == "system"
        audited = [e for e in await live.store.audit_entries() if e.target == bad.record.id]
        assert [(e.action, e.detail["events"]) for e in audited] == [
            ("subscription.created", []),
            ("subscription.paused", [paused.seq]),  # the channel reported it on the bus
        ]
        assert audited[1].detail["reason"] == reason
        [row] = [r for r in channel(live).status() if r["consumer"] == bad.record.consumer]
        assert row["state"] == "paused" and row["last_error"] == reason and row["backlog"] >= 1
        _, while_paused = await raise_alert(live, "uav", "UA-63")
        _, elsewhere = await raise_alert(live, "uav", "UA-59")
        await settled(live, everything, filtered)
        assert len(gone.requests) == 1
        assert open_.seqs == [failed, paused.seq, while_paused, elsewhere]  # it asked for all
        assert other.seqs == [elsewhere]  # a filtered subscriber gets no system events

        gone.plan = lambda _request, _count: Reply()
        resumed = await service.resume(bad.record.id)
        assert (resumed.state, resumed.state_reason) == ("active", None)
        await until(lambda: len(gone.delivered) >= 2)
    assert gone.seqs == [failed, while_paused]  # from the cursor, nothing missing


async def test_an_endpoint_that_keeps_failing_is_paused(live: Tocsin) -> None:
    async with Receiver(always(503)) as receiver:
        created = await subscribe(live, receiver.url)
        _, seq = await raise_alert(live, "uav", "UA-63")
        consumer = created.record.consumer
        await until(lambda: channel(live).records[consumer].state == "paused")
    assert len(receiver.requests) > 2  # retried with backoff before giving up
    record = await live.subscriptions.get(created.record.id)
    assert record.state_reason == f"event {seq}: HTTP 503"


async def test_a_redirect_pauses_the_subscription(live: Tocsin) -> None:
    async with Receiver(always(302, location="http://127.0.0.1:1/elsewhere")) as receiver:
        created = await subscribe(live, receiver.url)
        _, seq = await raise_alert(live, "uav", "UA-63")
        consumer = created.record.consumer
        await until(lambda: channel(live).records[consumer].state == "paused")
    assert len(receiver.requests) == 1
    record = await live.subscriptions.get(created.record.id)
    assert record.state_reason == (
        f"event {seq}: HTTP 302: redirects are refused (to http://127.0.0.1:1)"
    )


async def test_a_slow_endpoint_delays_nobody_else(live: Tocsin) -> None:
    async with Receiver(slow(5)) as tortoise, Receiver() as hare:
        await subscribe(live, tortoise.url)
        fast = await subscribe(live, hare.url)
        seqs = [(await raise_alert(live, "uav", code))[1] for code in ("UA-63", "UA-59", "UA-30")]
        await until(lambda: hare.seqs == seqs, timeout=3)
        await settled(live, fast)
    assert tortoise.delivered == []


# --- restarts and other processes ---------------------------------------------------------


async def test_a_restart_resumes_from_the_cursor(database_url: str) -> None:
    def in_flight_once(request: Received, count: int) -> Reply:
        return Reply(delay=30) if count == 2 else Reply()

    async with Receiver(in_flight_once) as receiver:
        first = await start_tocsin(database_url)
        created = await subscribe(first, receiver.url)
        before = [
            (await raise_alert(first, "uav", code))[1] for code in ("UA-63", "UA-59", "UA-30")
        ]
        await until(lambda: len(receiver.requests) == 3)  # the third is in flight
        await first.close()  # killed mid-delivery
        writer = await build(settings(database_url))  # another process, while no server runs
        during = [(await raise_alert(writer, "missile", code))[1] for code in ("UA-63", "UA-32")]
        await writer.close()
        second = await start_tocsin(database_url)
        try:
            await until(lambda: len(receiver.delivered) >= 5)  # 2 before, 1 again, 2 during
            await settled(second, created)
        finally:
            await second.close()
    got = [r.seq for r in receiver.requests]
    assert got == [*before, before[2], *during]  # only the one in flight came twice
    assert receiver.seqs == [before[0], before[1], before[2], *during]


async def test_changes_made_by_another_process_are_picked_up(
    live: Tocsin, database_url: str
) -> None:
    other = await build(settings(database_url, webhook_allow_private=True))  # e.g. the CLI
    elsewhere = other.subscriptions
    try:
        async with Receiver(always(400)) as receiver:
            created = await elsewhere.create(NewSubscription("webhook", receiver.url), LOCAL_ADMIN)
            consumer = created.record.consumer
            await until(lambda: consumer in live.supervisor.workers)
            _, refused = await raise_alert(other, "uav", "UA-63")
            await until(lambda: channel(live).records[consumer].state == "paused")
            receiver.plan = lambda _request, _count: Reply()
            await elsewhere.resume(created.record.id)
            notice = refused + 1  # it asked for everything: its own pause notice too
            await until(lambda: receiver.seqs == [refused, notice])
            await elsewhere.delete(created.record.id)
            await until(lambda: consumer not in live.supervisor.workers)
            await raise_alert(other, "uav", "UA-59")
            await settled(live)
        assert receiver.seqs == [refused, notice]
        assert receiver.delivered[1].json()["type"] == PAUSED_EVENT
        async with asyncio.timeout(5):  # the cursor goes with the subscription
            while await live.deliveries.cursor(consumer) is not None:
                await asyncio.sleep(0.05)
    finally:
        await other.close()


async def test_a_kind_that_cannot_load_is_disabled_alone(
    live: Tocsin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KINDS, "pigeon", "tocsin.channels.no_such_pigeon_loft")
    with pytest.raises(InvalidInput) as caught:
        await subscribe(live, "pigeon://loft", kind="pigeon")
    assert (caught.value.code, caught.value.field) == ("kind_unavailable", "kind")
    assert "no_such_pigeon_loft" in caught.value.message
    stored = SubscriptionRecord(
        "sub_pigeon000001",
        "pigeon",
        "pigeon://loft",
        None,
        {},
        "en",
        {},
        "active",
        None,
        live.clock.now(),
        "test",
        await live.store.last_seq(),
    )
    async with SqlUnitOfWorkFactory(live.store)() as uow:  # a row another version wrote
        await uow.subscriptions.add(stored)
    async with Receiver() as receiver:
        created = await subscribe(live, receiver.url)
        _, seq = await raise_alert(live, "uav", "UA-63")
        await settled(live, created)
    assert receiver.seqs == [seq]
    rows = {r["consumer"]: r for r in channel(live).status()}
    assert rows[stored.consumer]["state"] == "disabled"
    assert "no_such_pigeon_loft" in rows[stored.consumer]["last_error"]
    assert rows[created.record.consumer]["state"] == "running"


async def test_third_party_kinds_register_by_import_string(
    live: Tocsin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KINDS, "memory", "webhook_support")
    created = await subscribe(live, "memory://a", kind="memory", threats=["missile"])
    assert created.secret is None and created.record.secret is None
    await raise_alert(live, "uav", "UA-63")
    _, seq = await raise_alert(live, "missile", "UA-63")
    await settled(live, created)
    assert DELIVERED[created.record.id] == [seq]
    with pytest.raises(InvalidInput) as caught:
        await subscribe(live, "https://example.org", kind="memory")
    assert caught.value.field == "url"
    new = NewSubscription("memory", "memory://b", secret="whsec_x")
    with pytest.raises(InvalidInput, match="memory subscriptions have no secret"):
        await live.subscriptions.create(new, LOCAL_ADMIN)


# --- the service's checks -----------------------------------------------------------------


REFUSED: list[tuple[dict[str, Any], str, str]] = [
    ({"kind": "sms"}, "invalid_input", "kind"),
    ({"url": "  "}, "invalid_input", "url"),
    ({"url": "ftp://example.org/x"}, "invalid_input", "url"),
    ({"url": "https://example.org/" + "x" * 2000}, "invalid_input", "url"),
    ({"url": "https://example.org/a b"}, "invalid_input", "url"),
    ({"filters": Filters(regions=["UA-63", "UA-99"])}, "unknown_region", "regions[1]"),
    ({"filters": Filters(threats=["meteor"])}, "unknown_threat", "threats[0]"),
    ({"filters": Filters(statuses=["real"])}, "invalid_input", "statuses[0]"),
    ({"filters": Filters(statuses=[])}, "invalid_input", "statuses"),
    ({"lang": "de"}, "invalid_input", "lang"),
    ({"secret": "hunter2"}, "invalid_input", "secret"),
    ({"options": {"format": "xml"}}, "invalid_input", "options.format"),
    ({"url": "http://127.0.0.1:9/hook"}, "address_refused", "url"),
    ({"url": "http://localhost:9/hook"}, "address_refused", "url"),
    ({"url": "http://169.254.169.254/latest"}, "address_refused", "url"),
]


async def test_bad_subscriptions_are_refused_and_change_nothing(tocsin: Tocsin) -> None:
    service = tocsin.subscriptions  # the default settings: no private targets
    for changes, code, field in REFUSED:
        new = NewSubscription(**{"kind": "webhook", "url": "https://93.184.216.34/h", **changes})
        with pytest.raises(InvalidInput) as caught:
            await service.create(new, LOCAL_ADMIN)
        assert (caught.value.code, caught.value.field) == (code, field), changes
    assert await service.records() == []


async def test_filters_are_stored_in_one_form(tocsin: Tocsin, clock: ManualClock) -> None:
    service = tocsin.subscriptions
    filters = Filters([" UA-63 ", "UA-63", "UA-59"], ["uav"], ["all"])
    new = NewSubscription("webhook", " https://93.184.216.34/h ", filters, "uk")
    created = await service.create(new, LOCAL_ADMIN)
    record = created.record
    assert record.filters == {
        "regions": ["UA-63", "UA-59"],
        "threats": ["uav"],
        "statuses": ["actual", "exercise", "test"],
    }
    assert (record.url, record.lang, record.state, record.kind) == (
        "https://93.184.216.34/h",
        "uk",
        "active",
        "webhook",
    )
    assert record.id.startswith("sub_") and len(record.id) == 16
    assert record.created_at == clock.now() and record.created_by == "cli"
    assert record.secret == created.secret and (record.secret or "").startswith("whsec_")
    assert await service.get(record.id) == record
    assert await service.records() == [record]
    statuses = Filters(statuses=["test", "actual", "test"])
    again = await service.create(
        NewSubscription("webhook", "https://93.184.216.34/g", statuses), LOCAL_ADMIN
    )
    assert again.record.filters["statuses"] == ["actual", "test"]


async def test_unknown_subscriptions_are_not_found(tocsin: Tocsin) -> None:
    service = tocsin.subscriptions
    for bad in ("sub_000000000000", "sub\x00", "x" * 300, ""):
        with pytest.raises(NotFound) as caught:
            await service.get(bad)
        assert caught.value.field == "id"
        with pytest.raises(NotFound):
            await service.delete(bad)
        with pytest.raises(NotFound):
            await service.resume(bad)


async def test_resuming_an_active_subscription_changes_nothing(tocsin: Tocsin) -> None:
    service = tocsin.subscriptions
    created = await service.create(
        NewSubscription("webhook", "https://93.184.216.34/h"), LOCAL_ADMIN
    )
    assert await service.resume(created.record.id) == created.record

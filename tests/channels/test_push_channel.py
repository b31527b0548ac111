"""Web Push end to end: a loopback push service holds the browser's keys, checks the VAPID
signature and decrypts every push; an answer of 410 removes the subscription."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import running_app
from push_support import PushService, with_push
from tocsin.domain.alerts import RaiseAlert, Status
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role
from tocsin.errors import InvalidInput
from webhook_support import start_tocsin, until

RESIDENT = Actor(name="resident", role=Role.VIEWER, origin="127.0.0.1")


@pytest.fixture
def service() -> Iterator[tuple[PushService, str]]:
    push = PushService()
    with running_app(push.app) as port:
        yield push, f"http://127.0.0.1:{port}"


async def test_a_hromada_subscriber_gets_oblast_alerts_decrypted_and_gone_is_removed(
    database_url: str, service: tuple[PushService, str], tmp_path: Any
) -> None:
    push, base = service
    tocsin = await with_push(
        await start_tocsin(database_url, push_contact="mailto:duty@tocsin.test")
    )
    try:
        push.vapid_key = tocsin.push.public_key
        tree = tocsin.regions.tree
        hromada = tree.descendants("UA-63")[-1]
        endpoint = f"{base}/push/one"
        record = await tocsin.push.subscribe(endpoint, push.keys, [hromada], "en", RESIDENT)
        alert, _ = await tocsin.alerts.raise_alert(
            RaiseAlert(threat="missile", regions=["UA-63"]), LOCAL_ADMIN
        )
        await until(lambda: len(push.received) == 1)
        first = push.received[0][1]
        assert first["title"] == "Rocket Danger!"
        assert first["event"] == "alert.raised"
        assert first["alert_id"] == str(alert.id)
        await tocsin.alerts.cancel(alert.id, LOCAL_ADMIN, "Sent in error, no threat.")
        await until(lambda: len(push.received) == 2)
        assert "Sent in error, no threat." in push.received[1][1]["body"]
        assert push.received[0][2]["topic"] == push.received[1][2]["topic"]
        push.answer = 410
        await tocsin.alerts.raise_alert(RaiseAlert(threat="uav", regions=[hromada]), LOCAL_ADMIN)
        await until(lambda: len(push.received) == 3)
        assert push.received[2][1]["title"] == "UAV Danger!"
        for _ in range(200):
            if await tocsin.deliveries.subscription(record.id) is None:
                break
            await asyncio.sleep(0.02)
        assert await tocsin.deliveries.subscription(record.id) is None
    finally:
        await tocsin.close()


async def test_an_exercise_is_framed_and_unsubscribing_stops_pushes(
    database_url: str, service: tuple[PushService, str], tmp_path: Any
) -> None:
    push, base = service
    tocsin = await with_push(
        await start_tocsin(database_url, push_contact="mailto:duty@tocsin.test")
    )
    try:
        push.vapid_key = tocsin.push.public_key
        endpoint = f"{base}/push/two"
        await tocsin.push.subscribe(endpoint, push.keys, ["UA-63"], "en", RESIDENT)
        await tocsin.alerts.raise_alert(
            RaiseAlert(threat="missile", regions=["UA-63"], status=Status.EXERCISE), LOCAL_ADMIN
        )
        await until(lambda: len(push.received) == 1)
        assert push.received[0][1]["title"].startswith("EXERCISE")
        await tocsin.push.unsubscribe(endpoint, RESIDENT)
        with pytest.raises(InvalidInput):
            await tocsin.push.subscribe(endpoint, push.keys, ["XX-NOWHERE"], "en", RESIDENT)
    finally:
        await tocsin.close()

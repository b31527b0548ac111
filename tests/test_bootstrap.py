"""The composition root builds every service once; entry points use those, not their own."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tocsin.api import cap as cap_api
from tocsin.api import stats as stats_api
from tocsin.api import subscriptions as subscriptions_api
from tocsin.bootstrap import Tocsin, build
from tocsin.channels.subscriptions import SubscriptionChannel
from tocsin.config import Settings
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.service.subscriptions import NewSubscription

HOOK = "https://93.184.216.34/hook"


def test_the_services_share_the_wired_parts(tocsin: Tocsin) -> None:
    for name in ("alerts", "subscriptions", "sirens", "cap_import", "incidents", "tokens"):
        assert getattr(tocsin, name).bus is tocsin.bus, name  # every write takes the one bus
    for name in ("subscriptions", "incidents", "stats"):
        assert getattr(tocsin, name).store is tocsin.store, name
    for name in ("sirens", "cap", "incidents", "stats"):
        assert getattr(tocsin, name).regions is tocsin.regions, name
    assert tocsin.subscriptions.deliveries is tocsin.deliveries
    assert tocsin.cap.clock is tocsin.stats.clock is tocsin.clock
    assert tocsin.feed in tocsin.bus.listeners


async def test_the_api_hands_out_the_wired_services(tocsin: Tocsin) -> None:
    assert await stats_api.stats_service(tocsin) is tocsin.stats
    assert await subscriptions_api.service(tocsin, LOCAL_ADMIN) is tocsin.subscriptions


@pytest.mark.parametrize(
    ("public_url", "links_to"),
    [("", "http://asked.example"), ("https://alerts.example.ua", "https://alerts.example.ua")],
)
async def test_cap_links_follow_the_request_unless_a_public_url_is_set(
    database_url: str, public_url: str, links_to: str
) -> None:
    tocsin = await build(Settings(database_url=database_url, channels=(), public_url=public_url))
    try:
        request: Any = SimpleNamespace(base_url="http://asked.example/")
        published = cap_api.publisher(request, tocsin)
        assert published.config.public_url == links_to
        assert (published is tocsin.cap) == bool(public_url)
        assert published.reads is tocsin.cap.reads
    finally:
        await tocsin.close()


async def test_a_new_subscription_reaches_the_running_channel(database_url: str) -> None:
    settings = Settings(database_url=database_url, channels=("subscriptions",))
    tocsin = await build(settings)
    try:
        await tocsin.start()
        [channel] = [c for c in tocsin.channels if isinstance(c, SubscriptionChannel)]
        created = await tocsin.subscriptions.create(NewSubscription("webhook", HOOK), LOCAL_ADMIN)
        assert created.record.id in {r.id for r in channel.records.values()}
    finally:
        await tocsin.close()


@pytest.mark.parametrize("warm", [True, False])
async def test_the_server_builds_the_report_lexicons_at_start_only_when_asked(
    database_url: str, warm: bool
) -> None:
    settings = Settings(database_url=database_url, channels=(), reports_warm=warm)
    tocsin = await build(settings)
    try:
        await tocsin.start()
        names = {task.get_name() for task in tocsin.tasks}
        assert ("reports-warm" in names) is warm
    finally:
        await tocsin.close()

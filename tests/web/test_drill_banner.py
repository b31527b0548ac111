"""The public page's drill banner: a drill announced ahead is shown in the page's language, so
that nobody takes it for a real alert."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from test_browser import open_map
from web_support import TIMEOUT, LiveWeb

from tocsin.types import iso_time

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it (skip locally, fail in CI)
    expect = None  # type: ignore[assignment]

pytest_plugins = ("browser_support",)


def test_an_announced_drill_is_a_banner_on_the_public_page(browser: Any, live_web: LiveWeb) -> None:
    start = datetime.now(UTC) + timedelta(minutes=30)
    plan = {
        "title": "Spring drill",
        "threat": "missile",
        "regions": ["UA-63"],
        "scheduled_for": iso_time(start),
        "announce_before": 3600,  # due for its announcement already
        "duration": 600,
    }
    made = live_web.http.post("/v1/drills", json=plan, headers=live_web.token())
    assert made.status_code == 201, made.text
    deadline = time.monotonic() + 10
    while live_web.http.get("/v1/drills/notices").json()["drills"] == []:
        assert time.monotonic() < deadline, "the scheduler did not announce the drill"
        time.sleep(0.1)
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT)
    try:
        page = open_map(context, live_web)
        banner = page.locator("#drill-banner")
        expect(banner).to_be_visible()
        kyiv = start.astimezone(ZoneInfo("Europe/Kyiv"))
        expect(banner).to_contain_text(f"Drill: A drill will take place at {kyiv:%H:%M} Kyiv time")
        expect(banner).to_contain_text("This is not a real alert.")
        page.select_option("#lang", "uk")
        expect(banner).to_contain_text("Навчання: О ")
        expect(banner).to_contain_text("Це не справжня тривога.")
    finally:
        context.close()

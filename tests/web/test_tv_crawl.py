"""The TV crawl at /broadcast/tv: a transparent 1920×1080 browser source, live from the stream."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image
from web_support import LiveWeb, screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it (skip locally, fail in CI)
    expect = None  # type: ignore[assignment]

pytest_plugins = ("browser_support",)


def open_tv(browser: Any, live: LiveWeb, query: str) -> Any:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{live.url}/broadcast/tv?{query}")
    expect(page.locator("body")).to_have_attribute("data-ready", "yes")
    return page


def pixels(page: Any, name: str) -> np.ndarray:
    """The page as RGBA, over a transparent background, also kept as an artefact."""
    shot = page.screenshot(omit_background=True)
    screenshot(page, name, full_page=False)
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGBA"))


def test_the_crawl_is_empty_then_shows_the_alert_live(browser: Any, live_web: LiveWeb) -> None:
    page = open_tv(browser, live_web, "region=UA-63&lang=uk")
    empty = pixels(page, "tv-empty")
    assert empty.shape == (1080, 1920, 4)
    assert empty[:, :, 3].max() == 0  # fully transparent: nothing is in force
    admin = live_web.token()
    alert = live_web.raise_alert(admin, threat="missile", regions=["UA-63"])
    expect(page.locator("body")).to_have_attribute("data-alert", alert["id"])
    expect(page.locator("#tv-signal")).to_have_text("Ракетна небезпека!")
    expect(page.locator("#tv-text")).to_contain_text("Харківська область")
    expect(page.locator("#tv-stamp")).to_be_hidden()
    shown = pixels(page, "tv-missile")
    bar = shown[1080 - 72 - 60, 20]  # inside the signal box, left of the bar
    assert tuple(bar[:3]) == (0xC6, 0x28, 0x28) and bar[3] == 255  # the missile colour
    assert shown[200, 960, 3] == 0  # the rest stays transparent
    live_web.http.post(f"/v1/alerts/{alert['id']}/end", headers=admin)
    expect(page.locator("#tv")).to_be_hidden()


def test_a_drill_is_stamped_exercise(browser: Any, live_web: LiveWeb) -> None:
    admin = live_web.token()
    live_web.raise_alert(admin, threat="uav", regions=["UA-63"], status="exercise")
    page = open_tv(browser, live_web, "region=UA-63&lang=en")
    expect(page.locator("#tv-stamp")).to_be_visible()
    expect(page.locator("#tv-stamp")).to_have_text("EXERCISE")
    expect(page.locator("#tv-signal")).to_contain_text("EXERCISE")
    stamped = pixels(page, "tv-exercise")
    assert stamped[80, 1800, 3] == 255  # the stamp, top right
    elsewhere = open_tv(browser, live_web, "region=UA-46&lang=en")  # Lviv: nothing there
    expect(elsewhere.locator("#tv")).to_be_hidden()

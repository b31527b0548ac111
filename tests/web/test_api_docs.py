"""`/docs` (Swagger UI) and `/redoc` (ReDoc) in headless Chromium with every request to another
host refused: both render the API from the assets shipped with the package."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from web_support import TIMEOUT, LiveWeb

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it (skip locally, fail in CI)
    expect = None  # type: ignore[assignment]

pytest_plugins = ("browser_support",)  # the `browser` and `live_web` fixtures
RENDER = TIMEOUT * 6  # ms: 1–2 MB of script drawing a 100 KB schema, on a loaded machine


@pytest.fixture
def offline(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A browser context that reaches the loopback only, and the URLs it was refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(RENDER)
    refused: list[str] = []

    def loopback_only(route: Any) -> None:
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", loopback_only)
    yield context, refused
    context.close()


def test_swagger_ui_renders_offline(offline: tuple[Any, list[str]], live_web: LiveWeb) -> None:
    context, refused = offline
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_web.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("tocsin", timeout=RENDER)
    expect(page.locator(".opblock-summary-path", has_text="/v1/alerts").first).to_be_visible()
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert refused == [] and errors == []


def test_redoc_renders_offline(offline: tuple[Any, list[str]], live_web: LiveWeb) -> None:
    context, refused = offline
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_web.url + "/redoc")
    expect(page.locator(".api-info h1")).to_contain_text("tocsin", timeout=RENDER)
    expect(page.locator(".menu-content")).to_contain_text("streams")
    expect(page.get_by_text("/v1/alerts/active").first).to_be_attached()
    assert refused == [] and errors == []

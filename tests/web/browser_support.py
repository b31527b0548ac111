"""Fixtures for the tests that drive the browser; test modules name this module in
`pytest_plugins`: `browser` (Debian's Chromium, one per module), `context` (a fresh browser
context) and `live_web` (the service with its pages over a fresh copy of the template
database)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import CHROMIUM_ARGS, TIMEOUT, LiveWeb, chromium, need, serve


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (skips locally, fails in CI, without)."""
    path = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def live_web(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveWeb]:
    """The service with its pages on a real port, over a fresh copy of the template database."""
    target = tmp_path / "tocsin.db"
    shutil.copyfile(sqlite_template, target)
    with serve(f"sqlite:///{target}") as live:
        yield live


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(TIMEOUT)
    yield ctx
    ctx.close()

"""Helpers for the web tests: the app with the pages, a live server, a browser, screenshots.

The fixtures that drive the browser are in `browser_support` (name it in `pytest_plugins`)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI

from tocsin import web
from tocsin.api.app import Factory, create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
PASSWORD = "correct horse battery staple"
TIMEOUT = 5000  # ms, for every wait in the browser
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def need(reason: str) -> None:
    """Skip for want of a tool, or fail when CI requires every service (as tests/conftest.py)."""
    if os.environ.get("TOCSIN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required but unavailable: {reason}")
    pytest.skip(reason)


def web_app(
    settings: Settings, factory: Factory | None = None, routers: Sequence[APIRouter] = ()
) -> FastAPI:
    """The service with the pages (until `create_app` includes them itself), and `routers`
    that `create_app` does not include yet."""
    app = create_app(settings, factory=factory)
    web.install(app)  # does nothing once create_app installs the pages itself
    served = set(app.openapi()["paths"])
    app.openapi_schema = None  # the schema is drawn again with whatever is added below
    for router in routers:
        if not any(getattr(route, "path", None) in served for route in router.routes):
            app.include_router(router)
    return app


def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        need("chromium is not installed (Debian: apt-get install -y chromium)")
    return path


@dataclass
class LiveWeb:
    """A real server in a thread, and a way to reach its services on its own event loop."""

    url: str
    tocsin: Tocsin
    loop: asyncio.AbstractEventLoop
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def token(self, role: str = "admin", *regions: str) -> dict[str, str]:
        new = self.run(self.tocsin.tokens.create(role, regions, name=f"test-{role}"))
        return {"Authorization": f"Bearer {new.secret}"}

    def account(self, username: str, role: str, *regions: str) -> str:
        self.run(self.tocsin.accounts.create(username, PASSWORD, role, regions))
        return username

    def raise_alert(self, headers: dict[str, str], **body: Any) -> dict[str, Any]:
        answer = self.http.post("/v1/alerts", headers=headers, json=body)
        assert answer.status_code in (200, 201), answer.text
        result: dict[str, Any] = answer.json()
        return result

    def state(self, code: str, status: str = "actual") -> str:
        answer = self.http.get(f"/v1/regions/{code}/state", params={"status": status})
        return str(answer.json()["state"])


@contextmanager
def serve(
    database_url: str,
    routers: Sequence[APIRouter] = (),
    prepare: Callable[[Tocsin], None] | None = None,
    **options: Any,
) -> Iterator[LiveWeb]:
    """Run the service with the pages on a free loopback port until the block ends."""
    settings = Settings(database_url=database_url, **options)
    ready: dict[str, Any] = {}

    async def factory() -> Tocsin:
        tocsin = await build(settings)
        if prepare is not None:
            prepare(tocsin)
        ready.update(tocsin=tocsin, loop=asyncio.get_running_loop())
        return tocsin

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        web_app(settings, factory, routers),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        assert thread.is_alive(), "server failed to start"
        time.sleep(0.05)
    live = LiveWeb(f"http://127.0.0.1:{port}", ready["tocsin"], ready["loop"])
    try:
        yield live
    finally:
        live.http.close()
        server.should_exit = True
        thread.join(10)


def sign_in(context: Any, live: LiveWeb, path: str, username: str) -> Any:
    """A new page at the console page `path`, signed in as `username` (password PASSWORD)."""
    from playwright.sync_api import expect  # the browser fixture checks it is installed

    page = context.new_page()
    page.goto(live.url + path)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#main")).to_be_visible()
    return page


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot under test-artifacts/ (kept by CI as an artefact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path

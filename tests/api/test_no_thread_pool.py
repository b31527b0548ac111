"""Every endpoint and dependency is a coroutine function: none is run in the thread pool.

FastAPI runs a plain `def` dependency in a worker thread on every request; for a function that
only reads the app's state that is pure cost, paid by every raise of an alert. The one piece of
work that must leave the event loop, checking a password, has a small pool of its own: a login
waits on neither default pool, and a burst of logins cannot fill them for everyone else.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio.to_thread
import httpx
from fastapi.routing import APIRoute, APIWebSocketRoute

from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.config import Settings


def _calls(dependant: Any) -> Iterator[Any]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _routes(routes: list[Any]) -> Iterator[APIRoute | APIWebSocketRoute]:
    for route in routes:
        if isinstance(route, APIRoute | APIWebSocketRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _routes(route.original_router.routes)


def test_no_endpoint_or_dependency_runs_in_a_worker_thread() -> None:
    app = create_app(Settings(database_url="sqlite://"))
    checked, blocking = 0, []
    for route in _routes(app.routes):
        for call in _calls(route.dependant):
            checked += 1
            if not inspect.iscoroutinefunction(call):
                blocking.append(f"{route.path}: {getattr(call, '__qualname__', call)}")
    assert checked > 100
    assert blocking == []


async def test_a_login_waits_on_neither_default_thread_pool(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    password = "correct horse battery"
    await tocsin.accounts.create("olena", password, "viewer")
    loop = asyncio.get_running_loop()
    limiter = anyio.to_thread.current_default_thread_limiter()
    tokens, limiter.total_tokens = limiter.total_tokens, 1
    loop.set_default_executor(ThreadPoolExecutor(1))
    release = threading.Event()
    held = [
        asyncio.ensure_future(anyio.to_thread.run_sync(release.wait)),
        loop.run_in_executor(None, release.wait),
    ]
    try:
        await asyncio.sleep(0.05)
        assert limiter.borrowed_tokens == 1  # both default pools are taken
        for name, status in (("olena", 200), ("nobody", 401)):
            body = {"username": name, "password": password}
            answer = await asyncio.wait_for(client.post("/v1/session", json=body), 30)
            assert answer.status_code == status
    finally:
        release.set()
        await asyncio.gather(*held)
        limiter.total_tokens = tokens

"""Every endpoint and dependency is a coroutine function: none is run in the thread pool.

FastAPI runs a plain `def` dependency in a worker thread on every request; for a function that
only reads the app's state that is pure cost, paid by every raise of an alert.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute, APIWebSocketRoute

from tocsin.api.app import create_app
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

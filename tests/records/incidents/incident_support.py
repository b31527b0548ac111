"""Fixtures for incidents: the service wired from the test's services, and an API client.

Until `bootstrap.build` wires `tocsin.incidents` and `create_app` includes the incidents router,
these do it here (and stay harmless afterwards). Test modules import the fixtures they use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from conftest import running_app
from tocsin.api import incidents as incidents_api
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.records.handlers.incidents import IncidentService


@pytest.fixture
def incidents(tocsin: Tocsin) -> IncidentService:
    return tocsin.incidents


@pytest.fixture
async def api(tocsin: Tocsin, incidents: IncidentService) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(tocsin.settings)
    if not any(getattr(r, "path", "").startswith("/v1/incidents") for r in app.routes):
        app.include_router(incidents_api.router)
    app.state.tocsin = tocsin
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as http:
        yield http


@pytest.fixture
def incident_server(database_url: str) -> Iterator[str]:
    """A real server over the test's database, with the incidents API wired in."""

    async def factory() -> Tocsin:
        return await build(Settings(database_url=database_url))

    app = create_app(factory=factory)
    if not any(getattr(r, "path", "").startswith("/v1/incidents") for r in app.routes):
        app.include_router(incidents_api.router)
    with running_app(app, timeout_graceful_shutdown=2) as port:
        yield f"http://127.0.0.1:{port}"

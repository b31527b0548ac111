"""The app of an edge node (`tocsin serve --edge`): the public reads and live streams, no writes.

It serves, from the state in memory (`tocsin.edge`): the live map and its assets, the active
alerts and recent history, the regions and their states, the IoT lines, the CAP feed and
messages, the threat catalogue and its siren sounds, the SSE and WebSocket streams, and the
/compat APIs but their history (when they need no token). Every write (any method but GET, HEAD
and OPTIONS) is refused with `edge_read_only` (405) and every other read with
`edge_not_served` (404), both naming where the writers are (`TOCSIN_WRITER_URL`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from tocsin import __version__
from tocsin.api import (
    alerts,
    cap,
    compat,
    fastpath,
    inputs,
    iot,
    media,
    meta,
    problems,
    regions,
    stream,
)
from tocsin.api.app import App, keep_collector_off_startup
from tocsin.api.deps import SAFE_METHODS
from tocsin.config import Settings, load_settings
from tocsin.edge import Edge, build_edge
from tocsin.errors import TocsinError
from tocsin.web import docs_pages, pages

EdgeFactory = Callable[[], Awaitable[Edge]]

SERVED = {
    "/v1/alerts/active",
    "/v1/alerts",
    "/v1/regions",
    "/v1/regions/tree",
    "/v1/regions/geojson",
    "/v1/regions/at",
    "/v1/regions/search",
    "/v1/regions/states",
    "/v1/regions/{code}",
    "/v1/regions/{code}/state",
    "/v1/iot/states",
    "/v1/iot/regions",
    "/cap/alerts/{alert_id}.xml",
    "/cap/messages/{identifier}.xml",
    "/cap/feed.atom",
    "/v1/stream",
    "/v1/stream/ws",
    "/v1/threats",
    "/v1/threats/{threat_id}/siren.{fmt}",
    "/docs",
    "/redoc",
}
"""The routes of the full API an edge serves (GET, or the WebSocket)."""

PAGES = {"/"}
"""The pages an edge serves: the live map (the others read what only writers hold)."""


class EdgeReadOnly(TocsinError):
    status = 405
    code = "edge_read_only"
    title = "This node only reads"


class EdgeNotServed(TocsinError):
    status = 404
    code = "edge_not_served"
    title = "Not served by this node"


def writers(settings: Settings) -> str:
    if settings.writer_url:
        return f"the writer nodes at {settings.writer_url}"
    return "a writer node (set TOCSIN_WRITER_URL on this edge to name it here)"


class ReadOnly:
    """Refuses every write before anything else looks at it."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            where = writers(self.settings)
            exc = EdgeReadOnly(
                f"this is an edge node: it serves the public reads and streams only; send "
                f"{scope['method']} {scope['path']} to {where}",
                field="method",
            )
            response = problems.error_response(exc)
            response.headers["Allow"] = ", ".join(sorted(SAFE_METHODS))
            response.headers["Tocsin-Writer"] = self.settings.writer_url or ""
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_edge_app(
    settings: Settings | None = None, *, factory: EdgeFactory | None = None, tune_gc: bool = False
) -> App:
    """The edge app; `factory` builds the edge at start-up (tests pass their own); `tune_gc`
    as for `create_app`."""
    settings = settings or load_settings()

    async def default_factory() -> Edge:
        return await build_edge(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        edge = await (factory or default_factory)()
        app.state.tocsin = edge
        await edge.start()
        if tune_gc:
            keep_collector_off_startup()
        try:
            yield
        finally:
            await edge.close()

    app = App(
        title="tocsin (edge node)",
        version=__version__,
        summary="Public warning system for air threats: the public reads of an edge node",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    problems.install(app)
    app.add_middleware(compat.CompatReads)
    app.add_middleware(fastpath.FastReads)
    app.add_middleware(inputs.InputGuard)
    app.add_middleware(ReadOnly, settings=settings)  # outermost: a write goes no further
    app.include_router(_health)
    for module in (alerts, regions, iot, cap, stream, meta, media, docs_pages):
        app.router.routes.extend(_served(module.router.routes, SERVED))
    if settings.compat_auth == "open":  # an edge holds no tokens to check
        app.router.routes.extend(_served(compat.ROUTES, set(compat.EDGE_SERVED)))
    app.router.routes.extend(_served(pages.router.routes, PAGES))
    app.mount(pages.STATIC_PREFIX, pages.assets(), name="static")

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def elsewhere(path: str) -> Response:
        raise EdgeNotServed(
            f"this edge node serves the public reads and streams only; /{path} is served by "
            f"{writers(settings)}",
            field="path",
        )

    return app


def _served(routes: list[BaseRoute], paths: set[str]) -> list[BaseRoute]:
    chosen: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, APIWebSocketRoute):
            if route.path in paths:
                chosen.append(route)
        elif isinstance(route, APIRoute) and route.path in paths and "GET" in (route.methods or ()):
            chosen.append(route)
    return chosen


_health = APIRouter(tags=["meta"])


@_health.get("/healthz", summary="Liveness and readiness of this edge node")
async def healthz(request: Request) -> Response:
    edge: Edge = request.app.state.tocsin
    body = edge.health()
    status = 200 if body["status"] == "ok" else 503
    return Response(orjson.dumps(body), status, media_type="application/json")

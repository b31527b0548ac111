"""The ASGI application: routers, error mapping, and the background expiry of alerts."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from tocsin import __version__, web
from tocsin.api import (
    alerts,
    approvals,
    audit,
    cap,
    channels,
    compat,
    drills,
    events,
    fastpath,
    incidents,
    inputs,
    iot,
    media,
    meta,
    problems,
    push,
    radio,
    regions,
    reports,
    session,
    sirens,
    stats,
    stream,
    subscriptions,
    tokens,
)
from tocsin.api.cors import node_cors
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings, load_settings
from tocsin.domain.auth import Actor, Role
from tocsin.web import docs_pages

log = logging.getLogger("tocsin")
GC_THRESHOLD = 50_000
SYSTEM = Actor(name="system", role=Role.ADMIN, origin="system")

Factory = Callable[[], Awaitable[Tocsin]]


class App(FastAPI):
    """The API, handing a live stream the server's own `send` for its frames.

    Every middleware wraps `send` in a coroutine of its own; a stream's frames, written to
    thousands of clients at once, go around them once the response has started through them.
    The public reads held in memory (`tocsin.api.fastpath`) go straight to the middleware,
    and a well-formed request for a stream around the router and the middlewares altogether
    (`stream.direct`).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"] == stream.PATH:
                scope[stream.SERVER_SEND] = send  # its frames need no CORS header
            cors = node_cors(self.state)
            if cors is not None:
                if scope["method"] == "OPTIONS" and await cors.preflight(scope, send):
                    return
                send = cors.wrap(scope, send)
            if scope["path"] == stream.PATH:
                tocsin = getattr(self.state, "tocsin", None)
                response = stream.direct(tocsin, scope) if tocsin is not None else None
                if response is not None:
                    await response(scope, receive, send)
                    return
            elif scope["method"] == "GET" and fastpath.keyed(scope["path"]) is not None:
                # the reads answered from memory go around FastAPI's own step, which looks
                # for telemetry in the environment on every request (tocsin sets up none)
                if self.root_path:
                    scope["root_path"] = self.root_path
                await Starlette.__call__(self, scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None, *, factory: Factory | None = None, tune_gc: bool = False
) -> FastAPI:
    """The app; `factory` builds the services at start-up (tests pass their own).

    `tune_gc` is for a server process of its own (`tocsin serve`), not for an embedding one.
    """

    async def default_factory() -> Tocsin:
        return await build(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tocsin = await (factory or default_factory)()
        app.state.tocsin = tocsin
        await tocsin.start(
            tocsin.task_duty("expiry", lambda: _expire_forever(tocsin)),
            tocsin.task_duty("drills", lambda: tocsin.drills.run(tocsin.settings.expiry_interval)),
        )
        if tune_gc:
            keep_collector_off_startup()
        try:
            yield
        finally:
            await tocsin.close()

    app = App(
        title="tocsin",
        version=__version__,
        summary="Public warning system for air threats",
        lifespan=lifespan,
        docs_url=None,  # served by `docs_pages`, from the package rather than a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    problems.install(app)
    app.add_middleware(compat.CompatReads)
    app.add_middleware(fastpath.FastReads)  # inside the input rules: after them
    app.add_middleware(inputs.InputGuard)
    for module in (
        approvals,
        alerts,
        regions,
        events,
        stream,
        tokens,
        session,
        audit,
        cap,
        incidents,
        reports,
        sirens,
        drills,
        iot,
        compat,
        stats,
        subscriptions,
        push,
        channels,
        media,
        radio,
        meta,
        docs_pages,
    ):
        app.include_router(module.router)
    web.install(app)
    return app


def keep_collector_off_startup() -> None:
    """What start-up built lives as long as the process: keep the collector off it, so that
    fan-out to many streams is not stalled by full collections (a server process of its own
    only, not an embedding one)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 10, 10)


async def _expire_forever(tocsin: Tocsin) -> None:
    while True:
        try:
            for alert in await tocsin.alerts.expire_due(SYSTEM):
                log.info("alert %s expired", alert.id)
        except Exception:
            log.exception("expiry check failed; trying again")
        await asyncio.sleep(tocsin.settings.expiry_interval)

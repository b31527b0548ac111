"""The web: the public live map, history, statistics and incidents pages, and the operator
console, all served by the same process with every asset self-hosted (no CDN).

`install(app)` adds the pages, the console's status endpoint and `/static`.
"""

from __future__ import annotations

from fastapi import FastAPI

from tocsin.web import delivery, pages, tv


def install(app: FastAPI) -> None:
    """Serve the pages at `/`, `/history`, `/stats`, `/incidents`, `/console`, `/console/audit`,
    `/console/incidents`, `/console/drills`, the TV crawl at `/broadcast/tv` (once, however
    often it is called)."""
    if getattr(app.state, "web", False):
        return
    app.include_router(pages.router)
    app.include_router(delivery.router)
    app.include_router(tv.router)
    app.mount(pages.STATIC_PREFIX, pages.assets(), name="static")
    app.state.web = True

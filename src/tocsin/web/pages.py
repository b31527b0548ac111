"""The pages: static HTML shells that the browser fills from the public API, and the assets.

Every page is one template (plain HTML with `string.Template` placeholders) inside a shared
layout; the page's script does the rest. Pages carry a strict Content-Security-Policy: every
script, style, font and map shape comes from this server, so the map works with the wider
internet cut off, and no inline script or style is allowed to run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from string import Template

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from tocsin import __version__

STATIC_PREFIX = "/static"
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Cache-Control": "no-cache",
}
ASSET_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",  # revalidate (cheap: ETag) so an upgrade never mixes versions
}


@dataclass(frozen=True, slots=True)
class Page:
    template: str  # the page's own markup, in templates/
    title: str  # in English; the page's script translates it
    script: str  # the module that runs the page, in static/
    area: str  # "public" or "console": which header the page has


PAGES: dict[str, Page] = {
    "/": Page("live.html", "Live alert map", "live.js", "public"),
    "/history": Page("history.html", "Alert history", "history.js", "public"),
    "/stats": Page("stats.html", "Alert statistics", "stats.js", "public"),
    "/incidents": Page("incidents.html", "Incidents", "incidents.js", "public"),
    "/console": Page("console.html", "Operator console", "console.js", "console"),
    "/console/audit": Page("audit.html", "Audit trail", "audit.js", "console"),
    "/console/incidents": Page(
        "console-incidents.html", "Incidents (console)", "console-incidents.js", "console"
    ),
    "/console/drills": Page("console-drills.html", "Drills", "console-drills.js", "console"),
    "/console/reports": Page("console-reports.html", "Reports", "console-reports.js", "console"),
    "/console/reports/{report_id}": Page(
        "console-reports.html", "Reports", "console-reports.js", "console"
    ),
}

router = APIRouter(tags=["web"], include_in_schema=False)


def render(page: Page) -> str:
    """The page's HTML: its template inside the layout."""
    fill = {
        "static": STATIC_PREFIX,
        "v": __version__,
        "script": page.script,
        "title_key": "page." + page.script.removesuffix(".js"),
    }
    body = _template(page.template).substitute(
        fill, header=_template(f"header-{page.area}.html").substitute(fill)
    )
    return _template("layout.html").substitute(fill, title=page.title, area=page.area, body=body)


def page_response(page: Page) -> Response:
    return HTMLResponse(render(page), headers=SECURITY_HEADERS)


def _endpoint(page: Page) -> Callable[[], Awaitable[Response]]:
    async def show() -> Response:
        return page_response(page)

    show.__name__ = f"page_{page.script.removesuffix('.js')}"
    return show


for _path, _page in PAGES.items():
    router.add_api_route(_path, _endpoint(_page), methods=["GET", "HEAD"])


@router.get("/sw.js")
async def service_worker() -> Response:
    """The Web Push service worker, from the site's root so that its scope is the whole site."""
    script = _worker_script()
    headers = {**ASSET_HEADERS, "Service-Worker-Allowed": "/"}
    return Response(script, media_type="text/javascript", headers=headers)


class Assets(StaticFiles):
    """`/static`: the package's scripts, styles and icons, with `nosniff` on every answer."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(ASSET_HEADERS)
        return response


def assets() -> Assets:
    return Assets(directory=static_dir())


def static_dir() -> Path:
    return Path(str(resources.files("tocsin.web") / "static"))


@cache
def _worker_script() -> bytes:
    return (static_dir() / "sw.js").read_bytes()


@cache
def _template(name: str) -> Template:
    text = (resources.files("tocsin.web") / "templates" / name).read_text(encoding="utf-8")
    return Template(text)

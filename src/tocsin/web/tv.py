"""`/broadcast/tv`: the TV crawl, a 1920×1080 browser source with a transparent background
for OBS or CasparCG (`?region=UA-63&lang=uk`; see docs/broadcast.md). The page is a static
shell; `static/tv.js` fills it from the public API and the event stream."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from tocsin import __version__
from tocsin.web import pages
from tocsin.web.pages import SECURITY_HEADERS

router = APIRouter(tags=["web"], include_in_schema=False)


@cache
def page() -> str:
    return pages._template("tv.html").substitute(version=__version__)


@router.get("/broadcast/tv")
async def tv_crawl() -> Response:
    return HTMLResponse(page(), headers=SECURITY_HEADERS)

"""The API's documentation pages: `/docs` (Swagger UI) and `/redoc` (ReDoc).

FastAPI's own load their scripts, styles, favicon (and ReDoc's fonts) from CDNs; these load
them from the package (`web/static/vendor/`: swagger-ui-dist and ReDoc's standalone bundle,
unmodified, see NOTICE.md), so that they work where the service has no internet. Swagger UI is
told not to ask validator.swagger.io about the schema; ReDoc's page forbids, by its content
security policy, the one image its bundle takes from another host.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse

from tocsin.web.pages import STATIC_PREFIX

VENDOR = f"{STATIC_PREFIX}/vendor"
REDOC_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",  # ReDoc's footer shows Redocly's logo from their CDN: not here
        "style-src 'self' 'unsafe-inline'",  # its styles are written into the page
        "worker-src 'self' blob:",
    ]
)
router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=root + (request.app.openapi_url or ""),
        title=f"{request.app.title} API",
        swagger_js_url=f"{root}{VENDOR}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{VENDOR}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC_PREFIX}/favicon.svg",
        oauth2_redirect_url=None,
        swagger_ui_parameters={"validatorUrl": None},  # else it asks validator.swagger.io
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    page = get_redoc_html(
        openapi_url=root + (request.app.openapi_url or ""),
        title=f"{request.app.title} API",
        redoc_js_url=f"{root}{VENDOR}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{root}{STATIC_PREFIX}/favicon.svg",
        with_google_fonts=False,
    )
    page.headers["Content-Security-Policy"] = REDOC_POLICY
    return page


def _root(request: Request) -> str:
    """The path the app is mounted at, as FastAPI's own pages take it."""
    return str(request.scope.get("root_path", "")).rstrip("/")

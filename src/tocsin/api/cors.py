"""Cross-origin reads: a map or page on another site may read the public reads and streams.

Only `GET` and `HEAD` of the public paths get `Access-Control-Allow-Origin`, and a preflight
is answered only for them: a write, a console or session route, or any request asking to send
credentials or an `Authorization` header is never allowed from another origin (no preflight
says yes, no `Access-Control-Allow-Credentials` is ever sent, so a browser sends no cookie it
could read the answer with). The origins are `cors_origins`: `*` (the default), a list, or
none. A WebSocket handshake from a page of an origin not allowed is refused the same way.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.types import Message, Scope, Send

PUBLIC_PREFIXES = (
    "/v1/alerts/active",
    "/v1/regions",
    "/v1/events",
    "/v1/stream",
    "/v1/iot/",
    "/v1/stats/",
    "/v1/incidents",
    "/cap/",
)
PUBLIC_PATHS = frozenset({"/v1/alerts", "/v1/threats", "/openapi.json", "/healthz"})
READS = frozenset({"GET", "HEAD"})
ALLOWED_HEADERS = b"Accept-Language, If-None-Match, If-Modified-Since, Last-Event-ID"
EXPOSED_HEADERS = b"ETag, Last-Modified, Retry-After, Tocsin-Region-Order"
MAX_AGE = b"600"


def public(path: str) -> bool:
    """A public read: what anyone may read without a token or session."""
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return True
    # one alert by id: /v1/alerts/{id} (the writes under it are POSTs: never allowed)
    return path.startswith("/v1/alerts/") and path.count("/") == 3


@functools.lru_cache(maxsize=8)
def cors_for(origins: str) -> PublicCors:
    """The rules for `cors_origins`, made once."""
    return PublicCors(origins)


def node_cors(state: Any) -> PublicCors | None:
    """The rules of the node an app serves (its `state.tocsin`), once it has one."""
    tocsin = getattr(state, "tocsin", None)
    return None if tocsin is None else cors_for(tocsin.settings.cors_origins)


class PublicCors:
    """The allowed origins; wraps an HTTP request of a page from another origin."""

    def __init__(self, origins: str) -> None:
        listed = {o.strip().rstrip("/") for o in origins.split(",") if o.strip()}
        self.any = "*" in listed
        self.origins = frozenset(listed - {"*"})

    def allowed(self, origin: str) -> bytes | None:
        """The `Access-Control-Allow-Origin` for a page of `origin`, or None."""
        if self.any:
            return b"*"
        return origin.encode("latin-1") if origin in self.origins else None

    def admits_socket(self, scope: Scope) -> bool:
        """A WebSocket handshake: with no Origin (not a browser), from the server's own
        pages, or from an allowed origin."""
        origin = _header(scope, b"origin")
        if origin is None or self.allowed(origin) is not None:
            return True
        host = _header(scope, b"host")
        return host is not None and origin.split("://", 1)[-1] == host

    async def preflight(self, scope: Scope, send: Send) -> bool:
        """Answer a CORS preflight for a public read; False when it is none (passed on, and
        then the browser, finding no Allow-Origin, refuses the request)."""
        origin = _header(scope, b"origin")
        method = _header(scope, b"access-control-request-method")
        if origin is None or method not in READS or not public(scope["path"]):
            return False
        allow = self.allowed(origin)
        if allow is None:
            return False
        headers = [
            (b"access-control-allow-origin", allow),
            (b"access-control-allow-methods", b"GET, HEAD"),
            (b"access-control-allow-headers", ALLOWED_HEADERS),
            (b"access-control-max-age", MAX_AGE),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return True

    def wrap(self, scope: Scope, send: Send) -> Send:
        """`send`, adding the CORS headers to a public read asked for by another origin's page."""
        if scope["method"] not in READS or not public(scope["path"]):
            return send
        origin = _header(scope, b"origin")
        allow = self.allowed(origin) if origin is not None else None
        if allow is None:
            return send
        added = [
            (b"access-control-allow-origin", allow),
            (b"access-control-expose-headers", EXPOSED_HEADERS),
        ]
        if allow != b"*":
            added.append((b"vary", b"Origin"))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *added]}
            await send(message)

        return sending


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None

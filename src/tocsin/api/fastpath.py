"""The hottest public reads, answered from memory in front of the framework's routing.

Right after a raise a whole country polls the active alerts, the region states and the IoT
line. Their routes keep each answer they give in the read model (`tocsin.service.readmodel`)
under the key of the request: its path, its query string exactly as sent, the language it is
answered in, and for CAP (whose links follow the address asked) the scheme and host. `FastReads`
answers a GET for one of those paths from that answer while it stands — the 200 or, for a
client that has it, the 304 — with no I/O and without routing, validation or dependencies; any
other request, and any whose answer is not held, goes on to the routes, which work it out (once
for all who ask at the same time) and keep it.

Every path served here is public (no token, no session), as its route is; what needs a scope
never comes here. The request has passed the input rules of `tocsin.api.inputs` before this.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from enum import Enum

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tocsin.api.answers import Answer
from tocsin.api.node import Public
from tocsin.service.readmodel import ANY_ALERT, Fresh, Topic
from tocsin.types import DEFAULT_LANG, Lang


class Keyed(Enum):
    """What, besides the path and query, an answer of a path depends on."""

    PLAIN = "plain"
    LANGUAGE = "language"
    ADDRESS = "address"  # the scheme and host: links to where the request came


PATHS: dict[str, Keyed] = {
    "/healthz": Keyed.PLAIN,
    "/v1/alerts/active": Keyed.LANGUAGE,
    "/v1/regions/states": Keyed.LANGUAGE,
    "/v1/iot/states": Keyed.PLAIN,
    "/cap/feed.atom": Keyed.ADDRESS,
}
PREFIXES = ("/cap/alerts/", "/cap/messages/")  # then an identifier and `.xml`


def keyed(path: str) -> Keyed | None:
    """How answers of `path` are keyed, or None: not a path served from memory."""
    found = PATHS.get(path)
    if found is None and path.startswith(PREFIXES) and path.endswith(".xml"):
        return Keyed.ADDRESS
    return found


def pick_lang(languages: Sequence[str], lang: str | None, accept_language: str | None) -> Lang:
    """The language to answer in: `lang` if served, else the first served one the client
    accepts (by its first two letters), else the default."""
    if lang:
        return lang if lang in languages else DEFAULT_LANG
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in languages:
            return tag
    return DEFAULT_LANG


def read_key(scope: Scope, how: Keyed, languages: Sequence[str]) -> Hashable:
    """The key of a request's answer in the read model."""
    path: str = scope["path"]
    query: bytes = scope.get("query_string", b"")
    if how is Keyed.PLAIN:
        return (path, query)
    if how is Keyed.LANGUAGE:
        lang = QueryParams(query).get("lang") if b"lang" in query else None
        return (path, query, pick_lang(languages, lang, _header(scope, b"accept-language")))
    return (path, query, scope.get("scheme"), scope.get("root_path"), _header(scope, b"host"))


async def serve(
    request: Request,
    tocsin: Public,
    compute: Callable[[], Awaitable[Fresh[Answer]]],
    topics: Iterable[Topic] = (ANY_ALERT,),
) -> Response:
    """A route's answer from the read model, drawn from `topics` (the statuses of the alerts
    it shows), worked out by `compute` when not held."""
    how = keyed(request.scope["path"])
    if how is None:  # a route mounted elsewhere: nothing to key it by
        return (await compute()).value.response(request.headers)
    key = read_key(request.scope, how, tocsin.settings.languages)
    found: Answer = await tocsin.reads.get(key, compute, topics)
    return found.response(request.headers)


class FastReads:
    """ASGI middleware: answers a GET of a path in `PATHS` (or under `PREFIXES`) from the read
    model while its answer stands; passes every other request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            how = keyed(scope["path"])
            tocsin: Public | None = None if how is None else _tocsin(scope)
            if how is not None and tocsin is not None:
                held = tocsin.reads.peek(read_key(scope, how, tocsin.settings.languages))
                if held is not None:
                    await _send(held, scope, send)
                    return
        await self.app(scope, receive, send)


def _tocsin(scope: Scope) -> Public | None:
    app = scope.get("app")
    return getattr(app.state, "tocsin", None) if app is not None else None


async def _send(held: Answer, scope: Scope, send: Send) -> None:
    inm = _header(scope, b"if-none-match")
    ims = _header(scope, b"if-modified-since") if held.updated is not None else None
    if held.status(inm, ims) == 304:
        await send({"type": "http.response.start", "status": 304, "headers": held.not_modified})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": held.headers})
    await send({"type": "http.response.body", "body": held.body})


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a header, as Starlette's `Headers.get` gives it."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None

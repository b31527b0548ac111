"""The alerts.in.ua and api.ukrainealarm.com APIs, under `/compat`, for the clients wired to
them: change the base URL, nothing else (docs/compat.md; the shapes are `tocsin.compat`).

- `/compat/alerts-in-ua/v1/…` (and `/v2/iot/…`) as `https://api.alerts.in.ua/v1/…`;
- `/compat/ukrainealarm/api/v3/…` as `https://api.ukrainealarm.com/api/v3/…`.

As there: the token goes in `Authorization` (`Bearer TOKEN`, or the bare token as ukrainealarm
clients send it) or alerts.in.ua's `?token=`; with `compat_auth = "token"` it must be a tocsin
API token (any role: these are reads), else none is needed. Each client (its token, else its
address) may make `compat_per_minute` requests a minute; more get 429 with Retry-After. Errors
are problem+json with the `message` member both clients read.

Every answer is worked out once for each change of the actual alerts (a history also once a
minute) and then served from memory, with an ETag and a Last-Modified: the second of the latest
change of any alert, as in the CAP feed. For `SETTLE` seconds after a change the date given is a
second older and `If-Modified-Since` is not honoured (`If-None-Match` is): two changes within
one second, or a node a moment behind another, would otherwise give a client that has the
answer of the first a 304 for the second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any, Final

import orjson
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tocsin.api import problems
from tocsin.api.answers import etags, strong_etag
from tocsin.api.deps import Node
from tocsin.api.limits import Window
from tocsin.api.node import Public
from tocsin.compat import alerts_in_ua, ukrainealarm
from tocsin.compat.places import Place, Places
from tocsin.compat.shown import Shown, shown
from tocsin.domain.alerts import Status
from tocsin.errors import InvalidInput, NotFound, TocsinError, Unauthorized
from tocsin.service.readmodel import Fresh
from tocsin.streams.admission import client_key

alerts_in_ua_router = APIRouter(prefix="/compat/alerts-in-ua", tags=["compat"])
ukrainealarm_router = APIRouter(prefix="/compat/ukrainealarm/api/v3", tags=["compat"])
SETTLE: Final = timedelta(seconds=2)
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
HISTORY_LIMIT: Final = 5000
ACTUAL: Final = {Status.ACTUAL}
Uid = Annotated[int, Path(ge=0, le=10**6, description="a location id of the original API")]
TokenQuery = Annotated[
    str | None, Query(max_length=200, description="the token, as alerts.in.ua also takes it")
]


@dataclass(frozen=True, slots=True)
class Held:
    """An answer in memory: its bytes, their ETag, and when the alerts last changed."""

    body: bytes
    etag: str
    changed: datetime

    def response(self, request: Request, now: datetime) -> Response:
        settled = now - self.changed >= SETTLE
        modified = _second(self.changed) - (timedelta(0) if settled else timedelta(seconds=1))
        headers = {
            "ETag": self.etag,
            "Last-Modified": format_datetime(modified, usegmt=True),
            "Cache-Control": "public, max-age=0, must-revalidate",
        }
        if _fresh(request, self.etag, modified if settled else None):
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type="application/json", headers=headers)


async def _serve(
    request: Request,
    tocsin: Public,
    build: Callable[[], Awaitable[Any]],
    token: str | None = None,
    more: tuple[Any, ...] = (),
    at_least: datetime = EPOCH,
) -> Response:
    """Admit the caller, then answer from memory, under the path asked and `more` (worked out
    by `build` when not held)."""
    key = ("compat", _canonical(request), *more)
    try:
        await _admit(request, tocsin, token)

        async def compute() -> Fresh[Held]:
            body = orjson.dumps(await build())
            changed = await tocsin.cap.reads.last_alert_change() or EPOCH
            return Fresh(Held(body, strong_etag(body), max(changed, at_least)))

        held: Held = await tocsin.reads.get(key, compute, ACTUAL)
    except TocsinError as exc:
        return problems.error_response(exc, {"message": exc.message})
    return held.response(request, tocsin.clock.now())


async def _admit(request: Request, tocsin: Public, query_token: str | None) -> None:
    settings = tocsin.settings
    token = query_token or _token(request.headers.get("authorization"))
    address = request.client.host if request.client else None
    checked = None
    if settings.compat_auth == "token":
        try:
            await _authenticate(tocsin, token, address)
        except Unauthorized:
            _count(request.app.state, settings.compat_per_minute, None, address)
            raise
        checked = token
    _count(request.app.state, settings.compat_per_minute, checked, address)


async def _authenticate(tocsin: Public, token: str | None, address: str | None) -> None:
    if not token:
        raise Unauthorized(
            "this needs a token: send 'Authorization: Bearer TOKEN' (or ?token=TOKEN)"
        )
    tokens = getattr(tocsin, "tokens", None)
    if tokens is None:
        raise Unauthorized("this node holds no tokens; ask a writer node")
    await tokens.authenticate(token, address)


def _count(state: Any, limit: int, token: str | None, address: str | None) -> None:
    """Count a request of its client, or refuse it (429): its token once checked, else its
    address (a token that is not checked names nobody: a new one each time must not buy a new
    share)."""
    if not limit:
        return
    if getattr(state, "compat_window", None) is None:
        state.compat_window = Window()
    who = "token:" + hashlib.sha256(token.encode()).hexdigest() if token else client_key(address)
    state.compat_window.admit(who, limit, "requests to /compat")


def _token(header: str | None) -> str | None:
    """The token of an `Authorization` header: `Bearer TOKEN`, or the bare token."""
    if not header or not header.strip():
        return None
    scheme, _, rest = header.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest.strip() else header.strip()


async def _places(tocsin: Public) -> Places:
    async def compute() -> Fresh[Places]:
        return Fresh(Places(tocsin.regions.tree))

    places: Places = await tocsin.reads.get(("compat", "places"), compute, ())
    return places


async def _shown(tocsin: Public) -> tuple[Places, list[Shown]]:
    """The places under alert now, worked out once for each change (the alert lists of both
    APIs are drawn from it)."""

    async def compute() -> Fresh[tuple[Places, list[Shown]]]:
        places = await _places(tocsin)
        alerts = await tocsin.store.open_alerts(Status.ACTUAL)
        return Fresh((places, shown(alerts, places, tocsin.catalogue)))

    found: tuple[Places, list[Shown]] = await tocsin.reads.get(("compat", "shown"), compute, ACTUAL)
    return found


# --- alerts.in.ua -------------------------------------------------------------------------------


@alerts_in_ua_router.get("/v1/alerts/active.json", summary="Active alerts, as alerts.in.ua")
async def active_alerts(request: Request, tocsin: Node, token: TokenQuery = None) -> Response:
    async def build() -> Any:
        _, entries = await _shown(tocsin)
        changed = await tocsin.cap.reads.last_alert_change() or EPOCH
        return alerts_in_ua.alerts_body(entries, tocsin.catalogue, changed)

    return await _serve(request, tocsin, build, token)


@alerts_in_ua_router.get(
    "/v1/regions/{uid}/alerts/{period}.json",
    summary="A place's alerts of the last week or month, as alerts.in.ua",
)
async def region_history(
    request: Request,
    tocsin: Node,
    uid: Uid,
    period: Annotated[str, Path(max_length=16, description="week_ago or month_ago")],
    token: TokenQuery = None,
) -> Response:
    async def build() -> Any:
        if period not in alerts_in_ua.PERIODS:
            known = ", ".join(alerts_in_ua.PERIODS)
            raise InvalidInput(f"period must be one of {known}; got {period!r}", field="period")
        places = await _places(tocsin)
        place = _place(places, uid, "uid")
        since = tocsin.clock.now() - timedelta(days=alerts_in_ua.PERIODS[period])
        alerts = await tocsin.queries.history(
            since=since, region=place.code, status=Status.ACTUAL, limit=HISTORY_LIMIT
        )
        within = {place.code, *tocsin.regions.tree.descendants(place.code)}
        found = shown(alerts, places, tocsin.catalogue, merge=False)
        entries = [e for e in found if e.place.code in within]
        entries.sort(key=lambda e: (e.started_at, e.place.uid), reverse=True)
        changed = await tocsin.cap.reads.last_alert_change() or EPOCH
        return alerts_in_ua.alerts_body(entries, tocsin.catalogue, changed)

    minute = _minute(tocsin)
    at_least = datetime.fromtimestamp(minute * 60, UTC)  # the window moved then
    return await _serve(request, tocsin, build, token, (minute,), at_least)


def _iot_routes(version: int) -> None:
    levels = version == 2

    @alerts_in_ua_router.get(
        f"/v{version}/iot/active_air_raid_alerts_by_oblast.json",
        summary=f"IoT line of the oblasts, as alerts.in.ua v{version}",
        name=f"iot_by_oblast_v{version}",
    )
    async def by_oblast(request: Request, tocsin: Node, token: TokenQuery = None) -> Response:
        async def build() -> Any:
            return (await _letters(tocsin)).by_oblast(levels=levels)

        return await _serve(request, tocsin, build, token)

    @alerts_in_ua_router.get(
        f"/v{version}/iot/active_air_raid_alerts.json",
        summary=f"IoT line of every place by id, as alerts.in.ua v{version}",
        name=f"iot_all_v{version}",
    )
    async def every(request: Request, tocsin: Node, token: TokenQuery = None) -> Response:
        async def build() -> Any:
            return (await _letters(tocsin)).by_uid(levels=levels)

        return await _serve(request, tocsin, build, token)

    @alerts_in_ua_router.get(
        f"/v{version}/iot/active_air_raid_alerts/{{uid}}.json",
        summary=f"IoT letter of one place, as alerts.in.ua v{version}",
        name=f"iot_one_v{version}",
    )
    async def one(request: Request, tocsin: Node, uid: Uid, token: TokenQuery = None) -> Response:
        async def build() -> Any:
            letters = await _letters(tocsin)
            return letters.letter(_place(letters.places, uid, "uid"), levels=levels)

        return await _serve(request, tocsin, build, token)


async def _letters(tocsin: Public) -> alerts_in_ua.Letters:
    """Every place's IoT letter, worked out once for each change (six lines are drawn from it)."""

    async def compute() -> Fresh[alerts_in_ua.Letters]:
        places = await _places(tocsin)
        alerts = await tocsin.store.open_alerts(Status.ACTUAL)
        return Fresh(alerts_in_ua.Letters(alerts, places, tocsin.catalogue))

    found: alerts_in_ua.Letters = await tocsin.reads.get(("compat", "letters"), compute, ACTUAL)
    return found


_iot_routes(1)
_iot_routes(2)


# --- ukrainealarm -------------------------------------------------------------------------------


@ukrainealarm_router.get("/alerts", summary="Places under alert, as ukrainealarm")
async def ua_alerts(request: Request, tocsin: Node) -> Response:
    async def build() -> Any:
        _, entries = await _shown(tocsin)
        return ukrainealarm.alerts(entries)

    return await _serve(request, tocsin, build)


@ukrainealarm_router.get("/alerts/status", summary="The last action's index, as ukrainealarm")
async def ua_status(request: Request, tocsin: Node) -> Response:
    async def build() -> Any:
        return {"lastActionIndex": await tocsin.store.last_seq()}

    return await _serve(request, tocsin, build)


@ukrainealarm_router.get("/alerts/{region_id}", summary="One place's alerts, as ukrainealarm")
async def ua_region_alerts(
    request: Request,
    tocsin: Node,
    region_id: Annotated[int, Path(ge=0, le=10**6, description="a regionId of /regions")],
) -> Response:
    async def build() -> Any:
        places, entries = await _shown(tocsin)
        return ukrainealarm.alerts_of(_place(places, region_id, "regionId"), entries, places)

    return await _serve(request, tocsin, build)


@ukrainealarm_router.get("/regions", summary="States, districts and communities, as ukrainealarm")
async def ua_regions(request: Request, tocsin: Node) -> Response:
    async def build() -> Any:
        return ukrainealarm.regions(await _places(tocsin))

    return await _serve(request, tocsin, build)


def _place(places: Places, uid: int, field: str) -> Place:
    found = places.by_uid(uid)
    if found is None:
        raise NotFound(f"no location with id {uid}", field=field)
    return found


class CompatReads:
    """ASGI middleware: answers a GET of a /compat path from memory while its answer stands,
    after counting it against its client's share, without routing (as `fastpath.FastReads`
    does for tocsin's own public reads); passes every other request on. A history, and every
    request when a token is asked for (checking it is I/O), go to the routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and _fast(scope["path"]):
            response = _from_memory(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _from_memory(scope: Scope) -> Response | None:
    """The held answer to this request (or its 429), or None: ask the routes."""
    app = scope.get("app")
    tocsin: Public | None = getattr(app.state, "tocsin", None) if app is not None else None
    if tocsin is None or tocsin.settings.compat_auth != "open":
        return None
    held: Held | None = tocsin.reads.peek(("compat", scope["path"]))
    if held is None:
        return None
    request = Request(scope)
    address = request.client.host if request.client else None
    try:
        _count(request.app.state, tocsin.settings.compat_per_minute, None, address)
    except TocsinError as exc:
        return problems.error_response(exc, {"message": exc.message})
    return held.response(request, tocsin.clock.now())


def _canonical(request: Request) -> str:
    """The path of this request as its route writes it (`22.json`, not `022.json`): what its
    answer is held under, so that other spellings of an id share it and fill no memory."""
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    if name is None:
        return str(request.scope["path"])
    params = {key: _number(str(value)) for key, value in request.path_params.items()}
    return str(request.app.url_path_for(name, **params))


def _number(text: str) -> str:
    """An id as written canonically; any other text as it is."""
    try:
        return str(int(text))
    except ValueError:
        return text


def _fast(path: str) -> bool:
    return path.startswith("/compat/") and "/regions/" not in path


def _minute(tocsin: Public) -> int:
    """The minute now: a history is worked out again at least once a minute, as its window
    moves."""
    return int(tocsin.clock.now().timestamp() // 60)


def _second(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def _fresh(request: Request, etag: str, modified: datetime | None) -> bool:
    """Whether the client already has this answer: by its ETag, else by the date it has (None:
    a date is no proof yet)."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return inm.strip() == "*" or etag in etags(inm)
    ims = request.headers.get("if-modified-since")
    if not ims or modified is None:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and modified <= since


router = APIRouter()
router.include_router(alerts_in_ua_router)
router.include_router(ukrainealarm_router)
ROUTES: Final = [*alerts_in_ua_router.routes, *ukrainealarm_router.routes]
EDGE_SERVED: Final = frozenset(
    path
    for route in ROUTES
    if "/regions/{uid}/alerts/" not in (path := str(getattr(route, "path", "")))
)
"""What an edge serves of these: all but the history, which it does not hold (and none when
they ask for a token, which it cannot check)."""

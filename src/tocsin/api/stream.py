"""Live streams: Server-Sent Events and WebSocket, both encoders over the one hub.

Every stream starts with a `ready` event, sends keepalives, and resumes after a reconnect from
`Last-Event-ID` (or `?since=`) with no gap and no duplicate. An SSE response is written by the
hub itself (`Hub.attach`, `Pusher`); its own task only sends keepalives and notices when the
client has gone. A client dropped for falling behind that does not take the `dropped` frame
within a keepalive interval has its connection closed.

A stream beyond the limits of `Hub.admission` is refused before it starts: SSE with 429 (this
client has too many) or 503 (the server has) and Retry-After; WebSocket with an `error` message
and close code 1013, try again later, Retry-After being a header of the handshake.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Header, Query, WebSocket, WebSocketDisconnect
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tocsin.api.cors import node_cors
from tocsin.api.deps import Node
from tocsin.api.inputs import Refused, check_request
from tocsin.api.node import Public
from tocsin.api.problems import deny, error_response, retry_after
from tocsin.domain.interest import Interest
from tocsin.errors import Forbidden, InvalidInput, TocsinError
from tocsin.service.queries import parse_statuses
from tocsin.streams.hub import Dropped, Encoded
from tocsin.streams.push import Pusher, abort, cap_send_buffer
from tocsin.streams.writer import writer_for
from tocsin.types import MAX_INT

PATH = "/v1/stream"
SERVER_SEND = "tocsin.server_send"  # in the scope: the server's `send`, unwrapped (see `App`)
router = APIRouter(prefix=PATH, tags=["streams"])

KEEPALIVE = b": keepalive\n\n"
RegionQuery = Annotated[str | None, Query(description="region codes, comma-separated")]
ThreatQuery = Annotated[str | None, Query(description="threat ids, comma-separated")]
StatusQuery = Annotated[str, Query(description="actual, exercise, test (comma-separated) or all")]
SinceQuery = Annotated[
    int | None, Query(ge=0, le=MAX_INT, description="replay events after this seq")
]


@router.get(
    "",
    summary="Server-Sent Events: every matching event as it is committed",
    response_class=Response,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def sse(
    tocsin: Node,
    region: RegionQuery = None,
    threat: ThreatQuery = None,
    status: StatusQuery = "actual",
    since: SinceQuery = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> Response:
    chosen = build_filter(tocsin, region, threat, status)
    resume = _resume_point(last_event_id, since)
    return EventStream(tocsin, chosen, resume, _open_body(tocsin, region, chosen, resume))


QUERY = frozenset({"region", "threat", "status", "since"})
SEQ = re.compile(r"[0-9]{1,19}")


def direct(tocsin: Public, scope: Scope) -> EventStream | None:
    """The response to `GET /v1/stream` with well-formed input, made without the framework's
    routing, dependency solving and middlewares: right after a raise, clients by the thousand
    open streams at once, and each would cost far more there than its stream does.

    None when the request is anything else (a query parameter twice or unknown, a value the
    route would refuse, a NUL anywhere): the route then answers it, in its own words. What is
    checked here is what the route and `InputGuard` check, so a request answered here would
    have been answered the same there.
    """
    if scope["method"] != "GET":
        return None
    try:
        check_request(scope)
    except Refused:
        return None
    query: dict[str, str] = {}
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
        if name not in QUERY or name in query:
            return None
        query[name] = value
    since = query.get("since")
    if since is not None and (not SEQ.fullmatch(since) or int(since) > MAX_INT):
        return None
    last_event_id = None
    for name, value in scope["headers"]:
        if name == b"last-event-id":
            if last_event_id is not None:
                return None
            last_event_id = value.decode("latin-1")
    region = query.get("region")
    try:
        chosen = build_filter(tocsin, region, query.get("threat"), query.get("status", "actual"))
        resume = _resume_point(last_event_id, int(since) if since is not None else None)
    except TocsinError:
        return None
    return EventStream(tocsin, chosen, resume, _open_body(tocsin, region, chosen, resume))


class EventStream(Response):
    """`ready`, the replay after the resume point, then every live event, with keepalives."""

    media_type = "text/event-stream"

    def __init__(
        self, tocsin: Public, chosen: Interest, resume: int | None, opening: dict[str, Any]
    ) -> None:
        self.tocsin = tocsin
        self.chosen = chosen
        self.resume = resume
        self.opening = opening
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            place = self.tocsin.hub.admission.admit(_address(scope.get("client")), "sse")
        except TocsinError as exc:
            await error_response(exc)(scope, receive, send)
            return
        with place:
            await self._stream(scope, receive, send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub = self.tocsin.hub
        # from the position announced in `ready`, so nothing committed meanwhile is missed
        start = self.resume if self.resume is not None else self.opening["last_seq"]
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        server_send = scope.get(SERVER_SEND, send)
        cap_send_buffer(server_send)
        direct = self.tocsin.settings.stream_direct_writes
        # the fast path writes around the middlewares' `send` wrappers (see `App`)
        writer = writer_for(server_send, direct=True) if direct else send
        pusher = Pusher(writer, limit=hub.buffer, written=start)
        pusher.push(_sse("ready", self.opening))
        gone = asyncio.ensure_future(_disconnected(receive))
        subscription = None
        try:
            if start == hub.position:  # nothing to replay
                subscription = hub.attach_now(self.chosen, pusher)
            else:
                attaching = asyncio.ensure_future(hub.attach(self.chosen, start, pusher))
                if not await _first(attaching, gone):
                    return
                subscription = attaching.result()
            keepalive = self.tocsin.settings.stream_keepalive
            while not pusher.finished.done():
                if await _first(pusher.finished, gone, timeout=keepalive) is None:
                    if not pusher.busy:
                        pusher.push(KEEPALIVE)
                elif gone.done():
                    return
            # dropped for falling behind: say so, and where to resume from
            body = {"reason": pusher.finished.result(), "resume_from": pusher.written}
            ending = Pusher(send, limit=1)
            ending.push(_sse("dropped", body))
            farewell = asyncio.ensure_future(ending.drained())
            said = await _first(farewell, gone, timeout=keepalive)
            if said:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            elif said is None:  # it takes nothing more: close the connection, free its place
                ending.finish("closed")
                await farewell
                abort(server_send)
        finally:
            if subscription is not None:
                hub.detach(subscription)
            pusher.finish("closed")
            gone.cancel()


async def _first(
    wanted: asyncio.Future[Any], gone: asyncio.Future[None], timeout: float | None = None
) -> bool | None:
    """True once `wanted` is done, False if the client went first (a task `wanted` is then
    cancelled), None at the timeout."""
    await asyncio.wait({wanted, gone}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if wanted.done():
        return True
    if gone.done():
        if isinstance(wanted, asyncio.Task):
            wanted.cancel()
            await asyncio.gather(wanted, return_exceptions=True)
        return False
    return None


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


@router.websocket("/ws")
async def websocket(
    socket: WebSocket,
    region: RegionQuery = None,
    threat: ThreatQuery = None,
    status: StatusQuery = "actual",
    since: SinceQuery = None,
) -> None:
    tocsin: Public = socket.app.state.tocsin
    cors = node_cors(socket.app.state)
    if cors is not None and not cors.admits_socket(socket.scope):
        exc = Forbidden("pages of this origin may not open streams here", field="origin")
        await deny(socket, error_response(exc))
        return
    try:
        place = tocsin.hub.admission.admit(_address(socket.scope.get("client")), "websocket")
    except TocsinError as exc:
        wait = retry_after(exc) or 1
        await socket.accept(headers=[(b"retry-after", str(wait).encode())])
        await socket.send_text(_json({**_problem(exc), "retry_after": wait}))
        await socket.close(code=1013, reason="try again later")
        return
    with place:
        await _websocket(socket, tocsin, region, threat, status, since)


async def _websocket(
    socket: WebSocket,
    tocsin: Public,
    region: str | None,
    threat: str | None,
    status: str,
    since: int | None,
) -> None:
    try:
        chosen = build_filter(tocsin, region, threat, status)
    except TocsinError as exc:
        await deny(socket, error_response(exc))
        return
    await socket.accept()
    start = since if since is not None else tocsin.hub.position
    await socket.send_text(_json({"type": "open", **_open_body(tocsin, region, chosen, since)}))
    pump = asyncio.create_task(_pump(socket, tocsin, chosen, start))
    watch = asyncio.create_task(_until_disconnected(socket))
    _, pending = await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def _pump(socket: WebSocket, tocsin: Public, chosen: Interest, since: int | None) -> None:
    keepalive = tocsin.settings.stream_keepalive
    try:
        async for item in tocsin.hub.stream(chosen, since, keepalive=keepalive):
            await _send(socket, item)
            if isinstance(item, Dropped):
                await socket.close(code=1013, reason="too far behind; resume from resume_from")
                return
    except (WebSocketDisconnect, RuntimeError):
        return


async def _until_disconnected(socket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away."""
    while True:
        message = await socket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _send(socket: WebSocket, item: Encoded | Dropped | None) -> None:
    if item is None:
        await socket.send_text('{"type":"keepalive"}')
    elif isinstance(item, Dropped):
        body = {"type": "dropped", "reason": item.reason, "resume_from": item.resume_from}
        await socket.send_text(_json(body))
    else:
        await socket.send_text(item.text)


def build_filter(tocsin: Public, region: str | None, threat: str | None, status: str) -> Interest:
    regions = None
    if region:
        regions = frozenset(_items(region))
        for code in regions:
            tocsin.regions.tree.require(code, field="region")
    threats = None
    if threat:
        threats = frozenset(_items(threat))
        for threat_id in threats:
            tocsin.catalogue.require(threat_id, field="threat")
    return Interest(regions, threats, frozenset(parse_statuses(status)))


def _resume_point(last_event_id: str | None, since: int | None) -> int | None:
    if last_event_id is None or not last_event_id.strip():
        return since
    try:
        value = int(last_event_id.strip())
    except ValueError:
        raise InvalidInput("Last-Event-ID must be an event seq", field="Last-Event-ID") from None
    if not 0 <= value <= MAX_INT:
        raise InvalidInput(
            f"Last-Event-ID must be an event seq from 0 to {MAX_INT}", field="Last-Event-ID"
        )
    return value


def _open_body(
    tocsin: Public, region: str | None, chosen: Interest, resume: int | None
) -> dict[str, Any]:
    return {
        "last_seq": tocsin.hub.position,
        "resume_from": resume,
        "filter": {
            "regions": _items(region) if region else None,
            "threats": sorted(chosen.threats) if chosen.threats is not None else None,
            "statuses": sorted(chosen.statuses) if chosen.statuses is not None else None,
        },
    }


def _address(client: Any) -> str | None:
    """The host of the ASGI `client`, (host, port), if the server gave one."""
    return str(client[0]) if client else None


def _problem(exc: TocsinError) -> dict[str, Any]:
    return {"type": "error", "code": exc.code, "field": exc.field, "detail": exc.message}


def _sse(event: str, body: dict[str, Any]) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (event.encode(), orjson.dumps(body))


def _json(body: dict[str, Any]) -> str:
    return orjson.dumps(body).decode()


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]

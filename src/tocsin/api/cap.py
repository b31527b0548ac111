"""CAP 1.2 over HTTP: each alert's latest message, every message by identifier, the Atom feed
(public, with ETag / 304), and CAP import from other authorities (token needed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tocsin.api import fastpath
from tocsin.api.answers import Answer, dated_answer
from tocsin.api.deps import App, Caller, Language, Node
from tocsin.api.node import Public
from tocsin.api.views import alert_view, json_response
from tocsin.cap import ATOM_MEDIA_TYPE, CAP_MEDIA_TYPE
from tocsin.cap.errors import CapMediaType, CapTooLarge
from tocsin.cap.parse import MAX_BYTES
from tocsin.domain.alerts import Phase
from tocsin.service.cap_import import ImportResult
from tocsin.service.cap_publish import CapPublisher, Published
from tocsin.service.queries import parse_statuses
from tocsin.service.readmodel import Fresh

router = APIRouter(tags=["cap"])

IMPORT_MEDIA_TYPES = (CAP_MEDIA_TYPE, "application/xml", "text/xml")
LIVE_CACHE = "public, max-age=0, must-revalidate"
MESSAGE_CACHE = "public, max-age=3600"
_XML: dict[int | str, dict[str, Any]] = {200: {"content": {CAP_MEDIA_TYPE: {}}}}
_BODY = {"requestBody": {"required": True, "content": {
    t: {"schema": {"type": "string", "format": "binary"}} for t in IMPORT_MEDIA_TYPES
}}}  # fmt: skip


def publisher(request: Request, tocsin: Public) -> CapPublisher:
    """The wired publisher, linking to the URL the request came to when no public_url is set."""
    public_url_set = bool(tocsin.settings.public_url)
    return tocsin.cap.with_base_url(str(request.base_url), public_url_set=public_url_set)


@router.get(
    "/cap/alerts/{alert_id}.xml",
    summary="The latest CAP 1.2 message of an alert",
    response_class=Response,
    responses=_XML,
)
async def alert_message(alert_id: str, request: Request, tocsin: Node) -> Response:
    async def compute() -> Fresh[Answer]:
        published = await publisher(request, tocsin).latest(alert_id)
        return Fresh(dated_answer(published.data, published.updated, CAP_MEDIA_TYPE, LIVE_CACHE))

    return await fastpath.serve(request, tocsin, compute)


@router.get(
    "/cap/messages/{identifier}.xml",
    summary="One CAP 1.2 message by identifier",
    response_class=Response,
    responses=_XML,
)
async def message(identifier: str, request: Request, tocsin: Node) -> Response:
    async def compute() -> Fresh[Answer]:
        published = await publisher(request, tocsin).message(identifier)
        return Fresh(dated_answer(published.data, published.updated, CAP_MEDIA_TYPE, MESSAGE_CACHE))

    return await fastpath.serve(request, tocsin, compute)


@router.get(
    "/cap/feed.atom",
    summary="Atom feed of current CAP messages",
    response_class=Response,
    responses={200: {"content": {ATOM_MEDIA_TYPE: {}}}},
)
async def feed(
    request: Request,
    tocsin: Node,
    region: Annotated[str | None, Query(description="alerts covering any part of it")] = None,
    status: Annotated[
        str, Query(description="actual, exercise, test (comma-separated) or all")
    ] = "actual",
) -> Response:

    async def compute() -> Fresh[Answer]:
        published = await _feed(request, tocsin, region, status)
        cached = dated_answer(published.data, published.updated, ATOM_MEDIA_TYPE, LIVE_CACHE)
        return Fresh(cached, published.until)

    return await fastpath.serve(request, tocsin, compute, parse_statuses(status))


async def _feed(request: Request, tocsin: Public, region: str | None, status: str) -> Published:
    statuses = parse_statuses(status)
    cap = publisher(request, tocsin)
    self_url = cap.config.public_url + request.url.path
    if request.url.query:
        self_url += "?" + request.url.query
    title = f"{cap.config.sender_name}: CAP alerts"
    if region:
        title += f" for {region}"
    if statuses != set(parse_statuses("actual")):
        title += f" ({', '.join(sorted(s.value for s in statuses))})"
    return await cap.feed(statuses, region=region, self_url=self_url, title=title)


@router.post(
    "/v1/cap",
    summary="Import a CAP 1.2 (or 1.1) message from another authority",
    status_code=201,
    openapi_extra=_BODY,
    responses={
        200: {"description": "A change to an alert imported before, or the same message again"},
        201: {"description": "A new alert"},
        202: {"description": "A new alert, waiting for a second person's approval"},
        400: {"description": "The body could not be read"},
        401: {"description": "No token or session"},
        403: {"description": "The caller may not import this message (role or region scope)"},
        409: {"description": "The message refers to messages not known here"},
        413: {"description": f"The message is larger than {MAX_BYTES} bytes"},
        415: {"description": "The Content-Type is not a CAP or XML media type"},
        422: {"description": "Not valid CAP, or CAP tocsin will not turn into an alert"},
    },
)
async def import_message(request: Request, tocsin: App, actor: Caller, lang: Language) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in IMPORT_MEDIA_TYPES:
        raise CapMediaType(
            f"send the CAP message as the request body with Content-Type "
            f"{' or '.join(IMPORT_MEDIA_TYPES)}; got {media_type or 'none'!r}",
            field="content-type",
        )
    data = await read_body(request, MAX_BYTES)
    result = await tocsin.cap_import.import_message(data, actor)
    msg = result.message
    body = {
        "action": result.action,
        "alert": alert_view(result.alert, tocsin.regions.tree, tocsin.catalogue, lang),
        "message": {
            "sender": msg.sender,
            "identifier": msg.identifier,
            "sent": msg.sent.isoformat(),
            "msg_type": msg.msg_type,
        },
    }
    headers = {"Location": f"/v1/alerts/{result.alert.id}"}
    if result.action == "replayed":
        headers["Idempotent-Replayed"] = "true"
    return json_response(body, _import_status(result), headers)


def _import_status(result: ImportResult) -> int:
    """201 for a new alert, 202 when it waits for approval (as `POST /v1/alerts` answers), 200
    for a change to an alert or a repeated delivery."""
    if not result.created:
        return 200
    return 202 if result.alert.phase is Phase.PENDING else 201


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> CapTooLarge:
    return CapTooLarge(
        f"the message is {size} bytes or more; at most {limit} are accepted", field="alert"
    )

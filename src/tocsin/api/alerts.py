"""Alerts: raise, update, activate, end, cancel (token needed); active, one, history (public)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import Field, Strict
from starlette.responses import Response

from tocsin.api import fastpath
from tocsin.api.answers import Answer, json_answer
from tocsin.api.deps import App, Caller, Language, Node, get_actor
from tocsin.api.inputs import Body, Codes, Instant, PublicText, Text
from tocsin.api.node import Public
from tocsin.api.views import alert_view, json_response
from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import PRIVATE_PHASES, Alert, Phase, RaiseAlert, Status, UpdateAlert
from tocsin.errors import InvalidInput
from tocsin.service.queries import ActiveFilter, parse_statuses
from tocsin.service.readmodel import Fresh
from tocsin.types import MAX_INT, utc_instant

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

MAX_PAGE = 500


StatusField = Annotated[Status, Strict(False)]  # its value as text


class RaiseBody(Body):
    threat: str = Field(description="threat type id from /v1/threats, e.g. missile", max_length=32)
    regions: Codes = Field(description="region codes, e.g. ['UA-63']")
    status: StatusField = Status.ACTUAL
    pre_alert: bool = Field(False, description="raise as an early warning; activate it later")
    expires_at: Instant | None = None
    headline: PublicText | None = None
    text: PublicText | None = None
    idempotency_key: Text | None = Field(None, max_length=200)


class UpdateBody(Body):
    threat: str | None = Field(None, max_length=32)
    regions: Codes | None = None
    add_regions: Codes = Field(default_factory=list)
    remove_regions: Codes = Field(default_factory=list)
    headline: PublicText | None = None
    text: PublicText | None = None
    expires_at: Instant | None = None
    status: StatusField | None = None
    version: int | None = Field(
        None, ge=0, le=MAX_INT, description="refuse the update unless at this version"
    )


class CancelBody(Body):
    message: PublicText | None = Field(None, description="the false-alarm message for residents")


AlertIdPath = Annotated[str, Path(description="the alert's id")]


def _view(tocsin: Public, alert: Alert, lang: str) -> dict[str, Any]:
    return alert_view(alert, tocsin.regions.tree, tocsin.catalogue, lang)


@router.post("", status_code=201, summary="Raise an alert")
async def raise_alert(
    body: RaiseBody,
    tocsin: App,
    actor: Caller,
    lang: Language,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    cmd = RaiseAlert(
        threat=body.threat,
        regions=body.regions,
        status=body.status,
        pre_alert=body.pre_alert,
        expires_at=body.expires_at,
        headline=body.headline,
        text=body.text,
        source="api",
    )
    key = idempotency_key or body.idempotency_key
    alert, created = await tocsin.alerts.raise_alert(cmd, actor, idempotency_key=key)
    headers = {"Location": f"/v1/alerts/{alert.id}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(_view(tocsin, alert, lang), _raise_status(alert, created), headers)


@router.get("/active", summary="Alerts in force now")
async def active_alerts(
    request: Request,
    tocsin: Node,
    lang: Language,
    region: Annotated[str | None, Query(description="code: alerts covering any part of it")] = None,
    threat: Annotated[str | None, Query(description="threat ids, comma-separated")] = None,
    status: Annotated[
        str, Query(description="actual, exercise, test (comma-separated) or all")
    ] = "actual",
    point: Annotated[str | None, Query(description="LAT,LON: alerts covering this point")] = None,
    phase: Annotated[str | None, Query(description="active or pre_alert")] = None,
) -> Response:
    async def compute() -> Fresh[Answer]:
        found = await tocsin.queries.active(ActiveFilter(region, threat, status, point, phase))
        return Fresh(json_answer({"alerts": [_view(tocsin, a, lang) for a in found]}))

    return await fastpath.serve(request, tocsin, compute, parse_statuses(status))


@router.get("", summary="Alert history (newest first, cursor-paginated)")
async def history(
    tocsin: Node,
    lang: Language,
    since: Instant | None = None,
    until: Instant | None = None,
    region: str | None = None,
    threat: str | None = None,
    status: Status | None = None,
    phase: Phase | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> Response:
    found = await tocsin.queries.history(
        since=since,
        until=until,
        region=region,
        threat=threat,
        status=status,
        phase=phase,
        before=_decode_cursor(cursor),
        limit=limit,
    )
    next_cursor = _encode_cursor(found[-1]) if len(found) == limit else None
    return json_response(
        {"alerts": [_view(tocsin, a, lang) for a in found], "next_cursor": next_cursor}
    )


@router.get("/{alert_id}", summary="One alert")
async def get_alert(
    alert_id: AlertIdPath,
    request: Request,
    tocsin: App,
    lang: Language,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    alert = await readable_alert(alert_id, request, tocsin, authorization)
    return json_response(_view(tocsin, alert, lang))


async def readable_alert(
    alert_id: str, request: Request, tocsin: Tocsin, authorization: str | None
) -> Alert:
    """The alert, if the caller may read it: anyone, unless it is held for approval or
    refused (then only those with access)."""
    alert = await tocsin.alerts.get(alert_id)
    if alert.phase in PRIVATE_PHASES:
        await get_actor(request, tocsin, authorization)
    return alert


@router.patch("/{alert_id}", summary="Escalate, de-escalate, change regions or text")
async def update_alert(
    alert_id: AlertIdPath, body: UpdateBody, tocsin: App, actor: Caller, lang: Language
) -> Response:
    cmd = UpdateAlert(
        threat=body.threat,
        regions=body.regions,
        add_regions=body.add_regions,
        remove_regions=body.remove_regions,
        headline=body.headline,
        text=body.text,
        expires_at=body.expires_at,
        status=body.status,
    )
    alert = await tocsin.alerts.update_alert(alert_id, cmd, actor, version=body.version)
    return json_response(_view(tocsin, alert, lang))


@router.post("/{alert_id}/activate", summary="Promote a pre-alert to an active alert")
async def activate(alert_id: AlertIdPath, tocsin: App, actor: Caller, lang: Language) -> Response:
    return json_response(_view(tocsin, await tocsin.alerts.activate(alert_id, actor), lang))


@router.post("/{alert_id}/end", summary="All-clear")
async def end(alert_id: AlertIdPath, tocsin: App, actor: Caller, lang: Language) -> Response:
    return json_response(_view(tocsin, await tocsin.alerts.end(alert_id, actor), lang))


@router.post("/{alert_id}/cancel", summary="Cancel as a false alarm")
async def cancel(
    alert_id: AlertIdPath,
    tocsin: App,
    actor: Caller,
    lang: Language,
    body: CancelBody | None = None,
) -> Response:
    message = body.message if body else None
    alert = await tocsin.alerts.cancel(alert_id, actor, message)
    return json_response(_view(tocsin, alert, lang))


def _encode_cursor(alert: Alert) -> str:
    raw = f"{alert.raised_at.isoformat()}|{alert.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        raised, alert_id = raw.split("|", 1)
        if "\x00" in alert_id:  # decoded here: the request itself had none
            raise ValueError(cursor)
        return utc_instant(datetime.fromisoformat(raised)), alert_id
    except (ValueError, OverflowError):
        raise InvalidInput("cursor is not one this API gave out", field="cursor") from None


def _raise_status(alert: Alert, created: bool) -> int:
    """201 for a new alert, 202 when it waits for approval, 200 for a replayed request."""
    if not created:
        return 200
    return 202 if alert.phase is Phase.PENDING else 201

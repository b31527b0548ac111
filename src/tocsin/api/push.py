"""Web Push for residents: the VAPID public key, and subscribing a browser to its regions.

No token is needed; each client address may subscribe or unsubscribe a bounded number of
times a minute (`push_subscribe_per_minute`), counted before anything else is checked.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field
from starlette.responses import Response

from tocsin.api.deps import App
from tocsin.api.inputs import Body, Codes, Text
from tocsin.api.limits import Window
from tocsin.api.views import json_response
from tocsin.domain.auth import Actor, Role
from tocsin.types import DEFAULT_LANG

router = APIRouter(prefix="/v1/push", tags=["push"])


class KeysBody(Body):
    p256dh: str = Field(max_length=200, description="the browser's P-256 public key, base64url")
    auth: str = Field(max_length=100, description="the browser's auth secret, base64url")


class PushSubscriptionBody(Body):
    endpoint: Text = Field(max_length=2000, description="the browser's push endpoint")
    keys: KeysBody
    regions: Codes = Field(description="region codes; alerts covering any part of one")
    lang: str = Field(DEFAULT_LANG, max_length=8, description="language of texts: en, uk, ru")


class EndpointBody(Body):
    endpoint: Text = Field(max_length=2000, description="the endpoint it subscribed")


def _resident(request: Request, tocsin: Any) -> Actor:
    """The anonymous caller, once its address is within its share of requests."""
    address = request.client.host if request.client else "unknown"
    state = request.app.state
    if getattr(state, "push_window", None) is None:
        state.push_window = Window()
    state.push_window.admit(
        address, tocsin.settings.push_subscribe_per_minute, "push subscription requests"
    )
    return Actor(name="resident", role=Role.VIEWER, origin=address)


@router.get("/key", summary="The VAPID public key browsers subscribe with")
async def get_key(tocsin: App) -> Response:
    return json_response({"public_key": tocsin.push.public_key})


@router.post("/subscriptions", status_code=201, summary="Subscribe a browser to its regions")
async def subscribe(body: PushSubscriptionBody, request: Request, tocsin: App) -> Response:
    actor = _resident(request, tocsin)
    keys = {"p256dh": body.keys.p256dh, "auth": body.keys.auth}
    record = await tocsin.push.subscribe(body.endpoint, keys, body.regions, body.lang, actor)
    view = {"id": record.id, "regions": record.filters["regions"], "lang": record.lang}
    return json_response(view, status=201)


@router.delete("/subscriptions", status_code=204, summary="Unsubscribe a browser")
async def unsubscribe(body: EndpointBody, request: Request, tocsin: App) -> Response:
    await tocsin.push.unsubscribe(body.endpoint, _resident(request, tocsin))
    return Response(status_code=204)

"""Subscriptions (admin only): webhook, apprise and broadcast targets, their state and attempts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from starlette.responses import Response

from tocsin.api.deps import App, Caller
from tocsin.api.inputs import Body, Codes, Text
from tocsin.api.views import json_response
from tocsin.channels.subscriptions import shown
from tocsin.domain.auth import Role, require_role
from tocsin.domain.subscriptions import Attempt, SubscriptionRecord
from tocsin.errors import InvalidInput
from tocsin.service.subscriptions import Filters, NewSubscription, SubscriptionService
from tocsin.types import DEFAULT_LANG, iso_time

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


class FiltersBody(Body):
    regions: Codes = Field([], description="region codes; alerts covering any part of one")
    threats: Codes = Field([], description="threat ids; also matches the previous threat")
    statuses: Codes = Field(["actual"], description="actual, exercise, test, or all")


class SubscriptionBody(Body):
    kind: str = Field("webhook", description="webhook, apprise or broadcast")
    url: Text = Field(max_length=2000, description="where to deliver")
    regions: Codes | None = None
    threats: Codes | None = None
    statuses: Codes | None = None
    filters: FiltersBody | None = Field(None, description="the filters, or give them flat")
    lang: str = Field(DEFAULT_LANG, max_length=8, description="language of texts: en, uk, ru")
    secret: str | None = Field(None, max_length=200, description="whsec_…; made if left out")
    options: dict[str, Any] = Field({}, description="kind-specific options")

    def command(self) -> NewSubscription:
        flat = (self.regions, self.threats, self.statuses)
        if self.filters is not None and any(v is not None for v in flat):
            raise InvalidInput(
                "give regions, threats and statuses either flat or under filters, not both",
                field="filters",
            )
        f = self.filters or FiltersBody(
            regions=self.regions or [],
            threats=self.threats or [],
            statuses=["actual"] if self.statuses is None else self.statuses,
        )
        return NewSubscription(
            self.kind,
            self.url,
            Filters(f.regions, f.threats, f.statuses),
            self.lang,
            self.secret,
            self.options,
        )


async def service(tocsin: App, actor: Caller) -> SubscriptionService:
    require_role(actor, Role.ADMIN)
    return tocsin.subscriptions


Service = Annotated[SubscriptionService, Depends(service)]


def subscription_view(
    record: SubscriptionRecord, head: int, cursors: dict[str, int]
) -> dict[str, Any]:
    cursor = cursors.get(record.consumer, record.start_seq)
    return {
        "id": record.id,
        "kind": record.kind,
        "url": shown(record.kind, record.url),
        "filters": record.filters,
        "lang": record.lang,
        "options": record.options,
        "secret": mask_secret(record.secret),
        "state": record.state,
        "state_reason": record.state_reason,
        "created_at": iso_time(record.created_at),
        "created_by": record.created_by,
        "start_seq": record.start_seq,
        "cursor": cursor,
        "backlog": max(0, head - cursor),
    }


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    return {
        "consumer": attempt.consumer,
        "channel": attempt.channel,
        "target": attempt.target,
        "event_seq": attempt.event_seq,
        "event_id": attempt.event_id,
        "attempt": attempt.attempt,
        "time": iso_time(attempt.time),
        "latency_ms": round(attempt.latency_ms, 3),
        "outcome": attempt.outcome,
        "error": attempt.error,
    }


def mask_secret(secret: str | None) -> str | None:
    if secret is None:
        return None
    prefix = secret.split("_", 1)[0] + "_" if "_" in secret else ""
    return f"{prefix}…{secret[-4:]}"


async def _view(subscriptions: SubscriptionService, record: SubscriptionRecord) -> dict[str, Any]:
    head, cursors = await subscriptions.progress()
    return subscription_view(record, head, cursors)


@router.post("", status_code=201, summary="Subscribe (a webhook's secret is shown only now)")
async def create_subscription(
    body: SubscriptionBody, subscriptions: Service, actor: Caller
) -> Response:
    created = await subscriptions.create(body.command(), actor)
    view = await _view(subscriptions, created.record)
    if created.secret is not None:
        view["secret"] = created.secret
    location = {"Location": f"{router.prefix}/{created.record.id}"}
    return json_response(view, 201, headers=location)


@router.get("", summary="All subscriptions, with their state and backlog")
async def list_subscriptions(subscriptions: Service) -> Response:
    head, cursors = await subscriptions.progress()
    records = await subscriptions.records()
    return json_response({"subscriptions": [subscription_view(r, head, cursors) for r in records]})


@router.get("/{subscription_id}", summary="One subscription")
async def get_subscription(subscription_id: str, subscriptions: Service) -> Response:
    record = await subscriptions.get(subscription_id)
    return json_response(await _view(subscriptions, record))


@router.delete("/{subscription_id}", status_code=204, summary="Unsubscribe")
async def delete_subscription(
    subscription_id: str, subscriptions: Service, actor: Caller
) -> Response:
    await subscriptions.delete(subscription_id, actor)
    return Response(status_code=204)


@router.post("/{subscription_id}/resume", summary="Deliver again to a paused subscription")
async def resume_subscription(
    subscription_id: str, subscriptions: Service, actor: Caller
) -> Response:
    record = await subscriptions.resume(subscription_id, actor)
    return json_response(await _view(subscriptions, record))


@router.get("/{subscription_id}/deliveries", summary="Delivery attempts, newest first")
async def subscription_deliveries(
    subscription_id: str,
    subscriptions: Service,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    attempts = await subscriptions.attempts(subscription_id, limit)
    return json_response({"deliveries": [attempt_view(a) for a in attempts]})

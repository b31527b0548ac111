"""What the console shows beside an alert: who is listening and how delivery of it went.

`GET /console/api/status` answers any signed-in caller (session or token) with the number of
live-stream subscribers, the two-person rule in force (so the confirmation step can say in
advance that an alert will wait for approval), and, given an event's `seq`, how each delivery
target fared with it: delivered, or failing (its latest attempt did not succeed).

`POST /console/api/hold` asks the server's own two-person rule whether an alert raised with the
given status, regions and text would be held: the confirmation step labels its button from this
answer ("Submit for approval") instead of guessing. The raise itself is judged again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from tocsin.api.deps import App, Caller
from tocsin.api.views import json_response
from tocsin.domain.alerts import RaiseAlert, Status
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.subscriptions import Attempt
from tocsin.types import iso_time

router = APIRouter(prefix="/console/api", tags=["console"])
MAX_SEQ = 2**63 - 1
DELIVERED = "delivered"
MAX_ATTEMPTS = 1000


@router.get("/status", summary="Stream subscribers, the approval policy, one event's deliveries")
async def status(
    tocsin: App,
    actor: Caller,
    event: Annotated[
        int | None, Query(ge=1, le=MAX_SEQ, description="an event's seq: how it was delivered")
    ] = None,
) -> Response:
    body: dict[str, Any] = {
        "stream_subscribers": tocsin.hub.subscribers,
        "last_seq": tocsin.hub.position,
        "approval": policy_view(tocsin.alerts.policy),
        "deliveries": None,
    }
    if event is not None:
        attempts = await tocsin.deliveries.attempts(event_seq=event, limit=MAX_ATTEMPTS)
        body["deliveries"] = {"event": event, **summarize(attempts)}
    return json_response(body)


class HoldQuery(BaseModel):
    status: Status = Status.ACTUAL
    regions: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=1000
    )
    text: Annotated[str, Field(max_length=4000)] | None = None


@router.post("/hold", summary="Whether the two-person rule would hold such an alert, and why")
async def hold(tocsin: App, actor: Caller, query: HoldQuery) -> Response:
    spec = RaiseAlert(threat="", regions=query.regions, status=query.status, text=query.text)
    reason = tocsin.alerts.policy.hold(spec, tocsin.regions.tree)
    return json_response({"held": reason is not None, "reason": reason})


def policy_view(policy: ApprovalPolicy) -> dict[str, Any]:
    return {
        "more_regions_than": policy.more_regions_than,
        "free_text": policy.free_text,
        "always": policy.always,
    }


def summarize(attempts: Iterable[Attempt]) -> dict[str, Any]:
    """The latest attempt of each target (attempts come newest first), and the tallies."""
    latest: dict[str, Attempt] = {}
    for attempt in attempts:
        latest.setdefault(attempt.consumer, attempt)
    targets = [
        {
            "consumer": a.consumer,
            "channel": a.channel,
            "outcome": a.outcome,
            "attempts": a.attempt,
            "time": iso_time(a.time),
        }
        for a in sorted(latest.values(), key=lambda a: a.consumer)
    ]
    delivered = sum(1 for a in latest.values() if a.outcome == DELIVERED)
    return {"delivered": delivered, "failing": len(latest) - delivered, "targets": targets}

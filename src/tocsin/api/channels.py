"""Channel inspection (admin only: targets are URLs): every target's backlog and last error."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from tocsin.api.deps import App, Caller
from tocsin.api.events import MAX_SEQ
from tocsin.api.subscriptions import attempt_view
from tocsin.api.views import json_response
from tocsin.bootstrap import Tocsin
from tocsin.domain.auth import Role, require_role

router = APIRouter(tags=["channels"])


@router.get("/v1/channels", summary="Running channels and targets: state, backlog, last error")
async def channels(tocsin: App, actor: Caller) -> Response:
    require_role(actor, Role.ADMIN)
    return json_response(
        {
            "last_seq": await tocsin.store.last_seq(),
            "node": tocsin.node,
            "duties": [
                {
                    "name": held.name,
                    "node": held.holder,
                    "until": held.until,
                    "here": held.holder == tocsin.node,
                }
                for held in sorted(await tocsin.leases.held(), key=lambda held: held.name)
            ],
            **inspect(tocsin),
            "streams": {"subscribers": tocsin.hub.subscribers, "position": tocsin.hub.position},
        }
    )


@router.get("/v1/deliveries", summary="Every attempt to deliver one event, newest first")
async def deliveries(
    tocsin: App,
    actor: Caller,
    event: Annotated[int, Query(ge=1, le=MAX_SEQ, description="the event's seq")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    require_role(actor, Role.ADMIN)
    attempts = await tocsin.deliveries.attempts(event_seq=event, limit=limit)
    return json_response({"event": event, "deliveries": [attempt_view(a) for a in attempts]})


def inspect(tocsin: Tocsin) -> dict[str, Any]:
    """Each channel with its target count, and every target (a running worker or not)."""
    targets = {str(row["consumer"]): row for row in tocsin.supervisor.status()}
    named = []
    for channel in tocsin.channels:
        rows = channel.status()
        for index, row in enumerate(rows):
            consumer = str(row.get("consumer", f"{channel.name}#{index}"))
            targets[consumer] = {**targets.get(consumer, {}), **row, "consumer": consumer}
        named.append({"name": channel.name, "targets": len(rows)})
    return {"channels": named, "targets": [targets[c] for c in sorted(targets)]}

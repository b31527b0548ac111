"""The event log, read from a sequence number onward; events the public may not see yet (a
change to an actual incident not yet published) are left out, and `next_after` moves past them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from tocsin.api.deps import App
from tocsin.api.views import json_response

router = APIRouter(prefix="/v1/events", tags=["events"])
MAX_SEQ = 2**63 - 1  # the largest sequence number the database column holds


@router.get("", summary="Events after a sequence number, oldest first")
async def events(
    tocsin: App,
    after: Annotated[
        int, Query(ge=0, le=MAX_SEQ, description="return events with seq > after")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    found = await tocsin.store.events_after(after, limit)
    last = found[-1].seq if found else after
    return json_response(
        {
            "events": [event.to_json() for event in found if not event.withheld],
            "next_after": last,
            "last_seq": await tocsin.store.last_seq(),
        }
    )

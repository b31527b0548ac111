"""The audit trail over HTTP (admin): every action, who, when, from where; and its check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from tocsin.api.deps import App, Caller
from tocsin.api.views import json_response
from tocsin.domain.auth import Role, require_role
from tocsin.types import MAX_INT

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", summary="Audit entries after a sequence number, oldest first")
async def entries(
    tocsin: App,
    actor: Caller,
    after: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    require_role(actor, Role.ADMIN)
    found = await tocsin.store.audit_entries(after, limit)
    return json_response({"entries": [e.to_json() for e in found]})


@router.get("/verify", summary="Check the hash chain of the whole audit trail")
async def check(tocsin: App, actor: Caller) -> Response:
    require_role(actor, Role.ADMIN)
    verdict = await tocsin.audit.verify()
    return json_response(
        {
            "ok": verdict.ok,
            "checked": verdict.checked,
            "broken_at": verdict.broken_at,
            "reason": verdict.reason,
            "keyed": verdict.keyed,
            "checkpoints": verdict.checkpoints,
        }
    )

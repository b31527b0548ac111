"""API tokens (admin only): create (shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field
from starlette.responses import Response

from tocsin.api.deps import App, Caller
from tocsin.api.inputs import Body, Codes, Text
from tocsin.api.views import json_response
from tocsin.domain.auth import Role, TokenRecord, require_role

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


class TokenBody(Body):
    role: str
    regions: Codes = Field(default_factory=list)
    name: Text = ""


def token_view(record: TokenRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "role": record.role,
        "regions": list(record.regions) if record.regions is not None else None,
        "created_at": record.created_at.isoformat().replace("+00:00", "Z"),
        "revoked_at": record.revoked_at.isoformat().replace("+00:00", "Z")
        if record.revoked_at
        else None,
    }


@router.post("", status_code=201, summary="Create a token (its secret is shown only now)")
async def create_token(body: TokenBody, tocsin: App, actor: Caller) -> Response:
    require_role(actor, Role.ADMIN)
    new = await tocsin.tokens.create(body.role, body.regions, body.name, actor)
    return json_response({**token_view(new.record), "token": new.secret}, 201)


@router.get("", summary="All tokens (never their secrets)")
async def list_tokens(tocsin: App, actor: Caller) -> Response:
    require_role(actor, Role.ADMIN)
    return json_response({"tokens": [token_view(r) for r in await tocsin.tokens.list()]})


@router.delete("/{token_id}", status_code=204, summary="Revoke a token")
async def revoke_token(token_id: str, tocsin: App, actor: Caller) -> Response:
    require_role(actor, Role.ADMIN)
    await tocsin.tokens.revoke(token_id, actor)
    return Response(status_code=204)

"""Sirens: register, list, show, remove (a token to read; the admin role to change)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from starlette.responses import Response

from tocsin.api.deps import App, Caller
from tocsin.api.inputs import Body, PublicText
from tocsin.api.views import json_response
from tocsin.bootstrap import Tocsin
from tocsin.domain.sirens import FAULTY, OK, UNKNOWN
from tocsin.errors import InvalidInput
from tocsin.service.sirens import SirenService, siren_view

router = APIRouter(prefix="/v1/sirens", tags=["sirens"])
STATES = (UNKNOWN, OK, FAULTY)


class SirenBody(Body):
    id: str = Field(description="1 to 64 letters, digits, '-' or '_'; part of its MQTT topics")
    region: str = Field(description="the region it stands in, e.g. UA-63-H1272", max_length=64)
    name: PublicText | None = Field(None, description="where it is, for people", max_length=200)


def sirens(tocsin: Tocsin) -> SirenService:
    return tocsin.sirens


@router.post("", status_code=201, summary="Register a siren (admin)")
async def register(body: SirenBody, tocsin: App, actor: Caller) -> Response:
    record = await tocsin.sirens.register(body.id, body.region, actor, body.name)
    return json_response(siren_view(record), 201, {"Location": f"/v1/sirens/{record.id}"})


@router.get("", summary="Sirens with their state, last heartbeat, command and ack")
async def list_sirens(
    tocsin: App,
    actor: Caller,
    region: Annotated[
        str | None, Query(description="only sirens in this region or below it", max_length=64)
    ] = None,
    state: Annotated[str | None, Query(description="unknown, ok or faulty")] = None,
) -> Response:
    if state is not None and state not in STATES:
        known = ", ".join(STATES)
        raise InvalidInput(f"state must be one of {known}; got {state!r}", field="state")
    found = await tocsin.sirens.list(region)
    chosen = [r for r in found if state is None or r.state == state]
    return json_response(
        {
            "sirens": [siren_view(r) for r in chosen],
            "count": len(chosen),
            "faulty": sum(1 for r in chosen if r.state == FAULTY),
        }
    )


@router.get("/{siren_id}", summary="One siren")
async def get_siren(siren_id: str, tocsin: App, actor: Caller) -> Response:
    return json_response(siren_view(await tocsin.sirens.get(siren_id)))


@router.delete("/{siren_id}", status_code=204, summary="Remove a siren (admin)")
async def remove_siren(siren_id: str, tocsin: App, actor: Caller) -> Response:
    await tocsin.sirens.remove(siren_id, actor)
    return Response(status_code=204)

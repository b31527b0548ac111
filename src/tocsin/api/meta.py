"""Health and the threat catalogue."""

from __future__ import annotations

from datetime import timedelta

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from tocsin import __version__
from tocsin.api import fastpath
from tocsin.api.answers import Answer, plain_answer
from tocsin.api.deps import Language, Node
from tocsin.api.views import cached_json
from tocsin.service.readmodel import ANY_EVENT, Fresh

router = APIRouter(tags=["meta"])


HEALTH_SECONDS = 1.0
"""How long an answer of /healthz stands (and the log head does not move): the database is
asked at most once in that time, however often the health is polled."""


@router.get("/healthz", summary="Liveness and readiness")
async def healthz(request: Request, tocsin: Node) -> Response:
    async def compute() -> Fresh[Answer]:
        last = await tocsin.store.last_seq()
        body = {
            "status": "ok",
            "version": __version__,
            "database": tocsin.store.backend,
            "last_seq": last,
            "regions": len(tocsin.regions.tree),
        }
        until = tocsin.clock.now() + timedelta(seconds=HEALTH_SECONDS)
        return Fresh(plain_answer(orjson.dumps(body), "application/json"), until)

    return await fastpath.serve(request, tocsin, compute, {ANY_EVENT})


@router.get("/v1/threats", summary="The threat catalogue, most severe first")
async def threats(request: Request, tocsin: Node, lang: Language) -> Response:
    body = {"threats": [t.to_json(lang) for t in tocsin.catalogue.ordered()]}
    return cached_json(request, body, max_age=300)

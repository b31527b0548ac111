"""Health and the threat catalogue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tocsin import __version__
from tocsin.api.deps import App, Language
from tocsin.api.views import cached_json, json_response

router = APIRouter(tags=["meta"])


@router.get("/healthz", summary="Liveness and readiness")
async def healthz(tocsin: App) -> Response:
    last = await tocsin.store.last_seq()
    return json_response(
        {
            "status": "ok",
            "version": __version__,
            "database": tocsin.store.backend,
            "last_seq": last,
            "regions": len(tocsin.regions.tree),
        }
    )


@router.get("/v1/threats", summary="The threat catalogue, most severe first")
async def threats(request: Request, tocsin: App, lang: Language) -> Response:
    body = {"threats": [t.to_json(lang) for t in tocsin.catalogue.ordered()]}
    return cached_json(request, body, max_age=300)

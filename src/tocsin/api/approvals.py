"""The two-person rule over HTTP: alerts held for approval, approve, reject."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field
from starlette.responses import Response

from tocsin.api.deps import App, Caller, Language
from tocsin.api.inputs import Body, PublicText
from tocsin.api.views import alert_view, json_response
from tocsin.domain.auth import Role, require_role

router = APIRouter(prefix="/v1/alerts", tags=["approval"])


class RejectBody(Body):
    reason: PublicText | None = Field(None, description="why it is refused (or withdrawn)")


@router.get("/pending", summary="Alerts waiting for a second person's approval")
async def pending(tocsin: App, actor: Caller, lang: Language) -> Response:
    require_role(actor, Role.ADMIN, Role.APPROVER, Role.OPERATOR, Role.AUTOMATION)
    tree = tocsin.regions.tree
    held = [
        a
        for a in await tocsin.store.held_alerts()
        if actor.regions is None or any(tree.within(c, actor.regions) for c in a.regions)
    ]
    return json_response({"alerts": [alert_view(a, tree, tocsin.catalogue, lang) for a in held]})


@router.post("/{alert_id}/approve", summary="Approve a held alert: it goes out now")
async def approve(alert_id: str, tocsin: App, actor: Caller, lang: Language) -> Response:
    alert = await tocsin.alerts.approve(alert_id, actor)
    return json_response(alert_view(alert, tocsin.regions.tree, tocsin.catalogue, lang))


@router.post("/{alert_id}/reject", summary="Refuse (or withdraw) a held alert")
async def reject(
    alert_id: str, tocsin: App, actor: Caller, lang: Language, body: RejectBody | None = None
) -> Response:
    alert = await tocsin.alerts.reject(alert_id, actor, body.reason if body else None)
    return json_response(alert_view(alert, tocsin.regions.tree, tocsin.catalogue, lang))

"""How alerts, regions and states look to clients, in the client's language."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from tocsin.api.answers import json_answer
from tocsin.domain.alerts import Alert, Status
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.state import RegionState
from tocsin.domain.threats import Catalogue
from tocsin.types import Lang

MARKERS: dict[Status, dict[Lang, str]] = {
    Status.EXERCISE: {"en": "EXERCISE", "uk": "НАВЧАННЯ", "ru": "УЧЕНИЯ"},
    Status.TEST: {"en": "TEST", "uk": "ТЕСТ", "ru": "ТЕСТ"},
}


def marker(status: Status, lang: Lang) -> str | None:
    texts = MARKERS.get(status)
    return None if texts is None else texts.get(lang, texts["en"])


def alert_view(alert: Alert, tree: RegionTree, catalogue: Catalogue, lang: Lang) -> dict[str, Any]:
    threat = catalogue.get(alert.threat)
    mark = marker(alert.status, lang)
    signal = threat.signal.get(lang, threat.signal.get("en", "")) if threat else alert.threat
    view = alert.to_json()
    view.update(
        threat=threat.to_json(lang) if threat else {"id": alert.threat},
        regions=[region_brief(tree.get(code), code, lang) for code in alert.regions],
        marker=mark,
        signal=f"{mark}: {signal}" if mark else signal,
        lang=lang,
    )
    return view


def region_brief(region: Region | None, code: str, lang: Lang) -> dict[str, Any]:
    if region is None:
        return {"code": code, "name": code, "level": None, "parent": None, "time_to_shelter": None}
    return {
        "code": region.code,
        "name": region.name(lang),
        "level": region.level,
        "parent": region.parent,
        "time_to_shelter": region.time_to_shelter,
    }


def region_view(region: Region, lang: Lang) -> dict[str, Any]:
    return {
        **region_brief(region, region.code, lang),
        "names": dict(region.names),
        "external_id": region.external_id,
        "katottg": region.katottg,
        "aliases": list(region.aliases),
        "pack": region.pack,
        "has_geometry": region.geometry is not None,
    }


def state_view(
    state: RegionState, tree: RegionTree, catalogue: Catalogue, lang: Lang, status: Status
) -> dict[str, Any]:
    region = tree.get(state.code)
    threat = catalogue.get(state.threat) if state.threat else None
    return {
        "code": state.code,
        "name": region.name(lang) if region else state.code,
        "state": state.state.value,
        "status": status.value,
        "threat": threat.to_json(lang) if threat else None,
        "since": state.since.isoformat().replace("+00:00", "Z") if state.since else None,
        "alerts": state.alerts,
        "partial_alerts": state.partial_alerts,
        "pre_alert": bool(state.pre_alerts),
        "time_to_shelter": region.time_to_shelter if region else None,
    }


def cached_json(request: Request, body: Any, *, max_age: int = 0) -> Response:
    """JSON with a strong ETag; answers 304 when the client already has it."""
    return json_answer(body, max_age=max_age).response(request.headers)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json", headers=headers)


def answered_as(*media_types: str) -> dict[str, Any]:
    """Route options that document the media types a route answers with (not only JSON)."""
    content: dict[str, Any] = {media_type: {} for media_type in media_types}
    return {"response_class": Response, "responses": {200: {"content": content}}}

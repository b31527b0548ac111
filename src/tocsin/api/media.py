"""Content ready to air (public): a threat's siren, an alert's spoken announcement and its
card for social media."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.responses import Response

from tocsin.api.alerts import readable_alert
from tocsin.api.deps import App, Language, Node
from tocsin.api.node import Public
from tocsin.channels.media import announcement, card, sound, speech
from tocsin.channels.notices import Composer
from tocsin.domain.alerts import Alert
from tocsin.domain.threats import ALL_CLEAR_SIREN
from tocsin.errors import UnknownThreat
from tocsin.types import Lang

router = APIRouter(tags=["broadcast"])
AUDIO: dict[int | str, dict[str, Any]] = {
    200: {"content": {f.media_type: {} for f in sound.FORMATS.values()}}
}
PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}}}

FormatPath = Annotated[str, Path(description="wav, ogg (Opus) or mp3")]
ALL_CLEAR = "all_clear"
"""The threat id whose siren is the all-clear tone (unless the catalogue has such a threat)."""


@router.get(
    "/v1/threats/{threat_id}/siren.{fmt}",
    summary="A threat's siren as sound",
    response_class=Response,
    responses=AUDIO,
)
async def siren(threat_id: str, fmt: FormatPath, tocsin: Node) -> Response:
    threat = tocsin.catalogue.get(threat_id)
    if threat is None and threat_id != ALL_CLEAR:
        raise UnknownThreat(f"unknown threat type {threat_id!r}", field="threat_id")
    pattern = threat.siren if threat is not None else ALL_CLEAR_SIREN
    data = await asyncio.to_thread(sound.siren, pattern, fmt)
    return _audio(data, fmt, max_age=300)


@router.get(
    "/v1/alerts/{alert_id}/announcement.{fmt}",
    summary="An alert's announcement, spoken",
    response_class=Response,
    responses=AUDIO,
)
async def spoken(
    alert_id: str,
    fmt: FormatPath,
    request: Request,
    tocsin: App,
    lang: Language,
    change: Annotated[
        str | None,
        Query(description="say first what changed: escalated, deescalated, updated or repeat"),
    ] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    sound.audio_format(fmt)
    announcement.check_change(change)
    alert = await readable_alert(alert_id, request, tocsin, authorization)
    samples = await spoken_announcement(tocsin, alert, lang, change)
    data = await asyncio.to_thread(sound.encode, samples, fmt)
    return _audio(data, fmt, max_age=0, language=lang)


async def spoken_announcement(
    tocsin: Public, alert: Alert, lang: Lang, change: str | None = None
) -> sound.Samples:
    wording = Composer(lambda: tocsin.regions.tree, tocsin.catalogue).wording(alert, lang)
    text = announcement.script(wording, change)
    return await speech.speak(text, speech.voice_for(tocsin.settings.speech_voices, lang))


@router.get(
    "/v1/alerts/{alert_id}/card.png",
    summary="An alert's card for social media",
    response_class=Response,
    responses=PNG,
)
async def card_png(
    alert_id: str,
    request: Request,
    tocsin: App,
    lang: Language,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    alert = await readable_alert(alert_id, request, tocsin, authorization)
    composer = Composer(lambda: tocsin.regions.tree, tocsin.catalogue)
    wording = composer.wording(alert, lang)
    tree = tocsin.regions.tree
    data = await asyncio.to_thread(card.for_alert, wording, tree, alert.regions)
    headers = {"Cache-Control": "no-cache", "Content-Language": lang}
    return Response(data, media_type="image/png", headers=headers)


def _audio(data: bytes, fmt: str, *, max_age: int, language: str | None = None) -> Response:
    headers = {"Cache-Control": f"public, max-age={max_age}" if max_age else "no-cache"}
    if language:
        headers["Content-Language"] = language
    return Response(data, media_type=sound.audio_format(fmt).media_type, headers=headers)

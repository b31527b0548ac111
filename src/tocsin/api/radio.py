"""The live radio feed of a region: `GET /v1/broadcast/radio?region=UA-63&lang=uk`.

A continuous MP3 (or Ogg/Opus) stream over HTTP with Icecast's `icy-*` headers, so radio
automation and players take it as a station: silence between alerts, the siren and the
announcement when an alert for the region changes (`tocsin.channels.media.radio`), following
the same hub as the SSE and WebSocket streams.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from tocsin.api.deps import Language, Node
from tocsin.api.media import spoken_announcement
from tocsin.api.node import Public
from tocsin.channels.media import radio, sound
from tocsin.channels.media.announcement import CHANGES
from tocsin.channels.notices import Composer, has_notice
from tocsin.domain.alerts import EventType
from tocsin.domain.events import Event
from tocsin.domain.interest import Interest
from tocsin.domain.threats import ALL_CLEAR_SIREN, SirenPattern
from tocsin.errors import InvalidInput
from tocsin.service.queries import parse_statuses
from tocsin.streams.hub import Encoded
from tocsin.types import Lang

router = APIRouter(tags=["broadcast"])
FORMATS: Final = ("mp3", "ogg")
BITRATE: Final = 64  # kbit/s, about what libsndfile's MP3 encoder gives mono speech at 24 kHz


@router.get(
    "/v1/broadcast/radio",
    summary="A region's live radio feed (Icecast-compatible)",
    response_class=StreamingResponse,
    responses={200: {"content": {"audio/mpeg": {}, "audio/ogg": {}}}},
)
async def radio_feed(
    request: Request,
    tocsin: Node,
    lang: Language,
    region: Annotated[str, Query(description="the region, e.g. UA-63", max_length=64)],
    format: Annotated[str, Query(description="mp3 (default) or ogg (Opus)")] = "mp3",
    status: Annotated[str, Query(description="actual (default), exercise, test or all")] = "actual",
) -> StreamingResponse:
    if format not in FORMATS:
        raise InvalidInput(f"format must be mp3 or ogg; got {format!r}", field="format")
    place = tocsin.regions.tree.require(region, field="region")
    interest = Interest(frozenset({place.code}), statuses=frozenset(parse_statuses(status)))
    admitted = tocsin.hub.admission.admit(request.client.host if request.client else None, "radio")
    name = place.name(lang)

    async def audio() -> AsyncIterator[bytes]:
        with admitted:
            events = _events(tocsin, interest)
            render = _renderer(tocsin, lang, format)
            interval = tocsin.settings.radio_interval_seconds
            async for data in radio.programme(events, render, format, interval=interval):
                yield data

    headers = {
        "icy-name": f"tocsin: {name}".encode().decode("latin-1"),
        "icy-description": f"Air-raid alerts for {place.code} ({lang})",
        "icy-genre": "Emergency",
        "icy-pub": "0",
        "icy-br": str(BITRATE),
        "icy-sr": str(sound.RATE),
        "Cache-Control": "no-cache, no-store",
        "Content-Language": lang,
    }
    media_type = sound.audio_format(format).media_type
    return StreamingResponse(audio(), media_type=media_type, headers=headers)


async def _events(tocsin: Public, interest: Interest) -> AsyncIterator[Event]:
    async for item in tocsin.hub.stream(interest):
        if isinstance(item, Encoded):
            yield item.event


def _renderer(tocsin: Public, lang: Lang, fmt: str) -> radio.Render:
    composer = Composer(lambda: tocsin.regions.tree, tocsin.catalogue)

    async def render(event: Event) -> list[radio.Piece]:
        alert = event.alert
        if alert is None or not has_notice(event):
            return []
        pieces = []
        pattern = _siren_of(event, composer)
        if pattern is not None:
            data = sound.streamable(sound.siren(pattern, fmt), fmt)
            pieces.append(radio.Piece(data, pattern.seconds))
        change = event.type.rpartition(".")[2]
        said = await spoken_announcement(tocsin, alert, lang, change if change in CHANGES else None)
        pieces.append(await radio.piece(said, fmt))
        return pieces

    return render


def _siren_of(event: Event, composer: Composer) -> SirenPattern | None:
    if event.type == EventType.ENDED:
        return ALL_CLEAR_SIREN
    if event.type in radio.SIREN_FIRST and event.alert is not None:
        pattern = composer.threat(event.alert.threat).siren
        return pattern if pattern.name != "none" else None
    return None

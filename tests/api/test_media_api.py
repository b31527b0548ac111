"""Content ready to air: siren sounds and spoken announcements over the public API."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile
from PIL import Image
from test_alerts_api import raise_alert

from audio_support import sox_stat
from conftest import sqlite_threads_finished
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.channels.media import card
from tocsin.config import Settings
from tocsin.service.ports import ManualClock


def seconds_of(response: httpx.Response) -> float:
    info = soundfile.info(io.BytesIO(response.content))
    return float(info.frames / info.samplerate)


@pytest.fixture
async def tuned(database_url: str, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    """A node whose catalogue changes the uav siren to a 3-second wail."""
    threats = {"uav": {"siren": {"pattern": "wail", "seconds": 3}}}
    settings = Settings(database_url=database_url, channels=(), threats=threats)
    tocsin = await build(settings, clock=clock)
    app = create_app(settings)
    app.state.tocsin = tocsin
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tocsin.test"
        ) as http:
            yield http
    finally:
        await tocsin.close()
        await sqlite_threads_finished()


async def test_the_missile_siren_is_a_three_minute_wav(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/threats/missile/siren.wav")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    assert "max-age=300" in response.headers["cache-control"]
    assert seconds_of(response) == 180


@pytest.mark.parametrize(("fmt", "media_type"), [("ogg", "audio/ogg"), ("mp3", "audio/mpeg")])
async def test_a_siren_changed_in_configuration_sounds_changed(
    tuned: httpx.AsyncClient, fmt: str, media_type: str
) -> None:
    wav = await tuned.get("/v1/threats/uav/siren.wav")
    assert seconds_of(wav) == 3
    encoded = await tuned.get(f"/v1/threats/uav/siren.{fmt}")
    assert encoded.headers["content-type"] == media_type
    assert abs(seconds_of(encoded) - 3) < 0.2


async def test_the_all_clear_has_its_own_tone_and_unknowns_are_refused(
    client: httpx.AsyncClient,
) -> None:
    all_clear = await client.get("/v1/threats/all_clear/siren.wav")
    assert seconds_of(all_clear) == 60
    unknown = await client.get("/v1/threats/comet/siren.wav")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_threat")
    flac = await client.get("/v1/threats/missile/siren.flac")
    assert (flac.status_code, flac.json()["field"]) == (422, "format")


async def spoken(
    client: httpx.AsyncClient, alert_id: str, tmp_path: Path, lang: str, **params: Any
) -> dict[str, float]:
    response = await client.get(
        f"/v1/alerts/{alert_id}/announcement.wav", params={"lang": lang, **params}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-language"] == lang
    path = tmp_path / f"{alert_id}-{lang}.wav"
    path.write_bytes(response.content)
    return sox_stat(path)


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_an_alert_is_announced_aloud_in_each_language(
    client: httpx.AsyncClient, admin: dict[str, str], tmp_path: Path, lang: str
) -> None:
    alert = await raise_alert(client, admin, regions=["UA-63", "UA-59"])
    stat = await spoken(client, alert["id"], tmp_path, lang)
    assert 10 < stat["Length (seconds)"] < 90  # the long text: at most 360 characters
    assert stat["RMS amplitude"] > 0.02  # speech, not silence
    assert stat["Maximum amplitude"] > 0.2


async def test_a_drill_and_a_change_make_the_announcement_longer(
    client: httpx.AsyncClient, admin: dict[str, str], tmp_path: Path
) -> None:
    actual = await raise_alert(client, admin, regions=["UA-63"])
    drill = await raise_alert(client, admin, regions=["UA-63"], status="exercise")
    plain = (await spoken(client, actual["id"], tmp_path, "en"))["Length (seconds)"]
    repeat = await spoken(client, actual["id"], tmp_path, "en", change="repeat")
    drilled = (await spoken(client, drill["id"], tmp_path, "en"))["Length (seconds)"]
    assert repeat["Length (seconds)"] > plain + 0.5  # "still in force" said first
    assert drilled > plain + 2  # "this is a drill", twice, and the marker
    louder = await client.get(f"/v1/alerts/{actual['id']}/announcement.wav?change=louder")
    assert (louder.status_code, louder.json()["field"]) == (422, "change")


async def test_the_false_alarm_announcement_says_the_operators_message(
    client: httpx.AsyncClient, admin: dict[str, str], tmp_path: Path
) -> None:
    bare = await raise_alert(client, admin)
    told = await raise_alert(client, admin, regions=["UA-59"])
    await client.post(f"/v1/alerts/{bare['id']}/cancel", json={}, headers=admin)
    message = "A radar fault sent this alert out. We are sorry for the alarm it caused."
    await client.post(f"/v1/alerts/{told['id']}/cancel", json={"message": message}, headers=admin)
    without = await spoken(client, bare["id"], tmp_path, "en")
    with_message = await spoken(client, told["id"], tmp_path, "en")
    assert with_message["Length (seconds)"] > without["Length (seconds)"] + 3
    ogg = await client.get(f"/v1/alerts/{told['id']}/announcement.ogg")
    assert ogg.headers["content-type"] == "audio/ogg"
    assert abs(seconds_of(ogg) - with_message["Length (seconds)"]) < 0.5
    missing = await client.get("/v1/alerts/nope/announcement.wav")
    assert missing.status_code == 404


def pixels(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def at(image: Image.Image, tocsin: Tocsin, code: str) -> tuple[int, int, int]:
    """The colour of the card's map at a point inside region `code`."""
    ukraine = tocsin.regions.tree.require("UA").geometry
    inside = tocsin.regions.tree.require(code).geometry.representative_point()
    x, y = card._projection(ukraine.bounds)(inside.x, inside.y)
    found: tuple[int, int, int] = image.getpixel((round(x), round(y)))  # type: ignore[assignment]
    return found


def hex_of(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


async def test_the_card_shades_the_alerts_regions_in_the_threats_colour(
    client: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    alert = await raise_alert(client, admin, regions=["UA-63"])
    image = pixels(await client.get(f"/v1/alerts/{alert['id']}/card.png", params={"lang": "uk"}))
    assert image.size == (1200, 630)
    red = tocsin.catalogue["missile"].color.lower()
    assert hex_of(at(image, tocsin, "UA-63")) == red  # Kharkiv Oblast shaded
    assert hex_of(at(image, tocsin, "UA-46")) == card.LAND  # Lviv Oblast not
    assert hex_of(image.getpixel((600, 5))) == red  # type: ignore[arg-type]
    text = image.crop((card.TEXT_LEFT, 40, 1180, 600))
    ink = np.all(np.asarray(text) == (0x1B, 0x1B, 0x1B), axis=2)
    assert ink.sum() > 500  # the words, in ink


async def test_the_card_speaks_the_language_and_marks_a_drill(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    actual = await raise_alert(client, admin, regions=["UA-63"], threat="uav")
    drill = await raise_alert(client, admin, regions=["UA-63"], threat="uav", status="exercise")
    cards = {
        (alert["id"], lang): (await client.get(f"/v1/alerts/{alert['id']}/card.png?lang={lang}"))
        for alert in (actual, drill)
        for lang in ("uk", "en")
    }
    assert len({response.content for response in cards.values()}) == 4
    uk = pixels(cards[actual["id"], "uk"])
    drilled = pixels(cards[drill["id"], "uk"])
    # the map is the same; only the words differ
    assert uk.crop(card.MAP).tobytes() == drilled.crop(card.MAP).tobytes()
    assert uk.crop((card.TEXT_LEFT, 40, 1180, 600)) != drilled.crop((card.TEXT_LEFT, 40, 1180, 600))

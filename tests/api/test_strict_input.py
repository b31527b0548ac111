"""Request bodies are read strictly: each field of its own JSON type, each key once, each code
once and lists of bounded length, and no bidirectional control character in a text the public
reads. Every refusal is a 422 problem naming the field at fault."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from cap_support import CAP_TYPE, info, message

from conftest import bearer
from tocsin.api.inputs import MAX_CODES
from tocsin.bootstrap import Tocsin

Json = dict[str, Any]
ALERT: Json = {"threat": "missile", "regions": ["UA-63"]}
INCIDENT: Json = {"regions": ["UA-63"], "threats": ["missile"], "start": "2026-03-01T11:00:00Z"}
RLO = "\u202e"


@pytest.fixture
async def api(client: httpx.AsyncClient, tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    client.headers.update(await bearer(tocsin))
    yield client


def refused(response: httpx.Response, field: str) -> Json:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert (body["code"], body["field"]) == ("invalid_input", field), body
    return body


async def incident_id(api: httpx.AsyncClient) -> str:
    response = await api.post("/v1/incidents", json=INCIDENT)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# --- types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"pre_alert": "yes"}, "pre_alert"),
        ({"pre_alert": 1}, "pre_alert"),
        ({"expires_at": 1900000000}, "expires_at"),
        ({"expires_at": "1900000000"}, "expires_at"),
        ({"expires_at": "2026-03-01T14:00:00"}, "expires_at"),  # no offset
        ({"headline": 5}, "headline"),
        ({"regions": "UA-63"}, "regions"),
        ({"status": 1}, "status"),
    ],
)
async def test_raising_takes_each_field_in_its_own_type(
    api: httpx.AsyncClient, extra: Json, field: str
) -> None:
    refused(await api.post("/v1/alerts", json={**ALERT, **extra}), field)


async def test_times_are_iso_text_and_choices_their_names(api: httpx.AsyncClient) -> None:
    body = {**ALERT, "status": "exercise", "pre_alert": True,
            "expires_at": "2026-03-01T16:00:00+02:00"}  # fmt: skip
    response = await api.post("/v1/alerts", json=body)
    assert response.status_code == 201, response.text
    raised = response.json()
    assert (raised["status"], raised["expires_at"]) == ("exercise", "2026-03-01T14:00:00Z")
    refused(await api.patch(f"/v1/alerts/{raised['id']}", json={"version": "1"}), "version")
    refused(await api.patch(f"/v1/alerts/{raised['id']}", json={"version": 2**63}), "version")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"start": 1772362800}, "start"),
        ({"places": [{"lat": "50.0", "lon": 36.2}]}, "places[0].lat"),
        ({"mode": True}, "mode"),
        ({"title": ["a"]}, "title"),
    ],
)
async def test_incidents_take_each_field_in_its_own_type(
    api: httpx.AsyncClient, extra: Json, field: str
) -> None:
    refused(await api.post("/v1/incidents", json={**INCIDENT, **extra}), field)


async def test_other_bodies_are_strict_too(api: httpx.AsyncClient) -> None:
    refused(await api.post("/v1/session", json={"username": 1, "password": "x"}), "username")
    refused(await api.post("/v1/tokens", json={"role": "viewer", "name": 7}), "name")
    subscription = {"url": "https://93.184.216.34/hook", "regions": [63]}
    refused(await api.post("/v1/subscriptions", json=subscription), "regions[0]")


# --- keys ----------------------------------------------------------------------------------


async def test_a_key_given_twice_is_refused(api: httpx.AsyncClient) -> None:
    raw = b'{"threat": "missile", "regions": ["UA-63"], "pre_alert": false, "pre_alert": true}'
    headers = {"Content-Type": "application/json"}
    body = refused(await api.post("/v1/alerts", content=raw, headers=headers), "pre_alert")
    assert "twice" in body["detail"]
    assert await api.get("/v1/alerts/active") is not None
    assert (await api.get("/v1/alerts/active")).json()["alerts"] == []
    nested = b'{"measure": "launched", "value": 5, "source": {"name": "a", "name": "b"}}'
    iid = await incident_id(api)
    response = await api.post(f"/v1/incidents/{iid}/claims", content=nested, headers=headers)
    refused(response, "name")
    no_type = await api.post("/v1/alerts", content=raw)  # read as JSON all the same
    refused(no_type, "pre_alert")


async def test_bodies_that_are_not_json_are_answered_as_before(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/v1/alerts", content=b'{"threat": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


# --- lists ---------------------------------------------------------------------------------


async def test_a_code_given_twice_is_refused(api: httpx.AsyncClient) -> None:
    body = refused(await api.post("/v1/alerts", json={**ALERT, "regions": ["UA-63"] * 3}),
                   "regions")  # fmt: skip
    assert "'UA-63' is given twice" in body["detail"]
    many = {**ALERT, "regions": ["UA-63"] * 100_000}
    refused(await api.post("/v1/alerts", json=many), "regions")
    refused(await api.post("/v1/incidents", json={**INCIDENT, "threats": ["uav", "uav"]}),
            "threats")  # fmt: skip
    subscription = {"url": "https://93.184.216.34/hook", "regions": ["UA-63", "UA-63"]}
    refused(await api.post("/v1/subscriptions", json=subscription), "regions")
    assert (await api.get("/v1/alerts/active")).json()["alerts"] == []


async def test_lists_are_bounded(api: httpx.AsyncClient) -> None:
    codes = [f"UA-{n}" for n in range(MAX_CODES + 1)]
    body = refused(await api.post("/v1/alerts", json={**ALERT, "regions": codes}), "regions")
    assert str(MAX_CODES) in body["detail"]
    refused(await api.post("/v1/tokens", json={"role": "operator", "regions": codes}), "regions")


# --- what the public reads -----------------------------------------------------------------


@pytest.mark.parametrize("control", [RLO, "\u2066", "\u200f", "\u061c", "\u202a"])
async def test_no_bidirectional_controls_in_public_texts(
    api: httpx.AsyncClient, control: str
) -> None:
    text = f"Shelter now {control}won llits"
    body = refused(await api.post("/v1/alerts", json={**ALERT, "headline": text}), "headline")
    assert f"U+{ord(control):04X}" in body["detail"]
    refused(await api.post("/v1/alerts", json={**ALERT, "text": text}), "text")
    refused(await api.post("/v1/incidents", json={**INCIDENT, "title": text}), "title")
    siren = {"id": "kh-1", "region": "UA-63", "name": text}
    refused(await api.post("/v1/sirens", json=siren), "name")
    iid = await incident_id(api)
    claim = {"measure": "launched", "value": 5, "source": {"name": text}}
    refused(await api.post(f"/v1/incidents/{iid}/claims", json=claim), "source.name")
    claim = {"measure": "launched", "value": 5, "source": "Air Force", "note": text}
    refused(await api.post(f"/v1/incidents/{iid}/claims", json=claim), "note")
    refused(await api.post(f"/v1/incidents/{iid}/close", json={"note": text}), "note")
    raised = await api.post("/v1/alerts", json=ALERT)
    cancel = await api.post(f"/v1/alerts/{raised.json()['id']}/cancel", json={"message": text})
    refused(cancel, "message")


async def test_ordinary_texts_in_every_language_pass(api: httpx.AsyncClient) -> None:
    text = "Ракетна небезпека! Missile threat — «укриття» 🚀"
    response = await api.post("/v1/alerts", json={**ALERT, "headline": text, "text": text})
    assert response.status_code == 201, response.text
    assert response.json()["headline"] == text


@pytest.mark.parametrize("element", ["headline", "description"])
async def test_cap_texts_hold_no_bidirectional_controls(
    api: httpx.AsyncClient, element: str
) -> None:
    texts = {"headline": f"Missile {RLO}threat", "description": f"Missiles {RLO}launched"}
    data = message(infos=[info(**{element: texts[element]})])
    response = await api.post("/v1/cap", content=data, headers=CAP_TYPE)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == f"info/{element}"
    assert orjson.loads(response.content)["code"] == "cap_invalid"

"""/v1/alerts: raise, idempotency, update, lifecycle, active alerts, one alert, history, views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from conftest import START, bearer
from tocsin.bootstrap import Tocsin
from tocsin.service.ports import ManualClock

Json = dict[str, Any]
KHARKIV_CITY = "49.99,36.23"
BELGOROD = "50.6,36.6"


async def raise_alert(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Json:
    body = {"threat": "missile", "regions": ["UA-63"], **body}
    response = await client.post("/v1/alerts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    alert: Json = response.json()
    return alert


async def last_seq(client: httpx.AsyncClient) -> int:
    seq: int = (await client.get("/v1/events", params={"limit": 1})).json()["last_seq"]
    return seq


async def events_since(client: httpx.AsyncClient, seq: int) -> list[Json]:
    events: list[Json] = (await client.get("/v1/events", params={"after": seq})).json()["events"]
    return events


async def child(client: httpx.AsyncClient, parent: str, index: int = 0) -> str:
    regions = (await client.get("/v1/regions", params={"parent": parent})).json()["regions"]
    code: str = regions[index]["code"]
    return code


async def hromada(client: httpx.AsyncClient, oblast: str, raion_index: int = 0) -> str:
    return await child(client, await child(client, oblast, raion_index))


def problem_of(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code
    return body


# --- raise -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "status", "phase"),
    [
        ({}, "actual", "active"),
        ({"status": "actual"}, "actual", "active"),
        ({"status": "exercise"}, "exercise", "active"),
        ({"status": "test"}, "test", "active"),
        ({"pre_alert": True}, "actual", "pre_alert"),
        ({"status": "exercise", "pre_alert": True}, "exercise", "pre_alert"),
    ],
)
async def test_raise_answers_201_with_the_alert_and_its_location(
    client: httpx.AsyncClient, admin: dict[str, str], extra: Json, status: str, phase: str
) -> None:
    body = {"threat": "missile", "regions": ["UA-63"], **extra}
    response = await client.post("/v1/alerts", json=body, headers=admin)
    assert response.status_code == 201
    alert = response.json()
    assert (alert["status"], alert["phase"], alert["version"]) == (status, phase, 1)
    assert alert["threat"]["id"] == "missile"
    assert [r["code"] for r in alert["regions"]] == ["UA-63"]
    assert alert["raised_at"] == "2026-03-01T12:00:00Z"
    assert alert["activated_at"] == (None if phase == "pre_alert" else "2026-03-01T12:00:00Z")
    assert response.headers["Location"] == f"/v1/alerts/{alert['id']}"
    assert "Idempotent-Replayed" not in response.headers
    fetched = await client.get(response.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.json() == alert


async def test_raise_keeps_headline_text_and_expiry(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    alert = await raise_alert(
        client,
        admin,
        headline="  Missiles towards Kharkiv  ",
        text="Stay in shelters.",
        expires_at="2026-03-01T16:00:00+02:00",
    )
    assert alert["headline"] == "Missiles towards Kharkiv"
    assert alert["text"] == "Stay in shelters."
    assert alert["expires_at"] == "2026-03-01T14:00:00Z"


async def test_raise_records_one_event(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    before = await last_seq(client)
    alert = await raise_alert(client, admin)
    [event] = await events_since(client, before)
    assert (event["seq"], event["type"]) == (before + 1, "alert.raised")
    assert event["alert"]["id"] == alert["id"]


# --- idempotency -----------------------------------------------------------------------------


def keyed(key: str, where: str, headers: dict[str, str], body: Json) -> tuple[Json, Json]:
    if where == "header":
        return {**headers, "Idempotency-Key": key}, body
    return headers, {**body, "idempotency_key": key}


@pytest.mark.parametrize("where", ["header", "body"])
async def test_a_retry_with_the_same_key_replays_the_alert(
    client: httpx.AsyncClient, admin: dict[str, str], where: str
) -> None:
    headers, body = keyed("k-1", where, admin, {"threat": "missile", "regions": ["UA-63"]})
    first = await client.post("/v1/alerts", json=body, headers=headers)
    seq = await last_seq(client)
    again = await client.post("/v1/alerts", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert await last_seq(client) == seq
    active = (await client.get("/v1/alerts/active")).json()["alerts"]
    assert [a["id"] for a in active] == [first.json()["id"]]


@pytest.mark.parametrize("where", ["header", "body"])
@pytest.mark.parametrize(
    "changed",
    [
        {"threat": "uav"},
        {"regions": ["UA-63", "UA-32"]},
        {"status": "exercise"},
        {"pre_alert": True},
        {"headline": "another"},
    ],
)
async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], where: str, changed: Json
) -> None:
    original = {"threat": "missile", "regions": ["UA-63"]}
    headers, body = keyed("k-2", where, admin, original)
    assert (await client.post("/v1/alerts", json=body, headers=headers)).status_code == 201
    seq = await last_seq(client)
    headers, body = keyed("k-2", where, admin, {**original, **changed})
    response = await client.post("/v1/alerts", json=body, headers=headers)
    problem = problem_of(response, 409, "idempotency_key_reused")
    assert problem["field"] == "idempotency_key"
    assert await last_seq(client) == seq


async def test_the_header_and_the_body_field_are_the_same_key(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"threat": "missile", "regions": ["UA-63"]}
    first = await client.post("/v1/alerts", json=body, headers={**admin, "Idempotency-Key": "k"})
    again = await client.post("/v1/alerts", json={**body, "idempotency_key": "k"}, headers=admin)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


async def test_keys_belong_to_one_token(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    other = await bearer(tocsin, "admin")
    body = {"threat": "missile", "regions": ["UA-63"]}
    mine = await client.post("/v1/alerts", json=body, headers={**admin, "Idempotency-Key": "k"})
    theirs = await client.post("/v1/alerts", json=body, headers={**other, "Idempotency-Key": "k"})
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


async def test_without_a_key_a_retry_raises_a_second_alert(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    first = await raise_alert(client, admin)
    second = await raise_alert(client, admin)
    assert first["id"] != second["id"]


# --- update ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch", "threat", "regions", "event"),
    [
        ({"threat": "uav"}, "uav", ["UA-63"], "alert.deescalated"),
        ({"threat": "chemical"}, "chemical", ["UA-63"], "alert.escalated"),
        (
            {"add_regions": ["UA-32", "UA-30"]},
            "missile",
            ["UA-63", "UA-32", "UA-30"],
            "alert.updated",
        ),
        ({"add_regions": ["UA-63"]}, "missile", ["UA-63"], None),
        (
            {"remove_regions": ["UA-63"], "add_regions": ["UA-32"]},
            "missile",
            ["UA-32"],
            "alert.updated",
        ),
        ({"regions": ["UA-30"]}, "missile", ["UA-30"], "alert.updated"),
        ({"regions": ["UA-63"]}, "missile", ["UA-63"], None),
        ({"threat": "missile"}, "missile", ["UA-63"], None),
        ({}, "missile", ["UA-63"], None),
        (
            {"threat": "air", "regions": ["UA-63", "UA-32"]},
            "air",
            ["UA-63", "UA-32"],
            "alert.deescalated",
        ),
        ({"status": "actual"}, "missile", ["UA-63"], None),
        ({"version": 1, "headline": "Ballistic missiles"}, "missile", ["UA-63"], "alert.updated"),
    ],
)
async def test_patch_changes_the_alert_and_records_what_changed(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    patch: Json,
    threat: str,
    regions: list[str],
    event: str | None,
) -> None:
    alert = await raise_alert(client, admin)
    seq = await last_seq(client)
    response = await client.patch(f"/v1/alerts/{alert['id']}", json=patch, headers=admin)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["id"] == alert["id"]
    assert updated["threat"]["id"] == threat
    assert [r["code"] for r in updated["regions"]] == regions
    assert updated["phase"] == "active"
    events = await events_since(client, seq)
    if event is None:
        assert events == []
        assert updated["version"] == 1
    else:
        assert [e["type"] for e in events] == [event]
        assert updated["version"] == 2
        assert events[0]["alert"]["version"] == 2
    assert (await client.get(f"/v1/alerts/{alert['id']}")).json() == updated


async def test_patch_with_a_stale_version_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    alert = await raise_alert(client, admin)
    url = f"/v1/alerts/{alert['id']}"
    first = await client.patch(url, json={"threat": "uav", "version": 1}, headers=admin)
    assert first.json()["version"] == 2
    seq = await last_seq(client)
    stale = await client.patch(url, json={"threat": "air", "version": 1}, headers=admin)
    problem = problem_of(stale, 409, "version_mismatch")
    assert problem["field"] == "version"
    assert await last_seq(client) == seq
    assert (await client.get(url)).json()["threat"]["id"] == "uav"
    current = await client.patch(url, json={"threat": "air", "version": 2}, headers=admin)
    assert (current.status_code, current.json()["version"]) == (200, 3)


@pytest.mark.parametrize(
    ("patch", "status", "code", "field"),
    [
        ({"regions": ["UA-32"], "add_regions": ["UA-30"]}, 422, "invalid_input", "regions"),
        ({"regions": []}, 422, "invalid_input", "regions"),
        ({"remove_regions": ["UA-63"]}, 422, "invalid_input", "remove_regions"),
        ({"remove_regions": ["UA-32"]}, 422, "invalid_input", "remove_regions"),
        ({"add_regions": ["UA-32", "XX-1"]}, 422, "unknown_region", "add_regions[1]"),
        ({"regions": ["XX-1"]}, 422, "unknown_region", "regions[0]"),
        ({"threat": "meteor"}, 422, "unknown_threat", "threat"),
        ({"status": "exercise"}, 409, "illegal_transition", "status"),
        ({"headline": "x" * 161}, 422, "invalid_input", "headline"),
        ({"text": "x" * 2001}, 422, "invalid_input", "text"),
        ({"expires_at": "2026-03-01T11:00:00Z"}, 422, "invalid_input", "expires_at"),
        ({"expires_at": "2026-03-01T13:00:00"}, 422, "invalid_input", "expires_at"),
        ({"phase": "ended"}, 422, "invalid_input", "phase"),
        ({"version": "one"}, 422, "invalid_input", "version"),
    ],
)
async def test_a_bad_patch_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    patch: Json,
    status: int,
    code: str,
    field: str,
) -> None:
    alert = await raise_alert(client, admin)
    seq = await last_seq(client)
    response = await client.patch(f"/v1/alerts/{alert['id']}", json=patch, headers=admin)
    assert problem_of(response, status, code)["field"] == field
    assert await last_seq(client) == seq
    assert (await client.get(f"/v1/alerts/{alert['id']}")).json() == alert


# --- lifecycle -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "body", "phase", "message"),
    [
        ("end", None, "ended", None),
        ("cancel", None, "cancelled", None),
        ("cancel", {}, "cancelled", None),
        (
            "cancel",
            {"message": "False alarm: a test signal went out."},
            "cancelled",
            "False alarm: a test signal went out.",
        ),
    ],
)
async def test_end_and_cancel_close_the_alert(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    clock: ManualClock,
    action: str,
    body: Json | None,
    phase: str,
    message: str | None,
) -> None:
    alert = await raise_alert(client, admin)
    clock.advance(600)
    seq = await last_seq(client)
    response = await client.post(f"/v1/alerts/{alert['id']}/{action}", json=body, headers=admin)
    assert response.status_code == 200, response.text
    closed = response.json()
    assert (closed["phase"], closed["version"]) == (phase, 2)
    assert closed["ended_at"] == "2026-03-01T12:10:00Z"
    assert closed["cancel_message"] == message
    [event] = await events_since(client, seq)
    assert event["type"] == f"alert.{phase}"
    assert event["changes"] == {"phase": {"from": "active", "to": phase}}
    assert (await client.get("/v1/alerts/active")).json()["alerts"] == []


async def test_a_pre_alert_is_activated(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> None:
    alert = await raise_alert(client, admin, pre_alert=True)
    clock.advance(90)
    response = await client.post(f"/v1/alerts/{alert['id']}/activate", headers=admin)
    assert response.status_code == 200
    active = response.json()
    assert (active["phase"], active["version"]) == ("active", 2)
    assert active["activated_at"] == "2026-03-01T12:01:30Z"
    assert active["raised_at"] == "2026-03-01T12:00:00Z"


@pytest.mark.parametrize("pre_alert", [True, False])
@pytest.mark.parametrize("close", ["end", "cancel"])
@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("POST", "end", None),
        ("POST", "cancel", None),
        ("POST", "activate", None),
        ("PATCH", "", {"threat": "uav"}),
    ],
)
async def test_a_closed_alert_refuses_every_transition(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    pre_alert: bool,
    close: str,
    method: str,
    action: str,
    body: Json | None,
) -> None:
    alert = await raise_alert(client, admin, pre_alert=pre_alert)
    url = f"/v1/alerts/{alert['id']}"
    closed = (await client.post(f"{url}/{close}", headers=admin)).json()
    seq = await last_seq(client)
    target = f"{url}/{action}" if action else url
    response = await client.request(method, target, json=body, headers=admin)
    problem = problem_of(response, 409, "illegal_transition")
    assert problem["field"] == "phase"
    assert closed["phase"] in problem["detail"]
    assert await last_seq(client) == seq
    assert (await client.get(url)).json() == closed


async def test_an_active_alert_cannot_be_activated_again(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    alert = await raise_alert(client, admin)
    response = await client.post(f"/v1/alerts/{alert['id']}/activate", headers=admin)
    assert problem_of(response, 409, "illegal_transition")["field"] == "phase"


@pytest.mark.parametrize("action", ["end", "cancel", "activate"])
async def test_commands_on_an_unknown_alert_are_404(
    client: httpx.AsyncClient, admin: dict[str, str], action: str
) -> None:
    response = await client.post(f"/v1/alerts/no-such-alert/{action}", headers=admin)
    assert problem_of(response, 404, "not_found")["field"] == "id"


# --- active alerts ---------------------------------------------------------------------------


async def scene(client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock) -> Json:
    """Five open alerts and one ended, a minute apart; returns names → ids and places."""
    places = {
        "hromada": await hromada(client, "UA-63"),
        "elsewhere": await hromada(client, "UA-63", 1),
    }
    specs: dict[str, Json] = {
        "oblast": {"threat": "missile", "regions": ["UA-63"]},
        "border": {"threat": "uav", "regions": ["RU-BEL"]},
        "drill": {"threat": "air", "regions": ["UA-32"], "status": "exercise"},
        "early": {"threat": "artillery", "regions": ["UA-30"], "pre_alert": True},
        "local": {"threat": "air", "regions": [places["hromada"]]},
        "over": {"threat": "missile", "regions": ["UA-65"]},
    }
    ids = {}
    for name, body in specs.items():
        ids[name] = (await raise_alert(client, admin, **body))["id"]
        clock.advance(60)
    assert (await client.post(f"/v1/alerts/{ids['over']}/end", headers=admin)).status_code == 200
    return {"ids": ids, "places": places}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["oblast", "border", "early", "local"]),
        ({"region": "UA"}, ["oblast", "early", "local"]),
        ({"region": "UA-63"}, ["oblast", "local"]),
        ({"region": "{hromada}"}, ["oblast", "local"]),
        ({"region": "{elsewhere}"}, ["oblast"]),
        ({"region": "UA-65"}, []),
        ({"region": "RU"}, ["border"]),
        ({"region": "RU-BEL"}, ["border"]),
        ({"region": "UA-32"}, []),
        ({"region": "UA-32", "status": "exercise"}, ["drill"]),
        ({"region": "UA-32", "status": "all"}, ["drill"]),
        ({"status": "all"}, ["oblast", "border", "drill", "early", "local"]),
        ({"status": "exercise,test"}, ["drill"]),
        ({"status": "test"}, []),
        ({"status": "actual, exercise"}, ["oblast", "border", "drill", "early", "local"]),
        ({"threat": "missile,uav"}, ["oblast", "border"]),
        ({"threat": "air"}, ["local"]),
        ({"threat": "air", "status": "all"}, ["drill", "local"]),
        ({"point": KHARKIV_CITY}, ["oblast"]),
        ({"point": BELGOROD}, ["border"]),
        ({"point": "0,0"}, []),
        ({"phase": "pre_alert"}, ["early"]),
        ({"phase": "active"}, ["oblast", "border", "local"]),
        ({"region": "UA-63", "threat": "air"}, ["local"]),
        ({"region": "UA", "phase": "pre_alert"}, ["early"]),
    ],
)
async def test_active_alerts_filtered(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    clock: ManualClock,
    query: dict[str, str],
    expected: list[str],
) -> None:
    setup = await scene(client, admin, clock)
    params = {key: value.format(**setup["places"]) for key, value in query.items()}
    response = await client.get("/v1/alerts/active", params=params)
    assert response.status_code == 200, response.text
    names = {alert_id: name for name, alert_id in setup["ids"].items()}
    assert [names[a["id"]] for a in response.json()["alerts"]] == expected


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"region": "UA-99"}, "unknown_region", "region"),
        ({"threat": "missile,meteor"}, "unknown_threat", "threat"),
        ({"threat": ","}, "invalid_input", "threat"),
        ({"status": "draft"}, "invalid_input", "status"),
        ({"status": ""}, "invalid_input", "status"),
        ({"phase": "over"}, "invalid_input", "phase"),
        ({"point": "49.99"}, "invalid_input", "point"),
        ({"point": "north,east"}, "invalid_input", "point"),
        ({"point": "91,36"}, "invalid_input", "point"),
        ({"point": "49,181"}, "invalid_input", "point"),
        ({"point": "nan,nan"}, "invalid_input", "point"),
    ],
)
async def test_bad_active_filters_are_422(
    client: httpx.AsyncClient, query: dict[str, str], code: str, field: str
) -> None:
    response = await client.get("/v1/alerts/active", params=query)
    assert problem_of(response, 422, code)["field"] == field


async def test_active_alerts_carry_an_etag_that_changes_with_them(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    first = await client.get("/v1/alerts/active")
    etag = first.headers["ETag"]
    assert first.json() == {"alerts": []}
    assert "Accept-Language" in first.headers["Vary"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}'):
        cached = await client.get("/v1/alerts/active", headers={"If-None-Match": sent})
        assert cached.status_code == 304
        assert cached.content == b""
        assert cached.headers["ETag"] == etag
    await raise_alert(client, admin)
    fresh = await client.get("/v1/alerts/active", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != etag
    assert len(fresh.json()["alerts"]) == 1


async def test_the_etag_differs_by_language(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await raise_alert(client, admin)
    english = await client.get("/v1/alerts/active", params={"lang": "en"})
    ukrainian = await client.get("/v1/alerts/active", params={"lang": "uk"})
    assert english.headers["ETag"] != ukrainian.headers["ETag"]


# --- one alert -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alert_id", ["no-such-alert", "00000000-0000-4000-8000-000000000000", "x" * 300]
)
async def test_an_unknown_alert_is_404(client: httpx.AsyncClient, alert_id: str) -> None:
    response = await client.get(f"/v1/alerts/{alert_id}")
    assert problem_of(response, 404, "not_found")["field"] == "id"


# --- history ---------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [0, 1, 3600])
async def test_history_pages_give_every_alert_once_newest_first(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock, step: int
) -> None:
    raised = []
    for index in range(25):
        alert = await raise_alert(client, admin, threat=("missile", "uav")[index % 2])
        raised.append(alert)
        clock.advance(step)
    seen: list[Json] = []
    sizes = []
    params: dict[str, Any] = {"limit": 10}
    while True:
        page = await client.get("/v1/alerts", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += body["alerts"]
        sizes.append(len(body["alerts"]))
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert sizes == [10, 10, 5]
    assert sorted(a["id"] for a in seen) == sorted(a["id"] for a in raised)
    order = [(a["raised_at"], a["id"]) for a in seen]
    assert order == sorted(order, reverse=True)
    if step:
        assert [a["id"] for a in seen] == [a["id"] for a in reversed(raised)]


async def test_history_ends_with_a_null_cursor_when_pages_divide_evenly(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> None:
    for _ in range(4):
        await raise_alert(client, admin)
        clock.advance(1)
    first = (await client.get("/v1/alerts", params={"limit": 2})).json()
    params = {"limit": 2, "cursor": first["next_cursor"]}
    second = (await client.get("/v1/alerts", params=params)).json()
    assert len(second["alerts"]) == 2
    if second["next_cursor"] is not None:
        last = await client.get("/v1/alerts", params={"limit": 2, "cursor": second["next_cursor"]})
        assert last.json() == {"alerts": [], "next_cursor": None}


async def history_scene(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> dict[str, str]:
    """12:00 early (ended 12:30), 13:00 border, 14:00 drill (cancelled 14:10), 15:00 late."""
    ids = {}
    ids["early"] = (await raise_alert(client, admin))["id"]
    clock.advance(1800)
    await client.post(f"/v1/alerts/{ids['early']}/end", headers=admin)
    clock.advance(1800)
    ids["border"] = (await raise_alert(client, admin, threat="uav", regions=["RU-BEL"]))["id"]
    clock.advance(3600)
    ids["drill"] = (
        await raise_alert(client, admin, threat="air", regions=["UA-32"], status="exercise")
    )["id"]
    clock.advance(600)
    await client.post(f"/v1/alerts/{ids['drill']}/cancel", headers=admin)
    clock.advance(3000)
    ids["late"] = (
        await raise_alert(client, admin, regions=[await hromada(client, "UA-63")], pre_alert=True)
    )["id"]
    return ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["late", "drill", "border", "early"]),
        ({"since": "2026-03-01T12:45:00Z"}, ["late", "drill", "border"]),
        ({"since": "2026-03-01T12:29:00Z"}, ["late", "drill", "border", "early"]),
        ({"since": "2026-03-01T14:29:00+02:00"}, ["late", "drill", "border", "early"]),
        ({"since": "2026-03-01T14:31:00+02:00"}, ["late", "drill", "border"]),
        ({"until": "2026-03-01T13:00:00Z"}, ["early"]),
        ({"since": "2026-03-01T13:30:00Z", "until": "2026-03-01T14:30:00Z"}, ["drill", "border"]),
        ({"since": "2026-03-01T14:20:00Z"}, ["late", "border"]),
        ({"region": "UA-63"}, ["late", "early"]),
        ({"region": "UA"}, ["late", "drill", "early"]),
        ({"region": "RU-BEL"}, ["border"]),
        ({"threat": "missile"}, ["late", "early"]),
        ({"status": "exercise"}, ["drill"]),
        ({"status": "actual"}, ["late", "border", "early"]),
        ({"phase": "cancelled"}, ["drill"]),
        ({"phase": "pre_alert"}, ["late"]),
        ({"phase": "ended", "region": "UA-63"}, ["early"]),
    ],
)
async def test_history_filters(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    clock: ManualClock,
    query: dict[str, str],
    expected: list[str],
) -> None:
    ids = await history_scene(client, admin, clock)
    response = await client.get("/v1/alerts", params=query)
    assert response.status_code == 200, response.text
    names = {alert_id: name for name, alert_id in ids.items()}
    assert [names[a["id"]] for a in response.json()["alerts"]] == expected


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        (
            {"since": "2026-03-01T13:00:00Z", "until": "2026-03-01T13:00:00Z"},
            "invalid_input",
            "until",
        ),
        (
            {"since": "2026-03-01T13:00:00Z", "until": "2026-03-01T12:00:00Z"},
            "invalid_input",
            "until",
        ),
        ({"since": "2026-03-01T13:00:00"}, "invalid_input", "since"),
        ({"since": "yesterday"}, "invalid_input", "since"),
        ({"until": "0001-01-01T00:00:00+05:00"}, "invalid_input", "until"),
        ({"region": "UA-99"}, "unknown_region", "region"),
        ({"threat": "meteor"}, "unknown_threat", "threat"),
        ({"status": "all"}, "invalid_input", "status"),
        ({"phase": "over"}, "invalid_input", "phase"),
        ({"limit": "0"}, "invalid_input", "limit"),
        ({"limit": "501"}, "invalid_input", "limit"),
        ({"cursor": "not-a-cursor"}, "invalid_input", "cursor"),
        ({"cursor": "!!!"}, "invalid_input", "cursor"),
        ({"cursor": "MjAyNi0wMy0wMVQxMjowMDowMHxhYmM"}, "invalid_input", "cursor"),  # naive
        ({"cursor": "MjAyNi0wMy0wMVQxMjowMDowMCswMDowMHxhAA"}, "invalid_input", "cursor"),  # NUL
        ({"cursor": "MDAwMS0wMS0wMVQwMDowMDowMCswNTowMHxh"}, "invalid_input", "cursor"),  # year 0
    ],
)
async def test_bad_history_queries_are_422(
    client: httpx.AsyncClient, query: dict[str, str], code: str, field: str
) -> None:
    response = await client.get("/v1/alerts", params=query)
    assert problem_of(response, 422, code)["field"] == field


# --- what residents read ---------------------------------------------------------------------

LANGUAGES = [
    ({"params": {"lang": "uk"}}, "uk", "Ракетна небезпека!", "Харківська область"),
    ({"headers": {"Accept-Language": "uk"}}, "uk", "Ракетна небезпека!", "Харківська область"),
    (
        {"headers": {"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"}},
        "uk",
        "Ракетна небезпека!",
        "Харківська область",
    ),
    (
        {"headers": {"Accept-Language": "de-DE, ru;q=0.5"}},
        "ru",
        "Ракетная опасность!",
        "Харьковская область",
    ),
    (
        {"params": {"lang": "en"}, "headers": {"Accept-Language": "uk"}},
        "en",
        "Rocket Danger!",
        "Kharkiv Oblast",
    ),
    ({}, "en", "Rocket Danger!", "Kharkiv Oblast"),
    ({"params": {"lang": "de"}}, "en", "Rocket Danger!", "Kharkiv Oblast"),
    ({"headers": {"Accept-Language": "*"}}, "en", "Rocket Danger!", "Kharkiv Oblast"),
]


async def read_all(client: httpx.AsyncClient, alert_id: str, how: Json) -> list[Json]:
    """The alert as every read endpoint shows it."""
    one = (await client.get(f"/v1/alerts/{alert_id}", **how)).json()
    active = (await client.get("/v1/alerts/active", **how)).json()["alerts"]
    params = {**how.get("params", {}), "status": "all"}
    everywhere = (await client.get("/v1/alerts/active", **{**how, "params": params})).json()
    history = (await client.get("/v1/alerts", **how)).json()["alerts"]
    return [one, *active, *everywhere["alerts"], *history]


@pytest.mark.parametrize(("how", "lang", "signal", "region"), LANGUAGES)
async def test_every_read_speaks_the_residents_language(
    client: httpx.AsyncClient,
    tocsin: Tocsin,
    admin: dict[str, str],
    how: Json,
    lang: str,
    signal: str,
    region: str,
) -> None:
    raised = await client.post(
        "/v1/alerts",
        json={"threat": "missile", "regions": ["UA-63", "RU-BEL"]},
        headers={**admin, **how.get("headers", {})},
        params=how.get("params"),
    )
    views = [raised.json(), *await read_all(client, raised.json()["id"], how)]
    missile = tocsin.catalogue["missile"]
    assert len(views) == 5
    for view in views:
        assert view["lang"] == lang
        assert view["signal"] == signal
        assert view["marker"] is None
        assert view["threat"]["signal"] == signal
        assert view["threat"]["name"] == missile.name(lang)
        assert view["threat"]["instructions"] == missile.instruction(lang)
        assert view["threat"]["instructions"]
        assert view["threat"]["measures"] == list(missile.measures_in(lang))
        assert view["threat"]["measures"]
        [kharkiv, belgorod] = view["regions"]
        assert (kharkiv["code"], kharkiv["name"]) == ("UA-63", region)
        assert belgorod["code"] == "RU-BEL"
        for place in view["regions"]:
            assert set(place) >= {"code", "name", "level", "parent", "time_to_shelter"}


@pytest.mark.parametrize(
    ("status", "lang", "marker", "signal"),
    [
        ("exercise", "en", "EXERCISE", "EXERCISE: Rocket Danger!"),
        ("exercise", "uk", "НАВЧАННЯ", "НАВЧАННЯ: Ракетна небезпека!"),
        ("exercise", "ru", "УЧЕНИЯ", "УЧЕНИЯ: Ракетная опасность!"),
        ("test", "en", "TEST", "TEST: Rocket Danger!"),
        ("test", "uk", "ТЕСТ", "ТЕСТ: Ракетна небезпека!"),
        ("actual", "uk", None, "Ракетна небезпека!"),
    ],
)
async def test_exercises_and_tests_are_marked_everywhere(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    status: str,
    lang: str,
    marker: str | None,
    signal: str,
) -> None:
    alert = await raise_alert(client, admin, status=status)
    views = await read_all(client, alert["id"], {"params": {"lang": lang}})
    assert len(views) == (3 if status != "actual" else 4)
    for view in views:
        assert (view["status"], view["marker"], view["signal"]) == (status, marker, signal)


async def test_history_holds_alerts_long_closed(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> None:
    alert = await raise_alert(client, admin)
    clock.advance(timedelta(days=30).total_seconds())
    await client.post(f"/v1/alerts/{alert['id']}/end", headers=admin)
    clock.advance(timedelta(days=365).total_seconds())
    history = (await client.get("/v1/alerts", params={"since": START.isoformat()})).json()
    assert [a["id"] for a in history["alerts"]] == [alert["id"]]
    assert history["alerts"][0]["ended_at"] == "2026-03-31T12:00:00Z"

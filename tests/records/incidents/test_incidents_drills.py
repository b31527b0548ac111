"""Exercise and test incidents through /v1/incidents: marked everywhere, left out of the list,
statistics and exports unless asked for, never changing mode; and a console session that
records and changes only incidents of its own mode (tokens have no mode)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
import pytest

from conftest import bearer
from tocsin.api.deps import SESSION_COOKIE
from tocsin.bootstrap import Tocsin

pytest_plugins = ("incident_support",)  # the `incidents` and `api` fixtures
Json = dict[str, Any]
PASSWORD = "correct horse battery"
INCIDENT = {"regions": ["UA-63"], "threats": ["missile"], "start": "2026-03-01T01:30:00Z"}
CLAIM = {"measure": "injured", "value": 2, "source": {"name": "OVA"}}


async def record(
    api: httpx.AsyncClient, headers: dict[str, str], mode: str | None, **fields: Any
) -> Json:
    body = {**INCIDENT, **fields, **({"mode": mode} if mode else {})}
    made = await api.post("/v1/incidents", json=body, headers=headers)
    assert made.status_code == 201, made.text
    answer: Json = made.json()
    return answer


async def ids(api: httpx.AsyncClient, path: str = "/v1/incidents", **params: Any) -> list[str]:
    answer = await api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return [i["id"] for i in answer.json()["incidents"]]


async def console(tocsin: Tocsin, username: str, mode: str, *regions: str) -> dict[str, str]:
    """Headers of a signed-in console session (cookie and CSRF token) in `mode`."""
    await tocsin.accounts.create(username, PASSWORD, "operator", regions or ["UA-63"])
    secret, session = await tocsin.accounts.login(username, PASSWORD, "127.0.0.1")
    await tocsin.accounts.set_mode(secret, mode)
    return {"Cookie": f"{SESSION_COOKIE}={secret}", "X-CSRF-Token": session.csrf}


async def snapshot(tocsin: Tocsin, api: httpx.AsyncClient, incident_id: str) -> tuple[Any, ...]:
    """What a refused command must leave as it was: the log, the audit trail, the incident."""
    incident = (await api.get(f"/v1/incidents/{incident_id}")).json()
    audit = await tocsin.store.audit_entries()
    return await tocsin.store.last_seq(), len(audit), incident


@pytest.fixture
async def admin(api: httpx.AsyncClient, tocsin: Tocsin) -> dict[str, str]:
    return await bearer(tocsin, "admin")


async def test_drills_are_marked_and_left_out_unless_asked_for(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    tocsin.incidents.publish_delay = timedelta(0)
    real = await record(api, admin, None, title="Strike")
    await api.post(f"/v1/incidents/{real['id']}/publish", headers=admin)  # the public sees it
    drill = await record(api, admin, "exercise", title="Drill", start="2026-03-01T02:00:00Z")
    test = await record(api, admin, "test", title="Test", start="2026-03-01T03:00:00Z")
    assert (real["mode"], real["status"], real["marker"]) == ("actual", "open", None)
    assert (drill["mode"], drill["status"], drill["marker"]) == ("exercise", "open", "EXERCISE")
    assert (test["mode"], test["marker"]) == ("test", "TEST")
    assert "state" not in drill and "state_name" not in drill
    uk = (await api.get(f"/v1/incidents/{drill['id']}", params={"lang": "uk"})).json()
    assert (uk["marker"], uk["status_name"]) == ("НАВЧАННЯ", "Відкрито")
    for params, expected in (
        ({}, [real]),
        ({"mode": "actual"}, [real]),
        ({"mode": "exercise"}, [drill]),
        ({"mode": "exercise,test"}, [test, drill]),
        ({"mode": "all"}, [test, drill, real]),
        ({"mode": "all", "status": "open", "region": "UA-63"}, [test, drill, real]),
        ({"mode": "all", "status": "closed"}, []),
    ):
        assert await ids(api, **params) == [i["id"] for i in expected], params
        exported = await ids(api, "/v1/incidents/export.json", **params)
        assert exported == [i["id"] for i in reversed(expected)], params
    await api.post(f"/v1/incidents/{drill['id']}/claims", json=CLAIM, headers=admin)
    stats = (await api.get("/v1/incidents/stats", params={"confirmed_only": "false"})).json()
    assert (stats["incidents"], stats["casualties"]["injured"]["based_on"]) == (1, 0)
    drills = (
        await api.get("/v1/incidents/stats", params={"mode": "exercise", "confirmed_only": "false"})
    ).json()
    assert (drills["incidents"], drills["open"], drills["closed"]) == (1, 1, 0)
    assert (drills["casualties"]["injured"]["value"], drills["mode"]) == (2, "exercise")
    rows = list(
        csv.DictReader(
            io.StringIO((await api.get("/v1/incidents/export.csv", params={"mode": "all"})).text)
        )
    )
    assert [r["notes"].split(". ")[0] for r in rows] == ["Strike", "EXERCISE", "TEST"]
    plain = (await api.get("/v1/incidents/export.csv")).text
    assert "Drill" not in plain and "Strike" in plain


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"mode": "drill"}, "mode"),
        ({"mode": ""}, "mode"),
        ({"mode": "open"}, "mode"),
        ({"status": "exercise"}, "status"),
        ({"status": "actual"}, "status"),
    ],
)
async def test_bad_filters_name_their_parameter(
    api: httpx.AsyncClient, params: Json, field: str
) -> None:
    for path in ("/v1/incidents", "/v1/incidents/export.json", "/v1/incidents/export.csv"):
        refused = await api.get(path, params=params)
        assert (refused.status_code, refused.json()["field"]) == (422, field), path


async def test_the_mode_is_fixed_when_recorded(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    drill = await record(api, admin, "exercise")
    before = await snapshot(tocsin, api, drill["id"])
    for body, field in (
        ({"mode": "actual"}, "mode"),
        ({"title": "x", "mode": "test"}, "mode"),
        ({"status": "closed"}, "status"),
    ):
        refused = await api.patch(f"/v1/incidents/{drill['id']}", json=body, headers=admin)
        assert (refused.status_code, refused.json()["field"]) == (422, field)
    for body, field in (({"mode": "drill"}, "mode"), ({"status": "exercise"}, "status")):
        bad = await api.post("/v1/incidents", json={**INCIDENT, **body}, headers=admin)
        assert (bad.status_code, bad.json()["field"]) == (422, field)
    assert await snapshot(tocsin, api, drill["id"]) == before
    closed = (await api.post(f"/v1/incidents/{drill['id']}/close", headers=admin)).json()
    reopened = (await api.post(f"/v1/incidents/{drill['id']}/reopen", headers=admin)).json()
    assert [(i["status"], i["mode"]) for i in (closed, reopened)] == [
        ("closed", "exercise"),
        ("open", "exercise"),
    ]
    timeline = (await api.get(f"/v1/incidents/{drill['id']}/timeline")).json()
    created = timeline["events"][0]["incident"]
    assert (created["status"], created["mode"]) == ("open", "exercise")
    assert [e["changes"]["status"] for e in timeline["events"][-2:]] == [
        {"from": "open", "to": "closed"},
        {"from": "closed", "to": "open"},
    ]


async def test_a_session_records_only_incidents_of_its_mode(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    drilling = await console(tocsin, "ivan", "exercise")
    seq = await tocsin.store.last_seq()
    for mode in (None, "actual", "test"):
        refused = await api.post(
            "/v1/incidents",
            headers=drilling,
            json={**INCIDENT, **({"mode": mode} if mode else {})},
        )
        assert (refused.status_code, refused.json()["field"]) == (403, "mode"), mode
        assert "exercise mode" in refused.json()["detail"]
    assert await tocsin.store.last_seq() == seq
    assert await ids(api, mode="all") == []
    drill = await record(api, drilling, "exercise")
    assert drill["created_by"] == "ivan"
    unsigned = await api.post(
        "/v1/incidents",
        json={**INCIDENT, "mode": "exercise"},
        headers={"Cookie": drilling["Cookie"]},
    )
    assert (unsigned.status_code, unsigned.json()["field"]) == (403, "X-CSRF-Token")


def commands(incident_id: str, claim_id: str) -> list[tuple[str, str, Json | None]]:
    """Every command that changes an incident, as (method, path, body)."""
    base = f"/v1/incidents/{incident_id}"
    return [
        ("POST", f"{base}/claims", CLAIM),
        ("POST", f"{base}/claims/{claim_id}/verify", None),
        ("POST", f"{base}/claims/{claim_id}/dispute", None),
        ("POST", f"{base}/claims/{claim_id}/retract", {"note": "wrong"}),
        ("POST", f"{base}/responses", {"kind": "evacuation", "people": 5}),
        ("PATCH", base, {"title": "renamed"}),
        ("POST", f"{base}/alerts", {"alerts": ["nope"]}),
        ("POST", f"{base}/close", None),
    ]


@pytest.mark.parametrize("mode", ["actual", "test"])
async def test_a_session_changes_only_incidents_of_its_mode(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin, mode: str
) -> None:
    drill = await record(api, admin, "exercise")
    claim = (
        await api.post(f"/v1/incidents/{drill['id']}/claims", json=CLAIM, headers=admin)
    ).json()
    other = await console(tocsin, "olena", mode)
    before = await snapshot(tocsin, api, drill["id"])
    for method, path, body in commands(drill["id"], claim["id"]):
        refused = await api.request(method, path, json=body, headers=other)
        assert (refused.status_code, refused.json()["field"]) == (403, "mode"), path
        assert f"in {mode} mode" in refused.json()["detail"]
    assert await snapshot(tocsin, api, drill["id"]) == before
    await api.post(f"/v1/incidents/{drill['id']}/close", headers=admin)
    reopen = await api.post(f"/v1/incidents/{drill['id']}/reopen", headers=other)
    assert (reopen.status_code, reopen.json()["field"]) == (403, "mode")


async def test_a_session_in_the_same_mode_and_tokens_change_anything(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    drilling = await console(tocsin, "ivan", "exercise")
    operator = await bearer(tocsin, "operator", "UA-63")
    for mode, headers in (("exercise", drilling), ("exercise", operator), (None, operator)):
        incident = await record(api, admin, mode)
        claim = await api.post(
            f"/v1/incidents/{incident['id']}/claims", json=CLAIM, headers=headers
        )
        assert claim.status_code == 201, claim.text
        for method, path, body in commands(incident["id"], claim.json()["id"])[1:]:
            done = await api.request(method, path, json=body, headers=headers)
            expected = 422 if path.endswith("/alerts") else 201 if body and "kind" in body else 200
            assert done.status_code == expected, (path, done.text)
        closed = (await api.get(f"/v1/incidents/{incident['id']}", headers=admin)).json()
        assert (closed["status"], closed["title"]) == ("closed", "renamed")

"""/v1/sirens: register, list, show, remove; who may; faults as the API shows them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tocsin.api import sirens
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.channels.sirens.health import Health, Limits
from tocsin.service.ports import ManualClock
from tocsin.storage.siren_store import SirenStore

Json = dict[str, Any]


async def bearer(tocsin: Tocsin, role: str = "admin", *regions: str) -> dict[str, str]:
    """Authorization headers for a new token."""
    new = await tocsin.tokens.create(role, regions, name=f"test-{role}")
    return {"Authorization": f"Bearer {new.secret}"}


HROMADA = "UA-63-H1272"


@pytest.fixture
async def api(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(tocsin.settings)
    app.include_router(sirens.router)
    app.state.tocsin = tocsin
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as http:
        yield http


async def register(
    api: httpx.AsyncClient, headers: dict[str, str], siren: str, region: str, **body: Any
) -> Json:
    response = await api.post(
        "/v1/sirens", json={"id": siren, "region": region, **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    found: Json = response.json()
    return found


def problem_of(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code
    return body


async def test_register_show_list_and_remove(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await api.post(
        "/v1/sirens",
        json={"id": "kh-1", "region": "UA-63", "name": " Freedom Square "},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/sirens/kh-1"
    assert response.json() == {
        "id": "kh-1", "region": "UA-63", "name": "Freedom Square",
        "registered_at": "2026-03-01T12:00:00Z", "state": "unknown", "fault_reason": None,
        "last_heartbeat_at": None, "last_command_seq": None, "last_command_at": None,
        "last_ack_seq": None, "last_ack_at": None,
    }  # fmt: skip
    await register(api, admin, "kh-2", HROMADA)
    await register(api, admin, "ky-1", "UA-30")
    shown = await api.get("/v1/sirens/kh-2", headers=admin)
    assert shown.json()["name"] == "kh-2"  # the id, when no name is given
    listed = (await api.get("/v1/sirens", headers=admin)).json()
    assert [s["id"] for s in listed["sirens"]] == ["kh-1", "kh-2", "ky-1"]
    assert (listed["count"], listed["faulty"]) == (3, 0)
    in_oblast = (await api.get("/v1/sirens", params={"region": "UA-63"}, headers=admin)).json()
    assert [s["id"] for s in in_oblast["sirens"]] == ["kh-1", "kh-2"]  # with the hromada's
    assert (await api.delete("/v1/sirens/kh-1", headers=admin)).status_code == 204
    problem_of(await api.get("/v1/sirens/kh-1", headers=admin), 404, "not_found")
    problem_of(await api.delete("/v1/sirens/kh-1", headers=admin), 404, "not_found")


async def test_each_change_is_an_event(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    await register(api, admin, "kh-1", "UA-63")
    await api.delete("/v1/sirens/kh-1", headers=admin)
    events = [e for e in await tocsin.store.events_after(0, 1000) if e.type.startswith("siren.")]
    assert [(e.type, e.data["siren"]["id"], e.alert_id) for e in events] == [
        ("siren.registered", "kh-1", None),
        ("siren.removed", "kh-1", None),
    ]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"id": "kh 1", "region": "UA-63"}, 422, "invalid_input", "id"),
        ({"id": "k" * 65, "region": "UA-63"}, 422, "invalid_input", "id"),
        ({"id": "kh/1", "region": "UA-63"}, 422, "invalid_input", "id"),
        ({"id": "kh-1", "region": "XX-1"}, 422, "unknown_region", "region"),
        ({"id": "kh-1"}, 422, "invalid_input", "region"),
        ({"id": "kh-1", "region": "UA-63", "name": "n" * 201}, 422, "invalid_input", "name"),
        ({"id": "kh-1", "region": "UA-63", "colour": "red"}, 422, "invalid_input", "colour"),
    ],
)
async def test_bad_registrations_are_refused_with_the_field(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    tocsin: Tocsin,
    body: Json,
    status: int,
    code: str,
    field: str,
) -> None:
    before = await tocsin.store.last_seq()
    found = problem_of(await api.post("/v1/sirens", json=body, headers=admin), status, code)
    assert found["field"] == field
    assert await tocsin.store.last_seq() == before  # a refused command changes nothing


async def test_an_id_is_registered_once(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await register(api, admin, "kh-1", "UA-63")
    response = await api.post("/v1/sirens", json={"id": "kh-1", "region": "UA-30"}, headers=admin)
    assert problem_of(response, 409, "siren_exists")["field"] == "id"


async def test_writes_need_the_admin_role_and_reads_a_token(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    operator = await bearer(tocsin, "operator", "UA-63")
    viewer = await bearer(tocsin, "viewer")
    body = {"id": "kh-1", "region": "UA-63"}
    problem_of(await api.post("/v1/sirens", json=body), 401, "unauthorized")
    problem_of(await api.post("/v1/sirens", json=body, headers=operator), 403, "forbidden")
    await register(api, admin, "kh-1", "UA-63")
    problem_of(await api.delete("/v1/sirens/kh-1", headers=viewer), 403, "forbidden")
    problem_of(await api.get("/v1/sirens"), 401, "unauthorized")
    assert (await api.get("/v1/sirens", headers=viewer)).json()["count"] == 1
    assert (await api.get("/v1/sirens/kh-1", headers=viewer)).status_code == 200


async def test_faulty_sirens_show_their_reason(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin, clock: ManualClock
) -> None:
    await register(api, admin, "kh-1", "UA-63")
    await register(api, admin, "kh-2", HROMADA)
    health = Health(SirenStore(tocsin.store.engine), tocsin.facts, tocsin.clock, Limits(10, 90))
    await health.sirens.record_heartbeat("kh-2", clock.advance(60))
    clock.advance(31)
    await health.check_all()
    listed = (await api.get("/v1/sirens", headers=admin)).json()
    assert (listed["count"], listed["faulty"]) == (2, 1)
    [faulty] = (await api.get("/v1/sirens", params={"state": "faulty"}, headers=admin)).json()[
        "sirens"
    ]
    assert faulty["id"] == "kh-1"
    assert faulty["fault_reason"] == "no heartbeat since registration (limit 90 s)"
    ok = (await api.get("/v1/sirens/kh-2", headers=admin)).json()
    assert (ok["state"], ok["last_heartbeat_at"]) == ("ok", "2026-03-01T12:01:00Z")
    events = (await api.get("/v1/events", params={"after": 0, "limit": 1000})).json()["events"]
    [event] = [e for e in events if e["type"] == "siren.faulty"]
    assert event["siren"] == {"id": "kh-1", "region": "UA-63", "name": "kh-1"}
    assert event["reason"] == faulty["fault_reason"]


async def test_a_bad_state_filter_is_refused(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await api.get("/v1/sirens", params={"state": "broken"}, headers=admin)
    assert problem_of(response, 422, "invalid_input")["field"] == "state"
    response = await api.get("/v1/sirens", params={"region": "XX"}, headers=admin)
    assert problem_of(response, 422, "unknown_region")["field"] == "region"

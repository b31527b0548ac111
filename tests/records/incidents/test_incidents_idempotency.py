"""Idempotency keys on recording an incident and adding a claim (SQLite and PostgreSQL): a retry
answers what the first request made and writes nothing; the same key with another request is
refused and writes nothing; a refused request does not use up its key."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from conftest import bearer
from tocsin.bootstrap import Tocsin
from tocsin.records.storage import incident_store as db
from tocsin.storage import tables as t

pytest_plugins = ("incident_support",)  # the `incidents` and `api` fixtures
Json = dict[str, Any]
INCIDENT = {
    "regions": ["UA-63"],
    "threats": ["missile"],
    "start": "2026-03-01T01:30:00Z",
    "title": "Night attack",
}
CLAIM = {"measure": "injured", "value": 2, "source": {"name": "OVA", "kind": "official"}}


@pytest.fixture
async def admin(api: httpx.AsyncClient, tocsin: Tocsin) -> dict[str, str]:
    return await bearer(tocsin, "admin")


def keyed(key: str, where: str, headers: dict[str, str], body: Json) -> tuple[Json, Json]:
    if where == "header":
        return {**headers, "Idempotency-Key": key}, body
    return headers, {**body, "idempotency_key": key}


async def written(tocsin: Tocsin) -> tuple[int, ...]:
    """Everything a command writes: the log, the audit trail, incident rows, claims, keys."""
    async with tocsin.store.engine.connect() as conn:
        counts = []
        for table in (db.incidents, db.claims, db.incident_log, t.idempotency):
            rows = await conn.execute(table.select())
            counts.append(len(rows.all()))
    return (await tocsin.store.last_seq(), len(await tocsin.store.audit_entries()), *counts)


async def new_incident(api: httpx.AsyncClient, admin: dict[str, str]) -> str:
    made = await api.post("/v1/incidents", json=INCIDENT, headers=admin)
    assert made.status_code == 201, made.text
    incident_id: str = made.json()["id"]
    return incident_id


def paths(incident_id: str) -> dict[str, tuple[str, Json]]:
    return {
        "incident": ("/v1/incidents", INCIDENT),
        "claim": (f"/v1/incidents/{incident_id}/claims", CLAIM),
    }


@pytest.mark.parametrize("where", ["header", "body"])
@pytest.mark.parametrize("what", ["incident", "claim"])
async def test_a_retry_answers_what_the_first_request_made(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin, what: str, where: str
) -> None:
    path, body = paths(await new_incident(api, admin))[what]
    headers, body = keyed("k-1", where, admin, body)
    first = await api.post(path, json=body, headers=headers)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    before = await written(tocsin)
    again = await api.post(path, json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert await written(tocsin) == before


@pytest.mark.parametrize(
    ("what", "changed"),
    [
        ("incident", {"title": "Another attack"}),
        ("incident", {"regions": ["UA-63", "UA-12"]}),
        ("incident", {"mode": "exercise"}),
        ("incident", {"start": "2026-03-01T01:31:00Z"}),
        ("claim", {"value": 3}),
        ("claim", {"measure": "killed"}),
        ("claim", {"source": {"name": "City council"}}),
        ("claim", {"status": "confirmed"}),
    ],
)
async def test_the_same_key_with_another_request_is_refused_and_writes_nothing(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin, what: str, changed: Json
) -> None:
    path, body = paths(await new_incident(api, admin))[what]
    headers = {**admin, "Idempotency-Key": "k-2"}
    assert (await api.post(path, json=body, headers=headers)).status_code == 201
    before = await written(tocsin)
    refused = await api.post(path, json={**body, **changed}, headers=headers)
    assert refused.status_code == 409, refused.text
    assert (refused.json()["code"], refused.json()["field"]) == (
        "idempotency_key_reused",
        "idempotency_key",
    )
    assert await written(tocsin) == before


async def test_keys_are_one_namespace_per_caller_across_commands(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    incident_id = await new_incident(api, admin)
    headers = {**admin, "Idempotency-Key": "k-3"}
    alert = await api.post(
        "/v1/alerts", json={"threat": "missile", "regions": ["UA-63"]}, headers=headers
    )
    assert alert.status_code == 201
    before = await written(tocsin)
    for path, body in paths(incident_id).values():
        refused = await api.post(path, json=body, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (409, "idempotency_key_reused")
    other = await bearer(tocsin, "admin")
    claim_path, claim = paths(incident_id)["claim"]
    mine = await api.post(claim_path, json=claim, headers={**admin, "Idempotency-Key": "k-4"})
    theirs = await api.post(claim_path, json=claim, headers={**other, "Idempotency-Key": "k-4"})
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert (await written(tocsin))[0] == before[0] + 2


async def test_one_key_on_two_incidents_is_two_requests(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    first, second = await new_incident(api, admin), await new_incident(api, admin)
    headers = {**admin, "Idempotency-Key": "k-5"}
    made = await api.post(f"/v1/incidents/{first}/claims", json=CLAIM, headers=headers)
    assert made.status_code == 201
    elsewhere = await api.post(f"/v1/incidents/{second}/claims", json=CLAIM, headers=headers)
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (409, "idempotency_key_reused")
    assert (await api.get(f"/v1/incidents/{second}", headers=admin)).json()["claims"] == []


@pytest.mark.parametrize(
    ("what", "bad", "code", "field"),
    [
        ("incident", {"end": "2026-03-01T01:00:00Z"}, "end_before_start", "end"),
        ("incident", {"regions": ["UA-99"]}, "unknown_region", "regions[0]"),
        ("claim", {"value": -1}, "negative_count", "value"),
        ("claim", {"source": {"name": ""}}, "empty_source", "source.name"),
    ],
)
async def test_a_refused_request_writes_nothing_and_leaves_its_key_unused(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    tocsin: Tocsin,
    what: str,
    bad: Json,
    code: str,
    field: str,
) -> None:
    path, body = paths(await new_incident(api, admin))[what]
    headers = {**admin, "Idempotency-Key": "k-6"}
    before = await written(tocsin)
    refused = await api.post(path, json={**body, **bad}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["code"], refused.json()["field"]) == (code, field)
    assert await written(tocsin) == before
    fixed = await api.post(path, json=body, headers=headers)
    assert fixed.status_code == 201, fixed.text


async def test_a_retry_after_the_incident_closed_still_answers_the_claim(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    incident_id = await new_incident(api, admin)
    path, body = paths(incident_id)["claim"]
    headers = {**admin, "Idempotency-Key": "k-7"}
    first = await api.post(path, json=body, headers=headers)
    await api.post(f"/v1/incidents/{incident_id}/close", headers=admin)
    before = await written(tocsin)
    again = await api.post(path, json=body, headers=headers)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    late = await api.post(path, json=body, headers={**admin, "Idempotency-Key": "k-8"})
    assert (late.status_code, late.json()["code"]) == (409, "incident_closed")
    assert await written(tocsin) == before


async def test_concurrent_retries_record_once(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    headers = {**admin, "Idempotency-Key": "k-9"}
    answers = await asyncio.gather(
        *(api.post("/v1/incidents", json=INCIDENT, headers=headers) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len((await api.get("/v1/incidents", headers=admin)).json()["incidents"]) == 1


@pytest.mark.parametrize(
    ("key", "field"), [("a\x00", "idempotency_key"), ("k" * 201, "idempotency_key")]
)
async def test_bad_keys_are_refused(
    api: httpx.AsyncClient, admin: dict[str, str], key: str, field: str
) -> None:
    refused = await api.post(
        "/v1/incidents", json={**INCIDENT, "idempotency_key": key}, headers=admin
    )
    assert (refused.status_code, refused.json()["field"]) == (422, field)

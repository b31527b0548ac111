"""PATCH /v1/regions/{code}: an admin sets or clears a region's time to shelter; the public
reads show it at once, the log and the audit trail say so, and bad input changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conftest import bearer
from tocsin.bootstrap import Tocsin

Json = dict[str, Any]


async def shelter_of(client: httpx.AsyncClient, code: str) -> int | None:
    response = await client.get(f"/v1/regions/{code}")
    assert response.status_code == 200, response.text
    seconds: int | None = response.json()["time_to_shelter"]
    return seconds


async def states_shelter(client: httpx.AsyncClient, code: str) -> int | None:
    states = (await client.get("/v1/regions/states")).json()["states"]
    [found] = [s for s in states if s["code"] == code]
    seconds: int | None = found["time_to_shelter"]
    return seconds


async def test_an_admin_sets_and_clears_the_time_to_shelter(
    client: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    assert await shelter_of(client, "UA-63") is None
    assert await states_shelter(client, "UA-63") is None  # held, to be replaced on change
    head = tocsin.log.head
    response = await client.patch("/v1/regions/UA-63", json={"time_to_shelter": 90}, headers=admin)
    assert response.status_code == 200, response.text
    assert (response.json()["code"], response.json()["time_to_shelter"]) == ("UA-63", 90)
    assert await shelter_of(client, "UA-63") == 90
    assert await states_shelter(client, "UA-63") == 90
    [event] = await tocsin.log.read(head, 10)
    assert (event.type, event.data) == ("regions.updated", {"code": "UA-63", "time_to_shelter": 90})
    cleared = await client.patch("/v1/regions/UA-63", json={"time_to_shelter": None}, headers=admin)
    assert cleared.status_code == 200 and cleared.json()["time_to_shelter"] is None
    assert await shelter_of(client, "UA-63") is None
    entries = [e for e in await tocsin.store.audit_entries() if e.action == "regions.updated"]
    assert [e.detail["time_to_shelter"] for e in entries] == [[None, 90], [90, None]]


async def test_the_change_is_kept_in_place(
    client: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    order = [r.code for r in tocsin.regions.tree]
    await client.patch("/v1/regions/UA", json={"time_to_shelter": 300}, headers=admin)
    reread = await tocsin.regions.load()
    assert [r.code for r in reread] == order  # parents still before children
    country = reread.get("UA")
    assert country is not None and country.time_to_shelter == 300


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_to_shelter": -1}, "time_to_shelter"),
        ({"time_to_shelter": 3601}, "time_to_shelter"),
        ({"time_to_shelter": 1.5}, "time_to_shelter"),
        ({"time_to_shelter": "90"}, "time_to_shelter"),
        ({"time_to_shelter": True}, "time_to_shelter"),
        ({"time_to_shelter": 60, "name": "x"}, "name"),
        ({}, "time_to_shelter"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin, body: Json, field: str
) -> None:
    head = tocsin.log.head
    response = await client.patch("/v1/regions/UA-63", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field
    assert await shelter_of(client, "UA-63") is None
    assert tocsin.log.head == head


async def test_an_unknown_region_is_not_found(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.patch("/v1/regions/XX-1", json={"time_to_shelter": 60}, headers=admin)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == ("not_found", "code")


@pytest.mark.parametrize(
    ("role", "scope", "code", "status"),
    [
        ("operator", ("UA-63",), "UA-63", 403),
        ("automation", ("UA",), "UA-63", 403),
        ("approver", ("UA",), "UA-63", 403),
        ("viewer", (), "UA-63", 403),
        ("admin", (), "UA-63", 200),
    ],
)
async def test_only_an_admin_may_change_a_region(
    client: httpx.AsyncClient,
    tocsin: Tocsin,
    role: str,
    scope: tuple[str, ...],
    code: str,
    status: int,
) -> None:
    headers = await bearer(tocsin, role, *scope)
    response = await client.patch(
        f"/v1/regions/{code}", json={"time_to_shelter": 45}, headers=headers
    )
    assert response.status_code == status, response.text
    assert await shelter_of(client, code) == (45 if status == 200 else None)


async def test_no_token_no_change(client: httpx.AsyncClient) -> None:
    response = await client.patch("/v1/regions/UA-63", json={"time_to_shelter": 45})
    assert response.status_code == 401
    assert await shelter_of(client, "UA-63") is None

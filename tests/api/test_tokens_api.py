"""Who may write: bearer tokens, roles and region scopes; /v1/tokens (admin only)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conftest import bearer
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.service.ports import ManualClock
from tocsin.service.tokens import MAX_NAME, TRUST_SECONDS

Json = dict[str, Any]
SCOPED = ["operator", "automation"]


async def raise_alert(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Json:
    body = {"threat": "missile", "regions": ["UA-63"], **body}
    response = await client.post("/v1/alerts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    alert: Json = response.json()
    return alert


async def last_seq(client: httpx.AsyncClient) -> int:
    seq: int = (await client.get("/v1/events", params={"limit": 1})).json()["last_seq"]
    return seq


def problem_of(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code
    assert body["status"] == status
    return body


# Every request that needs a token: (method, path, body); {id} is an open alert of the admin's.
WRITES = [
    ("POST", "/v1/alerts", {"threat": "missile", "regions": ["UA-63"]}),
    ("PATCH", "/v1/alerts/{id}", {"threat": "uav"}),
    ("POST", "/v1/alerts/{id}/end", None),
    ("POST", "/v1/alerts/{id}/cancel", None),
    ("POST", "/v1/alerts/{id}/activate", None),
    ("POST", "/v1/tokens", {"role": "viewer"}),
    ("GET", "/v1/tokens", None),
    ("DELETE", "/v1/tokens/{token}", None),
]


async def attempt(
    client: httpx.AsyncClient,
    tocsin: Tocsin,
    admin: dict[str, str],
    request: tuple[str, str, Json | None],
    headers: dict[str, str],
) -> httpx.Response:
    method, path, body = request
    alert = await raise_alert(client, admin, pre_alert=True)
    token = (await tocsin.tokens.create("viewer", name="victim")).record.id
    seq = await last_seq(client)
    tokens = (await client.get("/v1/tokens", headers=admin)).json()
    url = path.format(id=alert["id"], token=token)
    response = await client.request(method, url, json=body, headers=headers)
    assert await last_seq(client) == seq
    assert (await client.get(f"/v1/alerts/{alert['id']}")).json() == alert
    assert (await client.get("/v1/tokens", headers=admin)).json() == tokens
    return response


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize("request_", WRITES)
async def test_writes_without_a_token_are_401(
    client: httpx.AsyncClient,
    tocsin: Tocsin,
    admin: dict[str, str],
    request_: tuple[str, str, Json | None],
) -> None:
    response = await attempt(client, tocsin, admin, request_, {})
    problem = problem_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "field" not in problem
    assert "Bearer" in problem["detail"]


@pytest.mark.parametrize("request_", [WRITES[0], WRITES[6]])
@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Basic dXNlcjpwYXNz",
        "Token tocsin_tk_00000000_x",
        "Bearer tocsin_tk_00000000_not-a-real-secret",
        "Bearer tocsin_tk_00000000_not a real secret",
    ],
)
async def test_a_malformed_or_unknown_token_is_401(
    client: httpx.AsyncClient,
    tocsin: Tocsin,
    admin: dict[str, str],
    request_: tuple[str, str, Json | None],
    authorization: str,
) -> None:
    response = await attempt(client, tocsin, admin, request_, {"Authorization": authorization})
    problem_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_token_revoked_by_another_process_is_refused_within_the_trust_window(
    client: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    now = [1000.0]
    tocsin.tokens.monotonic = lambda: now[0]
    new = await tocsin.tokens.create("operator", ["UA-63"], name="duty")
    headers = {"Authorization": f"Bearer {new.secret}"}
    await raise_alert(client, headers)  # found valid: remembered
    elsewhere = await build(Settings(database_url=tocsin.settings.database_url, channels=()))
    try:
        await elsewhere.tokens.revoke(new.record.id)
    finally:
        await elsewhere.close()
    now[0] += TRUST_SECONDS - 0.01
    await raise_alert(client, headers)  # still remembered
    now[0] += 0.02
    seq = await last_seq(client)
    response = await client.post(
        "/v1/alerts", json={"threat": "missile", "regions": ["UA-63"]}, headers=headers
    )
    problem_of(response, 401, "unauthorized")
    assert await last_seq(client) == seq


async def test_a_token_created_by_another_process_works_at_once(
    client: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    elsewhere = await build(Settings(database_url=tocsin.settings.database_url, channels=()))
    try:
        new = await elsewhere.tokens.create("admin", name="late")
    finally:
        await elsewhere.close()
    response = await client.get("/v1/tokens", headers={"Authorization": f"Bearer {new.secret}"})
    assert response.status_code == 200


async def test_the_scheme_is_case_insensitive(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    secret = admin["Authorization"].split(" ", 1)[1]
    for header in (f"bearer {secret}", f"BEARER {secret}", f"Bearer  {secret} "):
        response = await client.get("/v1/tokens", headers={"Authorization": header})
        assert response.status_code == 200


async def test_a_revoked_token_is_401(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    new = await tocsin.tokens.create("operator", ["UA-63"], name="duty")
    headers = {"Authorization": f"Bearer {new.secret}"}
    await raise_alert(client, headers)
    revoked = await client.delete(f"/v1/tokens/{new.record.id}", headers=admin)
    assert revoked.status_code == 204
    assert revoked.content == b""
    seq = await last_seq(client)
    response = await client.post(
        "/v1/alerts", json={"threat": "missile", "regions": ["UA-63"]}, headers=headers
    )
    problem_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await last_seq(client) == seq


@pytest.mark.parametrize("role", ["viewer", "approver"])
@pytest.mark.parametrize("request_", WRITES)
async def test_roles_that_change_nothing_are_403(
    client: httpx.AsyncClient,
    tocsin: Tocsin,
    admin: dict[str, str],
    role: str,
    request_: tuple[str, str, Json | None],
) -> None:
    headers = await bearer(tocsin, role, *(["UA"] if role == "approver" else []))
    response = await attempt(client, tocsin, admin, request_, headers)
    problem_of(response, 403, "forbidden")


@pytest.mark.parametrize("role", SCOPED)
@pytest.mark.parametrize("request_", WRITES[5:])
async def test_only_admins_manage_tokens(
    client: httpx.AsyncClient,
    tocsin: Tocsin,
    admin: dict[str, str],
    role: str,
    request_: tuple[str, str, Json | None],
) -> None:
    headers = await bearer(tocsin, role, "UA")
    response = await attempt(client, tocsin, admin, request_, headers)
    assert "admin" in problem_of(response, 403, "forbidden")["detail"]


# --- region scopes ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", SCOPED)
async def test_a_scoped_token_raises_and_manages_alerts_in_its_regions(
    client: httpx.AsyncClient, tocsin: Tocsin, role: str
) -> None:
    headers = await bearer(tocsin, role, "RU-BEL")
    alert = await raise_alert(client, headers, regions=["RU-BEL"], pre_alert=True)
    url = f"/v1/alerts/{alert['id']}"
    assert (await client.post(f"{url}/activate", headers=headers)).status_code == 200
    patched = await client.patch(url, json={"threat": "uav"}, headers=headers)
    assert patched.status_code == 200
    assert (await client.post(f"{url}/end", headers=headers)).status_code == 200
    other = await raise_alert(client, headers, regions=["RU-BEL"])
    cancelled = await client.post(f"/v1/alerts/{other['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200


async def test_a_scope_covers_the_regions_below_it(
    client: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    headers = await bearer(tocsin, "operator", "UA-63")
    raions = (await client.get("/v1/regions", params={"parent": "UA-63"})).json()["regions"]
    alert = await raise_alert(client, headers, regions=[raions[0]["code"], raions[1]["code"]])
    assert len(alert["regions"]) == 2
    response = await client.post(
        "/v1/alerts", json={"threat": "missile", "regions": ["UA"]}, headers=headers
    )
    assert problem_of(response, 403, "forbidden")["field"] == "regions[0]"


@pytest.mark.parametrize("role", SCOPED)
@pytest.mark.parametrize(
    ("regions", "field"),
    [
        (["UA-63"], "regions[0]"),
        (["RU-BEL", "UA-63"], "regions[1]"),
        (["RU"], "regions[0]"),
        (["RU-KRS"], "regions[0]"),
    ],
)
async def test_a_scoped_token_cannot_raise_outside_its_regions(
    client: httpx.AsyncClient, tocsin: Tocsin, role: str, regions: list[str], field: str
) -> None:
    headers = await bearer(tocsin, role, "RU-BEL")
    seq = await last_seq(client)
    response = await client.post(
        "/v1/alerts", json={"threat": "missile", "regions": regions}, headers=headers
    )
    problem = problem_of(response, 403, "forbidden")
    assert problem["field"] == field
    assert "RU-BEL" in problem["detail"]
    assert await last_seq(client) == seq
    assert (await client.get("/v1/alerts/active")).json()["alerts"] == []


@pytest.mark.parametrize("role", SCOPED)
@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("POST", "end", None),
        ("POST", "cancel", None),
        ("POST", "cancel", {"message": "not ours"}),
        ("POST", "activate", None),
        ("PATCH", "", {"threat": "uav"}),
        ("PATCH", "", {"regions": ["RU-BEL"]}),
        ("PATCH", "", {"remove_regions": ["UA-63"]}),
        ("PATCH", "", {"headline": "ours now"}),
    ],
)
async def test_a_scoped_token_cannot_touch_an_alert_outside_its_regions(
    client: httpx.AsyncClient,
    tocsin: Tocsin,
    admin: dict[str, str],
    role: str,
    method: str,
    action: str,
    body: Json | None,
) -> None:
    alert = await raise_alert(client, admin, regions=["UA-63", "RU-BEL"], pre_alert=True)
    headers = await bearer(tocsin, role, "RU-BEL")
    seq = await last_seq(client)
    url = f"/v1/alerts/{alert['id']}" + (f"/{action}" if action else "")
    response = await client.request(method, url, json=body, headers=headers)
    assert problem_of(response, 403, "forbidden")["field"] == "regions[0]"
    assert await last_seq(client) == seq
    assert (await client.get(f"/v1/alerts/{alert['id']}")).json() == alert


@pytest.mark.parametrize("role", SCOPED)
@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"add_regions": ["UA-63"]}, "regions[1]"),
        ({"regions": ["UA-63"]}, "regions[0]"),
        ({"regions": ["RU-BEL", "RU-KRS"]}, "regions[1]"),
    ],
)
async def test_a_scoped_token_cannot_widen_its_alert_beyond_its_regions(
    client: httpx.AsyncClient, tocsin: Tocsin, role: str, patch: Json, field: str
) -> None:
    headers = await bearer(tocsin, role, "RU-BEL")
    alert = await raise_alert(client, headers, regions=["RU-BEL"])
    seq = await last_seq(client)
    response = await client.patch(f"/v1/alerts/{alert['id']}", json=patch, headers=headers)
    assert problem_of(response, 403, "forbidden")["field"] == field
    assert await last_seq(client) == seq
    assert (await client.get(f"/v1/alerts/{alert['id']}")).json() == alert


async def test_forbidden_comes_before_invalid(client: httpx.AsyncClient, tocsin: Tocsin) -> None:
    viewer = await bearer(tocsin, "viewer")
    body = {"threat": "meteor", "regions": ["XX"]}
    response = await client.post("/v1/alerts", json=body, headers=viewer)
    problem_of(response, 403, "forbidden")


async def test_a_scoped_token_gets_422_for_an_unknown_region(
    client: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    headers = await bearer(tocsin, "operator", "RU-BEL")
    body = {"threat": "missile", "regions": ["RU-BEL", "XX"]}
    response = await client.post("/v1/alerts", json=body, headers=headers)
    assert problem_of(response, 422, "unknown_region")["field"] == "regions[1]"


# --- /v1/tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "role", "regions", "name"),
    [
        ({"role": "viewer"}, "viewer", None, "viewer"),
        ({"role": "admin", "name": "night shift"}, "admin", None, "night shift"),
        (
            {"role": "operator", "regions": ["UA-63", "UA-32"], "name": " Kharkiv duty "},
            "operator",
            ["UA-32", "UA-63"],
            "Kharkiv duty",
        ),
        ({"role": "automation", "regions": ["UA"]}, "automation", ["UA"], "automation"),
        ({"role": "approver", "regions": ["RU-BEL"]}, "approver", ["RU-BEL"], "approver"),
    ],
)
async def test_create_a_token_and_use_it(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    body: Json,
    role: str,
    regions: list[str] | None,
    name: str,
) -> None:
    response = await client.post("/v1/tokens", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["role"], created["regions"], created["name"]) == (role, regions, name)
    assert created["id"].startswith("tk_")
    assert created["token"].startswith(f"tocsin_{created['id']}_")
    assert created["created_at"] == "2026-03-01T12:00:00Z"
    assert created["revoked_at"] is None
    headers = {"Authorization": f"Bearer {created['token']}"}
    listing = await client.get("/v1/tokens", headers=headers)
    assert listing.status_code == (200 if role == "admin" else 403)


async def test_the_secret_is_shown_only_once(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = (await client.post("/v1/tokens", json={"role": "viewer"}, headers=admin)).json()
    listing = await client.get("/v1/tokens", headers=admin)
    assert listing.status_code == 200
    assert created["token"] not in listing.text
    assert admin["Authorization"].split()[1] not in listing.text
    tokens = listing.json()["tokens"]
    assert len(tokens) == 2
    for token in tokens:
        assert set(token) == {"id", "name", "role", "regions", "created_at", "revoked_at"}
    shown = {key: value for key, value in created.items() if key != "token"}
    assert shown in tokens


async def test_revoke_a_token(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> None:
    created = (await client.post("/v1/tokens", json={"role": "viewer"}, headers=admin)).json()
    clock.advance(60)
    assert (await client.delete(f"/v1/tokens/{created['id']}", headers=admin)).status_code == 204
    [listed] = [
        t
        for t in (await client.get("/v1/tokens", headers=admin)).json()["tokens"]
        if t["id"] == created["id"]
    ]
    assert listed["revoked_at"] == "2026-03-01T12:01:00Z"
    again = await client.delete(f"/v1/tokens/{created['id']}", headers=admin)
    assert problem_of(again, 404, "not_found")["field"] == "id"


@pytest.mark.parametrize("token_id", ["tk_00000000", "nothing", "x" * 300])
async def test_revoking_an_unknown_token_is_404(
    client: httpx.AsyncClient, admin: dict[str, str], token_id: str
) -> None:
    response = await client.delete(f"/v1/tokens/{token_id}", headers=admin)
    assert problem_of(response, 404, "not_found")["field"] == "id"


async def test_an_admin_may_revoke_its_own_token(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    [record] = await tocsin.tokens.list()
    assert (await client.delete(f"/v1/tokens/{record.id}", headers=admin)).status_code == 204
    problem_of(await client.get("/v1/tokens", headers=admin), 401, "unauthorized")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"role": "root"}, "invalid_input", "role"),
        ({"role": "operator"}, "invalid_input", "regions"),
        ({"role": "automation", "regions": []}, "invalid_input", "regions"),
        ({"role": "viewer", "regions": ["UA"]}, "invalid_input", "regions"),
        ({"role": "admin", "regions": ["UA"]}, "invalid_input", "regions"),
        ({"role": "operator", "regions": ["UA-99"]}, "unknown_region", "regions"),
        ({"role": "operator", "regions": ["x" * 65]}, "invalid_input", "regions[0]"),
        ({"role": "viewer", "name": "n" * 201}, "invalid_input", "name"),
        ({"role": "viewer", "name": "a\x00b"}, "invalid_input", "name"),
        ({"role": "viewer", "expires": "never"}, "invalid_input", "expires"),
        ({"regions": ["UA"]}, "invalid_input", "role"),
        ({"role": ["admin"]}, "invalid_input", "role"),
        ({"role": "viewer", "name": 7}, "invalid_input", "name"),
    ],
)
async def test_bad_token_requests_are_422(
    client: httpx.AsyncClient,
    tocsin: Tocsin,
    admin: dict[str, str],
    body: Json,
    code: str,
    field: str,
) -> None:
    response = await client.post("/v1/tokens", json=body, headers=admin)
    assert problem_of(response, 422, code)["field"] == field
    assert len(await tocsin.tokens.list()) == 1


async def test_a_token_with_the_longest_name_can_raise_alerts(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/tokens", json={"role": "admin", "name": "n" * MAX_NAME}, headers=admin
    )
    assert created.status_code == 201
    headers = {"Authorization": f"Bearer {created.json()['token']}"}
    await raise_alert(client, headers)
    too_long = await client.post(
        "/v1/tokens", json={"role": "admin", "name": "n" * (MAX_NAME + 1)}, headers=admin
    )
    assert problem_of(too_long, 422, "invalid_input")["field"] == "name"

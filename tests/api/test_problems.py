"""Every 4xx is `application/problem+json` with a stable code and the field at fault; never a 500.

A rejected command changes nothing: the event log's last sequence number stays where it was.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

Json = dict[str, Any]
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
RAISE = {"threat": "missile", "regions": ["UA-63"]}


async def last_seq(client: httpx.AsyncClient) -> int:
    seq: int = (await client.get("/v1/events", params={"limit": 1})).json()["last_seq"]
    return seq


async def open_alert(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    response = await client.post("/v1/alerts", json=RAISE, headers=admin)
    assert response.status_code == 201, response.text
    alert_id: str = response.json()["id"]
    return alert_id


def assert_problem(response: httpx.Response) -> Json:
    """The problem body every 4xx carries (RFC 9457 plus `code` and, often, `field`)."""
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert set(body) - {"field"} == PROBLEM_KEYS
    assert body["status"] == response.status_code
    assert body["type"] == f"https://tocsin.dev/problems/{body['code']}"
    assert body["title"] and body["detail"]
    assert body["code"].isidentifier() and body["code"].islower()
    assert "Traceback" not in response.text
    return body


# (method, path, JSON body or raw bytes, status, code, field); {id} is an open alert.
REJECTED: list[tuple[str, str, Any, int, str, str | None]] = [
    (
        "POST",
        "/v1/alerts",
        {"threat": "missile", "regions": ["UA-63", "UA-99"]},
        422,
        "unknown_region",
        "regions[1]",
    ),
    (
        "POST",
        "/v1/alerts",
        {"threat": "missile", "regions": ["XX"]},
        422,
        "unknown_region",
        "regions[0]",
    ),
    (
        "POST",
        "/v1/alerts",
        {"threat": "meteor", "regions": ["UA-63"]},
        422,
        "unknown_threat",
        "threat",
    ),
    ("POST", "/v1/alerts", {"threat": "missile", "regions": []}, 422, "invalid_input", "regions"),
    ("POST", "/v1/alerts", {"threat": "missile"}, 422, "invalid_input", "regions"),
    ("POST", "/v1/alerts", {"regions": ["UA-63"]}, 422, "invalid_input", "threat"),
    ("POST", "/v1/alerts", {**RAISE, "headline": "x" * 161}, 422, "invalid_input", "headline"),
    ("POST", "/v1/alerts", {**RAISE, "text": "x" * 2001}, 422, "invalid_input", "text"),
    ("POST", "/v1/alerts", {**RAISE, "headline": "a\x00b"}, 422, "invalid_input", "headline"),
    (
        "POST",
        "/v1/alerts",
        {**RAISE, "idempotency_key": "a\x00"},
        422,
        "invalid_input",
        "idempotency_key",
    ),
    (
        "POST",
        "/v1/alerts",
        {**RAISE, "idempotency_key": "k" * 201},
        422,
        "invalid_input",
        "idempotency_key",
    ),
    ("POST", "/v1/alerts", {**RAISE, "severity": "extreme"}, 422, "invalid_input", "severity"),
    ("POST", "/v1/alerts", {**RAISE, "status": "draft"}, 422, "invalid_input", "status"),
    ("POST", "/v1/alerts", {**RAISE, "status": "all"}, 422, "invalid_input", "status"),
    (
        "POST",
        "/v1/alerts",
        {"threat": ["missile"], "regions": ["UA-63"]},
        422,
        "invalid_input",
        "threat",
    ),
    (
        "POST",
        "/v1/alerts",
        {"threat": "missile", "regions": "UA-63"},
        422,
        "invalid_input",
        "regions",
    ),
    (
        "POST",
        "/v1/alerts",
        {"threat": "missile", "regions": ["UA-63", 63]},
        422,
        "invalid_input",
        "regions[1]",
    ),
    (
        "POST",
        "/v1/alerts",
        {"threat": "missile", "regions": ["U" * 65]},
        422,
        "invalid_input",
        "regions[0]",
    ),
    ("POST", "/v1/alerts", {**RAISE, "pre_alert": "perhaps"}, 422, "invalid_input", "pre_alert"),
    ("POST", "/v1/alerts", {**RAISE, "expires_at": "soon"}, 422, "invalid_input", "expires_at"),
    (
        "POST",
        "/v1/alerts",
        {**RAISE, "expires_at": "2026-03-01T13:00:00"},
        422,
        "invalid_input",
        "expires_at",
    ),
    (
        "POST",
        "/v1/alerts",
        {**RAISE, "expires_at": "2026-03-01T11:00:00Z"},
        422,
        "invalid_input",
        "expires_at",
    ),
    (
        "POST",
        "/v1/alerts",
        {**RAISE, "expires_at": "9999-12-31T23:59:59-05:00"},
        422,
        "invalid_input",
        "expires_at",
    ),
    ("POST", "/v1/alerts", [RAISE], 422, "invalid_input", "body"),
    ("POST", "/v1/alerts", None, 422, "invalid_input", "body"),
    (
        "POST",
        "/v1/alerts",
        b'{"threat": "missile", "regions": ["UA-63"]',
        400,
        "malformed_request",
        "body",
    ),
    ("POST", "/v1/alerts", b"{'threat': 'missile'}", 400, "malformed_request", "body"),
    (
        "POST",
        "/v1/alerts",
        b'{"threat": "missile", "regions": ["UA-63"], "text": "\xff"}',
        400,
        "malformed_request",
        "body",
    ),
    (
        "POST",
        "/v1/alerts",
        b'{"threat": "missile", "regions": ["UA-63"], "text": "\\ud800"}',
        422,
        "invalid_input",
        "text",
    ),
    ("PATCH", "/v1/alerts/{id}", {"threat": "meteor"}, 422, "unknown_threat", "threat"),
    (
        "PATCH",
        "/v1/alerts/{id}",
        {"add_regions": ["UA-32", "UA-99"]},
        422,
        "unknown_region",
        "add_regions[1]",
    ),
    ("PATCH", "/v1/alerts/{id}", {"regions": []}, 422, "invalid_input", "regions"),
    ("PATCH", "/v1/alerts/{id}", {"phase": "ended"}, 422, "invalid_input", "phase"),
    (
        "PATCH",
        "/v1/alerts/{id}",
        {"version": 7, "threat": "uav"},
        409,
        "version_mismatch",
        "version",
    ),
    ("PATCH", "/v1/alerts/{id}", {"status": "test"}, 409, "illegal_transition", "status"),
    ("PATCH", "/v1/alerts/{id}", b"{", 400, "malformed_request", "body"),
    ("PATCH", "/v1/alerts/nope", {"threat": "uav"}, 404, "not_found", "id"),
    ("POST", "/v1/alerts/{id}/activate", None, 409, "illegal_transition", "phase"),
    ("POST", "/v1/alerts/{id}/cancel", {"message": "m" * 1001}, 422, "invalid_input", "message"),
    ("POST", "/v1/alerts/{id}/cancel", {"reason": "oops"}, 422, "invalid_input", "reason"),
    ("POST", "/v1/alerts/{id}/cancel", b"[", 400, "malformed_request", "body"),
    ("POST", "/v1/alerts/nope/end", None, 404, "not_found", "id"),
    ("POST", "/v1/alerts/nope/cancel", None, 404, "not_found", "id"),
    ("GET", "/v1/alerts/nope", None, 404, "not_found", "id"),
    ("GET", "/v1/alerts?cursor=bm90IGEgY3Vyc29y", None, 422, "invalid_input", "cursor"),
    (
        "GET",
        "/v1/alerts?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z",
        None,
        422,
        "invalid_input",
        "until",
    ),
    ("GET", "/v1/alerts/active?point=50.6;36.6", None, 422, "invalid_input", "point"),
    ("GET", "/v1/alerts/active?region=UA-99", None, 422, "unknown_region", "region"),
    ("GET", "/v1/regions/UA-63/state?status=draft", None, 422, "invalid_input", "status"),
    ("GET", "/v1/events?after=-1", None, 422, "invalid_input", "after"),
    ("GET", "/v1/nothing-here", None, 404, "not_found", None),
    ("GET", "/v2/alerts", None, 404, "not_found", None),
    ("DELETE", "/v1/alerts/{id}", None, 405, "method_not_allowed", None),
    ("PUT", "/v1/regions", None, 405, "method_not_allowed", None),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "field"), REJECTED)
async def test_a_rejected_request_is_a_problem_and_changes_nothing(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    field: str | None,
) -> None:
    url = path.format(id=await open_alert(client, admin))
    before = await last_seq(client)
    active = (await client.get("/v1/alerts/active")).json()
    if isinstance(body, bytes):
        headers = {**admin, "Content-Type": "application/json"}
        response = await client.request(method, url, content=body, headers=headers)
    else:
        response = await client.request(method, url, json=body, headers=admin)
    assert response.status_code == status, response.text
    problem = assert_problem(response)
    assert problem["code"] == code
    assert problem.get("field") == field
    assert await last_seq(client) == before
    assert (await client.get("/v1/alerts/active")).json() == active


@pytest.mark.parametrize(
    ("status", "code", "title"),
    [
        (404, "not_found", "Not found"),
        (409, "illegal_transition", "Illegal alert transition"),
        (422, "unknown_region", "Unknown region"),
    ],
)
async def test_the_problem_body_is_pinned(
    client: httpx.AsyncClient, admin: dict[str, str], status: int, code: str, title: str
) -> None:
    alert_id = await open_alert(client, admin)
    await client.post(f"/v1/alerts/{alert_id}/end", headers=admin)
    requests = {
        404: ("GET", "/v1/alerts/gone", None),
        409: ("POST", f"/v1/alerts/{alert_id}/end", None),
        422: ("POST", "/v1/alerts", {"threat": "missile", "regions": ["UA-63", "ZZ"]}),
    }
    method, url, body = requests[status]
    response = await client.request(method, url, json=body, headers=admin)
    details = {
        404: ("no alert 'gone'", "id"),
        409: (
            f"cannot end alert {alert_id}: it is ended (allowed only when active or pre_alert)",
            "phase",
        ),
        422: ("unknown region code 'ZZ'", "regions[1]"),
    }
    detail, field = details[status]
    assert response.json() == {
        "type": f"https://tocsin.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "field": field,
    }


async def test_method_not_allowed_says_what_is(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/alerts/active")
    assert response.status_code == 405
    assert assert_problem(response)["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET"


async def test_a_json_body_needs_a_json_content_type(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    before = await last_seq(client)
    response = await client.post(
        "/v1/alerts",
        content=b'{"threat": "missile", "regions": ["UA-63"]}',
        headers={**admin, "Content-Type": "text/plain"},
    )
    assert assert_problem(response)["code"] == "invalid_input"
    assert await last_seq(client) == before


async def test_the_openapi_document_lists_the_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "tocsin"
    paths = document["paths"]
    for path in (
        "/v1/alerts",
        "/v1/alerts/active",
        "/v1/alerts/{alert_id}",
        "/v1/alerts/{alert_id}/activate",
        "/v1/alerts/{alert_id}/end",
        "/v1/alerts/{alert_id}/cancel",
        "/v1/regions",
        "/v1/regions/tree",
        "/v1/regions/geojson",
        "/v1/regions/states",
        "/v1/regions/{code}",
        "/v1/regions/{code}/state",
        "/v1/events",
        "/v1/threats",
        "/v1/tokens",
        "/v1/tokens/{token_id}",
        "/healthz",
    ):
        assert path in paths
    assert set(paths["/v1/alerts"]) == {"get", "post"}
    assert set(paths["/v1/alerts/{alert_id}"]) == {"get", "patch"}
    assert "RaiseBody" in str(paths["/v1/alerts"]["post"]["requestBody"])


# --- fuzzing ---------------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
TEXTS = st.text(max_size=40) | st.sampled_from(
    ["", "   ", "a\x00b", "\ud800", "x\udfffy", "x" * 161, "x" * 2001, "Ракетна небезпека!"]
)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=14))])
CODES = st.sampled_from(["UA-63", "UA-32", "UA-30", "RU-BEL", "RU", "UA"])
# Per key: values a careful client would send, then values a careless one might.
VALID: dict[str, st.SearchStrategy[Any]] = {
    "threat": st.sampled_from(["missile", "uav", "air", "chemical", "artillery"]),
    "regions": st.lists(CODES, min_size=1, max_size=4),
    "add_regions": st.lists(CODES, max_size=3),
    "remove_regions": st.lists(CODES, max_size=2),
    "status": st.sampled_from(["actual", "exercise", "test"]),
    "pre_alert": st.booleans(),
    "expires_at": st.datetimes(min_value=datetime(2026, 3, 2), timezones=ZONES).map(
        datetime.isoformat
    ),
    "headline": TEXTS,
    "text": TEXTS,
    "idempotency_key": TEXTS,
    "message": TEXTS,
    "version": st.integers(min_value=1, max_value=3),
}
CARELESS: dict[str, st.SearchStrategy[Any]] = {
    "threat": st.sampled_from(["meteor", "", "MISSILE", "x" * 40]),
    "regions": st.lists(st.sampled_from(["UA-99", "", "a\x00", "ua-63", "x" * 65]), max_size=3),
    "status": st.sampled_from(["all", "draft", "Actual"]),
    "expires_at": st.datetimes(timezones=ZONES | st.none()).map(datetime.isoformat)
    | st.sampled_from(["soon", "2026-02-30T10:00:00Z", "9999-12-31T23:59:59-05:00"]),
    "version": st.integers(),
}
for key in ("add_regions", "remove_regions"):
    CARELESS[key] = CARELESS["regions"]


def plausible(*keys: str, required: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    """Objects with these keys, each value mostly valid, sometimes careless or any JSON."""

    def value(key: str) -> st.SearchStrategy[Any]:
        careless = CARELESS.get(key, st.nothing()) | JSON
        return st.sampled_from([True, True, True, False]).flatmap(
            lambda valid: VALID[key] if valid else careless
        )

    return st.fixed_dictionaries(
        {key: value(key) for key in required},
        optional={key: value(key) for key in keys if key not in required},
    )


COMMON = ("headline", "text", "expires_at", "status")
RAISE_BODIES = JSON | plausible(
    "threat", "regions", "pre_alert", "idempotency_key", *COMMON, required=("threat", "regions")
)
PATCH_BODIES = JSON | plausible(
    "threat", "regions", "add_regions", "remove_regions", "version", *COMMON
)
COMMAND_BODIES = JSON | plausible("message")
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


async def check_survived(client: httpx.AsyncClient, response: httpx.Response, before: int) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_problem(response)
        assert await last_seq(client) == before


def encode(body: Any) -> bytes:
    """JSON as a client might send it, lone surrogates and all."""
    return json.dumps(body).encode()


@FUZZ
@given(body=RAISE_BODIES)
async def test_fuzzed_raise_bodies_never_break_the_api(
    client: httpx.AsyncClient, admin: dict[str, str], body: Any
) -> None:
    before = await last_seq(client)
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.post("/v1/alerts", content=encode(body), headers=headers)
    await check_survived(client, response, before)
    if response.status_code in (200, 201):
        assert (await last_seq(client)) == before + (response.status_code == 201)


@FUZZ
@given(body=PATCH_BODIES, pre_alert=st.booleans(), closed=st.sampled_from([None, "end", "cancel"]))
async def test_fuzzed_patch_bodies_never_break_the_api(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    body: Any,
    pre_alert: bool,
    closed: str | None,
) -> None:
    response = await client.post(
        "/v1/alerts", json={**RAISE, "pre_alert": pre_alert}, headers=admin
    )
    url = f"/v1/alerts/{response.json()['id']}"
    if closed:
        await client.post(f"{url}/{closed}", headers=admin)
    before = await last_seq(client)
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.patch(url, content=encode(body), headers=headers)
    await check_survived(client, response, before)
    if response.status_code == 200:
        assert await last_seq(client) in (before, before + 1)


@FUZZ
@given(body=COMMAND_BODIES, action=st.sampled_from(["cancel", "end", "activate"]))
async def test_fuzzed_command_bodies_never_break_the_api(
    client: httpx.AsyncClient, admin: dict[str, str], body: Any, action: str
) -> None:
    url = f"/v1/alerts/{await open_alert(client, admin)}/{action}"
    before = await last_seq(client)
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.post(url, content=encode(body), headers=headers)
    await check_survived(client, response, before)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "region",
                "threat",
                "status",
                "point",
                "phase",
                "since",
                "until",
                "cursor",
                "limit",
                "lang",
                "after",
            ]
        ),
        st.text(max_size=30)
        | CARELESS["expires_at"]
        | VALID["threat"]
        | CARELESS["status"]
        | st.sampled_from(["a\x00", "UA-63", "49.99,36.23", "-1", "99999999999999999999"]),
        max_size=4,
    )
)
async def test_fuzzed_queries_never_break_the_api(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    for path in ("/v1/alerts", "/v1/alerts/active", "/v1/events", "/v1/regions/states"):
        response = await client.get(path, params=params)
        assert response.status_code < 500
        if response.status_code >= 400:
            assert_problem(response)


async def test_the_openapi_document_describes_errors_as_they_are_sent(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == PROBLEM_KEYS
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            problem = {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
            assert responses["4XX"]["content"] == problem, (method, path)
            for status, response in responses.items():  # those a route names, 422 among them
                if status.startswith("4"):
                    assert response["content"] == problem, (method, path, status)
    refused = await client.get("/v1/alerts", params={"limit": 0})
    assert set(assert_problem(refused)) <= set(schemas["Problem"]["properties"])


async def test_routes_that_answer_other_than_json_say_so(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    def answered(path: str) -> set[str]:
        return set(paths[path]["get"]["responses"]["200"]["content"])

    assert answered("/v1/iot/states") == {"text/plain"}
    assert answered("/v1/incidents/export.csv") == {"text/csv"}
    assert {"text/csv", "image/svg+xml", "application/json"} <= answered("/v1/stats/series")
    for fmt, media_type in (("csv", "text/csv"), ("svg", "image/svg+xml")):
        response = await client.get("/v1/stats/series", params={"format": fmt})
        assert response.headers["content-type"].split(";")[0] == media_type

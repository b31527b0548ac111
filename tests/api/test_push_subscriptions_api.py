"""The Web Push API: the key, subscribing and unsubscribing anonymously, within limits."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import sqlite_threads_finished
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings

Json = dict[str, Any]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_keys() -> dict[str, str]:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"p256dh": b64(point), "auth": b64(b"0123456789abcdef")}


def problem_of(response: httpx.Response, status: int, code: str, field: str | None) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code
    assert body.get("field") == field
    return body


async def serve(tocsin: Tocsin) -> httpx.AsyncClient:
    app = create_app(tocsin.settings)
    app.state.tocsin = tocsin
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t.test")


async def built(database_url: str, **extra: Any) -> Tocsin:
    return await build(Settings(database_url=database_url, channels=(), **extra))


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    tocsin = await built(database_url, webhook_allow_private=True, push_subscribe_per_minute=5)
    try:
        async with await serve(tocsin) as http:
            yield http
    finally:
        await tocsin.close()
        await sqlite_threads_finished()


def subscription(endpoint: str = "https://127.0.0.1:9/push/a", **extra: Any) -> Json:
    return {"endpoint": endpoint, "keys": browser_keys(), "regions": ["UA-63"], **extra}


async def test_the_key_is_made_once_and_kept_for_every_start(database_url: str) -> None:
    first = await built(database_url)
    try:
        async with await serve(first) as http:
            key = (await http.get("/v1/push/key")).json()["public_key"]
    finally:
        await first.close()
    second = await built(database_url)
    try:
        assert second.push.public_key == key
    finally:
        await second.close()
        await sqlite_threads_finished()
    raw = base64.urlsafe_b64decode(key + "=")
    assert len(raw) == 65 and raw[0] == 4  # an uncompressed P-256 point


async def test_subscribe_then_unsubscribe_by_endpoint(api: httpx.AsyncClient) -> None:
    made = await api.post("/v1/push/subscriptions", json=subscription())
    assert made.status_code == 201, made.text
    assert made.json()["regions"] == ["UA-63"]
    again = await api.post("/v1/push/subscriptions", json=subscription(regions=["UA-32"]))
    assert again.json()["id"] == made.json()["id"]  # the same browser: replaced
    endpoint = {"endpoint": "https://127.0.0.1:9/push/a"}
    gone = await api.request("DELETE", "/v1/push/subscriptions", json=endpoint)
    assert gone.status_code == 204
    twice = await api.request("DELETE", "/v1/push/subscriptions", json=endpoint)
    problem_of(twice, 404, "not_found", "endpoint")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"regions": ["UA-63", "XX-NOWHERE"]}, "regions[1]", "unknown_region"),
        ({"regions": []}, "regions", "invalid_input"),
        ({"regions": [f"R{i}" for i in range(30)]}, "regions", "invalid_input"),
        (
            {"keys": {"p256dh": "AAAA", "auth": b64(b"0123456789abcdef")}},
            "keys.p256dh",
            "invalid_input",
        ),
        (
            {"keys": {"p256dh": browser_keys()["p256dh"], "auth": "!!"}},
            "keys.auth",
            "invalid_input",
        ),
        ({"endpoint": "ftp://push.example/x"}, "url", "invalid_input"),
        ({"endpoint": "http://push.example/x"}, "endpoint", "invalid_input"),
        ({"lang": "xx"}, "lang", "invalid_input"),
    ],
)
async def test_a_bad_subscription_names_its_field_and_changes_nothing(
    api: httpx.AsyncClient, change: Json, field: str, code: str
) -> None:
    refused = await api.post("/v1/push/subscriptions", json=subscription() | change)
    problem_of(refused, 422, code, field)
    gone = await api.request(
        "DELETE", "/v1/push/subscriptions", json={"endpoint": subscription()["endpoint"]}
    )
    assert gone.status_code == 404


async def test_a_private_endpoint_is_refused_unless_allowed(database_url: str) -> None:
    tocsin = await built(database_url)
    try:
        async with await serve(tocsin) as http:
            refused = await http.post("/v1/push/subscriptions", json=subscription())
    finally:
        await tocsin.close()
        await sqlite_threads_finished()
    body = problem_of(refused, 422, "address_refused", "endpoint")
    assert "loopback" in body["detail"]


async def test_subscribing_is_rate_limited_per_address(api: httpx.AsyncClient) -> None:
    for index in range(5):
        made = await api.post(
            "/v1/push/subscriptions", json=subscription(f"https://127.0.0.1:9/{index}")
        )
        assert made.status_code == 201
    refused = await api.post("/v1/push/subscriptions", json=subscription())
    problem_of(refused, 429, "too_many_attempts", None)
    assert int(refused.headers["retry-after"]) >= 1

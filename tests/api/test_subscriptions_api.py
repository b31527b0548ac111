"""/v1/subscriptions (admin only), /v1/channels and /v1/deliveries, over the real app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook

from conftest import bearer
from tocsin.api import channels, subscriptions
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.service.ports import ManualClock
from webhook_support import Receiver, Reply, always, start_tocsin, until

Json = dict[str, Any]
HOOK = "https://93.184.216.34/hook"  # a public address: never resolved, never sent to here


def app_for(tocsin: Tocsin) -> FastAPI:
    app = create_app(tocsin.settings)
    app.include_router(subscriptions.router)
    app.include_router(channels.router)
    app.state.tocsin = tocsin
    return app


async def client_for(tocsin: Tocsin) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app_for(tocsin))
    return httpx.AsyncClient(transport=transport, base_url="http://tocsin.test")


@pytest.fixture
async def api(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    """The app over default settings: no channel running, no private webhook targets."""
    async with await client_for(tocsin) as http:
        yield http


@pytest.fixture
async def live(database_url: str, clock: ManualClock) -> AsyncIterator[Tocsin]:
    tocsin = await start_tocsin(database_url, clock)
    try:
        yield tocsin
    finally:
        await tocsin.close()


def problem_of(response: httpx.Response, status: int, code: str, field: str | None) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert (body["code"], body.get("field")) == (code, field), body
    return body


async def create(api: httpx.AsyncClient, admin: dict[str, str], **body: Any) -> Json:
    response = await api.post("/v1/subscriptions", json={"url": HOOK, **body}, headers=admin)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def test_create_show_list_and_delete(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    url = "https://user:pw@93.184.216.34/hook?token=abc"
    head = await tocsin.store.last_seq()
    response = await api.post(
        "/v1/subscriptions",
        json={"kind": "webhook", "url": url, "regions": ["UA-63"], "threats": ["missile"]},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert created["created_by"].startswith("test-admin (tk_")
    assert response.headers["location"] == f"/v1/subscriptions/{created['id']}"
    assert created == {
        "id": created["id"],
        "kind": "webhook",
        "url": "https://***@93.184.216.34/hook?***",
        "filters": {"regions": ["UA-63"], "threats": ["missile"], "statuses": ["actual"]},
        "lang": "en",
        "options": {},
        "secret": secret,
        "state": "active",
        "state_reason": None,
        "created_at": "2026-03-01T12:00:00Z",
        "created_by": created["created_by"],
        "start_seq": head,
        "cursor": head,
        "backlog": 0,
    }
    shown = await api.get(f"/v1/subscriptions/{created['id']}", headers=admin)
    assert shown.status_code == 200
    assert shown.json() == {**created, "secret": "whsec_…" + secret[-4:]}
    listed = await api.get("/v1/subscriptions", headers=admin)
    assert listed.json() == {"subscriptions": [shown.json()]}
    for response in (shown, listed):
        assert secret not in response.text and "pw" not in response.text
    deleted = await api.delete(f"/v1/subscriptions/{created['id']}", headers=admin)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = await api.get(f"/v1/subscriptions/{created['id']}", headers=admin)
    problem_of(gone, 404, "not_found", "id")
    again = await api.delete(f"/v1/subscriptions/{created['id']}", headers=admin)
    problem_of(again, 404, "not_found", "id")
    assert (await api.get("/v1/subscriptions", headers=admin)).json() == {"subscriptions": []}


async def test_filters_may_be_nested_and_a_secret_given(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    created = await create(
        api,
        admin,
        filters={"regions": ["UA-59"], "statuses": ["all"]},
        lang="uk",
        secret=secret,
    )
    assert created["filters"] == {
        "regions": ["UA-59"],
        "threats": [],
        "statuses": ["actual", "exercise", "test"],
    }
    assert created["secret"] == secret and created["lang"] == "uk"
    both = await api.post(
        "/v1/subscriptions",
        json={"url": HOOK, "regions": ["UA-63"], "filters": {"regions": ["UA-59"]}},
        headers=admin,
    )
    problem_of(both, 422, "invalid_input", "filters")


REFUSED: list[tuple[Json, str, str]] = [
    ({"kind": "sms"}, "invalid_input", "kind"),
    ({"url": None}, "invalid_input", "url"),
    ({"url": "gopher://example.org"}, "invalid_input", "url"),
    ({"regions": ["UA-99"]}, "unknown_region", "regions[0]"),
    ({"filters": {"regions": ["UA-63", "XX"]}}, "unknown_region", "regions[1]"),
    ({"threats": ["meteor"]}, "unknown_threat", "threats[0]"),
    ({"statuses": ["real"]}, "invalid_input", "statuses[0]"),
    ({"statuses": []}, "invalid_input", "statuses"),
    ({"lang": "fr"}, "invalid_input", "lang"),
    ({"secret": "whsec_short"}, "invalid_input", "secret"),
    ({"options": {"x": 1}}, "invalid_input", "options.x"),
    ({"colour": "red"}, "invalid_input", "colour"),
    ({"url": "http://127.0.0.1:9/hook"}, "address_refused", "url"),
    ({"url": "http://[::1]:9/hook"}, "address_refused", "url"),
    ({"url": "http://10.0.0.1/hook"}, "address_refused", "url"),
]


async def test_bad_subscriptions_are_refused(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for body, code, field in REFUSED:
        response = await api.post("/v1/subscriptions", json={"url": HOOK, **body}, headers=admin)
        problem_of(response, 422, code, field)
    assert (await api.get("/v1/subscriptions", headers=admin)).json() == {"subscriptions": []}


async def test_only_admins_manage_subscriptions(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    sub = (await create(api, admin))["id"]
    requests = [
        ("POST", "/v1/subscriptions", {"url": HOOK}),
        ("GET", "/v1/subscriptions", None),
        ("GET", f"/v1/subscriptions/{sub}", None),
        ("DELETE", f"/v1/subscriptions/{sub}", None),
        ("POST", f"/v1/subscriptions/{sub}/resume", None),
        ("GET", f"/v1/subscriptions/{sub}/deliveries", None),
    ]
    for role in ("operator", "automation", "approver", "viewer"):
        other = await bearer(tocsin, role, *(["UA-63"] if role != "viewer" else []))
        for method, path, body in requests:
            refused = await api.request(method, path, json=body, headers=other)
            problem_of(refused, 403, "forbidden", None)
    for method, path, body in requests:
        problem_of(await api.request(method, path, json=body), 401, "unauthorized", None)
    assert (await api.get(f"/v1/subscriptions/{sub}", headers=admin)).status_code == 200
    assert len((await api.get("/v1/subscriptions", headers=admin)).json()["subscriptions"]) == 1


async def test_channels_are_for_admins(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin
) -> None:
    viewer = await bearer(tocsin, "viewer")
    operator = await bearer(tocsin, "operator", "UA-63")
    for path in ("/v1/channels", "/v1/deliveries?event=1"):
        assert (await api.get(path, headers=admin)).status_code == 200
        problem_of(await api.get(path, headers=viewer), 403, "forbidden", None)
        problem_of(await api.get(path, headers=operator), 403, "forbidden", None)
        problem_of(await api.get(path), 401, "unauthorized", None)
    problem_of(await api.get("/v1/deliveries", headers=admin), 422, "invalid_input", "event")
    problem_of(
        await api.get("/v1/deliveries?event=0", headers=admin), 422, "invalid_input", "event"
    )
    body = (await api.get("/v1/channels", headers=admin)).json()
    assert body == {
        "last_seq": await tocsin.store.last_seq(),
        "node": tocsin.node,
        "duties": [],
        "channels": [],
        "targets": [],
        "streams": {"subscribers": 0, "position": 0},
    }


async def test_unknown_ids_are_not_found(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for path in ("sub_000000000000", "sub_000000000000/deliveries"):
        problem_of(
            await api.get(f"/v1/subscriptions/{path}", headers=admin), 404, "not_found", "id"
        )
    resumed = await api.post("/v1/subscriptions/sub_000000000000/resume", headers=admin)
    problem_of(resumed, 404, "not_found", "id")


async def test_delivery_pause_report_and_resume_through_the_api(
    live: Tocsin, admin: dict[str, str]
) -> None:
    async with await client_for(live) as api, Receiver(always(410)) as gone, Receiver() as fine:
        bad = await create(api, admin, url=gone.url, regions=["UA-63"])
        good = await create(api, admin, url=fine.url, threats=["missile"])
        raised = await api.post(
            "/v1/alerts", json={"threat": "missile", "regions": ["UA-63"]}, headers=admin
        )
        assert raised.status_code == 201, raised.text
        seq = await live.store.last_seq()

        async def state() -> Json:
            shown: Json = (await api.get(f"/v1/subscriptions/{bad['id']}", headers=admin)).json()
            return shown

        async with asyncio.timeout(10):
            while (await state())["state"] != "paused":
                await asyncio.sleep(0.02)
        await until(lambda: fine.seqs == [seq])
        paused = await state()
        assert paused["state_reason"] == f"event {seq}: HTTP 410"
        assert paused["cursor"] == bad["start_seq"] and paused["backlog"] >= 1
        [request] = fine.delivered
        assert Webhook(good["secret"]).verify(request.body, request.headers)["seq"] == seq

        report = (await api.get("/v1/channels", headers=admin)).json()
        assert report["channels"] == [{"name": "subscriptions", "targets": 2}]
        assert report["streams"] == {"subscribers": 0, "position": live.hub.position}
        rows = {row["consumer"]: row for row in report["targets"]}
        assert rows[f"webhook:{bad['id']}"] | {"backlog": 0} == {
            "consumer": f"webhook:{bad['id']}",
            "channel": "webhook",
            "target": gone.url,
            "state": "paused",
            "cursor": bad["start_seq"],
            "backlog": 0,
            "last_error": f"event {seq}: HTTP 410",
        }
        assert rows[f"webhook:{bad['id']}"]["backlog"] >= 1
        assert rows[f"webhook:{good['id']}"]["state"] == "running"

        attempts = (await api.get("/v1/deliveries", params={"event": seq}, headers=admin)).json()
        assert attempts["event"] == seq
        assert {(a["consumer"], a["outcome"]) for a in attempts["deliveries"]} == {
            (f"webhook:{bad['id']}", "failed"),
            (f"webhook:{good['id']}", "delivered"),
        }

        gone.plan = lambda _request, _count: Reply()
        resumed = await api.post(f"/v1/subscriptions/{bad['id']}/resume", headers=admin)
        assert resumed.status_code == 200
        assert (resumed.json()["state"], resumed.json()["state_reason"]) == ("active", None)
        await until(lambda: gone.seqs == [seq])

        async def recorded() -> list[Json]:
            got = await api.get(f"/v1/subscriptions/{bad['id']}/deliveries", headers=admin)
            rows: list[Json] = got.json()["deliveries"]
            return rows

        # The receiver answers before the sender writes down the attempt.
        async with asyncio.timeout(10):
            while len(deliveries := await recorded()) < 2:
                await asyncio.sleep(0.02)
        newest, oldest = deliveries
        assert (newest["outcome"], newest["error"], newest["event_seq"]) == ("delivered", None, seq)
        assert (oldest["outcome"], oldest["error"], oldest["attempt"]) == ("failed", "HTTP 410", 1)
        assert newest["time"].endswith("Z") and newest["latency_ms"] > 0
        assert newest["target"] == gone.url and newest["channel"] == "webhook"
        limited = await api.get(
            f"/v1/subscriptions/{bad['id']}/deliveries", params={"limit": 1}, headers=admin
        )
        assert limited.json()["deliveries"] == [newest]


@pytest.mark.parametrize("kind", ["apprise", "broadcast"])
async def test_apprise_urls_are_shown_as_apprise_masks_them(
    api: httpx.AsyncClient, admin: dict[str, str], kind: str
) -> None:
    """As docs/apprise.md says: the service and where it goes, its token masked."""
    url = "tgram://123456789:AAHs3cretTokenValue/-1001234567890"
    created = await create(api, admin, kind=kind, url=url)
    listed = (await api.get("/v1/subscriptions", headers=admin)).json()
    shown = (await api.get(f"/v1/subscriptions/{created['id']}", headers=admin)).json()
    for view in (created, shown, *listed["subscriptions"]):
        assert view["url"].startswith("tgram://") and "s3cret" not in view["url"]
        assert view["url"] != "tgram://***"  # more than the scheme: apprise's own rendering
    assert "****" in created["url"] or "..." in created["url"]

"""/v1/events: every accepted change, numbered without gaps, read from a sequence number on."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tocsin.service.ports import ManualClock

Json = dict[str, Any]
EVENT_KEYS = {"seq", "id", "type", "time", "actor", "alert", "changes"}


async def raise_alert(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Json:
    body = {"threat": "missile", "regions": ["UA-63"], **body}
    response = await client.post("/v1/alerts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    alert: Json = response.json()
    return alert


async def page(client: httpx.AsyncClient, **params: Any) -> Json:
    response = await client.get("/v1/events", params=params)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def history(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> tuple[int, Json, Json]:
    """Raise (pre-alert), activate, escalate, widen, end one alert; raise and cancel another."""
    start = (await page(client))["last_seq"]
    first = await raise_alert(client, admin, threat="uav", pre_alert=True)
    url = f"/v1/alerts/{first['id']}"
    clock.advance(60)
    await client.post(f"{url}/activate", headers=admin)
    clock.advance(60)
    await client.patch(url, json={"threat": "missile"}, headers=admin)
    clock.advance(60)
    await client.patch(
        url, json={"add_regions": ["UA-32"], "remove_regions": ["UA-63"]}, headers=admin
    )
    clock.advance(60)
    await client.post(f"{url}/end", headers=admin)
    second = await raise_alert(client, admin, threat="air", regions=["RU-BEL"], status="test")
    await client.post(
        f"/v1/alerts/{second['id']}/cancel", json={"message": "wrong siren"}, headers=admin
    )
    return start, first, second


async def test_every_change_is_an_event_in_order(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> None:
    start, first, second = await history(client, admin, clock)
    body = await page(client, after=start)
    events = body["events"]
    assert [e["seq"] for e in events] == list(range(start + 1, start + 8))
    assert body["last_seq"] == body["next_after"] == start + 7
    assert [(e["type"], e["alert"]["id"]) for e in events] == [
        ("alert.raised", first["id"]),
        ("alert.activated", first["id"]),
        ("alert.escalated", first["id"]),
        ("alert.updated", first["id"]),
        ("alert.ended", first["id"]),
        ("alert.raised", second["id"]),
        ("alert.cancelled", second["id"]),
    ]
    for event in events:
        assert set(event) >= EVENT_KEYS
        assert event["actor"].startswith("test-admin (tk_")
    assert [e["time"] for e in events] == [
        "2026-03-01T12:00:00Z",
        "2026-03-01T12:01:00Z",
        "2026-03-01T12:02:00Z",
        "2026-03-01T12:03:00Z",
        "2026-03-01T12:04:00Z",
        "2026-03-01T12:04:00Z",
        "2026-03-01T12:04:00Z",
    ]
    assert [e["changes"] for e in events] == [
        {},
        {"phase": {"from": "pre_alert", "to": "active"}},
        {"threat": {"from": "uav", "to": "missile"}},
        {"regions": {"added": ["UA-32"], "removed": ["UA-63"]}},
        {"phase": {"from": "active", "to": "ended"}},
        {},
        {"phase": {"from": "active", "to": "cancelled"}},
    ]
    assert [e["alert"]["version"] for e in events] == [1, 2, 3, 4, 5, 1, 2]
    assert events[6]["alert"]["cancel_message"] == "wrong siren"


async def test_the_event_holds_the_alert_as_it_became(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> None:
    start, first, _ = await history(client, admin, clock)
    events = (await page(client, after=start))["events"]
    ended = (await client.get(f"/v1/alerts/{first['id']}")).json()
    snapshot = events[4]["alert"]
    assert snapshot["phase"] == ended["phase"] == "ended"
    assert snapshot["regions"] == [r["code"] for r in ended["regions"]] == ["UA-32"]
    assert snapshot["threat"] == ended["threat"]["id"] == "missile"
    for key in ("raised_at", "activated_at", "ended_at", "version", "status"):
        assert snapshot[key] == ended[key]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
async def test_after_pages_through_every_event_once(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock, limit: int
) -> None:
    await history(client, admin, clock)
    seen: list[int] = []
    after = 0
    while True:
        body = await page(client, after=after, limit=limit)
        assert len(body["events"]) <= limit
        if not body["events"]:
            assert body["next_after"] == after
            break
        seen += [e["seq"] for e in body["events"]]
        after = body["next_after"]
    assert seen == list(range(1, body["last_seq"] + 1))


async def test_after_the_last_event_there_is_nothing(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await raise_alert(client, admin)
    last = (await page(client))["last_seq"]
    for after in (last, last + 1, 2**63 - 1):
        body = await page(client, after=after)
        assert body == {"events": [], "next_after": after, "last_seq": last}


async def test_the_log_starts_with_the_region_packs(client: httpx.AsyncClient) -> None:
    events = (await page(client))["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert {e["type"] for e in events} == {"regions.imported"}
    assert {e["pack"] for e in events} == {"ua", "ru-border"}


async def test_the_default_limit_is_100(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for _ in range(101):
        await raise_alert(client, admin)
    body = await page(client)
    assert len(body["events"]) == 100
    assert body["next_after"] == 100
    assert body["last_seq"] > 100


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "one"}, "after"),
        ({"after": str(2**63)}, "after"),
        ({"after": "99999999999999999999999"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
    ],
)
async def test_bad_event_queries_are_422(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get("/v1/events", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == ("invalid_input", field)


async def test_every_event_has_an_alert_field_even_when_it_is_about_something_else(
    client: httpx.AsyncClient,
) -> None:
    events = (await client.get("/v1/events", params={"after": 0})).json()["events"]
    imported = [e for e in events if e["type"] == "regions.imported"]
    assert imported, "the packs' import is in the log"
    for event in imported:
        assert event["alert"] is None and event["changes"] == {}
        assert event["pack"] in ("ua", "ru-border")

"""An actual incident is public only once an officer publishes it, and not before the configured
delay after it started: until then the public reads, exports, statistics, the event log and the
live streams leave it out, while signed-in callers see it. Drills are public at once; incidents
recorded before publication existed stay public (see test_incidents_migration.py)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
import pytest

from conftest import START, bearer
from tocsin.bootstrap import Tocsin
from tocsin.domain.events import Event
from tocsin.domain.interest import Interest
from tocsin.service.ports import ManualClock

pytest_plugins = ("incident_support",)  # the `incidents` and `api` fixtures
Json = dict[str, Any]
STRIKE = {
    "regions": ["UA-63"],
    "threats": ["missile"],
    "start": (START - timedelta(minutes=30)).isoformat(),
    "places": [{"lat": 49.99, "lon": 36.23, "precision_m": 100, "name": "Shevchenko St"}],
    "title": "Strike on Kharkiv",
}
CLAIM = {"measure": "injured", "value": 3, "source": "Kharkiv OVA"}
DELAY = timedelta(hours=6)


@pytest.fixture
async def admin(tocsin: Tocsin) -> dict[str, str]:
    tocsin.incidents.publish_delay = DELAY
    return await bearer(tocsin, "admin")


async def strike(api: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> Json:
    made = await api.post("/v1/incidents", json={**STRIKE, **fields}, headers=headers)
    assert made.status_code == 201, made.text
    body: Json = made.json()
    return body


async def public_reads(api: httpx.AsyncClient, incident_id: str) -> dict[str, Any]:
    """What the public (no credentials) learns of the incident from every read."""
    listed = (await api.get("/v1/incidents")).json()["incidents"]
    exported = (await api.get("/v1/incidents/export.json")).json()["incidents"]
    rows = list(csv.DictReader(io.StringIO((await api.get("/v1/incidents/export.csv")).text)))
    events = (await api.get("/v1/events", params={"limit": 1000})).json()["events"]
    return {
        "one": (await api.get(f"/v1/incidents/{incident_id}")).status_code,
        "timeline": (await api.get(f"/v1/incidents/{incident_id}/timeline")).status_code,
        "listed": [i["id"] for i in listed],
        "exported": [i["id"] for i in exported],
        "csv": len(rows),
        "stats": (await api.get("/v1/incidents/stats")).json()["incidents"],
        "events": [e["type"] for e in events if e.get("incident_id") == incident_id],
    }


async def test_an_actual_incident_is_hidden_until_published_after_the_delay(
    api: httpx.AsyncClient, admin: dict[str, str], tocsin: Tocsin, clock: ManualClock
) -> None:
    made = await strike(api, admin)
    incident_id = made["id"]
    assert made["published_at"] is None
    assert made["publishable_at"] == "2026-03-01T17:30:00Z"  # six hours after its start
    claim = await api.post(f"/v1/incidents/{incident_id}/claims", json=CLAIM, headers=admin)
    assert claim.status_code == 201
    assert await public_reads(api, incident_id) == {
        "one": 404,
        "timeline": 404,
        "listed": [],
        "exported": [],
        "csv": 0,
        "stats": 0,
        "events": [],
    }
    viewer = await bearer(tocsin, "viewer")  # signed in: sees it, never from a shared cache
    seen = await api.get(f"/v1/incidents/{incident_id}", headers=viewer)
    assert seen.status_code == 200 and seen.json()["places"][0]["name"] == "Shevchenko St"
    assert seen.headers["cache-control"] == "private, no-store"
    listed = (await api.get("/v1/incidents", headers=viewer)).json()["incidents"]
    assert [i["id"] for i in listed] == [incident_id]

    before = (await tocsin.store.last_seq(), len(await tocsin.store.audit_entries()))
    early = await api.post(f"/v1/incidents/{incident_id}/publish", headers=admin)
    assert early.status_code == 409, early.text
    problem = early.json()
    assert (problem["code"], problem["field"]) == ("too_early", "published_at")
    assert "2026-03-01T17:30:00Z" in problem["detail"]
    clock.advance(timedelta(hours=5, minutes=29).total_seconds())  # a minute short
    assert (
        await api.post(f"/v1/incidents/{incident_id}/publish", headers=admin)
    ).status_code == 409
    assert (await tocsin.store.last_seq(), len(await tocsin.store.audit_entries())) == before

    clock.advance(60)
    published = await api.post(f"/v1/incidents/{incident_id}/publish", headers=admin)
    assert published.status_code == 200, published.text
    body = published.json()
    assert (body["published_at"], body["publishable_at"]) == ("2026-03-01T17:30:00Z", None)
    audit = (await tocsin.store.audit_entries())[-1]
    assert audit.action == "incident.published"
    shown = await public_reads(api, incident_id)
    assert shown == {
        "one": 200,
        "timeline": 200,
        "listed": [incident_id],
        "exported": [incident_id],
        "csv": 1,
        "stats": 1,
        "events": ["incident.published"],  # the earlier, withheld events stay out of the log
    }
    again = await api.post(f"/v1/incidents/{incident_id}/publish", headers=admin)
    assert (again.status_code, again.json()["field"]) == (409, "published_at")
    later = await api.post(f"/v1/incidents/{incident_id}/claims", json=CLAIM, headers=admin)
    assert later.status_code == 201
    events = (await api.get("/v1/events", params={"limit": 1000})).json()["events"]
    assert [e["type"] for e in events if e.get("incident_id") == incident_id] == [
        "incident.published",
        "incident.claim_added",  # once public, its changes go out as any event does
    ]


async def test_an_incident_recorded_long_after_it_started_may_be_published_at_once(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    old = await strike(api, admin, start=(START - timedelta(days=2)).isoformat())
    assert old["publishable_at"] == "2026-03-01T12:00:00Z"  # when it was recorded
    published = await api.post(f"/v1/incidents/{old['id']}/publish", headers=admin)
    assert published.status_code == 200, published.text


@pytest.mark.parametrize(
    ("role", "regions", "status", "field"),
    [
        ("viewer", (), 403, None),
        ("approver", ("UA",), 403, None),
        ("automation", ("UA",), 403, None),  # a person decides what the public sees
        ("operator", ("UA-59",), 403, "regions[0]"),  # outside the operator's regions
        ("operator", ("UA-63",), 200, None),
    ],
)
async def test_who_may_publish(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    tocsin: Tocsin,
    clock: ManualClock,
    role: str,
    regions: tuple[str, ...],
    status: int,
    field: str | None,
) -> None:
    made = await strike(api, admin)
    clock.advance(DELAY.total_seconds())
    headers = await bearer(tocsin, role, *regions)
    before = await tocsin.store.last_seq()
    answer = await api.post(f"/v1/incidents/{made['id']}/publish", headers=headers)
    assert answer.status_code == status, answer.text
    if status != 200:
        assert answer.json().get("field") == field
        assert await tocsin.store.last_seq() == before
    assert (await api.post(f"/v1/incidents/{made['id']}/publish")).status_code == 401


async def test_a_drill_is_public_at_once_and_needs_no_publishing(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    drill = await strike(api, admin, mode="exercise")
    assert drill["published_at"] == "2026-03-01T12:00:00Z" and drill["publishable_at"] is None
    seen = await api.get(f"/v1/incidents/{drill['id']}")
    assert seen.status_code == 200 and seen.json()["marker"] == "EXERCISE"
    again = await api.post(f"/v1/incidents/{drill['id']}/publish", headers=admin)
    assert (again.status_code, again.json()["field"]) == (409, "published_at")


async def test_unknown_incident_and_bad_id(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    missing = await api.post(
        "/v1/incidents/7c1d4a1e-0000-4000-8000-000000000000/publish", headers=admin
    )
    assert (missing.status_code, missing.json()["field"]) == (404, "id")


def test_a_withheld_event_reaches_no_stream_or_webhook(tocsin: Tocsin) -> None:
    data = {"incident_id": "i-1", "incident": {"id": "i-1"}}
    withheld = Event(7, "e-7", "incident.created", START, "admin", None, {**data, "withheld": True})
    public = Event(8, "e-8", "incident.published", START, "admin", None, data)
    everything = Interest()
    tree = tocsin.regions.tree
    assert not everything.matches(withheld, tree) and everything.matches(public, tree)
    assert withheld.withheld and not public.withheld

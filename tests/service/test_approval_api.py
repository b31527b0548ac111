"""The two-person rule over HTTP: no client can send a held alert out by itself."""

from __future__ import annotations

import httpx

from conftest import bearer
from tocsin.bootstrap import Tocsin
from tocsin.domain.approval import ApprovalPolicy

BROAD = {"threat": "missile", "regions": ["UA-63", "UA-59", "UA-74"], "status": "actual"}


async def test_held_until_a_second_person_approves(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    tocsin.alerts.policy = ApprovalPolicy(more_regions_than=2)
    operator = await bearer(tocsin, "operator", "UA")
    approver = await bearer(tocsin, "approver", "UA")
    before = (await client.get("/v1/events")).json()["last_seq"]
    raised = await client.post("/v1/alerts", headers=operator, json=BROAD)
    assert raised.status_code == 202
    alert = raised.json()
    assert alert["phase"] == "pending" and alert["approval"]["reason"].startswith("it covers 3")
    assert (await client.get("/v1/alerts/active")).json()["alerts"] == []
    assert (await client.get("/v1/regions/UA-63/state")).json()["state"] == "none"
    assert (await client.get("/v1/events")).json()["last_seq"] == before
    listed = await client.get("/v1/alerts/pending", headers=approver)
    assert [a["id"] for a in listed.json()["alerts"]] == [alert["id"]]
    assert (await client.get("/v1/alerts/pending")).status_code == 401
    # the raiser can neither approve nor activate, end or change it into going out
    own = await client.post(f"/v1/alerts/{alert['id']}/approve", headers=operator)
    assert own.status_code == 403
    for action in ("activate", "end"):
        sneaky = await client.post(f"/v1/alerts/{alert['id']}/{action}", headers=operator)
        assert sneaky.status_code == 409 and sneaky.json()["code"] == "illegal_transition"
    patched = await client.patch(
        f"/v1/alerts/{alert['id']}", headers=operator, json={"threat": "uav"}
    )
    assert patched.status_code == 409
    approved = await client.post(f"/v1/alerts/{alert['id']}/approve", headers=approver)
    assert approved.status_code == 200 and approved.json()["phase"] == "active"
    assert (await client.get("/v1/regions/UA-63/state")).json()["state"] == "active"
    events = (await client.get("/v1/events", params={"after": before})).json()["events"]
    assert [e["type"] for e in events] == ["alert.raised"]


async def test_drills_and_small_alerts_are_not_held(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    tocsin.alerts.policy = ApprovalPolicy(more_regions_than=2)
    admin = await bearer(tocsin, "admin")
    drill = await client.post("/v1/alerts", headers=admin, json={**BROAD, "status": "exercise"})
    small = await client.post(
        "/v1/alerts", headers=admin, json={"threat": "uav", "regions": ["UA-63"]}
    )
    assert drill.json()["phase"] == small.json()["phase"] == "active"


async def test_reject_with_a_reason(tocsin: Tocsin, client: httpx.AsyncClient) -> None:
    tocsin.alerts.policy = ApprovalPolicy(always=True)
    operator = await bearer(tocsin, "operator", "UA-63")
    approver = await bearer(tocsin, "approver", "UA")
    alert = (
        await client.post(
            "/v1/alerts", headers=operator, json={"threat": "uav", "regions": ["UA-63"]}
        )
    ).json()
    rejected = await client.post(
        f"/v1/alerts/{alert['id']}/reject", headers=approver, json={"reason": "radar glitch"}
    )
    assert rejected.json()["phase"] == "rejected"
    assert rejected.json()["approval"]["rejection"] == "radar glitch"
    again = await client.post(f"/v1/alerts/{alert['id']}/approve", headers=approver)
    assert again.status_code == 409


async def test_audit_api_is_admin_only_and_verifies(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    admin = await bearer(tocsin, "admin")
    viewer = await bearer(tocsin, "viewer")
    await client.post("/v1/alerts", headers=admin, json={"threat": "uav", "regions": ["UA-63"]})
    assert (await client.get("/v1/audit", headers=viewer)).status_code == 403
    entries = (await client.get("/v1/audit", headers=admin)).json()["entries"]
    assert entries[-1]["action"] == "alert.raised" and entries[-1]["origin"] == "127.0.0.1"
    assert entries[-1]["prev_hash"] == entries[-2]["hash"]
    verdict = (await client.get("/v1/audit/verify", headers=admin)).json()
    assert verdict == {
        "ok": True,
        "checked": len(entries),
        "broken_at": None,
        "reason": None,
        "keyed": True,
        "checkpoints": 0,
    }


async def test_held_alerts_are_not_public(tocsin: Tocsin, client: httpx.AsyncClient) -> None:
    tocsin.alerts.policy = ApprovalPolicy(always=True)
    operator = await bearer(tocsin, "operator", "UA")
    alert = (await client.post("/v1/alerts", headers=operator, json=BROAD)).json()
    assert (await client.get(f"/v1/alerts/{alert['id']}")).status_code == 401
    mine = await client.get(f"/v1/alerts/{alert['id']}", headers=operator)
    assert mine.status_code == 200 and mine.json()["phase"] == "pending"
    for phase in ("pending", "rejected"):
        listed = await client.get("/v1/alerts", params={"phase": phase})
        assert listed.status_code == 422 and listed.json()["field"] == "phase"
    assert (await client.get("/v1/alerts")).json()["alerts"] == []


async def test_an_update_cannot_widen_past_the_rule(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    tocsin.alerts.policy = ApprovalPolicy(more_regions_than=2, free_text=True)
    operator = await bearer(tocsin, "operator", "UA")
    alert = (
        await client.post(
            "/v1/alerts", headers=operator, json={"threat": "uav", "regions": ["UA-63"]}
        )
    ).json()
    before = (await client.get("/v1/events")).json()["last_seq"]
    url = f"/v1/alerts/{alert['id']}"
    wider = await client.patch(
        url, headers=operator, json={"add_regions": ["UA-59", "UA-74", "UA-71"]}
    )
    assert wider.status_code == 409 and wider.json()["code"] == "approval_required"
    text = await client.patch(url, headers=operator, json={"text": "Stay inside"})
    assert text.status_code == 409
    assert (await client.get("/v1/events")).json()["last_seq"] == before
    escalated = await client.patch(
        url, headers=operator, json={"threat": "missile", "add_regions": ["UA-59"]}
    )
    assert escalated.status_code == 200 and escalated.json()["threat"]["id"] == "missile"

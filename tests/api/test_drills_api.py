"""/v1/drills: schedule, show, change, cancel; refused in the past or overlapping, with the field
named; and the after-action report as JSON, CSV and HTML, compared with the drill before."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx

from tocsin.bootstrap import Tocsin
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.service.ports import ManualClock
from tocsin.storage.siren_store import SirenStore
from tocsin.types import iso_time

Json = dict[str, Any]


def manual(t: Tocsin) -> ManualClock:
    assert isinstance(t.clock, ManualClock)
    return t.clock


def plan(t: Tocsin, hours: float = 2, **extra: Any) -> Json:
    when = t.clock.now() + timedelta(hours=hours)
    return {
        "title": "Spring drill",
        "threat": "missile",
        "regions": ["UA-63"],
        "scheduled_for": iso_time(when),
        "announce_before": 1800,
        "duration": 600,
        "sirens": True,
        **extra,
    }


def problem_of(response: httpx.Response, status: int, code: str, field: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert (body["code"], body["field"]) == (code, field)
    return body


async def test_schedule_show_change_and_cancel(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    made = await client.post("/v1/drills", json=plan(tocsin), headers=admin)
    assert made.status_code == 201, made.text
    drill = made.json()
    assert made.headers["location"] == f"/v1/drills/{drill['id']}"
    assert drill["state"] == "scheduled" and drill["regions"] == ["UA-63"]
    shown = await client.get(f"/v1/drills/{drill['id']}", headers=admin)
    assert shown.json() == drill
    changed = await client.patch(
        f"/v1/drills/{drill['id']}", json={"title": "Autumn drill", "duration": 900}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["duration"]) == ("Autumn drill", 900)
    listed = (await client.get("/v1/drills", headers=admin)).json()
    assert [d["id"] for d in listed["drills"]] == [drill["id"]]
    cancelled = await client.delete(f"/v1/drills/{drill['id']}", headers=admin)
    assert cancelled.json()["state"] == "cancelled"
    again = await client.patch(f"/v1/drills/{drill['id']}", json={"title": "x"}, headers=admin)
    problem_of(again, 409, "drill_started", "id")
    actions = [e.action for e in await tocsin.store.audit_entries()]
    assert actions[-3:] == ["drill.scheduled", "drill.changed", "drill.cancelled"]


async def test_past_and_overlapping_drills_are_refused_naming_the_field(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    past = await client.post("/v1/drills", json=plan(tocsin, hours=-1), headers=admin)
    problem_of(past, 422, "drill_in_past", "scheduled_for")
    first = await client.post("/v1/drills", json=plan(tocsin), headers=admin)
    assert first.status_code == 201
    # a raion of the same oblast, five minutes into the first drill
    inside = plan(tocsin, hours=2 + 5 / 60, regions=["UA-63-R124"])
    overlap = await client.post("/v1/drills", json=inside, headers=admin)
    body = problem_of(overlap, 409, "drill_overlap", "scheduled_for")
    assert first.json()["id"] in body["detail"]
    kyiv = {**inside, "regions": ["UA-32"]}
    elsewhere = await client.post("/v1/drills", json=kyiv, headers=admin)
    assert elsewhere.status_code == 201, elsewhere.text
    after = await client.post("/v1/drills", json=plan(tocsin, hours=2.5), headers=admin)
    assert after.status_code == 201, after.text


async def test_a_viewer_may_read_drills_but_not_plan_one(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    viewer = {
        "Authorization": f"Bearer {(await tocsin.tokens.create('viewer', (), name='v')).secret}"
    }
    refused = await client.post("/v1/drills", json=plan(tocsin), headers=viewer)
    assert refused.status_code == 403
    assert (await client.get("/v1/drills", headers=viewer)).status_code == 200
    assert (await client.get("/v1/drills")).status_code == 401


async def run_drill(t: Tocsin, client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    made = await client.post("/v1/drills", json=plan(t), headers=admin)
    drill_id: str = made.json()["id"]
    manual(t).advance(2 * 3600)
    await t.drills.tick()
    return drill_id


async def test_the_report_as_json_csv_and_html_compared_with_the_drill_before(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    for siren in ("kh-1", "kh-2", "kh-3"):
        await tocsin.sirens.register(siren, "UA-63", LOCAL_ADMIN)
    await tocsin.sirens.register("kyiv-1", "UA-32", LOCAL_ADMIN)
    first = await run_drill(tocsin, client, admin)
    manual(tocsin).advance(600)
    await tocsin.drills.tick()

    second = await run_drill(tocsin, client, admin)
    drill = await tocsin.drills.get(second)
    assert drill.alert_id is not None and drill.started_at is not None
    seqs = await tocsin.drills.reads.event_seqs(drill.alert_id)
    assert seqs is not None
    sirens = SirenStore(tocsin.store.engine)
    await sirens.record_commands(["kh-1", "kh-2"], seqs[0], drill.started_at)
    await sirens.record_ack("kh-1", seqs[0], drill.started_at + timedelta(seconds=4))
    await sirens.record_ack("kh-2", seqs[0], drill.started_at + timedelta(seconds=75))
    manual(tocsin).advance(60)
    # a console action during the drill
    raised = await client.post(
        "/v1/alerts", json={"threat": "missile", "regions": ["UA-32"]}, headers=admin
    )
    assert raised.status_code == 201, raised.text
    manual(tocsin).advance(540)
    await tocsin.drills.tick()

    report = (await client.get(f"/v1/drills/{second}/report", headers=admin)).json()
    assert report["drill"]["state"] == "ended"
    by_id = {s["id"]: s for s in report["sirens"]["sirens"]}
    assert set(by_id) == {"kh-1", "kh-2", "kh-3"}  # the Kyiv siren is not in the drill's region
    assert [by_id[s]["outcome"] for s in ("kh-1", "kh-2", "kh-3")] == ["in_time", "late", "silent"]
    assert by_id["kh-1"]["ack_after_s"] == 4.0
    assert report["sirens"]["summary"] == {"in_time": 1, "late": 1, "failed": 0, "silent": 1}
    assert report["sirens"]["time_to_95_percent_acked"] is None  # one of three never acked
    assert [a["action"] for a in report["console_actions"]] == ["alert.raised"]
    assert report["previous"]["id"] == first
    assert report["previous"]["sirens"]["silent"] == 3
    assert report["stream_clients"] is None and report["not_measured"]

    got = await client.get(f"/v1/drills/{second}/report?format=csv", headers=admin)
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["section", "name", "measure", "value"]
    assert ["siren", "kh-2", "outcome", "late"] in rows
    assert ["previous", first, "scheduled_for", report["previous"]["scheduled_for"]] in rows

    page = await client.get(f"/v1/drills/{second}/report?format=html", headers=admin)
    assert page.headers["content-type"].startswith("text/html")
    assert "Drill report: Spring drill" in page.text and "<td>kh-3</td>" in page.text

    missing = await client.get(f"/v1/drills/{'0' * 32}/report", headers=admin)
    assert missing.status_code == 404


async def test_the_public_page_reads_the_drills_people_are_told_of(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    made = await client.post("/v1/drills", json=plan(tocsin), headers=admin)
    assert (await client.get("/v1/drills/notices")).json() == {"drills": []}
    manual(tocsin).advance(2 * 3600 - 1800)
    await tocsin.drills.tick()
    [shown] = (await client.get("/v1/drills/notices")).json()["drills"]  # no token: public
    assert (shown["id"], shown["state"]) == (made.json()["id"], "announced")
    assert shown["texts"]["uk"].endswith("Це не справжня тривога.")
    manual(tocsin).advance(1800)
    await tocsin.drills.tick()
    assert (await client.get("/v1/drills/notices")).json()["drills"][0]["state"] == "running"
    manual(tocsin).advance(600)
    await tocsin.drills.tick()
    assert (await client.get("/v1/drills/notices")).json() == {"drills": []}

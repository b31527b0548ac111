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
from tocsin.domain.drills import DrillRecord
from tocsin.service.ports import ManualClock
from tocsin.storage.drill_store import DrillStore
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


async def command_drill_sirens(t: Tocsin, drill: DrillRecord, ids: list[str]) -> int:
    """What the siren channel does for a drill's raise: note the command in the sirens' rows
    and in the drill's own record; the raise's seq."""
    assert drill.alert_id is not None and drill.started_at is not None
    seqs = await t.drills.reads.event_seqs(drill.alert_id)
    assert seqs is not None
    await SirenStore(t.store.engine).record_commands(ids, seqs[0], drill.started_at)
    places = [(siren, "UA-63") for siren in ids]
    await DrillStore(t.store.engine).note_sirens(
        drill.id, places, drill.started_at, drill.ends_at, command=(seqs[0], drill.started_at)
    )
    return seqs[0]


async def test_the_report_as_json_csv_and_html_compared_with_the_drill_before(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    for siren in ("kh-1", "kh-2", "kh-3", "kh-4"):
        await tocsin.sirens.register(siren, "UA-63", LOCAL_ADMIN)
    await tocsin.sirens.register("kyiv-1", "UA-32", LOCAL_ADMIN)
    first = await run_drill(tocsin, client, admin)
    manual(tocsin).advance(600)
    await tocsin.drills.tick()

    second = await run_drill(tocsin, client, admin)
    drill = await tocsin.drills.get(second)
    assert drill.started_at is not None
    seq = await command_drill_sirens(tocsin, drill, ["kh-1", "kh-2", "kh-3", "kh-4"])
    sirens = SirenStore(tocsin.store.engine)
    await sirens.record_ack("kh-1", seq, drill.started_at + timedelta(seconds=4))
    await sirens.record_ack("kh-2", seq, drill.started_at + timedelta(seconds=75))
    await sirens.record_heartbeat("kh-4", drill.started_at + timedelta(seconds=20))
    await sirens.record_heartbeat("kh-3", drill.started_at - timedelta(seconds=20))  # before
    manual(tocsin).advance(60)
    # a console action during the drill
    raised = await client.post(
        "/v1/alerts", json={"threat": "missile", "regions": ["UA-32"]}, headers=admin
    )
    assert raised.status_code == 201, raised.text
    manual(tocsin).advance(540)
    await tocsin.drills.tick()

    url = f"/v1/drills/{second}/report"
    report = (await client.get(url, headers=admin)).json()
    assert report["drill"]["state"] == "ended"
    by_id = {s["id"]: s for s in report["sirens"]["sirens"]}
    assert set(by_id) == {"kh-1", "kh-2", "kh-3", "kh-4"}  # not the Kyiv siren: not its region
    outcomes = [by_id[s]["outcome"] for s in ("kh-1", "kh-2", "kh-3", "kh-4")]
    assert outcomes == ["in_time", "late", "silent", "failed"]
    assert by_id["kh-1"]["ack_after_s"] == 4.0
    assert by_id["kh-1"]["commanded_at"] == iso_time(drill.started_at)
    assert report["sirens"]["sounded"] is True and report["sirens"]["reason"] is None
    assert report["sirens"]["summary"] == {"in_time": 1, "late": 1, "failed": 1, "silent": 1}
    assert report["sirens"]["time_to_95_percent_acked"] is None  # two of four never acked
    assert [a["action"] for a in report["console_actions"]] == ["alert.raised"]
    assert report["previous"]["id"] == first
    assert report["previous"]["sirens"]["silent"] == 4
    # no node served streams here (the app was not started): a count of none, not a gap
    assert report["stream_clients"]["total"]["connected"] == 0

    # after the drill: an actual alert's command, acknowledged by every siren, changes nothing
    later = await client.post(
        "/v1/alerts", json={"threat": "uav", "regions": ["UA-63"]}, headers=admin
    )
    assert later.status_code == 201, later.text
    head = await tocsin.drills.reads.event_seqs(later.json()["id"])
    assert head is not None
    await sirens.record_commands(["kh-1", "kh-2", "kh-3", "kh-4"], head[0], tocsin.clock.now())
    manual(tocsin).advance(5)
    for siren in ("kh-1", "kh-2", "kh-3", "kh-4"):
        assert await sirens.record_ack(siren, head[0], tocsin.clock.now())
        assert await sirens.record_heartbeat(siren, tocsin.clock.now())
    again = (await client.get(url, headers=admin)).json()
    assert again["sirens"] == report["sirens"]
    record = await sirens.get("kh-1")
    assert record is not None and record.last_ack_seq == head[0]  # the sirens' rows moved on

    got = await client.get(f"{url}?format=csv", headers=admin)
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["section", "name", "measure", "value"]
    assert ["siren", "kh-2", "outcome", "late"] in rows
    assert ["siren", "kh-1", "acked_at", iso_time(drill.started_at + timedelta(seconds=4))] in rows
    assert ["previous", first, "scheduled_for", report["previous"]["scheduled_for"]] in rows
    assert ["streams", "all", "connected", "0"] in rows

    page = await client.get(f"{url}?format=html", headers=admin)
    assert page.headers["content-type"].startswith("text/html")
    assert "Drill report: Spring drill" in page.text and "<td>kh-3</td>" in page.text

    missing = await client.get(f"/v1/drills/{'0' * 32}/report", headers=admin)
    assert missing.status_code == 404


async def test_a_silent_drill_says_why_its_sirens_did_not_sound(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    await tocsin.sirens.register("kh-1", "UA-63", LOCAL_ADMIN)
    made = await client.post("/v1/drills", json=plan(tocsin, sirens=False), headers=admin)
    drill_id = made.json()["id"]
    manual(tocsin).advance(2 * 3600)
    await tocsin.drills.tick()
    manual(tocsin).advance(600)
    await tocsin.drills.tick()
    url = f"/v1/drills/{drill_id}/report"
    report = (await client.get(url, headers=admin)).json()
    sirens = report["sirens"]
    assert (sirens["sounded"], sirens["reason"]) == (False, "sirens_off")
    assert "sirens: false" in sirens["detail"]
    assert sirens["sirens"] == [] and sirens["time_to_95_percent_acked"] is None
    got = await client.get(f"{url}?format=csv", headers=admin)
    rows = list(csv.reader(io.StringIO(got.text)))
    assert ["sirens", "all", "reason", "sirens_off"] in rows
    page = (await client.get(f"{url}?format=html", headers=admin)).text
    assert "sirens_off" in page


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

"""/v1/reports with the real extraction, on SQLite and PostgreSQL: a report is read, stored,
matched to the incidents of its mode and proposes claims; proposals are accepted through the
incident commands (scopes, modes, audit) or rejected; refusals write nothing; reports never
reach the public."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conftest import bearer
from tocsin.api.deps import SESSION_COOKIE
from tocsin.bootstrap import Tocsin
from tocsin.records.domain.reports import MAX_TEXT
from tocsin.service.ports import ManualClock

Json = dict[str, Any]
PASSWORD = "correct horse battery"
PUBLISHED = "2026-03-01T08:00:00+02:00"
STRIKE = {"regions": ["UA-63"], "threats": ["missile"], "start": "2026-02-28T22:30:00Z"}
TEXT = (
    "Overnight Russia attacked Kharkiv with missiles. At least 22 people were injured. "
    "Later the number of wounded rose to 28, the regional administration said."
)
SOURCE = {"name": "Kharkiv OVA", "kind": "official", "published_at": PUBLISHED}


async def submit(api: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Json:
    made = await api.post(
        "/v1/reports", json={"text": TEXT, "source": SOURCE, **body}, headers=headers
    )
    assert made.status_code == 201, made.text
    answer: Json = made.json()
    return answer


async def incident(api: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> str:
    made = await api.post("/v1/incidents", json={**STRIKE, **fields}, headers=headers)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def claim(
    api: httpx.AsyncClient, headers: dict[str, str], incident_id: str, value: int
) -> str:
    body = {"measure": "injured", "value": value, "source": {"name": "Kharkiv OVA"}}
    made = await api.post(f"/v1/incidents/{incident_id}/claims", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def console(tocsin: Tocsin, username: str, mode: str, *regions: str) -> dict[str, str]:
    await tocsin.accounts.create(username, PASSWORD, "operator", regions or ["UA-63"])
    secret, session = await tocsin.accounts.login(username, PASSWORD, "127.0.0.1")
    await tocsin.accounts.set_mode(secret, mode)
    return {"Cookie": f"{SESSION_COOKIE}={secret}", "X-CSRF-Token": session.csrf}


async def written(tocsin: Tocsin) -> tuple[int, int]:
    """What a refused request must leave as it was: the log and the audit trail."""
    return await tocsin.store.last_seq(), len(await tocsin.store.audit_entries())


def injured(report: Json) -> Json:
    [found] = [p for p in report["proposals"] if (p["claim"] or {}).get("measure") == "injured"]
    return found


async def accept(
    api: httpx.AsyncClient, headers: dict[str, str], report: Json, pid: str, **edits: Any
) -> httpx.Response:
    path = f"/v1/reports/{report['id']}/proposals/{pid}/accept"
    return await api.post(path, json=edits, headers=headers)


async def test_a_report_is_read_stored_and_answered_as_a_draft(
    tocsin: Tocsin, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    admin = await bearer(tocsin, "admin")
    report = await submit(client, admin)
    assert report["lang"] == "en"
    draft = report["draft"]
    assert {"start", "end", "regions", "threats", "places", "claims"} <= set(draft)
    assert draft["threats"] == ["missile"]
    assert all(code.startswith("UA-63") for code in draft["regions"]) and draft["regions"]
    [figure] = draft["claims"]
    assert (figure["measure"], figure["min"], figure["max"], figure["kind"]) == (
        "injured",
        28,
        28,
        "exact",
    )
    evidence = figure["evidence"]
    assert TEXT[evidence["start"] : evidence["end"]] == evidence["quote"]
    assert report["matches"] == []  # nothing recorded: a new incident is proposed
    kinds = [p["kind"] for p in report["proposals"]]
    assert kinds == ["incident", "claim"]
    assert all(p["status"] == "pending" for p in report["proposals"])

    again = (await client.get(f"/v1/reports/{report['id']}", headers=admin)).json()
    assert (again["text"], again["source"]["name"], again["mode"]) == (
        TEXT,
        "Kharkiv OVA",
        "actual",
    )
    assert again["proposals"] == report["proposals"]
    clock.advance(60)
    second = await submit(
        client, admin, text="Вночі ворог атакував Харків ракетами. Поранено 3 людей."
    )
    assert second["lang"] == "uk"
    listed = (await client.get("/v1/reports", headers=admin)).json()["reports"]
    assert [r["id"] for r in listed] == [second["id"], report["id"]]  # newest first

    viewer = await bearer(tocsin, "viewer")
    assert (await client.get(f"/v1/reports/{report['id']}", headers=viewer)).status_code == 200
    for path in ("/v1/reports", f"/v1/reports/{report['id']}"):
        assert (await client.get(path)).status_code == 401  # never public


async def test_no_match_proposes_an_incident_then_its_claims_go_onto_it(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    admin = await bearer(tocsin, "admin")
    report = await submit(client, admin, mode="exercise")
    new, figure = report["proposals"]
    early = await accept(client, admin, report, figure["id"])
    assert (early.status_code, early.json()["field"]) == (409, "incident_id")
    made = await accept(client, admin, report, new["id"])
    assert made.status_code == 200, made.text
    incident_id = made.json()["proposal"]["decision"]["incident_id"]
    record = (await client.get(f"/v1/incidents/{incident_id}", headers=admin)).json()
    assert record["mode"] == "exercise"  # the report's mode
    codes = [r["code"] for r in record["regions"]]
    assert (codes, [t["id"] for t in record["threats"]]) == (
        report["draft"]["regions"],
        ["missile"],
    )
    done = await accept(client, admin, report, figure["id"])
    assert done.status_code == 200, done.text
    record = (await client.get(f"/v1/incidents/{incident_id}", headers=admin)).json()
    [added] = record["claims"]
    assert (added["value"], added["source"]["name"], added["source"]["kind"]) == (
        28,
        "Kharkiv OVA",
        "official",
    )
    assert added["report"] == {"id": report["id"], **figure["claim"]["evidence"]}


async def test_a_matching_incident_gets_a_correction_that_supersedes_22_with_28(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    admin = await bearer(tocsin, "admin")
    strike = await incident(client, admin)
    elsewhere = await incident(client, admin, regions=["UA-46"])
    drill = await incident(client, admin, mode="exercise")
    old = await claim(client, admin, strike, 22)
    report = await submit(client, admin)
    assert report["matches"] == [strike]
    assert elsewhere not in report["matches"] and drill not in report["matches"]
    proposal = injured(report)
    assert (proposal["incident_id"], proposal["relation"], proposal["supersedes"]) == (
        strike,
        "correction",
        [old],
    )
    assert [p["kind"] for p in report["proposals"]] == ["claim"]  # no new incident
    before = await written(tocsin)

    made = await accept(client, admin, report, proposal["id"])
    assert made.status_code == 200, made.text
    decided = made.json()["proposal"]
    assert decided["status"] == "accepted"
    record = (await client.get(f"/v1/incidents/{strike}", headers=admin)).json()
    [new] = [c for c in record["claims"] if c["id"] != old]
    assert new["id"] == decided["decision"]["claim_id"]
    assert (new["value"], new["supersedes"]) == (28, [old])
    assert new["report"]["quote"] == proposal["claim"]["evidence"]["quote"]
    assert record["figures"]["injured"]["value"] == 28
    seq, audited = await written(tocsin)
    assert (seq, audited) == (before[0] + 2, before[1] + 2)  # the claim and the decision
    entries = await tocsin.store.audit_entries()
    assert [e.action for e in entries[-2:]] == ["incident.claim_added", "report.proposal_accepted"]

    twice = await accept(client, admin, report, proposal["id"])
    assert (twice.status_code, twice.json()["field"]) == (409, "status")
    path = f"/v1/reports/{report['id']}/proposals/{proposal['id']}/reject"
    assert (await client.post(path, json={}, headers=admin)).status_code == 409
    assert await written(tocsin) == (seq, audited)


async def test_the_same_figure_again_corroborates_and_supersedes_nothing(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    admin = await bearer(tocsin, "admin")
    strike = await incident(client, admin)
    await claim(client, admin, strike, 28)
    proposal = injured(await submit(client, admin))
    assert (proposal["relation"], proposal["supersedes"]) == ("corroboration", [])


async def test_figures_about_another_event_stay_apart_and_need_an_incident_named(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    admin = await bearer(tocsin, "admin")
    strike = await incident(client, admin, threats=["uav"])
    earlier = await incident(client, admin, regions=["UA-51"], start="2026-02-20T22:00:00Z")
    text = (
        "Overnight Russia attacked Kharkiv with Shahed drones. 3 people were injured. "
        "Last week a missile strike on Odesa killed 35 people."
    )
    report = await submit(client, admin, text=text)
    assert [c["measure"] for c in report["draft"]["claims"]] == ["injured"]
    [other] = [p for p in report["proposals"] if p["other"] is not None]
    assert (other["claim"]["measure"], other["claim"]["min"], other["incident_id"]) == (
        "killed",
        35,
        None,
    )
    assert report["others"][other["other"]]["claims"][0]["measure"] == "killed"
    main = injured(report)
    assert main["incident_id"] == strike and main["other"] is None
    refused = await accept(client, admin, report, other["id"])
    assert (refused.status_code, refused.json()["field"]) == (422, "incident_id")
    made = await accept(client, admin, report, other["id"], incident_id=earlier)
    assert made.status_code == 200, made.text
    record = (await client.get(f"/v1/incidents/{earlier}", headers=admin)).json()
    assert [(c["measure"], c["value"]) for c in record["claims"]] == [("killed", 35)]
    strike_claims = (await client.get(f"/v1/incidents/{strike}", headers=admin)).json()["claims"]
    assert strike_claims == []


async def test_edits_and_rejection(tocsin: Tocsin, client: httpx.AsyncClient) -> None:
    admin = await bearer(tocsin, "admin")
    strike = await incident(client, admin)
    report = await submit(client, admin)
    proposal = injured(report)
    bad = await accept(client, admin, report, proposal["id"], value=-3)
    assert (bad.status_code, bad.json()["field"]) == (422, "value")
    made = await accept(
        client,
        admin,
        report,
        proposal["id"],
        value="at least 30",
        status="confirmed",
        reliability="B",
    )
    assert made.status_code == 200, made.text
    [added] = (await client.get(f"/v1/incidents/{strike}", headers=admin)).json()["claims"]
    assert (added["min"], added["max"], added["kind"]) == (30, None, "at_least")
    assert (added["initial_status"], added["reliability"]) == ("confirmed", "B")

    second = await submit(client, admin)
    pid = injured(second)["id"]
    path = f"/v1/reports/{second['id']}/proposals/{pid}/reject"
    rejected = await client.post(path, json={"note": "a duplicate"}, headers=admin)
    assert rejected.status_code == 200, rejected.text
    decision = rejected.json()["proposal"]
    assert (decision["status"], decision["decision"]["note"]) == ("rejected", "a duplicate")
    claims = (await client.get(f"/v1/incidents/{strike}", headers=admin)).json()["claims"]
    assert len(claims) == 1  # a rejection records nothing on the incident


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"source": SOURCE}, 422, "text"),
        ({"text": "   ", "source": SOURCE}, 422, "text"),
        ({"text": 5, "source": SOURCE}, 422, "text"),
        ({"text": TEXT, "lang": "de", "source": SOURCE}, 422, "lang"),
        ({"text": TEXT, "source": {**SOURCE, "kind": "rumour"}}, 422, "source.kind"),
        (
            {"text": TEXT, "source": {**SOURCE, "published_at": "yesterday"}},
            422,
            "source.published_at",
        ),
        (
            {"text": TEXT, "source": {**SOURCE, "published_at": "2026-03-01T08:00"}},
            422,
            "source.published_at",
        ),
        ({"text": TEXT}, 422, "source.name"),
        ({"text": TEXT, "source": SOURCE, "mode": "drill"}, 422, "mode"),
        ({"text": "x" * (MAX_TEXT + 1), "source": SOURCE}, 413, "text"),
        ({"text": "x" * 1_000_000, "source": SOURCE}, 413, "text"),
    ],
)
async def test_a_refused_report_writes_nothing(
    tocsin: Tocsin, client: httpx.AsyncClient, body: Json, status: int, field: str
) -> None:
    admin = await bearer(tocsin, "admin")
    before = await written(tocsin)
    answer = await client.post("/v1/reports", json=body, headers=admin)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == field
    assert await written(tocsin) == before
    assert (await client.get("/v1/reports?mode=all", headers=admin)).json()["reports"] == []


@pytest.mark.parametrize("role", ["viewer", "automation", "approver"])
async def test_only_operators_and_admins_submit(
    tocsin: Tocsin, client: httpx.AsyncClient, role: str
) -> None:
    headers = await bearer(tocsin, role, *([] if role == "viewer" else ["UA-63"]))
    before = await written(tocsin)
    answer = await client.post(
        "/v1/reports", json={"text": TEXT, "source": SOURCE}, headers=headers
    )
    assert answer.status_code == 403, answer.text
    assert await written(tocsin) == before


async def test_an_operator_outside_the_incident_cannot_accept_onto_it(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    admin = await bearer(tocsin, "admin")
    strike = await incident(client, admin)
    lviv = await bearer(tocsin, "operator", "UA-46")
    report = await submit(client, lviv)  # anyone who may submit reads any report
    proposal = injured(report)
    assert proposal["incident_id"] == strike
    before = await written(tocsin)
    refused = await accept(client, lviv, report, proposal["id"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["field"].startswith("regions")
    assert await written(tocsin) == before
    again = (await client.get(f"/v1/reports/{report['id']}", headers=admin)).json()
    assert injured(again)["status"] == "pending"
    reject = f"/v1/reports/{report['id']}/proposals/{proposal['id']}/reject"
    refused = await client.post(reject, json={}, headers=lviv)  # nor turn it away
    assert refused.status_code == 403, refused.text
    assert await written(tocsin) == before
    viewer = await bearer(tocsin, "viewer")
    assert (await accept(client, viewer, report, proposal["id"])).status_code == 403
    kharkiv = await bearer(tocsin, "operator", "UA-63")
    assert (await accept(client, kharkiv, report, proposal["id"])).status_code == 200


async def test_an_operator_elsewhere_cannot_turn_away_figures_waiting_for_a_new_incident(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    kharkiv = await bearer(tocsin, "operator", "UA-63")
    report = await submit(client, kharkiv)  # no incident yet: a new one is proposed
    waiting = injured(report)
    assert waiting["incident_id"] is None
    lviv = await bearer(tocsin, "operator", "UA-46")
    before = await written(tocsin)
    reject = f"/v1/reports/{report['id']}/proposals/{waiting['id']}/reject"
    refused = await client.post(reject, json={}, headers=lviv)
    assert refused.status_code == 403, refused.text
    assert refused.json()["field"].startswith("regions")
    assert await written(tocsin) == before
    assert (await client.post(reject, json={}, headers=kharkiv)).status_code == 200


async def test_a_count_too_large_to_keep_is_refused_and_writes_nothing(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    admin = await bearer(tocsin, "admin")
    await incident(client, admin)
    report = await submit(client, admin)
    proposal = injured(report)
    before = await written(tocsin)
    path = f"/v1/reports/{report['id']}/proposals/{proposal['id']}/accept"
    for name in ("value", "min", "max"):
        body = f'{{"{name}": 99999999999999999999999}}'
        refused = await client.post(
            path, content=body, headers={**admin, "Content-Type": "application/json"}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == name
    assert await written(tocsin) == before


async def test_a_console_session_works_in_its_mode(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    admin = await bearer(tocsin, "admin")
    drill = await incident(client, admin, mode="exercise")
    await incident(client, admin)  # actual: never matched from an exercise session
    exercise = await console(tocsin, "olena", "exercise")
    actual = await console(tocsin, "petro", "actual")
    report = await submit(client, exercise)
    assert report["mode"] == "exercise"
    assert report["matches"] == [drill]
    before = await written(tocsin)
    refused = await client.post(
        "/v1/reports", json={"text": TEXT, "source": SOURCE, "mode": "actual"}, headers=exercise
    )
    assert (refused.status_code, refused.json()["field"]) == (403, "mode")
    other_mode = await accept(client, actual, report, injured(report)["id"])
    assert (other_mode.status_code, other_mode.json()["field"]) == (403, "mode")
    assert await written(tocsin) == before
    assert (await client.get("/v1/reports", headers=actual)).json()["reports"] == []
    listed = (await client.get("/v1/reports?mode=exercise", headers=actual)).json()["reports"]
    assert [r["id"] for r in listed] == [report["id"]]
    made = await accept(client, exercise, report, injured(report)["id"])
    assert made.status_code == 200, made.text
    claims = (await client.get(f"/v1/incidents/{drill}", headers=admin)).json()["claims"]
    assert [c["value"] for c in claims] == [28]
    token_default = await submit(client, admin)
    assert token_default["mode"] == "actual"


async def test_report_events_are_withheld_from_the_public_and_audited(
    tocsin: Tocsin, client: httpx.AsyncClient
) -> None:
    admin = await bearer(tocsin, "admin")
    strike = await incident(client, admin)
    report = await submit(client, admin)
    pid = injured(report)["id"]
    assert (await accept(client, admin, report, pid)).status_code == 200
    logged = [e for e in await tocsin.store.events_after(0) if e.type.startswith("report.")]
    assert [e.type for e in logged] == ["report.received", "report.proposal_accepted"]
    assert all(e.withheld for e in logged)
    public = (await client.get("/v1/events")).json()["events"]
    signed = (await client.get("/v1/events", headers=admin)).json()["events"]
    for seen in (public, signed):
        assert not [e for e in seen if e["type"].startswith("report.")]
    entries = await tocsin.store.audit_entries()
    actions = [e.action for e in entries]
    assert "report.received" in actions and "report.proposal_accepted" in actions
    received = next(e for e in entries if e.action == "report.received")
    assert received.target == report["id"] and received.detail["withheld"] is True
    assert received.detail["events"] == [logged[0].seq]  # the audit row names its event
    claims = (await client.get(f"/v1/incidents/{strike}", headers=admin)).json()["claims"]
    assert len(claims) == 1

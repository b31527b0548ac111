"""/v1/incidents, entered as a duty officer would: three reports of strikes from sources that
disagree, later verified or retracted; the figures, history, exports and statistics must tell
the truth at every step. Then every bad input, each refused with its code and field and
writing nothing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
import pytest

from conftest import bearer
from tocsin.bootstrap import Tocsin
from tocsin.service.ports import ManualClock

pytest_plugins = ("incident_support",)  # the `incidents` and `api` fixtures
Json = dict[str, Any]
KHARKIV_CITY = "UA-63-H1293"
NIKOPOL = "UA-12-H351"
ODESA_RAION = "UA-51-R104"


class Officer:
    """A duty officer at the API: every call checked for its status."""

    def __init__(self, api: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.api, self.headers = api, headers

    async def send(
        self, method: str, path: str, body: Any = None, expect: int = 200, **params: Any
    ) -> Json:
        response = await self.api.request(
            method, path, json=body, headers=self.headers, params=params
        )
        assert response.status_code == expect, response.text
        answer: Json = response.json()
        return answer

    async def incident(self, **body: Any) -> str:
        created = await self.send("POST", "/v1/incidents", body, 201)
        assert created["figures"] == {} and created["status"] == "open"
        assert created["mode"] == "actual"
        incident_id: str = created["id"]
        return incident_id

    async def claim(self, incident_id: str, measure: str, source: Json | str, **body: Any) -> Json:
        body = {"measure": measure, "source": source, **body}
        return await self.send("POST", f"/v1/incidents/{incident_id}/claims", body, 201)

    async def act(self, incident_id: str, claim_id: str, action: str, **body: Any) -> Json:
        path = f"/v1/incidents/{incident_id}/claims/{claim_id}/{action}"
        return await self.send("POST", path, body or None)

    async def get(self, incident_id: str, **params: Any) -> Json:
        return await self.send("GET", f"/v1/incidents/{incident_id}", **params)

    async def stats(self, **params: Any) -> Json:
        return await self.send("GET", "/v1/incidents/stats", **params)

    async def last_seq(self) -> int:
        seq: int = (await self.send("GET", "/v1/events", limit=1))["last_seq"]
        return seq


@pytest.fixture
async def officer(api: httpx.AsyncClient, tocsin: Tocsin) -> Officer:
    return Officer(api, await bearer(tocsin, "admin"))


def fig(body: Json, measure: str) -> tuple[Any, ...] | None:
    """(value, min, max, status) of a current figure; None when there is none."""
    figure = body["figures"].get(measure)
    if figure is None:
        return None
    return (figure["value"], figure["min"], figure["max"], figure["status"])


def history(body: Json, measure: str) -> list[tuple[Any, ...]]:
    return [(r["text"], r["status"], r["cause"]) for r in body["figure_history"][measure]]


AIR_FORCE = {
    "name": "Air Force of the Armed Forces of Ukraine",
    "kind": "military",
    "url": "https://t.me/kpszsu/1",
    "published_at": "2026-03-01T07:00:00Z",
}
KHARKIV_OVA = {
    "name": "Kharkiv Oblast Military Administration",
    "kind": "official",
    "originator": "Governor Oleh Syniehubov",
    "published_at": "2026-03-01T02:10:00Z",
}


# --- scenario 1: a night missile attack with interceptions and broken windows ----------------


async def night_missile_attack(officer: Officer, clock: ManualClock) -> str:
    incident_id = await officer.incident(
        regions=[KHARKIV_CITY],
        threats=["missile"],
        start="2026-03-01T01:30:00Z",
        reported_at="2026-03-01T01:42:00Z",
        title="Night missile attack on Kharkiv",
        places=[{"lat": 49.9935, "lon": 36.2304, "precision_m": 2000, "name": "Kharkiv"}],
    )
    channel = {"name": "Kharkiv Live", "kind": "social_media", "url": "https://t.me/khl/9"}
    rumour = await officer.claim(
        incident_id, "detonations_heard", channel, value="5–6", reliability="E"
    )
    assert fig(rumour, "detonations_heard") == (None, 5, 6, "unverified")
    assert rumour["figures"]["detonations_heard"]["text"] == "5–6"
    clock.advance(300)
    media = await officer.claim(
        incident_id,
        "detonations_heard",
        {"name": "Suspilne Kharkiv", "kind": "media"},
        value="at least 3",
        reliability="B",
    )
    assert fig(media, "detonations_heard") == (None, 3, None, "unverified")

    hit = await officer.claim(
        incident_id, "impacts", KHARKIV_OVA, value=1, weapon="missile", reliability="A"
    )
    assert fig(hit, "impacts") == (1, 1, 1, "unverified")
    confirmed = await officer.act(incident_id, hit["id"], "verify", note="OVA statement")
    assert fig(confirmed, "impacts") == (1, 1, 1, "confirmed")
    assert confirmed["status"] == "confirmed"
    assert [(h["status"], h["event"]) for h in confirmed["history"]] == [
        ("unverified", "incident.claim_added"),
        ("confirmed", "incident.claim_verified"),
    ]
    assert confirmed["history"][1]["note"] == "OVA statement"

    await officer.claim(
        incident_id, "launched", AIR_FORCE, value=3, weapon="missile", reliability="A"
    )
    before = await officer.last_seq()
    refused = await officer.send(
        "POST",
        f"/v1/incidents/{incident_id}/claims",
        {
            "measure": "intercepted",
            "value": 4,
            "weapon": "missile",
            "source": AIR_FORCE,
        },
        422,
    )
    assert (refused["code"], refused["field"]) == ("intercepted_exceeds_launched", "value")
    assert await officer.last_seq() == before
    downed = await officer.claim(
        incident_id, "intercepted", AIR_FORCE, value=2, weapon="missile", reliability="A"
    )
    for claim_id in (downed["id"], *downed["figures"]["launched"]["claims"]):
        await officer.act(incident_id, claim_id, "verify")

    windows = await officer.claim(
        incident_id,
        "windows_broken",
        {"name": "Kharkiv City Council", "kind": "official"},
        value=7,
        reliability="B",
        note="six apartment buildings and one house",
    )
    await officer.act(incident_id, windows["id"], "verify")
    power = await officer.claim(
        incident_id,
        "buildings_without_power",
        {"name": "Kharkivoblenergo", "kind": "utility"},
        value="dozens",
    )
    assert power["figures"]["buildings_without_power"]["text"] == "dozens (20–99)"
    assert fig(power, "buildings_without_power") == (None, 20, 99, "unverified")

    injury = await officer.claim(incident_id, "injured", {"name": "Suspilne Kharkiv"}, value=1)
    assert fig(injury, "injured") == (1, 1, 1, "unverified")
    clock.advance(3600)
    revised = await officer.claim(
        incident_id,
        "injured",
        KHARKIV_OVA,
        value="none",
        supersedes=injury["id"],
        reliability="A",
        note="the injured man was a passer-by, unhurt",
    )
    await officer.act(incident_id, revised["id"], "verify")

    retracted = await officer.act(
        incident_id, rumour["id"], "retract", reason="the channel deleted the post"
    )
    assert fig(retracted, "detonations_heard") == (None, 3, None, "unverified")
    assert retracted["figures"]["detonations_heard"]["claims"] == [media["id"]]
    return incident_id


async def test_night_missile_attack(officer: Officer, clock: ManualClock) -> None:
    incident_id = await night_missile_attack(officer, clock)
    body = await officer.get(incident_id)
    assert fig(body, "impacts") == (1, 1, 1, "confirmed")
    assert fig(body, "launched") == (3, 3, 3, "confirmed")
    assert fig(body, "intercepted") == (2, 2, 2, "confirmed")
    assert body["figures"]["intercepted"]["by_weapon"]["missile"]["value"] == 2
    assert fig(body, "windows_broken") == (7, 7, 7, "confirmed")
    assert fig(body, "injured") == (0, 0, 0, "confirmed")  # an explicit zero …
    assert body["figures"]["injured"]["kind"] == "zero"
    assert fig(body, "killed") is None  # … is not the same as unknown
    sources = body["figures"]["windows_broken"]["sources"]
    assert [(s["name"], s["kind"], s["reliability"]) for s in sources] == [
        ("Kharkiv City Council", "official", "B")
    ]
    assert history(body, "injured") == [
        ("1", "unverified", "incident.claim_added"),
        ("none (0)", "unverified", "incident.claim_added"),
        ("none (0)", "confirmed", "incident.claim_verified"),
    ]
    assert history(body, "detonations_heard") == [
        ("5–6", "unverified", "incident.claim_added"),
        ("at least 3", "unverified", "incident.claim_added"),
        ("at least 3", "unverified", "incident.claim_retracted"),  # now from one source only
    ]
    claims = {c["id"]: c for c in body["claims"]}
    assert len(claims) == 9  # nothing is deleted: the retracted and the superseded stay
    rumour = next(c for c in body["claims"] if c["source"]["name"] == "Kharkiv Live")
    assert (rumour["status"], rumour["counts"]) == ("retracted", False)
    assert rumour["history"][-1]["note"] == "the channel deleted the post"
    superseded = next(c for c in body["claims"] if c["superseded"])
    assert (superseded["measure"], superseded["value"], superseded["counts"]) == (
        "injured",
        1,
        False,
    )
    assert body["places"][0]["precision_m"] == 2000
    assert body["reported_at"] == "2026-03-01T01:42:00Z"
    assert body["regions"][0]["name"] == "Kharkivska hromada"

    uk = await officer.get(incident_id, lang="uk")
    assert uk["figures"]["injured"]["name"] == "Поранені"
    assert uk["figures"]["injured"]["text"] == "жодного (0)"
    assert uk["figures"]["buildings_without_power"]["text"] == "dozens (20–99)"
    assert uk["threats"] == [{"id": "missile", "name": "Ракетна небезпека"}]
    assert uk["status_name"] == "Відкрито"
    ru = await officer.get(incident_id, lang="ru")
    assert ru["figures"]["detonations_heard"]["text"] == "не менее 3"
    assert ru["claims"][0]["status_name"] == "Отозвано"

    timeline = await officer.send("GET", f"/v1/incidents/{incident_id}/timeline")
    types = [e["type"] for e in timeline["events"]]
    assert types[0] == "incident.created" and types[-1] == "incident.claim_retracted"
    assert types.count("incident.claim_added") == 9
    assert types.count("incident.claim_verified") == 5
    last = timeline["events"][-1]
    assert [(f["measure"], f["text"], len(f["claims"])) for f in last["figures"]] == [
        ("detonations_heard", "at least 3", 1)
    ]


async def test_response_actions(officer: Officer, clock: ManualClock) -> None:
    incident_id = await officer.incident(
        regions=[KHARKIV_CITY], threats=["missile"], start="2026-03-01T01:30:00Z"
    )
    base = f"/v1/incidents/{incident_id}/responses"
    crew = await officer.send(
        "POST",
        base,
        {
            "kind": "crew",
            "task": "assessment",
            "party": "SES Kharkiv, unit 3",
            "people": 6,
            "started_at": "2026-03-01T02:05:00Z",
        },
        201,
    )
    assert (crew["status"], crew["task_name"], crew["kind_name"]) == (
        "in_progress",
        "Damage assessment",
        "Crew dispatched",
    )
    power = await officer.send(
        "POST",
        base,
        {
            "kind": "utility_restoration",
            "utility": "power",
            "party": "Kharkivoblenergo",
            "expected_at": "2026-03-01T18:00:00Z",
        },
        201,
    )
    clock.advance(1800)
    step = await officer.send(
        "POST",
        f"{base}/{power['id']}/progress",
        {"progress": 60, "note": "two substations back", "expected_at": "2026-03-01T20:00:00Z"},
    )
    assert (step["progress"], step["expected_at"]) == (60, "2026-03-01T20:00:00Z")
    patched = await officer.send("PATCH", f"{base}/{power['id']}", {"progress": 80})
    assert (patched["progress"], len(patched["updates"])) == (80, 2)
    done = await officer.send("POST", f"{base}/{crew['id']}/complete", {"note": "report filed"})
    assert (done["status"], done["progress"]) == ("completed", 100)
    again = await officer.send("POST", f"{base}/{crew['id']}/progress", {"progress": 10}, 409)
    assert again["code"] == "illegal_transition"
    evacuation = await officer.send(
        "POST",
        base,
        {"kind": "evacuation", "people": 40, "description": "residents of No. 12"},
        201,
    )
    body = await officer.get(incident_id)
    assert [(r["kind"], r["status"]) for r in body["responses"]] == [
        ("crew", "completed"),
        ("utility_restoration", "in_progress"),
        ("evacuation", "in_progress"),
    ]
    assert body["responses"][1]["updates"][0]["note"] == "two substations back"
    shelter = await officer.send("POST", base, {"type": "shelter_opened", "people": 120}, 201)
    assert shelter["kind"] == "shelter"
    assert evacuation["people"] == 40
    uk = await officer.get(incident_id, lang="uk")
    assert uk["responses"][1]["utility_name"] == "Електропостачання"
    await officer.send("POST", f"/v1/incidents/{incident_id}/close")
    closed = await officer.send("POST", base, {"kind": "shelter"}, 409)
    assert (closed["code"], closed["field"]) == ("incident_closed", "status")


# --- scenario 2: artillery shelling, one injured and a destroyed car ---------------------------


async def artillery_shelling(officer: Officer) -> str:
    incident_id = await officer.incident(
        regions=[NIKOPOL], threats=["artillery"], start="2026-03-01T09:10:00Z"
    )
    city = {"name": "Nikopol city head", "kind": "official", "originator": "Oleksandr Saiuk"}
    for measure, value in (("injured", 1), ("vehicles_destroyed", 1), ("killed", "none")):
        answer = await officer.claim(
            incident_id, measure, city, value=value, status="confirmed", reliability="A"
        )
        assert answer["status"] == "confirmed"
    rumour = await officer.claim(
        incident_id, "injured", {"name": "Nikopol Online", "kind": "social_media"}, value=2
    )
    assert fig(rumour, "injured") == (1, 1, 1, "confirmed")  # unverified never moves confirmed
    disputed = await officer.act(incident_id, rumour["id"], "dispute")
    assert disputed["figures"]["injured"]["disputed"] == [rumour["id"]]
    closed = await officer.send(
        "POST", f"/v1/incidents/{incident_id}/close", {"end": "2026-03-01T09:40:00Z"}
    )
    assert (closed["status"], closed["end"]) == ("closed", "2026-03-01T09:40:00Z")
    return incident_id


async def test_artillery_shelling(officer: Officer) -> None:
    incident_id = await artillery_shelling(officer)
    body = await officer.get(incident_id)
    assert fig(body, "injured") == (1, 1, 1, "confirmed")
    assert fig(body, "vehicles_destroyed") == (1, 1, 1, "confirmed")
    assert fig(body, "killed") == (0, 0, 0, "confirmed")
    before = await officer.last_seq()
    for path, payload in (
        ("claims", {"measure": "injured", "value": 3, "source": {"name": "late"}}),
        (f"claims/{body['claims'][0]['id']}/retract", None),
    ):
        refused = await officer.send("POST", f"/v1/incidents/{incident_id}/{path}", payload, 409)
        assert (refused["code"], refused["field"]) == ("incident_closed", "status")
    assert await officer.last_seq() == before
    await officer.send("POST", f"/v1/incidents/{incident_id}/reopen", {"note": "late report"})
    again = await officer.send("POST", f"/v1/incidents/{incident_id}/reopen", None, 409)
    assert (again["code"], again["field"]) == ("illegal_transition", "status")
    late = await officer.claim(
        incident_id,
        "injured",
        {"name": "Nikopol city head"},
        value=2,
        supersedes=[body["claims"][0]["id"]],
        status="confirmed",
        reliability="A",
    )
    assert fig(late, "injured") == (2, 2, 2, "confirmed")


# --- scenario 3: a drone attack, 21 of 49 shot down, wounded revised 22 → 28 --------------------


async def drone_attack(officer: Officer, clock: ManualClock) -> str:
    incident_id = await officer.incident(
        regions=[ODESA_RAION],
        threats=["uav"],
        start="2026-02-28T22:00:00Z",
        end="2026-03-01T04:00:00Z",
    )
    launched = await officer.claim(incident_id, "launched", AIR_FORCE, value=49, weapon="uav")
    shot = await officer.claim(incident_id, "shot_down", AIR_FORCE, value=21, weapon="uav")
    assert shot["measure"] == "intercepted"
    assert fig(shot, "intercepted") == (21, 21, 21, "unverified")
    stats = await officer.stats(region="UA-51", confirmed_only="false")
    assert stats["interception"]["rate"] == round(21 / 49, 4)
    assert stats["interception"]["based_on"] == 1
    assert stats["interception"]["confirmed"]["based_on"] == 0
    for claim_id in (launched["id"], shot["id"]):
        await officer.act(incident_id, claim_id, "verify")

    ova = {
        "name": "Odesa Oblast Military Administration",
        "kind": "official",
        "published_at": "2026-03-01T06:00:00Z",
    }
    first = await officer.claim(incident_id, "wounded", ova, value=22, reliability="A")
    stats = await officer.stats(region="UA-51")
    assert stats["casualties"]["injured"] == {
        "value": None,
        "min": None,
        "max": None,
        "based_on": 0,
    }
    assert (await officer.stats(region="UA-51", confirmed_only="false"))["casualties"]["injured"][
        "value"
    ] == 22
    await officer.act(incident_id, first["id"], "verify")
    assert (await officer.stats(region="UA-51"))["casualties"]["injured"]["value"] == 22
    clock.advance(86400)
    ova_next_day = {**ova, "published_at": "2026-03-02T06:00:00Z"}
    second = await officer.claim(
        incident_id, "injured", ova_next_day, value=28, reliability="A", supersedes=[first["id"]]
    )
    assert fig(second, "injured") == (28, 28, 28, "unverified")
    verified = await officer.act(incident_id, second["id"], "verify")
    assert fig(verified, "injured") == (28, 28, 28, "confirmed")
    return incident_id


async def test_drone_attack(officer: Officer, clock: ManualClock) -> None:
    incident_id = await drone_attack(officer, clock)
    body = await officer.get(incident_id)
    assert fig(body, "launched") == (49, 49, 49, "confirmed")
    assert fig(body, "intercepted") == (21, 21, 21, "confirmed")
    assert [h[:2] for h in history(body, "injured")] == [
        ("22", "unverified"),
        ("22", "confirmed"),
        ("28", "unverified"),
        ("28", "confirmed"),
    ]
    stats = await officer.stats(region="UA-51")
    assert stats["interception"]["confirmed"] | {"by_weapon": None} == {
        "launched": 49,
        "intercepted": 21,
        "rate": 0.4286,
        "based_on": 1,
        "inconsistent": 0,
        "by_weapon": None,
    }
    assert stats["interception"]["by_weapon"]["uav"]["rate"] == 0.4286
    assert stats["casualties"]["injured"] == {"value": 28, "min": 28, "max": 28, "based_on": 1}
    assert stats["casualties"]["killed"]["based_on"] == 0
    assert stats["incidents"] == 1 and stats["by_threat"] == {"uav": 1}


# --- all three: list, statistics and exports -----------------------------------------------------


async def test_list_statistics_and_exports(officer: Officer, clock: ManualClock) -> None:
    kharkiv = await night_missile_attack(officer, clock)
    nikopol = await artillery_shelling(officer)
    odesa = await drone_attack(officer, clock)

    listed = await officer.send("GET", "/v1/incidents")
    assert [i["id"] for i in listed["incidents"]] == [nikopol, kharkiv, odesa]  # by start
    assert "claims" not in listed["incidents"][0]
    assert listed["incidents"][0]["figures"]["injured"]["value"] == 1
    for params, expected in (
        ({"region": "UA-63"}, [kharkiv]),
        ({"region": "UA-51"}, [odesa]),
        ({"threat": "uav,artillery"}, [nikopol, odesa]),
        ({"status": "closed"}, [nikopol]),
        ({"since": "2026-03-01T05:00:00Z"}, [nikopol]),
        ({"until": "2026-03-01T00:00:00Z"}, [odesa]),
    ):
        found = await officer.send("GET", "/v1/incidents", **params)
        assert [i["id"] for i in found["incidents"]] == expected, params
    page = await officer.send("GET", "/v1/incidents", limit=2)
    rest = await officer.send("GET", "/v1/incidents", limit=2, cursor=page["next_cursor"])
    assert [i["id"] for i in page["incidents"] + rest["incidents"]] == [nikopol, kharkiv, odesa]

    stats = await officer.stats(region="UA")
    assert (stats["incidents"], stats["open"], stats["closed"]) == (3, 2, 1)
    assert stats["by_threat"] == {"artillery": 1, "missile": 1, "uav": 1}
    assert stats["casualties"]["injured"] == {"value": 29, "min": 29, "max": 29, "based_on": 3}
    assert stats["casualties"]["killed"] == {"value": 0, "min": 0, "max": 0, "based_on": 1}
    assert stats["damage"]["windows_broken"]["value"] == 7
    assert stats["damage"]["vehicles_destroyed"]["value"] == 1
    assert stats["impacts"]["confirmed"] == {"value": 1, "min": 1, "max": 1, "based_on": 1}
    interception = stats["interception"]["confirmed"]
    assert (interception["launched"], interception["intercepted"], interception["based_on"]) == (
        52,
        23,
        2,
    )
    assert interception["by_weapon"]["uav"]["based_on"] == 1
    assert stats["utilities"]["buildings_without_power"]["based_on"] == 0
    loose = await officer.stats(region="UA", confirmed_only="false")
    assert loose["utilities"]["buildings_without_power"] == {
        "value": None,
        "min": 20,
        "max": 99,
        "based_on": 1,
    }
    period = await officer.stats(since="2026-03-01T05:00:00Z", until="2026-03-02T00:00:00Z")
    assert period["incidents"] == 1 and period["casualties"]["injured"]["value"] == 1

    response = await officer.api.get(
        "/v1/incidents/export.csv", params={"tz": "Europe/Kyiv"}, headers=officer.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "event_date",
        "admin1",
        "admin2",
        "location",
        "latitude",
        "longitude",
        "event_type",
        "sub_event_type",
        "fatalities",
        "source",
        "notes",
    ]
    by_admin = {r["admin1"]: r for r in rows}
    assert [r["admin1"] for r in rows] == [
        "Odesa Oblast",
        "Kharkiv Oblast",
        "Dnipropetrovsk Oblast",
    ]
    kh = by_admin["Kharkiv Oblast"]
    assert (kh["event_date"], kh["admin2"], kh["location"], kh["latitude"], kh["longitude"]) == (
        "2026-03-01",
        "Kharkivskyi raion",
        "Kharkiv",
        "49.9935",
        "36.2304",
    )
    assert (kh["event_type"], kh["sub_event_type"], kh["fatalities"]) == (
        "Explosions/Remote violence",
        "Shelling/artillery/missile attack",
        "0",
    )
    assert "Kharkiv Live" not in kh["source"]  # its only claim was retracted
    assert "Kharkiv Oblast Military Administration" in kh["source"]
    assert "windows_broken 7 [confirmed]" in kh["notes"] and kharkiv in kh["notes"]
    od = by_admin["Odesa Oblast"]
    assert (od["event_date"], od["sub_event_type"], od["location"]) == (
        "2026-03-01",
        "Air/drone strike",
        "Odeskyi raion",  # 22:00 UTC is midnight in Kyiv
    )
    assert "injured 28 [confirmed]" in od["notes"]
    ni = by_admin["Dnipropetrovsk Oblast"]
    assert (ni["admin2"], ni["location"], ni["fatalities"]) == (
        "Nikopolskyi raion",
        "Nikopolska hromada",
        "0",
    )
    utc = await officer.api.get("/v1/incidents/export.csv", headers=officer.headers)
    assert next(csv.DictReader(io.StringIO(utc.text)))["event_date"] == "2026-02-28"
    bad = await officer.api.get("/v1/incidents/export.csv", params={"tz": "Mars/Olympus"})
    assert (bad.status_code, bad.json()["field"]) == (422, "tz")

    exported = await officer.send("GET", "/v1/incidents/export.json", region="UA-63")
    assert [i["id"] for i in exported["incidents"]] == [kharkiv]
    assert len(exported["incidents"][0]["claims"]) == 9


# --- bad input ---------------------------------------------------------------------------------

GOOD_INCIDENT = {"regions": ["UA-63"], "threats": ["missile"], "start": "2026-03-01T01:30:00Z"}
GOOD_CLAIM = {"measure": "injured", "value": 1, "source": {"name": "OVA"}}
BAD_INCIDENTS = [
    ({"end": "2026-03-01T01:00:00Z"}, "end_before_start", "end"),
    ({"regions": ["UA-63", "UA-99"]}, "unknown_region", "regions[1]"),
    ({"regions": []}, "invalid_input", "regions"),
    ({"threats": ["meteor"]}, "unknown_threat", "threats[0]"),
    ({"start": "2026-03-01T01:30:00"}, "invalid_input", "start"),
    ({"start": None}, "invalid_input", "start"),
    (
        {"places": [{"lat": 50.0, "lon": 36.2, "precision_m": [2**64]}]},
        "invalid_input",
        "places[0].precision_m",
    ),
    ({"places": [{"lat": 95, "lon": 36}]}, "invalid_input", "places[0].lat"),
    ({"alerts": ["no-such-alert"]}, "unknown_alert", "alerts[0]"),
    ({"colour": "red"}, "invalid_input", "colour"),
]
BAD_CLAIMS = [
    ({"value": -(2**63) - 1}, "invalid_input", "value"),
    ({"value": 2**63}, "invalid_input", "value"),
    ({"value": [2**64]}, "invalid_input", "value"),
    ({"value": None, "min": {"n": -(2**70)}, "max": 3}, "invalid_input", "min"),
    ({"value": -5}, "negative_count", "value"),
    ({"value": None, "min": -1, "max": 3}, "negative_count", "min"),
    ({"value": None, "min": 6, "max": 5}, "invalid_range", "max"),
    ({"value": None}, "invalid_input", "value"),
    ({"value": 3, "min": 1}, "invalid_input", "value"),
    ({"value": "a lot"}, "invalid_input", "value"),
    ({"value": 1.5}, "invalid_input", "value"),
    ({"source": {"name": ""}}, "empty_source", "source.name"),
    ({"source": {"name": "  "}}, "empty_source", "source.name"),
    ({"source": {}}, "empty_source", "source.name"),
    ({"source": None}, "empty_source", "source"),
    ({"source": 5}, "invalid_input", "source"),
    ({"source": {"name": "x", "url": "ftp://x"}}, "invalid_input", "source.url"),
    ({"measure": "morale"}, "unknown_measure", "measure"),
    ({"weapon": "uav"}, "invalid_input", "weapon"),
    ({"measure": "launched", "weapon": "catapult"}, "unknown_threat", "weapon"),
    ({"reliability": "Z"}, "invalid_input", "reliability"),
    ({"status": "retracted"}, "invalid_input", "status"),
    ({"supersedes": ["no-such-claim"]}, "unknown_claim", "supersedes[0]"),
]


@pytest.mark.parametrize(("change", "code", "field"), BAD_INCIDENTS)
async def test_bad_incidents_are_refused_and_write_nothing(
    officer: Officer, change: Json, code: str, field: str
) -> None:
    before = await officer.last_seq()
    refused = await officer.send("POST", "/v1/incidents", {**GOOD_INCIDENT, **change}, 422)
    assert (refused["code"], refused["field"]) == (code, field)
    assert await officer.last_seq() == before
    assert (await officer.send("GET", "/v1/incidents"))["incidents"] == []


@pytest.mark.parametrize(("change", "code", "field"), BAD_CLAIMS)
async def test_bad_claims_are_refused_and_write_nothing(
    officer: Officer, change: Json, code: str, field: str
) -> None:
    incident_id = await officer.incident(**GOOD_INCIDENT)
    before = await officer.last_seq()
    refused = await officer.send(
        "POST", f"/v1/incidents/{incident_id}/claims", {**GOOD_CLAIM, **change}, 422
    )
    assert (refused["code"], refused["field"]) == (code, field)
    assert await officer.last_seq() == before
    assert (await officer.get(incident_id))["claims"] == []


async def test_status_changes_that_cannot_happen(officer: Officer) -> None:
    incident_id = await officer.incident(**GOOD_INCIDENT)
    claim = await officer.claim(incident_id, "injured", {"name": "OVA"}, value=1)
    await officer.act(incident_id, claim["id"], "retract")
    before = await officer.last_seq()
    for action in ("verify", "dispute", "retract"):
        refused = await officer.send(
            "POST", f"/v1/incidents/{incident_id}/claims/{claim['id']}/{action}", None, 409
        )
        assert (refused["code"], refused["field"]) == ("illegal_transition", "status")
    missing = await officer.send(
        "POST", f"/v1/incidents/{incident_id}/claims/nope/verify", None, 404
    )
    assert missing["field"] == "claim_id"
    assert (await officer.send("GET", "/v1/incidents/nope", expect=404))["code"] == "not_found"
    assert await officer.last_seq() == before


async def test_who_may_write_and_who_may_read(
    officer: Officer, api: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    incident_id = await officer.incident(**GOOD_INCIDENT)
    path = f"/v1/incidents/{incident_id}/claims"
    assert (await api.post(path, json=GOOD_CLAIM)).status_code == 401
    viewer = await bearer(tocsin, "viewer")
    assert (await api.post(path, json=GOOD_CLAIM, headers=viewer)).status_code == 403
    odesa = await bearer(tocsin, "operator", "UA-51")
    refused = await api.post("/v1/incidents", json=GOOD_INCIDENT, headers=odesa)
    assert (refused.status_code, refused.json()["field"]) == (403, "regions[0]")
    assert (await api.post(path, json=GOOD_CLAIM, headers=odesa)).status_code == 403
    kharkiv = await bearer(tocsin, "operator", "UA-63")
    added = await api.post(path, json=GOOD_CLAIM, headers=kharkiv)
    assert added.status_code == 201 and added.json()["recorded_by"].startswith("test-operator")
    unpublished = await api.get(f"/v1/incidents/{incident_id}")
    assert unpublished.status_code == 404  # actual, not yet published: not the public's
    assert (await api.get(f"/v1/incidents/{incident_id}", headers=viewer)).status_code == 200
    tocsin.incidents.publish_delay = timedelta(0)
    await officer.send("POST", f"/v1/incidents/{incident_id}/publish")
    public = await api.get(f"/v1/incidents/{incident_id}")
    assert public.status_code == 200
    cached = await api.get(
        f"/v1/incidents/{incident_id}", headers={"If-None-Match": public.headers["etag"]}
    )
    assert cached.status_code == 304


async def test_links_to_alerts_and_amendments(officer: Officer) -> None:
    alert = await officer.send(
        "POST", "/v1/alerts", {"threat": "missile", "regions": ["UA-63"]}, 201
    )
    incident_id = await officer.incident(**GOOD_INCIDENT, alerts=[alert["id"]])
    linked = await officer.send(
        "POST", f"/v1/incidents/{incident_id}/alerts", {"alert_id": alert["id"]}
    )
    assert linked["alerts"] == [alert["id"]] and linked["version"] == 1  # nothing new
    refused = await officer.send(
        "POST", f"/v1/incidents/{incident_id}/alerts", {"alerts": [alert["id"], "nope"]}, 422
    )
    assert (refused["code"], refused["field"]) == ("unknown_alert", "alerts[1]")
    amended = await officer.send(
        "PATCH",
        f"/v1/incidents/{incident_id}",
        {
            "end": "2026-03-01T03:00:00Z",
            "add_regions": ["UA-12"],
            "title": "Two oblasts",
        },
    )
    assert [r["code"] for r in amended["regions"]] == ["UA-63", "UA-12"]
    assert (amended["end"], amended["version"]) == ("2026-03-01T03:00:00Z", 2)
    bad = await officer.send(
        "PATCH", f"/v1/incidents/{incident_id}", {"start": "2026-03-01T04:00:00Z"}, 422
    )
    assert (bad["code"], bad["field"]) == ("end_before_start", "end")
    timeline = await officer.send("GET", f"/v1/incidents/{incident_id}/timeline")
    assert [e["type"] for e in timeline["events"]] == ["incident.created", "incident.updated"]
    assert timeline["events"][1]["changes"]["regions"] == {"added": ["UA-12"]}


async def test_terms_are_served_in_the_callers_language(officer: Officer) -> None:
    terms = await officer.send("GET", "/v1/incidents/terms", lang="ru")
    assert terms["lang"] == "ru"
    assert terms["measures"][0] == {"id": "launched", "name": "Запущено", "weapon": True}
    assert {"id": "a few", "name": "несколько", "min": 2, "max": 9} in terms["vague_words"]
    assert terms["source_kinds"][0] == {"id": "official", "name": "Официальный источник"}

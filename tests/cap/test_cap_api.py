"""CAP over HTTP: alerts raised through the API fetched as CAP and validated against the XSD,
the Atom feed and its variants, caching, and `POST /v1/cap` (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from cap_support import (
    CAP_TYPE,
    KHARKIV_CITY,
    NS,
    START,
    area,
    cap_client,
    find_all,
    info,
    message,
    ref_of,
    xsd_errors,
)
from lxml import etree

from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.cap.parse import MAX_BYTES
from tocsin.cap.validate import problems
from tocsin.config import Settings
from tocsin.domain.approval import ApprovalPolicy
from tocsin.service.ports import ManualClock
from tocsin.storage.cap_store import CapStore

ATOM = {"atom": "http://www.w3.org/2005/Atom", "cap": NS["cap"]}


@pytest.fixture
async def http(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    async with cap_client(tocsin) as client:
        yield client


async def token(tocsin: Tocsin, role: str = "admin", *regions: str) -> dict[str, str]:
    new = await tocsin.tokens.create(role, regions, name=f"cap-{role}")
    return {"Authorization": f"Bearer {new.secret}"}


async def raise_alert(http: httpx.AsyncClient, auth: dict[str, str], **body: Any) -> str:
    response = await http.post(
        "/v1/alerts", json={"threat": "missile", "regions": ["UA-63"], **body}, headers=auth
    )
    assert response.status_code == 201, response.text
    alert_id: str = response.json()["id"]
    return alert_id


async def cap_of(http: httpx.AsyncClient, alert_id: str) -> bytes:
    response = await http.get(f"/cap/alerts/{alert_id}.xml")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/cap+xml"
    assert xsd_errors(response.content) == []
    assert problems(response.content, strict=True) == []
    return response.content


def text(data: bytes, path: str) -> str:
    found = etree.fromstring(data).findtext(path, namespaces=NS)
    assert found is not None, path
    return str(found)


async def test_alerts_raised_through_the_api_are_valid_cap(
    http: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    auth = await token(tocsin)
    alert_id = await raise_alert(http, auth, status="exercise", regions=["UA-63", "UA-59"])
    first = await cap_of(http, alert_id)
    assert text(first, "cap:status") == "Exercise"
    assert text(first, "cap:msgType") == "Alert"
    assert text(first, "cap:identifier") == f"tocsin.{alert_id}.1"
    assert len(find_all(first, "cap:info")) == 3
    assert len(find_all(first, "cap:info/cap:area")) == 6
    clock.advance(60)
    response = await http.patch(f"/v1/alerts/{alert_id}", json={"threat": "uav"}, headers=auth)
    assert response.status_code == 200
    clock.advance(60)
    assert (await http.post(f"/v1/alerts/{alert_id}/end", headers=auth)).status_code == 200
    last = await cap_of(http, alert_id)
    assert text(last, "cap:msgType") == "Update"
    assert text(last, "cap:info/cap:responseType") == "AllClear"
    refs = text(last, "cap:references").split()
    assert [r.split(",")[1] for r in refs] == [f"tocsin.{alert_id}.1", f"tocsin.{alert_id}.2"]
    assert refs[0] == f"tocsin@localhost,tocsin.{alert_id}.1,{text(first, 'cap:sent')}"
    web = text(last, "cap:info/cap:web")
    assert web == f"http://tocsin.test/v1/alerts/{alert_id}"


async def test_cancel_through_the_api_is_a_cap_cancel(
    http: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    auth = await token(tocsin)
    alert_id = await raise_alert(http, auth)
    response = await http.post(
        f"/v1/alerts/{alert_id}/cancel", json={"message": "Wrong button"}, headers=auth
    )
    assert response.status_code == 200
    data = await cap_of(http, alert_id)
    assert text(data, "cap:msgType") == "Cancel"
    assert text(data, "cap:note") == "Wrong button"


async def test_every_message_of_an_alert_by_identifier(
    http: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    auth = await token(tocsin)
    alert_id = await raise_alert(http, auth)
    clock.advance(5)
    await http.patch(f"/v1/alerts/{alert_id}", json={"add_regions": ["UA-30"]}, headers=auth)
    first = await http.get(f"/cap/messages/tocsin.{alert_id}.1.xml")
    second = await http.get(f"/cap/messages/tocsin.{alert_id}.2.xml")
    assert first.status_code == second.status_code == 200
    assert first.headers["content-type"] == "application/cap+xml"
    assert "max-age=3600" in first.headers["cache-control"]
    assert xsd_errors(first.content) == xsd_errors(second.content) == []
    assert second.content == (await http.get(f"/cap/alerts/{alert_id}.xml")).content
    assert text(second.content, "cap:sent") == "2026-03-01T12:00:05-00:00"
    missing = await http.get(f"/cap/messages/tocsin.{alert_id}.3.xml")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    bad = await http.get("/cap/messages/not-ours.xml")
    assert (bad.status_code, bad.json()["field"]) == (422, "identifier")
    assert (await http.get("/cap/alerts/no-such-alert.xml")).status_code == 404


async def test_other_events_about_an_alert_are_not_cap_messages(
    http: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    alert_id = await raise_alert(http, await token(tocsin))
    clock.advance(60)
    async with tocsin.store.write() as tx:  # e.g. a broadcast repeat names the alert too
        await tx.append(
            type="broadcast.repeated",
            time=clock.now(),
            actor="system",
            alert_id=alert_id,
            data={"repeat": 1},
        )
    latest = await cap_of(http, alert_id)
    assert text(latest, "cap:identifier") == f"tocsin.{alert_id}.1"
    assert text(latest, "cap:msgType") == "Alert"
    assert (await http.get(f"/cap/messages/tocsin.{alert_id}.2.xml")).status_code == 404
    feed = etree.fromstring((await http.get("/cap/feed.atom")).content)
    assert feed.findtext("atom:updated", namespaces=ATOM) == "2026-03-01T12:00:00Z"


async def test_etag_and_last_modified_give_304(http: httpx.AsyncClient, tocsin: Tocsin) -> None:
    alert_id = await raise_alert(http, await token(tocsin))
    for url in (f"/cap/alerts/{alert_id}.xml", "/cap/feed.atom"):
        response = await http.get(url)
        etag = response.headers["etag"]
        assert response.headers["cache-control"]
        again = await http.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        other = await http.get(url, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200
        since = response.headers["last-modified"]
        assert (await http.get(url, headers={"If-Modified-Since": since})).status_code == 304
        earlier = format_datetime(START - timedelta(hours=1), usegmt=True)
        assert (await http.get(url, headers={"If-Modified-Since": earlier})).status_code == 200


async def test_the_feed_lists_current_messages(
    http: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    auth = await token(tocsin)
    kharkiv = await raise_alert(http, auth)
    kyiv = await raise_alert(http, auth, threat="uav", regions=["UA-30"])
    drill = await raise_alert(http, auth, status="exercise", regions=["UA-30"])
    clock.advance(30)
    await http.post(f"/v1/alerts/{kyiv}/end", headers=auth)
    response = await http.get("/cap/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml"
    feed = etree.fromstring(response.content)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for name in ("id", "title", "updated", "author/atom:name"):
        assert feed.findtext(f"atom:{name}", namespaces=ATOM)
    entries = feed.findall("atom:entry", ATOM)
    ids = [e.findtext("cap:identifier", namespaces=ATOM) for e in entries]
    assert ids == [f"tocsin.{kyiv}.2", f"tocsin.{kharkiv}.1"]  # newest first; no drill
    for entry in entries:
        link = entry.find("atom:link[@rel='alternate']", ATOM)
        assert link.get("type") == "application/cap+xml"
        assert entry.findtext("atom:id", namespaces=ATOM) == link.get("href")
        assert entry.findtext("atom:updated", namespaces=ATOM).endswith("Z")
        path = link.get("href").removeprefix("http://tocsin.test")
        assert xsd_errors((await http.get(path)).content) == []
    drills = etree.fromstring((await http.get("/cap/feed.atom?status=exercise")).content)
    assert [
        e.findtext("cap:identifier", namespaces=ATOM) for e in drills.findall("atom:entry", ATOM)
    ] == [f"tocsin.{drill}.1"]
    every = etree.fromstring((await http.get("/cap/feed.atom?status=all")).content)
    assert len(every.findall("atom:entry", ATOM)) == 3
    region = etree.fromstring((await http.get("/cap/feed.atom?region=UA-63")).content)
    assert [
        e.findtext("cap:identifier", namespaces=ATOM) for e in region.findall("atom:entry", ATOM)
    ] == [f"tocsin.{kharkiv}.1"]
    assert region.findtext("atom:id", namespaces=ATOM).endswith("/cap/feed.atom?region=UA-63")
    country = etree.fromstring((await http.get("/cap/feed.atom?region=UA")).content)
    assert len(country.findall("atom:entry", ATOM)) == 2  # covering part of it counts


async def test_closed_alerts_leave_the_feed_after_the_retention_time(
    http: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    auth = await token(tocsin)
    alert_id = await raise_alert(http, auth)
    await http.post(f"/v1/alerts/{alert_id}/end", headers=auth)
    feed = etree.fromstring((await http.get("/cap/feed.atom")).content)
    assert len(feed.findall("atom:entry", ATOM)) == 1
    clock.advance(3601)
    feed = etree.fromstring((await http.get("/cap/feed.atom")).content)
    assert feed.findall("atom:entry", ATOM) == []
    assert feed.findtext("atom:updated", namespaces=ATOM) == "2026-03-01T12:00:00Z"


@pytest.mark.parametrize(
    ("query", "field"), [("status=nope", "status"), ("region=XX-99", "region")]
)
async def test_bad_feed_filters(http: httpx.AsyncClient, query: str, field: str) -> None:
    response = await http.get(f"/cap/feed.atom?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field


# --- POST /v1/cap ----------------------------------------------------------------------------


async def post(
    http: httpx.AsyncClient,
    data: bytes,
    auth: dict[str, str],
    content_type: str = "application/cap+xml",
) -> httpx.Response:
    return await http.post("/v1/cap", content=data, headers={**auth, "Content-Type": content_type})


async def test_import_update_and_cancel_over_http(
    http: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    auth = await token(tocsin, "automation", "UA-63")
    first = message(infos=[info(areas=[area(polygons=[KHARKIV_CITY])])])
    response = await post(http, first, auth)
    assert response.status_code == 201, response.text
    body = response.json()
    alert_id = body["alert"]["id"]
    assert body["action"] == "raised"
    assert response.headers["location"] == f"/v1/alerts/{alert_id}"
    # the box around the city selects the hromadas it covers, the city's own among them
    codes = [r["code"] for r in body["alert"]["regions"]]
    assert "UA-63-H1293" in codes and all(c.startswith("UA-63-H") for c in codes)
    assert body["message"]["identifier"] == "UA-KH-0001"

    replay = await post(http, first, auth, "application/xml")
    assert replay.status_code == 200
    assert replay.json()["action"] == "replayed"
    assert replay.headers["idempotent-replayed"] == "true"

    clock.advance(60)
    update = message(
        "UA-KH-0002",
        msg_type="Update",
        references=[ref_of(first)],
        sent=START + timedelta(minutes=1),
        infos=[info(event="Drone attack", areas=[area(polygons=[KHARKIV_CITY])])],
    )
    response = await post(http, update, auth, "text/xml; charset=utf-8")
    assert response.status_code == 200, response.text
    assert response.json()["alert"]["threat"]["id"] == "uav"

    clock.advance(60)
    cancel = message(
        "UA-KH-0003",
        msg_type="Cancel",
        references=[ref_of(update)],
        sent=START + timedelta(minutes=2),
        infos=[],
        note="Mistake",
    )
    response = await post(http, cancel, auth)
    assert response.status_code == 200
    assert response.json()["alert"]["phase"] == "cancelled"

    ours = await cap_of(http, alert_id)  # and republished as our own CAP
    assert text(ours, "cap:msgType") == "Cancel"
    assert len(text(ours, "cap:references").split()) == 2
    assert (await http.get(f"/v1/alerts/{alert_id}")).json()["cancel_message"] == "Mistake"


async def test_rejected_imports_change_nothing_and_say_why(
    http: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    auth = await token(tocsin)
    before = await tocsin.store.last_seq()
    cases = [
        (message(infos=[info(event="Flood warning", category="Met")]), 422, "info/event"),
        (message(infos=[info(areas=[area(geocodes=[("ISO3166-2", "PL-14")])])]), 422, "info/area"),
        (message().replace(b"<sender>", b"<oops/><sender>"), 422, "oops"),
        (
            message(msg_type="Cancel", references=[("x@y", "nope", START)], infos=[]),
            409,
            "references",
        ),
        (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'>", 422, "alert"),
    ]
    for data, status, field in cases:
        response = await post(http, data, auth)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["field"] == field
        assert problem["code"].startswith("cap_")
        assert problem["detail"]
    assert await tocsin.store.last_seq() == before


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>',
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
        b'&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&c;</identifier></alert>',
    ],
    ids=["xxe", "entity-expansion"],
)
async def test_hostile_xml_over_http(http: httpx.AsyncClient, tocsin: Tocsin, data: bytes) -> None:
    response = await post(http, data, await token(tocsin))
    assert response.status_code == 422
    assert "root:" not in response.text and "aaaaaaaaaaaaaaaaaaaa" not in response.text
    assert "DOCTYPE" in response.json()["detail"]


async def test_oversized_bodies_are_refused(http: httpx.AsyncClient, tocsin: Tocsin) -> None:
    auth = await token(tocsin)
    huge = message(extra="<!--" + "x" * MAX_BYTES + "-->")
    response = await post(http, huge, auth)
    assert response.status_code == 413
    assert response.json()["code"] == "cap_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(MAX_BYTES // 65536 + 2):
            yield b"x" * 65536

    response = await http.post("/v1/cap", content=chunks(), headers={**auth, **CAP_TYPE})
    assert response.status_code == 413


async def test_import_needs_a_token_with_the_role_and_the_regions(
    http: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    assert (await post(http, message(), {})).status_code == 401
    viewer = await token(tocsin, "viewer")
    assert (await post(http, message(), viewer)).status_code == 403
    kyiv = await token(tocsin, "operator", "UA-30")
    response = await post(http, message(), kyiv)
    assert response.status_code == 403
    assert (
        await post(http, message(), await token(tocsin, "operator", "UA-63"))
    ).status_code == 201


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
async def test_import_needs_an_xml_content_type(
    http: httpx.AsyncClient, tocsin: Tocsin, content_type: str
) -> None:
    response = await post(http, message(), await token(tocsin), content_type)
    assert response.status_code == 415
    assert response.json()["field"] == "content-type"


# --- the rules every door applies: CAP import answers as `POST /v1/alerts` and PATCH do ------


def oblasts(tocsin: Tocsin, count: int) -> list[str]:
    return [r.code for r in tocsin.regions.tree.children("UA")][:count]


def covering(codes: list[str]) -> str:
    return area("Oblasts", geocodes=[("ISO3166-2", code) for code in codes])


def strict(tocsin: Tocsin) -> None:
    tocsin.alerts.policy = ApprovalPolicy(more_regions_than=3, free_text=True)


async def written(tocsin: Tocsin) -> tuple[int, int, list[str]]:
    alerts = await tocsin.store.open_alerts() + await tocsin.store.held_alerts()
    entries = await tocsin.store.audit_entries()
    return await tocsin.store.last_seq(), len(entries), sorted({a.id for a in alerts})


async def test_an_import_the_two_person_rule_holds_waits_for_approval(
    http: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    strict(tocsin)
    operator = await token(tocsin, "operator", "UA")
    eight = oblasts(tocsin, 8)
    direct = await http.post(
        "/v1/alerts",
        headers=operator,
        json={"threat": "missile", "regions": eight, "text": "Missiles launched"},
    )
    assert direct.status_code == 202 and direct.json()["phase"] == "pending"
    before = await tocsin.store.last_seq()
    response = await post(http, message(infos=[info(areas=[covering(eight)])]), operator)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["action"] == "raised" and body["alert"]["phase"] == "pending"
    assert body["alert"]["approval"]["reason"].startswith("it covers 8")
    assert await tocsin.store.last_seq() == before  # nothing went out
    assert (await http.get("/v1/alerts/active")).json()["alerts"] == []
    approver = await token(tocsin, "approver", "UA")
    approved = await http.post(f"/v1/alerts/{body['alert']['id']}/approve", headers=approver)
    assert approved.status_code == 200 and approved.json()["phase"] == "active"


async def test_an_update_that_widens_needs_approval_as_a_patch_does(
    http: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    operator = await token(tocsin, "operator", "UA")
    first = message()
    alert_id = (await post(http, first, operator)).json()["alert"]["id"]
    strict(tocsin)
    clock.advance(60)
    ten = oblasts(tocsin, 10)
    patched = await http.patch(
        f"/v1/alerts/{alert_id}", headers=operator, json={"regions": ten, "text": "Everywhere"}
    )
    assert patched.status_code == 409 and patched.json()["code"] == "approval_required"
    update = message(
        "UA-KH-0002",
        msg_type="Update",
        references=[ref_of(first)],
        sent=START + timedelta(minutes=1),
        infos=[info(areas=[covering(ten)], description="Missiles everywhere")],
    )
    before = await written(tocsin)
    response = await post(http, update, operator)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == ("approval_required", "regions")
    assert await written(tocsin) == before
    assert await CapStore(tocsin.store).imported("cap@kharkiv.example.ua", "UA-KH-0002") is None
    alert = (await http.get(f"/v1/alerts/{alert_id}")).json()
    assert [r["code"] for r in alert["regions"]] == ["UA-63"]


@pytest.fixture
async def console(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    """A browser's client, over https (the session cookie is Secure)."""
    await tocsin.accounts.create("olena", "correct horse battery", "operator", ["UA-63"])
    async with cap_client(tocsin) as client:
        client.base_url = httpx.URL("https://tocsin.test")
        yield client


async def test_a_console_session_in_exercise_mode_imports_no_actual_alert(
    console: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    login = await console.post(
        "/v1/session", json={"username": "olena", "password": "correct horse battery"}
    )
    assert login.status_code == 200 and login.json()["mode"] == "exercise"
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    before = await written(tocsin)
    response = await post(console, message(), csrf)
    assert response.status_code == 403, response.text
    assert response.json()["field"] == "status"
    assert await written(tocsin) == before
    assert await CapStore(tocsin.store).imported("cap@kharkiv.example.ua", "UA-KH-0001") is None
    drill = await post(console, message("UA-KH-0002", status="Exercise"), csrf)
    assert drill.status_code == 201 and drill.json()["alert"]["status"] == "exercise"


async def test_each_import_over_http_leaves_an_audit_row(
    http: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    auth = await token(tocsin, "automation", "UA-63")
    start = len(await tocsin.store.audit_entries())
    response = await post(http, message(), auth)
    assert response.status_code == 201
    assert (await post(http, message(), auth)).status_code == 200  # a replay: no row
    [entry] = (await tocsin.store.audit_entries())[start:]
    assert (entry.action, entry.target) == ("cap.imported", response.json()["alert"]["id"])
    assert entry.detail["message"] == {
        "sender": "cap@kharkiv.example.ua",
        "identifier": "UA-KH-0001",
        "sent": START.isoformat(),
        "msg_type": "Alert",
    }
    assert [a["type"] for a in entry.detail["alerts"]] == ["alert.raised"]


async def test_the_openapi_document_lists_every_answer_of_an_import() -> None:
    """Each status `POST /v1/cap` gives (the tests above see each one given) is documented,
    errors as problem+json."""
    app = create_app(Settings(database_url="sqlite://"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        document = (await http.get("/openapi.json")).json()
    responses = document["paths"]["/v1/cap"]["post"]["responses"]
    listed = {"200", "201", "202", "400", "401", "403", "409", "413", "415", "422", "4XX"}
    assert set(responses) == listed
    for status in listed - {"200", "201", "202"}:
        assert set(responses[status]["content"]) == {"application/problem+json"}
    assert all(responses[status]["description"] for status in listed)

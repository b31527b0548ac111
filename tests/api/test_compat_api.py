"""/compat: the alerts.in.ua and ukrainealarm APIs, as their clients read them (docs/compat.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from conftest import START, bearer
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.config import Settings
from tocsin.domain.alerts import RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.service.ports import ManualClock

AIU = "/compat/alerts-in-ua/v1"
UAA = "/compat/ukrainealarm/api/v3"
KHARKIV, KHARKIVSKYI, KHARKIV_CITY, KYIV = 22, 124, 1293, 31
Json = dict[str, Any]


@pytest.fixture
async def api(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(tocsin) as http:
        yield http


def client_of(tocsin: Tocsin) -> httpx.AsyncClient:
    app = create_app(tocsin.settings)
    app.state.tocsin = tocsin
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://tocsin.test")


async def raise_alert(tocsin: Tocsin, threat: str, *regions: str, **fields: Any) -> str:
    cmd = RaiseAlert(threat=threat, regions=list(regions), **fields)
    return (await tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN))[0].id


async def get(api: httpx.AsyncClient, path: str, **headers: str) -> Any:
    response = await api.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def active(api: httpx.AsyncClient) -> list[Json]:
    body = await get(api, f"{AIU}/alerts/active.json")
    assert body["meta"]["type"] == "full" and body["disclaimer"]
    alerts: list[Json] = body["alerts"]
    return alerts


async def test_nothing_is_active_at_first(api: httpx.AsyncClient) -> None:
    assert await active(api) == []
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts_by_oblast.json") == "N" * 27
    assert await get(api, f"{UAA}/alerts") == []
    line = await get(api, f"{AIU}/iot/active_air_raid_alerts.json")
    assert line[KHARKIV] == line[KYIV] == line[KHARKIV_CITY] == "N" and line[0] == " "


async def test_an_oblast_alert_as_alerts_in_ua_shows_it(
    api: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    alert_id = await raise_alert(tocsin, "missile", "UA-63", headline="Ракети з півночі")
    [record] = await active(api)
    assert record["location_uid"] == str(KHARKIV) and record["location_oblast_uid"] == KHARKIV
    assert record["location_title"] == record["location_oblast"] == "Харківська область"
    assert record["location_type"] == "oblast" and record["location_raion"] is None
    assert (record["alert_type"], record["alert_level"]) == ("air_raid", "red")
    assert record["started_at"] == "2026-03-01T12:00:00.000Z" and record["finished_at"] is None
    assert record["notes"] == "Ракети з півночі" and record["calculated"] is False
    assert [t["threat_type"] for t in record["threats"]] == ["unspecified_missiles"]
    assert isinstance(record["id"], int) and 0 < record["id"] < 2**48

    by_oblast = await get(api, f"{AIU}/iot/active_air_raid_alerts_by_oblast.json")
    assert by_oblast[21] == "A" and by_oblast.count("N") == 26  # Харківська is 22nd
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts/{KHARKIV}.json") == "A"
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts/{KHARKIV_CITY}.json") == "A"
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts/{KYIV}.json") == "N"
    v2 = await get(api, "/compat/alerts-in-ua/v2/iot/active_air_raid_alerts_by_oblast.json")
    assert v2[21] == "R"

    clock.advance(60)
    await tocsin.alerts.end(alert_id, LOCAL_ADMIN)
    assert await active(api) == []
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts/{KHARKIV}.json") == "N"


async def test_a_raion_alert_makes_its_oblast_partly_active(
    api: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    await raise_alert(tocsin, "uav", "UA-63-R124")
    [record] = await active(api)
    assert (record["location_uid"], record["location_type"]) == (str(KHARKIVSKYI), "raion")
    assert record["location_oblast"] == "Харківська область"
    assert (record["alert_level"], record["threats"][0]["threat_type"]) == ("yellow", "drones")
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts/{KHARKIV}.json") == "P"
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts/{KHARKIVSKYI}.json") == "A"
    v2 = "/compat/alerts-in-ua/v2/iot/active_air_raid_alerts"
    assert await get(api, f"{v2}/{KHARKIVSKYI}.json") == "Y"
    assert await get(api, f"{v2}/{KHARKIV}.json") == "P"


async def test_a_city_hromada_is_a_city(api: httpx.AsyncClient, tocsin: Tocsin) -> None:
    await raise_alert(tocsin, "artillery", "UA-63-H1293")
    [record] = await active(api)
    assert (record["location_title"], record["location_type"]) == ("м. Харків", "city")
    assert record["location_raion"] == "Харківський район"
    assert record["alert_type"] == "artillery_shelling" and record["threats"] == []
    # only air raids light the IoT lines
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts/{KHARKIV_CITY}.json") == "N"
    [place] = await get(api, f"{UAA}/alerts")
    assert place["regionId"] == str(KHARKIV_CITY) and place["regionType"] == "Community"
    assert [a["type"] for a in place["activeAlerts"]] == ["ARTILLERY"]


async def test_escalation_keeps_the_record_and_raises_its_level(
    api: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    alert_id = await raise_alert(tocsin, "uav", "UA-63")
    [before] = await active(api)
    clock.advance(30)
    await tocsin.alerts.update_alert(alert_id, UpdateAlert(threat="missile"), LOCAL_ADMIN)
    [after] = await active(api)
    assert after["id"] == before["id"] and after["started_at"] == before["started_at"]
    assert (before["alert_level"], after["alert_level"]) == ("yellow", "red")
    assert after["updated_at"] == "2026-03-01T12:00:30.000Z"
    assert [t["threat_type"] for t in after["threats"]] == ["unspecified_missiles"]


async def test_a_country_alert_is_each_oblast(api: httpx.AsyncClient, tocsin: Tocsin) -> None:
    await raise_alert(tocsin, "missile", "UA")
    records = await active(api)
    assert len(records) == 27 and {r["location_type"] for r in records} == {"oblast", "city"}
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts_by_oblast.json") == "A" * 27


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.EXERCISE},
        {"status": Status.TEST},
        {"pre_alert": True},
        {"status": Status.EXERCISE, "pre_alert": True},
    ],
)
async def test_exercises_tests_and_pre_alerts_never_appear(
    api: httpx.AsyncClient, tocsin: Tocsin, fields: Json
) -> None:
    await raise_alert(tocsin, "missile", "UA-63", **fields)
    assert await active(api) == []
    assert await get(api, f"{UAA}/alerts") == []
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts_by_oblast.json") == "N" * 27
    [kharkiv] = await get(api, f"{UAA}/alerts/{KHARKIV}")
    assert kharkiv["activeAlerts"] == []


async def test_an_activated_pre_alert_appears(api: httpx.AsyncClient, tocsin: Tocsin) -> None:
    alert_id = await raise_alert(tocsin, "missile", "UA-63", pre_alert=True)
    assert await active(api) == []
    await tocsin.alerts.activate(alert_id, LOCAL_ADMIN)
    assert [r["location_uid"] for r in await active(api)] == [str(KHARKIV)]


async def test_ukrainealarm_region_shows_the_alerts_above_it(
    api: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    await raise_alert(tocsin, "missile", "UA-63")
    await raise_alert(tocsin, "chemical", "UA-63-R124")
    [raion] = await get(api, f"{UAA}/alerts/{KHARKIVSKYI}")
    assert raion["regionName"] == "Харківський район" and raion["regionType"] == "District"
    assert sorted((a["regionId"], a["type"]) for a in raion["activeAlerts"]) == [
        (str(KHARKIVSKYI), "CHEMICAL"),
        (str(KHARKIV), "AIR"),
    ]
    assert raion["lastUpdate"] == "2026-03-01T12:00:00Z"
    listed = await get(api, f"{UAA}/alerts")
    assert [r["regionId"] for r in listed] == [str(KHARKIV), str(KHARKIVSKYI)]
    [kyiv] = await get(api, f"{UAA}/alerts/{KYIV}")
    assert kyiv["activeAlerts"] == [] and kyiv["lastUpdate"] is None


async def test_ukrainealarm_regions_and_last_action_index(
    api: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    tree = (await get(api, f"{UAA}/regions"))["states"]
    assert len(tree) == 27
    kharkiv = next(s for s in tree if s["regionId"] == str(KHARKIV))
    assert (kharkiv["regionName"], kharkiv["regionType"]) == ("Харківська область", "State")
    raion = next(d for d in kharkiv["regionChildIds"] if d["regionId"] == str(KHARKIVSKYI))
    assert str(KHARKIV_CITY) in {c["regionId"] for c in raion["regionChildIds"]}
    assert all(c["regionType"] == "Community" for c in raion["regionChildIds"])

    before = (await get(api, f"{UAA}/alerts/status"))["lastActionIndex"]
    assert await get(api, f"{UAA}/alerts/status") == {"lastActionIndex": before}
    await raise_alert(tocsin, "missile", "UA-63", status=Status.EXERCISE)
    assert await get(api, f"{UAA}/alerts/status") == {"lastActionIndex": before}
    await raise_alert(tocsin, "uav", "UA-30")
    after = (await get(api, f"{UAA}/alerts/status"))["lastActionIndex"]
    assert after > before


async def test_not_modified_by_etag_and_by_date(
    api: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    path = f"{AIU}/alerts/active.json"
    await raise_alert(tocsin, "missile", "UA-63")
    clock.advance(1)  # within the settling time: a second older, and no 304 by date
    first = await api.get(path)
    modified = parsedate_to_datetime(first.headers["last-modified"])
    assert modified == START - timedelta(seconds=1)
    since = {"If-Modified-Since": first.headers["last-modified"]}
    assert (await api.get(path, headers=since)).status_code == 200
    etag = {"If-None-Match": first.headers["etag"]}
    assert (await api.get(path, headers=etag)).status_code == 304
    clock.advance(10)
    settled = await api.get(path)
    assert settled.headers["etag"] == first.headers["etag"]
    date = settled.headers["last-modified"]
    assert parsedate_to_datetime(date) == parsedate_to_datetime("Sun, 01 Mar 2026 12:00:00 GMT")
    assert (await api.get(path, headers={"If-Modified-Since": date})).status_code == 304
    etag = {"If-None-Match": settled.headers["etag"]}
    assert (await api.get(path, headers=etag)).status_code == 304
    # the client that saw the answer within the settling time has an older date: it is told
    await raise_alert(tocsin, "uav", "UA-30")
    stale = {"If-Modified-Since": first.headers["last-modified"]}
    assert (await api.get(path, headers=stale)).status_code == 200
    assert (await api.get(path, headers=etag)).status_code == 200


async def test_a_second_change_within_a_second_is_never_a_304(
    api: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    path = f"{AIU}/alerts/active.json"
    await raise_alert(tocsin, "missile", "UA-63")
    clock.advance(0.2)
    seen = await api.get(path)
    clock.advance(0.3)
    await raise_alert(tocsin, "missile", "UA-30")
    clock.advance(5)
    again = await api.get(path, headers={"If-Modified-Since": seen.headers["last-modified"]})
    assert again.status_code == 200 and len(again.json()["alerts"]) == 2


async def test_unknown_places_and_periods_are_refused_as_problems(api: httpx.AsyncClient) -> None:
    missing = await api.get(f"{AIU}/iot/active_air_raid_alerts/9999.json")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["field"] == "uid" and "9999" in missing.json()["message"]
    period = await api.get(f"{AIU}/regions/{KHARKIV}/alerts/year_ago.json")
    assert period.status_code == 422 and period.json()["field"] == "period"
    assert (await api.get(f"{UAA}/alerts/77777")).json()["field"] == "regionId"
    assert (await api.get(f"{UAA}/alerts/kharkiv")).status_code == 422


async def test_history_of_an_oblast(
    api: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    old = await raise_alert(tocsin, "missile", "UA-63-R124")
    clock.advance(600)
    await tocsin.alerts.end(old, LOCAL_ADMIN)
    clock.advance(3600)
    await raise_alert(tocsin, "uav", "UA-63")
    await raise_alert(tocsin, "missile", "UA-30")
    body = await get(api, f"{AIU}/regions/{KHARKIV}/alerts/week_ago.json")
    records = body["alerts"]
    assert [(r["location_uid"], r["finished_at"]) for r in records] == [
        (str(KHARKIV), None),
        (str(KHARKIVSKYI), "2026-03-01T12:10:00.000Z"),
    ]
    clock.advance(8 * 86400)
    later = await get(api, f"{AIU}/regions/{KHARKIV}/alerts/week_ago.json")
    assert [r["location_uid"] for r in later["alerts"]] == [str(KHARKIV)]


async def test_a_token_is_asked_for_when_so_configured(tmp_path: Any, database_url: str) -> None:
    from tocsin.bootstrap import build

    settings = Settings(
        database_url=database_url, channels=(), compat_auth="token", compat_per_minute=4
    )
    node = await build(settings)
    try:
        async with client_of(node) as api:
            path = f"{UAA}/alerts"
            refused = await api.get(path)
            assert refused.status_code == 401 and refused.json()["message"]
            bad = await api.get(path, headers={"Authorization": "not-a-token"})
            assert bad.status_code == 401
            token = (await bearer(node, "viewer"))["Authorization"].removeprefix("Bearer ")
            assert (await api.get(path, headers={"Authorization": token})).status_code == 200
            bearer_form = {"Authorization": f"Bearer {token}"}
            assert (await api.get(f"{AIU}/alerts/active.json", headers=bearer_form)).is_success
            by_query = await api.get(f"{AIU}/alerts/active.json", params={"token": token})
            assert by_query.status_code == 200
            # a checked token is its own client, whatever its address
            assert (await api.get(path, headers={"Authorization": token})).status_code == 200
            assert (await api.get(path, headers={"Authorization": token})).status_code == 429
            other = (await bearer(node, "viewer"))["Authorization"].removeprefix("Bearer ")
            assert (await api.get(path, headers={"Authorization": other})).status_code == 200
    finally:
        await node.close()


async def test_each_client_has_its_share_of_requests(database_url: str) -> None:
    from tocsin.bootstrap import build

    settings = Settings(database_url=database_url, channels=(), compat_per_minute=3)
    node = await build(settings)
    try:
        async with client_of(node) as api:
            path = f"{UAA}/alerts/status"
            assert [(await api.get(path)).status_code for _ in range(3)] == [200] * 3
            refused = await api.get(path)
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
            assert "3" in refused.json()["message"]
            # a token that is not checked names nobody: a new one buys no new share
            other = await api.get(path, headers={"Authorization": "some-token"})
            assert other.status_code == 429
            assert (await api.get(path, params={"token": "another"})).status_code == 429
            # the public reads of tocsin itself are not counted
            assert (await api.get("/v1/alerts/active")).status_code == 200
    finally:
        await node.close()


async def test_a_history_keeps_alerts_at_other_times_apart(
    api: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    path = f"{AIU}/regions/{KHARKIV}/alerts/week_ago.json"
    first = await raise_alert(tocsin, "missile", "UA-63")
    clock.advance(600)
    await tocsin.alerts.end(first, LOCAL_ADMIN)
    clock.advance(600)
    second = await raise_alert(tocsin, "aviation", "UA-63")
    clock.advance(600)
    await tocsin.alerts.end(second, LOCAL_ADMIN)
    seen = await api.get(path)
    records = seen.json()["alerts"]
    assert [(r["started_at"][11:19], r["finished_at"][11:19]) for r in records] == [
        ("12:20:00", "12:30:00"),
        ("12:00:00", "12:10:00"),
    ]
    assert len({r["id"] for r in records}) == 2
    assert [[t["started_at"] for t in r["threats"]] for r in records] == [
        [r["started_at"]] for r in records
    ]
    # a week on, the window has moved: a client with the old date is not told "not modified"
    clock.advance(8 * 86400)
    since = {"If-Modified-Since": seen.headers["last-modified"]}
    later = await api.get(path, headers=since)
    assert later.status_code == 200 and later.json()["alerts"] == []


async def test_other_spellings_of_an_id_share_one_answer(
    api: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    await raise_alert(tocsin, "missile", "UA-63")
    assert await get(api, f"{AIU}/iot/active_air_raid_alerts/{KHARKIV}.json") == "A"
    assert (await get(api, f"{UAA}/alerts/{KHARKIV}"))[0]["regionId"] == "22"
    held = len(tocsin.reads)
    for spelling in ("022", "+22", "0000000022"):
        assert await get(api, f"{AIU}/iot/active_air_raid_alerts/{spelling}.json") == "A"
        assert (await get(api, f"{UAA}/alerts/{spelling}"))[0]["regionId"] == "22"
    assert len(tocsin.reads) == held


async def test_refused_tokens_count_against_their_address(database_url: str) -> None:
    from tocsin.bootstrap import build

    settings = Settings(
        database_url=database_url, channels=(), compat_auth="token", compat_per_minute=3
    )
    node = await build(settings)
    try:
        async with client_of(node) as api:
            path = f"{UAA}/alerts"
            codes = [
                (await api.get(path, headers={"Authorization": f"guess-{n}"})).status_code
                for n in range(5)
            ]
            assert codes == [401, 401, 401, 429, 429]
    finally:
        await node.close()

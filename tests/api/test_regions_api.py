"""/v1/regions (list, tree, GeoJSON, one region, state of one or all), /v1/threats, /healthz."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import shapely.geometry

from tocsin.bootstrap import Tocsin
from tocsin.service.ports import ManualClock

Json = dict[str, Any]
UA_OBLASTS = 27
RU_OBLASTS = 6


async def raise_alert(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Json:
    body = {"threat": "missile", "regions": ["UA-63"], **body}
    response = await client.post("/v1/alerts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    alert: Json = response.json()
    return alert


async def children(client: httpx.AsyncClient, parent: str) -> list[str]:
    regions = (await client.get("/v1/regions", params={"parent": parent})).json()["regions"]
    return [r["code"] for r in regions]


async def hromada(client: httpx.AsyncClient, oblast: str) -> str:
    return (await children(client, (await children(client, oblast))[0]))[0]


async def state(client: httpx.AsyncClient, code: str, **params: str) -> Json:
    response = await client.get(f"/v1/regions/{code}/state", params=params)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def problem_of(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code
    return body


# --- state -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("UA", "partial"),
        ("UA-63", "active"),
        ("{raion}", "active"),
        ("{hromada}", "active"),
        ("UA-32", "none"),
        ("UA-30", "none"),
        ("RU", "none"),
        ("RU-BEL", "none"),
    ],
)
async def test_the_state_of_a_region_when_kharkiv_oblast_is_alerted(
    client: httpx.AsyncClient, admin: dict[str, str], code: str, expected: str
) -> None:
    alert = await raise_alert(client, admin)
    raion = (await children(client, "UA-63"))[0]
    place = code.format(raion=raion, hromada=(await children(client, raion))[0])
    found = await state(client, place)
    assert (found["code"], found["state"], found["status"]) == (place, expected, "actual")
    if expected == "none":
        assert (found["threat"], found["since"], found["alerts"]) == (None, None, [])
        assert found["partial_alerts"] == []
    else:
        assert found["threat"]["id"] == "missile"
        assert found["since"] == "2026-03-01T12:00:00Z"
        listed = found["alerts"] if expected == "active" else found["partial_alerts"]
        assert listed == [alert["id"]]
    assert "time_to_shelter" in found
    assert found["pre_alert"] is False


async def test_an_alert_for_a_hromada_makes_its_oblast_partial(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    place = await hromada(client, "UA-63")
    await raise_alert(client, admin, regions=[place])
    assert (await state(client, place))["state"] == "active"
    assert (await state(client, "UA-63"))["state"] == "partial"
    assert (await state(client, "UA"))["state"] == "partial"
    assert (await state(client, "UA-32"))["state"] == "none"


async def test_a_region_takes_the_most_severe_threat_and_the_earliest_start(
    client: httpx.AsyncClient, admin: dict[str, str], clock: ManualClock
) -> None:
    await raise_alert(client, admin, threat="uav")
    clock.advance(300)
    await raise_alert(client, admin, threat="missile", regions=["UA"])
    found = await state(client, "UA-63")
    assert found["threat"]["id"] == "missile"
    assert found["since"] == "2026-03-01T12:00:00Z"
    assert len(found["alerts"]) == 2
    assert (await state(client, "UA"))["state"] == "active"


@pytest.mark.parametrize(
    ("status", "expected"),
    [("actual", "none"), ("exercise", "active"), ("test", "none")],
)
async def test_an_exercise_never_changes_the_actual_state(
    client: httpx.AsyncClient, admin: dict[str, str], status: str, expected: str
) -> None:
    await raise_alert(client, admin, status="exercise")
    assert (await state(client, "UA-63", status=status))["state"] == expected
    assert (await state(client, "UA-63", status=status))["status"] == status
    default = await client.get("/v1/regions/UA-63/state")
    assert default.json()["state"] == "none"


async def test_a_pre_alert_is_reported_beside_the_state(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    alert = await raise_alert(client, admin, pre_alert=True)
    found = await state(client, "UA-63")
    assert (found["state"], found["pre_alert"]) == ("none", True)
    await client.post(f"/v1/alerts/{alert['id']}/activate", headers=admin)
    found = await state(client, "UA-63")
    assert (found["state"], found["pre_alert"]) == ("active", False)


async def test_the_state_ends_with_the_alert(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    alert = await raise_alert(client, admin)
    before = await client.get("/v1/regions/UA-63/state")
    await client.post(f"/v1/alerts/{alert['id']}/end", headers=admin)
    after = await client.get(
        "/v1/regions/UA-63/state", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    assert after.json()["state"] == "none"


@pytest.mark.parametrize(
    ("lang", "name", "signal"),
    [
        ("en", "Kharkiv Oblast", "Rocket Danger!"),
        ("uk", "Харківська область", "Ракетна небезпека!"),
    ],
)
async def test_the_state_is_in_the_residents_language(
    client: httpx.AsyncClient, admin: dict[str, str], lang: str, name: str, signal: str
) -> None:
    await raise_alert(client, admin)
    found = await state(client, "UA-63", lang=lang)
    assert (found["name"], found["threat"]["signal"]) == (name, signal)
    assert found["threat"]["instructions"]


@pytest.mark.parametrize(
    ("path", "status", "code", "field"),
    [
        ("/v1/regions/UA-99/state", 422, "unknown_region", "code"),
        ("/v1/regions/UA-63/state?status=all", 422, "invalid_input", "status"),
        ("/v1/regions/UA-63/state?status=draft", 422, "invalid_input", "status"),
        ("/v1/regions/states?status=draft", 422, "invalid_input", "status"),
        ("/v1/regions/states?only_alerted=maybe", 422, "invalid_input", "only_alerted"),
        ("/v1/regions/UA-99", 422, "unknown_region", "code"),
        ("/v1/regions?parent=UA-99", 422, "invalid_input", "parent"),
        ("/v1/regions?q=" + "x" * 101, 422, "invalid_input", "q"),
    ],
)
async def test_bad_region_requests(
    client: httpx.AsyncClient, path: str, status: int, code: str, field: str
) -> None:
    assert problem_of(await client.get(path), status, code)["field"] == field


# --- every state -----------------------------------------------------------------------------


async def test_states_cover_every_region(client: httpx.AsyncClient, tocsin: Tocsin) -> None:
    response = await client.get("/v1/regions/states")
    assert response.status_code == 200
    states = response.json()["states"]
    assert len(states) == len(tocsin.regions.tree)
    assert {s["state"] for s in states} == {"none"}
    assert response.headers["ETag"]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"level": "oblast"}, UA_OBLASTS + RU_OBLASTS),
        ({"level": "country"}, 2),
        ({"level": "planet"}, 0),
    ],
)
async def test_states_by_level(
    client: httpx.AsyncClient, params: dict[str, str], count: int
) -> None:
    states = (await client.get("/v1/regions/states", params=params)).json()["states"]
    assert len(states) == count
    assert all(s["code"].count("-") <= 1 for s in states)


async def test_only_alerted_states(
    client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    await raise_alert(client, admin, regions=["UA-63", "RU-BEL"])
    await raise_alert(client, admin, regions=["UA-32"], status="exercise")
    params = {"only_alerted": "true"}
    states = (await client.get("/v1/regions/states", params=params)).json()["states"]
    by_code = {s["code"]: s["state"] for s in states}
    tree = tocsin.regions.tree
    expected = {"UA": "partial", "RU": "partial", "UA-63": "active", "RU-BEL": "active"}
    expected |= {code: "active" for code in tree.descendants("UA-63")}
    assert by_code == expected
    oblasts = {**params, "level": "oblast"}
    states = (await client.get("/v1/regions/states", params=oblasts)).json()["states"]
    assert sorted(s["code"] for s in states) == ["RU-BEL", "UA-63"]
    drills = {**params, "status": "exercise", "level": "oblast"}
    states = (await client.get("/v1/regions/states", params=drills)).json()["states"]
    assert [(s["code"], s["state"], s["status"]) for s in states] == [
        ("UA-32", "active", "exercise")
    ]


# --- the regions -----------------------------------------------------------------------------


async def test_the_region_list(client: httpx.AsyncClient, tocsin: Tocsin) -> None:
    response = await client.get("/v1/regions")
    regions = response.json()["regions"]
    assert len(regions) == len(tocsin.regions.tree)
    seen: set[str] = set()
    for region in regions:
        assert set(region) >= {"code", "parent", "level", "names", "name", "time_to_shelter"}
        assert region["parent"] is None or region["parent"] in seen
        assert region["names"]["en"]
        seen.add(region["code"])
    assert {r["code"] for r in regions if r["parent"] is None} == {"UA", "RU"}


@pytest.mark.parametrize(
    ("params", "included", "excluded", "count"),
    [
        ({"level": "country"}, ["UA", "RU"], ["UA-63"], 2),
        ({"level": "oblast"}, ["UA-63", "UA-30", "RU-BEL"], ["UA"], UA_OBLASTS + RU_OBLASTS),
        ({"parent": "UA"}, ["UA-63", "UA-32", "UA-30"], ["RU-BEL"], UA_OBLASTS),
        ({"parent": "RU"}, ["RU-BEL", "RU-KRS"], ["UA-63"], RU_OBLASTS),
        ({"parent": "UA-63", "level": "raion"}, [], ["UA-63", "UA"], None),
        ({"parent": "UA-63", "level": "hromada"}, [], ["UA-63"], 0),
        ({"q": "Kharkiv"}, ["UA-63"], ["UA-32"], None),
        ({"q": "харків"}, ["UA-63"], ["UA-32"], None),
        ({"q": "ua-63"}, ["UA-63"], ["UA-32"], None),
        ({"q": "Бєлгород"}, ["RU-BEL"], ["UA-63"], 1),
        ({"q": "Kharkiv", "level": "oblast"}, ["UA-63"], [], 1),
        ({"q": "no such place"}, [], ["UA"], 0),
    ],
)
async def test_the_region_list_filtered(
    client: httpx.AsyncClient,
    params: dict[str, str],
    included: list[str],
    excluded: list[str],
    count: int | None,
) -> None:
    response = await client.get("/v1/regions", params=params)
    assert response.status_code == 200, response.text
    codes = [r["code"] for r in response.json()["regions"]]
    assert set(included) <= set(codes)
    assert not set(excluded) & set(codes)
    if count is not None:
        assert len(codes) == count
    if "parent" in params:
        assert all(r["parent"] == params["parent"] for r in response.json()["regions"])
    if "level" in params:
        assert all(r["level"] == params["level"] for r in response.json()["regions"])


async def test_region_names_follow_the_language(client: httpx.AsyncClient) -> None:
    params = {"level": "oblast", "q": "UA-63"}
    english = (await client.get("/v1/regions", params=params)).json()["regions"]
    ukrainian = (await client.get("/v1/regions", params={**params, "lang": "uk"})).json()
    assert english[0]["name"] == "Kharkiv Oblast"
    assert ukrainian["regions"][0]["name"] == "Харківська область"
    assert english[0]["names"] == ukrainian["regions"][0]["names"]


async def test_the_region_tree(client: httpx.AsyncClient, tocsin: Tocsin) -> None:
    roots = (await client.get("/v1/regions/tree")).json()["regions"]
    assert [r["code"] for r in roots] == ["UA", "RU"]
    [ukraine, russia] = roots
    assert len(ukraine["children"]) == UA_OBLASTS
    assert len(russia["children"]) == RU_OBLASTS
    count = 0

    def walk(node: Json, parent: str | None) -> None:
        nonlocal count
        count += 1
        assert node["parent"] == parent
        for below in node["children"]:
            walk(below, node["code"])

    for root in roots:
        walk(root, None)
    assert count == len(tocsin.regions.tree)


async def test_the_geojson_is_a_valid_feature_collection(
    client: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    response = await client.get("/v1/regions/geojson")
    assert response.status_code == 200
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(tocsin.regions.tree)
    oblasts = 0
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) >= {"code", "parent", "level", "name", "names"}
        assert feature["id"] == feature["properties"]["code"]
        geometry = feature["geometry"]
        if feature["properties"]["level"] == "oblast":
            oblasts += 1
            assert geometry["type"] in ("Polygon", "MultiPolygon")
        if geometry is not None:
            shape = shapely.geometry.shape(geometry)
            assert shape.is_valid
            assert not shape.is_empty
            lon_min, lat_min, lon_max, lat_max = shape.bounds
            assert -180 <= lon_min <= lon_max <= 180
            assert -90 <= lat_min <= lat_max <= 90
    assert oblasts == UA_OBLASTS + RU_OBLASTS


@pytest.mark.parametrize(("point", "code"), [((36.23, 49.99), "UA-63"), ((36.6, 50.6), "RU-BEL")])
async def test_the_geojson_places_cities_in_their_oblasts(
    client: httpx.AsyncClient, point: tuple[float, float], code: str
) -> None:
    params = {"level": "oblast"}
    features = (await client.get("/v1/regions/geojson", params=params)).json()["features"]
    assert all(f["properties"]["level"] == "oblast" for f in features)
    city = shapely.geometry.Point(*point)
    holding = [f["id"] for f in features if shapely.geometry.shape(f["geometry"]).contains(city)]
    assert holding == [code]


async def test_one_oblast_with_its_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/regions/UA-63", params={"lang": "uk"})
    assert response.status_code == 200
    region = response.json()
    assert (region["code"], region["level"], region["parent"]) == ("UA-63", "oblast", "UA")
    assert region["name"] == "Харківська область"
    assert region["ancestors"] == ["UA"]
    assert region["children"] == await children(client, "UA-63")
    assert all(code.startswith("UA-63-R") for code in region["children"])
    assert region["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert shapely.geometry.shape(region["geometry"]).contains(shapely.geometry.Point(36.23, 49.99))
    assert region["has_geometry"] is True


async def test_one_hromada_knows_its_ancestors(client: httpx.AsyncClient) -> None:
    raion = (await children(client, "UA-63"))[0]
    place = (await children(client, raion))[0]
    region = (await client.get(f"/v1/regions/{place}")).json()
    assert region["ancestors"] == [raion, "UA-63", "UA"]
    assert (region["level"], region["parent"], region["children"]) == ("hromada", raion, [])


# --- threats and health ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "missile"),
    [
        ("en", "Rocket Danger!"),
        ("uk", "Ракетна небезпека!"),
        ("ru", "Ракетная опасность!"),
    ],
)
async def test_the_threat_catalogue(
    client: httpx.AsyncClient, tocsin: Tocsin, lang: str, missile: str
) -> None:
    response = await client.get("/v1/threats", params={"lang": lang})
    threats = response.json()["threats"]
    assert [t["id"] for t in threats] == list(tocsin.catalogue.ids())
    assert {"missile", "uav", "air", "artillery", "chemical"} <= {t["id"] for t in threats}
    ranks = [t["rank"] for t in threats]
    assert ranks == sorted(ranks, reverse=True)
    by_id = {t["id"]: t for t in threats}
    assert by_id["missile"]["signal"] == missile
    for threat in threats:
        assert threat["name"] and threat["signal"] and threat["instructions"]
        assert threat["measures"]
    cached = await client.get(
        "/v1/threats", params={"lang": lang}, headers={"If-None-Match": response.headers["ETag"]}
    )
    assert cached.status_code == 304


async def test_health(client: httpx.AsyncClient, tocsin: Tocsin, admin: dict[str, str]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["database"] == tocsin.store.backend
    assert health["database"] in ("sqlite", "postgresql")
    assert health["regions"] == len(tocsin.regions.tree)
    await raise_alert(client, admin)
    assert (await client.get("/healthz")).json()["last_seq"] == health["last_seq"] + 1


@pytest.mark.parametrize(
    ("point", "codes"),
    [
        ("49.99,36.23", ["UA", "UA-63", "UA-63-R124", "UA-63-H1293"]),  # Kharkiv
        ("45.35,28.84", ["UA", "UA-51", "UA-51-R101", "UA-51-H1037"]),  # Izmail
        ("50.45,30.52", ["UA", "UA-30"]),  # Kyiv City: in no raion
        ("43.50,34.00", []),  # the Black Sea
    ],
)
async def test_regions_at_a_point_from_the_country_down(
    client: httpx.AsyncClient, point: str, codes: list[str]
) -> None:
    response = await client.get("/v1/regions/at", params={"point": point})
    assert response.status_code == 200, response.text
    regions = response.json()["regions"]
    assert [r["code"] for r in regions] == codes
    for region in regions:
        assert {"code", "level", "names", "name", "parent", "time_to_shelter"} <= set(region)


async def test_izmail_is_told_from_odesa(client: httpx.AsyncClient) -> None:
    izmail = (await client.get("/v1/regions/at", params={"point": "45.35,28.84"})).json()
    assert izmail["regions"][-1]["names"]["en"] == "Izmailska hromada"
    assert izmail["regions"][-1]["katottg"] == "UA51080030000048246"


@pytest.mark.parametrize("point", ["49.99", "north,east", "91,30", ""])
async def test_regions_at_refuses_a_bad_point(client: httpx.AsyncClient, point: str) -> None:
    response = await client.get("/v1/regions/at", params={"point": point})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "point" in response.text


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Kharkiv", "UA-63"),
        ("kharkov", "UA-63"),
        ("Харьков", "UA-63"),
        ("ХАРКІВ", "UA-63"),
        ("Kyiv", "UA-30"),
        ("Киев", "UA-30"),
        ("Одеса", "UA-51"),
        ("Izmail", "UA-51-R101"),
        ("Измаил", "UA-51-R101"),
        ("Kamianets-Podilskyi", "UA-68-R135"),
        ("Кам'янець-Подільський", "UA-68-R135"),
        ("Камʼянець-Подільський", "UA-68-R135"),
        # renamed in 2024, found by the former name
        ("Novomoskovsk", "UA-12-R43"),
        ("Новомосковська міська громада", "UA-12-H327"),
        ("Червоноград", "UA-46-H832"),
        ("Chervonohrad", "UA-46-H832"),
        ("UA-63-R124", "UA-63-R124"),
    ],
)
async def test_place_search(client: httpx.AsyncClient, query: str, code: str) -> None:
    response = await client.get("/v1/regions/search", params={"q": query})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert code in [r["code"] for r in results[:3]], [r["code"] for r in results]
    assert all({"code", "level", "names", "path", "matched"} <= set(r) for r in results)


async def test_place_search_names_the_path_and_what_matched(client: httpx.AsyncClient) -> None:
    results = (
        await client.get("/v1/regions/search", params={"q": "Novomoskovsk", "lang": "en"})
    ).json()["results"]
    hromada = next(r for r in results if r["code"] == "UA-12-H327")
    assert hromada["name"] == "Samarivska hromada"
    assert hromada["path"] == "Samarivskyi raion, Dnipropetrovsk Oblast"
    assert "Новомосковська" in hromada["matched"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": "x" * 101}, "q"), ({"q": "Kyiv", "limit": "0"}, "limit")],
)
async def test_place_search_refuses_bad_input(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get("/v1/regions/search", params=params)
    assert response.status_code == 422
    assert field in response.text


async def test_nothing_found_is_an_empty_list(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/regions/search", params={"q": "Atlantis"})
    assert response.json() == {"results": []}


async def test_geojson_of_the_hromadas_within_an_oblast(client: httpx.AsyncClient) -> None:
    params = {"level": "hromada", "within": "UA-63"}
    features = (await client.get("/v1/regions/geojson", params=params)).json()["features"]
    assert len(features) == 56
    assert all(f["geometry"] is not None for f in features)
    assert all(f["properties"]["code"].startswith("UA-63-H") for f in features)
    raions = (await client.get("/v1/regions/geojson", params={"level": "raion"})).json()
    assert len(raions["features"]) == 136
    unknown = await client.get("/v1/regions/geojson", params={"within": "UA-99"})
    assert unknown.status_code in (404, 422) and "within" in unknown.text

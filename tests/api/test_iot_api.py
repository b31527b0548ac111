"""/v1/iot/states and /v1/iot/regions: one letter per region, in a stable, documented order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tocsin.api import iot
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert, Status
from tocsin.domain.auth import LOCAL_ADMIN

HROMADA = "UA-63-H1272"
RAION = "UA-63-R125"
UA_OBLASTS = [
    "UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21", "UA-23", "UA-26", "UA-30",
    "UA-32", "UA-35", "UA-40", "UA-43", "UA-46", "UA-48", "UA-51", "UA-53", "UA-56", "UA-59",
    "UA-61", "UA-63", "UA-65", "UA-68", "UA-71", "UA-74", "UA-77",
]  # fmt: skip
RU_OBLASTS = ["RU-BEL", "RU-BRY", "RU-KDA", "RU-KRS", "RU-ROS", "RU-VOR"]


@pytest.fixture
async def api(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(tocsin.settings)
    app.include_router(iot.router)
    app.state.tocsin = tocsin
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as http:
        yield http


async def line(api: httpx.AsyncClient, **params: str) -> str:
    response = await api.get("/v1/iot/states", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=us-ascii"
    return response.text


async def order(api: httpx.AsyncClient, **params: str) -> list[str]:
    response = await api.get("/v1/iot/regions", params=params)
    assert response.status_code == 200, response.text
    assert response.text.endswith("\n")
    return response.text.splitlines()


async def raise_alert(tocsin: Tocsin, *regions: str, **fields: Any) -> None:
    cmd = RaiseAlert(threat="missile", regions=list(regions), **fields)
    await tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN)


async def letters(api: httpx.AsyncClient, **params: str) -> dict[str, str]:
    codes, text = await order(api, **params), await line(api, **params)
    assert len(codes) == len(text)
    return dict(zip(codes, text, strict=True))


async def test_the_oblast_order_is_documented_and_stable(api: httpx.AsyncClient) -> None:
    assert await order(api, level="oblast") == UA_OBLASTS + RU_OBLASTS
    assert await line(api, level="oblast") == "N" * 33
    as_json = await api.get("/v1/iot/regions", params={"level": "oblast", "format": "json"})
    body = as_json.json()
    assert body["regions"] == UA_OBLASTS + RU_OBLASTS and body["count"] == 33
    assert body["order"] == as_json.headers["tocsin-region-order"]


async def test_every_region_in_the_order_of_the_packs(
    api: httpx.AsyncClient, tocsin: Tocsin
) -> None:
    codes = await order(api)
    assert codes == [r.code for r in tocsin.regions.tree]
    levels = [tocsin.regions.tree.require(c).level for c in codes]
    ua = levels[: codes.index("RU")]
    assert ua == sorted(ua, key=["country", "oblast", "raion", "hromada"].index)
    assert codes[:2] == ["UA", "UA-05"] and codes[-7:] == ["RU", *RU_OBLASTS]
    assert (await line(api)) == "N" * len(codes)
    assert await order(api) == codes  # the same every time


async def test_an_oblast_alert(api: httpx.AsyncClient, tocsin: Tocsin) -> None:
    await raise_alert(tocsin, "UA-63")
    oblasts = await line(api, level="oblast")
    assert oblasts == "".join("A" if c == "UA-63" else "N" for c in UA_OBLASTS + RU_OBLASTS)
    every = await letters(api)
    assert (every["UA"], every["UA-63"], every[RAION], every[HROMADA]) == ("P", "A", "A", "A")
    assert every["UA-30"] == every["RU"] == "N"
    assert set(every.values()) == {"A", "P", "N"}


async def test_a_hromada_alert(api: httpx.AsyncClient, tocsin: Tocsin) -> None:
    await raise_alert(tocsin, HROMADA)
    every = await letters(api)
    assert (every["UA"], every["UA-63"], every[RAION], every[HROMADA]) == ("P", "P", "P", "A")
    assert (await letters(api, level="hromada"))[HROMADA] == "A"
    assert sum(1 for v in (await letters(api, level="hromada")).values() if v == "A") == 1
    assert (await letters(api, level="oblast"))["UA-63"] == "P"


async def test_exercises_have_their_own_line(api: httpx.AsyncClient, tocsin: Tocsin) -> None:
    await raise_alert(tocsin, "UA-63", status=Status.EXERCISE)
    assert (await letters(api, level="oblast"))["UA-63"] == "N"
    assert (await letters(api, level="oblast", status="exercise"))["UA-63"] == "A"
    assert set((await letters(api, level="oblast", status="test")).values()) == {"N"}


async def test_pre_alerts_leave_the_letter_alone(api: httpx.AsyncClient, tocsin: Tocsin) -> None:
    await raise_alert(tocsin, "UA-63", pre_alert=True)
    assert (await letters(api, level="oblast"))["UA-63"] == "N"


async def test_etag_and_304(api: httpx.AsyncClient, tocsin: Tocsin) -> None:
    first = await api.get("/v1/iot/states", params={"level": "oblast"})
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=0, must-revalidate"
    again = await api.get(
        "/v1/iot/states", params={"level": "oblast"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    await raise_alert(tocsin, "UA-30")
    changed = await api.get(
        "/v1/iot/states", params={"level": "oblast"}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    other_level = await api.get("/v1/iot/states", params={"level": "raion"})
    assert other_level.headers["etag"] != changed.headers["etag"]
    regions = await api.get("/v1/iot/regions", params={"level": "oblast"})
    same = await api.get(
        "/v1/iot/regions",
        params={"level": "oblast"},
        headers={"If-None-Match": regions.headers["etag"]},
    )
    assert same.status_code == 304


async def test_the_order_header_names_the_order(api: httpx.AsyncClient, tocsin: Tocsin) -> None:
    states = await api.get("/v1/iot/states", params={"level": "oblast"})
    await raise_alert(tocsin, "UA-63")
    later = await api.get("/v1/iot/states", params={"level": "oblast"})
    regions = await api.get("/v1/iot/regions", params={"level": "oblast"})
    tag = regions.headers["tocsin-region-order"]
    assert states.headers["tocsin-region-order"] == later.headers["tocsin-region-order"] == tag
    every = await api.get("/v1/iot/regions")
    assert every.headers["tocsin-region-order"] != tag


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/iot/states", {"level": "planet"}, "level"),
        ("/v1/iot/states", {"status": "drill"}, "status"),
        ("/v1/iot/regions", {"level": "planet"}, "level"),
        ("/v1/iot/regions", {"format": "xml"}, "format"),
    ],
)
async def test_bad_queries_are_refused(
    api: httpx.AsyncClient, path: str, params: dict[str, str], field: str
) -> None:
    response = await api.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


async def test_the_line_is_worked_out_again_only_for_alerts_of_its_status(
    api: httpx.AsyncClient, tocsin: Tocsin, monkeypatch: pytest.MonkeyPatch
) -> None:
    worked_out: list[Status | None] = []
    open_alerts = tocsin.store.open_alerts

    async def counted(status: Status | None = None) -> Any:
        worked_out.append(status)
        return await open_alerts(status)

    monkeypatch.setattr(tocsin.store, "open_alerts", counted)
    first = await line(api)
    await raise_alert(tocsin, "UA-63", status=Status.EXERCISE)  # not the actual line's
    assert await line(api) == first and worked_out == [Status.ACTUAL]
    assert "A" in await line(api, status="exercise")
    await raise_alert(tocsin, "UA-59")
    assert await line(api) != first
    assert worked_out == [Status.ACTUAL, Status.EXERCISE, Status.ACTUAL]
    assert await line(api) == await line(api) and len(worked_out) == 3

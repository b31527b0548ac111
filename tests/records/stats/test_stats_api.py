"""`/v1/stats` on SQLite and PostgreSQL: live alerts and imported history answer alike."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from conftest import START
from tocsin.api import stats
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert, Status
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.records.handlers.stats import Filters, StatsService, Window
from tocsin.records.history.importer import HistoryImporter
from tocsin.records.storage.span_packs import span_packs
from tocsin.service.ports import ManualClock

DAY = "since=2026-03-01T00:00:00Z&until=2026-03-02T00:00:00Z"


@pytest.fixture
async def http(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(tocsin.settings)
    app.include_router(stats.router)
    app.state.tocsin = tocsin
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as client:
        yield client


async def alert(
    tocsin: Tocsin,
    clock: ManualClock,
    regions: list[str],
    minutes: float,
    status: Status = Status.ACTUAL,
    threat: str = "missile",
) -> None:
    raised, _ = await tocsin.alerts.raise_alert(
        RaiseAlert(threat=threat, regions=regions, status=status), LOCAL_ADMIN
    )
    clock.advance(minutes * 60)
    await tocsin.alerts.end(raised.id, LOCAL_ADMIN)


async def test_live_alerts_roll_up_without_double_counting(
    tocsin: Tocsin, clock: ManualClock, http: httpx.AsyncClient
) -> None:
    hromada = tocsin.regions.tree.children(tocsin.regions.tree.children("UA-63")[0].code)[0].code
    await alert(tocsin, clock, ["UA-63"], 30)  # 12:00–12:30
    clock.advance(-20 * 60)
    await alert(tocsin, clock, [hromada, "UA-59"], 40)  # 12:10–12:50, overlapping
    clock.advance(600)
    await alert(tocsin, clock, ["UA-63"], 10, status=Status.EXERCISE)  # 13:00–13:10
    body = (await http.get(f"/v1/stats/regions/UA-63?{DAY}")).json()
    assert (body["count"], body["seconds"]) == (2, 50 * 60.0)
    assert body["durations"]["median"] == 35 * 60 and body["durations"]["longest"] == 40 * 60
    assert (await http.get(f"/v1/stats/regions/UA?{DAY}")).json()["seconds"] == 50 * 60
    assert (await http.get(f"/v1/stats/regions/{hromada}?{DAY}")).json()["count"] == 1
    drills = (await http.get(f"/v1/stats/regions/UA-63?{DAY}&status=exercise")).json()
    assert (drills["count"], drills["seconds"]) == (1, 600.0)
    everything = (await http.get(f"/v1/stats/regions/UA-63?{DAY}&status=all")).json()
    assert everything["count"] == 3
    uav = (await http.get(f"/v1/stats/regions/UA-63?{DAY}&threat=uav")).json()
    assert uav["count"] == 0


async def test_an_open_alert_counts_until_now(
    tocsin: Tocsin, clock: ManualClock, http: httpx.AsyncClient
) -> None:
    await tocsin.alerts.raise_alert(RaiseAlert(threat="air", regions=["UA-46"]), LOCAL_ADMIN)
    clock.advance(900)
    body = (await http.get("/v1/stats/regions/UA-46")).json()
    assert (body["count"], body["seconds"]) == (1, 900.0)
    assert body["durations"]["count"] == 0  # not over yet


async def test_history_and_live_alerts_answer_together(
    tocsin: Tocsin, clock: ManualClock, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "h.csv"
    start = START - timedelta(hours=1)
    path.write_text(
        "region,threat,start,end\n"
        f"UA-63,air,{start.isoformat()},{(start + timedelta(minutes=70)).isoformat()}\n",
        encoding="utf-8",
    )
    importer = HistoryImporter(tocsin.bus, tocsin.store)
    await importer.run(path, "csv", actor="t")
    await alert(tocsin, clock, ["UA-63"], 30)  # 12:00–12:30, overlaps history's 11:00–12:10
    body = (await http.get(f"/v1/stats/regions/UA-63?{DAY}")).json()
    assert (body["count"], body["seconds"]) == (2, 90 * 60.0)
    only = (await http.get(f"/v1/stats/regions/UA-63?{DAY}&source=h")).json()
    assert (only["count"], only["seconds"]) == (1, 70 * 60.0)


async def test_series_profiles_ranking_and_concurrency(
    tocsin: Tocsin, clock: ManualClock, http: httpx.AsyncClient
) -> None:
    await alert(tocsin, clock, ["UA-63", "UA-59"], 90)  # 12:00–13:30 UTC
    series = (await http.get(f"/v1/stats/series?region=UA-63&every=hour&{DAY}")).json()
    hours = {b["start"][11:13]: b["seconds"] for b in series["buckets"] if b["seconds"]}
    assert hours == {"12": 3600.0, "13": 1800.0}
    kyiv = (await http.get(f"/v1/stats/profile/hour?region=UA-63&tz=Europe/Kyiv&{DAY}")).json()
    assert [(s["label"], s["alerts"]) for s in kyiv["slots"] if s["alerts"]] == [("14", 1)]
    week = (await http.get(f"/v1/stats/profile/weekday?region=UA&{DAY}")).json()
    assert [s["alerts"] for s in week["slots"]] == [0, 0, 0, 0, 0, 0, 1]  # 2026-03-01: Sunday
    ranking = (await http.get(f"/v1/stats/ranking?level=oblast&{DAY}&limit=3")).json()
    assert [r["region"] for r in ranking["regions"][:2]] == ["UA-59", "UA-63"]
    assert ranking["regions"][2]["seconds"] == 0
    conc = (await http.get(f"/v1/stats/concurrency?level=oblast&{DAY}")).json()
    assert (conc["peak"], conc["peak_at"]) == (2, "2026-03-01T12:00:00Z")


async def test_exports_parse_back_and_charts_are_real(
    tocsin: Tocsin, clock: ManualClock, http: httpx.AsyncClient
) -> None:
    await alert(tocsin, clock, ["UA-63"], 45)
    url = f"/v1/stats/series?region=UA-63&every=hour&{DAY}"
    as_csv = await http.get(url + "&format=csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 24 and rows[12]["seconds"] == "2700.0" and rows[12]["alerts"] == "1"
    parquet = await http.get(url + "&format=parquet")
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column("seconds").to_pylist()[12] == 2700.0
    assert table.schema.field("hours").metadata == {b"unit": b"h"}
    png = await http.get(url + "&format=png")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = await http.get("/v1/stats/profile/hour?region=UA-63&format=svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert "Kharkiv Oblast: share of time under alert by hour of day" in svg.text
    assert "hour of day (UTC)" in svg.text
    region_csv = await http.get(f"/v1/stats/regions/UA-63?{DAY}&format=csv")
    (row,) = csv.DictReader(io.StringIO(region_csv.text))
    assert (row["region"], row["count"], row["seconds"]) == ("UA-63", "1", "2700.0")


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/stats/regions/XX-1", "region"),
        ("/v1/stats/regions/UA?status=real", "status"),
        ("/v1/stats/regions/UA?threat=meteor", "threat"),
        ("/v1/stats/series?tz=Mars/Olympus", "tz"),
        ("/v1/stats/series?every=fortnight", "every"),
        ("/v1/stats/ranking?level=planet", "level"),
        ("/v1/stats/regions/UA?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", "until"),
        ("/v1/stats/regions/UA?format=png", "format"),
        ("/v1/stats/regions/UA?since=2026-03-01T00:00:00", "since"),
        ("/v1/stats/regions/UA?from=2026-03-02&to=2026-03-01", "to"),
        ("/v1/stats/regions/UA?from=2026-03-01T12:00:00Z&to=2026-03-01T11:00:00Z", "to"),
        ("/v1/stats/regions/UA?from=yesterday", "from"),
        ("/v1/stats/regions/UA?from=2026-02-30", "from"),
        ("/v1/stats/ranking?to=2026-03-01T00:00:00", "to"),
        ("/v1/stats/series?from=3000-01-01", "from"),
        ("/v1/stats/profile/hour?from=2026-03-01&since=2026-03-01T00:00:00Z", "from"),
        ("/v1/stats/concurrency?to=2026-03-01&until=2026-03-01T00:00:00Z", "to"),
        ("/v1/stats/regions/UA?from=2026-03-01&tz=Mars/Olympus", "tz"),
        ("/v1/stats/span?region=XX-1", "region"),
        ("/v1/stats/span?status=real", "status"),
    ],
)
async def test_bad_questions_are_clear_problems(
    http: httpx.AsyncClient, url: str, field: str
) -> None:
    response = await http.get(url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


async def test_stored_packs_follow_every_change(
    tocsin: Tocsin, clock: ManualClock, http: httpx.AsyncClient
) -> None:
    await alert(tocsin, clock, ["UA-63"], 10)  # 12:00–12:10
    first = (await http.get(f"/v1/stats/regions/UA-63?{DAY}")).json()
    assert (first["count"], first["seconds"]) == (1, 600.0)
    async with tocsin.store.engine.connect() as conn:
        stored = (await conn.execute(select(func.count()).select_from(span_packs))).scalar()
    assert stored
    raion = tocsin.regions.tree.children("UA-63")[0].code
    await tocsin.alerts.raise_alert(RaiseAlert(threat="uav", regions=[raion]), LOCAL_ADMIN)
    clock.advance(60)
    second = (await http.get(f"/v1/stats/regions/UA-63?{DAY}")).json()
    assert (second["count"], second["seconds"]) == (2, 660.0)
    elsewhere = StatsService(tocsin.store, tocsin.regions, tocsin.catalogue, clock)
    again = await elsewhere.region("UA-63", Window(START, START + timedelta(days=1)), Filters())
    assert (again.count, again.seconds) == (2, 660.0)


async def test_from_and_to_take_dates_of_the_zone_and_times(
    tocsin: Tocsin, clock: ManualClock, http: httpx.AsyncClient
) -> None:
    await alert(tocsin, clock, ["UA-63"], 30)  # 2026-03-01 12:00–12:30 UTC
    clock.advance(23 * 3600)  # 2026-03-02 11:30 UTC
    await alert(tocsin, clock, ["UA-63"], 60)  # 11:30–12:30
    one_day = (await http.get("/v1/stats/regions/UA-63?from=2026-03-01&to=2026-03-01")).json()
    assert (one_day["since"], one_day["until"]) == ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")
    assert (one_day["count"], one_day["seconds"]) == (1, 1800.0)
    kyiv = "from=2026-03-02&to=2026-03-02&tz=Europe/Kyiv"
    local = (await http.get(f"/v1/stats/regions/UA-63?{kyiv}")).json()
    assert (local["since"], local["until"]) == ("2026-03-01T22:00:00Z", "2026-03-02T22:00:00Z")
    assert (local["count"], local["seconds"]) == (1, 3600.0)
    times = "from=2026-03-01T12:15:00Z&to=2026-03-02T12:00:00%2B00:00"
    cut = (await http.get(f"/v1/stats/regions/UA-63?{times}")).json()
    assert (cut["count"], cut["seconds"]) == (1, 15 * 60.0 + 30 * 60.0)
    only_from = (await http.get("/v1/stats/regions/UA-63?from=2026-03-02")).json()
    assert (only_from["since"], only_from["until"]) == (
        "2026-03-02T00:00:00Z",
        "2026-03-02T12:30:00Z",
    )
    old = (await http.get(f"/v1/stats/regions/UA-63?{DAY}")).json()
    new = (await http.get("/v1/stats/regions/UA-63?from=2026-03-01&to=2026-03-01")).json()
    assert old == new  # since/until still work, and mean the same
    all_time = (await http.get("/v1/stats/regions/UA-63")).json()
    assert (all_time["since"], all_time["until"]) == (
        "2026-03-01T12:00:00Z",
        "2026-03-02T12:30:00Z",
    )
    assert (all_time["count"], all_time["seconds"]) == (2, 5400.0)
    week = (
        await http.get("/v1/stats/series?region=UA-63&every=day&from=2026-03-01&to=2026-03-07")
    ).json()
    assert [b["seconds"] for b in week["buckets"]] == [1800.0, 3600.0, 0, 0, 0, 0, 0]
    ranking = (await http.get("/v1/stats/ranking?from=2026-03-02&to=2026-03-02&limit=1")).json()
    assert ranking["regions"][0]["region"] == "UA-63" and ranking["regions"][0]["count"] == 1


async def test_the_span_that_has_data(
    tocsin: Tocsin, clock: ManualClock, http: httpx.AsyncClient
) -> None:
    empty = (await http.get("/v1/stats/span?region=UA")).json()
    assert (empty["count"], empty["first"], empty["last"], empty["open"]) == (0, None, None, False)
    await alert(tocsin, clock, ["UA-63"], 30)  # 12:00–12:30
    clock.advance(3600)
    await alert(tocsin, clock, ["UA-59"], 10, status=Status.EXERCISE)  # 13:30–13:40, a drill
    body = (await http.get("/v1/stats/span?region=UA")).json()
    assert (body["count"], body["first"], body["last"]) == (
        1,
        "2026-03-01T12:00:00Z",
        "2026-03-01T12:30:00Z",
    )
    drills = (await http.get("/v1/stats/span?region=UA&status=all")).json()
    assert (drills["count"], drills["last"]) == (2, "2026-03-01T13:40:00Z")
    assert (await http.get("/v1/stats/span?region=UA-59")).json()["count"] == 0
    await tocsin.alerts.raise_alert(RaiseAlert(threat="air", regions=["UA-46"]), LOCAL_ADMIN)
    clock.advance(600)
    still = (await http.get("/v1/stats/span?region=UA")).json()
    assert (still["open"], still["last"], still["count"]) == (True, "2026-03-01T13:50:00Z", 2)

"""Inputs that once answered 500: each now a clear 4xx problem, or an answer, on SQLite and
PostgreSQL. NUL characters are refused in one place, dates outside one range everywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cap_support import CAP_TYPE, info, message

from conftest import bearer
from tocsin.bootstrap import Tocsin
from tocsin.records.history.formats import parse_time
from tocsin.records.history.importer import HistoryImporter
from tocsin.service.ports import ManualClock
from tocsin.types import FIRST_YEAR, LAST_YEAR, utc_instant

Json = dict[str, object]


def problem_of(response: httpx.Response, status: int = 422) -> Json:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    return body


@pytest.fixture
async def admin_client(
    client: httpx.AsyncClient, tocsin: Tocsin
) -> AsyncIterator[httpx.AsyncClient]:
    client.headers.update(await bearer(tocsin))
    yield client


# --- statistics that matched nothing ------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "threat=artillery",
        "every=day&format=json&lang=",
        "threat=artillery&every=year",
        "threat=artillery&format=csv",
    ],
)
async def test_concurrency_of_nothing_is_an_answer(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/v1/stats/concurrency?{query}")
    assert response.status_code == 200, response.text


# --- dates --------------------------------------------------------------------------------

FAR = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1899-12-31T23:59:59Z",
    f"{LAST_YEAR + 1}-01-01T00:00:00Z",
]


@pytest.mark.parametrize("when", FAR[::3])
@pytest.mark.parametrize(
    "path",
    [
        "/v1/incidents?since=",
        "/v1/incidents?until=",
        "/v1/incidents/stats?since=",
        "/v1/incidents/export.json?until=",
        "/v1/alerts?since=",
        "/v1/stats/series?since=",
        "/v1/stats/ranking?until=",
        "/v1/stats/regions/UA?from=",
        "/v1/stats/profile/hour?to=",
    ],
)
async def test_dates_out_of_range_are_refused_in_queries(
    client: httpx.AsyncClient, path: str, when: str
) -> None:
    response = await client.get(path + when.replace("+", "%2B"))
    body = problem_of(response)
    assert body["field"] == path.rsplit("?", 1)[1].rstrip("=")
    assert str(FIRST_YEAR) in str(body["detail"])


@pytest.mark.parametrize("when", FAR[:2])
async def test_dates_out_of_range_are_refused_in_bodies(
    admin_client: httpx.AsyncClient, when: str
) -> None:
    raise_body = {"threat": "missile", "regions": ["UA-63"], "expires_at": when}
    problem = problem_of(await admin_client.post("/v1/alerts", json=raise_body))
    assert problem["field"] == "expires_at"
    incident = {"regions": ["UA-63"], "threats": ["missile"], "start": when}
    problem = problem_of(await admin_client.post("/v1/incidents", json=incident))
    assert problem["field"] == "start"


def test_one_range_of_years() -> None:
    assert utc_instant(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)).year == FIRST_YEAR
    assert utc_instant(datetime(LAST_YEAR, 12, 31, 23, tzinfo=UTC)).year == LAST_YEAR
    for year in (1, FIRST_YEAR - 1, LAST_YEAR + 1, 9999):
        with pytest.raises(ValueError, match=f"{FIRST_YEAR}"):
            utc_instant(datetime(year, 6, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="offset"):
        utc_instant(datetime(2026, 6, 1))


@pytest.mark.parametrize(
    ("sent", "expires"),
    [
        ("0001-01-01T00:00:00+14:00", "2026-03-01T14:00:00+00:00"),
        ("2026-03-01T12:00:00+00:00", "9999-12-31T23:59:59-14:00"),
    ],
)
async def test_cap_dates_out_of_range_are_refused(
    admin_client: httpx.AsyncClient, sent: str, expires: str
) -> None:
    data = message(infos=[info()])
    data = data.replace(b"<sent>2026-03-01T12:00:00+00:00</sent>", f"<sent>{sent}</sent>".encode())
    data = data.replace(
        b"<expires>2026-03-01T14:00:00+00:00</expires>", f"<expires>{expires}</expires>".encode()
    )
    assert sent.encode() in data and expires.encode() in data
    response = await admin_client.post("/v1/cap", content=data, headers=CAP_TYPE)
    body = problem_of(response)
    assert body["field"] in ("sent", "info/expires"), body


async def test_a_history_row_outside_the_years_is_refused_and_stats_still_answer(
    tocsin: Tocsin, clock: ManualClock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "far.csv"
    path.write_text(
        "region,threat,start,end\n"
        "UA-63,air,0001-01-01T00:00:00+00:00,9999-12-31T23:59:59+00:00\n"
        "UA-63,air,2026-02-01T10:00:00+00:00,2026-02-01T11:00:00+00:00\n",
        encoding="utf-8",
    )
    importer = HistoryImporter(tocsin.bus, tocsin.store)
    report = await importer.run(path, "csv", actor="t")
    assert (report.added, report.rejected) == (1, 1)
    for query in (
        "/v1/stats/profile/weekday",
        "/v1/stats/series?every=month",
        "/v1/stats/concurrency?every=year",
    ):
        assert (await client.get(query)).status_code == 200, query


def test_history_times_use_the_shared_range() -> None:
    with pytest.raises(ValueError, match=f"{FIRST_YEAR}"):
        parse_time("0001-01-01T00:00:00+14:00", "start")
    assert parse_time("2026-03-01T14:00:00+02:00", "start") == datetime(2026, 3, 1, 12, tzinfo=UTC)


# --- integers -----------------------------------------------------------------------------


@pytest.mark.parametrize("after", ["391968577722884685824", str(2**63)])
async def test_huge_integers_are_refused(admin_client: httpx.AsyncClient, after: str) -> None:
    body = problem_of(await admin_client.get(f"/v1/audit?after={after}"))
    assert body["field"] == "after"
    assert (await admin_client.get(f"/v1/audit?after={2**63 - 1}")).status_code == 200


async def test_stream_positions_past_the_largest_seq_are_refused(client: httpx.AsyncClient) -> None:
    body = problem_of(await client.get("/v1/stream", params={"since": str(2**63)}))
    assert body["field"] == "since"
    response = await client.get("/v1/stream", headers={"Last-Event-ID": str(2**63)})
    assert problem_of(response)["field"] == "Last-Event-ID"


# --- NUL ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/cap/alerts/%00.xml",
        "/cap/messages/tocsin.%00.1.xml",
        "/v1/alerts/a%00b",
        "/v1/incidents?region=UA%00",
        "/v1/stats/regions/UA-63%00",
        "/v1/regions?lang=%00",
        "/v1/subscriptions/x%00y",
    ],
)
async def test_nul_in_a_path_or_query_is_refused(client: httpx.AsyncClient, path: str) -> None:
    body = problem_of(await client.get(path))
    assert body["code"] == "invalid_input" and "NUL" in str(body["detail"])


async def test_nul_in_a_json_body_is_refused(client: httpx.AsyncClient) -> None:
    login = {"username": "a\x00b", "password": "x"}
    assert problem_of(await client.post("/v1/session", json=login))["field"] == "username"
    login = {"user\x00": "a", "password": "x"}
    assert problem_of(await client.post("/v1/session", json=login))["code"] == "invalid_input"
    incident = {"regions": ["UA-63", "UA-\x0030"], "threats": ["missile"], "start": "x"}
    body = problem_of(await client.post("/v1/incidents", json=incident))
    assert body["field"] == "regions[1]"


async def test_nul_in_a_header_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/alerts/active", headers={"Accept-Language": "uk%00"})
    assert response.status_code == 200  # percent signs are only text in a header
    body = problem_of(
        await client.get("/v1/alerts/active", headers=[(b"accept-language", b"uk\x00")])
    )
    assert body["field"] == "accept-language"


@pytest.mark.parametrize("nul", [b"&#0;", b"&#x0;", b"\x00"])
async def test_nul_in_a_cap_message_is_refused(admin_client: httpx.AsyncClient, nul: bytes) -> None:
    data = message(infos=[info()]).replace(b"Missile threat in", b"Missile" + nul + b"threat in")
    response = await admin_client.post("/v1/cap", content=data, headers=CAP_TYPE)
    assert problem_of(response)["field"] == "alert"

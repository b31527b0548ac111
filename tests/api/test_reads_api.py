"""Public reads answered from memory: the same bytes as worked out, 304 without I/O, a write
seen by the next read on the same node, and another process's write soon after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.service.ports import ManualClock

CLI = [sys.executable, "-c", "from tocsin.cli import main; main()"]
READS = [
    "/v1/alerts/active",
    "/v1/alerts/active?region=UA-63&lang=uk",
    "/v1/regions/states?level=oblast",
    "/v1/iot/states",
    "/cap/feed.atom",
    "/healthz",
]


def counting(tocsin: Tocsin, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every question put to the database by the public reads, by name."""
    asked: list[str] = []
    for name in ("open_alerts", "last_seq", "events_after"):
        monkeypatch.setattr(tocsin.store, name, _counted(asked, name, getattr(tocsin.store, name)))
    return asked


def _counted(asked: list[str], name: str, method: Any) -> Any:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        asked.append(name)
        return await method(*args, **kwargs)

    return counted


async def raise_alert(tocsin: Tocsin, *regions: str) -> str:
    cmd = RaiseAlert(threat="missile", regions=list(regions))
    alert, _ = await tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN)
    return alert.id


@pytest.mark.parametrize("path", READS)
async def test_an_answer_from_memory_is_the_answer_worked_out(
    client: httpx.AsyncClient, tocsin: Tocsin, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await raise_alert(tocsin, "UA-63")
    worked_out = await client.get(path)
    asked = counting(tocsin, monkeypatch)
    held = await client.get(path)
    assert worked_out.status_code == held.status_code == 200
    assert held.content == worked_out.content
    assert held.headers.raw == worked_out.headers.raw
    assert asked == []


@pytest.mark.parametrize("path", [p for p in READS if p != "/healthz"])
async def test_304_needs_no_io(
    client: httpx.AsyncClient, tocsin: Tocsin, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await client.get(path)
    asked = counting(tocsin, monkeypatch)
    computed = tocsin.reads.computed
    again = await client.get(path, headers={"If-None-Match": f'W/"x", {first.headers["etag"]}'})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert asked == [] and tocsin.reads.computed == computed


async def test_a_raise_is_read_at_once_on_the_same_node(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    before = await client.get("/v1/alerts/active")
    assert before.json()["alerts"] == []
    posted = await client.post(
        "/v1/alerts", json={"threat": "missile", "regions": ["UA-63"]}, headers=admin
    )
    assert posted.status_code == 201
    after = await client.get("/v1/alerts/active", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert [a["id"] for a in after.json()["alerts"]] == [posted.json()["id"]]
    line = (await client.get("/v1/iot/states", params={"level": "oblast"})).text
    assert "A" in line
    ended = await client.post(f"/v1/alerts/{posted.json()['id']}/end", headers=admin)
    assert ended.status_code == 200
    assert (await client.get("/v1/alerts/active")).json()["alerts"] == []


async def test_each_language_has_its_own_answer(client: httpx.AsyncClient, tocsin: Tocsin) -> None:
    await raise_alert(tocsin, "UA-63")
    names = {}
    for lang in ("en", "uk"):
        for _ in range(2):  # worked out, then held
            got = await client.get("/v1/alerts/active", headers={"Accept-Language": lang})
            names.setdefault(lang, set()).add(got.json()["alerts"][0]["regions"][0]["name"])
    assert len(names["en"]) == len(names["uk"]) == 1 and names["en"] != names["uk"]
    by_query = await client.get("/v1/alerts/active?lang=uk", headers={"Accept-Language": "en"})
    assert by_query.json()["alerts"][0]["lang"] == "uk"


async def test_a_bad_filter_is_refused_every_time(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        got = await client.get("/v1/alerts/active", params={"region": "XX-00"})
        assert got.status_code == 422 and got.json()["field"] == "region"


async def test_a_closed_alert_leaves_the_atom_feed_when_its_time_is_over(
    client: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    alert_id = await raise_alert(tocsin, "UA-63")
    await tocsin.alerts.end(alert_id, LOCAL_ADMIN)
    assert alert_id in (await client.get("/cap/feed.atom")).text
    clock.advance(tocsin.settings.cap_feed_retention - 1)
    assert alert_id in (await client.get("/cap/feed.atom")).text
    clock.advance(2)  # no event says so: the answer knew when it would stop being right
    assert alert_id not in (await client.get("/cap/feed.atom")).text


async def test_an_expired_alert_leaves_the_reads(
    client: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    expires = clock.now()
    clock.advance(-60)
    cmd = RaiseAlert(threat="missile", regions=["UA-63"], expires_at=expires)
    await tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN)
    assert len((await client.get("/v1/alerts/active")).json()["alerts"]) == 1
    clock.advance(61)
    assert len(await tocsin.alerts.expire_due(LOCAL_ADMIN)) == 1
    assert (await client.get("/v1/alerts/active")).json()["alerts"] == []


async def test_health_asks_the_database_at_most_once_a_second(
    client: httpx.AsyncClient, tocsin: Tocsin, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = counting(tocsin, monkeypatch)
    for _ in range(5):
        assert (await client.get("/healthz")).status_code == 200
    assert asked == ["last_seq"]
    clock.advance(1)
    await client.get("/healthz")
    assert asked == ["last_seq", "last_seq"]
    await raise_alert(tocsin, "UA-63")
    assert (await client.get("/healthz")).json()["last_seq"] == tocsin.feed.head


def test_a_raise_by_another_process_is_read_within_the_poll_interval(
    database_url: str, live_server: str
) -> None:
    first = httpx.get(f"{live_server}/v1/alerts/active")
    assert first.json()["alerts"] == []
    etag = {"If-None-Match": first.headers["etag"]}
    assert httpx.get(f"{live_server}/v1/alerts/active", headers=etag).status_code == 304
    raised = subprocess.run(
        [*CLI, "alert", "raise", "--threat", "uav", "-r", "UA-63", "--json"],
        env={**os.environ, "TOCSIN_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    alert_id = json.loads(raised.stdout)["id"]
    deadline = time.monotonic() + 5
    while (got := httpx.get(f"{live_server}/v1/alerts/active", headers=etag)).status_code == 304:
        assert time.monotonic() < deadline, "another process's raise never read"
        time.sleep(0.05)
    assert [a["id"] for a in got.json()["alerts"]] == [alert_id]


ETAGGED = [
    *[p for p in READS if p != "/healthz"],
    "/v1/regions",
    "/v1/threats",
    "/v1/regions/UA-63/state",
    "/v1/regions/geojson",
]


@pytest.mark.parametrize("path", ETAGGED)
async def test_if_none_match_star_answers_304(client: httpx.AsyncClient, path: str) -> None:
    """`*`: the client wants nothing if the resource exists, on the first read (worked out)
    and on the next (from memory) alike."""
    for _ in range(2):
        got = await client.get(path, headers={"If-None-Match": "*"})
        assert got.status_code == 304 and got.content == b""
        assert got.headers["etag"]
    fresh = await client.get(path, headers={"If-None-Match": '"not-this-one"'})
    assert fresh.status_code == 200 and fresh.content

"""SSE and WebSocket streams over a real server and real sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from tocsin.api import stream
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings


async def token(database_url: str) -> dict[str, str]:
    tocsin = await build(Settings(database_url=database_url))
    try:
        new = await tocsin.tokens.create("admin", name="stream test")
    finally:
        await tocsin.close()
    return {"Authorization": f"Bearer {new.secret}"}


async def frames(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """Parse an SSE response into frames {id, event, data}; comments become {'comment': …}."""
    frame: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if line == "":
            if frame:
                yield frame
            frame = {}
        elif line.startswith(":"):
            yield {"comment": line[1:].strip()}
        else:
            key, _, value = line.partition(": ")
            frame[key] = json.loads(value) if key == "data" else value


async def collect(
    http: httpx.AsyncClient,
    params: dict[str, str],
    n: int,
    headers: dict[str, str] | None = None,
    *,
    started: asyncio.Event | None = None,
) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with http.stream("GET", "/v1/stream", params=params, headers=headers or {}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for frame in frames(response):
            if frame.get("event") == "ready":
                got.append(frame)
                if started:
                    started.set()
            elif "id" in frame:
                got.append(frame)
            if len(got) == n + 1:
                return got
    return got


async def test_sse_open_then_live_events(database_url: str, live_server: str) -> None:
    headers = await token(database_url)
    async with httpx.AsyncClient(base_url=live_server, timeout=20) as http:
        started = asyncio.Event()
        reader = asyncio.create_task(collect(http, {"region": "UA-63"}, 2, started=started))
        await asyncio.wait_for(started.wait(), 10)
        created = await http.post(
            "/v1/alerts", headers=headers, json={"threat": "uav", "regions": ["RU-BEL"]}
        )
        raised = await http.post(
            "/v1/alerts", headers=headers, json={"threat": "missile", "regions": ["UA-63"]}
        )
        assert created.status_code == raised.status_code == 201
        alert_id = raised.json()["id"]
        await http.post(f"/v1/alerts/{alert_id}/end", headers=headers)
        opened, first, second = await asyncio.wait_for(reader, 20)
    assert opened["data"]["filter"]["regions"] == ["UA-63"]
    assert [first["event"], second["event"]] == ["alert.raised", "alert.ended"]
    assert first["data"]["alert"]["id"] == alert_id
    assert int(second["id"]) == int(first["id"]) + 1  # the RU-BEL raise before is filtered out
    assert first["data"]["seq"] == int(first["id"])


async def test_sse_data_is_what_the_events_endpoint_serves(
    database_url: str, live_server: str
) -> None:
    headers = await token(database_url)
    async with httpx.AsyncClient(base_url=live_server, timeout=20) as http:
        await http.post(
            "/v1/alerts", headers=headers, json={"threat": "aviation", "regions": ["UA-59"]}
        )
        log = (await http.get("/v1/events", params={"after": 0, "limit": 1000})).json()
        last = log["events"][-1]
        got = await asyncio.wait_for(collect(http, {"since": str(last["seq"] - 1)}, 1), 20)
    assert got[1]["data"] == last


async def test_reconnect_with_last_event_id_misses_nothing(
    database_url: str, live_server: str
) -> None:
    headers = await token(database_url)
    async with httpx.AsyncClient(base_url=live_server, timeout=20) as http:
        started = asyncio.Event()
        reader = asyncio.create_task(collect(http, {}, 2, started=started))
        await asyncio.wait_for(started.wait(), 10)
        for region in ("UA-63", "UA-59"):
            await http.post(
                "/v1/alerts", headers=headers, json={"threat": "uav", "regions": [region]}
            )
        first_session = await asyncio.wait_for(reader, 20)
        last_id = first_session[-1]["id"]
        for region in ("UA-30", "UA-32", "UA-74"):  # raised while disconnected
            await http.post(
                "/v1/alerts", headers=headers, json={"threat": "uav", "regions": [region]}
            )
        started = asyncio.Event()
        reader = asyncio.create_task(
            collect(http, {}, 4, {"Last-Event-ID": last_id}, started=started)
        )
        await asyncio.wait_for(started.wait(), 10)
        await http.post("/v1/alerts", headers=headers, json={"threat": "uav", "regions": ["UA-71"]})
        second_session = await asyncio.wait_for(reader, 20)
    seqs = [int(f["id"]) for f in first_session[1:] + second_session[1:]]
    assert seqs == list(range(seqs[0], seqs[0] + 6))
    regions = [f["data"]["alert"]["regions"][0] for f in first_session[1:] + second_session[1:]]
    assert regions == ["UA-63", "UA-59", "UA-30", "UA-32", "UA-74", "UA-71"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region": "XX-1"}, "region"),
        ({"threat": "nuke"}, "threat"),
        ({"status": "real"}, "status"),
        ({"since": "-1"}, "since"),
    ],
)
async def test_bad_stream_filters_are_problems(
    live_server: str, params: dict[str, str], field: str
) -> None:
    async with httpx.AsyncClient(base_url=live_server, timeout=20) as http:
        response = await http.get("/v1/stream", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


async def test_websocket_stream(database_url: str, live_server: str) -> None:
    headers = await token(database_url)
    url = live_server.replace("http://", "ws://") + "/v1/stream/ws?threat=missile&status=all"
    async with (
        websockets.connect(url) as socket,
        httpx.AsyncClient(base_url=live_server, timeout=20) as http,
    ):
        opened = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert opened["type"] == "open" and opened["filter"]["threats"] == ["missile"]
        await http.post("/v1/alerts", headers=headers, json={"threat": "uav", "regions": ["UA-63"]})
        await http.post(
            "/v1/alerts",
            headers=headers,
            json={"threat": "missile", "regions": ["UA-63"], "status": "exercise"},
        )
        event = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert event["type"] == "alert.raised"
    assert event["alert"]["threat"] == "missile" and event["alert"]["status"] == "exercise"


async def test_websocket_refuses_bad_filters(live_server: str) -> None:
    """Before the handshake completes, with the problem an SSE request gets."""
    url = live_server.replace("http://", "ws://") + "/v1/stream/ws?region=XX-1"
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url):
            pass
    answer = refused.value.response
    assert answer.status_code == 422
    problem = json.loads(answer.body)
    assert (problem["code"], problem["field"]) == ("unknown_region", "region")
    assert problem["detail"] == "unknown region code 'XX-1'"


async def test_sse_sends_keepalives_and_a_late_commit_after_them(database_url: str) -> None:
    from conftest import serving

    headers = await token(database_url)
    settings = Settings(database_url=database_url, stream_keepalive=0.1)
    with serving(settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            seen: list[dict[str, Any]] = []
            async with http.stream("GET", "/v1/stream") as response:
                async for frame in frames(response):
                    seen.append(frame)
                    comments = [f for f in seen if f.get("comment") == "keepalive"]
                    if len(comments) == 2 and not any("id" in f for f in seen):
                        raised = await http.post(
                            "/v1/alerts", headers=headers,
                            json={"threat": "missile", "regions": ["UA-63"]},
                        )  # fmt: skip
                        assert raised.status_code == 201
                    if "id" in frame:
                        break
    assert seen[0]["event"] == "ready"
    assert seen[-1]["event"] == "alert.raised"
    assert seen[-1]["data"]["alert"]["id"] == raised.json()["id"]


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"since": "abc"}, {}, "since"),
        ({"since": str(2**63)}, {}, "since"),
        ({"status": ""}, {}, "status"),
        ({}, {"Last-Event-ID": "seven"}, "Last-Event-ID"),
        ({"since": "1"}, {"Last-Event-ID": str(2**63)}, "Last-Event-ID"),
    ],
)
async def test_stream_input_the_quick_way_declines_is_refused_by_the_route(
    live_server: str, params: dict[str, str], headers: dict[str, str], field: str
) -> None:
    async with httpx.AsyncClient(base_url=live_server, timeout=20) as http:
        response = await http.get("/v1/stream", params=params, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


def _scope(query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": stream.PATH,
        "query_string": query,
        "headers": headers or [],
    }


@pytest.mark.parametrize(
    "scope",
    [
        _scope(b"region=UA-63&region=UA-30"),  # twice: the route decides which counts
        _scope(b"regions=UA-63"),  # unknown: the route decides
        _scope(b"region=UA-63%00"),
        _scope(b"region=XX-1"),
        _scope(b"since=+5"),
        _scope(headers=[(b"last-event-id", b"1"), (b"last-event-id", b"2")]),
        _scope(headers=[(b"x-what", b"a\x00b")]),
        {**_scope(), "method": "HEAD"},
    ],
)
async def test_the_quick_way_leaves_anything_unusual_to_the_route(
    tocsin: Tocsin, scope: dict[str, Any]
) -> None:
    assert stream.direct(tocsin, scope) is None


async def test_the_quick_way_reads_a_request_as_the_route_does(tocsin: Tocsin) -> None:
    quick = stream.direct(
        tocsin,
        _scope(
            b"region=UA-63,%20UA-30&threat=uav&status=actual,exercise&since=007",
            [(b"last-event-id", b" 12 ")],
        ),
    )
    assert quick is not None
    assert quick.resume == 12  # Last-Event-ID wins over since, as in the route
    assert quick.chosen == stream.build_filter(tocsin, "UA-63, UA-30", "uav", "actual,exercise")
    assert quick.opening["filter"]["regions"] == ["UA-63", "UA-30"]
    plain = stream.direct(tocsin, _scope(b"since=7"))
    assert plain is not None and plain.resume == 7
    assert plain.opening["last_seq"] == tocsin.hub.position

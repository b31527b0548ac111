"""Live streams are limited per client address and in all, over a real server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets

from conftest import serving
from tocsin.config import Settings


def limited(
    database_url: str, per_client: int, total: int
) -> contextlib.AbstractContextManager[str]:
    settings = Settings(
        database_url=database_url, stream_max_per_client=per_client, stream_max_total=total
    )
    return serving(settings)


@contextlib.asynccontextmanager
async def opened(http: httpx.AsyncClient, client: str | None = None) -> AsyncIterator[None]:
    """An SSE stream, held open until the block ends (from `client` as a proxy says)."""
    headers = {"X-Forwarded-For": client} if client else {}
    async with http.stream("GET", "/v1/stream", headers=headers) as response:
        assert response.status_code == 200
        lines = response.aiter_lines()  # held: a generator left behind would close the stream
        while not (await anext(lines)).startswith("event: ready"):
            pass
        yield
        await lines.aclose()


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert 5 <= int(response.headers["retry-after"]) <= 15
    assert response.json()["code"] == code


async def test_a_client_beyond_its_limit_is_refused_with_429(database_url: str) -> None:
    with limited(database_url, per_client=2, total=100) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            async with opened(http), opened(http):
                refused = await http.get("/v1/stream")
                assert_refused(refused, 429, "too_many_streams")
                assert refused.json() == {
                    "type": "https://tocsin.dev/problems/too_many_streams",
                    "title": "Too many streams",
                    "status": 429,
                    "detail": "this address has 2 live streams open, as many as allowed; "
                    "close one, or try again later",
                    "code": "too_many_streams",
                }
                async with opened(http, "192.0.2.9"):  # another client
                    pass
            await until_admitted(http)


async def test_the_server_beyond_its_limit_refuses_with_503(database_url: str) -> None:
    with limited(database_url, per_client=1, total=2) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            async with opened(http, "192.0.2.1"), opened(http, "2001:db8::1"):
                same_64 = await http.get("/v1/stream", headers={"X-Forwarded-For": "2001:db8::2"})
                full = await http.get("/v1/stream", headers={"X-Forwarded-For": "192.0.2.2"})
            assert_refused(same_64, 429, "too_many_streams")
            assert_refused(full, 503, "streams_full")


async def test_a_websocket_beyond_the_limit_is_closed_with_1013(database_url: str) -> None:
    with limited(database_url, per_client=1, total=100) as url:
        socket_url = url.replace("http://", "ws://") + "/v1/stream/ws"
        async with httpx.AsyncClient(base_url=url, timeout=20) as http, opened(http):
            async with websockets.connect(socket_url) as socket:
                problem = json.loads(await asyncio.wait_for(socket.recv(), 10))
                with pytest.raises(websockets.exceptions.ConnectionClosed) as info:
                    await asyncio.wait_for(socket.recv(), 10)
                assert socket.response is not None
                retry = int(socket.response.headers["Retry-After"])
            refused = await http.get("/v1/stream")  # the websocket held no place
    assert problem["type"] == "error" and problem["code"] == "too_many_streams"
    assert 5 <= problem["retry_after"] == retry <= 15
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (1013, "try again later")
    assert_refused(refused, 429, "too_many_streams")


async def test_websockets_and_sse_share_the_limit(database_url: str) -> None:
    with limited(database_url, per_client=1, total=100) as url:
        socket_url = url.replace("http://", "ws://") + "/v1/stream/ws"
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            async with websockets.connect(socket_url) as socket:
                assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "open"
                assert_refused(await http.get("/v1/stream"), 429, "too_many_streams")
            await until_admitted(http)


async def until_admitted(http: httpx.AsyncClient) -> None:
    """A new stream is admitted once the server has seen the last one go."""
    for _ in range(100):
        async with http.stream("GET", "/v1/stream") as response:
            if response.status_code == 200:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("a closed stream's place was never freed")


async def test_a_client_that_stops_reading_is_dropped_and_frees_its_place(
    database_url: str,
) -> None:
    from test_sse import token

    headers = await token(database_url)
    settings = Settings(
        database_url=database_url,
        stream_max_per_client=1,
        stream_buffer=10,
        stream_keepalive=0.5,
    )
    with serving(settings) as url, socket.socket() as stalled:
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", int(url.rsplit(":", 1)[1])))
        stalled.sendall(
            b"GET /v1/stream HTTP/1.1\r\nHost: tocsin\r\nX-Forwarded-For: 192.0.2.5\r\n\r\n"
        )
        assert stalled.recv(12) == b"HTTP/1.1 200"  # then it reads no more
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            alert = {"threat": "missile", "regions": ["UA-63"], "text": "Ж" * 2000}
            for _ in range(300):  # ~5 KB each: the server's buffers for it fill, it is dropped
                raised = await http.post("/v1/alerts", headers=headers, json=alert)
                assert raised.status_code == 201
                async with http.stream(
                    "GET", "/v1/stream", headers={"X-Forwarded-For": "192.0.2.5"}
                ) as again:
                    if again.status_code != 429:
                        break
            assert again.status_code == 200, "the stalled stream still holds its place"

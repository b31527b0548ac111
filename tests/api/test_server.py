"""`tocsin serve`'s uvicorn closes connections whose request head is late (slowloris), and
only those: complete requests, keep-alive and live streams go on."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from conftest import running_app
from tocsin.api import server
from tocsin.api.app import create_app
from tocsin.config import Settings

TIMEOUT = 0.5
PROTOCOLS = ["httptools", "h11"]


@pytest.fixture(scope="module", params=PROTOCOLS)
def port(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """A server as `tocsin serve` runs it (its uvicorn options) with a short head timeout, on
    each of uvicorn's HTTP protocols. The deadline is the server's, not the database's: one
    SQLite database serves every test."""
    database = tmp_path_factory.mktemp("server") / "tocsin.db"
    shutil.copyfile(sqlite_template, database)
    config = Settings(
        database_url=f"sqlite:///{database}",
        request_head_timeout=TIMEOUT,
        stream_keepalive=TIMEOUT,
        channels=(),
    )
    with running_app(create_app(config), **server.options(config, request.param)) as port:
        yield port


def seconds_until_closed(port: int, sent: list[bytes], pause: float = 0.0) -> float:
    """Connect, send each of `sent` `pause` seconds apart, and wait for the server to close."""
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.settimeout(TIMEOUT * 10)
        started = time.monotonic()
        try:
            for part in sent:
                raw.sendall(part)
                time.sleep(pause)
            assert raw.recv(1024) == b"", "the server answered instead of closing"
        except (BrokenPipeError, ConnectionResetError):  # closed while we were still sending
            pass
        return time.monotonic() - started


@pytest.mark.parametrize(
    ("sent", "pause"),
    [
        ([], 0.0),
        ([b"GET /v1/alerts HT"], 0.0),
        ([b"GET /v1/alerts HTTP/1.1\r\nHost: tocsin\r\n"], 0.0),
        ([b"G", b"E", b"T", b" ", b"/", b"v", b"1", b"/"], TIMEOUT / 4),  # a byte at a time
    ],
    ids=["nothing", "part of the request line", "headers without their end", "dribbled"],
)
def test_a_late_request_head_closes_the_connection(
    port: int, sent: list[bytes], pause: float
) -> None:
    assert TIMEOUT * 0.9 <= seconds_until_closed(port, sent, pause) <= TIMEOUT * 4


def test_the_next_request_on_a_kept_alive_connection_has_its_own_deadline(port: int) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: tocsin\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.settimeout(TIMEOUT * 10)
        for _ in range(2):  # slower in all than one deadline, each in time
            time.sleep(TIMEOUT * 0.6)
            raw.sendall(request)
            assert raw.recv(1024).startswith(b"HTTP/1.1 200 ")
        raw.sendall(b"GET /healthz HTTP/1.1\r\n")
        started = time.monotonic()
        assert raw.recv(1024) == b""
        assert time.monotonic() - started <= TIMEOUT * 4


async def test_live_streams_outlast_the_deadline(port: int) -> None:
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
        client.stream("GET", "/v1/stream") as response,
        websockets.connect(f"ws://127.0.0.1:{port}/v1/stream/ws") as ws,
    ):
        lines = response.aiter_lines()
        keepalives = 0
        while keepalives < 4:  # 4 keepalives: twice the deadline and more
            keepalives += (await anext(lines)) == ": keepalive"
        await lines.aclose()
        messages = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(3)]
    assert [m["type"] for m in messages] == ["open", "keepalive", "keepalive"]


def test_serve_uses_the_protocol_of_the_setting() -> None:
    options = server.options(Settings(request_head_timeout=7.5))
    assert issubclass(options["http"], server.HeadDeadline)
    assert options["http"].head_timeout == 7.5
    assert server.protocol(3.0, "h11").head_timeout == 3.0  # type: ignore[attr-defined]


def test_the_access_log_is_written_by_a_thread_of_its_own(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    access = logging.getLogger("uvicorn.access")
    monkeypatch.setattr(access, "handlers", [])
    monkeypatch.setattr(access, "propagate", access.propagate)
    monkeypatch.setattr(access, "level", access.level)
    writers: list[str] = []
    listener = server.access_log()
    handler = listener.handlers[0]
    emit = handler.emit
    monkeypatch.setattr(
        handler, "emit", lambda r: (writers.append(threading.current_thread().name), emit(r))
    )
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/v1/alerts/active", "1.1", 200)
    listener.stop()
    assert '127.0.0.1:5000 "GET /v1/alerts/active HTTP/1.1" 200 OK' in capsys.readouterr().out
    assert writers and writers[0] != threading.current_thread().name


@pytest.mark.parametrize("query", ["since=-1", "since=x", "status=nonsense", "region=XX-1"])
async def test_a_websocket_with_bad_input_is_refused_as_sse_refuses_it(
    port: int, query: str
) -> None:
    """Before the handshake completes, with the HTTP answer the same SSE request gets."""
    base = f"127.0.0.1:{port}/v1/stream"
    async with httpx.AsyncClient(timeout=10) as client:
        sse = await client.get(f"http://{base}?{query}")
    assert sse.status_code in (400, 422) and sse.headers["content-type"].startswith(
        "application/problem+json"
    )
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(f"ws://{base}/ws?{query}"):
            pass
    answer = refused.value.response
    assert answer.status_code == sse.status_code
    assert json.loads(answer.body) == sse.json()
    assert answer.headers["content-type"] == sse.headers["content-type"]


async def test_a_websocket_from_a_page_of_another_origin(port: int) -> None:
    """Any origin may open a stream by default (cors_origins '*'), as it may read over SSE."""
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/v1/stream/ws", origin="https://map.example"
    ) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "open"

"""A report body over the limit is refused from its declared length, before it is read."""

from __future__ import annotations

from typing import Any

from tocsin.api import reports  # registers the limit of POST /v1/reports
from tocsin.api.inputs import BODY_LIMITS, InputGuard
from tocsin.records.domain.reports import MAX_BODY


async def _never(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("the route was reached")


async def test_a_megabyte_is_refused_from_its_content_length_without_reading_it() -> None:
    assert reports.router is not None and BODY_LIMITS[("POST", "/v1/reports")][0] == MAX_BODY
    sent: list[dict[str, Any]] = []
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"{", "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/reports",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000000")],
    }
    await InputGuard(_never)(scope, receive, send)
    assert read == 0
    assert sent[0]["status"] == 413
    assert b'"field":"text"' in sent[1]["body"] and b'"code":"too_large"' in sent[1]["body"]


async def test_a_body_without_a_length_is_refused_once_it_passes_the_limit() -> None:
    sent: list[dict[str, Any]] = []
    chunks = 0

    async def receive() -> dict[str, Any]:
        nonlocal chunks
        chunks += 1
        return {"type": "http.request", "body": b"x" * 65_536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/reports",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    await InputGuard(_never)(scope, receive, send)
    assert sent[0]["status"] == 413
    assert chunks == MAX_BODY // 65_536 + 1  # it stopped reading at the limit

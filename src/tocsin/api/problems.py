"""The one place where errors become HTTP: `application/problem+json` (RFC 9457).

Body: `type`, `title`, `status`, `detail`, plus `code` (stable, for programs) and `field`
(the input at fault, when there is one). Nothing here leaks a traceback. The OpenAPI document
describes every 4xx answer so (`Problem`), in place of FastAPI's own validation error.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tocsin.errors import TocsinError

PROBLEM_TYPE = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "stable, for programs"},
        "field": {"type": "string", "description": "the input at fault"},
    },
}
log = logging.getLogger("tocsin.api")


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """A problem+json answer; `extra`: members an API spoken for other clients adds."""
    body: dict[str, Any] = {
        "type": f"https://tocsin.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    body.update(extra or {})
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(orjson.dumps(body), status, media_type=PROBLEM_TYPE, headers=headers)


async def _tocsin_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TocsinError)
    return error_response(exc)


def error_response(exc: TocsinError, extra: Mapping[str, Any] | None = None) -> Response:
    """The problem+json answer to a tocsin error, with Retry-After when it has one."""
    wait = retry_after(exc)
    headers = {"Retry-After": str(wait)} if wait is not None else None
    return problem(exc.status, exc.code, exc.title, exc.message, exc.field, headers, extra)


def retry_after(exc: TocsinError) -> int | None:
    """The error's Retry-After, in whole seconds (at least 1), if it has one."""
    return None if exc.retry_after is None else max(1, math.ceil(exc.retry_after))


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return invalid(exc.errors())


async def _socket_validation_error(socket: WebSocket, exc: Exception) -> None:
    """A WebSocket handshake with bad input is refused as the same request over HTTP is."""
    assert isinstance(exc, WebSocketRequestValidationError)
    await deny(socket, invalid(exc.errors()))


async def deny(socket: WebSocket, response: Response) -> None:
    """Refuse a handshake with an HTTP answer; where the server cannot send one, accept, send
    the problem as a message, and close (1008)."""
    if "websocket.http.response" in socket.scope.get("extensions", {}):
        await socket.send_denial_response(response)
        return
    body = orjson.loads(bytes(response.body))
    await socket.accept()
    await socket.send_text(orjson.dumps({"type": "error", **body}).decode())
    await socket.close(code=1008, reason=str(body.get("detail", ""))[:120])


def invalid(errors: Sequence[Any]) -> Response:
    """The problem for the first error of a request's validation."""
    first = errors[0]
    raw_loc = first.get("loc", ())
    loc = [str(p) for p in raw_loc if p not in ("body", "query", "path", "header")]
    field = _dotted(loc) or ("body" if raw_loc[:1] == ("body",) else None)
    if first.get("type") == "json_invalid":
        return problem(
            400,
            "malformed_request",
            "Malformed request",
            f"the request body is not valid JSON: {first.get('msg')}",
            "body",
        )
    detail = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
    return problem(422, "invalid_input", "Invalid input", detail, field)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {
        400: "malformed_request",
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthorized",
    }
    code = codes.get(exc.status_code, "http_error")
    if exc.status_code == 400:  # FastAPI could not read the body
        return problem(400, code, "Malformed request", str(exc.detail), "body")
    return problem(exc.status_code, code, str(exc.detail), str(exc.detail), headers=exc.headers)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    return problem(500, "internal", "Internal error", "an unexpected error occurred; it is logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(TocsinError, _tocsin_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(WebSocketRequestValidationError, _socket_validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.openapi = _documented(app.openapi)  # type: ignore[method-assign]


def _documented(openapi: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document with errors as they are sent: problem+json, for every 4xx."""

    def document() -> dict[str, Any]:
        schema = openapi()  # FastAPI builds it once and keeps it: this edits that one
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" in schemas:
            return schema
        schemas["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        content = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        refused = {"description": "Refused: see code and field", "content": content}
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.setdefault("responses", {})
                if "HTTPValidationError" in str(responses.get("422", "")):
                    responses.pop("422")  # FastAPI's own, never sent: ours is a Problem
                for status, response in responses.items():
                    if status.startswith("4"):  # declared by the route: sent as problem+json
                        response["content"] = content
                responses["4XX"] = refused
        return schema

    return document


def _dotted(loc: list[str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out

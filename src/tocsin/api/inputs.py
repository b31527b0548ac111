"""What requests may carry: rules checked once for every request, and the types of fields.

Checked before any route reads the request:

- No NUL character (U+0000) anywhere: not in the path, the query, a header or cookie, nor in
  a key or string of a JSON body. No database keeps one in text (PostgreSQL refuses it), and
  nobody means one. Nor a lone UTF-16 surrogate (`"\\ud800"`) in a JSON body: it is not text.
- A JSON object names each key once: `{"pre_alert": false, "pre_alert": true}` is refused,
  not read as its last value.

A refusal is a 422 problem naming the field at fault. CAP messages are XML: their parser
refuses NUL itself (`tocsin.cap.parse`).

Request bodies are `Body` models: strict (`"pre_alert": "yes"` is no boolean, `5` no text),
with no field they do not know. Times are ISO 8601 text with an offset, of the years tocsin
accepts (`Instant`); texts the public reads hold no bidirectional control character
(`PublicText`); lists of codes are short enough and name each code once (`Codes`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
)
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tocsin.api.problems import problem
from tocsin.types import bidi_control, utc_instant

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_CODES = 2000
"""The most codes one list may hold (Ukraine has about 1,600 regions)."""


# --- the types of fields --------------------------------------------------------------------


class Body(BaseModel):
    """A request body: every field of its own JSON type, and no field it does not know."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _storable_text(value: str) -> str:
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _plain_direction(value: str) -> str:
    found = bidi_control(value)
    if found is not None:
        raise ValueError(
            f"must not contain the bidirectional control character U+{ord(found):04X}, "
            "which makes a text read otherwise than it is written"
        )
    return value


def _iso_time(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be an ISO 8601 time with its UTC offset, e.g. 2026-03-01T12:00:00Z")


def _utc_instant(value: datetime) -> datetime:
    return utc_instant(value, "the time")


def _distinct(codes: list[str]) -> list[str]:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"{code!r} is given twice; give each once")
        seen.add(code)
    return codes


Text = Annotated[str, AfterValidator(_storable_text)]
"""Free text that every database can store."""

PublicText = Annotated[Text, AfterValidator(_plain_direction)]
"""Text the public reads (headlines, messages, names, incident and claim texts): no
bidirectional control character (U+202A–202E, U+2066–2069, U+200E, U+200F, U+061C)."""

Instant = Annotated[
    AwareDatetime, Strict(False), BeforeValidator(_iso_time), AfterValidator(_utc_instant)
]
"""A time: ISO 8601 text with its offset (never a bare number), of the years tocsin accepts
(`types.FIRST_YEAR`–`LAST_YEAR`), in UTC (as every time the API gives out is)."""

Code = Annotated[str, Field(max_length=64)]
"""A region code, threat id or alert id."""

Codes = Annotated[list[Code], Field(max_length=MAX_CODES), AfterValidator(_distinct)]
"""Codes, each at most once, at most `MAX_CODES` of them."""


# --- the rules of every request -------------------------------------------------------------


class Refused(ValueError):
    def __init__(self, field: str, message: str, *, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


BODY_LIMITS: dict[tuple[str, str], tuple[int, str]] = {}
"""(method, path) -> (the most bytes its body may have, the field named when it has more): such
a body is refused with 413 from its Content-Length, or as soon as it passes the limit, before it
is read whole or parsed. Routes that take long texts register here."""


class InputGuard:
    """ASGI middleware: refuses a request whose input breaks the rules above."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            check_request(scope)
            limit = _limit(scope) if scope["type"] == "http" else None
            if scope["type"] == "http" and (limit is not None or _has_json_body(scope)):
                body = await _read(receive, limit)
                check_json(body)
                receive = _replay(body, receive)
        except Refused as refused:
            await _refuse(scope, send, refused)
            return
        await self.app(scope, receive, send)


def check_request(scope: Scope) -> None:
    """Refuse NUL in the path, the query, the headers and the cookies."""
    if "\x00" in scope["path"]:
        raise Refused("path", "must not contain NUL characters")
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name + value:
                field = name.replace("\x00", "") or "query"
                raise Refused(field, "must not contain NUL characters")
    for name, value in scope.get("headers", ()):
        if b"\x00" in name or b"\x00" in value:
            raise Refused(name.decode("latin-1"), "must not contain NUL characters")
        if name == b"cookie":
            for key, text in cookie_parser(value.decode("latin-1")).items():
                if "\x00" in key + text:
                    raise Refused("cookie", "must not contain NUL characters")


def check_json(body: bytes) -> None:
    """Refuse a JSON body with a key twice in one object, or a NUL or lone surrogate in a string.
    A body that is not JSON passes: the route answers that in its own words."""
    try:
        value = json.loads(body, object_pairs_hook=_once)
    except Refused:
        raise
    except ValueError:
        return
    lowered = body.lower()
    if b"\\u0000" in lowered or b"\\ud" in lowered:
        for field, text in _strings(value, ""):
            if "\x00" in text:
                raise Refused(field or "body", "must not contain NUL characters")
            try:
                text.encode()
            except UnicodeEncodeError:
                raise Refused(
                    field or "body", "must be valid Unicode text (no lone surrogates)"
                ) from None


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise Refused(key, "is given twice; a key may appear once in an object")
        found[key] = value
    return found


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every key and string in a JSON value, with where it is (`source.name`, `regions[2]`)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            yield where, key
            yield from _strings(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _has_json_body(scope: Scope) -> bool:
    if scope["method"] not in BODY_METHODS:
        return False
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";")[0].strip().lower()
            return media_type == b"application/json" or media_type.endswith(b"+json")
    return True  # FastAPI reads a body without a type as JSON


def _limit(scope: Scope) -> tuple[int, str] | None:
    """The body limit of this route, once the declared length is found within it."""
    limit = BODY_LIMITS.get((scope["method"], scope["path"].rstrip("/") or "/"))
    if limit is None:
        return None
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit[0]:
            raise _too_large(int(value), limit)
    return limit


def _too_large(size: int, limit: tuple[int, str]) -> Refused:
    return Refused(
        limit[1], f"the body is {size} bytes or more; at most {limit[0]} are read", status=413
    )


async def _read(receive: Receive, limit: tuple[int, str] | None = None) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit[0]:
            raise _too_large(size, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(scope: Scope, send: Send, refused: Refused) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": str(refused)[:120]})
        return
    if refused.status == 413:
        response = problem(413, "too_large", "Too large", refused.message, refused.field)
    else:
        response = problem(422, "invalid_input", "Invalid input", str(refused), refused.field)
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}

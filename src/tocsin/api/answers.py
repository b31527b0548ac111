"""Answers built once and served many times: the bytes, their ETag, and the headers of the full
answer and of its 304.

Both are built by Starlette's `Response` the first time, and kept as the very header lines it
made, so an answer served again from memory (`tocsin.api.fastpath`) is byte for byte the one
the route gave.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.datastructures import Headers
from starlette.responses import Response

RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Answer:
    """A 200 answer and its 304 (for `If-None-Match` naming its ETag, or `*`: the client
    has some version and wants none if one exists); `updated`: the answer honours
    `If-Modified-Since` (when no `If-None-Match` is sent)."""

    body: bytes
    etag: str
    headers: RawHeaders
    not_modified: RawHeaders
    updated: datetime | None = None

    def status(self, if_none_match: str | None, if_modified_since: str | None) -> int:
        """200, or 304 when the client already has these bytes."""
        if not self.etag:
            return 200
        if if_none_match is not None:
            if if_none_match.strip() == "*" or self.etag in etags(if_none_match):
                return 304
        elif self.updated is not None and _not_modified_since(if_modified_since, self.updated):
            return 304
        return 200

    def response(self, headers: Headers) -> Response:
        inm, ims = headers.get("if-none-match"), headers.get("if-modified-since")
        if self.status(inm, ims) == 304:
            return Ready(304, self.not_modified, b"")
        return Ready(200, self.headers, self.body)


class Ready(Response):
    """A response whose header lines are already made."""

    def __init__(self, status: int, headers: RawHeaders, body: bytes) -> None:
        self.status_code = status
        self.body = body
        self.raw_headers = headers
        self.background: BackgroundTask | None = None


def answer(
    data: bytes,
    etag: str,
    media_type: str,
    headers: dict[str, str],
    *,
    updated: datetime | None = None,
) -> Answer:
    headers = {"ETag": etag, **headers}
    return Answer(
        data,
        etag,
        Response(data, media_type=media_type, headers=headers).raw_headers,
        Response(status_code=304, headers=headers).raw_headers,
        updated,
    )


def plain_answer(data: bytes, media_type: str) -> Answer:
    """Bytes as they are, with no validator: never a 304 (health, for one)."""
    full = Response(data, media_type=media_type).raw_headers
    return Answer(data, "", full, full)


def json_answer(body: Any, *, max_age: int = 0) -> Answer:
    """JSON with a strong ETag, in the caller's language (`Vary: Accept-Language`)."""
    data = orjson.dumps(body)
    headers = {
        "Cache-Control": f"public, max-age={max_age}, must-revalidate",
        "Vary": "Accept-Language",
    }
    return answer(data, strong_etag(data), "application/json", headers)


def dated_answer(data: bytes, updated: datetime, media_type: str, cache: str) -> Answer:
    """Bytes with a strong ETag and Last-Modified (CAP messages and the Atom feed)."""
    headers = {
        "Cache-Control": cache,
        "Last-Modified": format_datetime(second(updated), usegmt=True),
    }
    return answer(data, strong_etag(data), media_type, headers, updated=updated)


def strong_etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _not_modified_since(header: str | None, updated: datetime) -> bool:
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and second(updated) <= since


def second(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)

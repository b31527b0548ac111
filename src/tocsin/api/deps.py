"""Request dependencies: the wired services, the caller, the language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from pydantic import AfterValidator, AwareDatetime

from tocsin.bootstrap import Tocsin
from tocsin.domain.auth import Actor
from tocsin.errors import Unauthorized
from tocsin.types import DEFAULT_LANG, Lang


def _storable_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _utc_instant(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of the supported range of dates") from None


Text = Annotated[str, AfterValidator(_storable_text)]
"""Free text that every database can store."""

Instant = Annotated[AwareDatetime, AfterValidator(_utc_instant)]
"""A time with a zone, in UTC (as every time the API gives out is)."""


def get_tocsin(request: Request) -> Tocsin:
    tocsin: Tocsin = request.app.state.tocsin
    return tocsin


App = Annotated[Tocsin, Depends(get_tocsin)]


async def get_actor(
    tocsin: App, authorization: Annotated[str | None, Header()] = None
) -> Actor:
    if not authorization:
        raise Unauthorized("this needs a token: send 'Authorization: Bearer TOKEN'")
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send the token as 'Authorization: Bearer TOKEN'")
    return await tocsin.tokens.authenticate(secret)


Caller = Annotated[Actor, Depends(get_actor)]


def get_lang(
    tocsin: App,
    lang: Annotated[str | None, Query(description="language: en, uk or ru")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Lang:
    languages = tocsin.settings.languages
    if lang:
        return lang if lang in languages else DEFAULT_LANG
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in languages:
            return tag
    return DEFAULT_LANG


Language = Annotated[Lang, Depends(get_lang)]

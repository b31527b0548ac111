"""Request dependencies: the wired services, the caller, the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from tocsin.bootstrap import Tocsin
from tocsin.domain.auth import Actor
from tocsin.errors import Unauthorized
from tocsin.types import DEFAULT_LANG, Lang


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

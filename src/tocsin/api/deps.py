"""Request dependencies: the wired services, the caller, the language."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from tocsin.api.fastpath import pick_lang
from tocsin.api.node import Public
from tocsin.bootstrap import Tocsin
from tocsin.domain.accounts import Session
from tocsin.domain.auth import Actor
from tocsin.errors import Forbidden, Unauthorized
from tocsin.types import Lang

SESSION_COOKIE = "tocsin_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_tocsin(request: Request) -> Tocsin:
    tocsin: Tocsin = request.app.state.tocsin
    return tocsin


async def get_node(request: Request) -> Public:
    node: Public = request.app.state.tocsin
    return node


App = Annotated[Tocsin, Depends(get_tocsin)]
Node = Annotated[Public, Depends(get_node)]
"""The node, for the public reads that edges serve too."""


async def get_actor(
    request: Request, tocsin: App, authorization: Annotated[str | None, Header()] = None
) -> Actor:
    """The caller: an API token, or a console session (with its CSRF token on writes)."""
    origin = request.client.host if request.client else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if not authorization and cookie:
        session = await tocsin.accounts.session(cookie, origin)
        check_csrf(request, session)
        return session.actor
    if not authorization:
        raise Unauthorized("this needs a token: send 'Authorization: Bearer TOKEN'")
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send the token as 'Authorization: Bearer TOKEN'")
    return await tocsin.tokens.authenticate(secret, origin)


def check_csrf(request: Request, session: Session) -> None:
    """State-changing requests made with a session cookie must echo its CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(sent, session.csrf):
        raise Forbidden("missing or wrong X-CSRF-Token for this session", field="X-CSRF-Token")


Caller = Annotated[Actor, Depends(get_actor)]


async def get_reader(
    request: Request, tocsin: App, authorization: Annotated[str | None, Header()] = None
) -> Actor | None:
    """The caller of a public read, if signed in; None for the public (no credentials, or ones
    no longer valid: a public read then answers as it answers anyone)."""
    if not authorization and not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        return await get_actor(request, tocsin, authorization)
    except Unauthorized:
        return None


Reader = Annotated[Actor | None, Depends(get_reader)]
"""For reads whose answer is wider for a signed-in caller (incidents not yet published)."""


async def get_lang(
    tocsin: Node,
    lang: Annotated[str | None, Query(description="language: en, uk or ru")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Lang:
    return pick_lang(tocsin.settings.languages, lang, accept_language)


Language = Annotated[Lang, Depends(get_lang)]

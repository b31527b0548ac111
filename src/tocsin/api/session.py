"""Console sessions: log in, see who you are, set the session's mode, log out.

The session id travels only in an HttpOnly, Secure, SameSite=Strict cookie; state-changing
requests made with it must carry the session's CSRF token in `X-CSRF-Token`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Request
from pydantic import Field
from starlette.responses import Response

from tocsin.api.deps import SESSION_COOKIE, App, check_csrf
from tocsin.api.inputs import Body, Text
from tocsin.api.views import json_response
from tocsin.domain.accounts import Session
from tocsin.errors import Unauthorized
from tocsin.service.accounts import SESSION_HOURS
from tocsin.types import iso_time

router = APIRouter(prefix="/v1/session", tags=["session"])
SessionCookie = Annotated[str | None, Cookie(alias=SESSION_COOKIE)]


class Login(Body):
    username: Text = Field(max_length=64)
    password: Text = Field(max_length=1024)


class NewPassword(Body):
    current_password: Text = Field(max_length=1024)
    password: Text = Field(max_length=1024)


class Mode(Body):
    mode: str


def session_view(session: Session) -> dict[str, Any]:
    account = session.account
    return {
        "username": account.username,
        "role": account.role,
        "regions": list(account.regions) if account.regions is not None else None,
        "mode": session.mode.value,
        "csrf_token": session.csrf,
        "expires_at": iso_time(session.expires_at),
    }


@router.post("", summary="Log in to the console")
async def login(body: Login, request: Request, tocsin: App) -> Response:
    origin = request.client.host if request.client else None
    secret, session = await tocsin.accounts.login(body.username, body.password, origin)
    response = json_response(session_view(session))
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        secure=True,
        samesite="strict",
        path="/",
    )
    return response


@router.get("", summary="The current console session")
async def current(tocsin: App, cookie: SessionCookie = None) -> Response:
    return json_response(session_view(await tocsin.accounts.session(_secret(cookie))))


@router.patch("", summary="Set the session's mode: actual, exercise or test")
async def set_mode(
    body: Mode, request: Request, tocsin: App, cookie: SessionCookie = None
) -> Response:
    secret = _secret(cookie)
    await _check_csrf(request, tocsin, secret)
    return json_response(session_view(await tocsin.accounts.set_mode(secret, body.mode)))


@router.delete("", status_code=204, summary="Log out")
async def logout(request: Request, tocsin: App, cookie: SessionCookie = None) -> Response:
    secret = _secret(cookie)
    await _check_csrf(request, tocsin, secret)
    await tocsin.accounts.logout(secret)
    return _ended()


@router.put(
    "/password",
    status_code=204,
    summary="Change your own password; every session of the account ends, this one too",
)
async def change_password(
    body: NewPassword, request: Request, tocsin: App, cookie: SessionCookie = None
) -> Response:
    secret = _secret(cookie)
    await _check_csrf(request, tocsin, secret)
    await tocsin.accounts.change_password(secret, body.current_password, body.password)
    return _ended()


def _ended() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


def _secret(cookie: str | None) -> str:
    if not cookie:
        raise Unauthorized("not logged in")
    return cookie


async def _check_csrf(request: Request, tocsin: App, secret: str) -> None:
    check_csrf(request, await tocsin.accounts.session(secret))

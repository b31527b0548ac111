"""Console accounts and sessions.

Passwords are hashed with argon2id. A login opens a session: a random id the browser keeps in
an HttpOnly, Secure, SameSite=Strict cookie (only its hash is stored) and a CSRF token every
state-changing request must echo in `X-CSRF-Token`. Each session has its own mode (actual,
exercise or test) that the console shows everywhere. Every account change, login and logout
is in the audit trail.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row

from tocsin.domain.alerts import Status
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role, validate_scope
from tocsin.errors import Conflict, InvalidInput, NotFound, TocsinError, Unauthorized
from tocsin.service.ports import Clock
from tocsin.service.regions import RegionService
from tocsin.storage import tables as t
from tocsin.storage.store import Store

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD = 12
SESSION_HOURS = 12
MAX_FAILURES = 5
FAILURE_WINDOW = 300.0


class TooManyAttempts(TocsinError):
    status = 429
    code = "too_many_attempts"
    title = "Too many attempts"


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    role: str
    regions: tuple[str, ...] | None
    created_at: datetime
    disabled_at: datetime | None

    def actor(self, origin: str | None) -> Actor:
        regions = None if self.regions is None else frozenset(self.regions)
        return Actor(name=self.username, role=Role(self.role), regions=regions, origin=origin)


@dataclass(frozen=True, slots=True)
class Session:
    account: Account
    csrf: str
    mode: Status
    expires_at: datetime
    origin: str | None

    @property
    def actor(self) -> Actor:
        return replace(self.account.actor(self.origin), session_mode=self.mode.value)


class AccountService:
    def __init__(self, store: Store, regions: RegionService, clock: Clock) -> None:
        self.store = store
        self.regions = regions
        self.clock = clock
        self.hasher = PasswordHasher()
        self._failures: dict[str, list[float]] = {}

    async def create(
        self,
        username: str,
        password: str,
        role: str,
        regions: Iterable[str] = (),
        actor: Actor = LOCAL_ADMIN,
    ) -> Account:
        username = _username(username)
        parsed = _role(role)
        scope = validate_scope(parsed, regions, self.regions.tree)
        _check_password(password)
        now = self.clock.now()
        async with self.store.write() as tx:
            if await _row(tx.conn, username) is not None:
                raise Conflict(f"account {username!r} exists", field="username")
            await tx.conn.execute(
                insert(t.users).values(
                    username=username,
                    password_hash=self.hasher.hash(password),
                    role=parsed.value,
                    regions=sorted(scope) if scope else None,
                    created_at=now,
                )
            )
            detail = {"role": parsed.value, "regions": sorted(scope)}
            await tx.audit(actor, "account.created", username, detail, now)
        return Account(username, parsed.value, tuple(sorted(scope)) or None, now, None)

    async def set_password(self, username: str, password: str, actor: Actor = LOCAL_ADMIN) -> None:
        _check_password(password)
        await self._change(
            username, "account.password_set", actor, password_hash=self.hasher.hash(password)
        )

    async def disable(self, username: str, actor: Actor = LOCAL_ADMIN) -> None:
        now = self.clock.now()
        await self._change(username, "account.disabled", actor, disabled_at=now)
        async with self.store.write() as tx:
            await tx.conn.execute(
                update(t.sessions)
                .where(t.sessions.c.username == username, t.sessions.c.ended_at.is_(None))
                .values(ended_at=now)
            )

    async def list(self) -> list[Account]:
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(select(t.users).order_by(t.users.c.username))).all()
        return [_account(row) for row in rows]

    async def login(self, username: str, password: str, origin: str | None) -> tuple[str, Session]:
        """Check the password; a new session's secret id (for the cookie) and the session."""
        key = username.strip().lower()
        self._throttle(key)
        async with self.store.engine.connect() as conn:
            row = await _row(conn, key)
        if row is None or row.disabled_at is not None or not self._verify(row, password):
            self._failed(key)
            raise Unauthorized("wrong username or password")
        self._failures.pop(key, None)
        account = _account(row)
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock.now()
        session = Session(
            account, csrf, Status.EXERCISE, now + timedelta(hours=SESSION_HOURS), origin
        )
        async with self.store.write() as tx:
            await tx.conn.execute(
                insert(t.sessions).values(
                    id_hash=_digest(secret),
                    username=account.username,
                    csrf=csrf,
                    mode=session.mode.value,
                    origin=origin,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
            await tx.audit(session.actor, "session.login", account.username, {}, now)
        return secret, session

    async def session(self, secret: str, origin: str | None = None) -> Session:
        query = (
            select(t.sessions, t.users)
            .join(t.users, t.users.c.username == t.sessions.c.username)
            .where(t.sessions.c.id_hash == _digest(secret))
        )
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        now = self.clock.now()
        if (
            row is None
            or row.ended_at is not None
            or row.expires_at <= now
            or row.disabled_at is not None
        ):
            raise Unauthorized("the session has ended; log in again")
        return Session(
            _account(row), row.csrf, Status(row.mode), row.expires_at, origin or row.origin
        )

    async def set_mode(self, secret: str, mode: str) -> Session:
        try:
            status = Status(mode)
        except ValueError:
            raise InvalidInput("mode must be actual, exercise or test", field="mode") from None
        session = await self.session(secret)
        async with self.store.write() as tx:
            await tx.conn.execute(
                update(t.sessions)
                .where(t.sessions.c.id_hash == _digest(secret))
                .values(mode=status.value)
            )
            await tx.audit(
                session.actor,
                "session.mode",
                session.account.username,
                {"mode": status.value},
                self.clock.now(),
            )
        return Session(session.account, session.csrf, status, session.expires_at, session.origin)

    async def logout(self, secret: str) -> None:
        session = await self.session(secret)
        now = self.clock.now()
        async with self.store.write() as tx:
            await tx.conn.execute(
                update(t.sessions)
                .where(t.sessions.c.id_hash == _digest(secret))
                .values(ended_at=now)
            )
            await tx.audit(session.actor, "session.logout", session.account.username, {}, now)

    async def _change(self, username: str, action: str, actor: Actor, **values: Any) -> None:
        now = self.clock.now()
        async with self.store.write() as tx:
            result = await tx.conn.execute(
                update(t.users).where(t.users.c.username == username).values(**values)
            )
            if not result.rowcount:
                raise NotFound(f"no account {username!r}", field="username")
            await tx.audit(actor, action, username, {}, now)

    def _verify(self, row: Row[Any], password: str) -> bool:
        try:
            return self.hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _throttle(self, key: str) -> None:
        recent = [t for t in self._failures.get(key, []) if time.monotonic() - t < FAILURE_WINDOW]
        self._failures[key] = recent
        if len(recent) >= MAX_FAILURES:
            raise TooManyAttempts(
                f"too many failed logins for {key!r}; wait {int(FAILURE_WINDOW // 60)} minutes"
            )

    def _failed(self, key: str) -> None:
        self._failures.setdefault(key, []).append(time.monotonic())


async def _row(conn: Any, username: str) -> Row[Any] | None:
    result = await conn.execute(select(t.users).where(t.users.c.username == username))
    row: Row[Any] | None = result.first()
    return row


def _account(row: Row[Any]) -> Account:
    regions = None if row.regions is None else tuple(row.regions)
    return Account(row.username, row.role, regions, row.created_at, row.disabled_at)


def _username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidInput(
            "a username is 2-64 characters: lower-case letters, digits, '.', '_' or '-'",
            field="username",
        )
    return name


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {role!r}; one of {known}", field="role") from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters", field="password")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

"""Console accounts and sessions.

Passwords are hashed with argon2id, off the event loop (`tocsin.service.passwords`); every
login attempt is counted and may be held back before its password is checked
(`tocsin.service.login`). A login opens a session: a random id the browser keeps in
an HttpOnly, Secure, SameSite=Strict cookie (only its hash is stored) and a CSRF token every
state-changing request must echo in `X-CSRF-Token`. Each session has its own mode (actual,
exercise or test) that the console shows everywhere. A change of an account's password or role
ends all its sessions. Every account change, login, refused login and logout is in the audit
trail.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row

from tocsin.domain.alerts import Status
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role, validate_scope
from tocsin.errors import Busy, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from tocsin.service.login import LoginGuard, Outcome
from tocsin.service.passwords import Passwords
from tocsin.service.ports import Clock
from tocsin.service.regions import RegionService
from tocsin.storage import login_store
from tocsin.storage import tables as t
from tocsin.storage.store import Store

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
SESSION_HOURS = 12


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
    def __init__(
        self,
        store: Store,
        regions: RegionService,
        clock: Clock,
        guard: LoginGuard,
        passwords: Passwords,
    ) -> None:
        self.store = store
        self.regions = regions
        self.clock = clock
        self.guard = guard
        self.passwords = passwords

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
        password_hash = await self.passwords.new_hash(password, [username])
        now = self.clock.now()
        async with self.store.write() as tx:
            if await _row(tx.conn, username) is not None:
                raise Conflict(f"account {username!r} exists", field="username")
            await tx.conn.execute(
                insert(t.users).values(
                    username=username,
                    password_hash=password_hash,
                    role=parsed.value,
                    regions=sorted(scope) if scope else None,
                    created_at=now,
                )
            )
            detail = {"role": parsed.value, "regions": sorted(scope)}
            await tx.audit(actor, "account.created", username, detail, now)
        return Account(username, parsed.value, tuple(sorted(scope)) or None, now, None)

    async def set_password(self, username: str, password: str, actor: Actor = LOCAL_ADMIN) -> None:
        password_hash = await self.passwords.new_hash(password, [username])
        await self._change(username, "account.password_set", actor, password_hash=password_hash)

    async def set_role(
        self, username: str, role: str, regions: Iterable[str] = (), actor: Actor = LOCAL_ADMIN
    ) -> Account:
        parsed = _role(role)
        scope = sorted(validate_scope(parsed, regions, self.regions.tree))
        detail = {"role": parsed.value, "regions": scope}
        await self._change(
            username, "account.role_set", actor, detail, role=parsed.value, regions=scope or None
        )
        async with self.store.engine.connect() as conn:
            row = await _row(conn, username)
        if row is None:
            raise NotFound(f"no account {username!r}", field="username")
        return _account(row)

    async def disable(self, username: str, actor: Actor = LOCAL_ADMIN) -> None:
        await self._change(username, "account.disabled", actor, disabled_at=self.clock.now())

    async def list(self) -> list[Account]:
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(select(t.users).order_by(t.users.c.username))).all()
        return [_account(row) for row in rows]

    async def login(self, username: str, password: str, origin: str | None) -> tuple[str, Session]:
        """Check the password; a new session's secret id (for the cookie) and the session."""
        account = await self._authenticate(username, password, origin)
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

    async def change_password(self, secret: str, current: str, new: str) -> None:
        """A user's own change, in a session: the current password is checked as a login's
        is; then every session of the account ends, this one too."""
        session = await self.session(secret)
        username = session.account.username
        try:
            await self._authenticate(username, current, session.origin)
        except Unauthorized:
            raise Forbidden("the current password is wrong", field="current_password") from None
        await self.set_password(username, new, session.actor)

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

    async def _authenticate(self, username: str, password: str, origin: str | None) -> Account:
        """Count the attempt, then check the password off the event loop (`Unauthorized`)."""
        key = username.strip().lower()
        attempt = await self.guard.admit(key, origin)
        async with self.store.engine.connect() as conn:
            row = await _row(conn, key)
        try:
            valid = await self.passwords.verify(row.password_hash if row else None, password)
        except Busy:
            await self.guard.settle(attempt, Outcome.UNCHECKED)
            raise
        outcome = _outcome(row, valid)
        await self.guard.settle(attempt, outcome)
        if row is None or outcome is not Outcome.ACCEPTED:
            raise Unauthorized("wrong username or password")
        return _account(row)

    async def _change(
        self,
        username: str,
        action: str,
        actor: Actor,
        detail: dict[str, Any] | None = None,
        **values: Any,
    ) -> None:
        """Change an account and end all its sessions: they were opened under what it was."""
        now = self.clock.now()
        async with self.store.write() as tx:
            result = await tx.conn.execute(
                update(t.users).where(t.users.c.username == username).values(**values)
            )
            if not result.rowcount:
                raise NotFound(f"no account {username!r}", field="username")
            ended = await login_store.end_sessions(tx, username, now)
            await tx.audit(
                actor, action, username, {**(detail or {}), "sessions_ended": ended}, now
            )


async def _row(conn: Any, username: str) -> Row[Any] | None:
    result = await conn.execute(select(t.users).where(t.users.c.username == username))
    row: Row[Any] | None = result.first()
    return row


def _outcome(row: Row[Any] | None, valid: bool) -> Outcome:
    if row is None:
        return Outcome.UNKNOWN
    if not valid:
        return Outcome.WRONG
    return Outcome.DISABLED if row.disabled_at is not None else Outcome.ACCEPTED


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


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

"""Console accounts and sessions: one handler per command on the bus, and `AccountService`.

Passwords are hashed with argon2id, off the event loop (`tocsin.service.passwords`), before a
command is sent; every login attempt is counted and may be held back before its password is
checked (`tocsin.service.login`). A login opens a session: a random id the browser keeps in
an HttpOnly, Secure, SameSite=Strict cookie (only its hash is stored) and a CSRF token every
state-changing request must echo in `X-CSRF-Token`. Each session has its own mode (actual,
exercise or test) that the console shows everywhere. A change of an account's password or role
ends all its sessions. Every account change, login, refused login and logout is a command, and
so in the audit trail.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from tocsin.domain import commands as c
from tocsin.domain.accounts import Account, Session, StoredAccount
from tocsin.domain.alerts import Status
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role, validate_scope
from tocsin.errors import Busy, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from tocsin.service.bus import CommandBus, Context, Outcome
from tocsin.service.login import LoginGuard
from tocsin.service.login import Outcome as Attempted
from tocsin.service.passwords import Passwords
from tocsin.service.ports import AccountReads, Clock, UnitOfWork
from tocsin.service.regions import RegionService

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
SESSION_HOURS = 12
NO_MODE = "accounts and sessions have no actual/exercise status"
NO_POLICY = "the two-person rule is for alerts"

__all__ = ["Account", "AccountService", "Session", "register"]


async def create_account(cmd: c.CreateAccount, ctx: Context) -> Outcome[Account]:
    _admin(ctx)
    role = _role(cmd.role)
    scope = tuple(sorted(validate_scope(role, cmd.regions, ctx.tree)))
    if await ctx.uow.accounts.get(cmd.username) is not None:
        raise Conflict(f"account {cmd.username!r} exists", field="username")
    account = Account(cmd.username, role.value, scope or None, ctx.now, None)

    async def write(uow: UnitOfWork) -> None:
        await uow.accounts.add(account, cmd.password_hash)

    detail = {"role": role.value, "regions": list(scope)}
    return Outcome(account, "account.created", cmd.username, detail, write)


async def set_password(cmd: c.SetPassword, ctx: Context) -> Outcome[None]:
    if _own(ctx, cmd.username):
        ctx.authorize_self("a signed-in user sets their own password")
        ctx.no_mode(NO_MODE)
        ctx.no_policy(NO_POLICY)
    else:
        _admin(ctx)
    digest = cmd.password_hash
    return await _change(ctx, cmd.username, "account.password_set", {}, password_hash=digest)


async def set_role(cmd: c.SetRole, ctx: Context) -> Outcome[None]:
    _admin(ctx)
    role = _role(cmd.role)
    scope = sorted(validate_scope(role, cmd.regions, ctx.tree))
    detail = {"role": role.value, "regions": scope}
    return await _change(
        ctx, cmd.username, "account.role_set", detail, role=role.value, regions=scope or None
    )


async def disable_account(cmd: c.DisableAccount, ctx: Context) -> Outcome[None]:
    _admin(ctx)
    return await _change(ctx, cmd.username, "account.disabled", {}, disabled_at=ctx.now)


async def open_session(cmd: c.OpenSession, ctx: Context) -> Outcome[Session]:
    """The password was checked (and the attempt counted) before this command was sent."""
    if ctx.actor.name != cmd.username or ctx.actor.token_id is not None:
        raise Forbidden("a session is opened only by its own account's login", field="username")
    ctx.authorize_self("a login whose password was checked opens its own session")
    ctx.no_mode("a session starts in exercise mode")
    ctx.no_policy(NO_POLICY)
    stored = await _account(ctx, cmd.username)
    if stored.account.disabled_at is not None:
        raise Unauthorized("wrong username or password")
    expires = ctx.now + timedelta(hours=SESSION_HOURS)
    session = Session(stored.account, cmd.csrf, Status.EXERCISE, expires, cmd.origin)

    async def write(uow: UnitOfWork) -> None:
        await uow.accounts.open_session(cmd.id_hash, session, ctx.now)

    return Outcome(session, "session.login", cmd.username, {}, write)


async def set_session_mode(cmd: c.SetSessionMode, ctx: Context) -> Outcome[None]:
    ctx.authorize_self("a session sets its own mode")
    ctx.no_mode("switching the mode is what this command does; it raises nothing")
    ctx.no_policy(NO_POLICY)
    try:
        status = Status(cmd.mode)
    except ValueError:
        raise InvalidInput("mode must be actual, exercise or test", field="mode") from None

    async def write(uow: UnitOfWork) -> None:
        await uow.accounts.change_session(cmd.id_hash, mode=status.value)

    return Outcome(None, "session.mode", ctx.actor.name, {"mode": status.value}, write)


async def end_session(cmd: c.EndSession, ctx: Context) -> Outcome[None]:
    ctx.authorize_self("a session ends itself")
    ctx.no_mode(NO_MODE)
    ctx.no_policy(NO_POLICY)

    async def write(uow: UnitOfWork) -> None:
        await uow.accounts.change_session(cmd.id_hash, ended_at=ctx.now)

    return Outcome(None, "session.logout", ctx.actor.name, {}, write)


async def refuse_login(cmd: c.RefuseLogin, ctx: Context) -> Outcome[None]:
    """A refused login changes nothing but the trail: who tried, from where, and why."""
    ctx.authorize_self("anyone may fail to log in")
    ctx.no_mode(NO_MODE)
    ctx.no_policy(NO_POLICY)
    return Outcome(None, "session.refused", cmd.username, dict(cmd.detail))


HANDLERS: dict[type[Any], Any] = {
    c.CreateAccount: create_account,
    c.SetPassword: set_password,
    c.SetRole: set_role,
    c.DisableAccount: disable_account,
    c.OpenSession: open_session,
    c.SetSessionMode: set_session_mode,
    c.EndSession: end_session,
    c.RefuseLogin: refuse_login,
}


def register(bus: CommandBus) -> None:
    for command, handler in HANDLERS.items():
        bus.register(command, handler, batched=command is c.RefuseLogin)


class AccountService:
    """The entry points' way to accounts and sessions (the console's API, `tocsin user`)."""

    def __init__(
        self,
        bus: CommandBus,
        reads: AccountReads,
        regions: RegionService,
        clock: Clock,
        guard: LoginGuard,
        passwords: Passwords,
    ) -> None:
        self.bus = bus
        self.reads = reads
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
        validate_scope(parsed, regions, self.regions.tree)  # before the costly hash
        password_hash = await self.passwords.new_hash(password, [username])
        cmd = c.CreateAccount(username, password_hash, parsed.value, tuple(regions))
        account: Account = await self.bus.handle(cmd, actor)
        return account

    async def set_password(self, username: str, password: str, actor: Actor = LOCAL_ADMIN) -> None:
        password_hash = await self.passwords.new_hash(password, [username])
        await self.bus.handle(c.SetPassword(username, password_hash), actor)

    async def set_role(
        self, username: str, role: str, regions: Iterable[str] = (), actor: Actor = LOCAL_ADMIN
    ) -> Account:
        await self.bus.handle(c.SetRole(username, role, tuple(regions)), actor)
        stored = await self.reads.account(username)
        if stored is None:
            raise NotFound(f"no account {username!r}", field="username")
        return stored.account

    async def disable(self, username: str, actor: Actor = LOCAL_ADMIN) -> None:
        await self.bus.handle(c.DisableAccount(username), actor)

    async def list(self) -> list[Account]:
        return await self.reads.accounts()

    async def login(self, username: str, password: str, origin: str | None) -> tuple[str, Session]:
        """Check the password; a new session's secret id (for the cookie) and the session."""
        account = await self._authenticate(username, password, origin)
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        actor = account.actor(origin)
        cmd = c.OpenSession(_digest(secret), account.username, csrf, origin)
        session: Session = await self.bus.handle(cmd, actor)
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
        stored = await self.reads.session(_digest(secret))
        now = self.clock.now()
        if (
            stored is None
            or stored.ended_at is not None
            or stored.session.expires_at <= now
            or stored.session.account.disabled_at is not None
        ):
            raise Unauthorized("the session has ended; log in again")
        found = stored.session
        origin = origin or found.origin
        return Session(found.account, found.csrf, found.mode, found.expires_at, origin)

    async def set_mode(self, secret: str, mode: str) -> Session:
        session = await self.session(secret)
        await self.bus.handle(c.SetSessionMode(_digest(secret), mode), session.actor)
        status = Status(mode)
        return Session(session.account, session.csrf, status, session.expires_at, session.origin)

    async def logout(self, secret: str) -> None:
        session = await self.session(secret)
        await self.bus.handle(c.EndSession(_digest(secret)), session.actor)

    async def _authenticate(self, username: str, password: str, origin: str | None) -> Account:
        """Count the attempt, then check the password off the event loop (`Unauthorized`)."""
        key = username.strip().lower()
        attempt = await self.guard.admit(key, origin)
        stored = await self.reads.account(key)
        try:
            valid = await self.passwords.verify(stored.password_hash if stored else None, password)
        except Busy:
            await self.guard.settle(attempt, Attempted.UNCHECKED)
            raise
        outcome = _outcome(stored, valid)
        await self.guard.settle(attempt, outcome)
        if stored is None or outcome is not Attempted.ACCEPTED:
            raise Unauthorized("wrong username or password")
        return stored.account


async def _change(
    ctx: Context, username: str, action: str, detail: dict[str, Any], **values: Any
) -> Outcome[None]:
    """Change an account and end all its sessions: they were opened under what it was."""
    await _account(ctx, username)
    ending = await ctx.uow.accounts.open_sessions(username)

    async def write(uow: UnitOfWork) -> None:
        await uow.accounts.change(username, **values)
        await uow.accounts.end_sessions(username, ctx.now)

    return Outcome(None, action, username, {**detail, "sessions_ended": ending}, write)


async def _account(ctx: Context, username: str) -> StoredAccount:
    stored = await ctx.uow.accounts.get(username)
    if stored is None:
        raise NotFound(f"no account {username!r}", field="username")
    return stored


def _admin(ctx: Context) -> None:
    ctx.authorize_role(Role.ADMIN)
    ctx.no_mode(NO_MODE)
    ctx.no_policy(NO_POLICY)


def _own(ctx: Context, username: str) -> bool:
    """Whether the caller is `username` signed in to the console (not a token of that name)."""
    actor = ctx.actor
    return actor.token_id is None and actor.session_mode is not None and actor.name == username


def _outcome(stored: StoredAccount | None, valid: bool) -> Attempted:
    if stored is None:
        return Attempted.UNKNOWN
    if not valid:
        return Attempted.WRONG
    return Attempted.DISABLED if stored.account.disabled_at is not None else Attempted.ACCEPTED


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

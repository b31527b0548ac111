"""API tokens: created with a role (and regions), shown once, kept only as a hash.

Creating and revoking one are commands on the bus (admin only); `TokenService` sends them and
says who a request's token is."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.domain import commands as c
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role, TokenRecord, validate_scope
from tocsin.errors import InvalidInput, NotFound, Unauthorized
from tocsin.service.bus import CommandBus, Context, Outcome
from tocsin.service.ports import TokenReads, UnitOfWork

PREFIX = "tocsin_"
MAX_NAME = 150  # the actor label 'NAME (tk_…)' must fit the log's 200 characters
TRUST_SECONDS = 2.0  # a token found valid is not read again for this long
TRUSTED_MAX = 4096  # tokens remembered at once


@dataclass(frozen=True, slots=True)
class NewToken:
    record: TokenRecord
    secret: str


async def create_token(cmd: c.CreateToken, ctx: Context) -> Outcome[NewToken]:
    ctx.authorize_role(Role.ADMIN)
    ctx.no_mode("a token has no actual or exercise status")
    ctx.no_policy("the two-person rule is for alerts")
    try:
        role = Role(cmd.role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {cmd.role!r}; one of {known}", field="role") from None
    scope = sorted(validate_scope(role, cmd.regions, ctx.tree))
    name = cmd.label.strip() or role.value
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name is longer than {MAX_NAME} characters", field="name")
    token_id = "tk_" + secrets.token_hex(4)
    secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    record = TokenRecord(token_id, name, role.value, tuple(scope) if scope else None, ctx.now, None)

    async def write(uow: UnitOfWork) -> None:
        await uow.tokens.add(
            token_id=token_id,
            name=name,
            role=role.value,
            regions=scope if scope else None,
            secret_hash=_hash(secret),
            now=record.created_at,
        )

    detail = {"role": role.value, "regions": scope, "name": name}
    return Outcome(NewToken(record, secret), "token.created", token_id, detail, write)


async def revoke_token(cmd: c.RevokeToken, ctx: Context) -> Outcome[None]:
    ctx.authorize_role(Role.ADMIN)
    ctx.no_mode("a token has no actual or exercise status")
    ctx.no_policy("revoking a token only takes a right away")
    if not await ctx.uow.tokens.active(cmd.token_id):
        raise NotFound(f"no active token {cmd.token_id!r}", field="id")
    token_id, now = cmd.token_id, ctx.now

    async def write(uow: UnitOfWork) -> None:
        await uow.tokens.revoke(token_id, now)

    return Outcome(None, "token.revoked", token_id, {}, write)


def register(bus: CommandBus) -> None:
    bus.register(c.CreateToken, create_token)
    bus.register(c.RevokeToken, revoke_token)


class TokenService:
    """Tokens, and who a request's token is.

    A token found valid is remembered for `trust_seconds`, so that a burst of requests from
    the same desk does not read the same row for each one. Revoking through this service
    forgets every remembered token at once; a token revoked by another process sharing the
    database (the CLI) is refused here once its remembered answer is `trust_seconds` old.
    """

    def __init__(
        self, bus: CommandBus, store: TokenReads, *, trust_seconds: float = TRUST_SECONDS
    ) -> None:
        self.bus = bus
        self.store = store
        self.trust_seconds = trust_seconds
        self.monotonic = time.monotonic  # what the trust window is measured by
        self._trusted: dict[str, tuple[float, TokenRecord]] = {}  # hash → (until, record)

    async def create(
        self, role: str, regions: Iterable[str] = (), name: str = "", actor: Actor = LOCAL_ADMIN
    ) -> NewToken:
        new: NewToken = await self.bus.handle(c.CreateToken(role, tuple(regions), name), actor)
        return new

    async def list(self) -> list[TokenRecord]:
        return await self.store.tokens()

    async def revoke(self, token_id: str, actor: Actor = LOCAL_ADMIN) -> None:
        await self.bus.handle(c.RevokeToken(token_id), actor)
        self._trusted.clear()

    async def authenticate(self, secret: str, origin: str | None = None) -> Actor:
        record = await self._record(_hash(secret.strip()))
        regions = None if record.regions is None else frozenset(record.regions)
        return Actor(
            name=record.name,
            role=Role(record.role),
            regions=regions,
            token_id=record.id,
            origin=origin,
        )

    async def _record(self, secret_hash: str) -> TokenRecord:
        """The valid token with this hash, remembered or read (an unknown one is never
        remembered: a token just created elsewhere works at once)."""
        now = self.monotonic()
        trusted = self._trusted.get(secret_hash)
        if trusted is not None and now < trusted[0]:
            return trusted[1]
        record = await self.store.token_by_hash(secret_hash)
        if record is None or record.revoked_at is not None:
            self._trusted.pop(secret_hash, None)
            raise Unauthorized("the token is unknown or revoked")
        if len(self._trusted) >= TRUSTED_MAX:
            self._trusted.clear()
        self._trusted[secret_hash] = (now + self.trust_seconds, record)
        return record


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

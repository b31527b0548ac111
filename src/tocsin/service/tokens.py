"""API tokens: created with a role (and regions), shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role, validate_scope
from tocsin.errors import InvalidInput, NotFound, Unauthorized
from tocsin.service.ports import Clock
from tocsin.service.regions import RegionService
from tocsin.storage.store import Store, TokenRecord

PREFIX = "tocsin_"
MAX_NAME = 150  # the actor label 'NAME (tk_…)' must fit the log's 200 characters


@dataclass(frozen=True, slots=True)
class NewToken:
    record: TokenRecord
    secret: str


class TokenService:
    def __init__(self, store: Store, regions: RegionService, clock: Clock) -> None:
        self.store = store
        self.regions = regions
        self.clock = clock

    async def create(
        self, role: str, regions: Iterable[str] = (), name: str = "", actor: Actor = LOCAL_ADMIN
    ) -> NewToken:
        try:
            parsed = Role(role)
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise InvalidInput(f"unknown role {role!r}; one of {known}", field="role") from None
        scope = validate_scope(parsed, regions, self.regions.tree)
        name = name.strip() or parsed.value
        if len(name) > MAX_NAME:
            raise InvalidInput(f"name is longer than {MAX_NAME} characters", field="name")
        token_id = "tk_" + secrets.token_hex(4)
        secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        now = self.clock.now()
        async with self.store.write() as tx:
            await tx.add_token(
                token_id=token_id,
                name=name,
                role=parsed.value,
                regions=scope if scope else None,
                secret_hash=_hash(secret),
                now=now,
            )
            detail = {"role": parsed.value, "regions": sorted(scope), "name": name}
            await tx.audit(actor, "token.created", token_id, detail, now)
        record = TokenRecord(
            token_id, name, parsed.value, tuple(sorted(scope)) if scope else None, now, None
        )
        return NewToken(record, secret)

    async def list(self) -> list[TokenRecord]:
        return await self.store.tokens()

    async def revoke(self, token_id: str, actor: Actor = LOCAL_ADMIN) -> None:
        now = self.clock.now()
        async with self.store.write() as tx:
            if not await tx.revoke_token(token_id, now):
                raise NotFound(f"no active token {token_id!r}", field="id")
            await tx.audit(actor, "token.revoked", token_id, {}, now)

    async def authenticate(self, secret: str, origin: str | None = None) -> Actor:
        record = await self.store.token_by_hash(_hash(secret.strip()))
        if record is None or record.revoked_at is not None:
            raise Unauthorized("the token is unknown or revoked")
        regions = None if record.regions is None else frozenset(record.regions)
        return Actor(
            name=record.name,
            role=Role(record.role),
            regions=regions,
            token_id=record.id,
            origin=origin,
        )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

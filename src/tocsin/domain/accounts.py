"""Console accounts and their sessions, as values."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tocsin.domain.alerts import Status
from tocsin.domain.auth import Actor, Role


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
class StoredAccount:
    """An account with its password hash, as the store keeps it."""

    account: Account
    password_hash: str


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


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A session as the store keeps it: its account, and when it ended, if it has."""

    session: Session
    ended_at: datetime | None

"""The door of the console: count every login attempt before its password is checked, refuse
the ones the throttle holds back, and leave every refusal in the audit trail.

The throttle's buckets (`tocsin.domain.throttle`) live in the database, so every server on it
counts the same attempts. Attempts are written by group commit: a burst of logins costs a few
short transactions, not one each, so it does not queue in front of an alert.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from tocsin.domain import throttle
from tocsin.domain.auth import Actor, Role
from tocsin.domain.commands import RefuseLogin
from tocsin.domain.throttle import Attempt, Bucket, Limits, Refusal
from tocsin.errors import TooManyAttempts
from tocsin.service.bus import CommandBus
from tocsin.service.group import GroupCommit
from tocsin.service.ports import Clock, Throttle

REFUSED = "session.refused"


class Outcome(Enum):
    """How an admitted attempt ended."""

    ACCEPTED = "accepted"
    UNKNOWN = "unknown account"
    DISABLED = "account disabled"
    WRONG = "wrong password"
    UNCHECKED = "no worker free to check the password"


@dataclass(frozen=True, slots=True)
class _Job:
    attempt: Attempt
    outcome: Outcome | None  # None: a new attempt, to count or refuse


class LoginGuard:
    def __init__(self, throttle: Throttle, bus: CommandBus, clock: Clock, limits: Limits) -> None:
        self.throttle = throttle
        self.bus = bus
        self.clock = clock
        self.limits = limits
        self._commit: GroupCommit[_Job, None] = GroupCommit(self._write)

    async def admit(self, username: str, address: str | None) -> Attempt:
        """Count an attempt, or refuse it (`TooManyAttempts`; audited)."""
        attempt = Attempt(username, address)
        await self._commit.submit(_Job(attempt, None))
        return attempt

    async def settle(self, attempt: Attempt, outcome: Outcome) -> None:
        """Record how an admitted attempt ended; every refusal is audited."""
        await self._commit.submit(_Job(attempt, outcome))

    async def _write(self, jobs: Sequence[_Job]) -> list[Exception | None]:
        now = self.clock.now()
        keys = {key for job in jobs for key in job.attempt.keys}
        results: list[Exception | None] = []
        refusals: list[RefuseLogin] = []
        actors: list[Actor] = []

        def change(buckets: dict[str, Bucket]) -> dict[str, Bucket]:
            results.clear()
            refusals.clear()
            actors.clear()
            for job in jobs:
                changed, refusal = self._apply(job, buckets, now)
                buckets.update(changed)
                results.append(None if refusal is None else _too_many(refusal))
                if refusal is not None or job.outcome not in (None, Outcome.ACCEPTED):
                    refusals.append(_refused(job, refusal))
                    actors.append(_anonymous(job))
            return buckets

        await self.throttle.update(keys, change, self.limits, now)
        sent = zip(refusals, actors, strict=True)
        await asyncio.gather(*(self.bus.handle(refused, actor) for refused, actor in sent))
        return results

    def _apply(
        self, job: _Job, buckets: dict[str, Bucket], now: datetime
    ) -> tuple[dict[str, Bucket], Refusal | None]:
        attempt, limits = job.attempt, self.limits
        if job.outcome is None:
            refusal, changed = throttle.admit(attempt, buckets, limits, now)
            return changed, refusal
        if job.outcome is Outcome.ACCEPTED:
            return throttle.succeeded(attempt, buckets, limits, now), None
        if job.outcome is Outcome.UNCHECKED:
            return throttle.refunded(attempt, buckets, limits, now), None
        return {}, None


def _too_many(refusal: Refusal) -> TooManyAttempts:
    wait = math.ceil(refusal.wait)
    return TooManyAttempts(f"too many login attempts; try again in {wait} s", retry_after=wait)


def _refused(job: _Job, refusal: Refusal | None) -> RefuseLogin:
    detail: dict[str, object]
    if refusal is None:
        detail = {"reason": job.outcome.value if job.outcome else "unknown"}
    else:
        detail = {"reason": "throttled", "limit": refusal.limit, "wait": math.ceil(refusal.wait)}
    return RefuseLogin(job.attempt.username, detail)


def _anonymous(job: _Job) -> Actor:
    return Actor(name="anonymous", role=Role.VIEWER, origin=job.attempt.address)

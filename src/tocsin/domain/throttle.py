"""Login throttling: one leaky bucket per username, per client address and overall.

Every login attempt is counted, before its password is checked, in each of its three buckets.
A bucket forgets its attempts at a steady rate (`attempts` per `window`); once it holds
`attempts`, each further attempt makes the next one wait, twice as long each time, from
`first_delay` up to `max_delay`. An attempt that must wait is refused and not counted, so
hammering a closed door does not keep it closed longer. A successful login empties its
username's bucket and gives back its attempt to the other two.

Pure: the caller brings the time and keeps the buckets.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

GLOBAL = "global"


@dataclass(frozen=True, slots=True)
class Limit:
    attempts: int  # attempts a bucket takes before delays begin
    window: float  # seconds in which it forgets that many
    first_delay: float
    max_delay: float

    def delay(self, level: float) -> float:
        """The wait after an attempt that brought the bucket to `level`."""
        if level < self.attempts:
            return 0.0
        doublings = math.ceil(level - self.attempts - 1e-9)
        return min(self.max_delay, self.first_delay * 2.0 ** min(doublings, 64))

    @property
    def ceiling(self) -> float:
        """A bucket never holds more than this: past it the delay no longer grows."""
        return self.attempts + math.ceil(math.log2(self.max_delay / self.first_delay)) + 1


@dataclass(frozen=True, slots=True)
class Bucket:
    level: float = 0.0
    at: datetime | None = None  # when `level` was measured
    blocked_until: datetime | None = None

    def wait(self, now: datetime) -> float:
        """Seconds an attempt must still wait."""
        if self.blocked_until is None:
            return 0.0
        return max(0.0, (self.blocked_until - now).total_seconds())

    def drained(self, limit: Limit, now: datetime) -> float:
        if self.at is None:
            return self.level
        elapsed = max(0.0, (now - self.at).total_seconds())
        return max(0.0, self.level - elapsed * limit.attempts / limit.window)

    def counted(self, limit: Limit, now: datetime) -> Bucket:
        level = min(self.drained(limit, now) + 1, limit.ceiling)
        delay = limit.delay(level)
        blocked = now + timedelta(seconds=delay) if delay else self.blocked_until
        return Bucket(level, now, blocked)

    def refunded(self, limit: Limit, now: datetime) -> Bucket:
        return replace(self, level=max(0.0, self.drained(limit, now) - 1), at=now)

    def idle_at(self, limit: Limit, now: datetime) -> datetime:
        """When this bucket is empty and open again: it may be forgotten then."""
        empty = (self.at or now) + timedelta(seconds=self.level * limit.window / limit.attempts)
        return max(empty, self.blocked_until or empty)


EMPTY = Bucket()


@dataclass(frozen=True, slots=True)
class Limits:
    user: Limit
    address: Limit
    overall: Limit

    def of(self, key: str) -> Limit:
        if key == GLOBAL:
            return self.overall
        return self.user if key.startswith("user:") else self.address


@dataclass(frozen=True, slots=True)
class Attempt:
    """One login attempt: who it claims to be, where it comes from."""

    username: str
    address: str | None

    @property
    def keys(self) -> tuple[str, str, str]:
        user = f"user:{self.username[:100]}"  # longer is no account's: a shared bucket will do
        return user, f"address:{address_key(self.address)}", GLOBAL


@dataclass(frozen=True, slots=True)
class Refusal:
    limit: str  # user, address or global
    wait: float  # seconds


def admit(
    attempt: Attempt, buckets: Mapping[str, Bucket], limits: Limits, now: datetime
) -> tuple[Refusal | None, dict[str, Bucket]]:
    """Count `attempt` in its buckets, unless one still makes it wait: then why, and how long
    (nothing is counted). The buckets that changed."""
    waits = [(buckets.get(key, EMPTY).wait(now), key) for key in attempt.keys]
    wait, key = max(waits)
    if wait > 0:
        return Refusal(key.partition(":")[0], wait), {}
    return None, {k: buckets.get(k, EMPTY).counted(limits.of(k), now) for k in attempt.keys}


def succeeded(
    attempt: Attempt, buckets: Mapping[str, Bucket], limits: Limits, now: datetime
) -> dict[str, Bucket]:
    """After a good password: the username starts afresh, the others get the attempt back."""
    user, *others = attempt.keys
    changed = {user: EMPTY}
    for key in others:
        changed[key] = buckets.get(key, EMPTY).refunded(limits.of(key), now)
    return changed


def refunded(
    attempt: Attempt, buckets: Mapping[str, Bucket], limits: Limits, now: datetime
) -> dict[str, Bucket]:
    """An attempt counted but never checked (no worker was free) is given back."""
    return {k: buckets.get(k, EMPTY).refunded(limits.of(k), now) for k in attempt.keys}


def address_key(address: str | None) -> str:
    """The part of a client address that one party controls: IPv4 whole, IPv6 its /64."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)

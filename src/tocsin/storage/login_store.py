"""Login state in the database: the throttle's buckets, shared by every server, and the end
of an account's sessions.

The buckets are read and written inside a `Store.write()` transaction, whose lock serialises
writers on every backend and across processes: an attempt is counted atomically.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update

from tocsin.domain.throttle import EMPTY, Bucket, Limits
from tocsin.storage import tables as t
from tocsin.storage.store import Tx

_bucket = t.login_throttle.c


async def buckets(tx: Tx, keys: Collection[str]) -> dict[str, Bucket]:
    """The stored buckets among `keys` (a key not stored has an empty bucket)."""
    rows = await tx.conn.execute(
        select(_bucket.key, _bucket.level, _bucket.measured_at, _bucket.blocked_until).where(
            _bucket.key.in_(sorted(keys))
        )
    )
    return {row.key: Bucket(row.level, row.measured_at, row.blocked_until) for row in rows}


async def save_buckets(
    tx: Tx,
    changed: Mapping[str, Bucket],
    stored: Collection[str],
    limits: Limits,
    now: datetime,
) -> None:
    """Write `changed` buckets (`stored`: the keys that have a row); an empty one is deleted."""
    emptied = [key for key, bucket in changed.items() if bucket == EMPTY and key in stored]
    rows = {
        key: {
            "level": bucket.level,
            "measured_at": bucket.at or now,
            "blocked_until": bucket.blocked_until,
            "idle_at": bucket.idle_at(limits.of(key), now),
        }
        for key, bucket in changed.items()
        if bucket != EMPTY
    }
    if emptied:
        await tx.conn.execute(delete(t.login_throttle).where(_bucket.key.in_(emptied)))
    updates = [{"k": key, **row} for key, row in rows.items() if key in stored]
    if updates:
        await tx.conn.execute(
            update(t.login_throttle).where(_bucket.key == bindparam("k")), updates
        )
    inserts = [{"key": key, **row} for key, row in rows.items() if key not in stored]
    if inserts:
        await tx.conn.execute(insert(t.login_throttle), inserts)


async def forget_idle(tx: Tx, now: datetime) -> None:
    """Drop buckets that are empty and open by now (as if never stored)."""
    await tx.conn.execute(delete(t.login_throttle).where(_bucket.idle_at <= now))


async def end_sessions(tx: Tx, username: str, now: datetime) -> int:
    """End every open session of `username`; how many there were."""
    result = await tx.conn.execute(
        update(t.sessions)
        .where(t.sessions.c.username == username, t.sessions.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(result.rowcount)

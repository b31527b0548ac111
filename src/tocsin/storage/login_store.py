"""Login state in the database: the throttle's buckets, shared by every server.

The buckets are read and written inside a `Store.write()` transaction, whose lock serialises
writers on every backend and across processes: an attempt is counted atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update

from tocsin.domain.throttle import EMPTY, Bucket, Limits
from tocsin.storage import tables as t
from tocsin.storage.store import Store, Tx

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


class SqlThrottle:
    """The throttle's buckets in the database (`tocsin.service.ports.Throttle`): a write
    transaction of its own, whose lock serialises every server's count. The buckets are a
    rate limiter's bookkeeping, like a delivery worker's cursor; the logins it refuses are
    commands on the bus, and audited there."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def update(
        self,
        keys: Collection[str],
        change: Callable[[dict[str, Bucket]], dict[str, Bucket]],
        limits: Limits,
        now: datetime,
    ) -> None:
        async with self.store.write() as tx:
            stored = await buckets(tx, keys)
            after = change(dict(stored))
            changed = {k: b for k, b in after.items() if stored.get(k, EMPTY) != b}
            await save_buckets(tx, changed, stored.keys(), limits, now)
            await forget_idle(tx, now)

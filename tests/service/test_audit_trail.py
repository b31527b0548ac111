"""The keyed audit trail: rewriting it without the key, or cutting its newest entries off, is
found; without the key, verifying says it cannot check rather than passing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import delete, select, update

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.audit import GENESIS, AuditEntry, Checkpoint, chain_hash, verify
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.storage import tables as t

UAV = RaiseAlert(threat="uav", regions=["UA-63"])


async def _raise_some(tocsin: Tocsin, count: int) -> None:
    for _ in range(count):
        alert, _ = await tocsin.alerts.raise_alert(UAV, LOCAL_ADMIN)
        await tocsin.alerts.end(alert.id, LOCAL_ADMIN)


async def _rewrite(tocsin: Tocsin, entries: list[AuditEntry], key: bytes | None) -> None:
    """Store `entries` again with every hash recomputed (as one without the real key would)."""
    prev = GENESIS
    async with tocsin.store.engine.begin() as conn:
        await conn.execute(delete(t.audit))
        for entry in entries:
            entry = replace(entry, prev_hash=prev)
            entry = replace(entry, hash=chain_hash(entry, key))
            prev = entry.hash
            await conn.execute(
                t.audit.insert().values(
                    seq=entry.seq,
                    time=entry.time,
                    actor=entry.actor,
                    role=entry.role,
                    origin=entry.origin,
                    action=entry.action,
                    target=entry.target,
                    detail=entry.detail,
                    prev_hash=entry.prev_hash,
                    hash=entry.hash,
                )
            )


async def test_a_fresh_trail_verifies_keyed(tocsin: Tocsin) -> None:
    await _raise_some(tocsin, 2)
    verdict = await tocsin.audit.verify()
    assert verdict.ok and verdict.keyed and verdict.checked >= 5


@pytest.mark.parametrize("key", [None, b"a guessed key"], ids=["sha256", "other-key"])
async def test_a_chain_recomputed_without_the_key_is_found(
    tocsin: Tocsin, key: bytes | None
) -> None:
    await _raise_some(tocsin, 2)
    entries = await tocsin.store.audit_entries()
    changed = [replace(e, actor="somebody else") if e.seq == 3 else e for e in entries]
    await _rewrite(tocsin, changed, key)
    verdict = await tocsin.audit.verify()
    assert not verdict.ok and verdict.broken_at is not None


async def test_cutting_the_newest_entries_is_found_by_the_checkpoint(tocsin: Tocsin) -> None:
    await _raise_some(tocsin, 3)
    mark = await tocsin.audit.checkpoint()
    assert (
        isinstance(mark, Checkpoint) and mark.count == len(await tocsin.store.audit_entries()) - 1
    )
    assert await tocsin.audit.checkpoint() is None  # nothing new since
    async with tocsin.store.engine.begin() as conn:
        newest = (await conn.execute(select(t.audit.c.seq).order_by(t.audit.c.seq.desc()))).all()
        await conn.execute(delete(t.audit).where(t.audit.c.seq > newest[3].seq))
        # drop the events those actions appended too, so only the checkpoint can tell
        await conn.execute(delete(t.events).where(t.events.c.type != "audit.checkpoint"))
    verdict = await tocsin.audit.verify()
    assert not verdict.ok
    assert verdict.reason is not None and "newest entries were removed" in verdict.reason


async def test_cutting_entries_after_the_last_checkpoint_is_found_by_the_events(
    tocsin: Tocsin,
) -> None:
    await _raise_some(tocsin, 1)
    await tocsin.audit.checkpoint()
    await _raise_some(tocsin, 1)
    async with tocsin.store.engine.begin() as conn:
        newest = (await conn.execute(select(t.audit.c.seq).order_by(t.audit.c.seq.desc()))).all()
        await conn.execute(delete(t.audit).where(t.audit.c.seq >= newest[1].seq))
    verdict = await tocsin.audit.verify()
    assert not verdict.ok
    assert verdict.reason is not None and "no longer holds" in verdict.reason


async def test_a_forged_checkpoint_is_found(tocsin: Tocsin) -> None:
    await _raise_some(tocsin, 1)
    await tocsin.audit.checkpoint()
    async with tocsin.store.engine.begin() as conn:
        row = (
            await conn.execute(select(t.events).where(t.events.c.type == "audit.checkpoint"))
        ).one()
        forged = {**row.data["checkpoint"], "count": 1}
        await conn.execute(
            update(t.events).where(t.events.c.seq == row.seq).values(data={"checkpoint": forged})
        )
    verdict = await tocsin.audit.verify()
    assert not verdict.ok and "not made with this key" in (verdict.reason or "")


async def test_without_the_key_verifying_says_so(tocsin: Tocsin) -> None:
    await _raise_some(tocsin, 1)
    verdict = verify(await tocsin.store.audit_entries(), None)
    assert not verdict.ok and not verdict.keyed
    assert verdict.reason is not None and "no audit key" in verdict.reason


async def test_a_trail_from_before_the_key_is_chained_again_under_it(tocsin: Tocsin) -> None:
    await _raise_some(tocsin, 2)
    entries = await tocsin.store.audit_entries()
    await _rewrite(tocsin, entries, None)  # as written before a key was configured
    assert not (await tocsin.audit.verify()).ok
    assert await tocsin.store.adopt_audit_key() == len(entries)
    assert (await tocsin.audit.verify()).ok
    assert await tocsin.store.adopt_audit_key() == 0  # once


async def test_a_plain_trail_that_does_not_check_out_is_not_vouched_for(tocsin: Tocsin) -> None:
    await _raise_some(tocsin, 1)
    entries = await tocsin.store.audit_entries()
    await _rewrite(tocsin, entries, None)
    async with tocsin.store.engine.begin() as conn:
        await conn.execute(update(t.audit).where(t.audit.c.seq == 2).values(actor="someone"))
    assert await tocsin.store.adopt_audit_key() == 0
    assert not (await tocsin.audit.verify()).ok

"""Group commit: raises that arrive together are written together, each with its own result."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import event

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.errors import Conflict
from tocsin.service.group import GroupCommit

REGIONS = ["UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21", "UA-23", "UA-26"]


async def test_a_burst_is_written_in_few_transactions_with_gap_free_seqs(tocsin: Tocsin) -> None:
    transactions: list[int] = []
    event.listen(tocsin.store.engine.sync_engine, "commit", lambda conn: transactions.append(1))
    before = await tocsin.store.last_seq()
    raised = await asyncio.gather(
        *(
            tocsin.alerts.raise_alert(RaiseAlert(threat="missile", regions=[code]), LOCAL_ADMIN)
            for code in REGIONS
        )
    )
    assert all(created for _, created in raised)
    assert len(transactions) < len(REGIONS)  # raised together, written together
    events = await tocsin.store.events_after(before)
    assert [e.seq for e in events] == list(range(before + 1, before + len(REGIONS) + 1))
    assert [e.alert_id for e in events] == [alert.id for alert, _ in raised]  # in call order
    for alert, _ in raised:
        stored = await tocsin.store.get_alert(alert.id)
        assert stored is not None and stored.regions == alert.regions
    assert (await tocsin.audit.verify()).ok


async def test_a_refused_raise_in_a_batch_refuses_only_itself(tocsin: Tocsin) -> None:
    key = {"idempotency_key": "k-1"}
    first, _ = await tocsin.alerts.raise_alert(
        RaiseAlert(threat="missile", regions=["UA-63"]), LOCAL_ADMIN, **key
    )
    before = await tocsin.store.last_seq()
    results = await asyncio.gather(
        tocsin.alerts.raise_alert(RaiseAlert(threat="uav", regions=["UA-05"]), LOCAL_ADMIN),
        tocsin.alerts.raise_alert(RaiseAlert(threat="uav", regions=["UA-63"]), LOCAL_ADMIN, **key),
        tocsin.alerts.raise_alert(
            RaiseAlert(threat="missile", regions=["UA-63"]), LOCAL_ADMIN, **key
        ),
        tocsin.alerts.raise_alert(RaiseAlert(threat="uav", regions=["UA-07"]), LOCAL_ADMIN),
        return_exceptions=True,
    )
    fresh, reused, replayed, other = results
    assert isinstance(reused, Conflict) and reused.field == "idempotency_key"
    assert not isinstance(replayed, BaseException) and replayed == (first, False)
    assert not isinstance(fresh, BaseException) and fresh[1]
    assert not isinstance(other, BaseException) and other[1]
    events = await tocsin.store.events_after(before)
    assert [e.alert_id for e in events] == [fresh[0].id, other[0].id]  # nothing for the others


async def test_the_same_new_key_twice_in_one_batch_raises_one_alert(tocsin: Tocsin) -> None:
    await tocsin.alerts.raise_alert(RaiseAlert(threat="air", regions=["UA-30"]), LOCAL_ADMIN)
    cmd = RaiseAlert(threat="missile", regions=["UA-63"])
    gate = asyncio.gather(  # submitted together: one batch
        tocsin.alerts.raise_alert(RaiseAlert(threat="air", regions=["UA-32"]), LOCAL_ADMIN),
        tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN, idempotency_key="twice"),
        tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN, idempotency_key="twice"),
    )
    _, (one, created), (again, created_again) = await gate
    assert created and not created_again and again.id == one.id
    assert len([a for a in await tocsin.store.open_alerts() if a.regions == ("UA-63",)]) == 1


async def test_a_failed_batch_is_tried_one_by_one() -> None:
    batches: list[list[int]] = []

    async def write(jobs: Sequence[int]) -> list[int | Exception]:
        batches.append(list(jobs))
        await asyncio.sleep(0.01)
        if 13 in jobs and len(jobs) > 1:
            raise RuntimeError("the database refused the batch")
        if jobs == [13]:
            raise RuntimeError("13 is refused")
        return [job * 10 if job != 7 else ValueError("7 is invalid") for job in jobs]

    group: GroupCommit[int, int] = GroupCommit(write)
    results = await asyncio.gather(
        *(group.submit(n) for n in (1, 7, 13, 4)), return_exceptions=True
    )
    assert results[0] == 10 and results[3] == 40
    assert isinstance(results[1], ValueError) and isinstance(results[2], RuntimeError)
    assert batches == [[1, 7, 13, 4], [1], [7], [13], [4]]


async def test_a_cancelled_caller_does_not_cancel_the_write() -> None:
    written: list[int] = []

    async def write(jobs: Sequence[int]) -> list[int | Exception]:
        await asyncio.sleep(0.05)
        written.extend(jobs)
        return list(jobs)

    group: GroupCommit[int, int] = GroupCommit(write)
    caller = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.sleep(0.1)
    assert written == [1]

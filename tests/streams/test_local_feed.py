"""The in-process log feed: this process's commits come from memory, the rest from the store."""

from __future__ import annotations

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.streams.log import LocalFeed


async def test_recent_commits_are_read_from_memory_and_older_ones_from_the_store(
    tocsin: Tocsin,
) -> None:
    feed = LocalFeed(tocsin.store, recent=2)
    await feed.start()
    try:
        before = feed.head
        tocsin.bus.listeners.append(feed)
        for region in ("UA-63", "UA-59", "UA-46"):
            await tocsin.alerts.raise_alert(RaiseAlert(threat="air", regions=[region]), LOCAL_ADMIN)
        assert feed.head == before + 3
        assert sorted(feed._recent.kept()) == [before + 2, before + 3]  # only the newest two kept
        recent = await feed.read(before + 1)
        assert [e.seq for e in recent] == [before + 2, before + 3]
        kept = feed._recent.kept().values()
        assert all(any(e is k for k in kept) for e in recent)  # from memory
        older = await feed.read(before)  # the first of the three was forgotten: from the store
        assert [e.seq for e in older] == [before + 1, before + 2, before + 3]
        assert older[0].to_json() == (await tocsin.store.events_after(before, 1))[0].to_json()
        assert older[1] is recent[0]  # the same event, the same object
    finally:
        await feed.stop()


async def test_events_of_other_processes_are_read_once_and_shared(tocsin: Tocsin) -> None:
    feed = LocalFeed(tocsin.store, recent=10)
    await feed.start()
    try:
        before = feed.head
        async with tocsin.store.write() as tx:  # as another process would, unseen by the feed
            for region in ("UA-63", "UA-59"):
                await tx.append(
                    type="regions.imported",
                    time=tocsin.clock.now(),
                    actor="elsewhere",
                    alert_id=None,
                    data={"region": region},
                )
        first = await feed.read(before)
        second = await feed.read(before)
        assert [e.seq for e in first] == [before + 1, before + 2]
        assert all(a is b for a, b in zip(first, second, strict=True))  # one object per event
        replayed = await LocalFeed(tocsin.store, recent=1).read(before)
        assert [e.to_json() for e in replayed] == [e.to_json() for e in first]
    finally:
        await feed.stop()

"""The read model: answers held for a head of the log, let go by the events of their topic."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.events import Event
from tocsin.service.ports import ManualClock
from tocsin.service.readmodel import ANY_EVENT, Fresh, ReadModel, topic_of
from tocsin.types import Seq

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Feed:
    """An in-memory log: events appended by the test, read as the `LogFeed` port reads."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.reads = 0

    @property
    def head(self) -> Seq:
        return len(self.events)

    async def read(self, after: Seq, limit: int = 1000) -> list[Event]:
        self.reads += 1
        return self.events[after : after + limit]

    async def wait(self, after: Seq, timeout: float) -> Seq:
        return self.head

    def append(self, kind: str, status: Status = Status.ACTUAL) -> None:
        seq = self.head + 1
        alert = Alert(f"a{seq}", status, Phase.ACTIVE, "missile", ("UA-63",), NOW, NOW, "cli")
        data = {"alert": alert.to_json()} if kind.startswith("alert.") else {}
        self.events.append(Event(seq, f"e{seq}", kind, NOW, "cli", alert.id, data))


class Counter:
    """A computation that counts its runs and answers with the run's number."""

    def __init__(self, until: datetime | None = None) -> None:
        self.runs = 0
        self.until = until
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> Fresh[int]:
        self.runs += 1
        if self.gate is not None:
            await self.gate.wait()
        return Fresh(self.runs, self.until)


@pytest.fixture
def feed() -> Feed:
    return Feed()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


async def test_an_answer_is_held_until_an_event_of_its_topic(
    feed: Feed, clock: ManualClock
) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock)
    count = Counter()
    actual, exercise = {Status.ACTUAL}, {Status.EXERCISE}
    assert await reads.get("k", count, actual) == 1
    assert reads.peek("k") == 1 and await reads.get("k", count, actual) == 1
    feed.append("alert.raised", Status.EXERCISE)
    assert reads.peek("k") is None  # the head moved: not known without a look
    assert await reads.get("k", count, actual) == 1  # an exercise leaves it standing
    assert reads.peek("k") == 1
    assert await reads.get("x", count, exercise) == 2
    feed.append("alert.ended", Status.ACTUAL)
    assert await reads.get("k", count, actual) == 3
    assert await reads.get("x", count, exercise) == 2


@pytest.mark.parametrize(
    ("kind", "drops"),
    [
        ("audit.checkpoint", False),
        ("subscription.paused", False),
        ("siren.faulty", False),
        ("incident.created", False),
        ("alert.raised", True),
        ("regions.imported", True),
        ("something.new", True),  # a type this version does not know: let go of everything
    ],
)
async def test_what_events_let_go(feed: Feed, clock: ManualClock, kind: str, drops: bool) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock)
    count, head = Counter(), Counter()
    await reads.get("k", count)
    await reads.get("head", head, {ANY_EVENT})
    feed.append(kind)
    assert await reads.get("k", count) == (2 if drops else 1)
    assert await reads.get("head", head, {ANY_EVENT}) == 2  # /healthz names the head


def test_the_topic_of_an_alert_event_is_its_status(feed: Feed) -> None:
    feed.append("alert.raised", Status.TEST)
    feed.append("regions.imported")
    feed.append("audit.checkpoint")
    assert [topic_of(e) for e in feed.events] == [Status.TEST, None, ANY_EVENT]


async def test_a_long_way_behind_lets_go_without_reading(feed: Feed, clock: ManualClock) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock)
    count = Counter()
    await reads.get("k", count)
    for _ in range(1001):
        feed.append("audit.checkpoint")
    assert await reads.get("k", count) == 2 and feed.reads == 0


async def test_languages_and_filters_are_keys_of_their_own(feed: Feed, clock: ManualClock) -> None:
    reads: ReadModel[str] = ReadModel(feed, clock)

    async def answer(lang: str, region: str) -> Fresh[str]:
        return Fresh(f"{region} in {lang}")

    for lang in ("en", "uk"):
        for region in ("UA-63", "UA-59"):
            key = ("/v1/alerts/active", region, lang)
            got = await reads.get(key, lambda lang=lang, region=region: answer(lang, region))
            assert got == f"{region} in {lang}"
    assert reads.peek(("/v1/alerts/active", "UA-59", "uk")) == "UA-59 in uk"
    assert len(reads) == 4


async def test_memory_is_bounded_least_recently_used_first(feed: Feed, clock: ManualClock) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock, keys=3)
    count = Counter()
    for key in ("a", "b", "c"):
        await reads.get(key, count)
    assert reads.peek("a") == 1  # now the most recently used
    await reads.get("d", count)
    assert len(reads) == 3
    assert reads.peek("b") is None
    assert [reads.peek(k) for k in ("a", "c", "d")] == [1, 3, 4]


async def test_concurrent_requests_share_one_computation(feed: Feed, clock: ManualClock) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock)
    count = Counter()
    count.gate = asyncio.Event()
    waiting = [asyncio.create_task(reads.get("k", count)) for _ in range(50)]
    await asyncio.sleep(0)
    count.gate.set()
    assert await asyncio.gather(*waiting) == [1] * 50
    assert count.runs == 1 and reads.computed == 1


async def test_a_request_after_a_commit_does_not_join_a_computation_begun_before(
    feed: Feed, clock: ManualClock
) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock)
    count = Counter()
    count.gate = asyncio.Event()
    early = asyncio.create_task(reads.get("k", count))
    await asyncio.sleep(0)
    feed.append("alert.raised")  # committed while the first answer is being worked out
    late = asyncio.create_task(reads.get("k", count))
    await asyncio.sleep(0)
    count.gate.set()
    assert (await early, await late) == (1, 2)
    assert reads.peek("k") == 2


async def test_a_failure_reaches_every_asker_and_nothing_is_held(
    feed: Feed, clock: ManualClock
) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock)

    async def broken() -> Fresh[int]:
        await asyncio.sleep(0)
        raise LookupError("no such region")

    asked = [reads.get("k", broken) for _ in range(3)]
    results = await asyncio.gather(*asked, return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)
    assert reads.peek("k") is None and len(reads) == 0


async def test_a_cancelled_asker_does_not_stop_the_others(feed: Feed, clock: ManualClock) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock)
    count = Counter()
    count.gate = asyncio.Event()
    first = asyncio.create_task(reads.get("k", count))
    second = asyncio.create_task(reads.get("k", count))
    await asyncio.sleep(0)
    first.cancel()
    count.gate.set()
    assert await second == 1 and reads.peek("k") == 1


async def test_an_answer_with_an_end_goes_at_that_time(feed: Feed, clock: ManualClock) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock)
    count = Counter(until=NOW + timedelta(minutes=5))
    assert await reads.get("feed", count) == 1
    clock.advance(299)
    assert reads.peek("feed") == 1
    clock.advance(1)
    assert reads.peek("feed") is None
    count.until = None
    assert await reads.get("feed", count) == 2
    clock.advance(86400)
    assert reads.peek("feed") == 2


async def test_a_new_stamp_lets_go(feed: Feed, clock: ManualClock) -> None:
    tree = [object()]
    reads: ReadModel[int] = ReadModel(feed, clock, stamp=lambda: tree[0])
    count = Counter()
    await reads.get("k", count)
    tree[0] = object()  # the regions were read again
    assert reads.peek("k") is None and await reads.get("k", count) == 2


async def test_an_unreadable_log_lets_go_of_everything(feed: Feed, clock: ManualClock) -> None:
    reads: ReadModel[int] = ReadModel(feed, clock)
    count = Counter()
    await reads.get("k", count)

    async def failing(after: Seq, limit: int = 1000) -> list[Event]:
        raise OSError("database gone")

    feed.read = failing  # type: ignore[method-assign]
    feed.append("audit.checkpoint")
    assert await reads.get("k", count) == 2

"""The login throttle's arithmetic: leaky buckets, doubling delays, bounded waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.throttle import (
    EMPTY,
    Attempt,
    Bucket,
    Limit,
    Limits,
    address_key,
    admit,
    refunded,
    succeeded,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
USER = Limit(attempts=5, window=3600, first_delay=1, max_delay=300)
LIMITS = Limits(user=USER, address=Limit(20, 3600, 1, 300), overall=Limit(100, 3600, 1, 300))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def tries(bucket: Bucket, count: int, now: datetime, limit: Limit = USER) -> Bucket:
    for _ in range(count):
        assert bucket.wait(now) == 0
        bucket = bucket.counted(limit, now)
    return bucket


@pytest.mark.parametrize(
    ("level", "delay"),
    [(1, 0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (13, 256), (14, 300), (400, 300)],
)
def test_delays_double_from_the_limit_up_to_the_bound(level: float, delay: float) -> None:
    assert USER.delay(level) == delay


def test_the_fifth_attempt_closes_the_door_for_a_second() -> None:
    bucket = tries(EMPTY, 4, T0)
    assert bucket.wait(T0) == 0
    bucket = bucket.counted(USER, T0)
    assert bucket.wait(T0) == 1
    assert bucket.wait(at(1)) == 0
    assert bucket.counted(USER, at(1)).wait(at(1)) == pytest.approx(2, abs=0.01)


def test_a_bucket_forgets_steadily() -> None:
    bucket = tries(EMPTY, 5, T0)
    assert bucket.drained(USER, at(720)) == pytest.approx(4)  # 5 an hour: one per 12 minutes
    assert bucket.drained(USER, at(3600)) == 0
    assert bucket.counted(USER, at(3600)).wait(at(3600)) == 0


def test_the_level_is_bounded_so_a_bucket_is_forgotten_in_bounded_time() -> None:
    bucket = EMPTY
    for n in range(1000):
        bucket = bucket.counted(USER, at(n * 300))
    assert bucket.level == USER.ceiling
    assert bucket.wait(bucket.at or T0) == 300
    idle = bucket.idle_at(USER, T0)
    assert idle - (bucket.at or T0) <= timedelta(seconds=USER.ceiling * 3600 / 5)


def test_a_refused_attempt_counts_nothing() -> None:
    buckets = dict(admit(Attempt("olena", "10.0.0.1"), {}, LIMITS, T0)[1])
    for _ in range(4):
        refusal, changed = admit(Attempt("olena", "10.0.0.1"), buckets, LIMITS, T0)
        assert refusal is None
        buckets.update(changed)
    for _ in range(50):
        refusal, changed = admit(Attempt("olena", "10.0.0.1"), buckets, LIMITS, T0)
        assert refusal is not None and refusal.limit == "user" and refusal.wait == 1
        assert changed == {}
    refusal, _ = admit(Attempt("olena", "10.0.0.1"), buckets, LIMITS, at(1))
    assert refusal is None  # fifty refusals did not make the wait longer


def test_success_empties_the_username_and_refunds_the_rest() -> None:
    attempt = Attempt("olena", "10.0.0.1")
    buckets: dict[str, Bucket] = {}
    for _ in range(5):
        buckets.update(admit(attempt, buckets, LIMITS, T0)[1])
    after = succeeded(attempt, buckets, LIMITS, T0)
    user, address, overall = attempt.keys
    assert after[user] == EMPTY
    assert after[address].level == 4 and after[overall].level == 4
    assert refunded(attempt, buckets, LIMITS, T0)[user].level == 4


def test_every_limit_holds_on_its_own() -> None:
    buckets: dict[str, Bucket] = {}
    for n in range(20):  # spraying: a new username each time, from one address
        refusal, changed = admit(Attempt(f"user{n}", "10.0.0.1"), buckets, LIMITS, T0)
        assert refusal is None
        buckets.update(changed)
    refusal, _ = admit(Attempt("user20", "10.0.0.1"), buckets, LIMITS, T0)
    assert refusal is not None and refusal.limit == "address"
    assert admit(Attempt("user20", "10.0.0.2"), buckets, LIMITS, T0)[0] is None


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
        ("testclient", "testclient"),
    ],
)
def test_address_keys(address: str | None, key: str) -> None:
    assert address_key(address) == key

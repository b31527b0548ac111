"""Durable state of delivery: consumer cursors, the attempt log, and subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tocsin.domain.subscriptions import Attempt, SubscriptionRecord
from tocsin.storage import tables as t
from tocsin.types import Seq


class DeliveryStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def cursor(self, consumer: str) -> Seq | None:
        query = select(t.cursors.c.seq).where(t.cursors.c.consumer == consumer)
        async with self.engine.connect() as conn:
            value = (await conn.execute(query)).scalar()
        return None if value is None else int(value)

    async def cursors(self) -> dict[str, Seq]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.cursors.c.consumer, t.cursors.c.seq))).all()
        return {row.consumer: int(row.seq) for row in rows}

    async def advance(self, consumer: str, seq: Seq, now: datetime) -> None:
        """Move a consumer's cursor forward (never back)."""
        async with self.engine.begin() as conn:
            moved = await conn.execute(
                update(t.cursors)
                .where(t.cursors.c.consumer == consumer, t.cursors.c.seq < seq)
                .values(seq=seq, updated_at=now)
            )
            if moved.rowcount:
                return
            exists = await conn.execute(
                select(t.cursors.c.seq).where(t.cursors.c.consumer == consumer)
            )
            if exists.first() is None:
                await conn.execute(
                    insert(t.cursors).values(consumer=consumer, seq=seq, updated_at=now)
                )

    async def record(self, attempt: Attempt) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(t.deliveries).values(**_attempt_values(attempt)))

    async def attempts(
        self,
        *,
        consumer: str | None = None,
        event_seq: Seq | None = None,
        limit: int = 100,
    ) -> list[Attempt]:
        query = select(t.deliveries)
        if consumer is not None:
            query = query.where(t.deliveries.c.consumer == consumer)
        if event_seq is not None:
            query = query.where(t.deliveries.c.event_seq == event_seq)
        query = query.order_by(t.deliveries.c.id.desc()).limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_attempt(row) for row in rows]

    async def last_errors(self) -> dict[str, tuple[datetime, str]]:
        """The newest failed attempt of each consumer."""
        newest = (
            select(func.max(t.deliveries.c.id))
            .where(t.deliveries.c.outcome != "delivered")
            .group_by(t.deliveries.c.consumer)
        )
        query = select(t.deliveries).where(t.deliveries.c.id.in_(newest))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {row.consumer: (row.time, row.error or row.outcome) for row in rows}

    async def subscriptions(self, kind: str | None = None) -> list[SubscriptionRecord]:
        query = select(t.subscriptions).order_by(t.subscriptions.c.created_at)
        if kind is not None:
            query = query.where(t.subscriptions.c.kind == kind)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_subscription(row) for row in rows]

    async def subscription(self, subscription_id: str) -> SubscriptionRecord | None:
        query = select(t.subscriptions).where(t.subscriptions.c.id == subscription_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _subscription(row)

    async def forget(self, consumer: str) -> None:
        """Drop a consumer's cursor (a worker may write it after its subscription is gone)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(t.cursors).where(t.cursors.c.consumer == consumer))


async def get_subscription(
    conn: AsyncConnection, subscription_id: str
) -> SubscriptionRecord | None:
    query = select(t.subscriptions).where(t.subscriptions.c.id == subscription_id)
    row = (await conn.execute(query)).first()
    return None if row is None else _subscription(row)


async def insert_subscription(conn: AsyncConnection, record: SubscriptionRecord) -> None:
    await conn.execute(insert(t.subscriptions).values(**_subscription_values(record)))


async def set_subscription_state(
    conn: AsyncConnection, subscription_id: str, state: str, reason: str | None
) -> None:
    await conn.execute(
        update(t.subscriptions)
        .where(t.subscriptions.c.id == subscription_id)
        .values(state=state, state_reason=reason)
    )


async def delete_subscription(conn: AsyncConnection, subscription_id: str) -> None:
    """Forget a subscription and its cursor (its attempts stay in the log)."""
    consumer = t.cursors.c.consumer.endswith(f":{subscription_id}", autoescape=True)
    await conn.execute(delete(t.cursors).where(consumer))
    await conn.execute(delete(t.subscriptions).where(t.subscriptions.c.id == subscription_id))


def _attempt_values(attempt: Attempt) -> dict[str, Any]:
    return {
        "consumer": attempt.consumer,
        "channel": attempt.channel,
        "target": attempt.target[:500],
        "event_seq": attempt.event_seq,
        "event_id": attempt.event_id,
        "attempt": attempt.attempt,
        "time": attempt.time,
        "latency_ms": attempt.latency_ms,
        "outcome": attempt.outcome,
        "error": attempt.error,
    }


def _attempt(row: Row[Any]) -> Attempt:
    return Attempt(
        row.consumer,
        row.channel,
        row.target,
        row.event_seq,
        row.event_id,
        row.attempt,
        row.time,
        row.latency_ms,
        row.outcome,
        row.error,
    )


def _subscription_values(record: SubscriptionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind,
        "url": record.url,
        "secret": record.secret,
        "filters": record.filters,
        "lang": record.lang,
        "options": record.options,
        "state": record.state,
        "state_reason": record.state_reason,
        "created_at": record.created_at,
        "created_by": record.created_by,
        "start_seq": record.start_seq,
    }


def _subscription(row: Row[Any]) -> SubscriptionRecord:
    return SubscriptionRecord(
        row.id,
        row.kind,
        row.url,
        row.secret,
        row.filters,
        row.lang,
        row.options,
        row.state,
        row.state_reason,
        row.created_at,
        row.created_by,
        row.start_seq,
    )

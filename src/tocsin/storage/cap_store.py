"""CAP storage: one alert's events (every CAP message tocsin publishes is rendered from them,
so nothing more is stored for output), the alerts a feed lists, and the record of CAP messages
imported from other authorities (table `cap_messages`, migration 0002).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String, Table, func, insert, or_, select, tuple_
from sqlalchemy.engine import Row

from tocsin.domain.alerts import OPEN_PHASES, Alert, EventType, Status
from tocsin.domain.cap_messages import MAX_KEY, ImportedMessage
from tocsin.domain.events import Event
from tocsin.storage import tables as t
from tocsin.storage.store import Store, Tx
from tocsin.types import AlertId

cap_messages = Table(
    "cap_messages",
    t.metadata,
    Column("sender", String(MAX_KEY), primary_key=True),
    Column("identifier", String(MAX_KEY), primary_key=True),
    Column("sent", t.UTCDateTime, nullable=False),
    Column("msg_type", String(16), nullable=False),
    Column("alert_id", String(36), nullable=False),
    Column("received_at", t.UTCDateTime, nullable=False),
    Index("ix_cap_messages_alert_id", "alert_id"),
)
ALERT_EVENTS = sorted(e.value for e in EventType)  # other events may name an alert too
_CHUNK = 500


class CapStore:
    """Reads for CAP output."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def alert_events(self, alert_id: AlertId) -> list[Event]:
        """Every change of one alert (its `alert.*` events), oldest first; empty when there is
        no such alert."""
        return (await self.events_of([alert_id])).get(alert_id, [])

    async def events_of(self, alert_ids: Iterable[AlertId]) -> dict[AlertId, list[Event]]:
        ids = sorted(set(alert_ids))
        found: dict[AlertId, list[Event]] = {}
        async with self.store.engine.connect() as conn:
            for chunk in _chunks(ids):
                query = select(t.events).where(
                    t.events.c.alert_id.in_(chunk), t.events.c.type.in_(ALERT_EVENTS)
                )
                for row in (await conn.execute(query.order_by(t.events.c.seq))).all():
                    found.setdefault(row.alert_id, []).append(_event(row))
        return found

    async def feed_alerts(self, statuses: Iterable[Status], closed_since: datetime) -> list[Alert]:
        """Open alerts, and those that closed at or after `closed_since`, newest first."""
        query = (
            select(t.alerts.c.data)
            .where(
                t.alerts.c.status.in_(sorted(s.value for s in statuses)),
                or_(
                    t.alerts.c.phase.in_(sorted(p.value for p in OPEN_PHASES)),
                    t.alerts.c.ended_at >= closed_since,
                ),
            )
            .order_by(t.alerts.c.raised_at.desc(), t.alerts.c.id.desc())
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Alert.from_json(row.data) for row in rows]

    async def last_alert_change(self) -> datetime | None:
        """When any alert last changed."""
        query = select(func.max(t.events.c.time)).where(t.events.c.type.in_(ALERT_EVENTS))
        async with self.store.engine.connect() as conn:
            value = (await conn.execute(query)).scalar()
        return value if isinstance(value, datetime) else None

    async def imported(self, sender: str, identifier: str) -> ImportedMessage | None:
        async with self.store.engine.connect() as conn:
            return await _imported(conn, sender, identifier)


class SqlImportedMessages:
    """The record of imported CAP messages, inside one unit of work."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def find(self, sender: str, identifier: str) -> ImportedMessage | None:
        return await _imported(self._tx.conn, sender, identifier)

    async def alerts_of(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], AlertId]:
        found: dict[tuple[str, str], AlertId] = {}
        c = cap_messages.c
        for chunk in _chunks(list(dict.fromkeys(keys))):
            query = select(c.sender, c.identifier, c.alert_id)
            query = query.where(tuple_(c.sender, c.identifier).in_(chunk))
            for row in (await self._tx.conn.execute(query)).all():
                found[(row.sender, row.identifier)] = row.alert_id
        return found

    async def add(self, message: ImportedMessage) -> None:
        await self._tx.conn.execute(
            insert(cap_messages).values(
                sender=message.sender,
                identifier=message.identifier,
                sent=message.sent,
                msg_type=message.msg_type,
                alert_id=message.alert_id,
                received_at=message.received_at,
            )
        )


async def _imported(conn: Any, sender: str, identifier: str) -> ImportedMessage | None:
    query = select(cap_messages).where(
        cap_messages.c.sender == sender, cap_messages.c.identifier == identifier
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return ImportedMessage(
        row.sender, row.identifier, row.sent, row.msg_type, row.alert_id, row.received_at
    )


def _event(row: Row[Any]) -> Event:
    return Event(row.seq, row.id, row.type, row.time, row.actor, row.alert_id, row.data)


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]

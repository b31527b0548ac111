"""The store: every read and write of tocsin's state, over SQLAlchemy Core.

Writes happen in `Store.write()` transactions. A transaction that appends to the event log
first takes the next sequence number from the single `log_head` row; that row lock serialises
writers, so sequence numbers are gap-free and commit in order, and a rolled-back command leaves
no trace.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import fields, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.audit import GENESIS, Audited, AuditEntry, chain_hash, rechain
from tocsin.domain.auth import Actor
from tocsin.domain.auth import TokenRecord as TokenRecord
from tocsin.domain.events import Event, NewEvent
from tocsin.domain.regions import Region
from tocsin.service.ports import HistoryQuery as HistoryQuery
from tocsin.storage import tables as t
from tocsin.storage.alert_history import history_query
from tocsin.storage.engine import WRITE_OPTION
from tocsin.types import AlertId, Seq


class Tx:
    """One write transaction."""

    def __init__(self, conn: AsyncConnection, audit_key: bytes | None = None) -> None:
        self.conn = conn
        self.audit_key = audit_key
        self.events: list[Event] = []
        self.audited: list[AuditEntry] = []

    async def append(
        self,
        *,
        type: str,
        time: datetime,
        actor: str,
        alert_id: AlertId | None,
        data: dict[str, Any],
    ) -> Event:
        [record] = await self.append_all([NewEvent(type, time, actor, alert_id, data)])
        return record

    async def append_all(self, new: Sequence[NewEvent]) -> list[Event]:
        """Append events to the log, in order, with the next sequence numbers."""
        if not new:
            return []
        result = await self.conn.execute(
            update(t.log_head)
            .where(t.log_head.c.id == 1)
            .values(seq=t.log_head.c.seq + len(new))
            .returning(t.log_head.c.seq)
        )
        first = int(result.scalar_one()) - len(new) + 1
        records = [
            Event(first + i, str(uuid.uuid4()), e.type, e.time, e.actor, e.alert_id, e.data)
            for i, e in enumerate(new)
        ]
        await self.conn.execute(
            insert(t.events),
            [
                {
                    "seq": r.seq,
                    "id": r.id,
                    "type": r.type,
                    "time": r.time,
                    "actor": r.actor,
                    "alert_id": r.alert_id,
                    "data": r.data,
                }
                for r in records
            ],
        )
        self.events.extend(records)
        return records

    async def audit(
        self,
        actor: Actor,
        action: str,
        target: str | None,
        detail: dict[str, Any],
        time: datetime,
    ) -> AuditEntry:
        """Append to the audit trail, chained to the entry before (the log lock is held)."""
        [entry] = await self.audit_all([Audited(actor, action, target, detail, time)])
        return entry

    async def audit_all(self, items: Sequence[Audited]) -> list[AuditEntry]:
        """Append to the audit trail, each entry chained to the one before."""
        if not items:
            return []
        last = (
            await self.conn.execute(
                select(t.audit.c.seq, t.audit.c.hash).order_by(t.audit.c.seq.desc()).limit(1)
            )
        ).first()
        seq, prev = (0, GENESIS) if last is None else (int(last.seq), str(last.hash))
        entries = []
        for item in items:
            seq += 1
            entry = AuditEntry(
                seq=seq,
                time=item.time,
                actor=item.actor.label,
                role=item.actor.role.value,
                origin=item.actor.origin,
                action=item.action,
                target=item.target,
                detail=item.detail,
                prev_hash=prev,
                hash="",
            )
            entry = replace(entry, hash=chain_hash(entry, self.audit_key))
            entries.append(entry)
            prev = entry.hash
        await self.conn.execute(insert(t.audit), [_audit_row(entry) for entry in entries])
        self.audited.extend(entries)
        return entries

    async def lock_log(self) -> None:
        """Take the log lock, so that what this transaction reads next is current."""
        await self.conn.execute(
            update(t.log_head).where(t.log_head.c.id == 1).values(seq=t.log_head.c.seq)
        )

    async def get_alert(self, alert_id: AlertId) -> Alert | None:
        return await _get_alert(self.conn, alert_id)

    async def save_alert(self, alert: Alert, *, new: bool) -> None:
        if new:
            await self.add_alerts([alert])
            return
        await self.conn.execute(
            update(t.alerts).where(t.alerts.c.id == alert.id).values(**_alert_row(alert))
        )
        await self.conn.execute(
            delete(t.alert_regions).where(t.alert_regions.c.alert_id == alert.id)
        )
        await self.conn.execute(
            insert(t.alert_regions),
            [{"alert_id": alert.id, "region": code} for code in alert.regions],
        )

    async def add_alerts(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        await self.conn.execute(
            insert(t.alerts), [{"id": alert.id, **_alert_row(alert)} for alert in alerts]
        )
        await self.conn.execute(
            insert(t.alert_regions),
            [{"alert_id": a.id, "region": code} for a in alerts for code in a.regions],
        )

    async def idempotent_alert(self, actor: str, key: str) -> tuple[str, AlertId] | None:
        return await self.idempotent(actor, key)

    async def idempotent(self, actor: str, key: str) -> tuple[str, str] | None:
        """The hash of the request first made with `actor`'s `key`, and the id of what it made
        (an alert, an incident, a claim: the `alert_id` column holds any of them)."""
        row = (
            await self.conn.execute(
                select(t.idempotency.c.request_hash, t.idempotency.c.alert_id).where(
                    t.idempotency.c.actor == actor, t.idempotency.c.key == key
                )
            )
        ).first()
        return None if row is None else (row.request_hash, row.alert_id)

    async def remember_key(
        self, actor: str, key: str, request_hash: str, alert_id: str, now: datetime
    ) -> None:
        await self.conn.execute(
            insert(t.idempotency).values(
                actor=actor, key=key, request_hash=request_hash, alert_id=alert_id, created_at=now
            )
        )

    async def remember_keys(self, keys: Sequence[tuple[str, str, str, str, datetime]]) -> None:
        """Remember many idempotency keys: (actor, key, request hash, id made, time)."""
        if not keys:
            return
        await self.conn.execute(
            insert(t.idempotency),
            [
                {"actor": a, "key": k, "request_hash": h, "alert_id": made, "created_at": now}
                for a, k, h, made, now in keys
            ],
        )

    async def put_regions(self, regions: Sequence[Region], *, start: int) -> None:
        codes = [r.code for r in regions]
        for chunk in _chunks(codes, 500):
            await self.conn.execute(delete(t.regions).where(t.regions.c.code.in_(chunk)))
        rows = [_region_row(r, start + i) for i, r in enumerate(regions)]
        for chunk_rows in _chunks(rows, 500):
            await self.conn.execute(insert(t.regions), chunk_rows)

    async def change_region(self, region: Region) -> None:
        """Set a region's row to `region`, keeping its place in the tree's order."""
        values = _region_row(region, 0)
        del values["code"], values["position"]
        await self.conn.execute(
            update(t.regions).where(t.regions.c.code == region.code).values(**values)
        )

    async def add_token(
        self,
        *,
        token_id: str,
        name: str,
        role: str,
        regions: Iterable[str] | None,
        secret_hash: str,
        now: datetime,
    ) -> None:
        await self.conn.execute(
            insert(t.tokens).values(
                id=token_id,
                name=name,
                role=role,
                regions=None if regions is None else sorted(regions),
                secret_hash=secret_hash,
                created_at=now,
            )
        )

    async def token_active(self, token_id: str) -> bool:
        query = select(t.tokens.c.id).where(
            t.tokens.c.id == token_id, t.tokens.c.revoked_at.is_(None)
        )
        return (await self.conn.execute(query)).first() is not None

    async def head(self) -> Seq:
        """The seq of the newest event (the next one appended takes the one after)."""
        query = select(t.log_head.c.seq).where(t.log_head.c.id == 1)
        return int((await self.conn.execute(query)).scalar() or 0)

    async def last_event(self, alert_id: AlertId, type: str) -> Event | None:
        row = (await self.conn.execute(_last_event(alert_id, type))).first()
        return None if row is None else _event(row)

    async def revoke_token(self, token_id: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(t.tokens)
            .where(t.tokens.c.id == token_id, t.tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)


class Store:
    def __init__(self, engine: AsyncEngine, *, audit_key: bytes | None = None) -> None:
        self.engine = engine
        self.audit_key = audit_key
        self._lock = asyncio.Lock()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A write transaction; it commits when the block ends without an exception."""
        async with self._lock, self.engine.connect() as conn:
            conn = await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                tx = Tx(conn, self.audit_key)
                if conn.dialect.name != "sqlite":  # SQLite's BEGIN IMMEDIATE has locked it all
                    await tx.lock_log()
                yield tx

    async def get_alert(self, alert_id: AlertId) -> Alert | None:
        async with self.engine.connect() as conn:
            return await _get_alert(conn, alert_id)

    async def open_alerts(self, status: Status | None = None) -> list[Alert]:
        query = select(t.alerts.c.data).where(
            t.alerts.c.phase.in_([p.value for p in (Phase.PRE_ALERT, Phase.ACTIVE)])
        )
        if status is not None:
            query = query.where(t.alerts.c.status == status.value)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(t.alerts.c.raised_at, t.alerts.c.id))).all()
        return [Alert.from_json(row.data) for row in rows]

    async def active_threats(self) -> dict[AlertId, str]:
        """The threat of every active alert (past any pre-alert), by alert id."""
        query = select(t.alerts.c.id, t.alerts.c.threat).where(
            t.alerts.c.phase == Phase.ACTIVE.value
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(t.alerts.c.raised_at, t.alerts.c.id))).all()
        return {row.id: row.threat for row in rows}

    async def held_alerts(self) -> list[Alert]:
        """Alerts waiting for a second person's approval, oldest first."""
        query = select(t.alerts.c.data).where(t.alerts.c.phase == Phase.PENDING.value)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(t.alerts.c.raised_at))).all()
        return [Alert.from_json(row.data) for row in rows]

    async def due_expiries(self, now: datetime) -> list[AlertId]:
        query = select(t.alerts.c.id).where(
            t.alerts.c.phase.in_([Phase.PRE_ALERT.value, Phase.ACTIVE.value]),
            t.alerts.c.expires_at.is_not(None),
            t.alerts.c.expires_at <= now,
        )
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def history(self, q: HistoryQuery) -> list[Alert]:
        """Alerts overlapping [since, until), newest first, keyset-paginated."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(history_query(q))).all()
        return [Alert.from_json(row.data) for row in rows]

    async def events_after(self, seq: Seq, limit: int = 1000) -> list[Event]:
        query = select(t.events).where(t.events.c.seq > seq).order_by(t.events.c.seq).limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_event(row) for row in rows]

    async def last_event(self, alert_id: AlertId, type: str) -> Event | None:
        """The newest event of `type` about an alert."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(_last_event(alert_id, type))).first()
        return None if row is None else _event(row)

    async def last_seq(self) -> Seq:
        async with self.engine.connect() as conn:
            value = (await conn.execute(select(func.max(t.events.c.seq)))).scalar()
        return int(value or 0)

    async def regions(self) -> list[Region]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.regions).order_by(t.regions.c.position))).all()
        return [_region(row) for row in rows]

    async def region_count(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(t.regions))).scalar_one()
            )

    async def max_region_position(self) -> int:
        async with self.engine.connect() as conn:
            value = (await conn.execute(select(func.max(t.regions.c.position)))).scalar()
        return int(value) if value is not None else -1

    async def token_by_hash(self, secret_hash: str) -> TokenRecord | None:
        query = select(t.tokens).where(t.tokens.c.secret_hash == secret_hash)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _token(row)

    async def audit_entries(self, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        query = select(t.audit).where(t.audit.c.seq > after).order_by(t.audit.c.seq)
        if limit is not None:
            query = query.limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_audit_entry(r) for r in rows]

    async def adopt_audit_key(self) -> int:
        """Chain a trail written before the key was configured again under it (once, if its
        plain chain checks out); the number of entries chained again. An operator runs this
        once (`tocsin audit adopt-key`), never the service by itself: a trail rewritten in
        plain SHA-256 by someone without the key must not be vouched for at the next start."""
        key = self.audit_key
        if key is None:
            return 0
        async with self.write() as tx:
            first = (
                await tx.conn.execute(select(t.audit).order_by(t.audit.c.seq).limit(1))
            ).first()
            if first is None or _audit_entry(first).hash == chain_hash(_audit_entry(first), key):
                return 0
            rows = (await tx.conn.execute(select(t.audit).order_by(t.audit.c.seq))).all()
            keyed = rechain([_audit_entry(row) for row in rows], key)
            if keyed is None:
                return 0  # not a plain chain that checks out: verifying will say so
            for entry in keyed:
                await tx.conn.execute(
                    update(t.audit)
                    .where(t.audit.c.seq == entry.seq)
                    .values(prev_hash=entry.prev_hash, hash=entry.hash)
                )
        return len(keyed)

    async def audit_head(self) -> tuple[int, str] | None:
        """The newest audit entry's seq and hash."""
        query = select(t.audit.c.seq, t.audit.c.hash).order_by(t.audit.c.seq.desc()).limit(1)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (int(row.seq), str(row.hash))

    async def events_of_type(self, type: str) -> list[Event]:
        query = select(t.events).where(t.events.c.type == type).order_by(t.events.c.seq)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_event(row) for row in rows]

    async def event_seqs(self, after: int) -> list[int]:
        query = select(t.events.c.seq).where(t.events.c.seq > after).order_by(t.events.c.seq)
        async with self.engine.connect() as conn:
            return [int(seq) for seq in (await conn.execute(query)).scalars()]

    async def tokens(self) -> list[TokenRecord]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.tokens).order_by(t.tokens.c.created_at))).all()
        return [_token(row) for row in rows]


async def _get_alert(conn: AsyncConnection, alert_id: AlertId) -> Alert | None:
    row = (await conn.execute(select(t.alerts.c.data).where(t.alerts.c.id == alert_id))).first()
    return None if row is None else Alert.from_json(row.data)


def _alert_row(alert: Alert) -> dict[str, Any]:
    return {
        "status": alert.status.value,
        "phase": alert.phase.value,
        "threat": alert.threat,
        "raised_at": alert.raised_at,
        "ended_at": alert.ended_at,
        "expires_at": alert.expires_at,
        "version": alert.version,
        "data": alert.to_json(),
    }


def _region_row(region: Region, position: int) -> dict[str, Any]:
    geometry = region.geojson_geometry()
    return {
        "code": region.code,
        "position": position,
        "parent": region.parent,
        "level": region.level,
        "names": dict(region.names),
        "geometry": None if geometry is None else orjson.dumps(geometry).decode(),
        "time_to_shelter": region.time_to_shelter,
        "external_id": region.external_id,
        "pack": region.pack,
        "katottg": region.katottg,
        "aliases": list(region.aliases) or None,
    }


@lru_cache(maxsize=8192)
def _shape(text: str) -> BaseGeometry:
    """A stored shape, parsed once per process: every node start reads the same few thousand
    (shapes are immutable, so one object serves every tree)."""
    return shapely.from_geojson(text)


def _region(row: Row[Any]) -> Region:
    geometry = None if row.geometry is None else _shape(row.geometry)
    return Region(
        code=row.code,
        level=row.level,
        names=row.names,
        parent=row.parent,
        geometry=geometry,
        time_to_shelter=row.time_to_shelter,
        external_id=row.external_id,
        pack=row.pack,
        katottg=row.katottg,
        aliases=tuple(row.aliases or ()),
    )


def _last_event(alert_id: AlertId, type: str) -> Select[Any]:
    return (
        select(t.events)
        .where(t.events.c.alert_id == alert_id, t.events.c.type == type)
        .order_by(t.events.c.seq.desc())
        .limit(1)
    )


def _event(row: Row[Any]) -> Event:
    return Event(row.seq, row.id, row.type, row.time, row.actor, row.alert_id, row.data)


def _token(row: Row[Any]) -> TokenRecord:
    regions = None if row.regions is None else tuple(row.regions)
    return TokenRecord(row.id, row.name, row.role, regions, row.created_at, row.revoked_at)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _audit_entry(r: Row[Any]) -> AuditEntry:
    return AuditEntry(
        r.seq, r.time, r.actor, r.role, r.origin, r.action, r.target, r.detail, r.prev_hash, r.hash
    )


AUDIT_FIELDS = tuple(f.name for f in fields(AuditEntry))


def _audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in AUDIT_FIELDS}

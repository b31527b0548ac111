"""The SQL unit of work: one `Store.write()` transaction with the repositories of the ports.

Events and audit rows staged with `record` are written when the unit ends without an
exception, just before it commits: the events take the next gap-free seqs in one statement, the
rows that name their event's seq (the record of incidents) are written, and the audit rows are
chained after the trail's head, each naming the seqs of its events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import datetime

from tocsin.domain.alerts import Alert
from tocsin.domain.audit import Audited, AuditEntry
from tocsin.domain.drills import DrillRecord
from tocsin.domain.events import Event, NewEvent
from tocsin.domain.regions import Region
from tocsin.domain.sirens import SirenRecord
from tocsin.domain.subscriptions import SubscriptionRecord
from tocsin.records.storage.history_store import SqlHistory
from tocsin.records.storage.incident_repository import SqlIncidents
from tocsin.records.storage.report_store import SqlReports
from tocsin.storage import delivery_store as subs
from tocsin.storage import drill_store as drills
from tocsin.storage import siren_store as sirens
from tocsin.storage.account_store import SqlAccounts
from tocsin.storage.cap_store import SqlImportedMessages
from tocsin.storage.store import Store, Tx
from tocsin.types import AlertId, Seq


class SqlAlerts:
    """New alerts are written together when the unit commits (a burst of raises is one
    statement, not one each); they are read back from memory until then."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._new: dict[AlertId, Alert] = {}

    async def get(self, alert_id: AlertId) -> Alert | None:
        pending = self._new.get(alert_id)
        return pending if pending is not None else await self._tx.get_alert(alert_id)

    async def add(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            if alert.id in self._new:
                raise ValueError(f"alert {alert.id} is added twice")
            self._new[alert.id] = alert

    async def save(self, alert: Alert) -> None:
        if alert.id in self._new:
            self._new[alert.id] = alert
            return
        await self._tx.save_alert(alert, new=False)

    async def flush(self) -> None:
        new, self._new = list(self._new.values()), {}
        await self._tx.add_alerts(new)


class SqlKeys:
    """Idempotency keys, written with the unit's new alerts when it commits."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._new: dict[tuple[str, str], tuple[str, str, datetime]] = {}

    async def find(self, actor: str, key: str) -> tuple[str, str] | None:
        pending = self._new.get((actor, key))
        if pending is not None:
            return pending[0], pending[1]
        return await self._tx.idempotent(actor, key)

    async def remember(
        self, actor: str, key: str, request_hash: str, made: str, now: datetime
    ) -> None:
        self._new[(actor, key)] = (request_hash, made, now)

    async def flush(self) -> None:
        new, self._new = self._new, {}
        await self._tx.remember_keys([(actor, key, *rest) for (actor, key), rest in new.items()])


class SqlRegions:
    def __init__(self, tx: Tx, store: Store) -> None:
        self._tx = tx
        self._store = store

    async def put(self, regions: Sequence[Region]) -> None:
        start = await self._store.max_region_position() + 1
        await self._tx.put_regions(regions, start=start)

    async def change(self, region: Region) -> None:
        await self._tx.change_region(region)


class SqlTokens:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(
        self,
        *,
        token_id: str,
        name: str,
        role: str,
        regions: Sequence[str] | None,
        secret_hash: str,
        now: datetime,
    ) -> None:
        await self._tx.add_token(
            token_id=token_id,
            name=name,
            role=role,
            regions=regions,
            secret_hash=secret_hash,
            now=now,
        )

    async def active(self, token_id: str) -> bool:
        return await self._tx.token_active(token_id)

    async def revoke(self, token_id: str, now: datetime) -> bool:
        return await self._tx.revoke_token(token_id, now)


class SqlSubscriptions:
    def __init__(self, tx: Tx) -> None:
        self._conn = tx.conn

    async def get(self, subscription_id: str) -> SubscriptionRecord | None:
        return await subs.get_subscription(self._conn, subscription_id)

    async def add(self, record: SubscriptionRecord) -> None:
        await subs.insert_subscription(self._conn, record)

    async def set_state(self, subscription_id: str, state: str, reason: str | None) -> None:
        await subs.set_subscription_state(self._conn, subscription_id, state, reason)

    async def delete(self, subscription_id: str) -> None:
        await subs.delete_subscription(self._conn, subscription_id)


class SqlSirens:
    def __init__(self, tx: Tx) -> None:
        self._conn = tx.conn

    async def get(self, siren_id: str) -> SirenRecord | None:
        return await sirens.get_siren(self._conn, siren_id)

    async def add(self, record: SirenRecord) -> None:
        await sirens.insert_siren(self._conn, record)

    async def delete(self, siren_id: str) -> None:
        await sirens.delete_siren(self._conn, siren_id)

    async def set_health(self, siren_id: str, state: str, reason: str | None) -> None:
        await sirens.set_health(self._conn, siren_id, state, reason)


class SqlDrills:
    def __init__(self, tx: Tx) -> None:
        self._conn = tx.conn

    async def get(self, drill_id: str) -> DrillRecord | None:
        return await drills.get_drill(self._conn, drill_id)

    async def all(self) -> list[DrillRecord]:
        return await drills.all_drills(self._conn)

    async def add(self, record: DrillRecord) -> None:
        await drills.insert_drill(self._conn, record)

    async def save(self, record: DrillRecord) -> None:
        await drills.save_drill(self._conn, record)


class SqlLog:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def head(self) -> Seq:
        return await self._tx.head()

    async def last(self, alert_id: AlertId, type: str) -> Event | None:
        return await self._tx.last_event(alert_id, type)


class SqlUnitOfWork:
    def __init__(self, tx: Tx, store: Store) -> None:
        self.tx = tx
        self.alerts = SqlAlerts(tx)
        self.keys = SqlKeys(tx)
        self.regions = SqlRegions(tx, store)
        self.tokens = SqlTokens(tx)
        self.accounts = SqlAccounts(tx.conn)
        self.incidents = SqlIncidents(tx)
        self.history = SqlHistory(tx)
        self.reports = SqlReports(tx)
        self.cap_messages = SqlImportedMessages(tx)
        self.subscriptions = SqlSubscriptions(tx)
        self.sirens = SqlSirens(tx)
        self.log = SqlLog(tx)
        self.drills = SqlDrills(tx)
        self._staged: list[tuple[Audited, Sequence[NewEvent]]] = []

    def record(self, audited: Audited, events: Sequence[NewEvent] = ()) -> None:
        self._staged.append((audited, events))

    @property
    def events(self) -> Sequence[Event]:
        return self.tx.events

    @property
    def audited(self) -> Sequence[AuditEntry]:
        return self.tx.audited

    async def flush(self) -> None:
        """Write what was staged: every event, then every audit row naming its events."""
        await self.alerts.flush()
        await self.keys.flush()
        staged, self._staged = self._staged, []
        if not staged:
            return
        new = [e for _, events in staged for e in events]
        numbered = await self.tx.append_all(new)
        await self.incidents.settle({id(e): event for e, event in zip(new, numbered, strict=True)})
        appended = iter(numbered)
        rows = []
        for audited, events in staged:
            seqs = [next(appended).seq for _ in events]
            rows.append(replace(audited, detail={**audited.detail, "events": seqs}))
        await self.tx.audit_all(rows)


class SqlUnitOfWorkFactory:
    """`factory()` opens a unit of work on `store`; it commits when the block ends cleanly."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self) -> AbstractAsyncContextManager[SqlUnitOfWork, bool | None]:
        return self._open()

    @asynccontextmanager
    async def _open(self) -> AsyncIterator[SqlUnitOfWork]:
        async with self.store.write() as tx:
            uow = SqlUnitOfWork(tx, self.store)
            yield uow
            await uow.flush()

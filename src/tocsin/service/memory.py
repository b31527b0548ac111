"""An in-memory unit of work: the ports' fake, real code that service tests run through the bus.

`MemoryState` holds what a database would: alerts, idempotency keys, regions, tokens,
subscriptions, sirens, the event log and the audit trail. A unit of work works on copies and
puts them back only when it ends without an exception, so a refused command leaves the state as
it was.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from tocsin.domain.alerts import Alert
from tocsin.domain.audit import GENESIS, Audited, AuditEntry, chain_hash
from tocsin.domain.events import Event, NewEvent
from tocsin.domain.regions import Region
from tocsin.domain.sirens import SirenRecord
from tocsin.domain.subscriptions import SubscriptionRecord
from tocsin.types import AlertId, Seq


@dataclass
class MemoryState:
    audit_key: bytes | None = None
    alerts: dict[AlertId, Alert] = field(default_factory=dict)
    keys: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, SubscriptionRecord] = field(default_factory=dict)
    sirens: dict[str, SirenRecord] = field(default_factory=dict)
    log: list[Event] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)


class MemoryAlerts:
    def __init__(self, alerts: dict[AlertId, Alert]) -> None:
        self._alerts = alerts

    async def get(self, alert_id: AlertId) -> Alert | None:
        return self._alerts.get(alert_id)

    async def add(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            if alert.id in self._alerts:
                raise KeyError(f"alert {alert.id} exists")
            self._alerts[alert.id] = alert

    async def save(self, alert: Alert) -> None:
        self._alerts[alert.id] = alert


class MemoryKeys:
    def __init__(self, keys: dict[tuple[str, str], tuple[str, str]]) -> None:
        self._keys = keys

    async def find(self, actor: str, key: str) -> tuple[str, str] | None:
        return self._keys.get((actor, key))

    async def remember(
        self, actor: str, key: str, request_hash: str, made: str, now: datetime
    ) -> None:
        if (actor, key) in self._keys:
            raise KeyError(f"key {key!r} of {actor!r} is known")
        self._keys[(actor, key)] = (request_hash, made)


class MemoryRegions:
    def __init__(self, regions: dict[str, Region]) -> None:
        self._regions = regions

    async def put(self, regions: Sequence[Region]) -> None:
        for region in regions:
            self._regions[region.code] = region


class MemoryTokens:
    def __init__(self, tokens: dict[str, dict[str, Any]]) -> None:
        self._tokens = tokens

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
        self._tokens[token_id] = {
            "name": name,
            "role": role,
            "regions": None if regions is None else sorted(regions),
            "secret_hash": secret_hash,
            "created_at": now,
            "revoked_at": None,
        }

    async def active(self, token_id: str) -> bool:
        token = self._tokens.get(token_id)
        return token is not None and token["revoked_at"] is None

    async def revoke(self, token_id: str, now: datetime) -> bool:
        token = self._tokens.get(token_id)
        if token is None or token["revoked_at"] is not None:
            return False
        token["revoked_at"] = now
        return True


class MemorySubscriptions:
    def __init__(self, records: dict[str, SubscriptionRecord]) -> None:
        self._records = records

    async def get(self, subscription_id: str) -> SubscriptionRecord | None:
        return self._records.get(subscription_id)

    async def add(self, record: SubscriptionRecord) -> None:
        if record.id in self._records:
            raise KeyError(f"subscription {record.id} exists")
        self._records[record.id] = record

    async def set_state(self, subscription_id: str, state: str, reason: str | None) -> None:
        record = self._records[subscription_id]
        self._records[subscription_id] = replace(record, state=state, state_reason=reason)

    async def delete(self, subscription_id: str) -> None:
        self._records.pop(subscription_id, None)


class MemorySirens:
    def __init__(self, records: dict[str, SirenRecord]) -> None:
        self._records = records

    async def get(self, siren_id: str) -> SirenRecord | None:
        return self._records.get(siren_id)

    async def add(self, record: SirenRecord) -> None:
        if record.id in self._records:
            raise KeyError(f"siren {record.id} exists")
        self._records[record.id] = record

    async def delete(self, siren_id: str) -> None:
        self._records.pop(siren_id, None)

    async def set_health(self, siren_id: str, state: str, reason: str | None) -> None:
        record = self._records[siren_id]
        self._records[siren_id] = replace(record, state=state, fault_reason=reason)


class MemoryLog:
    def __init__(self, log: list[Event]) -> None:
        self._log = log

    async def head(self) -> Seq:
        return self._log[-1].seq if self._log else 0

    async def last(self, alert_id: AlertId, type: str) -> Event | None:
        found = [e for e in self._log if e.alert_id == alert_id and e.type == type]
        return found[-1] if found else None


class MemoryUnitOfWork:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._alerts = dict(state.alerts)
        self._keys = dict(state.keys)
        self._regions = dict(state.regions)
        self._tokens = copy.deepcopy(state.tokens)
        self._subscriptions = dict(state.subscriptions)
        self._sirens = dict(state.sirens)
        self.alerts = MemoryAlerts(self._alerts)
        self.keys = MemoryKeys(self._keys)
        self.regions = MemoryRegions(self._regions)
        self.tokens = MemoryTokens(self._tokens)
        self.subscriptions = MemorySubscriptions(self._subscriptions)
        self.sirens = MemorySirens(self._sirens)
        self.log = MemoryLog(state.log)
        self._staged: list[tuple[Audited, Sequence[NewEvent]]] = []
        self._events: list[Event] = []
        self._audited: list[AuditEntry] = []

    def record(self, audited: Audited, events: Sequence[NewEvent] = ()) -> None:
        self._staged.append((audited, events))

    @property
    def events(self) -> Sequence[Event]:
        return self._events

    @property
    def audited(self) -> Sequence[AuditEntry]:
        return self._audited

    def commit(self) -> None:
        state = self._state
        seq = state.log[-1].seq if state.log else 0
        last = state.audit[-1] if state.audit else None
        audit_seq, prev = (0, GENESIS) if last is None else (last.seq, last.hash)
        for audited, events in self._staged:
            seqs = []
            for new in events:
                seq += 1
                event = Event(
                    seq, str(uuid.uuid4()), new.type, new.time, new.actor, new.alert_id, new.data
                )
                self._events.append(event)
                seqs.append(seq)
            audit_seq += 1
            entry = AuditEntry(
                audit_seq,
                audited.time,
                audited.actor.label,
                audited.actor.role.value,
                audited.actor.origin,
                audited.action,
                audited.target,
                {**audited.detail, "events": seqs},
                prev,
                "",
            )
            entry = replace(entry, hash=chain_hash(entry, state.audit_key))
            self._audited.append(entry)
            prev = entry.hash
        state.alerts, state.keys = self._alerts, self._keys
        state.regions, state.tokens = self._regions, self._tokens
        state.subscriptions, state.sirens = self._subscriptions, self._sirens
        state.log.extend(self._events)
        state.audit.extend(self._audited)


class MemoryUnitOfWorkFactory:
    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state or MemoryState()

    def __call__(self) -> AbstractAsyncContextManager[MemoryUnitOfWork, bool | None]:
        return self._open()

    @asynccontextmanager
    async def _open(self) -> AsyncIterator[MemoryUnitOfWork]:
        uow = MemoryUnitOfWork(self.state)
        yield uow
        uow.commit()

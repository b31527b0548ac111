"""An in-memory unit of work: the ports' fake, real code that service tests run through the bus.

`MemoryState` holds what a database would: alerts, idempotency keys, regions, tokens, incident
records, imported history, imported CAP messages, the event log and the audit trail. A unit of
work works on copies and puts them back only when it ends without an exception, so a refused
command leaves the state as it was.
`MemoryState` holds what a database would: alerts, idempotency keys, regions, tokens,
subscriptions, sirens, the event log and the audit trail. A unit of work works on copies and
puts them back only when it ends without an exception, so a refused command leaves the state as
it was.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from tocsin.domain.accounts import Account, Session, StoredAccount, StoredSession
from tocsin.domain.alerts import Alert, Status
from tocsin.domain.audit import GENESIS, Audited, AuditEntry, chain_hash
from tocsin.domain.cap_messages import ImportedMessage
from tocsin.domain.drills import DrillRecord
from tocsin.domain.events import Event, NewEvent
from tocsin.domain.regions import Region
from tocsin.domain.sirens import SirenRecord
from tocsin.domain.subscriptions import SubscriptionRecord
from tocsin.errors import Conflict
from tocsin.records.domain.claims import Claim, StatusChange
from tocsin.records.domain.history import ImportRecord, NewAlerts
from tocsin.records.domain.incidents import Incident, IncidentRecord
from tocsin.records.domain.reports import Proposal, Report
from tocsin.records.domain.responses import ResponseAction, ResponseUpdate
from tocsin.types import AlertId, Seq


@dataclass
class MemoryState:
    audit_key: bytes | None = None
    alerts: dict[AlertId, Alert] = field(default_factory=dict)
    keys: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    incidents: dict[str, IncidentRecord] = field(default_factory=dict)
    imports: dict[str, ImportRecord] = field(default_factory=dict)
    imported: set[AlertId] = field(default_factory=set)
    cap_messages: dict[tuple[str, str], ImportedMessage] = field(default_factory=dict)
    subscriptions: dict[str, SubscriptionRecord] = field(default_factory=dict)
    sirens: dict[str, SirenRecord] = field(default_factory=dict)
    drills: dict[str, DrillRecord] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    accounts: dict[str, StoredAccount] = field(default_factory=dict)
    sessions: dict[str, StoredSession] = field(default_factory=dict)
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

    async def change(self, region: Region) -> None:
        self._regions[region.code] = region  # a known code keeps its place


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


class MemoryIncidents:
    """Incident records; a write waits for its event's seq (`settle`, when the unit commits)."""

    def __init__(self, records: dict[str, IncidentRecord], alerts: dict[AlertId, Alert]) -> None:
        self._records = records
        self._alerts = alerts
        self._staged: list[tuple[NewEvent, Callable[[int], None]]] = []

    async def get(self, incident_id: str) -> IncidentRecord | None:
        return self._records.get(incident_id)

    async def known_alerts(self, alert_ids: Sequence[AlertId]) -> set[AlertId]:
        return {a for a in alert_ids if a in self._alerts}

    async def add(self, incident: Incident, event: NewEvent) -> None:
        self._stage(event, lambda seq: self._put(IncidentRecord(incident)))

    async def update(self, before: Incident, after: Incident, event: NewEvent) -> None:
        self._stage(event, lambda seq: self._put(replace(self._records[after.id], incident=after)))

    async def add_claim(self, claim: Claim, event: NewEvent) -> None:
        def write(seq: int) -> None:
            record = self._records[claim.incident_id]
            self._put(replace(record, claims=(*record.claims, replace(claim, seq=seq))))

        self._stage(event, write)

    async def change_claim(self, claim: Claim, change: StatusChange, event: NewEvent) -> None:
        def write(seq: int) -> None:
            record = self._records[claim.incident_id]
            claims = tuple(
                replace(c, changes=(*c.changes, replace(change, seq=seq)))
                if c.id == claim.id
                else c
                for c in record.claims
            )
            self._put(replace(record, claims=claims))

        self._stage(event, write)

    async def add_response(self, action: ResponseAction, event: NewEvent) -> None:
        def write(seq: int) -> None:
            record = self._records[action.incident_id]
            added = replace(action, seq=seq)
            self._put(replace(record, responses=(*record.responses, added)))

        self._stage(event, write)

    async def update_response(
        self, action: ResponseAction, change: ResponseUpdate, event: NewEvent
    ) -> None:
        def write(seq: int) -> None:
            record = self._records[action.incident_id]
            actions = tuple(
                replace(r, updates=(*r.updates, replace(change, seq=seq)))
                if r.id == action.id
                else r
                for r in record.responses
            )
            self._put(replace(record, responses=actions))

        self._stage(event, write)

    def settle(self, numbered: dict[int, Event]) -> None:
        staged, self._staged = self._staged, []
        for new, write in staged:
            write(numbered[id(new)].seq)

    def _put(self, record: IncidentRecord) -> None:
        self._records[record.incident.id] = record

    def _stage(self, event: NewEvent, write: Callable[[int], None]) -> None:
        self._staged.append((event, write))


class MemoryHistory:
    """Imported history: the ids of the alerts imported, and each import's progress."""

    def __init__(self, imported: set[AlertId], imports: dict[str, ImportRecord]) -> None:
        self._imported = imported
        self._imports = imports

    async def existing(self, ids: Sequence[AlertId]) -> set[AlertId]:
        return {i for i in ids if i in self._imported}

    async def add(self, new: NewAlerts) -> None:
        self._imported.update(new.ids)

    async def save_progress(self, record: ImportRecord, *, new: bool) -> None:
        if new and record.fingerprint in self._imports:
            raise KeyError(f"import {record.fingerprint} exists")
        self._imports[record.fingerprint] = record


class MemoryReports:
    def __init__(self, reports: dict[str, Report]) -> None:
        self._reports = reports

    async def get(self, report_id: str) -> Report | None:
        return self._reports.get(report_id)

    async def add(self, report: Report) -> None:
        self._reports[report.id] = report

    async def save_proposal(self, report_id: str, proposal: Proposal) -> None:
        report = self._reports[report_id]
        old = report.proposal(proposal.id)
        if old is None or old.status.value != "pending":
            raise Conflict(f"proposal {proposal.id} was decided meanwhile", field="status")
        kept = tuple(proposal if p.id == proposal.id else p for p in report.proposals)
        self._reports[report_id] = replace(report, proposals=kept)


class MemoryImportedMessages:
    def __init__(self, messages: dict[tuple[str, str], ImportedMessage]) -> None:
        self._messages = messages

    async def find(self, sender: str, identifier: str) -> ImportedMessage | None:
        return self._messages.get((sender, identifier))

    async def alerts_of(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], AlertId]:
        return {k: self._messages[k].alert_id for k in keys if k in self._messages}

    async def add(self, message: ImportedMessage) -> None:
        if message.key in self._messages:
            raise KeyError(f"message {message.identifier!r} of {message.sender!r} is known")
        self._messages[message.key] = message


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


class MemoryDrills:
    def __init__(self, records: dict[str, DrillRecord]) -> None:
        self._records = records

    async def get(self, drill_id: str) -> DrillRecord | None:
        return self._records.get(drill_id)

    async def all(self) -> list[DrillRecord]:
        return sorted(self._records.values(), key=lambda d: d.scheduled_for)

    async def add(self, record: DrillRecord) -> None:
        if record.id in self._records:
            raise KeyError(f"drill {record.id} exists")
        self._records[record.id] = record

    async def save(self, record: DrillRecord) -> None:
        self._records[record.id] = record


class MemoryLog:
    def __init__(self, log: list[Event]) -> None:
        self._log = log

    async def head(self) -> Seq:
        return self._log[-1].seq if self._log else 0

    async def last(self, alert_id: AlertId, type: str) -> Event | None:
        found = [e for e in self._log if e.alert_id == alert_id and e.type == type]
        return found[-1] if found else None


class MemoryAccounts:
    """Accounts with their password hashes, and sessions by the hash of their id."""

    def __init__(
        self, accounts: dict[str, StoredAccount], sessions: dict[str, StoredSession]
    ) -> None:
        self._accounts = accounts
        self._sessions = sessions

    async def get(self, username: str) -> StoredAccount | None:
        return self._accounts.get(username)

    async def add(self, account: Account, password_hash: str) -> None:
        if account.username in self._accounts:
            raise KeyError(f"account {account.username!r} exists")
        self._accounts[account.username] = StoredAccount(account, password_hash)

    async def change(self, username: str, **values: Any) -> bool:
        stored = self._accounts.get(username)
        if stored is None:
            return False
        hash_ = values.pop("password_hash", stored.password_hash)
        if "regions" in values and values["regions"] is not None:
            values["regions"] = tuple(values["regions"])
        self._accounts[username] = StoredAccount(replace(stored.account, **values), hash_)
        return True

    async def open_sessions(self, username: str) -> int:
        return sum(1 for s in self._open() if s.session.account.username == username)

    async def end_sessions(self, username: str, now: datetime) -> int:
        ending = [k for k, s in self._sessions.items() if s in self._open(username)]
        for key in ending:
            self._sessions[key] = replace(self._sessions[key], ended_at=now)
        return len(ending)

    async def open_session(self, id_hash: str, session: Session, now: datetime) -> None:
        self._sessions[id_hash] = StoredSession(session, None)

    async def change_session(self, id_hash: str, **values: Any) -> None:
        stored = self._sessions[id_hash]
        if "ended_at" in values:
            stored = replace(stored, ended_at=values.pop("ended_at"))
        if "mode" in values:
            stored = replace(stored, session=replace(stored.session, mode=Status(values["mode"])))
        self._sessions[id_hash] = stored

    def _open(self, username: str | None = None) -> list[StoredSession]:
        return [
            s
            for s in self._sessions.values()
            if s.ended_at is None and username in (None, s.session.account.username)
        ]


class MemoryUnitOfWork:
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._alerts = dict(state.alerts)
        self._keys = dict(state.keys)
        self._regions = dict(state.regions)
        self._tokens = copy.deepcopy(state.tokens)
        self._incidents = dict(state.incidents)
        self._imports = dict(state.imports)
        self._imported = set(state.imported)
        self._cap_messages = dict(state.cap_messages)
        self._subscriptions = dict(state.subscriptions)
        self._sirens = dict(state.sirens)
        self._drills = dict(state.drills)
        self._reports = dict(state.reports)
        self._accounts = dict(state.accounts)
        self._sessions = dict(state.sessions)
        self.alerts = MemoryAlerts(self._alerts)
        self.keys = MemoryKeys(self._keys)
        self.regions = MemoryRegions(self._regions)
        self.tokens = MemoryTokens(self._tokens)
        self.incidents = MemoryIncidents(self._incidents, self._alerts)
        self.history = MemoryHistory(self._imported, self._imports)
        self.cap_messages = MemoryImportedMessages(self._cap_messages)
        self.subscriptions = MemorySubscriptions(self._subscriptions)
        self.sirens = MemorySirens(self._sirens)
        self.drills = MemoryDrills(self._drills)
        self.reports = MemoryReports(self._reports)
        self.log = MemoryLog(state.log)
        self.accounts = MemoryAccounts(self._accounts, self._sessions)
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
        numbered: dict[int, Event] = {}
        for audited, events in self._staged:
            seqs = []
            for new in events:
                seq += 1
                event = Event(
                    seq, str(uuid.uuid4()), new.type, new.time, new.actor, new.alert_id, new.data
                )
                self._events.append(event)
                numbered[id(new)] = event
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
        self.incidents.settle(numbered)
        state.alerts, state.keys = self._alerts, self._keys
        state.regions, state.tokens = self._regions, self._tokens
        state.incidents, state.imports, state.imported = (
            self._incidents,
            self._imports,
            self._imported,
        )
        state.cap_messages = self._cap_messages
        state.subscriptions, state.sirens = self._subscriptions, self._sirens
        state.drills, state.reports = self._drills, self._reports
        state.accounts, state.sessions = self._accounts, self._sessions
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

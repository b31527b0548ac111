"""Incident commands and reads: load, apply the domain rules, commit with one event, tell.

Every command is one `store.write()` transaction that checks the command (domain rules, region
scope, a console session's mode), appends one `incident.*` event with the actor (the audit
trail), and appends rows to the incident tables. A refused command writes nothing.

Recording an incident and adding a claim take an idempotency key, as raising an alert does: a
retry with the same key and the same command answers what the first one made and writes
nothing; the same key with another command is refused.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from tocsin.domain.alerts import Status
from tocsin.domain.auth import Actor
from tocsin.domain.events import Event
from tocsin.domain.threats import Catalogue
from tocsin.errors import Conflict, InvalidInput, NotFound
from tocsin.records.domain import incidents as rules
from tocsin.records.domain.claims import ACTIONS, MAX_NOTE, Claim, change_status, parse_enum, text
from tocsin.records.domain.incidents import (
    STATUS_EVENTS,
    AddClaim,
    AmendIncident,
    Change,
    CreateIncident,
    EventType,
    IncidentRecord,
    authorize_incident,
)
from tocsin.records.domain.responses import (
    AddResponse,
    ResponseAction,
    ResponseStatus,
    UpdateResponse,
    new_response,
    update_response,
)
from tocsin.records.storage import incident_store as db
from tocsin.records.storage.incident_store import IncidentQuery, IncidentStore
from tocsin.service.ports import Clock, CommitListener
from tocsin.service.queries import parse_statuses
from tocsin.service.regions import RegionService
from tocsin.storage.store import Store, Tx
from tocsin.types import AlertId, RegionCode

RESPONSE_EVENTS = {
    ResponseStatus.COMPLETED: EventType.RESPONSE_COMPLETED,
    ResponseStatus.CANCELLED: EventType.RESPONSE_CANCELLED,
}


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Filters as clients send them; checked here."""

    region: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    threat: str | None = None  # threat ids, comma-separated
    status: str | None = None  # open or closed
    mode: str = "actual"  # actual, exercise, test (comma-separated) or all
    before: tuple[datetime, str] | None = None
    limit: int | None = 100


class IncidentService:
    def __init__(
        self,
        store: Store,
        regions: RegionService,
        catalogue: Catalogue,
        clock: Clock,
        listeners: Sequence[CommitListener] = (),
    ) -> None:
        self.store = store
        self.regions = regions
        self.catalogue = catalogue
        self.clock = clock
        self.listeners = list(listeners)
        self.reads = IncidentStore(store)

    # --- commands ----------------------------------------------------------------------------

    async def create(
        self, cmd: CreateIncident, actor: Actor, *, idempotency_key: str | None = None
    ) -> tuple[IncidentRecord, bool]:
        """Record an incident; returns it and whether it is new (False: a replayed request)."""
        tree = self.regions.tree
        rules.check_mode(actor, parse_enum(Status, cmd.mode, "mode"))
        authorize_incident(actor, cmd.regions, tree)
        now = self.clock.now()
        incident = rules.create_incident(
            cmd,
            incident_id=str(uuid.uuid4()),
            now=now,
            actor=actor.label,
            tree=tree,
            catalogue=self.catalogue,
        )
        async with self.store.write() as tx:
            if idempotency_key is not None:
                request = _request_hash("incident.create", cmd)
                made = await self._replayed(tx, actor, idempotency_key, request)
                if made is not None:
                    return await self._load(tx, made, actor), False
                await tx.remember_key(actor.label, idempotency_key, request, incident.id, now)
            await self._check_alerts(tx, incident.alerts, "alerts")
            event = await self._record(
                tx, actor, EventType.CREATED, incident.id, {"incident": incident.to_json()}, now
            )
            await db.insert_incident(tx, incident, event.seq)
        self._tell(tx)
        return IncidentRecord(incident), True

    async def amend(self, incident_id: str, cmd: AmendIncident, actor: Actor) -> IncidentRecord:
        def apply(record: IncidentRecord, now: datetime) -> Change | None:
            authorize_incident(actor, cmd.add_regions, self.regions.tree, field="add_regions")
            return rules.amend_incident(
                record.incident, cmd, now=now, tree=self.regions.tree, catalogue=self.catalogue
            )

        return await self._change(incident_id, actor, apply)

    async def link_alerts(
        self, incident_id: str, alert_ids: Sequence[AlertId], actor: Actor
    ) -> IncidentRecord:
        def apply(record: IncidentRecord, now: datetime) -> Change | None:
            return rules.link_alerts(record.incident, alert_ids, now=now)

        return await self._change(incident_id, actor, apply, alerts=alert_ids)

    async def close(
        self,
        incident_id: str,
        actor: Actor,
        *,
        end: datetime | None = None,
        note: str | None = None,
    ) -> IncidentRecord:
        def apply(record: IncidentRecord, now: datetime) -> Change:
            return rules.close_incident(record.incident, now=now, end=end)

        return await self._change(incident_id, actor, apply, note=note)

    async def reopen(
        self, incident_id: str, actor: Actor, *, note: str | None = None
    ) -> IncidentRecord:
        def apply(record: IncidentRecord, now: datetime) -> Change:
            return rules.reopen_incident(record.incident, now=now)

        return await self._change(incident_id, actor, apply, note=note)

    async def add_claim(
        self,
        incident_id: str,
        cmd: AddClaim,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> tuple[IncidentRecord, Claim, bool]:
        """Add a claim; returns the incident, the claim and whether it is new (False: a
        replayed request, answered with the claim the first one added)."""
        async with self.store.write() as tx:
            record = await self._load(tx, incident_id, actor)
            request = _request_hash("incident.claim", {"incident_id": incident_id, **asdict(cmd)})
            if idempotency_key is not None:
                made = await self._replayed(tx, actor, idempotency_key, request)
                if made is not None:
                    return record, _claim(record, made), False
            now = self.clock.now()
            claim = rules.new_claim(
                record,
                cmd,
                claim_id=str(uuid.uuid4()),
                now=now,
                actor=actor.label,
                catalogue=self.catalogue,
            )
            if idempotency_key is not None:
                await tx.remember_key(actor.label, idempotency_key, request, claim.id, now)
            event = await self._record(
                tx, actor, EventType.CLAIM_ADDED, incident_id, {"claim": claim.to_json()}, now
            )
            claim = replace(claim, seq=event.seq)
            await db.insert_claim(tx, claim)
        self._tell(tx)
        return replace(record, claims=(*record.claims, claim)), claim, True

    async def change_claim(
        self,
        incident_id: str,
        claim_id: str,
        action: str,
        actor: Actor,
        note: str | None = None,
    ) -> tuple[IncidentRecord, Claim]:
        """Verify, dispute or retract a claim (`action`: verify, dispute, retract)."""
        if action not in ACTIONS:
            raise InvalidInput(
                f"unknown action {action!r}; known: {', '.join(ACTIONS)}", field="action"
            )
        async with self.store.write() as tx:
            record = await self._load(tx, incident_id, actor)
            rules.require_open(record.incident, f"{action} a claim of")
            claim = _claim(record, claim_id)
            now = self.clock.now()
            change = change_status(claim, action, now=now, actor=actor.label, note=note)
            data = {
                "claim_id": claim.id,
                "measure": claim.measure.value,
                "from": change.previous.value,
                "to": change.status.value,
                "note": change.note,
            }
            event = await self._record(
                tx, actor, STATUS_EVENTS[change.status], incident_id, data, now
            )
            change = replace(change, seq=event.seq)
            await db.insert_status_change(tx, claim, change)
        self._tell(tx)
        changed = replace(claim, changes=(*claim.changes, change))
        claims = tuple(changed if c.id == claim.id else c for c in record.claims)
        return replace(record, claims=claims), changed

    async def add_response(
        self, incident_id: str, cmd: AddResponse, actor: Actor
    ) -> tuple[IncidentRecord, ResponseAction]:
        async with self.store.write() as tx:
            record = await self._load(tx, incident_id, actor)
            rules.require_open(record.incident, "add a response to")
            now = self.clock.now()
            action = new_response(
                cmd,
                response_id=str(uuid.uuid4()),
                incident_id=incident_id,
                now=now,
                actor=actor.label,
            )
            event = await self._record(
                tx,
                actor,
                EventType.RESPONSE_ADDED,
                incident_id,
                {"response": action.to_json()},
                now,
            )
            action = replace(action, seq=event.seq)
            await db.insert_response(tx, action)
        self._tell(tx)
        return replace(record, responses=(*record.responses, action)), action

    async def update_response(
        self, incident_id: str, response_id: str, cmd: UpdateResponse, actor: Actor
    ) -> tuple[IncidentRecord, ResponseAction]:
        """Progress, a new expected time, completion (`status: completed`) or cancellation."""
        async with self.store.write() as tx:
            record = await self._load(tx, incident_id, actor)
            rules.require_open(record.incident, "update a response of")
            action = record.response(response_id)
            if action is None:
                raise NotFound(
                    f"no response {response_id!r} in incident {incident_id}", field="response_id"
                )
            now = self.clock.now()
            change = update_response(action, cmd, now=now, actor=actor.label)
            kind = RESPONSE_EVENTS.get(change.status, EventType.RESPONSE_UPDATED)
            data = {"response_id": action.id, "update": change.to_json()}
            event = await self._record(tx, actor, kind, incident_id, data, now)
            change = replace(change, seq=event.seq)
            await db.insert_response_update(tx, action, change)
        self._tell(tx)
        changed = replace(action, updates=(*action.updates, change))
        actions = tuple(changed if r.id == action.id else r for r in record.responses)
        return replace(record, responses=actions), changed

    # --- reads -------------------------------------------------------------------------------

    async def get(self, incident_id: str) -> IncidentRecord:
        record = await self.reads.record(incident_id)
        if record is None:
            raise NotFound(f"no incident {incident_id!r}", field="id")
        return record

    async def find(self, f: IncidentFilter) -> list[IncidentRecord]:
        return await self.reads.find(self.query(f))

    async def timeline(self, incident_id: str) -> list[Event]:
        await self.get(incident_id)
        return await self.reads.timeline(incident_id)

    def query(self, f: IncidentFilter) -> IncidentQuery:
        if f.since and f.until and f.until <= f.since:
            raise InvalidInput("until must be after since", field="until")
        if f.status is not None and f.status not in ("open", "closed"):
            raise InvalidInput(f"status must be open or closed; got {f.status!r}", field="status")
        modes = {s.value for s in parse_statuses(f.mode, "mode")}
        return IncidentQuery(
            since=f.since,
            until=f.until,
            regions=None if f.region is None else frozenset(self.area(f.region)),
            threats=None if f.threat is None else frozenset(self._threats(f.threat)),
            status=f.status,
            modes=None if len(modes) == len(Status) else frozenset(modes),
            before=f.before,
            limit=f.limit,
        )

    def area(self, code: RegionCode) -> set[RegionCode]:
        """The region and every region within it."""
        tree = self.regions.tree
        tree.require(code, field="region")
        return {code, *tree.descendants(code)}

    # --- plumbing ----------------------------------------------------------------------------

    async def _change(
        self,
        incident_id: str,
        actor: Actor,
        fn: Callable[[IncidentRecord, datetime], Change | None],
        *,
        alerts: Sequence[AlertId] = (),
        note: str | None = None,
    ) -> IncidentRecord:
        async with self.store.write() as tx:
            record = await self._load(tx, incident_id, actor)
            now = self.clock.now()
            change: Change | None = fn(record, now)
            if change is None:
                return record
            await self._check_alerts(tx, alerts, "alerts")
            data: dict[str, Any] = {
                "incident": change.incident.to_json(),
                "changes": change.changes,
            }
            if note:
                data["note"] = text(note, MAX_NOTE, "note")
            event = await self._record(tx, actor, change.type, incident_id, data, now)
            await db.update_incident(tx, record.incident, change.incident, event.seq)
        self._tell(tx)
        return replace(record, incident=change.incident)

    async def _load(self, tx: Tx, incident_id: str, actor: Actor) -> IncidentRecord:
        record = await db.load_record(tx.conn, incident_id)
        if record is None:
            raise NotFound(f"no incident {incident_id!r}", field="id")
        authorize_incident(actor, record.incident.regions, self.regions.tree)
        rules.check_mode(actor, record.incident.mode, incident_id)
        return record

    async def _replayed(self, tx: Tx, actor: Actor, key: str, request: str) -> str | None:
        """The id of what the first request with this key made; None for a new key."""
        known = await tx.idempotent(actor.label, key)
        if known is None:
            return None
        first, made = known
        if first != request:
            raise Conflict(
                "this idempotency key was used for a different request",
                field="idempotency_key",
                code="idempotency_key_reused",
            )
        return made

    async def _check_alerts(self, tx: Tx, alert_ids: Sequence[AlertId], field: str) -> None:
        if not alert_ids:
            return
        known = await db.existing_alerts(tx, [a for a in alert_ids if "\x00" not in a])
        for index, alert_id in enumerate(alert_ids):
            if alert_id not in known:
                raise InvalidInput(
                    f"no alert {alert_id!r}", field=f"{field}[{index}]", code="unknown_alert"
                )

    async def _record(
        self,
        tx: Tx,
        actor: Actor,
        kind: EventType,
        incident_id: str,
        data: dict[str, Any],
        now: datetime,
    ) -> Event:
        body = {"incident_id": incident_id, **data}
        await tx.audit(actor, kind.value, incident_id, body, now)
        event = await tx.append(
            type=kind.value, time=now, actor=actor.label, alert_id=None, data=body
        )
        await db.log(tx, incident_id, event)
        return event

    def _tell(self, tx: Tx) -> None:
        if tx.events:
            for listener in self.listeners:
                listener.committed(tx.events)

    def _threats(self, text: str) -> set[str]:
        ids = {part.strip() for part in text.split(",") if part.strip()}
        if not ids:
            raise InvalidInput("threat must name at least one threat id", field="threat")
        for threat_id in ids:
            self.catalogue.require(threat_id, field="threat")
        return ids


def _request_hash(command: str, body: Any) -> str:
    data = asdict(body) if not isinstance(body, dict) else body
    text = orjson.dumps({"command": command, **data}, default=str, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()


def _claim(record: IncidentRecord, claim_id: str) -> Claim:
    claim = record.claim(claim_id)
    if claim is None:
        raise NotFound(f"no claim {claim_id!r} in incident {record.incident.id}", field="claim_id")
    return claim

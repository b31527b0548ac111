"""Incident commands: one handler per command on the bus.

A handler loads the incident through the unit of work, authorizes the caller on its regions (the
same roles and region scopes as alerts), checks that a console session is in the incident's mode
(a session records and changes only incidents of its own mode; tokens and the local command
line have no mode), applies the domain rules, and returns one `incident.*` event; the bus writes
it with the incident's rows and the audit row, or nothing when the command is refused.

Recording an incident and adding a claim take an idempotency key, as raising an alert does: a
retry with the same key and the same command answers what the first one made and writes
nothing; the same key with another command is refused.

A handler's result names what it made or changed (with whether it is new, for the commands that
take a key); the service reads the record back once the command has committed, so that every
claim, action and change carries the seq of the event that recorded it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import orjson

from tocsin.domain.alerts import Status
from tocsin.domain.auth import Role
from tocsin.domain.events import WITHHELD, NewEvent
from tocsin.errors import Conflict, InvalidInput, NotFound
from tocsin.records.domain import commands as rc
from tocsin.records.domain import incidents as rules
from tocsin.records.domain.claim_intake import new_claim
from tocsin.records.domain.claims import ACTIONS, MAX_NOTE, Claim, change_status, parse_enum, text
from tocsin.records.domain.incidents import (
    STATUS_EVENTS,
    Change,
    EventType,
    Incident,
    IncidentRecord,
)
from tocsin.records.domain.responses import ResponseStatus, new_response, update_response
from tocsin.records.handlers.ports import records_of
from tocsin.service.bus import CommandBus, Context, Outcome, Unchanged, Write
from tocsin.service.ports import UnitOfWork
from tocsin.types import AlertId

NO_POLICY = "the two-person rule holds alerts; an incident warns no one"
RESPONSE_EVENTS = {
    ResponseStatus.COMPLETED: EventType.RESPONSE_COMPLETED,
    ResponseStatus.CANCELLED: EventType.RESPONSE_CANCELLED,
}

Made = tuple[str, bool]  # the id of what a command made, and whether it is new


async def record_incident(cmd: rc.RecordIncident, ctx: Context) -> Outcome[Made] | Unchanged[Made]:
    spec = cmd.incident
    ctx.check_mode(parse_enum(Status, spec.mode, "mode"), "record", what="incident", field="mode")
    ctx.authorize_regions(spec.regions, subject="incidents")
    ctx.no_policy(NO_POLICY)
    incident = rules.create_incident(
        spec,
        incident_id=str(uuid.uuid4()),
        now=ctx.now,
        actor=ctx.actor.label,
        tree=ctx.tree,
        catalogue=ctx.catalogue,
    )
    key, request = cmd.idempotency_key, _request_hash("incident.create", asdict(spec))
    if key is not None:
        made = await _replayed(ctx, key, request)
        if made is not None:
            return Unchanged((made, False))
    await _check_alerts(ctx, incident.alerts)
    event = _event(ctx, EventType.CREATED, incident, {"incident": incident.to_json()})

    async def write(uow: UnitOfWork) -> None:
        await _remember(uow, ctx, key, request, incident.id)
        await records_of(uow).incidents.add(incident, event)

    return _outcome((incident.id, True), event, write)


async def amend_incident(cmd: rc.AmendIncident, ctx: Context) -> Outcome[str] | Unchanged[str]:
    def apply(record: IncidentRecord) -> Change | None:
        ctx.authorize_regions(cmd.change.add_regions, field="add_regions", subject="incidents")
        return rules.amend_incident(
            record.incident, cmd.change, now=ctx.now, tree=ctx.tree, catalogue=ctx.catalogue
        )

    return await _change(ctx, cmd.incident_id, apply)


async def link_alerts(cmd: rc.LinkAlerts, ctx: Context) -> Outcome[str] | Unchanged[str]:
    def apply(record: IncidentRecord) -> Change | None:
        return rules.link_alerts(record.incident, cmd.alert_ids, now=ctx.now)

    return await _change(ctx, cmd.incident_id, apply, alerts=cmd.alert_ids)


async def close_incident(cmd: rc.CloseIncident, ctx: Context) -> Outcome[str] | Unchanged[str]:
    def apply(record: IncidentRecord) -> Change:
        return rules.close_incident(record.incident, now=ctx.now, end=cmd.end)

    return await _change(ctx, cmd.incident_id, apply, note=cmd.note)


async def reopen_incident(cmd: rc.ReopenIncident, ctx: Context) -> Outcome[str] | Unchanged[str]:
    def apply(record: IncidentRecord) -> Change:
        return rules.reopen_incident(record.incident, now=ctx.now)

    return await _change(ctx, cmd.incident_id, apply, note=cmd.note)


async def publish_incident(cmd: rc.PublishIncident, ctx: Context) -> Outcome[str] | Unchanged[str]:
    """A person (an operator or an admin, within the incident's regions) makes it public."""
    ctx.authorize_role(Role.ADMIN, Role.OPERATOR)

    def apply(record: IncidentRecord) -> Change:
        return rules.publish_incident(record.incident, now=ctx.now, delay=cmd.delay)

    return await _change(ctx, cmd.incident_id, apply)


async def add_claim(cmd: rc.AddClaim, ctx: Context) -> Outcome[Made] | Unchanged[Made]:
    record = await _load(ctx, cmd.incident_id)
    key = cmd.idempotency_key
    stated = asdict(cmd.claim)
    if stated.get("report") is None:
        stated.pop("report", None)  # a claim typed in hashes as it did before reports existed
    request = _request_hash("incident.claim", {"incident_id": cmd.incident_id, **stated})
    if key is not None:
        made = await _replayed(ctx, key, request)
        if made is not None:
            return Unchanged((claim_of(record, made).id, False))
    claim = new_claim(
        record,
        cmd.claim,
        claim_id=str(uuid.uuid4()),
        now=ctx.now,
        actor=ctx.actor.label,
        catalogue=ctx.catalogue,
    )
    event = _event(ctx, EventType.CLAIM_ADDED, record.incident, {"claim": claim.to_json()})

    async def write(uow: UnitOfWork) -> None:
        await _remember(uow, ctx, key, request, claim.id)
        await records_of(uow).incidents.add_claim(claim, event)

    return _outcome((claim.id, True), event, write)


async def change_claim(cmd: rc.ChangeClaim, ctx: Context) -> Outcome[str]:
    if cmd.action not in ACTIONS:
        raise InvalidInput(
            f"unknown action {cmd.action!r}; known: {', '.join(ACTIONS)}", field="action"
        )
    record = await _load(ctx, cmd.incident_id)
    rules.require_open(record.incident, f"{cmd.action} a claim of")
    claim = claim_of(record, cmd.claim_id)
    change = change_status(claim, cmd.action, now=ctx.now, actor=ctx.actor.label, note=cmd.note)
    data = {
        "claim_id": claim.id,
        "measure": claim.measure.value,
        "from": change.previous.value,
        "to": change.status.value,
        "note": change.note,
    }
    event = _event(ctx, STATUS_EVENTS[change.status], record.incident, data)

    async def write(uow: UnitOfWork) -> None:
        await records_of(uow).incidents.change_claim(claim, change, event)

    return _outcome(claim.id, event, write)


async def add_response(cmd: rc.AddResponse, ctx: Context) -> Outcome[str]:
    record = await _load(ctx, cmd.incident_id)
    rules.require_open(record.incident, "add a response to")
    action = new_response(
        cmd.response,
        response_id=str(uuid.uuid4()),
        incident_id=cmd.incident_id,
        now=ctx.now,
        actor=ctx.actor.label,
    )
    data = {"response": action.to_json()}
    event = _event(ctx, EventType.RESPONSE_ADDED, record.incident, data)

    async def write(uow: UnitOfWork) -> None:
        await records_of(uow).incidents.add_response(action, event)

    return _outcome(action.id, event, write)


async def change_response(cmd: rc.UpdateResponse, ctx: Context) -> Outcome[str]:
    record = await _load(ctx, cmd.incident_id)
    rules.require_open(record.incident, "update a response of")
    action = record.response(cmd.response_id)
    if action is None:
        raise NotFound(
            f"no response {cmd.response_id!r} in incident {cmd.incident_id}", field="response_id"
        )
    change = update_response(action, cmd.change, now=ctx.now, actor=ctx.actor.label)
    kind = RESPONSE_EVENTS.get(change.status, EventType.RESPONSE_UPDATED)
    data = {"response_id": action.id, "update": change.to_json()}
    event = _event(ctx, kind, record.incident, data)

    async def write(uow: UnitOfWork) -> None:
        await records_of(uow).incidents.update_response(action, change, event)

    return _outcome(action.id, event, write)


HANDLERS: dict[type[Any], Any] = {
    rc.RecordIncident: record_incident,
    rc.AmendIncident: amend_incident,
    rc.LinkAlerts: link_alerts,
    rc.CloseIncident: close_incident,
    rc.ReopenIncident: reopen_incident,
    rc.PublishIncident: publish_incident,
    rc.AddClaim: add_claim,
    rc.ChangeClaim: change_claim,
    rc.AddResponse: add_response,
    rc.UpdateResponse: change_response,
}


def register(bus: CommandBus) -> None:
    for command, handler in HANDLERS.items():
        bus.register(command, handler)


def claim_of(record: IncidentRecord, claim_id: str) -> Claim:
    claim = record.claim(claim_id)
    if claim is None:
        raise NotFound(f"no claim {claim_id!r} in incident {record.incident.id}", field="claim_id")
    return claim


async def _change(
    ctx: Context,
    incident_id: str,
    fn: Callable[[IncidentRecord], Change | None],
    *,
    alerts: Sequence[AlertId] = (),
    note: str | None = None,
) -> Outcome[str] | Unchanged[str]:
    """Load an incident, apply `fn` to it, and write what it changed (nothing: unchanged)."""
    record = await _load(ctx, incident_id)
    change = fn(record)
    if change is None:
        return Unchanged(incident_id)
    await _check_alerts(ctx, alerts)
    data: dict[str, Any] = {"incident": change.incident.to_json(), "changes": change.changes}
    if note:
        data["note"] = text(note, MAX_NOTE, "note")
    event = _event(ctx, change.type, change.incident, data)
    before, after = record.incident, change.incident

    async def write(uow: UnitOfWork) -> None:
        await records_of(uow).incidents.update(before, after, event)

    return _outcome(incident_id, event, write)


async def _load(ctx: Context, incident_id: str) -> IncidentRecord:
    """The incident, once the caller is found to be allowed to change it (its regions, and a
    console session's mode)."""
    record = await records_of(ctx.uow).incidents.get(incident_id)
    if record is None:
        raise NotFound(f"no incident {incident_id!r}", field="id")
    incident = record.incident
    ctx.authorize_regions(incident.regions, subject="incidents")
    ctx.check_mode(incident.mode, "change", what="incident", field="mode")
    ctx.no_policy(NO_POLICY)
    return record


async def _check_alerts(ctx: Context, alert_ids: Sequence[AlertId]) -> None:
    if not alert_ids:
        return
    known = await records_of(ctx.uow).incidents.known_alerts(alert_ids)
    for index, alert_id in enumerate(alert_ids):
        if alert_id not in known:
            raise InvalidInput(
                f"no alert {alert_id!r}", field=f"alerts[{index}]", code="unknown_alert"
            )


async def _replayed(ctx: Context, key: str, request: str) -> str | None:
    """The id of what the first request with this key made; None for a new key."""
    known = await ctx.uow.keys.find(ctx.actor.label, key)
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


async def _remember(
    uow: UnitOfWork, ctx: Context, key: str | None, request: str, made: str
) -> None:
    if key is not None:
        await uow.keys.remember(ctx.actor.label, key, request, made, ctx.now)


def _event(ctx: Context, kind: EventType, incident: Incident, data: dict[str, Any]) -> NewEvent:
    """The event of a change to `incident`; while the incident is not public its events are
    marked `withheld`, and the public log and live streams leave them out."""
    head: dict[str, Any] = {"incident_id": incident.id}
    if not incident.public:
        head[WITHHELD] = True
    return NewEvent(kind.value, ctx.now, ctx.actor.label, None, {**head, **data})


def _outcome(result: Any, event: NewEvent, write: Write) -> Outcome[Any]:
    """The audit row of an incident command: its event's type and data, as the event log has
    them."""
    return Outcome(result, event.type, event.data["incident_id"], event.data, write, [event])


def _request_hash(command: str, body: dict[str, Any]) -> str:
    data = orjson.dumps({"command": command, **body}, default=str, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(data).hexdigest()

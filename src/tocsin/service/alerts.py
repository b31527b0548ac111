"""Alert commands: one handler per command on the bus, and `AlertService`, the entry points'
way to send them.

Raises are batched on the bus: those that arrive while another commits are written together in
the next transaction, so a burst of alerts for many regions is not delivered one commit at a
time.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import orjson

from tocsin.domain import alerts as rules
from tocsin.domain import commands as c
from tocsin.domain.alerts import Alert, Change, EventType, RaiseAlert, UpdateAlert
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.auth import Actor, Role
from tocsin.domain.events import NewEvent
from tocsin.errors import Conflict, NotFound
from tocsin.service.bus import CommandBus, Context, Outcome, Unchanged
from tocsin.service.ports import UnitOfWork
from tocsin.types import AlertId


async def raise_alert(
    cmd: c.Raise, ctx: Context
) -> Outcome[tuple[Alert, bool]] | Unchanged[tuple[Alert, bool]]:
    spec = cmd.alert
    change = decide_raise(spec, ctx)
    key = cmd.idempotency_key
    request_hash = "" if key is None else _request_hash(spec)
    if key is not None:
        known = await ctx.uow.keys.find(ctx.actor.label, key)
        if known is not None:
            _same_request(known[0], request_hash)
            earlier = await ctx.uow.alerts.get(known[1])
            if earlier is None:
                raise NotFound(f"no alert {known[1]!r}", field="id")
            return Unchanged((earlier, False))
    alert, label, now = change.alert, ctx.actor.label, ctx.now

    async def write(uow: UnitOfWork) -> None:
        await uow.alerts.add([alert])
        if key is not None:
            await uow.keys.remember(label, key, request_hash, alert.id, now)

    return _outcome(change, ctx, (alert, True), write=write)


async def update_alert(cmd: c.Update, ctx: Context) -> Outcome[Alert] | Unchanged[Alert]:
    def apply(alert: Alert, now: datetime) -> Change | None:
        change = rules.update_alert(
            alert, cmd.change, now=now, tree=ctx.tree, catalogue=ctx.catalogue
        )
        check_hold_update(ctx, alert, change)
        return change

    return await _change(ctx, cmd.alert_id, apply, version=cmd.version)


async def activate_alert(cmd: c.Activate, ctx: Context) -> Outcome[Alert] | Unchanged[Alert]:
    ctx.no_policy("activation releases nothing a raise did not")
    return await _change(ctx, cmd.alert_id, lambda a, now: rules.activate_alert(a, now=now))


async def end_alert(cmd: c.End, ctx: Context) -> Outcome[Alert] | Unchanged[Alert]:
    ctx.no_policy("an all-clear only lowers the alarm")
    return await _change(ctx, cmd.alert_id, lambda a, now: rules.end_alert(a, now=now))


async def cancel_alert(cmd: c.Cancel, ctx: Context) -> Outcome[Alert] | Unchanged[Alert]:
    ctx.no_policy("a false-alarm cancel only lowers the alarm")
    return await _change(
        ctx, cmd.alert_id, lambda a, now: rules.cancel_alert(a, now=now, message=cmd.message)
    )


async def approve_alert(cmd: c.Approve, ctx: Context) -> Outcome[Alert] | Unchanged[Alert]:
    """A second person releases an alert held by the two-person rule."""
    ctx.policy_applied()
    return await _change(
        ctx,
        cmd.alert_id,
        lambda a, now: rules.approve_alert(a, now=now, approver=ctx.actor.label),
        authorize=ctx.authorize_approval,
    )


async def reject_alert(cmd: c.Reject, ctx: Context) -> Outcome[Alert] | Unchanged[Alert]:
    """Refuse a held alert (an approver), or withdraw it (the one who raised it)."""
    ctx.policy_applied()

    def check(alert: Alert) -> None:
        if alert.raised_by == ctx.actor.label:
            ctx.authorize_self("the one who raised a held alert may withdraw it")
        else:
            ctx.authorize_approval(alert.regions)

    return await _change(
        ctx,
        cmd.alert_id,
        lambda a, now: rules.reject_alert(a, now=now, by=ctx.actor.label, reason=cmd.reason),
        authorize=lambda regions: None,
        check=check,
    )


async def expire_alert(cmd: c.Expire, ctx: Context) -> Outcome[Alert] | Unchanged[Alert]:
    ctx.authorize_role(Role.ADMIN)
    ctx.no_policy("expiry only lowers the alarm")
    return await _change(
        ctx, cmd.alert_id, lambda a, now: rules.expire_alert(a, now=now), authorize=None
    )


HANDLERS: dict[type[Any], Any] = {
    c.Raise: raise_alert,
    c.Update: update_alert,
    c.Activate: activate_alert,
    c.End: end_alert,
    c.Cancel: cancel_alert,
    c.Approve: approve_alert,
    c.Reject: reject_alert,
    c.Expire: expire_alert,
}


def register(bus: CommandBus) -> None:
    for command, handler in HANDLERS.items():
        bus.register(command, handler, batched=command is c.Raise)


Authorize = Callable[[Any], None] | None
_SCOPE = object()


async def _change(
    ctx: Context,
    alert_id: AlertId,
    fn: Callable[[Alert, datetime], Change | None],
    *,
    version: int | None = None,
    authorize: Any = _SCOPE,
    check: Callable[[Alert], None] | None = None,
) -> Outcome[Alert] | Unchanged[Alert]:
    """Load an alert, authorize the caller on it, apply `fn`, and write what it changed.

    `authorize` defaults to the caller's region scope, checked on the alert before and after
    the change; `None` means the caller's role was authorized already (the clock's expiry)."""
    alert = await ctx.uow.alerts.get(alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id!r}", field="id")
    scoped = authorize is _SCOPE
    if check is not None:
        check(alert)
    elif scoped:
        ctx.authorize_regions(alert.regions)
    elif authorize is not None:
        authorize(alert.regions)
    if version is not None and version != alert.version:
        raise Conflict(
            f"alert {alert_id} is at version {alert.version}, not {version}; "
            "reload it and try again",
            field="version",
            code="version_mismatch",
        )
    change = fn(alert, ctx.now)
    if change is None:
        ctx.check_mode(alert.status, "change", stands_down=True)
        return Unchanged(alert)
    check_changed(ctx, alert, change, scoped=scoped)
    after = change.alert

    async def write(uow: UnitOfWork) -> None:
        await uow.alerts.save(after)

    return _outcome(change, ctx, after, write=write)


def _outcome(change: Change, ctx: Context, result: Any, *, write: Any) -> Outcome[Any]:
    """The audit row and (for a public change) the event of an alert's change."""
    detail = change_detail(change)
    events = change_events(change, ctx)
    return Outcome(result, change.type.value, change.alert.id, detail, write, events)


def change_detail(change: Change) -> dict[str, Any]:
    """What the audit row says of an alert's change."""
    alert = change.alert
    return {
        "status": alert.status.value,
        "phase": alert.phase.value,
        "threat": alert.threat,
        "regions": list(alert.regions),
        "version": alert.version,
        "changes": change.changes,
    }


def change_events(change: Change, ctx: Context) -> list[NewEvent]:
    """The public event of an alert's change (none for a change the public does not see)."""
    if not change.public:
        return []
    data = {"alert": change.alert.to_json(), "changes": change.changes}
    return [NewEvent(change.type.value, ctx.now, ctx.actor.label, change.alert.id, data)]


# --- the rules every door applies to an alert (the API, the console, CAP import) -------------


def decide_raise(spec: RaiseAlert, ctx: Context) -> Change:
    """A new alert, raised in the caller's mode and scope; pending when the two-person rule
    holds it."""
    ctx.check_mode(spec.status, "raise")
    ctx.authorize_regions(spec.regions)
    hold = ctx.policy.hold(spec, ctx.tree)
    ctx.policy_applied()
    return rules.raise_alert(
        spec,
        alert_id=str(uuid.uuid4()),
        now=ctx.now,
        actor=ctx.actor.label,
        tree=ctx.tree,
        catalogue=ctx.catalogue,
        hold=hold,
    )


def check_hold_update(ctx: Context, before: Alert, change: Change | None) -> None:
    """Refuse a change to `before` that one person may not make alone (a widening or new free
    text under the two-person rule): 409 approval_required."""
    reason = None if change is None else ctx.policy.hold_update(before, change.alert, ctx.tree)
    ctx.policy_applied()
    if reason is not None:
        raise Conflict(
            f"this change is refused: {reason}", field="regions", code="approval_required"
        )


def check_changed(ctx: Context, before: Alert, change: Change, *, scoped: bool = True) -> None:
    """The caller may make `change`: within their scope afterwards too (when `scoped`), and in
    the alert's mode unless the change only lowers the alarm."""
    if scoped:
        ctx.authorize_regions(change.alert.regions)
    ctx.check_mode(before.status, "change", stands_down=_stands_down(change))


STANDING_DOWN = frozenset({EventType.ENDED, EventType.CANCELLED, EventType.REJECTED})


def _stands_down(change: Change) -> bool:
    """Whether a change only lowers the alarm: the all-clear, the false-alarm cancel, refusing
    a held alert, a lower threat or fewer regions. A console session may make these to an alert
    of another mode (a real alert is never left standing for want of a mode switch); anything
    that raises the alarm needs the session to be in the alert's mode."""
    if change.type in STANDING_DOWN:
        return True
    if change.type not in (EventType.DEESCALATED, EventType.UPDATED):
        return False
    regions = change.changes.get("regions")
    lowered = {"threat"} if change.type is EventType.DEESCALATED else set()
    if regions is not None and not regions.get("added"):
        lowered.add("regions")
    return bool(lowered) and set(change.changes) <= lowered


def _same_request(first: str, again: str) -> None:
    if first != again:
        raise Conflict(
            "this idempotency key was used for a different request",
            field="idempotency_key",
            code="idempotency_key_reused",
        )


def _request_hash(cmd: RaiseAlert) -> str:
    body = orjson.dumps(asdict(cmd), default=str, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


class AlertService:
    """The entry points' way to send alert commands (API, console, CLI, CAP import, replay)."""

    def __init__(self, bus: CommandBus, reads: Any) -> None:
        self.bus = bus
        self.reads = reads

    @property
    def policy(self) -> ApprovalPolicy:
        return self.bus.policy

    @policy.setter
    def policy(self, policy: ApprovalPolicy) -> None:
        self.bus.policy = policy

    async def raise_alert(
        self, cmd: RaiseAlert, actor: Actor, *, idempotency_key: str | None = None
    ) -> tuple[Alert, bool]:
        """Raise an alert; returns it and whether it is new (False: a replayed request)."""
        result: tuple[Alert, bool] = await self.bus.handle(c.Raise(cmd, idempotency_key), actor)
        return result

    async def update_alert(
        self, alert_id: AlertId, cmd: UpdateAlert, actor: Actor, *, version: int | None = None
    ) -> Alert:
        return await self._one(c.Update(alert_id, cmd, version), actor)

    async def activate(self, alert_id: AlertId, actor: Actor) -> Alert:
        return await self._one(c.Activate(alert_id), actor)

    async def end(self, alert_id: AlertId, actor: Actor) -> Alert:
        return await self._one(c.End(alert_id), actor)

    async def cancel(self, alert_id: AlertId, actor: Actor, message: str | None = None) -> Alert:
        return await self._one(c.Cancel(alert_id, message), actor)

    async def approve(self, alert_id: AlertId, actor: Actor) -> Alert:
        return await self._one(c.Approve(alert_id), actor)

    async def reject(self, alert_id: AlertId, actor: Actor, reason: str | None = None) -> Alert:
        return await self._one(c.Reject(alert_id, reason), actor)

    async def expire_due(self, actor: Actor) -> list[Alert]:
        """Expire every open alert whose expiry has passed."""
        due = await self.reads.due_expiries(self.bus.clock.now())
        return [await self._one(c.Expire(alert_id), actor) for alert_id in due]

    async def get(self, alert_id: AlertId) -> Alert:
        alert: Alert | None = await self.reads.get_alert(alert_id)
        if alert is None:
            raise NotFound(f"no alert {alert_id!r}", field="id")
        return alert

    async def _one(self, cmd: Any, actor: Actor) -> Alert:
        alert: Alert = await self.bus.handle(cmd, actor)
        return alert

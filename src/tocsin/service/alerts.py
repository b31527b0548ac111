"""Alert commands: load, apply the domain rules, commit with one event, tell listeners.

New alerts are written by group commit (`GroupCommit`): raises that arrive while another
commits go together in the next transaction, so a burst of alerts for many regions is not
delivered one commit at a time.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import orjson

from tocsin.domain import alerts as rules
from tocsin.domain.alerts import Alert, Change, EventType, RaiseAlert, UpdateAlert
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.auth import Actor, authorize_alert, authorize_approval
from tocsin.domain.threats import Catalogue
from tocsin.errors import Conflict, Forbidden, NotFound
from tocsin.service.ports import Clock, CommitListener
from tocsin.service.regions import RegionService
from tocsin.storage.group import GroupCommit
from tocsin.storage.store import Audited, NewEvent, Store, Tx
from tocsin.types import AlertId


@dataclass(frozen=True, slots=True)
class _Raise:
    change: Change
    actor: Actor
    now: datetime
    key: str | None
    request_hash: str


class AlertService:
    def __init__(
        self,
        store: Store,
        regions: RegionService,
        catalogue: Catalogue,
        clock: Clock,
        listeners: Sequence[CommitListener] = (),
        policy: ApprovalPolicy | None = None,
    ) -> None:
        self.policy = policy or ApprovalPolicy()
        self.store = store
        self.regions = regions
        self.catalogue = catalogue
        self.clock = clock
        self.listeners = list(listeners)
        self._raises: GroupCommit[_Raise, tuple[Alert, bool]] = GroupCommit(self._write_raises)

    async def raise_alert(
        self, cmd: RaiseAlert, actor: Actor, *, idempotency_key: str | None = None
    ) -> tuple[Alert, bool]:
        """Raise an alert; returns it and whether it is new (False: a replayed request)."""
        _check_mode(actor, cmd.status.value, "raise")
        tree = self.regions.tree
        authorize_alert(actor, cmd.regions, tree)
        now = self.clock.now()
        change = rules.raise_alert(
            cmd,
            alert_id=str(uuid.uuid4()),
            now=now,
            actor=actor.label,
            tree=tree,
            catalogue=self.catalogue,
            hold=self.policy.hold(cmd),
        )
        request_hash = "" if idempotency_key is None else _request_hash(cmd)
        job = _Raise(change, actor, now, idempotency_key, request_hash)
        return await self._raises.submit(job)

    async def _write_raises(self, jobs: Sequence[_Raise]) -> list[tuple[Alert, bool] | Exception]:
        """One transaction for every raise of a batch (a replayed one writes nothing)."""
        results: list[tuple[Alert, bool] | Exception] = []
        fresh: list[_Raise] = []
        async with self.store.write() as tx:
            keys: dict[tuple[str, str], _Raise] = {}  # keys first used in this batch
            for job in jobs:
                answered = await self._answered(tx, job, keys)
                if answered is None:
                    fresh.append(job)
                    answered = (job.change.alert, True)
                results.append(answered)
            await tx.add_alerts([job.change.alert for job in fresh])
            await self._record_all(tx, [(job.change, job.actor, job.now) for job in fresh])
        self._tell(tx)
        return results

    async def _answered(
        self, tx: Tx, job: _Raise, keys: dict[tuple[str, str], _Raise]
    ) -> tuple[Alert, bool] | Exception | None:
        """What a raise's idempotency key already answers (None: nothing, raise it; its key is
        then remembered)."""
        if job.key is None:
            return None
        try:
            earlier = keys.get((job.actor.label, job.key))
            if earlier is not None:
                _same_request(earlier.request_hash, job.request_hash)
                return earlier.change.alert, False
            replayed = await self._replayed(tx, job.actor, job.key, job.request_hash)
        except Conflict as refused:
            return refused
        if replayed is not None:
            return replayed, False
        keys[(job.actor.label, job.key)] = job
        alert_id = job.change.alert.id
        await tx.remember_key(job.actor.label, job.key, job.request_hash, alert_id, job.now)
        return None

    async def update_alert(
        self, alert_id: AlertId, cmd: UpdateAlert, actor: Actor, *, version: int | None = None
    ) -> Alert:
        def apply(alert: Alert, now: datetime) -> Change | None:
            change = rules.update_alert(
                alert, cmd, now=now, tree=self.regions.tree, catalogue=self.catalogue
            )
            reason = None if change is None else self.policy.hold_update(alert, change.alert)
            if reason is not None:
                raise Conflict(
                    f"this change is refused: {reason}", field="regions", code="approval_required"
                )
            return change

        return await self._apply(alert_id, actor, apply, version)

    async def activate(self, alert_id: AlertId, actor: Actor) -> Alert:
        return await self._apply(alert_id, actor, lambda a, now: rules.activate_alert(a, now=now))

    async def end(self, alert_id: AlertId, actor: Actor) -> Alert:
        return await self._apply(alert_id, actor, lambda a, now: rules.end_alert(a, now=now))

    async def cancel(self, alert_id: AlertId, actor: Actor, message: str | None = None) -> Alert:
        return await self._apply(
            alert_id, actor, lambda a, now: rules.cancel_alert(a, now=now, message=message)
        )

    async def approve(self, alert_id: AlertId, actor: Actor) -> Alert:
        """A second person releases an alert held by the two-person rule."""

        def check(alert: Alert) -> None:
            authorize_approval(actor, alert.regions, self.regions.tree)

        return await self._apply(
            alert_id,
            actor,
            lambda a, now: rules.approve_alert(a, now=now, approver=actor.label),
            authorize=check,
        )

    async def reject(self, alert_id: AlertId, actor: Actor, reason: str | None = None) -> Alert:
        """Refuse a held alert (an approver), or withdraw it (the one who raised it)."""

        def check(alert: Alert) -> None:
            if alert.raised_by != actor.label:
                authorize_approval(actor, alert.regions, self.regions.tree)

        return await self._apply(
            alert_id,
            actor,
            lambda a, now: rules.reject_alert(a, now=now, by=actor.label, reason=reason),
            authorize=check,
        )

    async def expire_due(self, actor: Actor) -> list[Alert]:
        """Expire every open alert whose expiry has passed."""
        expired = []
        for alert_id in await self.store.due_expiries(self.clock.now()):
            expired.append(
                await self._apply(
                    alert_id,
                    actor,
                    lambda a, now: rules.expire_alert(a, now=now),
                    check_scope=False,
                )
            )
        return expired

    async def get(self, alert_id: AlertId) -> Alert:
        alert = await self.store.get_alert(alert_id)
        if alert is None:
            raise NotFound(f"no alert {alert_id!r}", field="id")
        return alert

    async def _apply(
        self,
        alert_id: AlertId,
        actor: Actor,
        fn: Callable[[Alert, datetime], Change | None],
        version: int | None = None,
        *,
        check_scope: bool = True,
        authorize: Callable[[Alert], None] | None = None,
    ) -> Alert:
        tree = self.regions.tree
        async with self.store.write() as tx:
            alert = await tx.get_alert(alert_id)
            if alert is None:
                raise NotFound(f"no alert {alert_id!r}", field="id")
            if authorize is not None:
                authorize(alert)
                check_scope = False
            elif check_scope:
                authorize_alert(actor, alert.regions, tree)
            if version is not None and version != alert.version:
                raise Conflict(
                    f"alert {alert_id} is at version {alert.version}, not {version}; "
                    "reload it and try again",
                    field="version",
                    code="version_mismatch",
                )
            now = self.clock.now()
            change = fn(alert, now)
            if change is None:
                return alert
            if check_scope:
                authorize_alert(actor, change.alert.regions, tree)
            if not _stands_down(change):
                _check_mode(actor, alert.status.value, "change")
            await tx.save_alert(change.alert, new=False)
            await self._record(tx, change, actor, now)
        self._tell(tx)
        return change.alert

    async def _replayed(self, tx: Tx, actor: Actor, key: str, request_hash: str) -> Alert | None:
        known = await tx.idempotent_alert(actor.label, key)
        if known is None:
            return None
        _same_request(known[0], request_hash)
        return await tx.get_alert(known[1])

    async def _record(self, tx: Tx, change: Change, actor: Actor, now: datetime) -> None:
        await self._record_all(tx, [(change, actor, now)])

    async def _record_all(self, tx: Tx, changes: Sequence[tuple[Change, Actor, datetime]]) -> None:
        """Audit every change, and append an event for each public one."""
        audited, events = [], []
        for change, actor, now in changes:
            alert = change.alert
            detail = {
                "status": alert.status.value,
                "phase": alert.phase.value,
                "threat": alert.threat,
                "regions": list(alert.regions),
                "version": alert.version,
                "changes": change.changes,
            }
            audited.append(Audited(actor, change.type.value, alert.id, detail, now))
            if change.public:
                data = {"alert": alert.to_json(), "changes": change.changes}
                events.append(NewEvent(change.type.value, now, actor.label, alert.id, data))
        await tx.audit_all(audited)
        await tx.append_all(events)

    def _tell(self, tx: Tx) -> None:
        if tx.events:
            for listener in self.listeners:
                listener.committed(tx.events)


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


def _check_mode(actor: Actor, status: str, doing: str) -> None:
    """A console session acts only on alerts of its own mode: a drill never touches the real."""
    mode = actor.session_mode
    if mode is not None and status != mode:
        article = "an" if status[0] in "aeiou" else "a"
        raise Forbidden(
            f"this console session is in {mode} mode; switch the mode to {doing} "
            f"{article} {status} alert",
            field="status",
        )


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

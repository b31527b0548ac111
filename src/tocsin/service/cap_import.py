"""CAP import: a message from another authority becomes a command on our alerts.

The message is parsed and validated first (`tocsin.cap`); then one `ImportCap` command on the
bus acts on it as the authenticated actor, under the rules every door applies to an alert
(`tocsin.service.alerts`): the caller's region scope, the caller's mode (a console session in
exercise mode raises no actual alert), and the two-person rule (an alert it holds is raised
pending; an Update that widens it or brings new free text is refused, as a PATCH would be). The
alert's change, the record of the message and one audit row (`cap.imported`) commit together,
so a refused message changes nothing and a repeated delivery is recognised:

    Alert               raise an alert (event/eventCode -> threat, areas -> regions)
    Update + AllClear   end the alert it refers to (also when every info's urgency is Past)
    Update              change its threat, regions, texts, expiry (activate a pre-alert first
                        when the urgency becomes Immediate)
    Cancel              cancel the alert it refers to (the note is the cancel message)
    Cancel or all-clear for an alert held for approval    withdraw it (it never goes out)
    same sender + identifier again                                  no-op, the alert as it is

Refused with a reason naming the element: status System/Draft, scope other than Public,
msgType Ack/Error, an event that is not an air threat (`info/event`), areas that match none of
our regions (`info/area`), an alert already expired (`info/expires`), references to messages
never imported here (`references`, 409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tocsin.cap.errors import CapInvalid, CapRefused, CapUnknownReference
from tocsin.cap.geo import RegionMatcher
from tocsin.cap.mapping import threat_for
from tocsin.cap.parse import Info, Message, parse, read
from tocsin.cap.validate import check
from tocsin.domain import alerts as rules
from tocsin.domain import commands as c
from tocsin.domain.alerts import Alert, Change, Phase, RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import ALERTING_ROLES, Actor
from tocsin.domain.cap_messages import MAX_KEY, ImportedMessage
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import Catalogue
from tocsin.errors import Conflict, NotFound
from tocsin.service.alerts import (
    change_detail,
    change_events,
    check_changed,
    check_hold_update,
    decide_raise,
)
from tocsin.service.bus import CommandBus, Context, Outcome, Unchanged
from tocsin.service.ports import UnitOfWork
from tocsin.types import RegionCode, ThreatId

STATUSES = {"Actual": Status.ACTUAL, "Exercise": Status.EXERCISE, "Test": Status.TEST}
PENDING_URGENCIES = frozenset({"Expected", "Future"})
MAX_SOURCE = 200


@dataclass(frozen=True, slots=True)
class ImportResult:
    alert: Alert
    action: str  # raised, updated, ended, cancelled, withdrawn, unchanged or replayed
    message: ImportedMessage

    @property
    def created(self) -> bool:
        return self.action == "raised"


class CapImportService:
    """The entry points' way to import a CAP message: parse and check it, then send it."""

    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus

    async def import_message(self, data: bytes, actor: Actor) -> ImportResult:
        """Act on one CAP message; `CapInvalid`, `CapRefused`, … and nothing changed if not."""
        root = parse(data)
        check(root)
        msg = read(root)
        _acceptable(msg)
        result: ImportResult = await self.bus.handle(c.ImportCap(msg), actor)
        return result


def register(bus: CommandBus) -> None:
    bus.register(c.ImportCap, import_cap)


async def import_cap(
    cmd: c.ImportCap, ctx: Context
) -> Outcome[ImportResult] | Unchanged[ImportResult]:
    msg = cmd.message
    known = await ctx.uow.cap_messages.find(msg.sender, msg.identifier)
    if known is not None:
        return await _replayed(ctx, known, msg)
    if msg.msg_type == "Alert":
        changes, action = [_raise(msg, ctx)], "raised"
        alert = changes[0].alert
    else:
        alert = await _referenced(ctx, msg)
        changes, action = _follow(alert, msg, ctx)
        alert = changes[-1].alert if changes else alert
    record = ImportedMessage(msg.sender, msg.identifier, msg.sent, msg.msg_type, alert.id, ctx.now)
    raised = action == "raised"

    async def write(uow: UnitOfWork) -> None:
        if raised:
            await uow.alerts.add([alert])
        elif changes:
            await uow.alerts.save(alert)
        await uow.cap_messages.add(record)

    events = [event for ch in changes for event in change_events(ch, ctx)]
    result = ImportResult(alert, action, record)
    return Outcome(result, "cap.imported", alert.id, _detail(msg, action, changes), write, events)


def _detail(msg: Message, action: str, changes: Sequence[Change]) -> dict[str, Any]:
    """The audit row of an import: the message, and what it did to the alert."""
    return {
        "message": {
            "sender": msg.sender,
            "identifier": msg.identifier,
            "sent": msg.sent.isoformat(),
            "msg_type": msg.msg_type,
        },
        "action": action,
        "alerts": [{"type": ch.type.value, **change_detail(ch)} for ch in changes],
    }


async def _replayed(ctx: Context, known: ImportedMessage, msg: Message) -> Unchanged[ImportResult]:
    """The same message again: the alert as it is now, and nothing written."""
    ctx.authorize_role(*ALERTING_ROLES)
    ctx.no_mode("a repeated delivery changes nothing")
    ctx.no_policy("a repeated delivery changes nothing")
    if known.sent != msg.sent:
        raise Conflict(
            f"{msg.sender} already sent a message {msg.identifier} at "
            f"{known.sent.isoformat()}; an identifier names one message only",
            field="identifier",
            code="cap_identifier_reused",
        )
    alert = await ctx.uow.alerts.get(known.alert_id)
    if alert is None:
        raise NotFound(f"no alert {known.alert_id!r}", field="identifier")
    return Unchanged(ImportResult(alert, "replayed", known))


# --- Alert -------------------------------------------------------------------------------


def _raise(msg: Message, ctx: Context) -> Change:
    infos = _live(msg.infos)
    if not infos:
        field = "info"
        if msg.infos:
            clear = all("AllClear" in i.response_types for i in msg.infos)
            field = f"{msg.infos[0].path}/{'responseType' if clear else 'urgency'}"
        raise CapRefused(
            "this Alert has nothing to raise: it needs an info that is not over already "
            "(urgency other than Past, responseType other than AllClear)",
            field=field,
            code="cap_nothing_to_raise",
        )
    regions = _regions(infos, ctx.tree)
    ctx.authorize_regions(regions)
    main = _primary(infos)
    spec = RaiseAlert(
        threat=_threat(infos, ctx.catalogue),
        regions=regions,
        status=STATUSES[msg.status],
        pre_alert=main.urgency in PENDING_URGENCIES,
        expires_at=_expiry(infos, ctx.now),
        headline=_clip(main.headline, rules.MAX_HEADLINE),
        text=_text(main),
        source=_clip(f"cap:{msg.sender}", MAX_SOURCE),
    )
    return decide_raise(spec, ctx)


# --- Update and Cancel -------------------------------------------------------------------


async def _referenced(ctx: Context, msg: Message) -> Alert:
    keys = [(r.sender, r.identifier) for r in msg.references]
    found = await ctx.uow.cap_messages.alerts_of(keys)
    alert_ids = sorted(set(found.values()))
    if not alert_ids:
        listed = " ".join(r.triple() for r in msg.references[:3])
        raise CapUnknownReference(
            f"this {msg.msg_type} refers to messages that were never imported here "
            f"({listed}{' …' if len(msg.references) > 3 else ''}); import the Alert first",
            field="references",
        )
    if len(alert_ids) > 1:
        raise CapRefused(
            f"this {msg.msg_type} refers to messages of {len(alert_ids)} different alerts; "
            "one message may act on one alert only",
            field="references",
            code="cap_ambiguous_reference",
        )
    alert = await ctx.uow.alerts.get(alert_ids[0])
    if alert is None:
        raise NotFound(f"no alert {alert_ids[0]!r}", field="references")
    return alert


def _follow(alert: Alert, msg: Message, ctx: Context) -> tuple[list[Change], str]:
    """The changes an Update or Cancel makes to `alert`, each checked as the same change
    through the API would be: scope before and after, mode, and the two-person rule."""
    ctx.authorize_regions(alert.regions)
    if STATUSES[msg.status] is not alert.status:
        raise Conflict(
            f"the message's status is {msg.status} but the alert it refers to is "
            f"{alert.status.value}; a status never changes",
            field="status",
            code="cap_status_mismatch",
        )
    closing = msg.msg_type == "Cancel" or not _live(msg.infos)
    if closing and alert.phase is Phase.PENDING:  # withdrawn before a second person saw it
        reason = _clip(msg.note, rules.MAX_MESSAGE) or f"{msg.msg_type} from {msg.sender}"
        withdrawn = rules.reject_alert(alert, now=ctx.now, by=ctx.actor.label, reason=reason)
        changes, action = [withdrawn], "withdrawn"
    elif closing and not alert.is_open:
        changes, action = [], "unchanged"  # a second all-clear or cancel changes nothing
    elif msg.msg_type == "Cancel":
        message = _clip(msg.note, rules.MAX_MESSAGE)
        changes, action = [rules.cancel_alert(alert, now=ctx.now, message=message)], "cancelled"
    elif closing:
        changes, action = [rules.end_alert(alert, now=ctx.now)], "ended"
    else:
        changes = _update(alert, msg, ctx)
        action = "updated" if changes else "unchanged"
    before = alert
    for change in changes:
        check_changed(ctx, before, change)
        before = change.alert
    if not changes:
        ctx.check_mode(alert.status, "change", stands_down=True)
    check_hold_update(ctx, alert, changes[-1] if changes else None)
    return changes, action


def _update(alert: Alert, msg: Message, ctx: Context) -> list[Change]:
    infos = _live(msg.infos)
    main = _primary(infos)
    regions = _regions(infos, ctx.tree)
    ctx.authorize_regions(regions)
    changes = []
    if alert.phase is Phase.PRE_ALERT and main.urgency not in PENDING_URGENCIES:
        changes.append(rules.activate_alert(alert, now=ctx.now))
        alert = changes[-1].alert
    spec = UpdateAlert(
        threat=_threat(infos, ctx.catalogue),
        regions=None if set(regions) == set(alert.regions) else regions,
        headline=_clip(main.headline, rules.MAX_HEADLINE),
        text=_text(main),
        expires_at=_expiry(infos, ctx.now),
    )
    change = rules.update_alert(alert, spec, now=ctx.now, tree=ctx.tree, catalogue=ctx.catalogue)
    if change is not None:
        changes.append(change)
    return changes


# --- mapping -----------------------------------------------------------------------------


def _threat(infos: Sequence[Info], catalogue: Catalogue) -> ThreatId:
    threat = threat_for(infos, catalogue)
    if threat is None:
        events = ", ".join(sorted({repr(i.event) for i in infos}))
        codes = [t.cap.event_code for t in catalogue.ordered()]
        named = [t.id for t in catalogue.ordered() if t.keywords]
        raise CapRefused(
            f"event {events} is not an air threat tocsin knows: send an eventCode "
            f"(valueName tocsin, value one of {', '.join(codes)}) or an event in "
            "category Security, Safety, CBRNE or Other that names one "
            f"({', '.join(sorted(named))}: e.g. 'missile', 'drone', 'air raid')",
            field=f"{infos[0].path}/event",
            code="cap_unknown_event",
        )
    return threat


def _regions(infos: Sequence[Info], tree: RegionTree) -> list[RegionCode]:
    matcher = RegionMatcher(tree)
    found: set[RegionCode] = set()
    for info in infos:
        for area in info.areas:
            found |= matcher.regions(area.geocodes, area.polygons, area.circles)
    found = matcher.broadest(found)
    if not found:
        where = "has no area" if not any(i.areas for i in infos) else "matches none"
        raise CapRefused(
            f"the message {where} of this deployment's regions: give an area with a "
            "geocode (valueName ISO3166-2, e.g. UA-63, or tocsin with our region code) or "
            "a polygon or circle that overlaps a region with a shape",
            field=f"{infos[0].path}/area",
            code="cap_no_region",
        )
    return sorted(found)


def _acceptable(msg: Message) -> None:
    for name, value in (("sender", msg.sender), ("identifier", msg.identifier)):
        if len(value) > MAX_KEY:
            raise CapInvalid(f"{name} is {len(value)} characters; at most {MAX_KEY}", field=name)
    if msg.status not in STATUSES:
        raise CapRefused(
            f"status {msg.status} is not imported: only Actual, Exercise and Test messages "
            "become alerts",
            field="status",
            code="cap_status_unsupported",
        )
    if msg.scope != "Public":
        raise CapRefused(
            f"scope {msg.scope} is not imported: tocsin republishes every alert to the "
            "public, so only Public messages are accepted",
            field="scope",
            code="cap_scope_unsupported",
        )
    if msg.msg_type not in ("Alert", "Update", "Cancel"):
        raise CapRefused(
            f"msgType {msg.msg_type} is not an alert: only Alert, Update and Cancel act on alerts",
            field="msgType",
            code="cap_msg_type_unsupported",
        )


def _live(infos: Sequence[Info]) -> list[Info]:
    """The infos that are not an all-clear (responseType AllClear, or urgency Past)."""
    return [i for i in infos if "AllClear" not in i.response_types and i.urgency != "Past"]


def _primary(infos: Sequence[Info]) -> Info:
    """The info whose words we keep: English if there is one, else the first."""
    return next((i for i in infos if i.language.lower().startswith("en")), infos[0])


def _expiry(infos: Sequence[Info], now: datetime) -> datetime | None:
    times = [i.expires for i in infos if i.expires is not None]
    if not times:
        return None
    expires = min(times)
    if expires <= now:
        path = next(i.path for i in infos if i.expires == expires)
        raise CapRefused(
            f"the message expired at {expires.isoformat()}; an expired alert is not imported",
            field=f"{path}/expires",
            code="cap_expired",
        )
    return expires


def _text(info: Info) -> str | None:
    text = "\n\n".join(p for p in (info.description, info.instruction) if p)
    return _clip(text, rules.MAX_TEXT)


def _clip(text: str, limit: int) -> str | None:
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

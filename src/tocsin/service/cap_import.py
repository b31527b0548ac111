"""CAP import: a message from another authority becomes a command on our alerts.

One message is one command by the authenticated actor (admin, or operator / automation within
their regions), in one transaction with the record of the message, so a rejected message
changes nothing and a repeated delivery is recognised:

    Alert               raise an alert (event/eventCode -> threat, areas -> regions)
    Update + AllClear   end the alert it refers to (also when every info's urgency is Past)
    Update              change its threat, regions, texts, expiry (activate a pre-alert first
                        when the urgency becomes Immediate)
    Cancel              cancel the alert it refers to (the note is the cancel message)
    same sender + identifier again                                  no-op, the alert as it is

Refused with a reason naming the element: status System/Draft, scope other than Public,
msgType Ack/Error, an event that is not an air threat (`info/event`), areas that match none of
our regions (`info/area`), an alert already expired (`info/expires`), references to messages
never imported here (`references`, 409).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tocsin.cap.errors import CapInvalid, CapRefused, CapUnknownReference
from tocsin.cap.geo import RegionMatcher
from tocsin.cap.mapping import KEYWORDS, threat_for
from tocsin.cap.parse import Info, Message, parse, read
from tocsin.cap.validate import check
from tocsin.domain import alerts as rules
from tocsin.domain.alerts import Alert, Change, Phase, RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import Actor, authorize_alert
from tocsin.domain.threats import EVENT_CODES, Catalogue
from tocsin.errors import Conflict, NotFound
from tocsin.service.ports import Clock, CommitListener
from tocsin.service.regions import RegionService
from tocsin.storage.cap_store import (
    MAX_KEY,
    ImportedMessage,
    find_imported,
    imported_alerts,
    record_imported,
)
from tocsin.storage.store import Store, Tx
from tocsin.types import RegionCode, ThreatId

STATUSES = {"Actual": Status.ACTUAL, "Exercise": Status.EXERCISE, "Test": Status.TEST}
PENDING_URGENCIES = frozenset({"Expected", "Future"})
MAX_SOURCE = 200


@dataclass(frozen=True, slots=True)
class ImportResult:
    alert: Alert
    action: str  # raised, updated, ended, cancelled, unchanged or replayed
    message: ImportedMessage

    @property
    def created(self) -> bool:
        return self.action == "raised"


class CapImportService:
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
        self.listeners = listeners

    async def import_message(self, data: bytes, actor: Actor) -> ImportResult:
        """Act on one CAP message; `CapInvalid`, `CapRefused`, … and nothing changed if not."""
        root = parse(data)
        check(root)
        msg = read(root)
        _acceptable(msg)
        async with self.store.write() as tx:
            known = await find_imported(tx, msg.sender, msg.identifier)
            if known is not None:
                return await _replayed(tx, known, msg)
            now = self.clock.now()
            if msg.msg_type == "Alert":
                changes = [self._raise(msg, actor, now)]
                alert, action = changes[0].alert, "raised"
            else:
                alert = await self._referenced(tx, msg)
                changes, action = self._follow(alert, msg, actor, now)
            for change in changes:
                await tx.save_alert(change.alert, new=change.type is rules.EventType.RAISED)
                await tx.append(
                    type=change.type.value,
                    time=now,
                    actor=actor.label,
                    alert_id=change.alert.id,
                    data={"alert": change.alert.to_json(), "changes": change.changes},
                )
            alert = changes[-1].alert if changes else alert
            record = ImportedMessage(
                msg.sender, msg.identifier, msg.sent, msg.msg_type, alert.id, now
            )
            await record_imported(tx, record)
        for listener in self.listeners:
            if tx.events:
                listener.committed(tx.events)
        return ImportResult(alert, action, record)

    # --- Alert ---------------------------------------------------------------------------

    def _raise(self, msg: Message, actor: Actor, now: datetime) -> Change:
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
        tree = self.regions.tree
        regions = self._regions(infos)
        authorize_alert(actor, regions, tree)
        main = _primary(infos)
        cmd = RaiseAlert(
            threat=self._threat(infos),
            regions=regions,
            status=STATUSES[msg.status],
            pre_alert=main.urgency in PENDING_URGENCIES,
            expires_at=_expiry(infos, now),
            headline=_clip(main.headline, rules.MAX_HEADLINE),
            text=_text(main),
            source=_clip(f"cap:{msg.sender}", MAX_SOURCE),
        )
        return rules.raise_alert(
            cmd,
            alert_id=str(uuid.uuid4()),
            now=now,
            actor=actor.label,
            tree=tree,
            catalogue=self.catalogue,
        )

    # --- Update and Cancel ---------------------------------------------------------------

    async def _referenced(self, tx: Tx, msg: Message) -> Alert:
        keys = [(r.sender, r.identifier) for r in msg.references]
        found = await imported_alerts(tx, keys)
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
        alert = await tx.get_alert(alert_ids[0])
        if alert is None:
            raise NotFound(f"no alert {alert_ids[0]!r}", field="references")
        return alert

    def _follow(
        self, alert: Alert, msg: Message, actor: Actor, now: datetime
    ) -> tuple[list[Change], str]:
        tree = self.regions.tree
        authorize_alert(actor, alert.regions, tree)
        if STATUSES[msg.status] is not alert.status:
            raise Conflict(
                f"the message's status is {msg.status} but the alert it refers to is "
                f"{alert.status.value}; a status never changes",
                field="status",
                code="cap_status_mismatch",
            )
        closing = msg.msg_type == "Cancel" or not _live(msg.infos)
        if closing and not alert.is_open:
            return [], "unchanged"  # already over: a second all-clear or cancel changes nothing
        if msg.msg_type == "Cancel":
            message = _clip(msg.note, rules.MAX_MESSAGE)
            return [rules.cancel_alert(alert, now=now, message=message)], "cancelled"
        if not _live(msg.infos):
            return [rules.end_alert(alert, now=now)], "ended"
        return self._update(alert, msg, actor, now)

    def _update(
        self, alert: Alert, msg: Message, actor: Actor, now: datetime
    ) -> tuple[list[Change], str]:
        infos = _live(msg.infos)
        main = _primary(infos)
        regions = self._regions(infos)
        authorize_alert(actor, regions, self.regions.tree)
        changes = []
        if alert.phase is Phase.PRE_ALERT and main.urgency not in PENDING_URGENCIES:
            changes.append(rules.activate_alert(alert, now=now))
            alert = changes[-1].alert
        cmd = UpdateAlert(
            threat=self._threat(infos),
            regions=None if set(regions) == set(alert.regions) else regions,
            headline=_clip(main.headline, rules.MAX_HEADLINE),
            text=_text(main),
            expires_at=_expiry(infos, now),
        )
        change = rules.update_alert(
            alert, cmd, now=now, tree=self.regions.tree, catalogue=self.catalogue
        )
        if change is not None:
            changes.append(change)
        return changes, "updated" if changes else "unchanged"

    # --- mapping -------------------------------------------------------------------------

    def _threat(self, infos: Sequence[Info]) -> ThreatId:
        threat = threat_for(infos, self.catalogue)
        if threat is None:
            events = ", ".join(sorted({repr(i.event) for i in infos}))
            raise CapRefused(
                f"event {events} is not an air threat tocsin knows: send an eventCode "
                f"(valueName tocsin, value one of {', '.join(EVENT_CODES)}) or an event in "
                "category Security, Safety, CBRNE or Other that names one "
                f"({', '.join(sorted(KEYWORDS))}: e.g. 'missile', 'drone', 'air raid')",
                field=f"{infos[0].path}/event",
                code="cap_unknown_event",
            )
        return threat

    def _regions(self, infos: Sequence[Info]) -> list[RegionCode]:
        matcher = RegionMatcher(self.regions.tree)
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


async def _replayed(tx: Tx, known: ImportedMessage, msg: Message) -> ImportResult:
    if known.sent != msg.sent:
        raise Conflict(
            f"{msg.sender} already sent a message {msg.identifier} at "
            f"{known.sent.isoformat()}; an identifier names one message only",
            field="identifier",
            code="cap_identifier_reused",
        )
    alert = await tx.get_alert(known.alert_id)
    if alert is None:
        raise NotFound(f"no alert {known.alert_id!r}", field="identifier")
    return ImportResult(alert, "replayed", known)


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

"""Alert events as CAP 1.2 messages.

Message N of alert X is the event that brought X to version N, so nothing is stored for output:

    identifier  tocsin.<alert id>.<version>          sent   the event's time, zone -00:00
    msgType     Alert (version 1), Cancel (cancelled), Update (anything else)
    references  every earlier message of the alert    incidents  the alert id
    status      Actual / Exercise / Test from the alert (an exercise is never Actual)

Each message has one `info` per configured language and one `area` per region. What the
phases become (urgency, certainty, responseType) is in `SITUATIONS`; docs/cap.md explains why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from tocsin.cap import CAP12
from tocsin.cap import texts as t
from tocsin.cap.geo import Outlines, geocodes
from tocsin.cap.parse import Element
from tocsin.cap.texts import NOT_XML, Situation, Wording
from tocsin.domain.alerts import Alert, EventType, Phase, Status
from tocsin.domain.events import Event
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import (
    EVENT_CODE_VALUE_NAME,
    NEUTRAL_COLOR,
    NO_SIREN,
    CapMapping,
    Catalogue,
    ThreatType,
)
from tocsin.errors import InvalidInput
from tocsin.types import Lang

if TYPE_CHECKING:
    from tocsin.config import Settings

IDENTIFIER_PREFIX: Final = "tocsin"
DEFAULT_SENDER: Final = "tocsin@localhost"
DEFAULT_LIFETIME: Final = timedelta(hours=24)
DEFAULT_RETENTION: Final = timedelta(hours=1)

STATUSES: Final = {Status.ACTUAL: "Actual", Status.EXERCISE: "Exercise", Status.TEST: "Test"}
SITUATIONS: Final = {
    Phase.PRE_ALERT: Situation.PRE_ALERT,
    Phase.ACTIVE: Situation.ALERT,
    Phase.ENDED: Situation.ALL_CLEAR,
    Phase.CANCELLED: Situation.CANCELLED,
    Phase.EXPIRED: Situation.EXPIRED,
}
# situation -> (urgency, certainty, responseType); None: the threat's own from the catalogue
CAP_VALUES: Final[dict[Situation, tuple[str | None, str | None, str | None]]] = {
    Situation.ALERT: (None, None, None),
    Situation.PRE_ALERT: ("Expected", "Possible", "Prepare"),
    Situation.ALL_CLEAR: ("Past", "Observed", "AllClear"),
    Situation.CANCELLED: ("Past", "Unlikely", "None"),
    Situation.EXPIRED: ("Past", "Unknown", "Monitor"),
}


@dataclass(frozen=True, slots=True)
class CapConfig:
    """What rendering and signing need from the settings (see `from_settings`)."""

    sender: str = DEFAULT_SENDER
    sender_name: str = "tocsin"
    public_url: str = "http://127.0.0.1:8000"
    languages: tuple[Lang, ...] = ("en", "uk", "ru")
    lifetime: timedelta = DEFAULT_LIFETIME
    retention: timedelta = DEFAULT_RETENTION
    sign_key: str = ""
    sign_cert: str = ""
    sign_password: str | None = field(default=None, repr=False)

    @property
    def signing(self) -> bool:
        return bool(self.sign_key or self.sign_cert)

    @classmethod
    def from_settings(cls, settings: Settings, *, base_url: str | None = None) -> CapConfig:
        """From the settings; `base_url` (the URL a request came to) stands in for an unset
        `public_url` in links."""
        public = settings.public_url.rstrip("/")
        base = public or (base_url or "").rstrip("/") or f"http://{settings.host}:{settings.port}"
        password = settings.cap_sign_key_password
        return cls(
            sender=settings.cap_sender or _sender_from(public),
            sender_name=settings.cap_sender_name or "tocsin",
            public_url=base,
            languages=settings.cap_languages or settings.languages,
            lifetime=timedelta(seconds=settings.cap_lifetime),
            retention=timedelta(seconds=settings.cap_feed_retention),
            sign_key=settings.cap_sign_key,
            sign_cert=settings.cap_sign_cert,
            sign_password=password.get_secret_value() if password is not None else None,
        )


def _sender_from(public_url: str) -> str:
    host = urlsplit(public_url).hostname if public_url else None
    return f"tocsin@{host}" if host else DEFAULT_SENDER


def cap_time(value: datetime) -> str:
    """CAP's date-time: seconds, and the zone as an offset (UTC is -00:00, never Z)."""
    if value.tzinfo is None:
        raise ValueError("CAP times need a time zone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def identifier(alert_id: str, version: int) -> str:
    return f"{IDENTIFIER_PREFIX}.{alert_id}.{version}"


def parse_identifier(text: str) -> tuple[str, int]:
    """(alert id, version) from one of our identifiers; `InvalidInput` if it is not one."""
    prefix, _, rest = text.partition(".")
    alert_id, _, version = rest.rpartition(".")
    if prefix != IDENTIFIER_PREFIX or not alert_id or not version.isdigit():
        raise InvalidInput(
            f"{text!r} is not a tocsin message identifier (tocsin.<alert id>.<version>)",
            field="identifier",
        )
    return alert_id, int(version)


@dataclass(frozen=True, slots=True)
class MessageRef:
    sender: str
    identifier: str
    sent: str

    def triple(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent}"


@dataclass(frozen=True, slots=True)
class Rendered:
    """One CAP message: the alert as it stood, the event, and the XML."""

    alert: Alert
    event: Event
    ref: MessageRef
    msg_type: str
    situation: Situation
    expires: datetime
    root: Element

    def to_bytes(self) -> bytes:
        data: bytes = etree.tostring(
            self.root, xml_declaration=True, encoding="UTF-8", pretty_print=True
        )
        return data


class Renderer:
    def __init__(self, config: CapConfig, tree: RegionTree, catalogue: Catalogue) -> None:
        self.config = config
        self.tree = tree
        self.catalogue = catalogue

    def ref(self, event: Event) -> MessageRef:
        alert = snapshot(event)
        return MessageRef(
            self.config.sender, identifier(alert.id, alert.version), cap_time(event.time)
        )

    def message(self, events: Sequence[Event], index: int = -1) -> Rendered:
        """The message of `events[index]`, where `events` are one alert's events in order."""
        if not events:
            raise ValueError("an alert has at least one event")
        index = index % len(events)
        event = events[index]
        alert = snapshot(event)
        situation = SITUATIONS[alert.phase]
        earlier = [self.ref(e) for e in events[:index]]
        ref = self.ref(event)
        msg_type = _msg_type(event, index)
        expires = self._expires(alert, situation, event.time)
        root = etree.Element(_q("alert"), nsmap={None: CAP12})
        _add(root, "identifier", ref.identifier)
        _add(root, "sender", ref.sender)
        _add(root, "sent", ref.sent)
        _add(root, "status", STATUSES[alert.status])
        _add(root, "msgType", msg_type)
        _add(root, "scope", "Public")
        _add(root, "note", _note(alert, situation))
        _add(root, "references", " ".join(r.triple() for r in earlier))
        _add(root, "incidents", alert.id)
        threat = self.threat(alert.threat)
        for lang in self.config.languages:
            self._info(root, alert, threat, situation, lang, ref.sent, cap_time(expires))
        return Rendered(alert, event, ref, msg_type, situation, expires, root)

    def messages(self, events: Sequence[Event]) -> list[Rendered]:
        return [self.message(events, i) for i in range(len(events))]

    def threat(self, threat_id: str) -> ThreatType:
        known = self.catalogue.get(threat_id)
        if known is not None:
            return known
        code = "TOCSIN-" + threat_id.upper().replace("_", "-")
        cap = CapMapping("Security", code, "Immediate", "Severe", "Likely", "Shelter")
        return ThreatType(threat_id, 0, {"en": threat_id}, {}, {}, {}, NO_SIREN, cap, NEUTRAL_COLOR)

    def _expires(self, alert: Alert, situation: Situation, sent: datetime) -> datetime:
        if situation in (Situation.ALERT, Situation.PRE_ALERT):
            return alert.expires_at or sent + self.config.lifetime
        return sent + self.config.retention

    def _info(
        self,
        root: Element,
        alert: Alert,
        threat: ThreatType,
        situation: Situation,
        lang: Lang,
        sent: str,
        expires: str,
    ) -> None:
        names = [self._region_name(code, lang) for code in alert.regions]
        w = Wording(
            situation,
            alert.status,
            threat,
            names,
            lang,
            alert.headline,
            alert.text,
            alert.cancel_message,
            self._shelter(alert.regions),
        )
        urgency, certainty, response = CAP_VALUES[situation]
        info = etree.SubElement(root, _q("info"))
        _add(info, "language", lang)
        _add(info, "category", threat.cap.category)
        _add(info, "event", t.event(w))
        _add(info, "responseType", response or threat.cap.response_type)
        _add(info, "urgency", urgency or threat.cap.urgency)
        _add(info, "severity", threat.cap.severity)
        _add(info, "certainty", certainty or threat.cap.certainty)
        _pair(info, "eventCode", EVENT_CODE_VALUE_NAME, threat.cap.event_code)
        _add(info, "effective", sent)
        _add(info, "expires", expires)
        _add(info, "senderName", self.config.sender_name)
        _add(info, "headline", t.headline(w))
        _add(info, "description", t.description(w))
        _add(info, "instruction", t.instruction(w))
        _add(info, "web", f"{self.config.public_url}/v1/alerts/{alert.id}")
        _pair(info, "parameter", t.SHORT_NAME, t.short_text(w))
        _pair(info, "parameter", t.LONG_NAME, t.long_text(w))
        if w.shelter_note:
            _pair(info, "parameter", t.SHELTER_NAME, str(w.shelter))
        for code in alert.regions:
            self._area(info, code, lang)

    def _shelter(self, codes: Sequence[str]) -> int | None:
        regions = [self.tree.get(code) for code in codes]
        return t.least_shelter([r.time_to_shelter if r else None for r in regions])

    def _region_name(self, code: str, lang: Lang) -> str:
        region = self.tree.get(code)
        return region.name(lang) if region else code

    def _area(self, info: Element, code: str, lang: Lang) -> None:
        area = etree.SubElement(info, _q("area"))
        region = self.tree.get(code)
        _add(area, "areaDesc", region.name(lang) if region else code)
        if region is None:
            _pair(area, "geocode", "tocsin", code)
            return
        for polygon in Outlines.of(self.tree, region):
            _add(area, "polygon", polygon)
        for name, value in geocodes(region):
            _pair(area, "geocode", name, value)


def snapshot(event: Event) -> Alert:
    """The alert as the event left it (decoded once, with the event)."""
    alert = event.alert
    if alert is None:
        raise ValueError(f"event {event.seq} ({event.type}) carries no alert")
    return alert


def _msg_type(event: Event, index: int) -> str:
    if event.type == EventType.CANCELLED.value:
        return "Cancel"
    return "Alert" if index == 0 else "Update"


def _note(alert: Alert, situation: Situation) -> str:
    parts = []
    if alert.status is not Status.ACTUAL:
        parts.append(t.PHRASES[alert.status.value]["en"])
    if situation is Situation.CANCELLED:
        parts.append(alert.cancel_message or t.TITLES[Situation.CANCELLED]["en"] + ".")
    return " ".join(parts)


def _q(name: str) -> str:
    return f"{{{CAP12}}}{name}"


def _add(parent: Element, name: str, text: str) -> None:
    text = NOT_XML.sub("", text)
    if text:
        etree.SubElement(parent, _q(name)).text = text


def _pair(parent: Element, name: str, value_name: str, value: str) -> None:
    element = etree.SubElement(parent, _q(name))
    _add(element, "valueName", value_name)
    _add(element, "value", value)

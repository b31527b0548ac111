"""Reading CAP messages from outside: safe parsing, and a plain model of what they say.

The parser never resolves entities, loads a DTD or touches the network, and refuses any
DOCTYPE outright, so billion-laughs and external-entity (XXE) messages are rejected before
anything is expanded; messages larger than `MAX_BYTES` are refused unread. Text with a NUL
character, raw or as a character reference, is not well-formed XML: lxml refuses it. Every
date-time must be of the years tocsin accepts (`parse_time`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from tocsin.cap import VERSIONS
from tocsin.cap.errors import CapInvalid, CapTooLarge
from tocsin.types import utc_instant

MAX_BYTES = 1_048_576
_DOCTYPE_MARKERS = (
    b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"),
    b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"),
)  # fmt: skip

Element = Any  # lxml ships no type information


def safe_parser() -> Any:
    """A fresh parser with every dangerous feature off (parsers are not thread-safe)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        collect_ids=False,
    )


def parse(data: bytes) -> Element:
    """The `<alert>` root element of a CAP 1.2, 1.1 or 1.0 message; `CapInvalid` otherwise."""
    if len(data) > MAX_BYTES:
        raise CapTooLarge(
            f"the message is {len(data)} bytes; at most {MAX_BYTES} are accepted", field="alert"
        )
    if not data.strip():
        raise CapInvalid("the message is empty", field="alert")
    if any(marker in data for marker in _DOCTYPE_MARKERS):
        raise CapInvalid(
            "a DOCTYPE or ENTITY declaration is not allowed in a CAP message", field="alert"
        )
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise CapInvalid(f"the message is not well-formed XML: {exc}", field="alert") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise CapInvalid("a DOCTYPE is not allowed in a CAP message", field="alert")
    _check_root(root)
    return root


def _check_root(root: Element) -> None:
    if not isinstance(root.tag, str):
        raise CapInvalid("the message has no root element", field="alert")
    name = etree.QName(root)
    if name.localname != "alert":
        raise CapInvalid(
            f"the root element is <{name.localname}>; a CAP message is an <alert> element",
            field=name.localname,
        )
    if name.namespace not in VERSIONS:
        known = ", ".join(VERSIONS)
        raise CapInvalid(
            f"<alert> is in namespace {name.namespace!r}, which is not CAP (one of {known})",
            field="alert",
        )


def version(root: Element) -> str:
    """'1.2', '1.1' or '1.0'."""
    return VERSIONS[etree.QName(root).namespace]


def path_of(element: Element) -> str:
    """Where an element is, as `info[2]/area/polygon` (the root is `alert`)."""
    parts: list[str] = []
    while element is not None and element.getparent() is not None:
        name = etree.QName(element).localname
        same = [e for e in element.getparent() if isinstance(e.tag, str) and e.tag == element.tag]
        parts.append(f"{name}[{same.index(element) + 1}]" if len(same) > 1 else name)
        element = element.getparent()
    return "/".join(reversed(parts)) or "alert"


@dataclass(frozen=True, slots=True)
class Reference:
    sender: str
    identifier: str
    sent: str

    def triple(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent}"


@dataclass(frozen=True, slots=True)
class Area:
    desc: str
    polygons: tuple[str, ...]
    circles: tuple[str, ...]
    geocodes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Info:
    path: str
    language: str
    categories: tuple[str, ...]
    event: str
    response_types: tuple[str, ...]
    urgency: str
    severity: str
    certainty: str
    event_codes: tuple[tuple[str, str], ...]
    effective: datetime | None
    expires: datetime | None
    headline: str
    description: str
    instruction: str
    parameters: tuple[tuple[str, str], ...]
    areas: tuple[Area, ...]


@dataclass(frozen=True, slots=True)
class Message:
    """What a (valid) CAP message says, in plain values."""

    version: str
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    note: str
    references: tuple[Reference, ...]
    infos: tuple[Info, ...]


def read(root: Element) -> Message:
    """The model of a schema-valid message (see `validate.check`)."""
    ns = etree.QName(root).namespace
    get = _Reader(ns)
    return Message(
        version=version(root),
        identifier=get.text(root, "identifier"),
        sender=get.text(root, "sender"),
        sent=parse_time(get.text(root, "sent")),
        status=get.text(root, "status"),
        msg_type=get.text(root, "msgType"),
        scope=get.text(root, "scope"),
        note=get.text(root, "note"),
        references=parse_references(get.text(root, "references")),
        infos=tuple(get.info(e) for e in root.findall(f"{{{ns}}}info")),
    )


class _Reader:
    def __init__(self, ns: str) -> None:
        self.ns = ns

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def text(self, parent: Element, name: str) -> str:
        found = parent.find(self.q(name))
        return "" if found is None or found.text is None else str(found.text).strip()

    def texts(self, parent: Element, name: str) -> tuple[str, ...]:
        return tuple(str(e.text or "").strip() for e in parent.findall(self.q(name)))

    def pairs(self, parent: Element, name: str) -> tuple[tuple[str, str], ...]:
        return tuple(
            (self.text(e, "valueName"), self.text(e, "value")) for e in parent.findall(self.q(name))
        )

    def time(self, parent: Element, name: str) -> datetime | None:
        value = self.text(parent, name)
        return parse_time(value) if value else None

    def info(self, element: Element) -> Info:
        return Info(
            path=path_of(element),
            language=self.text(element, "language") or "en-US",
            categories=self.texts(element, "category"),
            event=self.text(element, "event"),
            response_types=self.texts(element, "responseType"),
            urgency=self.text(element, "urgency"),
            severity=self.text(element, "severity"),
            certainty=self.text(element, "certainty"),
            event_codes=self.pairs(element, "eventCode"),
            effective=self.time(element, "effective"),
            expires=self.time(element, "expires"),
            headline=self.text(element, "headline"),
            description=self.text(element, "description"),
            instruction=self.text(element, "instruction"),
            parameters=self.pairs(element, "parameter"),
            areas=tuple(self.area(a) for a in element.findall(self.q("area"))),
        )

    def area(self, element: Element) -> Area:
        return Area(
            desc=self.text(element, "areaDesc"),
            polygons=self.texts(element, "polygon"),
            circles=self.texts(element, "circle"),
            geocodes=self.pairs(element, "geocode"),
        )


def parse_time(text: str) -> datetime:
    """A CAP date-time (with its zone offset, of the years tocsin accepts); `ValueError`
    otherwise."""
    value = datetime.fromisoformat(text.strip())
    utc_instant(value, repr(text.strip()))
    return value


def parse_references(text: str) -> tuple[Reference, ...]:
    """`sender,identifier,sent` triples separated by white space; `ValueError` if malformed."""
    refs = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"{item!r} is not sender,identifier,sent")
        parse_time(parts[2])
        refs.append(Reference(*parts))
    return tuple(refs)

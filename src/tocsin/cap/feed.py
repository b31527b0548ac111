"""An Atom feed (RFC 4287) of current CAP messages, as alert aggregators read them.

One entry per current alert: its latest message. The entry's `id` and its `alternate` link are
the message's permanent URL (`/cap/messages/<identifier>.xml`, type `application/cap+xml`), so
a new message of the same alert is a new entry; `updated` is the message's `sent`. Each entry
also carries the CAP elements aggregators filter on (identifier, sender, sent, status,
msgType, event, urgency, severity, certainty, effective, expires, areaDesc and geocodes) in the
CAP 1.2 namespace, as the US National Weather Service's feeds do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from tocsin.cap import CAP12, CAP_MEDIA_TYPE
from tocsin.cap.parse import Element
from tocsin.cap.render import CapConfig, Rendered

ATOM: Final = "http://www.w3.org/2005/Atom"
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_CAP_FIELDS: Final = ("identifier", "sender", "sent", "status", "msgType")
_INFO_FIELDS: Final = ("event", "urgency", "severity", "certainty", "effective", "expires")


def message_url(config: CapConfig, identifier: str) -> str:
    return f"{config.public_url}/cap/messages/{identifier}.xml"


def atom(
    messages: Sequence[Rendered],
    config: CapConfig,
    *,
    self_url: str,
    title: str,
    updated: datetime | None,
) -> bytes:
    feed = etree.Element(_a("feed"), nsmap={None: ATOM, "cap": CAP12})
    _add(feed, _a("id"), self_url)
    _add(feed, _a("title"), title)
    latest = max((m.event.time for m in messages), default=updated or EPOCH)
    _add(feed, _a("updated"), _time(latest))
    author = etree.SubElement(feed, _a("author"))
    _add(author, _a("name"), config.sender_name)
    _add(feed, _a("generator"), "tocsin")
    _link(feed, "self", self_url, "application/atom+xml")
    for message in messages:
        _entry(feed, message, config)
    data: bytes = etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _entry(feed: Element, message: Rendered, config: CapConfig) -> None:
    url = message_url(config, message.ref.identifier)
    info = message.root.find(_c("info"))
    entry = etree.SubElement(feed, _a("entry"))
    _add(entry, _a("id"), url)
    _add(entry, _a("title"), _text(info, "headline") or message.ref.identifier)
    _add(entry, _a("updated"), _time(message.event.time))
    _add(entry, _a("published"), _time(message.alert.raised_at))
    author = etree.SubElement(entry, _a("author"))
    _add(author, _a("name"), config.sender_name)
    _link(entry, "alternate", url, CAP_MEDIA_TYPE)
    _add(entry, _a("summary"), _text(info, "description"))
    for name in _CAP_FIELDS:
        _add(entry, _c(name), message.root.findtext(_c(name)) or "")
    for name in _INFO_FIELDS:
        _add(entry, _c(name), _text(info, name))
    areas = [] if info is None else info.findall(_c("area"))
    _add(entry, _c("areaDesc"), "; ".join(a.findtext(_c("areaDesc")) or "" for a in areas))
    for area in areas:
        for code in area.findall(_c("geocode")):
            entry.append(_copy(code))


def _copy(element: Element) -> Element:
    copy = etree.Element(element.tag)
    for child in element:
        _add(copy, child.tag, child.text or "")
    return copy


def _text(info: Element | None, name: str) -> str:
    return "" if info is None else str(info.findtext(_c(name)) or "")


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(parent: Element, rel: str, href: str, media_type: str) -> None:
    etree.SubElement(parent, _a("link"), rel=rel, href=href, type=media_type)


def _add(parent: Element, tag: str, text: str) -> None:
    if text:
        etree.SubElement(parent, tag).text = text


def _a(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _c(name: str) -> str:
    return f"{{{CAP12}}}{name}"

"""Is it a valid CAP message? The OASIS schema, then the spec's rules the schema cannot say.

Rules (CAP 1.2 §3.2, and the IPAWS profile for the cell-broadcast texts):
- `identifier` and `sender` contain no spaces, commas, `<` or `&`;
- every date-time (`sent`, `effective`, `onset`, `expires`) is of the years tocsin accepts
  (`types.FIRST_YEAR`–`LAST_YEAR`), and the texts people read (`senderName`, `headline`,
  `description`, `instruction`, `areaDesc`) hold no bidirectional control character;
- `references` (required, and not empty, for Update, Cancel, Ack and Error) is
  `sender,identifier,sent` triples, each `sent` a date-time with its zone;
- scope Restricted needs `restriction`, scope Private needs `addresses`;
- a `polygon` is at least four `lat,lon` pairs, the first and last the same, in range;
  a `circle` is `lat,lon radius` with a radius of zero or more (km); an empty one is no shape;
- the `CMAMtext` parameter is at most 90 characters, `CMAMlongtext` at most 360.

`strict=True` adds tocsin's own publishing profile, which every message it renders meets:
`CMAMtext` and `CMAMlongtext` in every `info`, `headline` under 160 characters, polygons of at
most `geo.MAX_POINTS` points.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from tocsin.cap import VERSIONS
from tocsin.cap.errors import CapInvalid
from tocsin.cap.geo import MAX_POINTS, parse_circle, parse_pairs
from tocsin.cap.parse import Element, parse, parse_references, parse_time, path_of, safe_parser
from tocsin.cap.texts import LONG_LIMIT, LONG_NAME, SHORT_LIMIT, SHORT_NAME
from tocsin.errors import TocsinError
from tocsin.types import bidi_control

SHORT_TEXT = (SHORT_NAME, SHORT_LIMIT)
LONG_TEXT = (LONG_NAME, LONG_LIMIT)
MAX_HEADLINE = 160
TIMES = ("sent", "effective", "onset", "expires")  # every date-time of a message
PUBLIC_TEXTS = ("senderName", "headline", "description", "instruction", "areaDesc")
_RESTRICTED = re.compile(r"[\s,<&]")


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.field}: {self.message}{where}"


@functools.cache
def schema(cap_version: str) -> etree.XMLSchema:
    """The OASIS schema shipped in the package ('1.2' or '1.1')."""
    ref = resources.files("tocsin.cap") / "schema" / f"CAP-v{cap_version}.xsd"
    return etree.XMLSchema(etree.fromstring(ref.read_bytes(), safe_parser()))


def problems(data: bytes, *, strict: bool = False) -> list[Problem]:
    """Everything wrong with a message, as given in bytes (empty: valid)."""
    try:
        root = parse(data)
    except TocsinError as exc:
        return [Problem(exc.field or "alert", exc.message)]
    return tree_problems(root, strict=strict)


def tree_problems(root: Element, *, strict: bool = False) -> list[Problem]:
    found = schema_problems(root)
    return found or rule_problems(root, strict=strict)


def check(root: Element, *, strict: bool = False) -> None:
    """Raise `CapInvalid` naming the first element at fault."""
    found = tree_problems(root, strict=strict)
    if found:
        first = found[0]
        more = f" (and {len(found) - 1} more problems)" if len(found) > 1 else ""
        raise CapInvalid(f"{first}{more}", field=first.field)


def schema_problems(root: Element) -> list[Problem]:
    cap_version = VERSIONS[etree.QName(root).namespace]
    if cap_version == "1.0":
        return [Problem("alert", "CAP 1.0 is not supported; send CAP 1.2 (or 1.1)")]
    xsd = schema(cap_version)
    if xsd.validate(root.getroottree()):
        return []
    return [_schema_problem(root, error) for error in xsd.error_log]


def _schema_problem(root: Element, error: etree._LogEntry) -> Problem:
    message = str(error.message or "")
    named = re.match(r"Element '(?:\{[^}]*\})?([^']+)'", message)
    field = named.group(1) if named else "alert"
    try:
        found = root.getroottree().xpath(error.path) if error.path else []
    except etree.XPathError:  # a path through elements of a foreign namespace
        found = []
    if found and not isinstance(found, str):
        field = path_of(found[0])
    message = re.sub(r"^Element '[^']*'(, attribute '[^']*')?: ", "", message)
    return Problem(field, re.sub(r"\{[^}']*\}", "", message), error.line)  # namespaces


class _Rules:
    def __init__(self, root: Element, strict: bool) -> None:
        self.root = root
        self.strict = strict
        self.ns = etree.QName(root).namespace
        self.found: list[Problem] = []

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def add(self, element: Element, message: str) -> None:
        self.found.append(Problem(path_of(element), message, element.sourceline))

    def run(self) -> list[Problem]:
        for name in ("identifier", "sender"):
            element = self.root.find(self.q(name))
            if element is not None and _RESTRICTED.search(element.text or ""):
                self.add(element, "must not contain spaces, commas, '<' or '&'")
        self.references()
        self.times()
        self.texts()
        self.scope()
        for info in self.root.findall(self.q("info")):
            self.info(info)
        return self.found

    def references(self) -> None:
        element = self.root.find(self.q("references"))
        msg_type = self.root.findtext(self.q("msgType"))
        text = "" if element is None else (element.text or "").strip()
        if not text and msg_type in ("Update", "Cancel", "Ack", "Error"):
            where = self.root.find(self.q("msgType")) if element is None else element
            article = "an" if msg_type in ("Update", "Ack", "Error") else "a"
            self.add(
                where,
                f"{article} {msg_type} message needs references: the earlier "
                "messages as sender,identifier,sent",
            )
        try:
            parse_references(text)
        except ValueError as exc:
            self.add(element, f"malformed: {exc}")

    def times(self) -> None:
        for name in TIMES:
            for element in self.root.iter(self.q(name)):
                try:
                    parse_time(element.text or "")
                except ValueError as exc:
                    self.add(element, str(exc))

    def texts(self) -> None:
        for name in PUBLIC_TEXTS:
            for element in self.root.iter(self.q(name)):
                found = bidi_control(element.text or "")
                if found is not None:
                    self.add(
                        element,
                        f"must not contain the bidirectional control character U+{ord(found):04X}",
                    )

    def scope(self) -> None:
        scope = self.root.find(self.q("scope"))
        needs = {"Restricted": "restriction", "Private": "addresses"}.get(scope.text or "")
        if needs and not (self.root.findtext(self.q(needs)) or "").strip():
            self.add(scope, f"scope {scope.text} needs <{needs}>")

    def info(self, info: Element) -> None:
        for parameter in info.findall(self.q("parameter")):
            self.parameter(parameter)
        for area in info.findall(self.q("area")):
            for polygon in area.findall(self.q("polygon")):
                self.shape(polygon, polygon=True)
            for circle in area.findall(self.q("circle")):
                self.shape(circle, polygon=False)
        if self.strict:
            self.profile(info)

    def parameter(self, element: Element) -> None:
        name = element.findtext(self.q("valueName"))
        value = element.findtext(self.q("value")) or ""
        for wanted, limit in (SHORT_TEXT, LONG_TEXT):
            if name == wanted and len(value) > limit:
                self.add(element, f"{wanted} is {len(value)} characters; at most {limit}")

    def shape(self, element: Element, *, polygon: bool) -> None:
        if not (element.text or "").strip():
            return  # an empty element (as NWS sends) says there is no shape
        try:
            if polygon:
                parse_pairs(element.text or "")
            else:
                parse_circle(element.text or "")
        except ValueError as exc:
            self.add(element, str(exc))

    def profile(self, info: Element) -> None:
        names = {e.findtext(self.q("valueName")) for e in info.findall(self.q("parameter"))}
        for wanted, _ in (SHORT_TEXT, LONG_TEXT):
            if wanted not in names:
                self.add(info, f"tocsin's profile needs the {wanted} parameter")
        headline = info.find(self.q("headline"))
        if headline is None or len(headline.text or "") >= MAX_HEADLINE:
            self.add(info, f"tocsin's profile needs a headline under {MAX_HEADLINE} characters")
        for polygon in info.iter(self.q("polygon")):
            if len((polygon.text or "").split()) > MAX_POINTS:
                self.add(polygon, f"more than {MAX_POINTS} points")


def rule_problems(root: Element, *, strict: bool = False) -> list[Problem]:
    """The spec's rules beyond the schema (run them on a schema-valid message)."""
    return _Rules(root, strict).run()

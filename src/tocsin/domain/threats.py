"""Threat types: what each kind of threat is called, how the sirens sound, what people must
do, and how it is coded in CAP 1.2.

Pure: no I/O. `builtin()` is the catalogue every deployment starts from. A deployment's
`[threats.<id>]` configuration goes through `Catalogue.with_overrides`, and so do the built-in
types themselves, so both pass the same checks.

Severity ranks (higher is more severe; all distinct, so "most severe" never depends on order):

    chemical        90  area-wide and lethal within minutes; an ordinary shelter does not help
    radiation       85  area-wide like chemical, but the harm builds up over hours
    missile         80  the heaviest strike with the least warning
    aviation        70  guided bombs and air-launched missiles: the same response as a
                        missile, but mostly near the front line and with more warning
    air             60  the kind is not known yet and may be a missile, so it sits above
                        every lighter known threat and below every heavier one
    urban_fighting  55  direct fire in the streets; nobody can move safely
    artillery       50  shelling and MLRS: deadly but local, and basements protect well
    uav             40  lighter warheads and a slower approach; two walls protect

CAP severity falls with rank: Extreme from aviation up, Severe below.

Sirens follow the civil-defence convention that a siren means "attention, everyone: listen to
the announcement". The pattern tells the family of threat, the announcement the rest:
`continuous` (strike imminent, shelter now), `wail` (general alert, CBRNE), `pulsed` (stay
inside), `none`; `all_clear` is reserved for the all-clear (`ALL_CLEAR_SIREN`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from types import MappingProxyType
from typing import Any, Final

from tocsin.domain.threat_texts import BUILTIN
from tocsin.errors import InvalidInput, UnknownThreat
from tocsin.types import DEFAULT_LANG, JSON, Lang, Names, ThreatId, pick

SIREN_PATTERNS: Final = ("continuous", "wail", "pulsed", "all_clear", "none")
MAX_SIREN_SECONDS: Final = 600
MAX_RANK: Final = 100
NEUTRAL_COLOR: Final = "#9e9e9e"

CAP_CATEGORIES: Final = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
)  # fmt: skip
CAP_URGENCIES: Final = ("Immediate", "Expected", "Future", "Past", "Unknown")
CAP_SEVERITIES: Final = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CAP_CERTAINTIES: Final = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
CAP_RESPONSE_TYPES: Final = (
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None",
)  # fmt: skip

EVENT_CODE_VALUE_NAME: Final = "tocsin"
EVENT_CODES: Final = (
    "TOCSIN-AIR", "TOCSIN-MISSILE", "TOCSIN-UAV", "TOCSIN-AVIATION", "TOCSIN-ARTILLERY",
    "TOCSIN-URBAN", "TOCSIN-CHEM", "TOCSIN-RAD",
)  # fmt: skip

_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
_LANG = re.compile(r"[a-z]{2,3}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_EVENT_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")

_SIREN_SECONDS: Final[Mapping[str, int]] = {
    "continuous": 180, "wail": 180, "pulsed": 120, "all_clear": 60, "none": 0,
}  # fmt: skip
_TONES: Final[Mapping[str, Names]] = {
    "continuous": {
        "en": "continuous tone",
        "uk": "безперервний сигнал",
        "ru": "непрерывный сигнал",
    },
    "wail": {
        "en": "rising and falling tone",
        "uk": "хвилеподібний сигнал",
        "ru": "волнообразный сигнал",
    },
    "pulsed": {"en": "pulsed tone", "uk": "переривчастий сигнал", "ru": "прерывистый сигнал"},
    "all_clear": {
        "en": "steady all-clear tone",
        "uk": "рівний сигнал відбою",
        "ru": "ровный сигнал отбоя",
    },
    "none": {"en": "no siren", "uk": "без сирени", "ru": "без сирены"},
}
_DURATIONS: Final[Mapping[Lang, tuple[str, Mapping[str, tuple[str, str]]]]] = {
    "en": ("for", {"minute": ("minute", "minutes"), "second": ("second", "seconds")}),
    "uk": ("протягом", {"minute": ("хвилини", "хвилин"), "second": ("секунди", "секунд")}),
    "ru": ("в течение", {"minute": ("минуты", "минут"), "second": ("секунды", "секунд")}),
}


@dataclass(frozen=True, slots=True)
class SirenPattern:
    """How the sirens sound: a name from `SIREN_PATTERNS` and a duration in seconds."""

    name: str
    seconds: int
    description: Names

    @classmethod
    def of(cls, name: str, seconds: int) -> SirenPattern:
        texts = {lang: _describe(name, seconds, lang) for lang in _DURATIONS}
        return cls(name, seconds, MappingProxyType(texts))


def _describe(name: str, seconds: int, lang: Lang) -> str:
    tone = _TONES[name][lang]
    if name == "none":
        return tone
    preposition, units = _DURATIONS[lang]
    count, unit = (seconds // 60, "minute") if seconds % 60 == 0 else (seconds, "second")
    one, many = units[unit]
    return f"{tone} {preposition} {count} {one if _singular(count, lang) else many}"


def _singular(count: int, lang: Lang) -> bool:
    if lang == "en":
        return count == 1
    return count % 10 == 1 and count % 100 != 11


ALL_CLEAR_SIREN: Final = SirenPattern.of("all_clear", 60)
NO_SIREN: Final = SirenPattern.of("none", 0)


@dataclass(frozen=True, slots=True)
class CapMapping:
    """How a threat type is coded in a CAP 1.2 `info` block.

    `event_code` goes out as `<eventCode><valueName>tocsin</valueName><value>…</value>`; the
    published codes are `EVENT_CODES`, and a deployment may add its own.
    """

    category: str
    event_code: str
    urgency: str
    severity: str
    certainty: str
    response_type: str

    def to_json(self) -> JSON:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class IncidentMapping:
    """How an incident of this threat is classed in conflict-event exports (ACLED style)."""

    event_type: str
    sub_event_type: str


REMOTE_VIOLENCE: Final = "Explosions/Remote violence"
SHELLING: Final = IncidentMapping(REMOTE_VIOLENCE, "Shelling/artillery/missile attack")


@dataclass(frozen=True, slots=True)
class ThreatType:
    """One kind of threat.

    `signal` is the public signal as broadcast («Ракетна небезпека!»); `instructions` what
    everyone must do now; `measures` the protective measures in force while it lasts.
    `keywords` name it in another authority's CAP `info/event` (matched at the start of a
    word, in any case: "ракет" finds «Ракетна небезпека»); `aliases` are the common words for
    it in claims and incidents ("drone" for uav); `incident` how its incidents are exported.
    """

    id: ThreatId
    rank: int
    names: Names
    signal: Names
    instructions: Names
    measures: Mapping[Lang, tuple[str, ...]]
    siren: SirenPattern
    cap: CapMapping
    color: str
    keywords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    incident: IncidentMapping = SHELLING

    def name(self, lang: Lang) -> str:
        return pick(self.names, lang) or self.id

    def signal_in(self, lang: Lang) -> str:
        return pick(self.signal, lang) or self.name(lang)

    def instruction(self, lang: Lang) -> str:
        return pick(self.instructions, lang)

    def measures_in(self, lang: Lang) -> tuple[str, ...]:
        for key in (lang, DEFAULT_LANG):
            if key in self.measures:
                return self.measures[key]
        return next(iter(self.measures.values()), ())

    def to_json(self, lang: Lang) -> JSON:
        return {
            "id": self.id,
            "name": self.name(lang),
            "signal": self.signal_in(lang),
            "rank": self.rank,
            "instructions": self.instruction(lang),
            "measures": list(self.measures_in(lang)),
            "siren": {"pattern": self.siren.name, "seconds": self.siren.seconds},
            "cap": self.cap.to_json(),
            "color": self.color,
        }


class Catalogue(Mapping[ThreatId, ThreatType]):
    """An immutable mapping of threat id to type, kept most severe first."""

    __slots__ = ("_by_id",)

    def __init__(self, types: Iterable[ThreatType] = ()) -> None:
        ordered = sorted(types, key=_severity_order)
        self._by_id: Mapping[ThreatId, ThreatType] = MappingProxyType({t.id: t for t in ordered})

    def __getitem__(self, threat_id: ThreatId) -> ThreatType:
        return self._by_id[threat_id]

    def __iter__(self) -> Iterator[ThreatId]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, threat_id: object) -> bool:
        return threat_id in self._by_id

    def __repr__(self) -> str:
        return f"Catalogue({list(self._by_id)!r})"

    def require(self, threat_id: ThreatId, *, field: str = "threat") -> ThreatType:
        threat = self._by_id.get(threat_id)
        if threat is None:
            known = ", ".join(sorted(self._by_id))
            raise UnknownThreat(f"unknown threat type {threat_id!r}; known: {known}", field=field)
        return threat

    def ids(self) -> tuple[ThreatId, ...]:
        """Every id, most severe first."""
        return tuple(self._by_id)

    def ordered(self) -> tuple[ThreatType, ...]:
        """Every type by rank, most severe first (ties by id)."""
        return tuple(self._by_id.values())

    def most_severe(self, ids: Iterable[ThreatId]) -> ThreatType:
        types = [self.require(i) for i in ids]
        if not types:
            raise ValueError("most_severe() needs at least one threat id")
        return min(types, key=_severity_order)

    def named_in(self, text: str) -> set[ThreatId]:
        """The types whose keywords `text` names (at the start of a word, in any case)."""
        lowered = text.lower()
        return {
            threat.id
            for threat in self._by_id.values()
            if any(_keyword(word).search(lowered) for word in threat.keywords)
        }

    def by_alias(self, word: str) -> ThreatType | None:
        """The type a common word stands for ("drone" for uav), if one does."""
        key = _alias_key(word)
        return next((t for t in self._by_id.values() if key in t.aliases), None)

    def with_overrides(self, data: Mapping[str, Any]) -> Catalogue:
        """A new catalogue with a deployment's `[threats.<id>]` tables applied."""
        types = dict(self._by_id)
        for key, raw in _table(data, "threats").items():
            at = f"threats.{key}"
            threat_id = _threat_id(key, at)
            types[threat_id] = _override(types.get(threat_id), threat_id, _table(raw, at), at)
        return Catalogue(types.values())


@functools.cache
def builtin() -> Catalogue:
    """The catalogue every deployment starts from."""
    return Catalogue().with_overrides(BUILTIN)


def _severity_order(threat: ThreatType) -> tuple[int, str]:
    return (-threat.rank, threat.id)


@functools.cache
def _keyword(word: str) -> re.Pattern[str]:
    """A keyword matches at the start of a word (so 'uav' is not found inside another word)."""
    return re.compile(r"(?<!\w)" + re.escape(word))


def _alias_key(word: str) -> str:
    return word.strip().lower().replace("-", "_").replace(" ", "_")


_Parser = Callable[[Any, Any, str], Any]
_CAP_FIELDS: Final = ("category", "event_code", "urgency", "severity", "certainty", "response_type")
_REQUIRED_NEW: Final = ("rank", "names", "instructions", "cap")
_BLANK_CAP: Final = CapMapping("Other", "", "Unknown", "Unknown", "Unknown", "None")


def _override(
    current: ThreatType | None, threat_id: ThreatId, fields: Mapping[str, Any], at: str
) -> ThreatType:
    _only(fields, _FIELDS, at)
    if current is None:
        _check_new(fields, at)
        current = ThreatType(threat_id, 0, {}, {}, {}, {}, NO_SIREN, _BLANK_CAP, NEUTRAL_COLOR)
    changes = {
        name: _FIELDS[name](value, getattr(current, name), f"{at}.{name}")
        for name, value in fields.items()
    }
    return replace(current, **changes)


def _check_new(fields: Mapping[str, Any], at: str) -> None:
    needed = ", ".join(_REQUIRED_NEW)
    for name in _REQUIRED_NEW:
        if name not in fields:
            raise InvalidInput(f"a new threat type needs {needed}", field=f"{at}.{name}")
    for name in ("names", "instructions"):
        if "en" not in _table(fields[name], f"{at}.{name}"):
            raise InvalidInput(
                f"a new threat type needs {name} in English", field=f"{at}.{name}.en"
            )
    cap = _table(fields["cap"], f"{at}.cap")
    for name in _CAP_FIELDS:
        if name not in cap:
            message = f"a new threat type needs every CAP field: {', '.join(_CAP_FIELDS)}"
            raise InvalidInput(message, field=f"{at}.cap.{name}")


def _threat_id(key: object, at: str) -> ThreatId:
    if isinstance(key, str) and _ID.fullmatch(key):
        return key
    message = "a threat id is a lowercase letter then up to 31 letters, digits or underscores"
    raise InvalidInput(f"{message} ([a-z][a-z0-9_]{{0,31}}); got {key!r}", field=at)


def _table(value: Any, at: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise InvalidInput(f"{_leaf(at)} must be a table of keys and values; got {value!r}", field=at)


def _only(fields: Mapping[str, Any], allowed: Iterable[str], at: str) -> None:
    allowed = tuple(allowed)
    for name in fields:
        if name not in allowed:
            message = f"unknown field {name!r}; {_leaf(at)} takes {', '.join(allowed)}"
            raise InvalidInput(message, field=f"{at}.{name}")


def _leaf(at: str) -> str:
    return at.rsplit(".", 1)[-1]


def _rank(value: Any, current: int, at: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_RANK:
        return value
    raise InvalidInput(f"rank must be a whole number from 0 to {MAX_RANK}; got {value!r}", field=at)


def _lang(value: Any, at: str) -> Lang:
    if isinstance(value, str) and _LANG.fullmatch(value):
        return value
    message = f"a language is a lowercase ISO 639 code such as en, uk or ru; got {value!r}"
    raise InvalidInput(message, field=f"{at}.{value}")


def _text(value: Any, at: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise InvalidInput(f"{_leaf(at)} must be non-empty text; got {value!r}", field=at)


def _texts(value: Any, current: Names, at: str) -> Names:
    merged = dict(current)
    for lang, text in _table(value, at).items():
        merged[_lang(lang, at)] = _text(text, f"{at}.{lang}")
    return MappingProxyType(merged)


def _text_list(value: Any, at: str) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(_text(item, f"{at}[{i}]") for i, item in enumerate(value))
    raise InvalidInput(f"{_leaf(at)} must be a list of texts; got {value!r}", field=at)


def _measures(
    value: Any, current: Mapping[Lang, tuple[str, ...]], at: str
) -> Mapping[Lang, tuple[str, ...]]:
    merged = dict(current)
    for lang, items in _table(value, at).items():
        merged[_lang(lang, at)] = _text_list(items, f"{at}.{lang}")
    return MappingProxyType(merged)


def _siren(value: Any, current: SirenPattern, at: str) -> SirenPattern:
    fields = _table(value, at)
    _only(fields, ("pattern", "seconds"), at)
    pattern = _siren_pattern(fields.get("pattern", current.name), f"{at}.pattern")
    usual = current.seconds if pattern == current.name else _SIREN_SECONDS[pattern]
    seconds = _siren_seconds(fields.get("seconds", usual), pattern, f"{at}.seconds")
    return SirenPattern.of(pattern, seconds)


def _siren_pattern(value: Any, at: str) -> str:
    if value == "all_clear":
        raise InvalidInput("the all_clear pattern is reserved for the all-clear", field=at)
    allowed = [p for p in SIREN_PATTERNS if p != "all_clear"]
    if value in allowed:
        return str(value)
    raise InvalidInput(f"pattern must be one of {', '.join(allowed)}; got {value!r}", field=at)


def _siren_seconds(value: Any, pattern: str, at: str) -> int:
    if pattern == "none":
        if value == 0 and not isinstance(value, bool):
            return 0
        raise InvalidInput(
            f"pattern none has no duration: seconds must be 0; got {value!r}", field=at
        )
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SIREN_SECONDS:
        return value
    message = f"seconds must be a whole number from 1 to {MAX_SIREN_SECONDS}; got {value!r}"
    raise InvalidInput(message, field=at)


_CAP_CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "category": CAP_CATEGORIES,
    "urgency": CAP_URGENCIES,
    "severity": CAP_SEVERITIES,
    "certainty": CAP_CERTAINTIES,
    "response_type": tuple(r for r in CAP_RESPONSE_TYPES if r != "AllClear"),
}


def _cap(value: Any, current: CapMapping, at: str) -> CapMapping:
    fields = _table(value, at)
    _only(fields, _CAP_FIELDS, at)
    changes = {name: _cap_value(name, v, f"{at}.{name}") for name, v in fields.items()}
    return replace(current, **changes)


def _cap_value(name: str, value: Any, at: str) -> str:
    if name == "event_code":
        return _event_code(value, at)
    if name == "response_type" and value == "AllClear":
        raise InvalidInput("response_type AllClear is sent only by an all-clear", field=at)
    allowed = _CAP_CHOICES[name]
    if value in allowed:
        return str(value)
    raise InvalidInput(f"{name} must be one of {', '.join(allowed)}; got {value!r}", field=at)


def _event_code(value: Any, at: str) -> str:
    if isinstance(value, str) and len(value) <= 64 and _EVENT_CODE.fullmatch(value):
        return value
    message = (
        "event_code must be capital letters and digits joined by hyphens, such as TOCSIN-UAV "
        f"(published: {', '.join(EVENT_CODES)}); got {value!r}"
    )
    raise InvalidInput(message, field=at)


def _keywords(value: Any, current: tuple[str, ...], at: str) -> tuple[str, ...]:
    words = _text_list(value, at)
    return tuple(dict.fromkeys(word.lower() for word in words))


def _aliases(value: Any, current: tuple[str, ...], at: str) -> tuple[str, ...]:
    words = _text_list(value, at)
    return tuple(dict.fromkeys(_alias_key(word) for word in words))


def _incident(value: Any, current: IncidentMapping, at: str) -> IncidentMapping:
    fields = _table(value, at)
    _only(fields, ("event_type", "sub_event_type"), at)
    changes = {name: _text(v, f"{at}.{name}") for name, v in fields.items()}
    return replace(current, **changes)


def _color(value: Any, current: str, at: str) -> str:
    if isinstance(value, str) and _COLOR.fullmatch(value):
        return value.lower()
    raise InvalidInput(f"color must be a hex colour such as #c62828; got {value!r}", field=at)


_FIELDS: Final[Mapping[str, _Parser]] = {
    "rank": _rank,
    "names": _texts,
    "signal": _texts,
    "instructions": _texts,
    "measures": _measures,
    "siren": _siren,
    "cap": _cap,
    "color": _color,
    "keywords": _keywords,
    "aliases": _aliases,
    "incident": _incident,
}

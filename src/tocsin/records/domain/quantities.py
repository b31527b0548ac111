"""Counts as reports state them: exact, a range, a bound, vague words, or an explicit zero.

A `Quantity` is a closed interval of whole numbers `[low, high]` (`high` None: no upper bound)
with the form it was stated in. "No injuries" is `Quantity.exact(0)` (kind `zero`); an unknown
count is no quantity at all.

Vague words become the ranges in `VAGUE` (the table in docs/incidents.md), and "about N" the
range N ± 10 %; the words are kept for display, the range is what every calculation uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from tocsin.errors import InvalidInput
from tocsin.types import Lang

MAX_COUNT: Final = 1_000_000_000


class Kind(StrEnum):
    EXACT = "exact"
    ZERO = "zero"
    RANGE = "range"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    VAGUE = "vague"


# word (as typed, lower case) -> (low, high); high None: no upper bound
VAGUE: Final[Mapping[str, tuple[int, int | None]]] = {
    **dict.fromkeys(("a few", "few", "several", "кілька", "декілька", "несколько"), (2, 9)),
    **dict.fromkeys(
        ("a dozen", "about a dozen", "десяток", "близько десятка", "около десятка"), (10, 14)
    ),
    **dict.fromkeys(("dozens", "tens", "десятки", "десятків", "десятков"), (20, 99)),
    **dict.fromkeys(("hundreds", "сотні", "сотень", "сотни"), (200, 999)),
    **dict.fromkeys(("thousands", "тисячі", "тисяч", "тысячи", "тысяч"), (2000, 9999)),
    **dict.fromkeys(("many", "numerous", "багато", "чимало", "много"), (2, None)),
}
ZERO_WORDS: Final = frozenset(
    {
        "none",
        "no",
        "zero",
        "nil",
        "no one",
        "nobody",
        "немає",
        "нема",
        "жодного",
        "нуль",
        "нет",
        "ни одного",
        "ноль",
    }
)

_DASHES = str.maketrans({"–": "-", "—": "-", "−": "-", "‒": "-"})
_N = r"(\d{1,10})"
_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (rf"{_N}", "exact"),
        (rf"{_N}\s*(?:-|\.\.|…|to|до)\s*{_N}", "range"),
        (
            rf"(?:at least|no fewer than|not less than|min|≥|>=|щонайменше|не менше|"
            rf"не менее|как минимум|по меньшей мере)\s*{_N}",
            "at_least",
        ),
        (rf"{_N}\s*(?:\+|or more|і більше|и более)", "at_least"),
        (rf"(?:more than|over|>|понад|більше|більш ніж|более|больше|свыше)\s*{_N}", "above"),
        (rf"(?:up to|at most|no more than|max|≤|<=|до|не більше|не более)\s*{_N}", "at_most"),
        (rf"(?:fewer than|less than|under|<|менше|меньше)\s*{_N}", "below"),
        (
            rf"(?:about|approximately|around|nearly|~|≈|близько|приблизно|около|примерно)"
            rf"\s*{_N}",
            "about",
        ),
    )
)


@dataclass(frozen=True, slots=True)
class Quantity:
    low: int
    high: int | None
    kind: Kind
    words: str | None = None

    @classmethod
    def exact(cls, value: int, *, field: str = "value") -> Quantity:
        _count(value, field)
        return cls(value, value, Kind.ZERO if value == 0 else Kind.EXACT)

    @classmethod
    def between(cls, low: int, high: int, *, field: str = "min") -> Quantity:
        _count(low, field)
        _count(high, "max" if field == "min" else field)
        if low > high:
            raise InvalidInput(
                f"min ({low}) is more than max ({high})", field="max", code="invalid_range"
            )
        return cls.exact(low) if low == high else cls(low, high, Kind.RANGE)

    @classmethod
    def at_least(cls, low: int, *, field: str = "min") -> Quantity:
        _count(low, field)
        return cls(low, None, Kind.AT_LEAST)

    @classmethod
    def at_most(cls, high: int, *, field: str = "max") -> Quantity:
        _count(high, field)
        return cls.exact(0) if high == 0 else cls(0, high, Kind.AT_MOST)

    @classmethod
    def vague(cls, words: str, *, field: str = "value") -> Quantity:
        key = _normal(words)
        if key not in VAGUE:
            known = ", ".join(sorted(VAGUE))
            raise InvalidInput(f"{words!r} is not a known vague count; known: {known}", field=field)
        low, high = VAGUE[key]
        return cls(low, high, Kind.VAGUE, key)

    @classmethod
    def of(cls, value: Any = None, minimum: Any = None, maximum: Any = None) -> Quantity:
        """From API input: `value` (a number or text such as "5-6", "at least 22", "dozens",
        "none"), or `min` and/or `max`."""
        if value is not None and (minimum is not None or maximum is not None):
            raise InvalidInput("give either value, or min and/or max, not both", field="value")
        if value is not None:
            return cls.parse(value) if isinstance(value, str) else cls.exact(value)
        if minimum is not None and maximum is not None:
            return cls.between(minimum, maximum)
        if minimum is not None:
            return cls.at_least(minimum)
        if maximum is not None:
            return cls.at_most(maximum)
        raise InvalidInput("a claim needs a value, or min and/or max", field="value")

    @classmethod
    def parse(cls, text: str, *, field: str = "value") -> Quantity:
        key = _normal(text)
        if key in ZERO_WORDS:
            return cls(0, 0, Kind.ZERO, key)
        if key in VAGUE:
            return cls.vague(key, field=field)
        if key.startswith("-") and key[1:].strip().isdigit():
            _count(-int(key[1:].strip()), field)
        for pattern, kind in _PATTERNS:
            match = pattern.fullmatch(key)
            if match:
                return _from_match(kind, [int(n) for n in match.groups()], field)
        raise InvalidInput(
            f"cannot read {text!r} as a count: give a whole number, a range such as '5-6', "
            "'at least 22', 'up to 10', 'none', or a vague word such as 'dozens'",
            field=field,
        )

    @property
    def value(self) -> int | None:
        """The exact number, when there is one."""
        return self.low if self.low == self.high else None

    @property
    def is_zero(self) -> bool:
        return self.high == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "min": self.low,
            "max": self.high,
            "kind": self.kind.value,
            "words": self.words,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Quantity:
        return cls(int(data["min"]), data["max"], Kind(data["kind"]), data.get("words"))

    def text(self, lang: Lang = "en") -> str:
        """How it reads: "5", "5–6", "at least 22", "dozens (20–99)", "none (0)"."""
        words = _PHRASES.get(lang, _PHRASES["en"])
        if self.kind is Kind.ZERO:
            return words["zero"]
        if self.kind is Kind.VAGUE:
            bounds = f"{self.low}–{self.high}" if self.high is not None else f"{self.low}+"
            stated = self.words or ""
            if stated.startswith("about "):
                stated = words["about"].format(stated.removeprefix("about "))
            return f"{stated} ({bounds})"
        if self.high is None:
            return words["at_least"].format(self.low)
        if self.kind is Kind.AT_MOST:
            return words["at_most"].format(self.high)
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


def about(value: int, *, field: str = "value") -> Quantity:
    """ "About N": N less 10 % to N plus 10 %, rounded outward (about 5 is 4–6)."""
    _count(value, field)
    spread = max(1, -(-value // 10))
    low, high = max(0, value - spread), value + spread
    return Quantity(low, high, Kind.VAGUE, f"about {value}")


def envelope(quantities: Iterable[Quantity]) -> Quantity:
    """The smallest quantity that holds every one given: what the reports range over."""
    items = list(quantities)
    if not items:
        raise ValueError("envelope() needs at least one quantity")
    if len(set(items)) == 1:
        return items[0]
    low = min(q.low for q in items)
    highs = [q.high for q in items]
    high = None if None in highs else max(h for h in highs if h is not None)
    return _plain(low, high)


def total(quantities: Iterable[Quantity]) -> Quantity:
    """The sum of disjoint parts (bounds add up; one open bound opens the sum)."""
    items = list(quantities)
    if len(items) == 1:
        return items[0]
    low = sum(q.low for q in items)
    highs = [q.high for q in items]
    high = None if None in highs else sum(h for h in highs if h is not None)
    return _plain(low, high)


def _plain(low: int, high: int | None) -> Quantity:
    if high is None:
        return Quantity(low, None, Kind.AT_LEAST)
    if low == high:
        return Quantity.exact(low)
    return Quantity(low, high, Kind.RANGE)


def _from_match(kind: str, numbers: list[int], field: str) -> Quantity:
    if kind == "exact":
        return Quantity.exact(numbers[0], field=field)
    if kind == "range":
        return Quantity.between(numbers[0], numbers[1], field=field)
    if kind == "at_least":
        return Quantity.at_least(numbers[0], field=field)
    if kind == "above":
        return Quantity.at_least(numbers[0] + 1, field=field)
    if kind == "at_most":
        return Quantity.at_most(numbers[0], field=field)
    if kind == "about":
        return about(numbers[0], field=field)
    if numbers[0] == 0:  # "fewer than 0"
        raise InvalidInput("a count cannot be fewer than 0", field=field, code="negative_count")
    return Quantity.at_most(numbers[0] - 1, field=field)


def _count(value: Any, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number; got {value!r}", field=field)
    if value < 0:
        raise InvalidInput(
            f"{field} is {value}: a count cannot be negative", field=field, code="negative_count"
        )
    if value > MAX_COUNT:
        raise InvalidInput(f"{field} is {value}; at most {MAX_COUNT}", field=field)


def _normal(text: str) -> str:
    return " ".join(text.translate(_DASHES).replace("\u00a0", " ").lower().split())


_PHRASES: Final[Mapping[Lang, Mapping[str, str]]] = {
    "en": {
        "zero": "none (0)",
        "at_least": "at least {}",
        "at_most": "up to {}",
        "about": "about {}",
    },
    "uk": {
        "zero": "жодного (0)",
        "at_least": "щонайменше {}",
        "at_most": "до {}",
        "about": "близько {}",
    },
    "ru": {
        "zero": "ни одного (0)",
        "at_least": "не менее {}",
        "at_most": "до {}",
        "about": "около {}",
    },
}

"""Counts as stated: a number with what bounds it, a range, or a vague word, as a `Quantity`.

    "at least 22", "щонайменше 22", "не менее 22", "22+"        at_least 22
    "more than 20", "понад 20", "более 20"                      at_least 21
    "up to 10", "до 10" (not "rose to 10")                      at_most 10
    "fewer than 3", "менше ніж 3"                               at_most 2
    "about 300", "близько 300", "около 300"                     vague 270–330 ("about 300")
    "5-6", "between five and six", "від 5 до 6", "5 or 6"       range 5–6
    "several", "dozens", "кількох", "десятки", "несколько"       vague, the word of `VAGUE`

The kinds and ranges are `records.domain.quantities`' own (`Quantity`, `about`, `VAGUE`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from tocsin.records.domain.quantities import VAGUE, Quantity, about
from tocsin.records.extraction.model import Lang
from tocsin.records.extraction.numbers import Number, find_numbers, word_value
from tocsin.records.extraction.text import Token, phrases, words


@dataclass(frozen=True, slots=True)
class Count:
    """A count: tokens `first`..`last` of the text (with its bound words), `head` the index of
    the token after it."""

    quantity: Quantity
    start: int
    end: int
    first: int
    last: int

    @property
    def head(self) -> int:
        return self.last + 1


_BOUNDS: Final[tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]] = (
    (
        "at_least",
        phrases(
            "at least|no fewer than|not less than|no less than|a minimum of|щонайменше|"
            "щонайменш|принаймні|не менше ніж|не менше як|не менш як|не менше|мінімум|"
            "не менее чем|не менее|как минимум|по меньшей мере|минимум|по крайней мере"
        ),
    ),
    (
        "above",
        phrases(
            "more than|over|upwards of|понад|більше ніж|більш ніж|більше за|більше|"
            "более чем|более|больше чем|больше|свыше"
        ),
    ),
    ("at_most", phrases("up to|at most|no more than|не більше ніж|не більше|не более|до")),
    ("below", phrases("fewer than|less than|менше ніж|менш ніж|менее чем|менее|меньше")),
    (
        "about",
        phrases(
            "about|approximately|around|nearly|almost|roughly|some|an estimated|близько|"
            "приблизно|майже|орієнтовно|около|примерно|почти|порядка|~|≈"
        ),
    ),
)
RISE: Final = words(
    "rose risen increased grew climbed зросла зросло зросли збільшилася збільшилась "
    "збільшилося збільшилось збільшилися сягнула сягнуло возросло возросла возросли "
    "выросло выросла выросли увеличилось увеличилась увеличились достигло достигла"
)
_RANGE_JOINS: Final = frozenset({"-", "to", "or", "до", "або", "чи", "или", "…", "--"})
_RANGE_OPENERS: Final[Mapping[str, str]] = {
    "between": "and",
    "from": "to",
    "від": "до",
    "од": "до",
    "от": "до",
}
_HOW: Final = words("how скільки сколько")  # "how many drones": a question, not a count
# inflected vague words -> the word as the VAGUE table has it
_VAGUE_FORMS: Final[Mapping[str, str]] = {
    "кілька десятків": "десятків",
    "декілька десятків": "десятків",
    "кількох десятків": "десятків",
    "несколько десятков": "десятков",
    "нескольких десятков": "десятков",
    "several dozen": "dozens",
    "кілька сотень": "сотень",
    "декілька сотень": "сотень",
    "несколько сотен": "сотни",
    "several hundred": "hundreds",
    "кілька тисяч": "тисяч",
    "декілька тисяч": "тисяч",
    "несколько тысяч": "тысяч",
    "several thousand": "thousands",
    "кількох": "кілька",
    "кільком": "кілька",
    "кількома": "кілька",
    "декількох": "декілька",
    "декільком": "декілька",
    "нескольких": "несколько",
    "нескольким": "несколько",
    "несколькими": "несколько",
    "десятками": "десятки",
    "десятка": "десяток",
    "сотнями": "сотні",
    "сотен": "сотни",
    "сотнях": "сотні",
    "тисячами": "тисячі",
    "тысячами": "тысячи",
    "багатьох": "багато",
    "многих": "много",
}


def find_counts(toks: Sequence[Token], norm: str, lang: Lang) -> list[Count]:
    numbers = find_numbers(toks, norm, lang)
    counts: list[Count] = []
    taken = -1
    vague = _vague_words(toks)
    n = 0
    for i in range(len(toks)):
        if i <= taken:
            continue
        while n < len(numbers) and numbers[n].first < i:
            n += 1
        if n < len(numbers) and numbers[n].first == i:
            count = _around(toks, numbers, n, lang)
            counts.append(count)
            taken = count.last
            n += 1
            continue
        if "-" in toks[i].text and toks[i].is_word:
            hyphenated = _hyphen_range(toks[i], lang)
            if hyphenated is not None:
                counts.append(Count(hyphenated, toks[i].start, toks[i].end, i, i))
                taken = i
                continue
        if i in vague and (i == 0 or toks[i - 1].text not in _HOW):
            words, last = vague[i]
            prefix = _bound_before(toks, i)
            first = i if prefix is None or prefix[0] != "about" else prefix[1]
            counts.append(
                Count(Quantity.vague(words), toks[first].start, toks[last].end, first, last)
            )
            taken = last
    return [c for c in counts if c.first >= 0]


def _around(toks: Sequence[Token], numbers: Sequence[Number], n: int, lang: Lang) -> Count:
    number = numbers[n]
    first, last = number.first, number.last
    # ranges: "5-6", "5 to 6", "five or six", "between 5 and 6", "від 5 до 6"
    second = numbers[n + 1] if n + 1 < len(numbers) else None
    if second is not None and second.first == last + 2 and second.value > number.value:
        join = toks[last + 1].text
        opener = toks[first - 1].text if first > 0 else ""
        rise = first >= 2 and toks[first - 2].text in RISE
        if (join in _RANGE_JOINS or _RANGE_OPENERS.get(opener) == join) and not rise:
            start = first - 1 if _RANGE_OPENERS.get(opener) == join else first
            return Count(
                Quantity.between(number.value, second.value),
                toks[start].start,
                second.end,
                start,
                second.last,
            )
    if last + 1 < len(toks) and toks[last + 1].text == "+" and toks[last + 1].start == number.end:
        return Count(
            Quantity.at_least(number.value), number.start, toks[last + 1].end, first, last + 1
        )
    bound = _bound_before(toks, first)
    if bound is not None:
        kind, start = bound
        quantity = _bounded(kind, number.value, toks, start)
        if quantity is not None:
            return Count(quantity, toks[start].start, number.end, start, last)
    return Count(Quantity.exact(number.value), number.start, number.end, first, last)


def _bounded(kind: str, value: int, toks: Sequence[Token], start: int) -> Quantity | None:
    if kind == "at_least":
        return Quantity.at_least(value)
    if kind == "above":
        return Quantity.at_least(value + 1)
    if kind == "about":
        return about(value)
    if kind == "below":
        return Quantity.at_most(value - 1) if value > 0 else None
    before = toks[start - 1].text if start > 0 else ""
    if toks[start].text == "до" and (before in RISE or before.isdigit()):
        return None  # "зросла до 28" is 28
    return Quantity.at_most(value)


def _bound_before(toks: Sequence[Token], first: int) -> tuple[str, int] | None:
    for kind, bounds in _BOUNDS:
        for phrase in bounds:
            start = first - len(phrase)
            if start >= 0 and tuple(t.text for t in toks[start:first]) == phrase:
                return kind, start
    return None


def _hyphen_range(token: Token, lang: Lang) -> Quantity | None:
    parts = token.text.split("-")
    if len(parts) != 2:
        return None
    low, high = word_value(parts[0], lang), word_value(parts[1], lang)
    if low is None or high is None or low >= high or (lang == "en" and high > low + 9 < 20):
        return None
    if lang == "en" and low >= 20:  # twenty-one
        return None
    return Quantity.between(low, high)


def _vague_words(toks: Sequence[Token]) -> dict[int, tuple[str, int]]:
    """Index of a vague word's first token → (its VAGUE key, index of its last token)."""
    found: dict[int, tuple[str, int]] = {}
    i = 0
    while i < len(toks):
        for size in (3, 2, 1):
            words = " ".join(t.text for t in toks[i : i + size])
            key = words if words in VAGUE else _VAGUE_FORMS.get(words)
            if key is not None and len(toks[i : i + size]) == size:
                found[i] = (key, i + size - 1)
                i += size - 1
                break
        i += 1
    return found

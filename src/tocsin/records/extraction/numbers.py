"""Numbers as reports write them, in English, Ukrainian and Russian, with their tokens.

Digits ("49", "1 200", "1,200") and number words in any case and gender ("five", "twenty-one",
"п'ять", "п'ятьох", "двоє", "двадцять одного", "пятерых", "одна"). The word tables are built
once (`warm`): the lemmas below, every inflected form pymorphy3 knows for each (the uk and ru
dictionaries), and the forms it misses. number-parser reads the English words.

A digit run is no count when it is part of something else: a clock time (09:40), a date
(31 грудня, March 24), a year (2024 року), a model (Kh-101, С-300, Shahed-136), an ordinal or
a compound adjective (4th, 9-поверховий, 45-year-old), or a measure with a unit (5 km, 30 %).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from number_parser import parse_number

from tocsin.records.domain.quantities import MAX_COUNT
from tocsin.records.extraction.model import Lang
from tocsin.records.extraction.text import Token, normal, words

_UNITS_UK: Final = (
    ("один", 1), ("два", 2), ("три", 3), ("чотири", 4), ("п'ять", 5), ("шість", 6),
    ("сім", 7), ("вісім", 8), ("дев'ять", 9), ("десять", 10), ("одинадцять", 11),
    ("дванадцять", 12), ("тринадцять", 13), ("чотирнадцять", 14), ("п'ятнадцять", 15),
    ("шістнадцять", 16), ("сімнадцять", 17), ("вісімнадцять", 18), ("дев'ятнадцять", 19),
    ("двадцять", 20), ("тридцять", 30), ("сорок", 40), ("п'ятдесят", 50),
    ("шістдесят", 60), ("сімдесят", 70), ("вісімдесят", 80), ("дев'яносто", 90),
    ("сто", 100), ("двісті", 200), ("триста", 300), ("чотириста", 400), ("п'ятсот", 500),
    ("шістсот", 600), ("сімсот", 700), ("вісімсот", 800), ("дев'ятсот", 900),
    ("двоє", 2), ("троє", 3), ("четверо", 4), ("п'ятеро", 5), ("шестеро", 6),
    ("семеро", 7), ("восьмеро", 8), ("дев'ятеро", 9), ("десятеро", 10), ("обидва", 2),
)  # fmt: skip
_UNITS_RU: Final = (
    ("один", 1), ("два", 2), ("три", 3), ("четыре", 4), ("пять", 5), ("шесть", 6),
    ("семь", 7), ("восемь", 8), ("девять", 9), ("десять", 10), ("одиннадцать", 11),
    ("двенадцать", 12), ("тринадцать", 13), ("четырнадцать", 14), ("пятнадцать", 15),
    ("шестнадцать", 16), ("семнадцать", 17), ("восемнадцать", 18), ("девятнадцать", 19),
    ("двадцать", 20), ("тридцать", 30), ("сорок", 40), ("пятьдесят", 50),
    ("шестьдесят", 60), ("семьдесят", 70), ("восемьдесят", 80), ("девяносто", 90),
    ("сто", 100), ("двести", 200), ("триста", 300), ("четыреста", 400), ("пятьсот", 500),
    ("шестьсот", 600), ("семьсот", 700), ("восемьсот", 800), ("девятьсот", 900),
    ("двое", 2), ("трое", 3), ("четверо", 4), ("пятеро", 5), ("шестеро", 6),
    ("семеро", 7), ("восьмеро", 8), ("девятеро", 9), ("десятеро", 10), ("оба", 2),
)  # fmt: skip
# forms the dictionaries miss or file under another lemma
_EXTRA: Final[Mapping[str, int]] = {
    "ста": 100, "сотня": 100, "сотню": 100, "обох": 2, "обидві": 2,
    "обоих": 2, "обе": 2, "обеих": 2, "двох": 2, "трьох": 3, "чотирьох": 4,
    "двоих": 2, "троих": 3, "четверых": 4, "пятерых": 5, "шестерых": 6, "семерых": 7,
    "п'ятьох": 5, "шістьох": 6, "сімох": 7, "вісьмох": 8, "десятьох": 10,
    "однієї": 1, "одної": 1, "одну": 1, "одна": 1, "одне": 1, "одно": 1,
    "одного": 1, "одной": 1, "одному": 1, "одній": 1,
}  # fmt: skip
_THOUSANDS: Final = words("thousand тисяча тисячі тисяч тисячу тысяча тысячи тысяч тысячу тис тыс")
_EN_WORDS: Final = words(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred"
)
_MONTHS: Final = words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада "
    "грудня січень лютий березень квітень травень червень липень серпень вересень "
    "жовтень листопад грудень "
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря "
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь"
)
_NOT_COUNTS: Final = re.compile(
    r"(?:рок|рік|року|роки|році|років|лет|год|года|году|years?|р|г|гг|km|км|м|m|metres?|"
    r"meters?|метр\w*|kilomet\w*|кілометр\w*|километр\w*|hours?|годин\w*|час|часа|часов|хв|хвилин\w*|"
    r"мин|минут\w*|minutes?|min|сек\w*|seconds?|%|відсот\w*|процент\w*|percent|per|грн|uah|"
    r"гривень|гривні|руб\w*|доллар\w*|долар\w*|dollars?|usd|\$|€|євро|евро|euros?|тонн\w*|"
    r"tonn?es?|tons?|т|кг|kg|га|гектар\w*|hectares?|мм|mm|мвт|mw|квт|kw|градус\w*|degrees?|"
    r"°|км/год|км/ч|mph|storey|поверх\w*|этаж\w*|floor|мікрорайон|микрорайон|ст|стаття|"
    r"статья|статті|статьи|article|№|квартир\w*|apartments|hryvnias?|rubles?|roubles?|"
    r"a|times|разів|раз|рази|раза|разу)"
)
_PERSONS: Final = words("man woman boy girl person resident pensioner driver teenager")
_AGE: Final = words("aged age віком вік возрасте возрастом")
_AFTER_MODEL: Final = re.compile(r"(?:shahed|шахед|geran|герань|ту|tu|іл|ил|су|su)$")


@dataclass(frozen=True, slots=True)
class Number:
    """A number stated in the text: tokens `first` to `last` (inclusive) of the text's tokens."""

    value: int
    start: int
    end: int
    first: int
    last: int
    word: bool  # written as words


def warm() -> None:
    for lang in ("uk", "ru"):
        _words(lang)


@functools.cache
def _words(lang: str) -> Mapping[str, int]:
    import pymorphy3

    table: dict[str, int] = {}
    morph = pymorphy3.MorphAnalyzer(lang=lang)
    for lemma, value in _UNITS_UK if lang == "uk" else _UNITS_RU:
        table[lemma] = value
        for parse in morph.parse(lemma)[:2]:
            if parse.normal_form == lemma or parse.word == lemma:
                for form in parse.lexeme:
                    table.setdefault(normal(form.word), value)
    for form, value in _EXTRA.items():
        table.setdefault(form, value)
    return table


def word_value(word: str, lang: Lang) -> int | None:
    """The value of one number word ("п'ятьох" → 5, "twenty" → 20), or None."""
    if lang == "en":
        if word in _EN_WORDS or ("-" in word and all(w in _EN_WORDS for w in word.split("-"))):
            value = parse_number(word, language="en")
            return value if isinstance(value, int) else None
        return None
    return _words(lang).get(word) or _words("ru" if lang == "uk" else "uk").get(word)


def find_numbers(toks: Sequence[Token], norm: str, lang: Lang) -> list[Number]:
    """Every number stated as a count, in order."""
    found: list[Number] = []
    i = 0
    while i < len(toks):
        number = _digits(toks, norm, i) or _words_at(toks, norm, i, lang)
        if number is None:
            i += 1
            continue
        if _is_count(toks, norm, number):
            found.append(number)
        i = number.last + 1
    return found


def _digits(toks: Sequence[Token], norm: str, i: int) -> Number | None:
    tok = toks[i]
    if not tok.is_digits or len(tok.text) > _MOST_DIGITS:
        return None  # no count of anything in a report has more digits: a code, a phone
    value, last = int(tok.text), i
    if len(tok.text) <= 3:  # "1 200", "1,200"
        while (
            last + 2 < len(toks)
            and toks[last + 1].text == ","
            and toks[last + 1].start == toks[last].end
            and toks[last + 2].start == toks[last + 1].end
            and len(toks[last + 2].text) == 3
            and toks[last + 2].is_digits
        ) or (
            last + 1 < len(toks)
            and toks[last + 1].is_digits
            and len(toks[last + 1].text) == 3
            and norm[toks[last].end : toks[last + 1].start] == " "
        ):
            step = 2 if toks[last + 1].text == "," else 1
            last += step
            value = value * 1000 + int(toks[last].text)
    nxt = toks[last + 1] if last + 1 < len(toks) else None
    if nxt is not None and nxt.text in _THOUSANDS:
        value, last = value * 1000, last + 1
        after = toks[last + 1] if last + 1 < len(toks) else None
        if after is not None and after.text == "." and after.start == toks[last].end:
            last += 1  # "4 тыс. абонентов"
    return Number(value, tok.start, toks[last].end, i, last, word=False)


_MOST_DIGITS: Final = 10


def _words_at(toks: Sequence[Token], norm: str, i: int, lang: Lang) -> Number | None:
    total, current, last = 0, 0, -1
    j = i
    while j < len(toks):
        word = toks[j].text
        if j > i and word in ("and", "і", "и") and current >= 100:
            j += 1
            continue
        value = word_value(word, lang) if toks[j].is_word else None
        if value is None and word in _THOUSANDS and last >= 0:
            total, current, last = total + max(current, 1) * 1000, 0, j
            j += 1
            continue
        if value is None or (last >= 0 and not _composes(current, value)):
            break
        current = current * value if value == 100 and 0 < current < 10 else current + value
        last = j
        j += 1
    if last < 0:
        return None
    return Number(total + current, toks[i].start, toks[last].end, i, last, word=True)


def _composes(current: int, value: int) -> bool:
    if value == 100:
        return 0 < current < 10
    if current % 100 == 0:
        return value < 100
    if current % 10 == 0 and current % 100 >= 20:
        return value < 10
    return False


def _is_count(toks: Sequence[Token], norm: str, number: Number) -> bool:
    if number.value > MAX_COUNT:
        return False  # no count the incident model takes: a figure nobody states of a strike
    before = toks[number.first - 1] if number.first > 0 else None
    after = toks[number.last + 1] if number.last + 1 < len(toks) else None
    if number.word:
        return after is None or not _NOT_COUNTS.fullmatch(after.text)
    if before is not None and before.end == toks[number.first].start:
        if before.text in (":", ".", ",", "/", "№", "#", "^", "*", "e", "E"):
            return False
        if before.text == "-" and number.first >= 2 and toks[number.first - 2].is_word:
            return False
    if after is not None and after.start == number.end:
        if after.is_word or after.text in ("/", "%", "°", "^", "*"):
            return False
        if after.text == ":" and number.last + 2 < len(toks):
            following = toks[number.last + 2]
            if following.start == after.end and following.is_digits:
                return False
        if after.text in (".", ",") and number.last + 2 < len(toks):
            following = toks[number.last + 2]
            if following.start == after.end and following.is_digits:
                return False
        if after.text == "-" and number.last + 2 < len(toks) and toks[number.last + 2].is_word:
            return False
    if 1990 <= number.value <= 2039 and any(
        t.text in _MONTHS for t in toks[max(0, number.first - 3) : number.first]
    ):
        return False
    if any(t.text in _AGE for t in toks[max(0, number.first - 3) : number.first]):
        return False
    if before is not None and before.text == "of" and toks[number.first - 2].text in _PERSONS:
        return False  # "a man of 47"
    if before is not None and (before.text in _MONTHS or _AFTER_MODEL.fullmatch(before.text)):
        return False
    return after is None or not (after.text in _MONTHS or _NOT_COUNTS.fullmatch(after.text))

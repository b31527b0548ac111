"""The places a report names, as region codes at the finest level tocsin knows.

A place is read in any case form and in Ukrainian, Russian or English: "Харкові", "Харьковом",
"Kharkiv" → Kharkiv's city hromada; "Одещину", "Odesa region", "Одеська ОВА" → Odesa oblast;
"Харківському районі" → the raion; "Андрушівській громаді" → the hromada; a village → the
hromada it lies in; "Белгородом", "Курчатове", "Shebekino" → their Russian oblast. The names and
their forms come from `gazetteer` (built once); a name is read only when it starts with a
capital letter.

Many villages share a name. The one meant is the one inside the oblast, raion or hromada
named nearest in the text; failing that, a city before a town before a village; failing that,
nothing (a wrong place is worse than a missing one). A name that is also a common word
("Веселе", "Слава") is read only after "село", "village"… or inside a region the text names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.records.extraction.declension import fold
from tocsin.records.extraction.disambiguation import Mention, resolve
from tocsin.records.extraction.gazetteer import Gazetteer, Place, ancestors, gazetteer
from tocsin.records.extraction.model import Evidence, Lang, PlaceFinding

_LETTERS = "A-Za-zА-Яа-яЁёІіЇїЄєҐґ"
_WORD = re.compile(rf"[{_LETTERS}]+(?:[-'’ʼ][{_LETTERS}]+)*")
_POSSESSIVE = {"'s", "’s"}

# The nouns an adjective needs to name a region, by class (folded).
_NOUNS: dict[str, str] = {
    **{fold(w): "oblast" for w in (
        "область", "області", "областю", "обл", "областях", "областей", "областями",
        "ОВА", "ОДА", "губернатор", "губернатора", "губернатору", "губернатором",
        "губернаторові", "облрада", "облради", "облраді", "регіон", "регіону", "регіоні",
        "облавтодор", "поліція", "поліції", "прокуратура", "прокуратури",
        "oblast", "oblasts", "region", "regions", "governor", "regional", "province",
        "provinces", "OVA", "край", "края", "крае", "краем", "краю", "krai", "territory",
        "области", "областью", "областях", "губернатором", "регион", "региона", "регионе",
    )},
    **{fold(w): "raion" for w in (
        "район", "району", "районі", "районом", "районах", "районів", "р-н", "района",
        "районе", "районов", "raion", "raions", "district", "districts", "округ", "округа",
        "округе", "округом", "округу",
    )},
    **{fold(w): "hromada" for w in (
        "громада", "громади", "громаді", "громаду", "громадою", "громад", "ТГ", "ОТГ",
        "громады", "громаде", "громадой", "община", "общины", "общине", "общину", "общиной",
        "hromada", "hromadas", "community",
    )},
}  # fmt: skip
_OBLAST_ADJECTIVE = re.compile(r"^(обласн|областн)")  # "Харківська обласна рада"
_BETWEEN = {
    fold(w)
    for w in (
        "міська", "міської", "міській", "міську", "міською", "сільська", "сільської",
        "сільській", "сільську", "сільською", "селищна", "селищної", "селищній", "селищну",
        "селищною", "територіальна", "територіальної", "територіальній", "територіальну",
        "територіальною", "городская", "городской", "сельская", "сельской", "поселковая",
        "городском", "городского", "городскому", "городским", "муниципальный",
        "муниципальном", "муниципального", "муниципальному",
        "поселковой", "urban", "rural", "settlement", "city", "territorial", "military",
        "військова", "адміністрація", "державна",
    )
}  # fmt: skip
_AND = {"і", "й", "та", "и", "and", ","}

# Words that say what the next name is.
_VILLAGE_CUES = {
    fold(w)
    for w in (
        "село", "села", "селі", "селом", "с", "сел", "селище", "селища", "селищі", "селищем",
        "смт", "сщ", "хутір", "хутора", "хуторі", "поселок", "посёлок", "поселка", "посёлка",
        "поселке", "посёлке", "пос", "пгт", "деревня", "деревни", "деревне", "хутор",
        "хуторе", "станица", "станицы", "станице", "village", "villages", "settlement",
        "hamlet",
    )
}  # fmt: skip
_TOWN_CUES = {
    fold(w)
    for w in (
        "місто", "міста", "місті", "містом", "м", "город", "города", "городе", "городом",
        "г", "city", "town",
    )
}  # fmt: skip


# Rivers that share a city's name, and the words around them that say it is the river.
_RIVERS = {fold(w) for w in ("Дніпро", "Дніпра", "Дніпром", "Дніпрі", "Днепр", "Днепра",
                             "Днепром", "Днепре", "Dnipro", "Dnepr")}  # fmt: skip
_RIVER_CUES = {
    fold(w)
    for w in (
        "берег", "берега", "березі", "берегом", "береги", "берегах", "берегу", "лівий",
        "правий", "лівого", "правого", "левый", "правый", "левого", "правого", "через",
        "річка", "річки", "річці", "річкою", "река", "реки", "реке", "рекой", "русло",
        "the", "river", "bank", "banks", "across", "над", "вздовж", "вдоль", "along",
    )
}  # fmt: skip


_STREETS = {
    fold(w)
    for w in (
        "вулиця", "вулиці", "вулицю", "вулицею", "вул", "проспект", "проспекті", "просп",
        "провулок", "провулку", "пров", "бульвар", "бульварі", "бульв", "площа", "площі",
        "шосе", "набережна", "набережній", "узвіз", "улица", "улице", "улицу", "ул",
        "проспекте", "переулок", "переулке", "пер", "бульваре", "площадь", "площади",
        "шоссе", "набережная", "набережной", "street", "avenue", "st", "ave", "square",
    )
}  # fmt: skip


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    text: str
    key: str


def find_places(text: str, lang: Lang) -> list[PlaceFinding]:
    """Every place named in `text`, in order, each with its evidence."""
    index = gazetteer()
    tokens = [_token(m.start(), m.group()) for m in _WORD.finditer(text)]
    mentions = _mentions(text, tokens, index)
    found: list[PlaceFinding] = []
    for mention, place in zip(mentions, resolve(mentions, index.stop, lang), strict=True):
        if place is not None:
            evidence = Evidence.of(text, mention.start, mention.end)
            found.append(PlaceFinding(place.region, place.name, place.level, evidence,
                                      place.katottg))  # fmt: skip
    return found


def finest(codes: Iterable[str]) -> list[str]:
    """The codes without those that are an ancestor of another in the list, in order of
    first appearance ("UA-63", "UA-63-H1293" → "UA-63-H1293")."""
    unique = list(dict.fromkeys(codes))
    below = {a for code in unique for a in ancestors(code)}
    return [c for c in unique if c not in below]


def _token(start: int, word: str) -> _Token:
    if word[-2:] in _POSSESSIVE and word[:-2].isascii():  # "Kharkiv's"
        word = word[:-2]
    return _Token(start, start + len(word), word, fold(word))


def _mentions(text: str, tokens: list[_Token], index: Gazetteer) -> list[Mention]:
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.text[0].isupper() or token.text.lower() in index.never:
            i += 1
            continue
        found = _match_at(text, tokens, i, index)
        if found is None:
            i += 1
            continue
        end, places = found
        key = " ".join(t.key for t in tokens[i:end])
        if not (key in _RIVERS and _river(tokens, i, end)) and not _street(tokens, i):
            stop = tokens[end - 1].end
            mentions.append(Mention(token.start, stop, places, key, text[token.start : stop],
                                    _cue(tokens, i), _initial(text, token.start),
                                    _beside_capital(text, tokens, i, end)))  # fmt: skip
        i = end
    return mentions


def _match_at(
    text: str, tokens: list[_Token], i: int, index: Gazetteer
) -> tuple[int, list[Place]] | None:
    """The longest name starting at token `i`: (the index after its last token, its places)."""
    for size in range(min(index.longest, len(tokens) - i), 0, -1):
        if not _adjacent(text, tokens, i, size) or (size == 1 and len(tokens[i].text) < 3):
            continue
        key = " ".join(t.key for t in tokens[i : i + size])
        adjectives = index.adjectives.get(key)
        if adjectives:
            region = _with_noun(text, tokens, i + size, adjectives, index)
            if region is not None and _adjacent(text, tokens, i, region[0] - i):
                return region
        places = index.names.get(key)
        if places:
            return i + size, list(places)
    return None


def _with_noun(
    text: str,
    tokens: list[_Token],
    j: int,
    adjectives: list[tuple[Place, str]],
    index: Gazetteer,
) -> tuple[int, list[Place]] | None:
    """The region an adjective names when the noun of its class follows (maybe after
    "міська", "сільська"… or after other adjectives joined by "і", "та", "and":
    "Харківській та Сумській областях")."""
    while j < len(tokens) and tokens[j].key in _BETWEEN:
        j += 1
    kind = _noun_class(tokens[j]) if j < len(tokens) else None
    if kind is None:
        kind = _listed_noun(text, tokens, j, index)
    if kind is None:
        return None
    places = [place for place, wanted in adjectives if wanted == kind]
    if not places:
        return None
    return (j + 1 if _noun_class(tokens[j]) == kind else j), places


def _noun_class(token: _Token) -> str | None:
    kind = _NOUNS.get(token.key)
    if kind is None and _OBLAST_ADJECTIVE.match(token.key):
        return "oblast"
    return kind


def _listed_noun(text: str, tokens: list[_Token], j: int, index: Gazetteer) -> str | None:
    """The class of the noun that ends a list of adjectives starting at token `j`."""
    steps = 0
    while j < len(tokens) and steps < 6:
        if tokens[j].key not in _AND and text[tokens[j - 1].end : tokens[j].start].strip() != ",":
            return None
        if tokens[j].key in _AND:
            j += 1
        size = _adjective_size(tokens, j, index)
        if size == 0:
            return None
        j += size
        while j < len(tokens) and tokens[j].key in _BETWEEN:
            j += 1
        if j < len(tokens) and (kind := _noun_class(tokens[j])) is not None:
            return kind
        steps += 1
    return None


def _adjective_size(tokens: list[_Token], j: int, index: Gazetteer) -> int:
    for size in range(min(index.longest, len(tokens) - j), 0, -1):
        if " ".join(t.key for t in tokens[j : j + size]) in index.adjectives:
            return size
    return 0


def _adjacent(text: str, tokens: list[_Token], i: int, size: int) -> bool:
    """True when the `size` tokens from `i` are one name: separated by spaces only."""
    if i + size > len(tokens):
        return False
    return all(
        not text[tokens[k].end : tokens[k + 1].start].strip() for k in range(i, i + size - 1)
    )


def _cue(tokens: list[_Token], i: int) -> str | None:
    for back in (1, 2):
        if i - back < 0:
            return None
        key = tokens[i - back].key
        if key in _VILLAGE_CUES:
            return "village"
        if key in _TOWN_CUES:
            return "town"
        if key != "of":
            return None
    return None


def _river(tokens: list[_Token], i: int, end: int) -> bool:
    """True when the river is meant: "лівий берег Дніпра", "across the Dnipro", "Dnipro
    River"."""
    near = [t.key for t in tokens[max(0, i - 2) : i]] + [t.key for t in tokens[end : end + 1]]
    return any(k in _RIVER_CUES for k in near)


def _street(tokens: list[_Token], i: int) -> bool:
    """True when the name is a street's ("вулиця Харківська", "проспект Перемоги")."""
    return any(t.key in _STREETS for t in tokens[max(0, i - 2) : i])


def _beside_capital(text: str, tokens: list[_Token], i: int, end: int) -> bool:
    after = end < len(tokens) and _adjacent(text, tokens, end - 1, 2)
    if after and tokens[end].text[0].isupper():
        return True
    before = i > 0 and _adjacent(text, tokens, i - 1, 2)
    return before and tokens[i - 1].text[0].isupper() and not _initial(text, tokens[i - 1].start)


def _initial(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t«\"'“„(")
    return not before or before[-1] in ".!?\n:"

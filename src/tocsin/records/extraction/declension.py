"""The case forms of place names, Ukrainian and Russian, by the endings of their nominative.

The dictionaries (pymorphy3) know the big cities but not the 28,000 villages of the codifier,
and the Ukrainian one reads "Харкові" as a surname; so the forms of a name are made here from
its ending, the way its declension goes: "Петрівка" → Петрівки, Петрівці, Петрівку,
Петрівкою; "Харків" → Харкова, Харкову, Харковом, Харкові; "Веселе" → Веселого, Веселому….
A form too many costs nothing (it is only looked up), a form missing loses a place; so where
the grammar hesitates (genitive -а or -у, locative -і or -у) both are made.

`fold` is the key both sides are compared by: lower case, no apostrophe or soft sign, and the
letters Ukrainian and Russian spell differently brought together (і, ї, ы → и; є, э, ё → е),
so a Russian form made from a Ukrainian stem ("Харкове", Russian for "in Kharkiv") meets the
text's "Харькове".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

_FOLD = str.maketrans(
    {
        "ё": "е", "ъ": None, "ь": None, "ы": "и", "э": "е", "і": "и", "ї": "и", "є": "е",
        "ґ": "г", "'": None, "’": None, "ʼ": None, "‘": None, "`": None, "´": None,
    }
)  # fmt: skip

CASES = 6  # nominative, genitive, dative, accusative, instrumental, locative


def fold(word: str) -> str:
    """The key a word is compared by (see the module's docstring)."""
    return word.lower().translate(_FOLD)


Forms = list[set[str]]  # one set of forms for each of the six cases
_Adjective = Callable[[str], "Forms | None"]
_Noun = Callable[[str], Forms]


def _forms(stem: str, *endings: str) -> Forms:
    """Folded forms from `stem` and one ending per case, each ending "a|b" for alternatives
    (folding is letter by letter, so the stem and the endings are folded apart, once)."""
    folded = fold(stem)
    return [{folded + e for e in _endings(ending)} for ending in endings]


@cache
def _endings(ending: str) -> tuple[str, ...]:
    return tuple(fold(e) for e in ending.split("|"))


def _merge(*many: Forms) -> Forms:
    merged: Forms = [set() for _ in range(CASES)]
    for forms in many:
        for case, words in enumerate(forms):
            merged[case] |= words
    return merged


_VELAR = {"к": "ц", "г": "з", "х": "с"}
_HUSHING = "жчшщ"
_UK_VOWELS = "аеєиіїоуюя"


def _uk_adjective(word: str) -> Forms | None:
    if word.endswith(("ий", "ій")) and len(word) > 3:
        stem = word[:-2]
        return _forms(stem, "ий|ій", "ого|ього", "ому|ьому", "ий|ій", "им|ім", "ому|ім|ьому")
    if word.endswith(("ська", "цька", "зька", "ова", "ева", "єва", "ина", "іна", "ня")) or (
        word.endswith("а") and len(word) > 3
    ):
        stem = word[:-1]
        return _forms(stem, "а", "ої|ьої", "ій", "у", "ою", "ій")
    if word.endswith(("е", "є")) and len(word) > 3:
        stem = word[:-1]
        return _forms(stem, "е|є", "ого|ього", "ому|ьому", "е|є", "им|ім", "ому|ім|ьому")
    if word.endswith("і") and len(word) > 3:
        stem = word[:-1]
        return _forms(stem, "і", "их", "им", "і|их", "ими", "их")
    return None


def _uk_alternates(stem: str) -> set[str]:
    """The stem and its forms with the vowel of a closed last syllable opened
    (Харків → Харков-, Київ → Києв-, Бориспіль → Борисполь-, Ірпінь → Ірпен-)."""
    stems = {stem}
    match = re.search(r"([іїо])([^аеєиіїоуюя]+)$", stem)
    if match:
        head, tail = stem[: match.start()], match.group(2)
        if match.group(1) == "ї":
            stems.add(head + "є" + tail)
        elif match.group(1) == "і":
            stems |= {head + "о" + tail, head + "е" + tail}
    if stem.endswith("ець"):
        stems.add(stem[:-3] + "ц")
    if stem.endswith("ець") or stem.endswith("ок"):
        stems.add(stem[:-2] + stem[-1])
    return stems


def uk_noun(word: str) -> Forms:
    """The case forms of a Ukrainian place noun (singular unless it ends in -и/-і)."""
    low = word
    if low.endswith(("ка", "га", "ха")):
        stem, soft = low[:-2], _VELAR[low[-2]]
        return _forms(stem, low[-2:], low[-2] + "и", soft + "і", low[-2] + "у", low[-2] + "ою",
                      soft + "і")  # fmt: skip
    if low.endswith("ія") or low.endswith("ея"):
        return _forms(low[:-1], "я", "ї", "ї", "ю", "єю", "ї")
    if re.search(r"([^аеєиіїоуюя])\1я$", low):  # Запоріжжя, Закарпаття
        return _forms(low[:-1], "я", "я", "ю", "я", "ям", "і|ю")
    if low.endswith("я"):
        return _forms(low[:-1], "я", "і", "і", "ю", "ею", "і")
    if low.endswith("а"):
        stem = low[:-1]
        if stem and stem[-1] in _HUSHING:
            return _forms(stem, "а", "і", "і", "у", "ею", "і")
        return _forms(stem, "а", "и", "і", "у", "ою", "і")
    if low.endswith("о"):
        return _forms(low[:-1], "о", "а", "у|ові", "о", "ом", "і|у|ові")
    if low.endswith(("и", "і")):
        stem = low[:-1]
        return _forms(stem, low[-1], "|ів|ей", "ам|ям", low[-1], "ами|ями", "ах|ях")
    if low.endswith("ь"):
        forms = _merge(*(_forms(s[:-1] if s.endswith("ь") else s, "ь", "я", "ю|еві", "ь", "ем",
                               "і|ю") for s in _uk_alternates(low)))  # fmt: skip
        forms[0] = {fold(low)}
        forms[3] = {fold(low)}
        return forms
    if low.endswith("й"):
        stem = low[:-1]
        return _forms(stem, "й", "я|ю", "ю|єві", "й", "єм", "ї|ю")
    if low[-1:] in _UK_VOWELS:
        return [{fold(low)}] * CASES  # indeclinable (Туапсе, Сочі are caught by their own ending)
    hard = _merge(
        *(_forms(s, "", "а|у", "у|ові|еві", "", "ом|ем", "і|у") for s in _uk_alternates(low))
    )
    hard[0] = {fold(low)}
    hard[3] = {fold(low)}
    if low[-1] in _VELAR:
        for stem in _uk_alternates(low):
            hard[5].add(fold(stem[:-1] + _VELAR[low[-1]] + "і"))
    return hard


def _ru_adjective(word: str) -> Forms | None:
    if word.endswith(("ий", "ый", "ой")) and len(word) > 3:
        return _forms(word[:-2], "ий|ый|ой", "ого", "ому", "ий|ый|ой", "им|ым", "ом")
    if word.endswith(("ая", "яя")) and len(word) > 3:
        return _forms(word[:-2], "ая|яя", "ой|ей", "ой|ей", "ую|юю", "ой|ою|ей", "ой|ей")
    if word.endswith(("ое", "ее")) and len(word) > 3:
        return _forms(word[:-2], "ое|ее", "ого|его", "ому|ему", "ое|ее", "ым|им", "ом|ем")
    if word.endswith(("ые", "ие")) and len(word) > 3:
        return _forms(word[:-2], "ые|ие", "ых|их", "ым|им", "ые|ие", "ыми|ими", "ых|их")
    return None


def ru_noun(word: str) -> Forms:
    """The case forms of a Russian place noun."""
    low = word
    if low.endswith("ия"):
        return _forms(low[:-1], "я", "и", "и", "ю", "ей", "и")
    if low.endswith(("ье", "ие")):
        return _forms(low[:-1], "е", "я", "ю", "е", "ем", "е|и")
    if low.endswith("я"):
        return _forms(low[:-1], "я", "и", "е", "ю", "ей|ёй", "е")
    if low.endswith("а"):
        return _forms(low[:-1], "а", "ы|и", "е", "у", "ой|ей", "е")
    if low.endswith(("о", "е")):
        return _forms(low[:-1], low[-1], "а|" + low[-1], "у|" + low[-1], low[-1],
                      "ом|" + low[-1], "е|" + low[-1])  # fmt: skip
    if low.endswith(("ы", "и")):
        return _forms(low[:-1], low[-1], "|ов|ей", "ам|ям", low[-1], "ами|ями", "ах|ях")
    if low.endswith("ь"):
        return _forms(low[:-1], "ь", "я|и", "ю|и", "ь", "ем|ём|ью", "е|и")
    if low.endswith("й"):
        return _forms(low[:-1], "й", "я", "ю", "й", "ем", "е")
    if low.endswith("ец"):
        return _merge(_forms(low[:-2], "ец", "ца", "цу", "ец", "цом|цем", "це"),
                      _forms(low, "", "а", "у", "", "ом|ем", "е"))  # fmt: skip
    if low[-1:] in "аеёиоуыэюя":
        return [{fold(low)}] * CASES
    return _forms(low, "", "а", "у", "", "ом|ем", "е")


def _phrase(words: list[str], adjective: _Adjective, noun: _Noun) -> Forms:
    """Forms of a name of one or more words, each word in the same case. Every word but the
    last is read as an adjective when it has an adjective's ending (Біла Церква, Кривий Ріг);
    a hyphened word declines in its first part when the middle is "на" (Ростов-на-Дону), else
    in its last part (Івано-Франківськ)."""
    per_word: list[Forms] = []
    for i, word in enumerate(words):
        last = i == len(words) - 1
        per_word.append(_word(word, last, adjective, noun))
    return [{" ".join(combo) for combo in _product([f[c] for f in per_word])} for c in range(CASES)]


def _word(word: str, last: bool, adjective: _Adjective, noun: _Noun) -> Forms:
    if "-" in word:
        parts = word.split("-")
        if len(parts) >= 3 and parts[1] in ("на", "on"):
            tail = fold("-" + "-".join(parts[1:]))
            return [{f + tail for f in fs} for fs in _word(parts[0], True, adjective, noun)]
        head = fold("-".join(parts[:-1]) + "-")
        tail_forms = _word(parts[-1], last, adjective, noun)
        if len(parts) == 2 and adjective(parts[1]) is not None and _adjectival_name(parts[1]):
            # Кам'янець-Подільський, Каменск-Шахтинский: both parts decline
            heads = noun(parts[0])
            return [{h + "-" + t for h in heads[c] for t in tail_forms[c]} | {head + t for t in
                     tail_forms[c]} for c in range(CASES)]  # fmt: skip
        return [{head + f for f in fs} for fs in tail_forms]
    adj = adjective(word)
    if adj is not None and (not last or _adjectival_name(word)):
        return adj
    return noun(word)


def _adjectival_name(word: str) -> bool:
    """A one-word name that declines as an adjective: Веселе, Рівне, Кам'янське, Мирне,
    Шебекино is not one (Russian neuter nouns in -о are handled as nouns)."""
    return word.endswith(("е", "є", "ий", "ій", "ый", "ой", "ая", "ое", "ее", "ські", "цькі"))


def _product(options: list[set[str]]) -> list[tuple[str, ...]]:
    combos: list[tuple[str, ...]] = [()]
    for choice in options:
        combos = [(*c, o) for c in combos for o in sorted(choice)]
    return combos


def uk_forms(name: str) -> set[str]:
    """Every case form of a Ukrainian place name, folded."""
    words = name.lower().replace("’", "'").split()
    return _all_forms(words, _uk_adjective, uk_noun)


def ru_forms(name: str) -> set[str]:
    """Every case form of a Russian place name, folded."""
    return _all_forms(name.lower().split(), _ru_adjective, ru_noun)


def _all_forms(words: list[str], adjective: _Adjective, noun: _Noun) -> set[str]:
    if len(words) == 1:
        return {f for forms in _word(words[0], True, adjective, noun) for f in forms}
    return {f for forms in _phrase(words, adjective, noun) for f in forms}


def adjective_forms(adjective: str, lang: str) -> set[str]:
    """Every form of an adjective (every case, gender and number), folded: the adjective of
    an oblast, a raion or a hromada ("Харківська", "Харьковский")."""
    low = adjective.lower().replace("’", "'")
    if lang == "uk":
        stem = re.sub(r"(ий|ій|а|е|і)$", "", low)
        endings = ["ий", "ого", "ому", "им", "ім", "а", "ої", "ій", "у", "ою", "е", "і", "их",
                   "ими"]  # fmt: skip
    else:
        stem = re.sub(r"(ий|ый|ой|ая|ое|ие|ые)$", "", low)
        endings = ["ий", "ый", "ой", "ого", "ому", "им", "ым", "ом", "ая", "ую", "ою", "ое",
                   "ие", "ые", "их", "ых", "ими", "ыми"]  # fmt: skip
    return {fold(stem + e) for e in endings}


_UK_TO_RU_RULES = [
    (r"^микола", "никола"), (r"^олекс", "алекс"), (r"^костянтин", "константин"),
    (r"^василів", "василев"), (r"^біл", "бел"), (r"^чорн", "черн"), (r"іїв", "еев"),
    (r"ів(?=ськ)", "ов"), (r"їв(?=ськ)", "ев"), (r"ір(?=ськ)", "ор"), (r"іль(?=ськ)", "оль"),
    (r"із(?=ьк)", "оз"), (r"ський$", "ский"), (r"цький$", "цкий"), (r"зький$", "зский"),
    (r"ська$", "ская"),
    (r"цька$", "цкая"), (r"ське$", "ское"), (r"цьке$", "цкое"), (r"ове$", "ово"),
    (r"[еє]ве$", "ево"), (r"[иі]не$", "ино"), (r"не$", "ное"), (r"ий$", "ый"),
    (r"ївка$", "евка"), (r"івка$", "овка"), (r"ів$", "ов"), (r"їв$", "ев"),
    (r"ськ", "ск"), (r"цьк", "цк"), (r"іль$", "оль"), (r"ів(?=[кц])", "ов"),
]  # fmt: skip
_UK_TO_RU = [(re.compile(pattern), repl) for pattern, repl in _UK_TO_RU_RULES]


_RU_LETTERS = str.maketrans("іїє'", "ииеъ")


def ru_phrase(uk_name: str) -> str:
    """A Ukrainian place name of one or more words spelt the Russian way: its leading
    adjectives take Russian endings (Мала Рогань → малая рогань, Нове Село → новое село)."""
    *head, last = uk_name.lower().split()
    return " ".join([*(_ru_adjective_word(w) for w in head), ru_spelling(last)])


_RU_ADJECTIVE_ENDINGS = {"ий": "ый", "а": "ая", "е": "ое", "і": "ые"}


def _ru_adjective_word(word: str) -> str:
    for ending, ru in _RU_ADJECTIVE_ENDINGS.items():
        if word.endswith(ending) and len(word) > len(ending) + 2:
            return ru_spelling(word[: -len(ending)]) + ru
    return ru_spelling(word)


def ru_spelling(uk_word: str) -> str:
    """A Ukrainian place word spelt the Russian way, as far as rules go
    (Петрівка → петровка, Веселе → веселое, Харківський → харковский)."""
    word = uk_word.lower().replace("’", "'")
    for pattern, repl in _UK_TO_RU:
        word = pattern.sub(repl, word)
    return word.translate(_RU_LETTERS)

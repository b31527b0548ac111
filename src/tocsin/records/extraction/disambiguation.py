"""Which place a name stands for, when several share it.

- An oblast, a raion, a hromada or one of the big cities is read from its name alone.
- Otherwise the candidate inside the region named in the text wins: the one sharing the
  deepest part of its oblast → raion → hromada path with a place read for sure, the nearest
  in the text among equals (so "Іванівка" after "Ізюмському районі" is that raion's).
- With no such region: a town before an urban settlement before a village; a village alone
  only when the text names no region at all it could be checked against.
- A word of the stop-list is never read as a village or town unless "село", "місто",
  "village"… comes before it; nor a first name beside another capitalised word ("Oleh Kiper",
  "Володимир Зеленський"). A name that is also a common word ("Сил" of "Повітряних Сил" is a
  form of the village Сіль), a first name alone ("Stanislav"), a name made of an adjective
  ("Веселе") or one standing first in a sentence is read only with a region around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from tocsin.records.extraction.declension import fold
from tocsin.records.extraction.gazetteer import CITY, REGION, TOWN, URBAN, Place, morph


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    places: list[Place]
    key: str  # the words as read, folded
    surface: str  # the words as written
    cue: str | None  # "village" or "town" when a word before says which
    initial: bool  # the first word of a sentence
    beside_capital: bool  # a capitalised word right before or after it (a person's name?)


def resolve(mentions: list[Mention], stop: frozenset[str], lang: str) -> list[Place | None]:
    """The place each mention stands for, or None when it stays unsure."""
    candidates = [_candidates(m, stop, lang) for m in mentions]
    common = [
        bool(c) and _common_word(m, c, lang) for m, c in zip(mentions, candidates, strict=True)
    ]
    for k, mention in enumerate(mentions):
        if common[k] and mention.initial and mention.cue is None:  # "Серед загиблих…"
            candidates[k] = [p for p in candidates[k] if p.rank <= CITY]
    chosen: list[Place | None] = [_alone(c) for c in candidates]
    for _ in range(3):  # a village read from its region is the region of the next
        context = [(m.start, p) for m, p in zip(mentions, chosen, strict=True) if p is not None]
        changed = False
        for k, (mention, places) in enumerate(zip(mentions, candidates, strict=True)):
            if chosen[k] is None and places:
                chosen[k] = _in_context(mention, places, context)
                changed |= chosen[k] is not None
        if not changed:
            break
    named = any(p is not None for p in chosen)
    for k, (mention, places) in enumerate(zip(mentions, candidates, strict=True)):
        if chosen[k] is None and places:
            chosen[k] = _by_rank(mention, places, named, common[k])
    return chosen


def _candidates(mention: Mention, stop: frozenset[str], lang: str) -> list[Place]:
    """The mention's places, one per region (its best rank), narrowed by a cue and cleared of
    those the words cannot stand for."""
    best: dict[str, Place] = {}
    for place in mention.places:
        if place.region not in best or place.rank < best[place.region].rank:
            best[place.region] = place
    places = list(best.values())
    if mention.cue == "village":
        return [p for p in places if p.rank >= URBAN] or places
    if mention.cue == "town":
        return [p for p in places if CITY <= p.rank <= TOWN] or places
    if mention.key in stop:
        return [p for p in places if p.rank == REGION]
    places = [p for p in places if not p.stopword]
    if mention.beside_capital:  # "Oleh Kiper", "Володимир Зеленський"
        places = [p for p in places if p.rank <= CITY or not _first_name(p.name)]
    return places


def _alone(places: list[Place]) -> Place | None:
    """A region or a big city, read without context."""
    if not places:
        return None
    best = min(p.rank for p in places)
    top = [p for p in places if p.rank == best]
    return top[0] if best <= CITY and len(top) == 1 else None


def _in_context(
    mention: Mention, places: list[Place], context: list[tuple[int, Place]]
) -> Place | None:
    scored: list[tuple[int, int, int, Place]] = []
    for place in places:
        keys = [
            (_shared(place.path, other.path), -abs(start - mention.start))
            for start, other in context
        ]
        shared, near = max(keys, default=(0, 0))
        if shared:
            scored.append((shared, near, -place.rank, place))
    if not scored:
        return None
    scored.sort(key=lambda s: s[:3], reverse=True)
    if len(scored) > 1 and scored[0][:3] == scored[1][:3]:
        return None
    return scored[0][3]


def _shared(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    depth = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        depth += 1
    return depth


def _by_rank(mention: Mention, places: list[Place], context: bool, common: bool) -> Place | None:
    """The best-ranked candidate when it is alone at its rank: a town always, a village only
    in a text that names no region to check it against, and not when its name is an
    adjective or stands first in a sentence (unless "село"… says so)."""
    best = min(p.rank for p in places)
    top = [p for p in places if p.rank == best]
    if len(top) != 1:
        return None
    place = top[0]
    if mention.cue is not None and not (context and place.rank > TOWN):
        return place
    if _first_name(place.name):
        return None
    if place.rank <= TOWN:
        return place  # a common word first in a sentence was left out before
    if common:
        return None
    if context or place.common or mention.initial:
        return None
    return place


def _common_word(mention: Mention, places: list[Place], lang: str) -> bool:
    """True when the words are a common word of the text's language rather than a form of
    any of the places' names ("Сил", "Когут", "Серед"; in Russian, any known word that is
    not a place's: "Луч")."""
    if " " in mention.surface or not _cyrillic(mention.surface):
        return False
    if all(p.rank <= CITY for p in places):
        return False
    names = frozenset(fold(p.name) for p in places)
    return _known_otherwise(mention.surface.lower(), names, "ru" if lang == "ru" else "uk")


_FUNCTION_WORDS = frozenset({"PREP", "CONJ", "PRCL", "NPRO", "NUMR", "ADVB", "INTJ"})


@lru_cache(maxsize=4096)
def _known_otherwise(word: str, names: frozenset[str], lang: str) -> bool:
    analyser = morph(lang)
    if not analyser.word_is_known(word):
        return False
    parses = analyser.parse(word)
    if any(p.tag.POS in _FUNCTION_WORDS for p in parses):  # "Серед", "Крім", "Мене"
        return True
    if lang == "ru":  # the Russian dictionary marks place names
        return not any("Geox" in p.tag for p in parses)
    return not any(fold(p.normal_form) in names for p in parses)


@lru_cache(maxsize=4096)
def _first_name(name: str) -> bool:
    """True when a place's name is also a first name (Олег, Володимир)."""
    analyser = morph("uk")
    word = name.lower()
    if " " in word or not analyser.word_is_known(word):
        return False
    return any("Name" in p.tag for p in analyser.parse(word))


def _cyrillic(word: str) -> bool:
    return any("а" <= c.lower() <= "я" or c in "іїєґІЇЄҐёЁ" for c in word)

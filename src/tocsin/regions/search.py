"""The place search: regions found by any of their names, as residents type them.

A name is found whatever its letter case and apostrophes, in Latin or Cyrillic, and in either
the Ukrainian or the older Russian-based spelling: "Kharkov", "Харьков", "Kharkiv" and "Харків"
all find Kharkiv. Every name is brought to a Latin form (Ukrainian by the national
romanization, the Russian letters it lacks by their nearest sound), then to a skeleton of its
consonants, where the vowels that the two languages write differently no longer count
(Kharkov / Kharkiv → khrkv). Former names are kept as a region's `aliases` and found the same way.

Better matches come first: the whole name, then its beginning, then a word's beginning, then
the skeleton's; among equals, broader regions first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tocsin.domain.regions import LEVELS, Region, RegionTree
from tocsin.regions.romanize import APOSTROPHES, romanize

_RUSSIAN = str.maketrans({"ё": "e", "ъ": "", "ы": "y", "э": "e"})
_SEPARATORS = re.compile(r"[\s\-‐–—.,/()«»\"]+")
_VOWELS = re.compile(r"[aeiouyj]+")
_DOUBLES = re.compile(r"(zh|kh|ch|sh|ts|[a-z])\1+")
_DROP = str.maketrans({a: "" for a in APOSTROPHES})


def latin(text: str) -> str:
    """`text` folded: lower case, no apostrophes, Cyrillic in Latin letters, words by spaces."""
    folded = text.casefold().translate(_DROP).translate(_RUSSIAN)
    return " ".join(_SEPARATORS.split(romanize(folded))).strip()


def skeleton(word: str) -> str:
    """A Latin word's consonants, with g as h and doubled letters as one."""
    consonants = _VOWELS.sub("", word.replace("g", "h").replace("w", "v"))
    return _DOUBLES.sub(r"\1", consonants)


@dataclass(frozen=True, slots=True)
class Found:
    region: Region
    matched: str  # the name (or former name) that matched
    score: int


@dataclass(frozen=True, slots=True)
class _Name:
    region: Region
    text: str
    latin: str
    words: str  # " " before each word, so " word" finds a word's beginning
    tails: str  # "\n" before the skeleton of each run of words to the end


class PlaceIndex:
    """Every name of every region of a tree, folded once, for `search`."""

    def __init__(self, tree: RegionTree) -> None:
        self._names = [_entry(region, name) for region in tree for name in _names_of(region)]

    def search(self, query: str, limit: int = 10) -> list[Found]:
        wanted = latin(query)
        if not wanted:
            return []
        parts = [" " + part for part in wanted.split()]
        bone = skeleton(wanted.replace(" ", ""))
        needle = "\n" + bone if len(bone) >= 2 else None
        best: dict[str, Found] = {}
        for name in self._names:
            score = _score(name, wanted, parts, needle)
            if score and score > getattr(best.get(name.region.code), "score", 0):
                best[name.region.code] = Found(name.region, name.text, score)
        ranked = sorted(best.values(), key=_rank)
        return ranked[:limit]


def _names_of(region: Region) -> list[str]:
    return list(dict.fromkeys([*region.names.values(), *region.aliases, region.code]))


def _entry(region: Region, text: str) -> _Name:
    folded = latin(text)
    words = folded.split()
    bones = [skeleton(word) for word in words]
    tails = "".join("\n" + "".join(bones[i:]) for i in range(len(bones)))
    return _Name(region, text, folded, "".join(" " + w for w in words), tails)


def _score(name: _Name, wanted: str, parts: list[str], bone: str | None) -> int:
    if name.latin.startswith(wanted):
        return 100 if name.latin == wanted else 90
    if all(part in name.words for part in parts):
        return 80
    if bone is not None and bone in name.tails:
        return 60 if name.tails.startswith(bone) else 50
    return 0


def _rank(found: Found) -> tuple[int, int, int, str]:
    level = found.region.level
    rank = LEVELS.index(level) if level in LEVELS else len(LEVELS)
    return (-found.score, rank, len(found.matched), found.region.code)

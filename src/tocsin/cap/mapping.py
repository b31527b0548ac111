"""Which of our threat types a CAP `info` from another authority is about.

1. An `eventCode` whose value is one of our published codes (valueName `tocsin`, or any
   valueName when the value is one of ours, e.g. `TOCSIN-MISSILE`) maps exactly.
2. Otherwise, for an `info` in category Security, Safety, CBRNE or Other, the `event` text is
   searched for the keywords in `KEYWORDS` (English, Ukrainian, Russian; case does not matter).
3. Anything else is refused, naming `info/event`: weather, earthquakes, fires and the like are
   not air threats, and mapping them to a generic type would sound air-raid sirens for them.

When several infos or keywords match, the most severe threat wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from tocsin.cap.parse import Info
from tocsin.domain.threats import EVENT_CODE_VALUE_NAME, Catalogue
from tocsin.types import ThreatId

KEYWORD_CATEGORIES: Final = frozenset({"Security", "Safety", "CBRNE", "Other"})
KEYWORDS: Final[dict[ThreatId, tuple[str, ...]]] = {
    "missile": ("missile", "rocket", "ballistic", "ракетн", "ракета", "ракети", "ракеты"),
    "uav": ("drone", "uav", "unmanned aerial", "shahed", "бпла", "дрон", "безпілотн",
            "беспилотн"),
    "aviation": ("aviation threat", "aviation danger", "military aircraft", "air strike",
                 "airstrike", "guided bomb", "авіаційна небезпека", "авиационная опасность",
                 "авіабомб", "авиабомб"),
    "air": ("air raid", "air-raid", "air attack", "air alert", "повітряна тривога",
            "воздушная тревога"),
    "artillery": ("artillery", "shelling", "mlrs", "артилер", "артиллер", "артобстріл",
                  "артобстрел", "обстріл", "обстрел"),
    "urban_fighting": ("street fighting", "urban fighting", "вуличні бої", "уличные бои"),
    "chemical": ("chemical", "хімічн", "химическ"),
    "radiation": ("radiation", "radiological", "nuclear", "радіаці", "радиаци"),
}  # fmt: skip


def threat_for(infos: Sequence[Info], catalogue: Catalogue) -> ThreatId | None:
    """The threat type the infos are about, or None."""
    by_code = {t.cap.event_code.upper(): t.id for t in catalogue.ordered()}
    found = {
        by_code[value.strip().upper()]
        for info in infos
        for name, value in info.event_codes
        if value.strip().upper() in by_code
        and (name.strip().lower() == EVENT_CODE_VALUE_NAME or value.upper().startswith("TOCSIN"))
    }
    if not found:
        found = {
            threat
            for info in infos
            if KEYWORD_CATEGORIES.intersection(info.categories)
            for threat in keyword_threats(info.event)
            if threat in catalogue
        }
    return catalogue.most_severe(found).id if found else None


def keyword_threats(text: str) -> set[ThreatId]:
    lowered = text.lower()
    return {
        threat
        for threat, words in KEYWORDS.items()
        if any(_PATTERNS[word].search(lowered) for word in words)
    }


# a keyword matches at the start of a word (so 'uav' is not found inside another word)
_PATTERNS: Final = {
    word: re.compile(r"(?<!\w)" + re.escape(word)) for words in KEYWORDS.values() for word in words
}

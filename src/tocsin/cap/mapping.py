"""Which of our threat types a CAP `info` from another authority is about.

1. An `eventCode` whose value is one of our published codes (valueName `tocsin`, or any
   valueName when the value is one of ours, e.g. `TOCSIN-MISSILE`) maps exactly.
2. Otherwise, for an `info` in category Security, Safety, CBRNE or Other, the `event` text is
   searched for the keywords of each threat type (`ThreatType.keywords`: English, Ukrainian,
   Russian for the built-in types, a deployment's own for its types; case does not matter).
3. Anything else is refused, naming `info/event`: weather, earthquakes, fires and the like are
   not air threats, and mapping them to a generic type would sound air-raid sirens for them.

When several infos or keywords match, the most severe threat wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from tocsin.cap.parse import Info
from tocsin.domain.threats import EVENT_CODE_VALUE_NAME, Catalogue
from tocsin.types import ThreatId

KEYWORD_CATEGORIES: Final = frozenset({"Security", "Safety", "CBRNE", "Other"})


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
            for threat in catalogue.named_in(info.event)
        }
    return catalogue.most_severe(found).id if found else None

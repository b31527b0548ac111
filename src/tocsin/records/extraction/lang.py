"""The language of a report: English, Ukrainian or Russian.

Letters decide when they can: a text in Latin letters is English; Cyrillic with і ї є ґ
and none of ы э ъ ё is Ukrainian, the other way round Russian. Otherwise (no such letter,
or both) py3langid, restricted to the three languages, decides.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from tocsin.records.extraction.model import LANGS, Lang

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
_UK = re.compile(r"[іїєґІЇЄҐ]")
_RU = re.compile(r"[ыэъёЫЭЪЁ]")
_MODEL_CHARS = 1000  # the model reads the opening of a long text: as sure, and bounded


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGS))
    return identifier


def detect(text: str) -> Lang:
    """The language of `text`; English when it has no Cyrillic letter (an empty text too)."""
    cyrillic = len(_CYRILLIC.findall(text))
    if cyrillic == 0 or len(_LATIN.findall(text)) > 2 * cyrillic:
        return "en"
    uk, ru = len(_UK.findall(text)), len(_RU.findall(text))
    if uk and not ru:
        return "uk"
    if ru and not uk:
        return "ru"
    if uk + ru >= 5 and max(uk, ru) >= 4 * min(uk, ru):
        return "uk" if uk > ru else "ru"
    ranked = _identifier().rank(text[:_MODEL_CHARS])
    cyrillic_langs = [lang for lang, _ in ranked if lang in ("uk", "ru")]
    return "uk" if cyrillic_langs[0] == "uk" else "ru"

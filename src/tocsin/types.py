"""Aliases shared across the package."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeAlias

RegionCode: TypeAlias = str
AlertId: TypeAlias = str
ThreatId: TypeAlias = str
Lang: TypeAlias = str
Seq: TypeAlias = int
JSON: TypeAlias = dict[str, Any]
Names: TypeAlias = Mapping[Lang, str]

LANGUAGES: tuple[Lang, ...] = ("en", "uk", "ru")
DEFAULT_LANG: Lang = "en"


def pick(texts: Names, lang: Lang) -> str:
    """The text in `lang`, falling back to English, then to any language there is."""
    if lang in texts:
        return texts[lang]
    if DEFAULT_LANG in texts:
        return texts[DEFAULT_LANG]
    return next(iter(texts.values()), "")


def iso_time(value: datetime) -> str:
    """ISO 8601 with `Z` for UTC, as every tocsin interface writes times."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text

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
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200
"""The years a time read from outside may fall in; outside them it is refused as a typo or an
attack (years 1 and 9999 overflow on conversion to UTC and in the stores)."""
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


def check_date_range(moment: datetime, what: str = "time") -> datetime:
    """`moment` itself if its year is within `EARLIEST_YEAR`..`LATEST_YEAR`; else `ValueError`."""
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(
            f"{what} {moment.isoformat()} is outside the years {EARLIEST_YEAR}–{LATEST_YEAR}"
        )
    return moment

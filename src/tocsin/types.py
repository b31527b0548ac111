"""Aliases shared across the package."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
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

MAX_INT = 2**63 - 1
"""The largest integer the databases store (BIGINT): the bound of every count, seq and version
the API takes."""

FIRST_YEAR, LAST_YEAR = 1900, 2200
"""The years of every time tocsin takes in, from the API, CAP messages or history files:
anything else is a typo or a probe, and far dates break time arithmetic (year 1 at +14:00
has no UTC time)."""


def pick(texts: Names, lang: Lang) -> str:
    """The text in `lang`, falling back to English, then to any language there is."""
    if lang in texts:
        return texts[lang]
    if DEFAULT_LANG in texts:
        return texts[DEFAULT_LANG]
    return next(iter(texts.values()), "")


BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Bidirectional control characters: invisible, they make a text read otherwise than it is
written (U+202E turns what follows right to left). Texts the public reads hold none."""


def bidi_control(text: str) -> str | None:
    """The first bidirectional control character in `text`, or None."""
    if text.isascii():
        return None
    return next((ch for ch in text if ch in BIDI_CONTROLS), None)


def utc_instant(value: datetime, what: str = "the time") -> datetime:
    """`value` in UTC; `ValueError` if it has no offset or is not of the years above."""
    if value.utcoffset() is None:
        raise ValueError(f"{what} has no UTC offset (write e.g. +00:00 or Z)")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"{what} is outside the years {FIRST_YEAR}–{LAST_YEAR}")
    return value.astimezone(UTC)


def iso_time(value: datetime) -> str:
    """ISO 8601 with `Z` for UTC, as every tocsin interface writes times."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def check_date_range(moment: datetime, what: str = "time") -> datetime:
    """`moment` itself if its year is within `FIRST_YEAR`..`LAST_YEAR`; else `ValueError`."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(
            f"{what} {moment.isoformat()} is outside the years {FIRST_YEAR}–{LAST_YEAR}"
        )
    return moment

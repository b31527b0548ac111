"""Readers for alert history files, each yielding one record per data row with its line number.

    ua-official   Vadimkin/ukrainian-air-raid-sirens-dataset `official_data_en.csv`:
                  oblast,raion,hromada,level,started_at,finished_at,source
    ua-volunteer  the same data set's `volunteer_data_en.csv`: region,started_at,finished_at,naive
                  (naive=True: no all-clear was seen; the end is the start + 30 minutes)
    csv           generic: region,threat,start,end[,status] with region codes of the loaded tree
    jsonl         generic: one JSON object per line with the same keys

Times are ISO 8601 with a UTC offset (`2022-03-15 16:10:34+00:00`, `…T16:10:34Z`), in the years
`types.FIRST_YEAR`..`LAST_YEAR`. A row that cannot be read (a time out of range, bytes
that are not UTF-8, a field over `FIELD_LIMIT` characters, a line over `LINE_LIMIT`) becomes a
`BadRow` naming the line and the reason; the reader goes on. Only a header that cannot be read
refuses the whole file.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple, TextIO

import orjson

from tocsin.domain.alerts import Status
from tocsin.errors import InvalidInput
from tocsin.types import utc_instant

AIR = "air"
"""The threat type of the Ukrainian data sets: an air-raid alert of unknown kind."""


@dataclass(frozen=True, slots=True)
class Place:
    """A place as a data set names it (no code yet)."""

    level: str
    oblast: str
    raion: str = ""
    hromada: str = ""

    def label(self) -> str:
        return " / ".join(part for part in (self.oblast, self.raion, self.hromada) if part)


class Row(NamedTuple):
    """One data row (a named tuple: a file has tens of thousands)."""

    line: int
    start: datetime
    end: datetime
    threat: str = AIR
    status: Status = Status.ACTUAL
    place: Place | None = None
    region: str | None = None
    naive: bool = False


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str


Record = Row | BadRow
Reader = Callable[[Path], Iterator[Record]]

OFFICIAL_COLUMNS = ("oblast", "raion", "hromada", "level", "started_at", "finished_at")
VOLUNTEER_COLUMNS = ("region", "started_at", "finished_at", "naive")
GENERIC_COLUMNS = ("region", "threat", "start", "end")
PLACE_LEVELS = ("oblast", "raion", "hromada")
FIELD_LIMIT = 131_072
"""The longest field read, in characters (the `csv` module's own limit)."""
LINE_LIMIT = 1 << 20
"""The longest line read, in characters; a longer one is reported without being held whole."""
NOT_UTF8 = "not UTF-8 text (a binary file, or another encoding?)"


def read_official(path: Path) -> Iterator[Record]:
    for item in _csv_rows(path, OFFICIAL_COLUMNS):
        if isinstance(item, BadRow):
            yield item
            continue
        line, (oblast, raion, hromada, level, started, finished) = item
        try:
            start, end = _times(started, finished)
            place = _official_place(level, oblast, raion, hromada)
        except ValueError as exc:
            yield BadRow(line, str(exc))
            continue
        yield Row(line, start, end, place=place)


def read_volunteer(path: Path) -> Iterator[Record]:
    for item in _csv_rows(path, VOLUNTEER_COLUMNS):
        if isinstance(item, BadRow):
            yield item
            continue
        line, (region, started, finished, flag) = item
        try:
            start, end = _times(started, finished)
            naive = _flag(flag, "naive")
            name = _required(region, "region")
        except ValueError as exc:
            yield BadRow(line, str(exc))
            continue
        yield Row(line, start, end, place=Place("oblast", name), naive=naive)


def read_generic_csv(path: Path) -> Iterator[Record]:
    columns = (*GENERIC_COLUMNS, "status")
    for item in _csv_rows(path, GENERIC_COLUMNS, optional=("status",)):
        if isinstance(item, BadRow):
            yield item
            continue
        line, values = item
        yield _generic(line, dict(zip(columns, values, strict=True)))


def read_generic_jsonl(path: Path) -> Iterator[Record]:
    faults: dict[int, str] = {}
    with _open(path) as handle:
        for line, text in enumerate(_lines(handle, faults), start=1):
            if faults:
                yield _fault(faults)
                continue
            if not text.strip():
                continue
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                yield BadRow(line, f"not valid JSON: {exc}")
                continue
            if not isinstance(value, dict):
                yield BadRow(line, "not a JSON object")
                continue
            row = {k: "" if v is None else str(v) for k, v in value.items()}
            if any(len(v) > FIELD_LIMIT for v in row.values()):
                yield BadRow(line, f"a field is longer than {FIELD_LIMIT:,} characters")
                continue
            yield _generic(line, row)


FORMATS: dict[str, Reader] = {
    "ua-official": read_official,
    "ua-volunteer": read_volunteer,
    "csv": read_generic_csv,
    "jsonl": read_generic_jsonl,
}


def reader(name: str) -> Reader:
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise InvalidInput(
            f"unknown history format {name!r}; known: {known}", field="format"
        ) from None


def parse_time(text: str, what: str) -> datetime:
    text = text.strip()
    if not text:
        raise ValueError(f"{what} is empty")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not an ISO 8601 time") from None
    return utc_instant(moment, f"{what} {text!r}")


def _generic(line: int, row: dict[str, str]) -> Record:
    try:
        start, end = _times(row.get("start", ""), row.get("end", ""))
        region = _required(row.get("region"), "region")
        threat = _required(row.get("threat"), "threat")
        status = _status(row.get("status", "") or "actual")
    except ValueError as exc:
        return BadRow(line, str(exc))
    return Row(line, start, end, threat=threat, status=status, region=region)


def _csv_rows(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[tuple[int, tuple[str, ...]] | BadRow]:
    """Each data row's line and its values of the `required` columns then the `optional` ones
    (empty if the header lacks them), in that order; blank rows are skipped."""
    faults: dict[int, str] = {}
    with _open(path) as handle:
        rows = csv.reader(_lines(handle, faults))
        header = _header(rows, faults, path)
        missing = [c for c in required if c not in header]
        if missing:
            raise InvalidInput(
                f"{path.name}: the header has no column {', '.join(missing)} "
                f"(found: {', '.join(header) or 'nothing'})",
                field="file",
            )
        width = len(header)  # a column the header lacks is read from the "" after the row
        pick = itemgetter(*(header.index(c) if c in header else width for c in required + optional))
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:  # the reader goes on at the next line
                faults.setdefault(rows.line_num, f"not readable as CSV: {exc}")
                values = []
            if faults:
                yield _fault(faults)
                continue
            if not "".join(values).strip():
                continue
            if len(values) != width:
                yield BadRow(rows.line_num, f"{len(values)} fields; the header has {width}")
                continue
            values.append("")
            yield rows.line_num, pick(values)


def _open(path: Path) -> TextIO:
    """The file as text; bytes that are not UTF-8 are kept as lone surrogates for `_lines`."""
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


def _lines(handle: TextIO, faults: dict[int, str]) -> Iterator[str]:
    """The lines of `handle`; each one that is not UTF-8 or longer than `LINE_LIMIT` is noted in
    `faults` by its number (an overlong one is passed on empty, its rest skipped unread)."""
    number = 0
    while text := handle.readline(LINE_LIMIT):
        number += 1
        if len(text) == LINE_LIMIT and not text.endswith(("\n", "\r")):
            faults[number] = f"a line is longer than {LINE_LIMIT:,} characters"
            while (rest := handle.readline(LINE_LIMIT)) and not rest.endswith(("\n", "\r")):
                pass
            text = "\n"
        elif not text.isascii() and not _utf8(text):
            faults[number] = NOT_UTF8
        yield text


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a byte `surrogateescape` kept
        return False
    return True


def _fault(faults: dict[int, str]) -> BadRow:
    """The first fault noted in the row just read (and the others forgotten)."""
    line = min(faults)
    reason = faults[line]
    faults.clear()
    return BadRow(line, reason)


def _header(rows: Iterator[list[str]], faults: dict[int, str], path: Path) -> list[str]:
    """The header's column names; a header that cannot be read refuses the file."""
    header: list[str] = []
    try:
        header = next(rows, [])
    except csv.Error as exc:
        faults[1] = f"not readable as CSV: {exc}"
    if faults:
        reason = _fault(faults).reason
        raise InvalidInput(f"{path.name}: the header (line 1): {reason}", field="file")
    return [h.strip() for h in header]


def _times(start_text: str, end_text: str) -> tuple[datetime, datetime]:
    start = parse_time(start_text, "start")
    end = parse_time(end_text, "end")
    if end < start:
        raise ValueError(f"ends before it starts ({end.isoformat()} < {start.isoformat()})")
    return start, end


@lru_cache(maxsize=8192)
def _official_place(level: str, oblast: str, raion: str, hromada: str) -> Place:
    """The place a row names, checked against its level (a data set names a few thousand
    distinct places in tens of thousands of rows, hence the cache)."""
    level = level.strip().lower()
    if not level:
        raise ValueError("level is empty")
    if level not in PLACE_LEVELS:
        raise ValueError(f"level {level!r} is not one of {', '.join(PLACE_LEVELS)}")
    names = dict(zip(PLACE_LEVELS, (oblast.strip(), raion.strip(), hromada.strip()), strict=True))
    depth = PLACE_LEVELS.index(level)
    for key in PLACE_LEVELS[: depth + 1]:
        if not names[key]:
            raise ValueError(f"level is {level} but the {key} column is empty")
    for key in PLACE_LEVELS[depth + 1 :]:
        if names[key]:
            raise ValueError(f"level is {level} but the {key} column is filled ({names[key]!r})")
    return Place(level, names["oblast"], names["raion"], names["hromada"])


def _required(text: str | None, what: str) -> str:
    value = (text or "").strip()
    if not value:
        raise ValueError(f"{what} is empty")
    return value


def _flag(text: str, what: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise ValueError(f"{what} {text!r} is not true or false")


def _status(text: str) -> Status:
    try:
        return Status(text.strip().lower())
    except ValueError:
        raise ValueError(f"status {text!r} is not actual, exercise or test") from None

"""When the event happened: the time expressions of a report, each with the window it stands
for, relative to the time the report was published.

Dates and clock times are read with the tables of `timewords` (no dateparser,
so never `search_dates`). The conventions, in Europe/Kyiv:

- a day named with no part ("24 березня", "yesterday", "в понедельник") → 00:00 of that
  day, no end; a date with no year → the latest such date not after the published date + 7
  days (a notice may announce a day ahead: "a drill on 14 March");
- a part of a day: morning 06:00–12:00, afternoon 12:00–18:00, evening 18:00–23:59;
- a night ending on a day ("у ніч на 31 грудня", "в ночь на 24 марта", "overnight into
  Monday", "on the night of 24 March") → 20:00 of the day before to 06:00 of that day;
  "overnight", "last night", "уночі", "ночью" with no day → the night ending on the
  published date ("overnight" after a night named by its date is that night); "tonight",
  "цієї ночі", "этой ночью" in a post from 18:00 on → the night starting that evening;
  "ночью 24 марта" → 00:00–06:00 of that day;
- "over the past day", "протягом доби", "за сутки" → the 24 hours before a morning post, the
  published day up to the post from noon on;
- "shortly after midnight" → 00:00–01:00 of the day;
- a clock time takes the day of the day expression right after it ("at 10:15 on 24 March")
  or else of the nearest one before it (in a night, hours from 12 on fall on the evening
  before); with none, the latest such time not after the published time + 1 hour (a post
  may be stamped a little before the time it gives).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.records.extraction.model import Evidence, Lang, TimeFinding
from tocsin.records.extraction.timewords import (
    AGO_COUNTS,
    CLOCK_PARTS,
    HOUR_NUMERALS,
    MONTHS,
    PARTS,
    RELATIVE,
    WEEKDAYS,
    Patterns,
    patterns,
)

KYIV = ZoneInfo("Europe/Kyiv")
_ZONES = {"moscow": ZoneInfo("Europe/Moscow"), "utc": ZoneInfo("UTC")}
_DAY = timedelta(days=1)
_PARTS_WINDOW: dict[str, tuple[time, time]] = {
    "morning": (time(6), time(12)),
    "afternoon": (time(12), time(18)),
    "evening": (time(18), time(23, 59)),
    "early": (time(0), time(6)),
    "dawn": (time(4), time(7)),
}
_NIGHT_START, _NIGHT_END = time(20), time(6)
_SPAN_DAYS = 14  # "on 23 and 24 March", not "killed 3 and 24 March"
_AHEAD = timedelta(days=7)  # a date with no year may be announced: a drill on 14 March
_LATE_CLOCK = timedelta(hours=1)  # a post may give a time a little after its own stamp
_PHRASE_END = re.compile(r"[.!?;\n]|(?<!\w)(?:and|but|і|й|та|а|и|но)(?!\w)", re.IGNORECASE)
_HOUR_GROUPS = ("h", "h2", "h3", "h4", "h5", "h6")
_NEXT = re.compile(r"\b(?:next|coming|this\s+coming)\s+$", re.IGNORECASE)
_ADJACENT = re.compile(r"[\s,]*(?:on\s+(?:the\s+)?)?", re.IGNORECASE)


@dataclass(slots=True)
class _Day:
    """A day expression: its window and the days a clock after it falls on."""

    start: int
    end: int
    window: tuple[datetime, datetime | None]
    evening_day: date  # the day of a clock from 12:00 on
    morning_day: date  # the day of a clock before 12:00
    night: str | None = None  # "named": a night or early hours of a named day; "said": "overnight"


@dataclass(slots=True)
class _Clock:
    start: int
    end: int
    minutes: int  # since 00:00
    length: int | None = None  # minutes, for a range or "after midnight"
    ranged_only: bool = False  # "до 12.50": a clock only as one end of a range
    zone: ZoneInfo = KYIV  # "по московскому времени", "UTC"


def kyiv(moment: datetime) -> datetime:
    """`moment` in Europe/Kyiv; a naive datetime is taken as Kyiv time."""
    return moment.replace(tzinfo=KYIV) if moment.tzinfo is None else moment.astimezone(KYIV)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=KYIV)


def _night_ending(day: date) -> tuple[datetime, datetime]:
    return _at(day - _DAY, _NIGHT_START), _at(day, _NIGHT_END)


def _infer_year(day: int, month: int, latest: date) -> date | None:
    """The latest day `day`.`month` not after `latest`."""
    for year in range(latest.year, latest.year - 5, -1):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found <= latest:
            return found
    return None


def _latest_weekday(weekday: int, published: date) -> date:
    return published - timedelta(days=(published.weekday() - weekday) % 7)


def _month(lang: Lang, word: str) -> int:
    table = MONTHS[lang]
    return table.get(word) or table.get(word.lower()) or table[word.capitalize()]


def _weekday(lang: Lang, word: str) -> int:
    table = WEEKDAYS[lang]
    return table[word] if word in table else table[word.lower()]


def _date(match: re.Match[str], lang: Lang, published: date) -> date | None:
    """The day a `Patterns.day` match names, or None when it names no real day."""
    g = match.groupdict()
    if g["rel"]:
        return published + timedelta(days=RELATIVE[g["rel"].lower()])
    if g["wd"]:
        return _latest_weekday(_weekday(lang, g["wd"]), published)
    if g["unit"]:
        return published - timedelta(days=_days_ago(g["count"], g["unit"]))
    n = next(n for n in "12345" if g.get(f"d{n}"))
    return _calendar(g[f"d{n}"], g[f"m{n}"], g.get(f"y{n}"), lang, published)


def _days_ago(count: str | None, unit: str) -> int:
    said = (count or "1").lower()
    n = int(said) if said.isdigit() else AGO_COUNTS[said]
    return n * (7 if unit.lower().startswith(("week", "тиж", "нед")) else 1)


def _calendar(day: str, month: str, year: str | None, lang: Lang, published: date) -> date | None:
    number = int(month) if month.isdigit() else _month(lang, month)
    if not year:
        return _infer_year(int(day), number, published + _AHEAD)
    try:
        return date(int(year) + (2000 if len(year) == 2 else 0), number, int(day))
    except ValueError:
        return None


def _part_window(part: str, day: date, night_starts: bool) -> tuple[datetime, datetime]:
    if part == "night":
        if night_starts:
            return _night_ending(day + _DAY)
        part = "early"
    begin, end = _PARTS_WINDOW[part]
    return _at(day, begin), _at(day, end)


def _part_day(part: str, published: datetime) -> date:
    """The latest `part` of a day that began by `published`."""
    today = published.date()
    begin = _PARTS_WINDOW[part][0]
    return today if _at(today, begin) <= published else today - _DAY


def _days(text: str, lang: Lang, pat: Patterns, published: datetime) -> list[_Day]:
    found = (_day(match, text, lang, pat, published) for match in pat.day.finditer(text))
    return [day for day in found if day is not None]


def _day(
    match: re.Match[str], text: str, lang: Lang, pat: Patterns, published: datetime
) -> _Day | None:
    """A day expression with the words around it that make it a night, a part of the day or a
    span of days."""
    start, end = match.span()
    before, after = text[max(0, start - 60) : start], text[end : end + 40]
    if match["wd"] and lang != "en":  # "у понеділок": a bare uk/ru weekday may be a noun
        if not (needs := pat.weekday_needs.search(before)):
            return None
        if not pat.night_on.search(before):
            start, before = start - len(needs[0]), before[: -len(needs[0])]
    day = _date(match, lang, published.date())
    if day is None:
        return None
    if match["wd"] and (ahead := _NEXT.search(before)):  # "face Zorya next Saturday"
        start -= len(ahead[0])
        day += timedelta(days=7)
        return _Day(start, end, (_at(day, time(0)), None), day, day)
    if hit := pat.night_on.search(before):
        if lang == "en" and (to := pat.night_to.match(after)):  # "overnight on March 23-24"
            end += to.end()
            day = _infer_year(int(to["d"]), day.month, day + 2 * _DAY) or day
        return _Day(start - len(hit[0]), end, _night_ending(day), day - _DAY, day, "named")
    if hit := pat.part_before.search(before):
        return _part_of(match, start - len(hit[0]), end, _part_name(hit), day, lang, published)
    if hit := pat.part_after.match(after):
        return _part_of(match, start, end + hit.end(), _part_name(hit), day, lang, published)
    span = pat.days_before.search(before) if match["m1"] else None  # "23-24 березня"
    first = _infer_year(int(span["d"]), day.month, day) if span else None
    if span and first and (not span["conj"] or (day - first).days <= _SPAN_DAYS):
        window = (_at(first, time(0)), _at(day, time(23, 59)))
        return _Day(start - len(span[0]), end, window, first, first)
    return _Day(start, end, (_at(day, time(0)), None), day, day)


def _part_of(
    match: re.Match[str],
    start: int,
    end: int,
    part: str,
    day: date,
    lang: Lang,
    published: datetime,
) -> _Day:
    """A part of a named day: "вечером 2 февраля", "Sunday night", "вчора вночі"."""
    night_starts = bool(match["rel"]) or (bool(match["wd"]) and lang == "en")
    if part == "night" and match["rel"] and day == published.date() and published.hour < 18:
        day -= _DAY  # "сьогодні вночі" in a morning post: the night that ended today
    late = part == "evening" or (part == "night" and night_starts)
    night = "named" if part in ("night", "early") else None
    window = _part_window(part, day, night_starts)
    return _Day(start, end, window, day, day + _DAY if late else day, night)


def _part_name(hit: re.Match[str]) -> str:
    g = hit.groupdict()
    if g.get("early"):
        return "early"
    if g.get("late"):
        return "evening"
    return PARTS[re.sub(r"\s+", " ", (g.get("dawn") or g["p"]).lower())]


def _idioms(text: str, pat: Patterns, published: datetime) -> tuple[list[_Day], list[_Clock]]:
    days: list[_Day] = []
    clocks: list[_Clock] = []
    today = published.date()
    for hit in pat.idiom.finditer(text):
        start, end = hit.span()
        g = hit.groupdict()
        if g["midnight"] or g["noon"]:
            clocks.append(_Clock(start, end, 0, 60) if g["midnight"] else _Clock(start, end, 720))
        elif g["night"] or g["tonight"]:
            ending = today + _DAY if g["tonight"] and published.hour >= 18 else today
            days.append(_Day(start, end, _night_ending(ending), ending - _DAY, ending, "said"))
        elif g["past"]:  # a morning post's day began yesterday; an afternoon's, this morning
            window = (published - _DAY if published.hour < 12 else _at(today, time(0)), published)
            days.append(_Day(start, end, window, today - _DAY, today))
        elif g["daylong"]:  # the day that is over, or nearly: yesterday's in a morning post
            day = today if published.hour >= 12 else today - _DAY
            window = (_at(day, time(6)), min(_at(day, time(23, 59)), published))
            days.append(_Day(start, end, window, day, day))
        else:
            part = _part_name(hit)
            day = today if (g.get("this") or "").lower() == "this" else _part_day(part, published)
            window = _part_window(part, day, False)
            days.append(_Day(start, end, window, day, day + _DAY if part == "evening" else day))
    return days, clocks


def _clock_minutes(g: dict[str, str | None]) -> int:
    said = next(value for k in _HOUR_GROUPS if (value := g.get(k))).lower()
    hour = int(said) if said.isdigit() else HOUR_NUMERALS[said]
    minute = int(g["m"] or g["m2"] or g.get("m4") or g.get("m6") or 0)
    suffix = (g.get("ap") or g.get("ap2") or g.get("ap6") or "").lower()
    words = g.get("dp") or g.get("dp3") or g.get("dp4") or g.get("dp5") or ""
    part = CLOCK_PARTS.get(words.lower())
    if suffix.startswith("p") or part in ("afternoon", "evening"):
        hour += 12 if hour < 12 else 0
    elif (suffix.startswith("a") or part == "night") and hour == 12:
        hour = 0
    return hour * 60 + minute


def _clocks(text: str, pat: Patterns) -> list[_Clock]:
    found: list[_Clock] = []
    for hit in pat.clock.finditer(text):
        start, end = hit.span()
        g = hit.groupdict()
        before = text[max(0, start - 40) : start]
        if (g.get("h3") or g.get("h5")) and pat.duration.search(before):
            continue
        if pat.as_of.search(before):
            continue  # the time of the report, not of the event
        if marker := pat.clock_before.search(before):
            start -= len(marker[0])
        zone = KYIV
        if local := pat.clock_after.match(text, end):
            end = local.end()
            zone = next((_ZONES[k] for k in _ZONES if local[k]), KYIV)
        clock = _Clock(start, end, _clock_minutes(g), ranged_only=bool(g.get("h4")), zone=zone)
        previous = found[-1] if found else None
        hour = hit.start(next(k for k in _HOUR_GROUPS if g.get(k)))
        if previous and previous.length is None and pat.range_gap.match(text[previous.end : hour]):
            previous.length = (clock.minutes - previous.minutes) % 1440 or None
            previous.end, previous.ranged_only, previous.zone = end, False, zone
            continue
        found.append(clock)
    return [clock for clock in found if not clock.ranged_only]


def _drop_overlaps(days: list[_Day], clocks: list[_Clock]) -> tuple[list[_Day], list[_Clock]]:
    spans: list[_Day | _Clock] = sorted([*days, *clocks], key=lambda s: (s.start, s.start - s.end))
    kept: list[_Day | _Clock] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return [s for s in kept if isinstance(s, _Day)], [s for s in kept if isinstance(s, _Clock)]


def _anchor(clock: _Clock, text: str, days: list[_Day]) -> _Day | None:
    """The day a clock falls on: the one said with it ("вчера в 23:50", "at 10:15 on 24
    March"), else the one after it in the same phrase, else the nearest one before it."""
    before = [day for day in days if day.end <= clock.start]
    if before and _next_to(text, clock, before[-1]):
        return before[-1]
    after = next((day for day in days if day.start >= clock.end), None)
    if after is not None and _same_phrase(text[clock.end : after.start], text[clock.end - 1]):
        return after
    return before[-1] if before else None


def _same_phrase(gap: str, last: str) -> bool:
    # "by 5 a.m. On February 3": the dot of "a.m." ended the sentence
    new_sentence = last == "." and gap.lstrip()[:1].isupper()
    return len(gap) <= 25 and not _PHRASE_END.search(gap) and not new_sentence


def _clock_window(
    clock: _Clock, anchor: _Day | None, published: datetime
) -> tuple[datetime, datetime | None]:
    at = time(clock.minutes // 60, clock.minutes % 60)

    def on(day: date) -> datetime:
        return datetime.combine(day, at, tzinfo=clock.zone).astimezone(KYIV)

    if anchor is not None:
        begin = on(anchor.evening_day if clock.minutes >= 12 * 60 else anchor.morning_day)
    else:
        begin = on(published.date())
        if begin > published + _LATE_CLOCK:
            begin = on(published.date() - _DAY)
    end = begin + timedelta(minutes=clock.length) if clock.length else None
    return begin, end


def _same_night(days: list[_Day], published: datetime) -> None:
    """ "Overnight" after a night named by its date ("in the early hours of 12 June", "у ніч на
    24 березня") is that night, when that night is the last one or the one before."""
    named: _Day | None = None
    for day in days:
        if day.night == "named" and abs((day.morning_day - published.date()).days) <= 1:
            named = day
        elif day.night == "said" and named is not None:
            day.window, day.evening_day, day.morning_day = (
                named.window,
                named.evening_day,
                named.morning_day,
            )


def _next_to(text: str, clock: _Clock, day: _Day) -> bool:
    gap = text[day.end : clock.start] if day.end <= clock.start else text[clock.end : day.start]
    return _ADJACENT.fullmatch(gap) is not None


def find_times(text: str, lang: Lang, published_at: datetime) -> list[TimeFinding]:
    """Every time expression of `text` with the window it stands for (Europe/Kyiv).

    A clock time next to the day it falls on ("24 березня о 10:15", "at 10:15 on 22 March")
    is one finding; by a night or a part of a day, the two stay apart (the night's window is
    the event's too)."""
    published = kyiv(published_at)
    pat = patterns(lang)
    days = _days(text, lang, pat, published)
    idiom_days, midnights = _idioms(text, pat, published)
    days, clocks = _drop_overlaps([*days, *idiom_days], [*midnights, *_clocks(text, pat)])
    days.sort(key=lambda d: d.start)
    _same_night(days, published)
    findings: list[TimeFinding] = []
    read_with_a_clock: set[int] = set()
    for clock in clocks:
        anchor = _anchor(clock, text, days)
        begin, end = _clock_window(clock, anchor, published)
        start, stop = clock.start, clock.end
        if anchor is not None and anchor.window[1] is None and _next_to(text, clock, anchor):
            read_with_a_clock.add(id(anchor))
            start, stop = min(start, anchor.start), max(stop, anchor.end)
        findings.append(TimeFinding(begin, end, Evidence.of(text, start, stop)))
    for d in days:
        if id(d) not in read_with_a_clock:
            findings.append(TimeFinding(*d.window, Evidence.of(text, d.start, d.end)))
    return sorted(findings, key=lambda f: f.evidence.start)


def window(
    findings: Sequence[TimeFinding], published_at: datetime
) -> tuple[datetime, datetime | None]:
    """The event's window from the findings of the main event.

    Findings that start from three days before to an hour after the published time are used
    when there are any (else all: a notice of a drill on a coming day): start is the earliest
    start, end the latest end or later start, None when nothing comes after the start. With
    no finding, the report is about its published day: 00:00 of that day in Kyiv, no end.
    """
    published = kyiv(published_at)
    if not findings:
        return _at(published.date(), time(0)), None
    near = [f for f in findings if published - 3 * _DAY <= f.start <= published + _LATE_CLOCK]
    used = near or list(findings)
    start = min(f.start for f in used)
    later = [f.end for f in used if f.end] + [f.start for f in used]
    end = max(later)
    return start, (end if end > start else None)

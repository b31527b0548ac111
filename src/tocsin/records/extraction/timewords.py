"""The words of time in reports, per language: months, weekdays, parts of the day, the night
idioms and clock forms, as compiled patterns. `times` turns their matches into windows.

Every pattern needs a word of time (a month, a weekday, a part of the day, a clock with its
colon or its marker): a bare number is never read as a date or an hour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from tocsin.records.extraction.model import Lang


def _numbered(words: str, first: int = 1) -> dict[str, int]:
    return {word: n for n, word in enumerate(words.split(), first)}


MONTHS: dict[Lang, dict[str, int]] = {
    "en": {
        **_numbered(
            "January February March April May June July August September October November December"
        ),
        **_numbered("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"),
        "Sept": 9,
    },
    "uk": _numbered(
        "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня"
    ),
    "ru": _numbered(
        "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
    ),
}

WEEKDAYS: dict[Lang, dict[str, int]] = {
    "en": _numbered("Monday Tuesday Wednesday Thursday Friday Saturday Sunday", 0),
    "uk": {
        **_numbered("понеділок вівторок середу четвер п'ятницю суботу неділю", 0),
        # "у ніч проти неділі"
        **_numbered("понеділка вівторка середи четверга п'ятниці суботи неділі", 0),
        "п’ятниці": 4,
        "пʼятниці": 4,
        "п’ятницю": 4,
        "пʼятницю": 4,
    },
    "ru": _numbered("понедельник вторник среду четверг пятницу субботу воскресенье", 0),
}

RELATIVE: dict[str, int] = {
    "the day before yesterday": -2,
    "yesterday": -1,
    "today": 0,
    "позавчора": -2,
    "учора": -1,
    "вчора": -1,
    "сьогодні": 0,
    "позавчера": -2,
    "вчера": -1,
    "сегодня": 0,
}

# "three days ago", "два дні тому", "неделю назад": the count, and the unit in days
AGO_COUNTS: dict[str, int] = {
    **_numbered("one two three four five six seven"),
    **_numbered("один два три чотири п'ять шість сім"),
    **_numbered("один два три четыре пять шесть семь"),
    "a": 1,
    "дві": 2,
    "п’ять": 5,
}
_AGO = {
    "en": (r"days?|weeks?", r"ago"),
    "uk": (r"дні|днів|день|тиждень|тижні|тижнів", r"тому"),
    "ru": (r"дня|дней|день|неделю|недели|недель", r"назад"),
}

# a part of the day: its name in the window table of `times`
PARTS: dict[str, str] = {
    "morning": "morning",
    "afternoon": "afternoon",
    "evening": "evening",
    "night": "night",
    "вранці": "morning",
    "зранку": "morning",
    "уранці": "morning",
    "рано вранці": "morning",
    "вдень": "afternoon",
    "удень": "afternoon",
    "пополудні": "afternoon",
    "ввечері": "evening",
    "увечері": "evening",
    "пізно ввечері": "evening",
    "вночі": "night",
    "уночі": "night",
    "утром": "morning",
    "рано утром": "morning",
    "с утра": "morning",
    "днём": "afternoon",
    "днем": "afternoon",
    "вечером": "evening",
    "поздно вечером": "evening",
    "ночью": "night",
    "at dawn": "dawn",
    "на світанку": "dawn",
    "на рассвете": "dawn",
    "before dawn": "early",
    "перед світанком": "early",
    "перед рассветом": "early",
    "под утро": "early",
}

# the part of the day a clock's own word gives: "3 a.m.", "о 3 ночі", "в 9 вечера"
CLOCK_PARTS: dict[str, str] = {
    "ночі": "night",
    "ночи": "night",
    "ранку": "morning",
    "утра": "morning",
    "дня": "afternoon",
    "вечора": "evening",
    "вечера": "evening",
}


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class Patterns:
    """The compiled patterns of one language."""

    day: re.Pattern[str]  # a date, a relative day or a weekday
    weekday_needs: re.Pattern[str]  # what must stand before a bare uk/ru weekday
    night_on: re.Pattern[str]  # before a day: "у ніч на", "в ночь на", "on the night of"
    night_to: re.Pattern[str]  # after a "night of" day: "to 24", "-24"
    part_before: re.Pattern[str]  # before a day: "вечером", "on the evening of"
    part_after: re.Pattern[str]  # after a day: "вечером", "morning"
    idiom: re.Pattern[str]  # a night, a part of the day or midnight with no day named
    clock: re.Pattern[str]  # a clock time
    clock_before: re.Pattern[str]  # the marker before a clock: "at", "о", "около", "from"
    clock_after: re.Pattern[str]  # "local time", "за київським часом", "мск" (group moscow), "UTC"
    range_gap: re.Pattern[str]  # between two clocks of a range
    duration: re.Pattern[str]  # before "около 3 часов": a duration, not a clock
    as_of: re.Pattern[str]  # before the time of the report itself: "станом на 09:00"
    days_before: re.Pattern[str]  # the first day of a span of days: "23-", "з 23 по"


_YEAR_WORDS = {
    "en": "",
    "uk": r"(?:\s*(?:року|рік|р\.|р\b))?",
    "ru": r"(?:\s*(?:года|год|г\.|г\b))?",
}


def _year(lang: Lang, n: int) -> str:
    return rf"(?:,?\s+(?P<y{n}>(?:19|20)\d{{2}})\b{_YEAR_WORDS[lang]})?"


def _day(lang: Lang) -> str:
    months = _alt(MONTHS[lang])
    ordinal = r"(?:st|nd|rd|th)?" if lang == "en" else r"(?:-?(?:го|ого|те|е))?"
    forms = [rf"\b(?P<d1>[0-3]?\d){ordinal}\s+(?:of\s+)?(?P<m1>{months})\b{_year(lang, 1)}"]
    if lang == "en":
        forms.append(rf"\b(?P<m2>{months})\.?\s+(?P<d2>[0-3]?\d){ordinal}\b{_year(lang, 2)}")
    forms.append(r"(?<![\d.])(?P<d3>[0-3]?\d)\.(?P<m3>[01]?\d)\.(?P<y3>(?:19|20)?\d{2})(?!\.?\d)")
    forms.append(r"\b(?P<y4>20\d{2})-(?P<m4>[01]\d)-(?P<d4>[0-3]\d)\b")
    # "23.03 в 22:00": a day and month with no year only before a clock time
    forms.append(
        r"(?<![\d.])(?P<d5>[0-3]?\d)\.(?P<m5>[01]\d)(?![\d.]|\.\d)"
        r"(?=,?\s+(?:\w+\s+){0,1}(?:[01]?\d|2[0-3]):[0-5]\d)"
    )
    relative = [w for w in RELATIVE if w.isascii() == (lang == "en")]
    forms.append(rf"\b(?i:(?P<rel>{_alt(relative)}))\b")
    forms.append(rf"\b(?P<wd>{_alt(WEEKDAYS[lang])})(?!\w)")
    unit, ago = _AGO[lang]
    forms.append(
        rf"(?<!\w)(?i:(?:(?P<count>\d{{1,2}}|{_alt(AGO_COUNTS)})\s+)?(?P<unit>{unit})\s+{ago})(?!\w)"
    )
    return "|".join(f"(?:{f})" for f in forms)


_EN = dict(
    night_on=(
        r"(?:\b(?:on\s+)?(?:the\s+)?night\s+(?:into|to|before)\s+"
        r"|\b(?:on\s+|during\s+)?(?:the\s+)?night\s+(?:of|from)\s+(?:[0-3]?\d(?:st|nd|rd|th)?"
        r"|[A-Z][a-z]+day)\s*(?:-|–|/|to|into)\s*"
        r"|\bovernight\s+(?:from\s+)?[A-Z][a-z]+day\s+(?:to|into)\s+"
        r"|\b(?:on\s+|during\s+)?(?:the\s+)?night\s+(?:of|from)\s+"
        r"|\bovernight\s+(?:on\s+|into\s+|to\s+)?)$"
    ),
    part_before=(
        r"\b(?:on\s+)?(?:the\s+)?(?P<p>morning|afternoon|evening)\s+of\s+$"
        r"|\b(?P<early>in\s+the\s+(?:early|small)\s+hours\s+of|early\s+(?:on\s+)?)\s*$"
        r"|\b(?P<late>late\s+(?:on\s+)?)$"
        r"|\b(?P<dawn>at\s+dawn|before\s+dawn)\s+(?:on\s+)?$"
    ),
    part_after=r"^\s+(?P<p>morning|afternoon|evening|night)\b",
    idiom=(
        r"\b(?P<night>overnight|last\s+night|during\s+the\s+night|at\s+night"
        r"|in\s+the\s+(?:early|small)\s+hours)\b"
        r"|\b(?P<tonight>tonight|this\s+night)\b"
        r"|\b(?P<dawn>at\s+dawn|before\s+dawn)\b"
        r"|\b(?P<noon>(?:at|around|about)\s+(?:noon|midday))\b"
        r"|\b(?P<this>this|in\s+the)\s+(?P<p>morning|afternoon|evening)\b"
        r"|\b(?P<midnight>(?:(?:shortly|just|soon|right)\s+)?after\s+midnight"
        r"|(?:around|about|at)\s+midnight)\b"
        r"|\b(?P<past>(?:(?:over|in|during|within|for)\s+)?the\s+(?:past|last)\s+(?:24\s+hours"
        r"|day))\b"
        r"|\b(?P<daylong>(?:during|throughout)\s+the\s+day)\b"
    ),
    clock_before=(
        r"\b(?:at|around|about|approximately|from|since|between|until|till|to|and|after"
        r"|before|by)\s+(?:about\s+|around\s+)?$"
    ),
    clock_after=(
        r"\s*\(?(?:(?:local|Kyiv|Kiev)\s+time|(?P<moscow>Moscow\s+time|MSK)\b|(?P<utc>UTC|GMT)\b)"
        r"\)?"
    ),
    range_gap=r"^\s*(?:[-–—]|to|until|till|and)\s*$",
    duration=r"(?!)",
    as_of=r"\bas\s+of\s+$",
)

_UK = dict(
    night_on=(r"\b(?:у|в)\s*ніч\s+(?:(?:з|із|зі)\s+(?:[0-3]?\d(?:-го)?|\w+)\s+)?(?:на|проти)\s+$"),
    part_before=(
        r"(?:^|(?<=\W))(?P<p>рано\s+вранці|пізно\s+ввечері|вранці|зранку|уранці|ввечері"
        r"|увечері|вдень|удень|вночі|уночі|на\s+світанку|перед\s+світанком)\s+$"
    ),
    part_after=r"^,?\s+(?P<p>рано\s+вранці|пізно\s+ввечері|вранці|зранку|уранці|ввечері"
    r"|увечері|вдень|удень|пополудні|вночі|уночі|на\s+світанку|перед\s+світанком)\b",
    idiom=(
        r"(?<!\w)(?P<night>(?:(?:протягом|впродовж|упродовж)\s+)?минулої\s+ночі"
        r"|(?:протягом|впродовж|упродовж)\s+ночі|уночі|вночі"
        r"|нічн(?:а|ої|у|ою|ій|і|их)\s+(?:атак|удар|обстріл)\w*)(?!\w)"
        r"|(?<!\w)(?P<dawn>на\s+світанку|перед\s+світанком)(?!\w)"
        r"|(?<!\w)(?P<noon>опівдні|близько\s+полудня)(?!\w)"
        r"|(?<!\w)(?P<tonight>(?:(?:протягом|впродовж|упродовж)\s+)?цієї\s+ночі"
        r"|сьогодні\s+вночі)(?!\w)"
        r"|(?<!\w)(?P<p>рано\s+вранці|пізно\s+ввечері|вранці|зранку|уранці|ввечері|увечері"
        r"|вдень|удень)(?!\w)"
        r"|(?<!\w)(?P<midnight>(?:(?:незадовго|невдовзі|одразу|відразу|трохи|невдовзі)\s+)?"
        r"після\s+(?:опівночі|півночі)|близько\s+(?:опівночі|півночі)|опівночі)(?!\w)"
        r"|(?<!\w)(?P<past>(?:за|протягом|впродовж|упродовж)\s+(?:(?:минулу|минулої|останню"
        r"|останньої)\s+)?доб[уи]|минул(?:а|ої|у)\s+доб[аиу]|за\s+останні\s+24\s+години)(?!\w)"
        r"|(?<!\w)(?P<daylong>(?:протягом|впродовж|упродовж)\s+дня)(?!\w)"
    ),
    clock_before=(
        r"(?<!\w)(?:о|об|близько|приблизно|орієнтовно|з|із|зі|від|до|в|у|по|після|після)\s+$"
    ),
    clock_after=(
        r"\s*\(?(?:за\s+київським\s+часом|за\s+місцевим\s+часом"
        r"|(?P<moscow>за\s+московським\s+часом|мск)(?!\w)|(?P<utc>UTC|за\s+UTC)\b)\)?"
    ),
    range_gap=r"^\s*(?:[-–—]|до|по)\s*$",
    duration=r"(?:протягом|впродовж|упродовж|тривал\w*|за|понад|більше)\s+$",
    as_of=r"(?<!\w)станом\s+на\s+$",
)

_RU = dict(
    night_on=r"\b(?:в|во)\s+ночь\s+(?:(?:с|со)\s+(?:[0-3]?\d(?:-го)?|\w+)\s+)?на\s+$",
    part_before=(
        r"(?:^|(?<=\W))(?P<p>рано\s+утром|поздно\s+вечером|утром|днём|днем|вечером|ночью"
        r"|на\s+рассвете|перед\s+рассветом|под\s+утро)\s+$"
    ),
    part_after=r"^,?\s+(?P<p>рано\s+утром|поздно\s+вечером|утром|днём|днем|вечером|ночью"
    r"|на\s+рассвете|перед\s+рассветом|под\s+утро)\b",
    idiom=(
        r"(?<!\w)(?P<night>(?:в\s+течение\s+)?(?:прошедшей|минувшей|прошлой)\s+ноч(?:ью|и)"
        r"|в\s+течение\s+ночи|ночью|ночн(?:ая|ой|ую|ые|ых)\s+(?:атак|удар|обстрел)\w*)(?!\w)"
        r"|(?<!\w)(?P<tonight>этой\s+ночью|сегодня\s+ночью)(?!\w)"
        r"|(?<!\w)(?P<dawn>на\s+рассвете|перед\s+рассветом|под\s+утро)(?!\w)"
        r"|(?<!\w)(?P<noon>в\s+полдень|около\s+полудня)(?!\w)"
        r"|(?<!\w)(?P<p>рано\s+утром|поздно\s+вечером|с\s+утра|утром|вечером"
        r"|(?<!каждым\s)(?<!с\s)(?:днём|днем)(?!\s+(?:рождения|победы|памяти|города)))(?!\w)"
        r"|(?<!\w)(?P<midnight>(?:(?:вскоре|сразу|незадолго|чуть|немного)\s+)?после\s+полуночи"
        r"|около\s+полуночи|в\s+полночь)(?!\w)"
        r"|(?<!\w)(?P<past>(?:(?:за|в\s+течение)\s+)?(?:прошедшие|минувшие|последние|прошлые)\s+"
        r"сутки|(?:за|в\s+течение)\s+суток|за\s+сутки"
        r"|за\s+(?:последние|прошедшие)\s+24\s+часа)(?!\w)"
        r"|(?<!\w)(?P<daylong>в\s+течение\s+дня)(?!\w)"
    ),
    clock_before=(r"(?<!\w)(?:в|во|около|примерно|приблизительно|с|со|от|до|по|к|после)\s+$"),
    clock_after=(
        r"\s*\(?(?:по\s+киевскому\s+времени|по\s+местному\s+времени"
        r"|(?P<moscow>по\s+московскому\s+времени|по\s+мск|мск)(?!\w)|(?P<utc>(?:по\s+)?UTC|GMT)\b)"
        r"\)?"
    ),
    range_gap=r"^\s*(?:[-–—]|до|по)\s*$",
    duration=r"(?:течение|протяжении|длил\w*|продолжал\w*|за|более|свыше)\s+$",
    as_of=r"(?<!\w)(?:по\s+состоянию|состоянием)\s+на\s+$",
)

_CLOCK_EN = (
    r"(?<![\d:.,])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:])"
    r"(?:\s*(?P<ap>[ap]\.m\.|[ap]\.m\b|[ap]m\b))?"
    r"|\b(?P<h2>1[0-2]|0?[1-9])(?::(?P<m2>[0-5]\d))?\s*(?P<ap2>[ap]\.m\.|[ap]\.m\b|[ap]m\b)"
    # the first hour of "between 2 and 4 a.m.", "3-4 pm": its a.m./p.m. is the second's
    r"|\b(?P<h6>1[0-2]|0?[1-9])(?::(?P<m6>[0-5]\d))?"
    r"(?=\s*(?:-|–|to|and)\s*(?:1[0-2]|0?[1-9])(?::[0-5]\d)?\s*(?P<ap6>[ap])(?:\.m\.|\.m\b|m\b))"
)

_HOUR_WORDS = {"uk": r"годин[іиу]?|год\.", "ru": r"часов|часа|час"}
# before an hour with no minutes: "о 23 годині", "около 23 часов", "о третій ночі"
_STRONG_MARKERS = {
    "uk": r"о|об|близько|приблизно|орієнтовно",
    "ru": r"в|во|около|примерно|приблизительно|к|в\s+районе",
}
# these also start a duration or a count ("до 3 годин", "с 3 часов"): a part of the day must follow
_WEAK_MARKERS = {"uk": r"після|з|із|від|до", "ru": r"после|с|со|от|до"}

# hours said in words, as they stand after the markers: "о третій", "близько третьої",
# "в три часа", "около трёх часов", "в час ночи"
HOUR_NUMERALS: dict[str, int] = {
    **_numbered(
        "першій другій третій четвертій п'ятій шостій сьомій восьмій дев'ятій десятій "
        "одинадцятій дванадцятій"
    ),
    **_numbered(
        "першої другої третьої четвертої п'ятої шостої сьомої восьмої дев'ятої десятої "
        "одинадцятої дванадцятої"
    ),
    **_numbered("час два три четыре пять шесть семь восемь девять десять одиннадцать двенадцать"),
    **_numbered(
        "часа двух трёх четырёх пяти шести семи восьми девяти десяти одиннадцати двенадцати"
    ),
    "трех": 3,
    "четырех": 4,
}
HOUR_NUMERALS |= {
    word.replace("'", mark): n for word, n in HOUR_NUMERALS.items() for mark in "’ʼ" if "'" in word
}


def _clock(lang: Lang) -> str:
    parts = _alt(CLOCK_PARTS)
    hour = rf"[01]?\d|2[0-3]|{_alt(HOUR_NUMERALS)}"
    ending = r"(?:-?(?:й|ї|ої|ой|му|ом|ти|и))?"
    colon = (
        r"(?<![\d:.,])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:])"
        rf"(?:\s+(?P<dp>{parts})(?!\w))?"
    )
    # "о 10.15"; after "з", "до" only in a range ("з 18.00 до 06.00"): "до 12.50 тисяч" is none
    dotted = (
        rf"(?<!\w)(?:{_STRONG_MARKERS[lang]})\s+(?P<h2>[01]?\d|2[0-3])\.(?P<m2>[0-5]\d)(?!\.?\d)"
        rf"|(?<!\w)(?:{_WEAK_MARKERS[lang]})\s+(?P<h4>[01]?\d|2[0-3])\.(?P<m4>[0-5]\d)(?!\.?\d)"
    )
    strong = (
        rf"(?<!\w)(?:{_STRONG_MARKERS[lang]})\s+(?P<h3>{hour}){ending}"
        rf"(?:\s+(?:{_HOUR_WORDS[lang]})(?!\w)(?:\s+(?P<dp3>{parts})(?!\w))?"
        rf"|\s+(?P<dp4>{parts})(?!\w))"
    )
    weak = (
        rf"(?<!\w)(?:{_WEAK_MARKERS[lang]})\s+(?P<h5>{hour}){ending}"
        rf"(?:\s+(?:{_HOUR_WORDS[lang]}))?\s+(?P<dp5>{parts})(?!\w)"
    )
    return f"{colon}|{dotted}|{strong}|{weak}"


def _word_start(source: str) -> str:
    """Every form starts a word: said once in front, it spares trying each at every letter."""
    return rf"(?<!\w)(?:{source})"


@cache
def patterns(lang: Lang) -> Patterns:
    table = {"en": _EN, "uk": _UK, "ru": _RU}[lang]
    flags = 0 if lang == "en" else re.IGNORECASE
    ci = re.IGNORECASE

    def compile_(source: str, f: int = ci) -> re.Pattern[str]:
        return re.compile(source, f)

    return Patterns(
        day=compile_(_word_start(_day(lang)), flags),
        weekday_needs=compile_(r"(?<!\w)(?:у|в|во|на|проти)\s+$"),
        night_on=compile_(table["night_on"]),
        night_to=compile_(r"^\s*(?:to|into|[-–/])\s*(?P<d>[0-3]?\d)\b"),
        part_before=compile_(table["part_before"]),
        part_after=compile_(table["part_after"]),
        idiom=compile_(_word_start(table["idiom"])),
        clock=compile_(_word_start(_CLOCK_EN if lang == "en" else _clock(lang))),
        clock_before=compile_(table["clock_before"]),
        clock_after=compile_(table["clock_after"]),
        range_gap=compile_(table["range_gap"]),
        duration=compile_(table["duration"]),
        as_of=compile_(table["as_of"]),
        days_before=compile_(
            r"(?:(?<!\w)(?:з|із|с|from|between)\s+)?(?<![\d.,:])(?P<d>[0-3]?\d)"
            r"(?:st|nd|rd|th|-?го)?\s*(?:[-–—]|\s(?:по|до|to|until|till)\s"
            r"|\s(?P<conj>and|і|й|та|и)\s)\s*$"
        ),
    )

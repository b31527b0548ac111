"""The time expressions of reports, in en/uk/ru, and the event's window from them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.records.extraction.model import Lang, TimeFinding
from tocsin.records.extraction.times import KYIV, find_times, window

MORNING = datetime(2025, 3, 24, 8, 40, tzinfo=KYIV)  # a Monday
EVENING = datetime(2025, 3, 24, 21, 30, tzinfo=KYIV)


def one(text: str, lang: Lang, published: datetime = MORNING) -> TimeFinding:
    found = find_times(text, lang, published)
    assert len(found) == 1, found
    assert found[0].evidence.quote == text[found[0].evidence.start : found[0].evidence.end]
    return found[0]


def stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(KYIV).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("lang", "text", "quote", "start", "end"),
    [
        # absolute dates, with and without year
        ("en", "Drones struck on 24 March 2025.", "24 March 2025", "2025-03-24 00:00", None),
        ("en", "Drones struck on March 22, 2025.", "March 22, 2025", "2025-03-22 00:00", None),
        ("en", "Drones struck on March 22.", "March 22", "2025-03-22 00:00", None),
        ("en", "The strike of 24.03.2025 hit a school.", "24.03.2025", "2025-03-24 00:00", None),
        ("uk", "Удар 24 березня зруйнував школу.", "24 березня", "2025-03-24 00:00", None),
        ("uk", "Удар 24 березня 2025 року.", "24 березня 2025 року", "2025-03-24 00:00", None),
        ("uk", "Це сталося 31 грудня.", "31 грудня", "2024-12-31 00:00", None),
        ("uk", "Це сталося 31 березня.", "31 березня", "2025-03-31 00:00", None),
        ("uk", "Це сталося 1 квітня.", "1 квітня", "2024-04-01 00:00", None),
        ("ru", "Удар 24 марта 2025 года.", "24 марта 2025 года", "2025-03-24 00:00", None),
        ("ru", "Удар 22 марта по городу.", "22 марта", "2025-03-22 00:00", None),
        ("ru", "Сводка за 23.03.25 такова.", "23.03.25", "2025-03-23 00:00", None),
        # a date a day ahead of the post still reads as this year (a post just before midnight)
        ("en", "Drones struck on March 25.", "March 25", "2025-03-25 00:00", None),
        # clock times with no day: the latest such time not after the post
        ("en", "Explosions at 07:15 in the city.", "at 07:15", "2025-03-24 07:15", None),
        ("en", "Explosions at 10:15 in the city.", "at 10:15", "2025-03-23 10:15", None),
        ("en", "It hit around 3 a.m. on the port.", "around 3 a.m.", "2025-03-24 03:00", None),
        ("en", "It hit at 03:40 local time.", "at 03:40 local time", "2025-03-24 03:40", None),
        ("en", "A blast at 11 p.m. shook it.", "at 11 p.m.", "2025-03-23 23:00", None),
        ("uk", "Вибух пролунав о 10:15.", "о 10:15", "2025-03-23 10:15", None),
        ("uk", "Вибух пролунав о 09:20.", "о 09:20", "2025-03-24 09:20", None),
        ("uk", "Вибух пролунав о 7.20.", "о 7.20", "2025-03-24 07:20", None),
        ("uk", "Удар близько 23:00 по місту.", "близько 23:00", "2025-03-23 23:00", None),
        ("uk", "Вибух о 23 годині.", "о 23 годині", "2025-03-23 23:00", None),
        (
            "uk",
            "Тривога з 01:00 до 05:30.",
            "з 01:00 до 05:30",
            "2025-03-24 01:00",
            "2025-03-24 05:30",
        ),
        ("ru", "Взрыв в 10:15 у рынка.", "в 10:15", "2025-03-23 10:15", None),
        ("ru", "Взрыв около 23 часов.", "около 23 часов", "2025-03-23 23:00", None),
        ("ru", "Взрыв в 3 часа ночи.", "в 3 часа ночи", "2025-03-24 03:00", None),
        (
            "ru",
            "Тревога с 01:00 до 05:30.",
            "с 01:00 до 05:30",
            "2025-03-24 01:00",
            "2025-03-24 05:30",
        ),
        (
            "en",
            "The alert lasted from 23:10 to 02:05.",
            "from 23:10 to 02:05",
            "2025-03-23 23:10",
            "2025-03-24 02:05",
        ),
        # relative days and parts of the day
        ("en", "Yesterday the city was shelled.", "Yesterday", "2025-03-23 00:00", None),
        ("en", "Today the city was shelled.", "Today", "2025-03-24 00:00", None),
        (
            "en",
            "This morning the city was shelled.",
            "This morning",
            "2025-03-24 06:00",
            "2025-03-24 12:00",
        ),
        (
            "en",
            "Yesterday evening a drone hit.",
            "Yesterday evening",
            "2025-03-23 18:00",
            "2025-03-23 23:59",
        ),
        ("en", "On Saturday a drone hit.", "Saturday", "2025-03-22 00:00", None),
        ("uk", "Вчора ворог обстріляв місто.", "Вчора", "2025-03-23 00:00", None),
        ("uk", "Сьогодні ворог обстріляв місто.", "Сьогодні", "2025-03-24 00:00", None),
        ("uk", "Вранці ворог обстріляв місто.", "Вранці", "2025-03-24 06:00", "2025-03-24 12:00"),
        ("uk", "Ввечері ворог обстріляв місто.", "Ввечері", "2025-03-23 18:00", "2025-03-23 23:59"),
        ("uk", "У суботу ворог обстріляв місто.", "У суботу", "2025-03-22 00:00", None),
        ("ru", "Вчера враг обстрелял город.", "Вчера", "2025-03-23 00:00", None),
        ("ru", "Сегодня враг обстрелял город.", "Сегодня", "2025-03-24 00:00", None),
        ("ru", "Утром враг обстрелял город.", "Утром", "2025-03-24 06:00", "2025-03-24 12:00"),
        ("ru", "Вечером враг обстрелял город.", "Вечером", "2025-03-23 18:00", "2025-03-23 23:59"),
        ("ru", "Днём враг обстрелял город.", "Днём", "2025-03-23 12:00", "2025-03-23 18:00"),
        ("ru", "В пятницу враг обстрелял город.", "В пятницу", "2025-03-21 00:00", None),
        # the idioms
        ("en", "Overnight, drones attacked.", "Overnight", "2025-03-23 20:00", "2025-03-24 06:00"),
        ("en", "Last night drones attacked.", "Last night", "2025-03-23 20:00", "2025-03-24 06:00"),
        (
            "en",
            "Shortly after midnight a blast.",
            "Shortly after midnight",
            "2025-03-24 00:00",
            "2025-03-24 01:00",
        ),
        ("uk", "Уночі дрони атакували місто.", "Уночі", "2025-03-23 20:00", "2025-03-24 06:00"),
        (
            "uk",
            "Минулої ночі дрони атакували.",
            "Минулої ночі",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "uk",
            "У ніч на 31 грудня дрони атакували.",
            "У ніч на 31 грудня",
            "2024-12-30 20:00",
            "2024-12-31 06:00",
        ),
        (
            "uk",
            "У ніч на неділю дрони атакували.",
            "У ніч на неділю",
            "2025-03-22 20:00",
            "2025-03-23 06:00",
        ),
        (
            "uk",
            "Ввечері 2 лютого дрони атакували.",
            "Ввечері 2 лютого",
            "2025-02-02 18:00",
            "2025-02-02 23:59",
        ),
        (
            "uk",
            "Вранці 5 травня дрони атакували.",
            "Вранці 5 травня",
            "2024-05-05 06:00",
            "2024-05-05 12:00",
        ),
        (
            "uk",
            "Одразу після опівночі вибух.",
            "Одразу після опівночі",
            "2025-03-24 00:00",
            "2025-03-24 01:00",
        ),
        ("ru", "Ночью дроны атаковали город.", "Ночью", "2025-03-23 20:00", "2025-03-24 06:00"),
        ("ru", "Этой ночью дроны атаковали.", "Этой ночью", "2025-03-23 20:00", "2025-03-24 06:00"),
        (
            "ru",
            "В ночь на 24 марта дроны атаковали.",
            "В ночь на 24 марта",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "ru",
            "В ночь с 23 на 24 марта дроны.",
            "В ночь с 23 на 24 марта",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "ru",
            "Вечером 2 февраля дроны атаковали.",
            "Вечером 2 февраля",
            "2025-02-02 18:00",
            "2025-02-02 23:59",
        ),
        (
            "ru",
            "Утром 5 мая дроны атаковали.",
            "Утром 5 мая",
            "2024-05-05 06:00",
            "2024-05-05 12:00",
        ),
        (
            "ru",
            "Вскоре после полуночи взрыв.",
            "Вскоре после полуночи",
            "2025-03-24 00:00",
            "2025-03-24 01:00",
        ),
        (
            "en",
            "On the evening of February 2 drones hit.",
            "On the evening of February 2",
            "2025-02-02 18:00",
            "2025-02-02 23:59",
        ),
        (
            "en",
            "On the night of March 22 to 23 drones hit.",
            "On the night of March 22 to 23",
            "2025-03-22 20:00",
            "2025-03-23 06:00",
        ),
        (
            "en",
            "Overnight into Sunday drones hit.",
            "Overnight into Sunday",
            "2025-03-22 20:00",
            "2025-03-23 06:00",
        ),
        # hours in words, spans of days, the ranges of a night in English
        ("uk", "Вибух пролунав о третій ночі.", "о третій ночі", "2025-03-24 03:00", None),
        ("uk", "Вибух близько п’ятої ранку.", "близько п’ятої ранку", "2025-03-24 05:00", None),
        ("ru", "Взрыв около двух часов ночи.", "около двух часов ночи", "2025-03-24 02:00", None),
        ("ru", "Взрыв в 9 вечера у вокзала.", "в 9 вечера", "2025-03-23 21:00", None),
        ("uk", "Обстріли 22-23 березня.", "22-23 березня", "2025-03-22 00:00", "2025-03-23 23:59"),
        (
            "ru",
            "Обстрелы с 20 по 23 марта.",
            "с 20 по 23 марта",
            "2025-03-20 00:00",
            "2025-03-23 23:59",
        ),
        (
            "en",
            "On the night of 23-24 March drones hit.",
            "On the night of 23-24 March",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "en",
            "Overnight on March 22-23 drones hit.",
            "Overnight on March 22-23",
            "2025-03-22 20:00",
            "2025-03-23 06:00",
        ),
        (
            "en",
            "Early Sunday a missile hit.",
            "Early Sunday",
            "2025-03-23 00:00",
            "2025-03-23 06:00",
        ),
        (
            "en",
            "In the early hours of Sunday a blast.",
            "In the early hours of Sunday",
            "2025-03-23 00:00",
            "2025-03-23 06:00",
        ),
        (
            "en",
            "Late on Sunday a missile hit.",
            "Late on Sunday",
            "2025-03-23 18:00",
            "2025-03-23 23:59",
        ),
        (
            "en",
            "Sunday night drones attacked.",
            "Sunday night",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "ru",
            "Вчера ночью дроны атаковали.",
            "Вчера ночью",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "ru",
            "В субботу вечером дроны атаковали.",
            "В субботу вечером",
            "2025-03-22 18:00",
            "2025-03-22 23:59",
        ),
        (
            "uk",
            "Увечері в суботу дрони атакували.",
            "Увечері в суботу",
            "2025-03-22 18:00",
            "2025-03-22 23:59",
        ),
        ("en", "Three days ago a drone hit.", "Three days ago", "2025-03-21 00:00", None),
        ("uk", "Тиждень тому дрон влучив.", "Тиждень тому", "2025-03-17 00:00", None),
        ("ru", "Два дня назад дрон попал.", "Два дня назад", "2025-03-22 00:00", None),
        ("en", "Saturday's strike killed two.", "Saturday", "2025-03-22 00:00", None),
        (
            "uk",
            "У ніч проти неділі дрони атакували.",
            "У ніч проти неділі",
            "2025-03-22 20:00",
            "2025-03-23 06:00",
        ),
        ("uk", "Навчання відбудуться 27 березня.", "27 березня", "2025-03-27 00:00", None),
        (
            "en",
            "Over the past 24 hours, 213 shells.",
            "Over the past 24 hours",
            "2025-03-23 08:40",
            "2025-03-24 08:40",
        ),
        (
            "ru",
            "В течение прошедшей ночи сбиты 38 дронов.",
            "В течение прошедшей ночи",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "uk",
            "Наслідки нічної атаки ліквідовують.",
            "нічної атаки",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "en",
            "On the night of March 24 drones hit.",
            "On the night of March 24",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "en",
            "At dawn on March 22 drones hit.",
            "At dawn on March 22",
            "2025-03-22 04:00",
            "2025-03-22 07:00",
        ),
        (
            "uk",
            "На світанку дрони атакували.",
            "На світанку",
            "2025-03-24 04:00",
            "2025-03-24 07:00",
        ),
        ("ru", "Под утро дроны атаковали.", "Под утро", "2025-03-24 00:00", "2025-03-24 06:00"),
        ("en", "Around noon a missile hit.", "Around noon", "2025-03-23 12:00", None),
        ("uk", "Опівдні ракета влучила.", "Опівдні", "2025-03-23 12:00", None),
        ("ru", "В полдень ракета попала.", "В полдень", "2025-03-23 12:00", None),
        (
            "uk",
            "У ніч із суботи на неділю дрони атакували.",
            "У ніч із суботи на неділю",
            "2025-03-22 20:00",
            "2025-03-23 06:00",
        ),
        (
            "ru",
            "В ночь с субботы на воскресенье дроны.",
            "В ночь с субботы на воскресенье",
            "2025-03-22 20:00",
            "2025-03-23 06:00",
        ),
        (
            "en",
            "On the night from Saturday to Sunday drones hit.",
            "On the night from Saturday to Sunday",
            "2025-03-22 20:00",
            "2025-03-23 06:00",
        ),
        (
            "en",
            "In the small hours of Sunday a blast.",
            "In the small hours of Sunday",
            "2025-03-23 00:00",
            "2025-03-23 06:00",
        ),
        ("ru", "Взрыв в районе 3 часов ночи.", "в районе 3 часов ночи", "2025-03-24 03:00", None),
        (
            "uk",
            "Комендантська година з 18.00 до 06.00.",
            "з 18.00 до 06.00",
            "2025-03-23 18:00",
            "2025-03-24 06:00",
        ),
        (
            "en",
            "Sirens sounded from 1 a.m. to 5 a.m. here.",
            "from 1 a.m. to 5 a.m.",
            "2025-03-24 01:00",
            "2025-03-24 05:00",
        ),
        (
            "en",
            "On the morning of May 5 a missile hit.",
            "On the morning of May 5",
            "2024-05-05 06:00",
            "2024-05-05 12:00",
        ),
        (
            "en",
            "This night drones attacked the city.",
            "This night",
            "2025-03-23 20:00",
            "2025-03-24 06:00",
        ),
        (
            "uk",
            "Минулої доби ворог 14 разів обстріляв громади.",
            "Минулої доби",
            "2025-03-23 08:40",
            "2025-03-24 08:40",
        ),
        (
            "en",
            "Blasts between 2 and 4 a.m. were heard.",
            "between 2 and 4 a.m.",
            "2025-03-24 02:00",
            "2025-03-24 04:00",
        ),
        (
            "en",
            "Strikes on 22 and 23 March hit the port.",
            "22 and 23 March",
            "2025-03-22 00:00",
            "2025-03-23 23:59",
        ),
        (
            "uk",
            "Обстріли 22 і 23 березня.",
            "22 і 23 березня",
            "2025-03-22 00:00",
            "2025-03-23 23:59",
        ),
        (
            "en",
            "The shelling killed 3 and 24 March was calm.",
            "24 March",
            "2025-03-24 00:00",
            None,
        ),
    ],
)
def test_each_form_gives_its_window(
    lang: Lang, text: str, quote: str, start: str, end: str | None
) -> None:
    found = one(text, lang)
    assert found.evidence.quote == quote
    assert (stamp(found.start), stamp(found.end)) == (start, end)


@pytest.mark.parametrize(
    ("lang", "text", "published", "start"),
    [
        ("uk", "Сьогодні вночі ворог атакував місто.", MORNING, "2025-03-23 20:00"),
        ("ru", "Сегодня ночью враг атаковал город.", MORNING, "2025-03-23 20:00"),
        ("uk", "Сьогодні вночі можливі атаки.", EVENING, "2025-03-24 20:00"),
        ("ru", "Сегодня ночью возможны атаки.", EVENING, "2025-03-24 20:00"),
    ],
)
def test_this_night_is_the_past_one_until_the_evening(
    lang: Lang, text: str, published: datetime, start: str
) -> None:
    assert stamp(one(text, lang, published).start) == start


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Tonight drones are attacking the city."),
        ("uk", "Цієї ночі дрони атакують місто."),
        ("ru", "Этой ночью дроны атакуют город."),
    ],
)
def test_tonight_in_an_evening_post_is_the_coming_night(lang: Lang, text: str) -> None:
    found = one(text, lang, EVENING)
    assert (stamp(found.start), stamp(found.end)) == ("2025-03-24 20:00", "2025-03-25 06:00")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "21 of the 49 drones were shot down; 22 shells hit 6 apartment buildings."),
        ("en", "Of 54 drones, 52 were downed, 3 of 11 missiles got through, 300 customers."),
        ("uk", "Збито 52 з 54 дронів, пошкоджено 6 будинків, 22 снаряди, 1.5 тисячі абонентів."),
        ("ru", "Сбито 9 из 11 ракет, 22 снаряда, повреждены 6 домов, с 3 направлений, 10.5 км."),
        ("ru", "Обстрел длился в течение 3 часов, за 2 часа выпущено 40 снарядов."),
        ("uk", "Обстріл тривав протягом 3 годин, понад 2 години лунали вибухи."),
        ("ru", "Обстрел длился около трёх часов, до 3 часов ждали скорую."),
        ("en", "In March 49 drones hit; 21 of the 49 March convoys."),
        ("en", "It killed 2 and injured 4; 5 to 6 shells fell."),
        ("uk", "Станом на 09:00 відомо про двох поранених."),
        ("en", "As of 9:00 a.m., two were injured."),
        ("ru", "С каждым днём всё тяжелее; поздравили с днём рождения."),
        ("uk", "Ціни зросли до 12.50 гривень, з 10.15 тисяч абонентів."),
    ],
)
def test_bare_numbers_are_no_time(lang: Lang, text: str) -> None:
    assert find_times(text, lang, MORNING) == []


@settings(max_examples=300, deadline=None)
@given(
    a=st.integers(min_value=0, max_value=9999),
    b=st.integers(min_value=0, max_value=9999),
    phrase=st.sampled_from(
        [
            ("en", "{a} of the {b} drones were shot down"),
            ("en", "{a} drones and {b} missiles, {a}-{b} shells"),
            ("en", "{a} shells hit {b} apartment buildings at {a}.{b} km"),
            ("en", "between {a} and {b} detonations, up to {b}, about {a}"),
            ("uk", "{a}.{b} тисячі абонентів, {a}-{b} вибухів, понад {b} годин"),
            ("ru", "до {a}.{b} тысяч абонентов, в {a} домах, с {a} по {b} этаж"),
            ("uk", "збито {a} з {b} дронів"),
            ("uk", "{a} із {b} ракет, до {b} будинків"),
            ("ru", "сбито {a} из {b} беспилотников"),
            ("ru", "{a} из {b}, около {b} абонентов, с {a} до {b} домов"),
        ]
    ),
)
def test_numbers_in_phrases_never_give_a_time(a: int, b: int, phrase: tuple[Lang, str]) -> None:
    lang, template = phrase
    assert find_times(template.format(a=a, b=b), lang, MORNING) == []


@pytest.mark.parametrize(
    ("lang", "text", "quote", "clock"),
    [
        (
            "ru",
            "В ночь на 24 марта, около 3:00, прогремели взрывы.",
            "около 3:00",
            "2025-03-24 03:00",
        ),
        ("uk", "У ніч на 24 березня, близько 23:40, вибухи.", "близько 23:40", "2025-03-23 23:40"),
        ("ru", "Тревога с 22:40 22 марта, взрывы.", "с 22:40 22 марта", "2025-03-22 22:40"),
        ("uk", "Вчора ввечері, о 21:30, пролунали вибухи.", "о 21:30", "2025-03-23 21:30"),
        ("ru", "22 марта ракета. Взрыв прогремел в 10:15.", "в 10:15", "2025-03-22 10:15"),
    ],
)
def test_a_clock_takes_the_day_named_with_it(lang: Lang, text: str, quote: str, clock: str) -> None:
    found = {f.evidence.quote: f for f in find_times(text, lang, MORNING)}
    assert stamp(found[quote].start) == clock


@pytest.mark.parametrize(
    ("lang", "text", "quote", "clock"),
    [
        ("en", "At 10:15 on 22 March a missile hit.", "At 10:15 on 22 March", "2025-03-22 10:15"),
        ("en", "On March 21 at 9 p.m. a blast.", "March 21 at 9 p.m.", "2025-03-21 21:00"),
        ("uk", "22 березня о 10:15 вибух.", "22 березня о 10:15", "2025-03-22 10:15"),
        ("ru", "Вчера в 23:10 прогремел взрыв.", "Вчера в 23:10", "2025-03-23 23:10"),
        ("ru", "Сводка: 23.03 в 22:00 сбиты два дрона.", "23.03 в 22:00", "2025-03-23 22:00"),
        ("uk", "Зведення: 23.03, о 22:00 збито два дрони.", "23.03, о 22:00", "2025-03-23 22:00"),
    ],
)
def test_a_clock_next_to_its_day_is_one_finding(
    lang: Lang, text: str, quote: str, clock: str
) -> None:
    found = one(text, lang)
    assert (found.evidence.quote, stamp(found.start), found.end) == (quote, clock, None)


@pytest.mark.parametrize(
    ("lang", "text", "start", "end"),
    [
        (
            "ru",
            "В ночь на 24 марта, около 3:00, прогремели взрывы.",
            date(2025, 3, 23),
            date(2025, 3, 24),
        ),
        (
            "uk",
            "Уночі ворог атакував. Вибухи о 03:10 і о 04:20.",
            date(2025, 3, 23),
            date(2025, 3, 24),
        ),
        (
            "en",
            "Overnight, 21 of the 49 drones were shot down.",
            date(2025, 3, 23),
            date(2025, 3, 24),
        ),
        ("en", "Shortly after midnight, a missile hit.", date(2025, 3, 24), date(2025, 3, 24)),
        ("ru", "Вечером 2 февраля ракета попала в дом.", date(2025, 2, 2), date(2025, 2, 2)),
    ],
)
def test_window_follows_the_gold_conventions(lang: Lang, text: str, start: date, end: date) -> None:
    begin, finish = window(find_times(text, lang, MORNING), MORNING)
    assert begin.astimezone(KYIV).date() == start
    assert finish is not None and finish.astimezone(KYIV).date() == end


@pytest.mark.parametrize(
    "published",
    [datetime(2025, 3, 23, 22, 30, tzinfo=UTC), datetime(2025, 3, 24, 0, 30)],
)
def test_window_with_no_finding_is_the_published_day_in_kyiv(published: datetime) -> None:
    assert window([], published) == (datetime(2025, 3, 24, tzinfo=KYIV), None)


def test_the_night_before_new_year_is_last_year() -> None:
    new_year = datetime(2025, 1, 1, 9, 0, tzinfo=KYIV)
    text = "У ніч на 31 грудня ворог атакував Київ."
    begin, end = window(find_times(text, "uk", new_year), new_year)
    assert (begin.date(), end and end.date()) == (date(2024, 12, 30), date(2024, 12, 31))


def test_window_leaves_out_far_dates_when_near_ones_are_found() -> None:
    text = "Overnight drones hit Kharkiv. Since 24 February 2022 the city was hit 900 times."
    begin, end = window(find_times(text, "en", MORNING), MORNING)
    assert (stamp(begin), stamp(end)) == ("2025-03-23 20:00", "2025-03-24 06:00")


def test_window_of_a_report_about_an_old_day_keeps_it() -> None:
    text = "On 2 March a missile hit the port; the damage was counted today."
    later = datetime(2025, 3, 24, 8, 40, tzinfo=KYIV)
    found = [f for f in find_times(text, "en", later) if "March" in f.evidence.quote]
    assert window(found, later) == (datetime(2025, 3, 2, tzinfo=KYIV), None)


def test_hours_after_an_evening_run_into_the_next_day() -> None:
    text = "Вчора ввечері ворог атакував місто, вибухи лунали до 02:00 ночі."
    begin, end = window(find_times(text, "uk", MORNING), MORNING)
    assert (stamp(begin), stamp(end)) == ("2025-03-23 18:00", "2025-03-24 02:00")


@pytest.mark.parametrize(
    ("lang", "text", "start"),
    [
        ("uk", "Протягом доби ворог 14 разів обстріляв громади.", "2025-03-24 00:00"),
        ("uk", "На Сумщині минула доба була важкою.", "2025-03-24 00:00"),
        ("ru", "За минувшие сутки сбито 5 дронов.", "2025-03-24 00:00"),
        ("en", "The past day was hard for Sumy.", "2025-03-24 00:00"),
        ("uk", "Упродовж дня евакуйовано 23 людини.", "2025-03-24 06:00"),
        ("ru", "В течение дня город обстреливали.", "2025-03-24 06:00"),
        ("en", "During the day the city was shelled.", "2025-03-24 06:00"),
    ],
)
def test_the_past_day_of_an_evening_post_is_that_day(lang: Lang, text: str, start: str) -> None:
    found = one(text, lang, EVENING)
    assert (stamp(found.start), stamp(found.end)) == (start, "2025-03-24 21:30")


def test_during_the_day_in_a_morning_post_is_yesterday() -> None:
    found = one("Протягом дня ворог обстрілював громади.", "uk", MORNING)
    assert (stamp(found.start), stamp(found.end)) == ("2025-03-23 06:00", "2025-03-23 23:59")


def test_overnight_after_a_named_night_is_that_night() -> None:
    text = "In the early hours of 24 March bombs fell. Drones also attacked overnight."
    found = find_times(text, "en", MORNING)
    assert [(stamp(f.start), stamp(f.end)) for f in found] == [
        ("2025-03-24 00:00", "2025-03-24 06:00"),
        ("2025-03-24 00:00", "2025-03-24 06:00"),
    ]


def test_the_air_force_night_with_its_evening_start() -> None:
    text = "On the night of 24 March (from 18:00 on 23 March), the enemy attacked with 99 drones."
    found = find_times(text, "en", MORNING)
    assert [f.evidence.quote for f in found] == [
        "On the night of 24 March",
        "from 18:00 on 23 March",
    ]
    begin, end = window(found, MORNING)
    assert (stamp(begin), stamp(end)) == ("2025-03-23 18:00", "2025-03-24 06:00")


_PIECES = [
    "о",
    "в",
    "at",
    "з",
    "до",
    "с",
    "на",
    "ніч",
    "ночь",
    "night of",
    "у ніч на",
    "в ночь на",
    "березня",
    "марта",
    "March",
    "МАРТА",
    "ЧЕРВНЯ",
    "вчора",
    "YESTERDAY",
    "ночью",
    "вечером",
    "overnight",
    "п’ятницю",
    "понеділок",
    "a.m.",
    "години",
    "часов",
    "ночі",
    "утра",
    "-",
    ".",
    ":",
    ",",
    " ",
    "\n",
    "після опівночі",
    "днів тому",
    "days ago",
    "тому",
    "назад",
]


@settings(max_examples=250, deadline=None)
@given(
    parts=st.lists(
        st.one_of(st.sampled_from(_PIECES), st.integers(0, 99).map(str), st.text(max_size=3)),
        max_size=14,
    ),
    lang=st.sampled_from(["en", "uk", "ru"]),
)
def test_any_text_gives_findings_quoted_from_it(parts: list[str], lang: Lang) -> None:
    text = " ".join(parts)
    for found in find_times(text, lang, MORNING):
        assert found.evidence.quote == text[found.evidence.start : found.evidence.end]
        assert found.evidence.quote.strip()
        assert found.end is None or found.end > found.start


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("They face Zorya next Saturday.", date(2025, 3, 29)),
        ("The drill is held next Monday.", date(2025, 3, 31)),
        ("The drill is held this coming Tuesday.", date(2025, 3, 25)),
    ],
)
def test_next_weekday_is_ahead_and_out_of_the_window(text: str, day: date) -> None:
    found = one(text, "en")
    assert found.start.date() == day
    overnight = find_times("Overnight drones hit.", "en", MORNING)
    assert window([*overnight, found], MORNING)[0] == overnight[0].start


def test_the_published_time_may_be_in_any_zone() -> None:
    text = "Вчора ввечері, о 21:30, пролунали вибухи."
    in_utc = MORNING.astimezone(UTC)
    naive = MORNING.replace(tzinfo=None)
    assert find_times(text, "uk", in_utc) == find_times(text, "uk", MORNING)
    assert find_times(text, "uk", naive) == find_times(text, "uk", MORNING)
    assert all(f.start.tzinfo == KYIV for f in find_times(text, "uk", in_utc))


@pytest.mark.parametrize(
    ("lang", "text", "quote", "start"),
    [
        (
            "ru",
            "Сбиты в 00:30 по московскому времени.",
            "в 00:30 по московскому времени",
            "2025-01-23 23:30",
        ),
        ("ru", "Атака с 20:00 до 23:00 мск.", "с 20:00 до 23:00 мск", "2025-01-23 19:00"),
        ("en", "A missile hit at 06:10 UTC.", "at 06:10 UTC", "2025-01-24 08:10"),
        (
            "uk",
            "Вибух о 03:40 за київським часом.",
            "о 03:40 за київським часом",
            "2025-01-24 03:40",
        ),
    ],
)
def test_a_clock_in_another_zone_is_read_in_kyiv_time(
    lang: Lang, text: str, quote: str, start: str
) -> None:
    winter = datetime(2025, 1, 24, 8, 40, tzinfo=KYIV)
    found = one(text, lang, winter)
    assert (found.evidence.quote, stamp(found.start)) == (quote, start)


def test_a_clock_ending_a_sentence_keeps_its_own_day() -> None:
    text = "Overnight a fire broke out; it was put out by 5 a.m. On March 3, a drone hit the port."
    found = {f.evidence.quote: f for f in find_times(text, "en", MORNING)}
    assert stamp(found["by 5 a.m."].start) == "2025-03-24 05:00"
    assert stamp(found["March 3"].start) == "2025-03-03 00:00"


def test_each_clock_takes_the_day_said_with_it() -> None:
    text = "Вчера в 23:50 и сегодня в 00:20 Белгород подвергся атаке."
    found = [(f.evidence.quote, stamp(f.start)) for f in find_times(text, "ru", MORNING)]
    assert found == [("Вчера в 23:50", "2025-03-23 23:50"), ("сегодня в 00:20", "2025-03-24 00:20")]


def test_a_day_and_month_alone_are_no_date() -> None:
    assert find_times("Цена 12.03 рубля, в среднем 10.05 за литр.", "ru", MORNING) == []


def test_overnight_after_an_old_named_night_is_last_night() -> None:
    text = "Нагадаємо, у ніч на 5 березня дрони атакували Суми. Уночі ворог знову атакував місто."
    found = {f.evidence.quote: f for f in find_times(text, "uk", MORNING)}
    assert stamp(found["Уночі"].start) == "2025-03-23 20:00"

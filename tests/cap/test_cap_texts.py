"""The words of CAP messages: cell-broadcast texts within 90 / 360 characters in every
language, for every threat, situation and status, however many regions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.cap import texts as t
from tocsin.cap.texts import Situation, Wording
from tocsin.domain.alerts import Status
from tocsin.domain.threats import builtin
from tocsin.regions.packs import load_pack

CATALOGUE = builtin()
REGIONS = [r for r in load_pack("ua") if r.level in ("oblast", "raion", "hromada")]
LANGS = ("en", "uk", "ru")


def wording(
    situation: Situation, status: Status, threat: str, names: list[str], lang: str, **kwargs: str
) -> Wording:
    return Wording(situation, status, CATALOGUE[threat], names, lang, **kwargs)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("situation", list(Situation))
@pytest.mark.parametrize("threat", CATALOGUE.ids())
@pytest.mark.parametrize("count", [1, 3, 30])
def test_texts_fit_for_every_case(
    threat: str, situation: Situation, status: Status, lang: str, count: int
) -> None:
    names = [r.name(lang) for r in REGIONS[:count]]
    w = wording(situation, status, threat, names, lang)
    short, long, headline = t.short_text(w), t.long_text(w), t.headline(w)
    assert 0 < len(short) <= 90
    assert 0 < len(long) <= 360
    assert 0 < len(headline) < 160
    assert t.description(w) and t.instruction(w) and t.event(w)
    if status is not Status.ACTUAL:
        marker = t.MARKERS[status][lang]
        for text in (short, long, headline, t.description(w)):
            assert text.startswith(marker + ":")
    if count == 1 and situation is Situation.ALERT:
        assert names[0] in long
        assert CATALOGUE[threat].signal[lang] in short


def test_short_text_names_places_that_fit_and_counts_the_rest() -> None:
    names = ["Kharkiv Oblast", "Sumy Oblast", "Poltava Oblast", "Donetsk Oblast"]
    w = wording(Situation.ALERT, Status.ACTUAL, "missile", names, "en")
    assert t.short_text(w) == (
        "Rocket Danger! Kharkiv Oblast and 3 more. Go to the nearest shelter immediately."
    )
    w = wording(Situation.ALERT, Status.ACTUAL, "missile", ["Kyiv", "Sumy", "Lviv"], "en")
    assert t.short_text(w) == (
        "Rocket Danger! Kyiv, Sumy, Lviv. Go to the nearest shelter immediately."
    )
    uk = wording(
        Situation.ALL_CLEAR,
        Status.ACTUAL,
        "missile",
        ["Харківська область", "Сумська область", "Полтавська область"],
        "uk",
    )
    assert t.short_text(uk) == (
        "Відбій тривоги: Харківська область, Сумська область, Полтавська область. Загроза минула."
    )
    uk = wording(
        Situation.ALL_CLEAR,
        Status.ACTUAL,
        "missile",
        ["Харківська область", "Сумська область", "Полтавська область", "Київ"],
        "uk",
    )
    assert t.short_text(uk) == (
        "Відбій тривоги: Харківська область, Сумська область та ще 2. Загроза минула."
    )


def test_long_text_keeps_every_place_and_the_advice_that_fits() -> None:
    w = wording(Situation.ALERT, Status.ACTUAL, "uav", ["Kyiv"], "en")
    long = t.long_text(w)
    assert long.startswith("UAV Danger! Kyiv. Stay indoors and away from windows.")
    assert "two-wall rule" in long


@pytest.mark.parametrize("lang", LANGS)
def test_all_clear_cancel_and_expiry_say_different_things(lang: str) -> None:
    said = {
        situation: t.short_text(wording(situation, Status.ACTUAL, "air", ["X"], lang))
        for situation in (Situation.ALL_CLEAR, Situation.CANCELLED, Situation.EXPIRED)
    }
    assert len(set(said.values())) == 3
    assert t.TITLES[Situation.ALL_CLEAR][lang] not in said[Situation.EXPIRED]


def test_the_operators_headline_and_cancel_message_are_kept() -> None:
    w = wording(
        Situation.ALERT,
        Status.EXERCISE,
        "missile",
        ["Kyiv"],
        "en",
        headline="Drill at noon",
        text="Details follow",
    )
    assert t.headline(w) == "EXERCISE: Drill at noon"
    assert "Details follow" in t.description(w)
    cancelled = wording(
        Situation.CANCELLED, Status.ACTUAL, "missile", ["Kyiv"], "en", cancel_message="Sensor fault"
    )
    assert "Sensor fault" in t.description(cancelled)


def test_unknown_languages_fall_back_to_english_phrases() -> None:
    w = wording(Situation.ALL_CLEAR, Status.TEST, "uav", ["Kyjiw"], "de")
    assert t.short_text(w) == "TEST: All clear: Kyjiw. The threat is over."


@settings(max_examples=150, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=120), min_size=1, max_size=40),
    headline=st.one_of(st.none(), st.text(max_size=300)),
    situation=st.sampled_from(list(Situation)),
    status=st.sampled_from(list(Status)),
    lang=st.sampled_from([*LANGS, "fr"]),
    threat=st.sampled_from(CATALOGUE.ids()),
)
def test_limits_hold_for_any_names(
    names: list[str],
    headline: str | None,
    situation: Situation,
    status: Status,
    lang: str,
    threat: str,
) -> None:
    w = wording(situation, status, threat, names, lang, headline=headline or "")
    assert len(t.short_text(w)) <= 90
    assert len(t.long_text(w)) <= 360
    assert len(t.headline(w)) < 160


@pytest.mark.parametrize(
    ("text", "limit", "clipped"),
    [
        ("short", 10, "short"),
        ("one two three four five", 14, "one two three…"),
        ("abcdefghijklmnop", 8, "abcdefg…"),
    ],
)
def test_clip(text: str, limit: int, clipped: str) -> None:
    assert t.clip(text, limit) == clipped
    assert len(t.clip(text, limit)) <= limit


def test_sentences() -> None:
    assert t.sentences("One. Two! Three? Four") == ["One.", "Two!", "Three?", "Four"]
    assert t.sentences("3.5 km away. Go.") == ["3.5 km away.", "Go."]
    assert t.first_sentence("") == ""

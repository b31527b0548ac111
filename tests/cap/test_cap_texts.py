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
    assert t.short_text(cancelled) == "False alarm, alert cancelled: Kyiv. Sensor fault"
    assert "Sensor fault" in t.long_text(cancelled)


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


NAMES = {lang: [r.name(lang) for r in REGIONS] for lang in LANGS}


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    situation=st.sampled_from(list(Situation)),
    status=st.sampled_from(list(Status)),
    lang=st.sampled_from(LANGS),
    threat=st.sampled_from(CATALOGUE.ids()),
    count=st.integers(1, 200),
    message=st.one_of(st.none(), st.text(st.characters(codec="utf-8"), max_size=400)),
)
def test_short_texts_keep_the_place_and_cut_the_advice_between_words(
    data: st.DataObject,
    situation: Situation,
    status: Status,
    lang: str,
    threat: str,
    count: int,
    message: str | None,
) -> None:
    """With real region names, however many: under the limit, the first place kept with how
    many more, and the advice (or a false alarm's message) cut only between words."""
    names = data.draw(st.lists(st.sampled_from(NAMES[lang]), min_size=count, max_size=count))
    w = wording(situation, status, threat, names, lang, cancel_message=message or "")
    short = t.short_text(w)
    assert len(short) <= 90
    assert short.startswith(w.head)
    more = w.say(t.PHRASES["more"]).format(n=count - 1) if count > 1 else ""
    if len(_join(w.head, t.places_of(w, 1))) > 90:  # a name too long for the room
        assert short.endswith(f"{t.ELLIPSIS} {more}." if more else t.ELLIPSIS + ".")
        assert names[0].startswith(short[len(w.head) + 1 :].split(t.ELLIPSIS)[0])
        return
    kept = [k for k in range(count, 0, -1) if short.startswith(_join(w.head, t.places_of(w, k)))]
    assert kept, short  # the first place at least, and how many more
    after = short.removeprefix(_join(w.head, t.places_of(w, kept[0]))).strip()
    advice = w.message or w.summary
    if after:  # whole words of the advice, in order
        words = after.removesuffix(t.ELLIPSIS).split()
        assert " ".join(words) in " ".join(advice.split())
        assert words[-1].rstrip(",;:—-–") in [a.rstrip(",;:—-–") for a in advice.split()]


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def test_a_long_list_keeps_the_place_and_a_whole_sentence() -> None:
    names = NAMES["en"][:25]
    w = wording(Situation.ALERT, Status.EXERCISE, "missile", names, "en")
    short = t.short_text(w)
    assert short.startswith("EXERCISE: ")
    assert f"{names[0]} and 24 more." in short or f"{names[1]} and 23 more." in short
    assert len(short) <= 90 and short.endswith(("…", ".", "!"))
    assert short.split()[-1].removesuffix("…") in t.first_sentence(w.summary).split()


def test_a_false_alarm_message_goes_in_every_text() -> None:
    message = "False alarm: a sensor fault. No missile was launched. Stay calm."
    for lang in LANGS:
        names = NAMES[lang][:12]
        w = wording(
            Situation.CANCELLED, Status.ACTUAL, "missile", names, lang, cancel_message=message
        )
        short, long = t.short_text(w), t.long_text(w)
        assert names[0] in short and "False alarm: a sensor fault." in short
        assert message in long and message in t.description(w)


@pytest.mark.parametrize(
    ("seconds", "lang", "said"),
    [
        (90, "en", "Reach shelter within 90 s."),
        (300, "en", "Reach shelter within 5 min."),
        (60, "uk", "Дістаньтеся укриття за 60 с."),
        (600, "ru", "Доберитесь до укрытия за 10 мин."),
    ],
)
def test_time_to_shelter_is_told_where_set(seconds: int, lang: str, said: str) -> None:
    names = NAMES[lang][:1]
    w = Wording(Situation.ALERT, Status.ACTUAL, CATALOGUE["missile"], names, lang, shelter=seconds)
    assert said in t.short_text(w) and said in t.long_text(w)
    assert len(t.short_text(w)) <= 90
    unset = Wording(Situation.ALERT, Status.ACTUAL, CATALOGUE["missile"], names, lang)
    assert "укрит" not in t.short_text(unset).lower() or "укрит" in unset.summary.lower()
    assert said not in t.short_text(unset) and said not in t.long_text(unset)
    over = Wording(
        Situation.ALL_CLEAR, Status.ACTUAL, CATALOGUE["missile"], names, lang, shelter=90
    )
    assert over.shelter_note == "" and "90" not in t.long_text(over)


def test_least_shelter_is_never_made_up() -> None:
    assert t.least_shelter([90, 60]) == 60
    assert t.least_shelter([90, None]) is None
    assert t.least_shelter([]) is None

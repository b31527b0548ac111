"""extract(): the draft incident of a report, nothing invented, other events apart; scoring."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.records.extraction import evaluate
from tocsin.records.extraction.extract import extract, warm
from tocsin.records.extraction.model import (
    ClaimFinding,
    Draft,
    Evidence,
    Extraction,
    Lang,
)
from tocsin.records.extraction.pipeline import doc_sentences, doc_tokens, document
from tocsin.records.extraction.text import ABBREVIATIONS, Sentence, Token, normal, tokens
from tocsin.records.extraction.weapons import mentions

CORPUS = Path(__file__).resolve().parents[1] / "data" / "reports"
PUBLISHED = datetime(2025, 3, 17, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        (
            "en",
            "At about 07:40 a gas explosion occurred in a five-storey building in Kyiv. "
            "3 people have died and 11 have been injured; rescuers evacuated 40 residents.",
        ),
        (
            "uk",
            "14 березня в Дніпрі проходитимуть навчання ДСНС: можливі звуки, схожі на вибухи. "
            "Відпрацюють евакуацію 200 людей з висотного будинку.",
        ),
        (
            "ru",
            "Под Ростовом произошло ДТП: столкнулись автобус и грузовик. Пострадали 7 человек, "
            "повреждены 3 автомобиля.",
        ),
        (
            "uk",
            "Сильна гроза і град пошкодили дахи 20 будинків у Львові, 300 абонентів без світла.",
        ),
        (
            "en",
            "Shakhtar beat Dynamo 3-1 in Kharkiv in front of 20,000 fans; two players were hurt.",
        ),
        (
            "uk",
            "Піротехніки ДСНС знищили 37 боєприпасів: артилерійські снаряди та реактивні снаряди "
            "РСЗВ «Град». Під час підривів мешканці можуть чути вибухи.",
        ),
    ],
)
def test_a_non_attack_gets_no_threat_no_claim_no_region(lang: Lang, text: str) -> None:
    draft = extract(text, lang=lang, published_at=PUBLISHED).draft
    assert (draft.threats, draft.claims, draft.regions) == ([], [], [])


@pytest.mark.parametrize(
    ("lang", "text", "main", "other"),
    [
        (
            "en",
            "Overnight Shahed drones attacked Sumy: 2 people were injured.\n\n"
            "Last week a missile strike on Sumy killed 11 people and injured 89.",
            {("injured", 2)},
            {("killed", 11), ("injured", 89)},
        ),
        (
            "en",
            "Reminder: on 15 March a strike on Odesa killed 21 people.\n\n"
            "Today a missile hit Odesa; a man was killed.",
            {("killed", 1)},
            {("killed", 21)},
        ),
        (
            "uk",
            "Вночі ворог атакував Запоріжжя дронами, поранено 3 людей.\n\n"
            "Нагадаємо: 6 листопада ракетний удар по Запоріжжю забрав життя 4 людей, ще 11 "
            "були поранені.",
            {("injured", 3)},
            {("killed", 4), ("injured", 11)},
        ),
        (
            "ru",
            "Вечером 2 февраля ракеты С-300 ударили по селу, 3 человека ранены.\n\n"
            "Напомним, 28 января в результате удара по Харькову погибли 2 человека, 14 ранены.",
            {("injured", 3)},
            {("killed", 2), ("injured", 14)},
        ),
        (
            "ru",
            "Сегодня ВСУ обстреляли Рыльск из РСЗО «Град», пострадавших нет.\n\n"
            "Ранее на этой неделе в Шебекине от удара дрона погибли 2 человека.",
            {("injured", 0)},
            {("killed", 2)},
        ),
    ],
)
def test_figures_of_another_event_go_apart(
    lang: Lang, text: str, main: set[tuple[str, int]], other: set[tuple[str, int]]
) -> None:
    extraction = extract(text, lang=lang, published_at=PUBLISHED)
    assert {(c.measure, c.min) for c in extraction.draft.claims} == main
    assert {(c.measure, c.min) for o in extraction.others for c in o.claims} == other


def test_a_sentence_dated_days_before_is_another_event() -> None:
    text = (
        "Вечером 2 февраля ракеты С-300 ударили по селу Циркуны, 3 человека ранены. "
        "28 января в результате удара по Харькову погибли 2 человека."
    )
    extraction = extract(text, published_at=datetime(2025, 2, 3, 8, tzinfo=UTC))
    assert [(c.measure, c.min) for c in extraction.draft.claims] == [("injured", 3)]
    assert [(c.measure, c.min) for o in extraction.others for c in o.claims] == [("killed", 2)]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ru", "Как сообщалось ранее, в результате атаки дронов на Белгород погибли 2 человека."),
        ("uk", "Як повідомлялося раніше, внаслідок ракетного удару по Харкову загинули 2 людини."),
        ("en", "As reported earlier, the drone strike on Kharkiv killed 2 people."),
    ],
)
def test_the_same_event_told_before_stays_in_the_draft(lang: Lang, text: str) -> None:
    extraction = extract(text, lang=lang, published_at=PUBLISHED)
    assert [(c.measure, c.min) for c in extraction.draft.claims] == [("killed", 2)]
    assert extraction.others == []


@pytest.mark.parametrize(
    ("text", "attack"),
    [
        ("Навчання ДСНС: можливі звуки вибухів, евакуюють 200 людей.", False),
        ("Під час навчань ворог атакував місто дронами, поранено 2 людей.", True),
        ("After the drone attack residents should exercise caution; 2 people were injured.", True),
        ("A severe storm left 1,100 settlements without power, not by enemy shelling.", False),
    ],
)
def test_drills_and_weather_are_no_attacks(text: str, attack: bool) -> None:
    draft = extract(text, published_at=PUBLISHED).draft
    assert bool(draft.claims) is attack


def test_the_draft_has_its_threats_regions_and_window() -> None:
    text = (
        "У ніч на 17 березня противник атакував Київщину 54 ударними БпЛА типу Shahed з "
        "напрямків Брянськ, Курськ. Збито 52 з 54 дронів. Уламки впали в Бучі."
    )
    draft = extract(text, published_at=PUBLISHED).draft
    assert draft.threats == ["uav"]
    assert "RU-BRY" not in draft.regions and "RU-KRS" not in draft.regions
    assert draft.regions and all(code.startswith("UA-32") for code in draft.regions)
    assert draft.start is not None and draft.start.astimezone(evaluate.KYIV).day == 16
    assert draft.end is not None and draft.end.astimezone(evaluate.KYIV).day == 17
    assert {(c.measure, c.weapon, c.min) for c in draft.claims} == {
        ("launched", "uav", 54),
        ("intercepted", "uav", 52),
    }


@pytest.mark.parametrize(
    ("lang", "text", "absent"),
    [
        (
            "uk",
            "Вночі ворог атакував Одещину 86 шахедами. Напрямки пусків дронів: Брянськ, Курськ, "
            "Міллерово. Уламки впали в Одесі.",
            {"RU-BRY", "RU-KRS", "RU-ROS"},
        ),
        (
            "en",
            "Russia attacked Lviv with Kalibr missiles launched from Kursk Oblast; drones flew "
            "towards Kyiv. A missile hit Lviv. Moscow said nothing.",
            {"RU-KRS", "UA-30"},
        ),
        (
            "ru",
            "Ночью беспилотники атаковали Белгород со стороны Харьковской области. "
            "Пострадавших нет.",
            {"UA-63"},
        ),
    ],
)
def test_launch_origins_and_directions_are_no_regions(
    lang: Lang, text: str, absent: set[str]
) -> None:
    draft = extract(text, lang=lang, published_at=PUBLISHED).draft
    assert draft.regions
    assert not set(draft.regions) & absent
    assert not any(code.startswith(tuple(absent)) for code in draft.regions)


def test_the_alert_signal_names_the_threat() -> None:
    text = "«Rocket Danger!» sounded in Odesa at 00:12; a missile hit the port."
    extraction = extract(text, published_at=PUBLISHED)
    assert extraction.lang == "en"
    assert extraction.draft.threats == ["missile"]


def test_a_report_of_2_kb_is_read_whole() -> None:
    """Functional, with no timing: a long bulletin is read to its end."""
    warm()
    paragraph = (
        "Вночі ворог атакував Харківщину ударними БпЛА. Пошкоджено 3 приватні будинки. "
        "Енергетики працюють на місцях, ліквідація наслідків триває.\n\n"
    )
    text = paragraph * 9 + "Загалом збито 48 з 50 шахедів. Ніхто не постраждав."
    assert len(text.encode()) > 2048
    draft = extract(text, lang="uk", published_at=PUBLISHED).draft
    assert {(c.measure, c.min) for c in draft.claims} == {
        ("buildings_damaged", 3),
        ("launched", 50),
        ("intercepted", 48),
        ("injured", 0),
    }


_PHRASES = (
    "Overnight 21 of the 49 Shahed drones were shot down over Kharkiv Oblast.",
    "«Rocket Danger!» in Odesa at 00:12.",
    "A man was killed; at least 22 people were injured in Zaporizhzhia.",
    "Між 5 та 6 вибухами… Збито 52 з 54 БпЛА над Київщиною.",
    "Загинули п’ятеро людей, ще двоє поранені у Сумах.",
    "Пострадавших нет. В Белгороде повреждены 4 частных дома и 3 автомобиля.",
    "без света остались около 300 абонентов в Курчатове",
    "Нагадаємо, минулого тижня удар по Дніпру забрав життя 4 людей.",
    "windows in six apartment buildings and one private residence",
    "22 shells from Czech Vampire MLRS",
    "В ночь на 24 марта ВСУ атаковали Белгород беспилотниками.",
    "У ніч на 31 грудня — 8 влучань КАБів.",
    "\n\n",
    "  ",
    "İstanbul ǅ ﬁ ß 🚀",
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_PHRASES), min_size=1, max_size=12), st.text(max_size=40))
def test_every_evidence_quotes_the_text_as_sent(parts: list[str], noise: str) -> None:
    text = " ".join(parts) + noise
    extraction = extract(text, published_at=PUBLISHED)
    for draft in [extraction.draft, *extraction.others]:
        spans = [
            *(c.evidence for c in draft.claims),
            *(p.evidence for p in draft.places),
            *(t.evidence for t in draft.times),
            *(t.evidence for t in draft.threat_findings),
        ]
        for evidence in spans:
            assert 0 <= evidence.start <= evidence.end <= len(text)
            assert evidence.quote == text[evidence.start : evidence.end]


def test_the_development_part_meets_the_claim_targets() -> None:
    reports = evaluate.load(CORPUS / "dev.jsonl")
    result = evaluate.score(
        reports,
        lambda r: extract(r["text"], published_at=evaluate.published(r)),
    )
    claims = result.tallies["claims"]
    assert claims.gold > 0
    assert claims.precision >= 0.95
    assert claims.recall >= 0.85


def _claim(measure: str, low: int, high: int | None, kind: str) -> ClaimFinding:
    return ClaimFinding(measure, low, high, kind, Evidence(0, 0, ""))


def test_scoring_matches_measure_weapon_bounds_and_kind() -> None:
    report = {
        "id": "t-1",
        "lang": "en",
        "gold": {
            "date": "2025-03-16",
            "end_date": "2025-03-17",
            "regions": ["UA-32", "UA-18"],
            "threats": ["uav"],
            "claims": [
                {"measure": "injured", "weapon": None, "min": 2, "max": 2, "kind": "exact"},
                {"measure": "killed", "weapon": None, "min": 1, "max": 1, "kind": "exact"},
            ],
            "other_claims": [],
        },
    }
    draft = Draft(
        start=datetime(2025, 3, 16, 20, tzinfo=UTC),
        end=datetime(2025, 3, 17, 4, tzinfo=UTC),
        regions=["UA-32", "UA-63"],
        threats=["uav", "missile"],
        claims=[_claim("injured", 2, 2, "exact"), _claim("killed", 1, None, "at_least")],
    )
    tallies, errors = evaluate.score_one(report, Extraction("uk", draft))
    assert (tallies["claims"].precision, tallies["claims"].recall) == (0.5, 0.5)
    assert (tallies["places"].matched, tallies["places"].found) == (1, 2)
    assert tallies["threats"].precision == 0.5 and tallies["threats"].recall == 1.0
    assert tallies["dates"].matched == 1
    assert tallies["lang"].matched == 0
    assert errors.false["claims"] == [("killed", None, 1, None, "at_least")]
    assert errors.missed["claims"] == [("killed", None, 1, 1, "exact")]


def test_a_date_on_the_wrong_day_is_wrong() -> None:
    gold = {"date": "2025-03-16", "end_date": None, "regions": [], "threats": []}
    report = {"id": "t-2", "lang": "en", "gold": {**gold, "claims": [], "other_claims": []}}
    draft = Draft(start=datetime(2025, 3, 16, 22, 30, tzinfo=UTC))  # 00:30 in Kyiv, the 17th
    tallies, _ = evaluate.score_one(report, Extraction("en", draft))
    assert (tallies["dates"].found, tallies["dates"].gold, tallies["dates"].matched) == (1, 1, 0)


def test_a_long_text_is_read_in_parts_with_its_offsets() -> None:
    paragraph = "Вночі ворог атакував Харків ударними БпЛА, пошкоджено 3 будинки в Сумах.\n\n"
    text = paragraph * 400
    assert len(text) > 20_000
    draft = extract(text, lang="uk", published_at=PUBLISHED).draft
    assert len(draft.places) >= 800
    for place in draft.places:
        assert place.evidence.quote == text[place.evidence.start : place.evidence.end]
    assert {p.evidence.quote for p in draft.places} == {"Харків", "Сумах"}


def test_no_launched_figure_below_the_intercepted_one() -> None:
    text = "Вночі ворог запустив 5 дронів по Сумах. Сили ППО збила 12 дронів."
    claims = extract(text, lang="uk", published_at=PUBLISHED).draft.claims
    assert [(c.measure, c.weapon, c.min) for c in claims] == [("intercepted", "uav", 12)]


def test_a_report_published_days_after_its_event_stays_about_it() -> None:
    text = "On 12 March, a Russian missile hit Kharkiv, killing 3 people."
    extraction = extract(text, published_at=datetime(2025, 3, 15, 9, tzinfo=UTC))
    assert [(c.measure, c.min) for c in extraction.draft.claims] == [("killed", 3)]
    assert extraction.others == []


def test_what_happens_every_night_names_no_threat_of_the_event() -> None:
    text = (
        "Two Iskander-M missiles hit Zaporizhzhia; 3 people were injured. The city is hit by "
        "glide bombs and drones almost every day."
    )
    draft = extract(text, lang="en", published_at=PUBLISHED).draft
    assert draft.threats == ["missile"]
    assert {(c.measure, c.min) for c in draft.claims} == {("impacts", 2), ("injured", 3)}


def sentences(norm: str, toks: list[Token]) -> list[Sentence]:
    """The splitting the pipeline must give, written plainly: an end mark followed by a gap,
    unless it closes an abbreviation, or a line break; a paragraph after an empty line."""
    found: list[Sentence] = []
    paragraph = 0
    first = 0
    for i, tok in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        gap = norm[tok.end : nxt.start] if nxt else ""
        ends = nxt is None or "\n" in gap or (tok.text in ".!?…" and _ends_here(toks, i, gap))
        if ends:
            found.append(Sentence(toks[first].start, tok.end, paragraph, first, i + 1))
            first = i + 1
            if gap.count("\n") >= 2:
                paragraph += 1
    return found


def _ends_here(toks: list[Token], i: int, gap: str) -> bool:
    if not gap:
        return False
    if toks[i].text == "." and i > 0:
        before = toks[i - 1]
        if before.text in ABBREVIATIONS and before.end == toks[i].start:
            return False
    return True


@pytest.mark.parametrize(
    "text",
    [
        "Вночі ворог атакував м. Харків. Пошкоджено 3 будинки в обл. центрі!\n\nЗбито 5 БпЛА.",
        "Удар по г. Белгород… Ранены 2 человека.  Повреждено 3 дома. «Ракетная опасность!» — "
        'отбой. "Все живы." Дом 3.5 этажа',
        "St. Petersburg, 1 p.m.: Rocket Danger!! Two killed?!\nUPDATE: 3 killed _ note",
    ],
)
def test_the_pipeline_gives_the_rules_tokens_and_sentences(text: str) -> None:
    norm = normal(text)
    doc = document(text, "uk")
    assert doc.text == text
    assert doc_tokens(doc) == tokens(norm)
    assert doc_sentences(doc) == sentences(norm, tokens(norm))
    assert len(doc_sentences(doc)) > 2


@given(st.text(alphabet=st.sampled_from(list("аб Д.!?…\n»«-_1 ")), max_size=60))
@settings(max_examples=200, deadline=None)
def test_the_pipeline_splits_any_text_as_the_rules_do(text: str) -> None:
    norm = normal(text)
    doc = document(text, "ru")
    assert doc.text == text
    assert doc_sentences(doc) == sentences(norm, tokens(norm))


def test_weapon_offsets_index_the_text_inside_hyphenated_words() -> None:
    text = "Вночі FPV-дрон і дронами-камікадзе атакували; Shahed-type drones, крилаті ракети."
    found = [(m.threat, text[m.start : m.end]) for m in mentions(text, normal(text))]
    assert found == [
        ("uav", "дрон"),
        ("uav", "дронами"),
        ("uav", "камікадзе"),
        ("uav", "Shahed"),
        ("uav", "drones"),
        ("missile", "крилаті ракети"),
    ]

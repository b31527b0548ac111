from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.regions.romanize import romanize

# The examples of the KMU 2010 table, and names the task calls out.
KNOWN = [
    ("Алушта", "Alushta"),
    ("Борщагівка", "Borshchahivka"),
    ("Вишгород", "Vyshhorod"),
    ("Гадяч", "Hadiach"),
    ("Згурівка", "Zghurivka"),
    ("Ґалаґан", "Galagan"),
    ("Дон", "Don"),
    ("Рівне", "Rivne"),
    ("Єнакієве", "Yenakiieve"),
    ("Наєнко", "Naienko"),
    ("Житомир", "Zhytomyr"),
    ("Закарпаття", "Zakarpattia"),
    ("Медвин", "Medvyn"),
    ("Іршава", "Irshava"),
    ("Їжакевич", "Yizhakevych"),
    ("Кадиївка", "Kadyivka"),
    ("Йосипівка", "Yosypivka"),
    ("Стрий", "Stryi"),
    ("Олексій", "Oleksii"),
    ("Київ", "Kyiv"),
    ("Лебедин", "Lebedyn"),
    ("Миколаїв", "Mykolaiv"),
    ("Одеса", "Odesa"),
    ("Полтава", "Poltava"),
    ("Решетилівка", "Reshetylivka"),
    ("Суми", "Sumy"),
    ("Тетерів", "Teteriv"),
    ("Ужгород", "Uzhhorod"),
    ("Фастів", "Fastiv"),
    ("Харків", "Kharkiv"),
    ("Харківська", "Kharkivska"),
    ("Біла Церква", "Bila Tserkva"),
    ("Чернівці", "Chernivtsi"),
    ("Шостка", "Shostka"),
    ("Гоща", "Hoshcha"),
    ("Русь", "Rus"),
    ("Юрій", "Yurii"),
    ("Крюківка", "Kriukivka"),
    ("Яготин", "Yahotyn"),
    ("Ярошенко", "Yaroshenko"),
    ("Ічня", "Ichnia"),
    ("Розгон", "Rozghon"),
    ("Знам'янка", "Znamianka"),
    ("Куп’янський район", "Kupianskyi raion"),
    ("Уманська територіальна громада", "Umanska terytorialna hromada"),
    (
        "м. Вінниця та Вінницька територіальна громада",
        "m. Vinnytsia ta Vinnytska terytorialna hromada",
    ),
]

# Pairs in the alert datasets that are translations, not romanizations.
TRANSLATIONS = {("Київ", "Kyiv City"), ("м. Київ", "Kyiv City")}

UKRAINIAN = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"


@pytest.mark.parametrize(("ukrainian", "latin"), KNOWN)
def test_known_names(ukrainian: str, latin: str) -> None:
    assert romanize(ukrainian) == latin


@pytest.mark.parametrize(
    ("ukrainian", "latin"),
    [
        ("Ярмолинці", "Yarmolyntsi"),
        ("Нова Ялта", "Nova Yalta"),
        ("Лука-Мелешківська", "Luka-Meleshkivska"),
        ("Велика Олександрівка-Юр'ївка", "Velyka Oleksandrivka-Yurivka"),
        ("Мар'їнка", "Marinka"),
        ("Подвір'я", "Podviria"),
    ],
)
def test_word_initial_letters_after_space_and_hyphen_not_after_apostrophe(
    ukrainian: str, latin: str
) -> None:
    assert romanize(ukrainian) == latin


@pytest.mark.parametrize(
    ("ukrainian", "latin"),
    [("КИЇВ", "KYIV"), ("ЗГУРІВКА", "ZGHURIVKA"), ("Щ", "Shch"), ("ЩОРС", "SHCHORS")],
)
def test_capitals(ukrainian: str, latin: str) -> None:
    assert romanize(ukrainian) == latin


@pytest.mark.parametrize("text", ["", "Kyiv-2, №5", "12:30 (UTC)"])
def test_other_characters_pass_through(text: str) -> None:
    assert romanize(text) == text


@given(st.text(alphabet=UKRAINIAN + " -'’ʼ", max_size=40))
def test_ukrainian_text_comes_out_in_ascii_letters(text: str) -> None:
    latin = romanize(text)
    assert latin.isascii()
    assert latin.replace(" ", "").replace("-", "").isalpha() or not latin.strip(" -")


@pytest.mark.shared_data
def test_agrees_with_the_alert_datasets(shared_dir: Path) -> None:
    with (shared_dir / "alerts" / "region_names_en_uk.csv").open(encoding="utf-8") as file:
        pairs = {(row["name_uk"], row["name_en"]) for row in csv.DictReader(file)}
    differing = {(uk, en) for uk, en in pairs if romanize(uk) != en}
    assert len(pairs) > 200
    assert differing == TRANSLATIONS

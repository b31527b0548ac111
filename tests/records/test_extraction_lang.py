"""The language of a report: English, Ukrainian or Russian."""

from __future__ import annotations

import re

import pytest

from tocsin.records.extraction.lang import detect
from tocsin.records.extraction.model import Lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Overnight, 21 of the 49 drones were shot down over Kharkiv Oblast.", "en"),
        ("Rocket Danger!", "en"),
        ("Уночі ворог атакував Харківщину: збито 52 з 54 дронів.", "uk"),
        ("Ночью враг атаковал Белгород, пострадавших нет.", "ru"),
        ("Вибухи в Харкові", "uk"),
        ("Взрывы в Харькове", "ru"),
        ("Київ", "uk"),
        ("Объявлена тревога", "ru"),
        # English with a place name in Cyrillic is still English
        ("Drones struck Kharkiv (Харків) overnight, the governor said.", "en"),
    ],
)
def test_letters_and_words_tell_the_language(text: str, lang: Lang) -> None:
    assert detect(text) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Ворог атакував Одесу, пошкоджено два будинки", "uk"),
        ("Ракетна небезпека по всьому Харкову", "uk"),
        ("Враг атаковал Одессу, повреждено два дома", "ru"),
        ("Ракетная опасность по всему Харькову", "ru"),
    ],
)
def test_with_no_telling_letter_the_model_decides(text: str, lang: Lang) -> None:
    assert not re.search("[іїєґыэъё]", text)
    assert detect(text) == lang


def test_a_russian_text_quoting_a_ukrainian_name_is_russian() -> None:
    text = (
        "По словам губернатора, беспилотник упал в Белгородском районе; "
        "украинские каналы пишут «Бєлгород». Пострадавших нет, выбиты окна в трёх домах."
    )
    assert detect(text) == "ru"

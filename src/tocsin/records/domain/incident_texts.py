"""Names of everything an incident shows, in English, Ukrainian and Russian.

Region and threat names come from the region tree and the threat catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from tocsin.types import Lang, pick

_T = Mapping[str, Mapping[Lang, str]]


def _names(*rows: tuple[str, str, str, str]) -> _T:
    return {key: {"en": en, "uk": uk, "ru": ru} for key, en, uk, ru in rows}


MEASURES: Final = _names(
    ("launched", "Launched", "Запущено", "Запущено"),
    ("intercepted", "Shot down / intercepted", "Збито / перехоплено", "Сбито / перехвачено"),
    ("impacts", "Impacts", "Влучання", "Попадания"),
    ("debris_falls", "Debris falls", "Падіння уламків", "Падения обломков"),
    ("detonations_heard", "Explosions heard", "Чутно вибухів", "Слышно взрывов"),
    ("killed", "Killed", "Загиблі", "Погибшие"),
    ("injured", "Injured", "Поранені", "Раненые"),
    ("buildings_damaged", "Buildings damaged", "Пошкоджені будівлі", "Повреждённые здания"),
    (
        "windows_broken",
        "Buildings with broken windows",
        "Будівлі з вибитими вікнами",
        "Здания с выбитыми окнами",
    ),
    ("vehicles_destroyed", "Vehicles destroyed", "Знищені автомобілі", "Уничтоженные автомобили"),
    ("vehicles_damaged", "Vehicles damaged", "Пошкоджені автомобілі", "Повреждённые автомобили"),
    (
        "buildings_without_power",
        "Buildings without power",
        "Будівлі без світла",
        "Здания без электричества",
    ),
    (
        "customers_without_power",
        "Customers without power",
        "Споживачі без світла",
        "Потребители без электричества",
    ),
    ("buildings_without_water", "Buildings without water", "Будівлі без води", "Здания без воды"),
    (
        "customers_without_water",
        "Customers without water",
        "Споживачі без води",
        "Потребители без воды",
    ),
    (
        "buildings_without_heat",
        "Buildings without heating",
        "Будівлі без опалення",
        "Здания без отопления",
    ),
    (
        "customers_without_heat",
        "Customers without heating",
        "Споживачі без опалення",
        "Потребители без отопления",
    ),
    ("evacuated", "People evacuated", "Евакуйовано людей", "Эвакуировано людей"),
)

CLAIM_STATUSES: Final = _names(
    ("unverified", "Unverified", "Не перевірено", "Не проверено"),
    ("confirmed", "Confirmed", "Підтверджено", "Подтверждено"),
    ("disputed", "Disputed", "Оскаржено", "Оспаривается"),
    ("retracted", "Retracted", "Відкликано", "Отозвано"),
)

INCIDENT_STATUSES: Final = _names(
    ("open", "Open", "Відкрито", "Открыт"),
    ("closed", "Closed", "Закрито", "Закрыт"),
)

RELIABILITY: Final = _names(
    ("A", "Completely reliable", "Цілком надійне", "Полностью надёжный"),
    ("B", "Usually reliable", "Зазвичай надійне", "Обычно надёжный"),
    ("C", "Fairly reliable", "Досить надійне", "Достаточно надёжный"),
    ("D", "Not usually reliable", "Зазвичай ненадійне", "Обычно ненадёжный"),
    ("E", "Unreliable", "Ненадійне", "Ненадёжный"),
    ("F", "Reliability cannot be judged", "Надійність не оцінити", "Надёжность не оценить"),
)

SOURCE_KINDS: Final = _names(
    ("official", "Official", "Офіційне джерело", "Официальный источник"),
    ("military", "Military", "Військові", "Военные"),
    ("emergency_service", "Emergency service", "Рятувальна служба", "Экстренная служба"),
    ("utility", "Utility company", "Комунальне підприємство", "Коммунальное предприятие"),
    ("media", "Media", "ЗМІ", "СМИ"),
    ("social_media", "Social media", "Соцмережі", "Соцсети"),
    ("witness", "Witness", "Очевидець", "Очевидец"),
    ("other", "Other", "Інше", "Другое"),
)

RESPONSE_KINDS: Final = _names(
    ("crew", "Crew dispatched", "Направлено бригаду", "Направлена бригада"),
    ("evacuation", "Evacuation", "Евакуація", "Эвакуация"),
    ("shelter", "Shelter opened", "Відкрито укриття", "Открыто укрытие"),
    (
        "utility_restoration",
        "Utility restoration",
        "Відновлення комунальних послуг",
        "Восстановление коммунальных услуг",
    ),
    ("other", "Other", "Інше", "Другое"),
)

TASKS: Final = _names(
    ("assessment", "Damage assessment", "Оцінка пошкоджень", "Оценка повреждений"),
    ("repair", "Repair", "Ремонт", "Ремонт"),
    ("rescue", "Rescue", "Рятувальні роботи", "Спасательные работы"),
    ("firefighting", "Firefighting", "Гасіння пожежі", "Тушение пожара"),
    ("medical", "Medical aid", "Медична допомога", "Медицинская помощь"),
    ("demining", "Demining", "Розмінування", "Разминирование"),
    ("debris_removal", "Debris removal", "Розбирання завалів", "Разбор завалов"),
    ("other", "Other", "Інше", "Другое"),
)

UTILITIES: Final = _names(
    ("power", "Power", "Електропостачання", "Электроснабжение"),
    ("water", "Water", "Водопостачання", "Водоснабжение"),
    ("heat", "Heating", "Теплопостачання", "Теплоснабжение"),
    ("gas", "Gas", "Газопостачання", "Газоснабжение"),
    ("communications", "Communications", "Зв'язок", "Связь"),
)

RESPONSE_STATUSES: Final = _names(
    ("planned", "Planned", "Заплановано", "Запланировано"),
    ("in_progress", "In progress", "Триває", "Выполняется"),
    ("completed", "Completed", "Завершено", "Завершено"),
    ("cancelled", "Cancelled", "Скасовано", "Отменено"),
)

# one word of each range in `quantities.VAGUE`, as an officer would write it in each language
VAGUE_WORDS: Final = _names(
    ("a few", "a few", "кілька", "несколько"),
    ("a dozen", "a dozen", "десяток", "десяток"),
    ("dozens", "dozens", "десятки", "десятки"),
    ("hundreds", "hundreds", "сотні", "сотни"),
    ("thousands", "thousands", "тисячі", "тысячи"),
    ("many", "many", "багато", "много"),
)

FIGURE_STATUSES: Final = _names(
    ("confirmed", "Confirmed", "Підтверджено", "Подтверждено"),
    ("unverified", "Unverified reports", "Неперевірені повідомлення", "Непроверенные сообщения"),
)


def name_of(table: _T, key: str | StrEnum | None, lang: Lang) -> str | None:
    """The name of `key` in `lang` (English if missing; the key itself if unknown)."""
    if key is None:
        return None
    value = str(key)
    texts = table.get(value)
    return pick(texts, lang) if texts else value

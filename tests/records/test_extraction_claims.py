"""Claims read from reports: every phrasing of issue #17 in en/uk/ru, numbers, weapons."""

from __future__ import annotations

import pytest

from tocsin.records.extraction import text as T
from tocsin.records.extraction.counts import find_counts
from tocsin.records.extraction.extract import extract
from tocsin.records.extraction.model import ClaimFinding, Lang
from tocsin.records.extraction.numbers import find_numbers
from tocsin.records.extraction.weapons import mentions

Claim = tuple[str, str | None, int, int | None, str, str | None]


def claims_of(text: str, lang: Lang) -> set[Claim]:
    extraction = extract(text, lang=lang)
    for claim in extraction.draft.claims:
        assert claim.evidence.quote == text[claim.evidence.start : claim.evidence.end]
    return {_key(c) for c in extraction.draft.claims}


def _key(c: ClaimFinding) -> Claim:
    return (c.measure, c.weapon, c.min, c.max, c.kind, c.words)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # the phrasings of the issue
        (
            "en",
            "Residents heard between five and six detonations after the drone attack.",
            {("detonations_heard", None, 5, 6, "range", None)},
        ),
        (
            "en",
            "Air defence was active overnight: several missiles were intercepted.",
            {("intercepted", "missile", 2, 9, "vague", "several")},
        ),
        (
            "en",
            "After the missile strike dozens of residential buildings without electricity.",
            {("buildings_without_power", None, 20, 99, "vague", "dozens")},
        ),
        (
            "en",
            "The missile strike shattered windows in six apartment buildings and one private "
            "residence.",
            {("windows_broken", None, 7, 7, "exact", None)},
        ),
        (
            "en",
            "Drones attacked the town overnight. No injuries were immediately reported.",
            {("injured", None, 0, 0, "zero", None)},
        ),
        (
            "en",
            "Ukrainian forces fired 22 shells from Czech Vampire MLRS at Shebekino.",
            {("launched", "artillery", 22, 22, "exact", None)},
        ),
        (
            "en",
            "Air defence shot down 21 of the 49 drones.",
            {
                ("launched", "uav", 49, 49, "exact", None),
                ("intercepted", "uav", 21, 21, "exact", None),
            },
        ),
        (
            "en",
            "Air defence shot down 21 drones out of 49.",
            {
                ("launched", "uav", 49, 49, "exact", None),
                ("intercepted", "uav", 21, 21, "exact", None),
            },
        ),
        (
            "en",
            "The guided bomb strike injured at least 22 people.\n\nUPDATE: at least 28 wounded.",
            {("injured", None, 28, None, "at_least", None)},
        ),
        (
            "en",
            "A man was killed in the drone attack; one person was injured.",
            {("killed", None, 1, 1, "exact", None), ("injured", None, 1, 1, "exact", None)},
        ),
        (
            "en",
            "After the drone attack about 300 subscribers are without power.",
            {("customers_without_power", None, 270, 330, "vague", "about 300")},
        ),
        (
            "en",
            "More than 20 people were injured in the missile strike. No one was killed.",
            {("injured", None, 21, None, "at_least", None), ("killed", None, 0, 0, "zero", None)},
        ),
        (
            "en",
            "Residents reported hearing up to 10 explosions during the shelling.",
            {("detonations_heard", None, 0, 10, "at_most", None)},
        ),
        (
            "en",
            "Drones were shot down over the city; debris fell in 3 districts.",
            {("debris_falls", "uav", 3, 3, "exact", None)},
        ),
        (
            "en",
            "After the missile strike rescuers evacuated 35 residents; six cars were burnt out "
            "and 4 cars were damaged.",
            {
                ("evacuated", None, 35, 35, "exact", None),
                ("vehicles_destroyed", None, 6, 6, "exact", None),
                ("vehicles_damaged", None, 4, 4, "exact", None),
            },
        ),
        (
            "en",
            "Two missiles hit the port. The strike damaged 12 houses.",
            {
                ("impacts", "missile", 2, 2, "exact", None),
                ("buildings_damaged", None, 12, 12, "exact", None),
            },
        ),
        (
            "en",
            "The shelling left 87 buildings without heat and about 14000 customers without water.",
            {
                ("buildings_without_heat", None, 87, 87, "exact", None),
                ("customers_without_water", None, 12600, 15400, "vague", "about 14000"),
            },
        ),
        # Ukrainian
        (
            "uk",
            "Сили ППО збили 52 з 54 ударних БпЛА.",
            {
                ("launched", "uav", 54, 54, "exact", None),
                ("intercepted", "uav", 52, 52, "exact", None),
            },
        ),
        (
            "uk",
            "Вночі ворог атакував Суми дронами. Ніхто не постраждав.",
            {("injured", None, 0, 0, "zero", None)},
        ),
        (
            "uk",
            "Внаслідок ракетного удару загинули п'ятеро людей, ще двоє поранені.",
            {("killed", None, 5, 5, "exact", None), ("injured", None, 2, 2, "exact", None)},
        ),
        (
            "uk",
            "Під час атаки дронів кілька людей зазнали травм.",
            {("injured", None, 2, 9, "vague", "кілька")},
        ),
        (
            "uk",
            "Внаслідок атаки БпЛА знеструмлено близько 300 абонентів.",
            {("customers_without_power", None, 270, 330, "vague", "about 300")},
        ),
        (
            "uk",
            "Ворог скинув 8 КАБів на Юнаківку. Пошкоджено 12 багатоповерхівок.",
            {
                ("launched", "aviation", 8, 8, "exact", None),
                ("buildings_damaged", None, 12, 12, "exact", None),
            },
        ),
        (
            "uk",
            "Після ракетного удару зафіксовано 3–4 вибухи. Щонайменше 4 людини постраждали.",
            {
                ("detonations_heard", None, 3, 4, "range", None),
                ("injured", None, 4, None, "at_least", None),
            },
        ),
        (
            "uk",
            "Після атаки шахедів вибито вікна в шести будинках. Поранено 15 людей. "
            "Кількість поранених зросла до 19.",
            {
                ("windows_broken", None, 6, 6, "exact", None),
                ("injured", None, 19, 19, "exact", None),
            },
        ),
        (
            "uk",
            "Через удар ракетами без світла залишилися понад 40 тисяч абонентів, "
            "десятки будинків без тепла.",
            {
                ("customers_without_power", None, 40001, None, "at_least", None),
                ("buildings_without_heat", None, 20, 99, "vague", "десятки"),
            },
        ),
        (
            "uk",
            "Після обстрілу постраждали 6 людей, серед них дитина. Евакуйовано 23 людини, "
            "з них 6 дітей.",
            {("injured", None, 6, 6, "exact", None), ("evacuated", None, 23, 23, "exact", None)},
        ),
        # Russian
        (
            "ru",
            "Над регионом силами ПВО сбиты 9 из 11 БПЛА. Пострадавших нет.",
            {
                ("launched", "uav", 11, 11, "exact", None),
                ("intercepted", "uav", 9, 9, "exact", None),
                ("injured", None, 0, 0, "zero", None),
            },
        ),
        (
            "ru",
            "Город атаковали беспилотники. Обошлось без пострадавших.",
            {("injured", None, 0, 0, "zero", None)},
        ),
        (
            "ru",
            "После удара ракетами погиб мужчина, ещё трое ранены.",
            {("killed", None, 1, 1, "exact", None), ("injured", None, 3, 3, "exact", None)},
        ),
        (
            "ru",
            "ВСУ обстреляли Рыльск из РСЗО «Град». Всего выпущено 15 снарядов. "
            "Повреждены несколько частных домов.",
            {
                ("launched", "artillery", 15, 15, "exact", None),
                ("buildings_damaged", None, 2, 9, "vague", "несколько"),
            },
        ),
        (
            "ru",
            "После атаки дронов без света остались около 300 абонентов. "
            "Погибли не менее 2 человек, ранены пятеро.",
            {
                ("customers_without_power", None, 270, 330, "vague", "about 300"),
                ("killed", None, 2, None, "at_least", None),
                ("injured", None, 5, 5, "exact", None),
            },
        ),
        (
            "ru",
            "Враг сбросил 4 управляемые авиабомбы. Повреждены 4 частных дома и 3 автомобиля.",
            {
                ("launched", "aviation", 4, 4, "exact", None),
                ("buildings_damaged", None, 4, 4, "exact", None),
                ("vehicles_damaged", None, 3, 3, "exact", None),
            },
        ),
        (
            "ru",
            "Атака беспилотников: в трёх частных домах выбиты окна, эвакуированы 26 жителей. "
            "Жертв и пострадавших нет.",
            {
                ("windows_broken", None, 3, 3, "exact", None),
                ("evacuated", None, 26, 26, "exact", None),
                ("injured", None, 0, 0, "zero", None),
                ("killed", None, 0, 0, "zero", None),
            },
        ),
    ],
)
def test_the_phrasings_are_read_as_claims(lang: Lang, text: str, expected: set[Claim]) -> None:
    assert claims_of(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # an update mark: the figure after it wins, even when smaller
        (
            "en",
            "Overnight drones attacked Odesa region. 128,400 customers were without electricity."
            "\n\nUpdate 12:30: power has been restored to 86,000 customers. About 42,000 "
            "customers remain without power.",
            {("customers_without_power", None, 37800, 46200, "vague", "about 42000")},
        ),
        # without one, a total before its parts
        (
            "uk",
            "Росіяни обстріляли Сумщину з РСЗВ. Зафіксовано 43 вибухи. Велика Писарівка: 17 "
            "вибухів. Хотінь: 6 вибухів.",
            {("detonations_heard", None, 43, 43, "exact", None)},
        ),
        # a list with its predicate after it
        (
            "en",
            "After the shelling seven private houses and three apartment buildings were damaged.",
            {("buildings_damaged", None, 10, 10, "exact", None)},
        ),
        # one more named beside a counted list
        (
            "en",
            "The guided bomb damaged an industrial building and six private houses.",
            {("buildings_damaged", None, 7, 7, "exact", None)},
        ),
        (
            "uk",
            "Після атаки КАБами пошкоджено 5 приватних будинків і адмінбудівлю.",
            {("buildings_damaged", None, 6, 6, "exact", None)},
        ),
        (
            "uk",
            "Дрон атакував підприємство, знищено 2 трактори та вантажівку.",
            {("vehicles_destroyed", None, 3, 3, "exact", None)},
        ),
        # two persons of one phrase
        (
            "en",
            "A 54-year-old man and a 49-year-old woman were injured in the drone strike.",
            {("injured", None, 2, 2, "exact", None)},
        ),
        # drones lost to electronic warfare are not intercepted
        (
            "en",
            "Of the 49 drones launched, 21 were shot down and 26 were lost to electronic warfare.",
            {
                ("launched", "uav", 49, 49, "exact", None),
                ("intercepted", "uav", 21, 21, "exact", None),
            },
        ),
        # a figure introduced by a colon
        (
            "en",
            "In Lgov a drone hit a substation, and part of the town was left without "
            "electricity: about 3,500 subscribers.",
            {("customers_without_power", None, 3150, 3850, "vague", "about 3500")},
        ),
        # "rose from 22 to 28" is 28
        (
            "en",
            "After the drone attack the number of injured rose from 22 to 28.",
            {("injured", None, 28, 28, "exact", None)},
        ),
        # "no casualties" is both zeros, unless said of one place
        (
            "en",
            "One missile hit a facility in the Zolochiv district. There are no casualties.",
            {
                ("impacts", "missile", 1, 1, "exact", None),
                ("killed", None, 0, 0, "zero", None),
                ("injured", None, 0, 0, "zero", None),
            },
        ),
        (
            "en",
            "The enemy shelled Hremiach with mortars: between 15 and 20 mines hit the village. "
            "There were no casualties there.",
            {("impacts", "artillery", 15, 20, "range", None)},
        ),
        # parts of a count, and another group
        (
            "uk",
            "Після обстрілу евакуйовано 23 людини, з них 6 дітей. Загинули 4 людини, ще 11 "
            "поранені.",
            {
                ("evacuated", None, 23, 23, "exact", None),
                ("killed", None, 4, 4, "exact", None),
                ("injured", None, 11, 11, "exact", None),
            },
        ),
        # after an update mark, the largest figure stated there
        (
            "uk",
            "О 10:45 росіяни вдарили ракетою по Дніпру. Загинула одна людина.\n\nОНОВЛЕНО "
            "14:20. Загиблих — 2: з-під завалів дістали тіло чоловіка.",
            {("killed", None, 2, 2, "exact", None)},
        ),
        # an elided noun after a dash, and "N of them"
        (
            "ru",
            "После обстрела без отопления остаются 36 многоквартирных домов, "
            "без водоснабжения — 14.",
            {
                ("buildings_without_heat", None, 36, 36, "exact", None),
                ("buildings_without_water", None, 14, 14, "exact", None),
            },
        ),
        (
            "en",
            "After the drone attack 52 apartment blocks are without water, and 17 of them are also "
            "without heating.",
            {
                ("buildings_without_water", None, 52, 52, "exact", None),
                ("buildings_without_heat", None, 17, 17, "exact", None),
            },
        ),
        (
            "uk",
            "Вночі дрони атакували Одесу: пошкоджено 14 багатоквартирних будинків, школу та "
            "дитячий садок.",
            {("buildings_damaged", None, 16, 16, "exact", None)},
        ),
        (
            "ru",
            "Беспилотник атаковал Курчатов. Без электроснабжения остались 4 тыс. абонентов, "
            "без газа — 150 абонентов.",
            {("customers_without_power", None, 4000, 4000, "exact", None)},
        ),
    ],
)
def test_updates_lists_and_parts(lang: Lang, text: str, expected: set[Claim]) -> None:
    assert claims_of(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "uk",
            "Після ракетного удару мешканці чули від п'яти до шести вибухів.",
            {("detonations_heard", None, 5, 6, "range", None)},
        ),
        (
            "ru",
            "Во время атаки дронов слышали пять-шесть взрывов.",
            {("detonations_heard", None, 5, 6, "range", None)},
        ),
        (
            "uk",
            "Під час атаки кілька ракет збито над областю.",
            {("intercepted", "missile", 2, 9, "vague", "кілька")},
        ),
        (
            "ru",
            "При атаке несколько ракет были перехвачены над Киевом.",
            {("intercepted", "missile", 2, 9, "vague", "несколько")},
        ),
        (
            "ru",
            "После ракетного удара десятки жилых домов остались без электричества.",
            {("buildings_without_power", None, 20, 99, "vague", "десятки")},
        ),
        (
            "uk",
            "Ракетний удар: вибито вікна в шести багатоквартирних будинках та одному приватному.",
            {("windows_broken", None, 7, 7, "exact", None)},
        ),
        (
            "ru",
            "Ракетный удар: выбиты окна в шести многоквартирных домах и одном частном доме.",
            {("windows_broken", None, 7, 7, "exact", None)},
        ),
        (
            "uk",
            "Ворог випустив 22 снаряди з чеських РСЗВ Vampire по Шебекиному.",
            {("launched", "artillery", 22, 22, "exact", None)},
        ),
        (
            "ru",
            "ПВО сбила 21 из 49 беспилотников.",
            {
                ("launched", "uav", 49, 49, "exact", None),
                ("intercepted", "uav", 21, 21, "exact", None),
            },
        ),
        (
            "ru",
            "В результате удара КАБ ранены не менее 22 человек.\n\nУточнение: не менее 28 раненых.",
            {("injured", None, 28, None, "at_least", None)},
        ),
    ],
)
def test_the_phrasings_translated(lang: Lang, text: str, expected: set[Claim]) -> None:
    assert claims_of(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "A drone hit a house; one missile hit a warehouse, the other a field."),
        ("en", "Drones attacked Kharkiv; the driver was not hurt."),
        ("en", "Shortly after the drone attack, at 04:15 on 12 March 2025, the alert ended."),
        ("en", "The missile strike hit a 9-storey building on 5 Sadova Street."),
        ("uk", "Ворог атакував Харків 2024 року ракетами Х-101 та Калібр."),
        ("uk", "Обстріл тривав 20 хвилин, уламки лежать у радіусі 300 метрів."),
        ("uk", "Інформація про постраждалих після атаки дронів не надходила."),
        ("ru", "Дрон атаковал автомобиль, один из беспилотников упал в поле."),
        ("ru", "Атака длилась 3 часа, ПВО работала над городом 40 минут."),
    ],
)
def test_figures_the_text_does_not_state_are_no_claims(lang: Lang, text: str) -> None:
    assert claims_of(text, lang) == set()


@pytest.mark.parametrize(
    ("lang", "text", "measures"),
    [
        (
            "en",
            "After the drone attack there were no reports of casualties.",
            {"killed", "injured"},
        ),
        ("en", "The missile strike caused no injuries or deaths.", {"killed", "injured"}),
        ("en", "No one was killed in the shelling.", {"killed"}),
        ("uk", "Після атаки дронів поранених немає.", {"injured"}),
        ("uk", "Ракетний удар: загиблих і постраждалих немає.", {"killed", "injured"}),
        ("uk", "Внаслідок обстрілу ніхто не загинув.", {"killed"}),
        ("ru", "После обстрела раненых нет.", {"injured"}),
        ("ru", "Атака дронов: обошлось без пострадавших.", {"injured"}),
        ("ru", "После удара ракетами погибших и пострадавших нет.", {"killed", "injured"}),
        ("en", "Drones attacked Sumy. There were no casualties.", {"killed", "injured"}),
        ("uk", "Дрон атакував село. Там ніхто не постраждав.", set()),
        ("en", "Drones attacked the region; in Bryansk there were no casualties.", set()),
    ],
)
def test_explicit_zeros(lang: Lang, text: str, measures: set[str]) -> None:
    expected = {(m, None, 0, 0, "zero", None) for m in measures}
    assert claims_of(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text", "value"),
    [
        ("en", "49", 49),
        ("en", "1 200", 1200),
        ("en", "1,200", 1200),
        ("en", "twenty-one", 21),
        ("en", "one hundred and twenty", 120),
        ("uk", "п'ять", 5),
        ("uk", "п’ятьох", 5),
        ("uk", "двоє", 2),
        ("uk", "двадцять одного", 21),
        ("uk", "одна", 1),
        ("uk", "5 тисяч", 5000),
        ("ru", "пятерых", 5),
        ("ru", "троих", 3),
        ("ru", "двадцать одного", 21),
        ("ru", "трёх", 3),
    ],
)
def test_numbers_in_digits_and_words(lang: Lang, text: str, value: int) -> None:
    norm = T.normal(text)
    found = find_numbers(T.tokens(norm), norm, lang)
    assert [n.value for n in found] == [value]
    assert (found[0].start, found[0].end) == (0, len(text))


@pytest.mark.parametrize(
    "text",
    ["at 09:40", "on March 24, 2024", "Kh-101", "С-300", "a 45-year-old", "9-поверховий", "5 km"],
)
def test_digits_that_are_not_counts(text: str) -> None:
    norm = T.normal(text)
    assert find_numbers(T.tokens(norm), norm, "en") == []


@pytest.mark.parametrize(
    ("lang", "text", "kind", "low", "high", "words"),
    [
        ("en", "at least 22", "at_least", 22, None, None),
        ("en", "more than 20", "at_least", 21, None, None),
        ("en", "up to 10", "at_most", 0, 10, None),
        ("en", "fewer than 3", "at_most", 0, 2, None),
        ("en", "about 300", "vague", 270, 330, "about 300"),
        ("en", "5-6", "range", 5, 6, None),
        ("en", "two or three", "range", 2, 3, None),
        ("en", "about a dozen", "vague", 10, 14, "about a dozen"),
        ("uk", "щонайменше 22", "at_least", 22, None, None),
        ("uk", "понад 20", "at_least", 21, None, None),
        ("uk", "від 5 до 7", "range", 5, 7, None),
        ("uk", "п'ять-шість", "range", 5, 6, None),
        ("uk", "кількох", "vague", 2, 9, "кілька"),
        ("ru", "не менее 22", "at_least", 22, None, None),
        ("ru", "около 300", "vague", 270, 330, "about 300"),
        ("ru", "нескольких", "vague", 2, 9, "несколько"),
        ("ru", "десятков", "vague", 20, 99, "десятков"),
    ],
)
def test_counts_take_the_kinds_of_the_quantities_table(
    lang: Lang, text: str, kind: str, low: int, high: int | None, words: str | None
) -> None:
    norm = T.normal(text)
    (count,) = find_counts(T.tokens(norm), norm, lang)
    quantity = count.quantity
    assert (quantity.kind.value, quantity.low, quantity.high, quantity.words) == (
        kind,
        low,
        high,
        words,
    )


@pytest.mark.parametrize(
    ("text", "threats"),
    [
        ("«Rocket Danger!»", ["missile"]),
        ("«Ракетна небезпека!»", ["missile"]),
        ("«Ракетная опасность!»", ["missile"]),
        ("«UAV Danger!»", ["uav"]),
        ("Загроза БпЛА", ["uav"]),
        ("49 Shahed-136 and Geran-2", ["uav", "uav"]),
        ("ударних БПЛА, безпілотники, Шахеди, Герані", ["uav", "uav", "uav", "uav"]),
        ("Kh-101, Х-101, Kalibr, Калібр, Iskander-M, Іскандер, Kinzhal, Кинджал", ["missile"] * 8),
        ("S-300 and С-300, cruise missiles, балістичні ракети, ракета", ["missile"] * 5),
        ("KAB, КАБами, guided aerial bombs, керовані авіабомби, УАБ, ФАБ-500", ["aviation"] * 6),
        ("Grad, Uragan, Vampire, RM-70, MLRS, РСЗВ, снарядів, artillery", ["artillery"] * 8),
        ("Grad rockets", ["artillery", "artillery"]),
        ("сильний град і ураган", []),
    ],
)
def test_weapons_and_signals_map_to_threats(text: str, threats: list[str]) -> None:
    found = mentions(text, T.normal(text))
    assert [m.threat for m in found] == threats


@pytest.mark.parametrize(
    "text",
    [
        "Overnight Russia attacked Kharkiv with 10^100 drones.",
        "Overnight Russia attacked Kharkiv with 10**100 drones.",
        "Overnight Kharkiv was attacked by drones: " + "9" * 5000 + " people were injured.",
        "Overnight Russia attacked Kharkiv with 99999999999999999999 drones.",
        "After the missile attack on Kharkiv 1,500,000,000 subscribers were left without power.",
    ],
)
def test_a_figure_no_report_states_is_no_claim(text: str) -> None:
    assert extract(text, lang="en").draft.claims == []


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Overnight Russia attacked Kharkiv with 49 drones, 21 were shot down.", "en"),
        ("Ночью враг атаковал Харьков: 49 дронов, 21 сбит.", "ru"),
    ],
)
def test_n_weapons_then_m_shot_down_is_launched_and_intercepted(text: str, lang: str) -> None:
    claims = {(c.measure, c.weapon, c.min, c.max) for c in extract(text, lang=lang).draft.claims}  # type: ignore[arg-type]
    assert claims == {("launched", "uav", 49, 49), ("intercepted", "uav", 21, 21)}

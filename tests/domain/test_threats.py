import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.threats import (
    ALL_CLEAR_SIREN,
    CAP_CATEGORIES,
    CAP_CERTAINTIES,
    CAP_RESPONSE_TYPES,
    CAP_SEVERITIES,
    CAP_URGENCIES,
    EVENT_CODE_VALUE_NAME,
    EVENT_CODES,
    NEUTRAL_COLOR,
    SIREN_PATTERNS,
    Catalogue,
    IncidentMapping,
    SirenPattern,
    builtin,
)
from tocsin.errors import InvalidInput, UnknownThreat
from tocsin.types import LANGUAGES

BUILTIN_IDS = (
    "chemical",
    "radiation",
    "missile",
    "aviation",
    "air",
    "urban_fighting",
    "artillery",
    "uav",
)
TEXT_FIELDS = ("names", "signal", "instructions")
CYRILLIC = re.compile("[\u0400-\u04ff]")
RUSSIAN_ONLY = set("ыэъёЫЭЪЁ")
UKRAINIAN_ONLY = set("іїєґІЇЄҐ")
SEVERITY_ORDER = {"Extreme": 4, "Severe": 3, "Moderate": 2, "Minor": 1, "Unknown": 0}

NEW_DRONE: dict[str, Any] = {
    "rank": 45,
    "names": {"en": "Drone swarm"},
    "instructions": {"en": "Stay indoors."},
    "cap": {
        "category": "Security",
        "event_code": "TOCSIN-UAV",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Likely",
        "response_type": "Shelter",
    },
}


def new_drone(**changes: Any) -> dict[str, Any]:
    return {"drone": {**NEW_DRONE, **changes}}


def all_texts(lang: str) -> list[str]:
    out: list[str] = []
    for threat in builtin().values():
        out += [getattr(threat, f)[lang] for f in TEXT_FIELDS]
        out += list(threat.measures[lang])
    return out


def test_builtin_has_the_documented_types_most_severe_first() -> None:
    assert builtin().ids() == BUILTIN_IDS


@pytest.mark.parametrize("threat_id", BUILTIN_IDS)
@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_builtin_texts_exist_in_every_language(threat_id: str, field: str, lang: str) -> None:
    texts = getattr(builtin()[threat_id], field)
    assert texts[lang].strip()


@pytest.mark.parametrize("threat_id", BUILTIN_IDS)
def test_builtin_measures_are_translated_item_by_item(threat_id: str) -> None:
    measures = builtin()[threat_id].measures
    counts = {lang: len(measures[lang]) for lang in LANGUAGES}
    assert set(counts.values()) != {0}
    assert len(set(counts.values())) == 1, counts


@pytest.mark.parametrize("threat_id", BUILTIN_IDS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_builtin_signal_is_an_exclamation(threat_id: str, lang: str) -> None:
    assert builtin()[threat_id].signal[lang].endswith("!")


def test_english_texts_have_no_cyrillic() -> None:
    assert [t for t in all_texts("en") if CYRILLIC.search(t)] == []


@pytest.mark.parametrize(
    ("lang", "foreign"), [("uk", RUSSIAN_ONLY), ("ru", UKRAINIAN_ONLY)], ids=["uk", "ru"]
)
def test_cyrillic_texts_use_their_own_alphabet(lang: str, foreign: set[str]) -> None:
    texts = all_texts(lang)
    assert all(CYRILLIC.search(t) for t in texts)
    assert [t for t in texts if foreign & set(t)] == []


@pytest.mark.parametrize(
    ("threat_id", "signals"),
    [
        ("missile", ("Rocket Danger!", "Ракетна небезпека!", "Ракетная опасность!")),
        ("uav", ("UAV Danger!", "Загроза БпЛА!", "Угроза БПЛА!")),
        ("air", ("Air Raid Alert!", "Повітряна тривога!", "Воздушная тревога!")),
    ],
)
def test_public_signals_are_broadcast_verbatim(threat_id: str, signals: tuple[str, ...]) -> None:
    threat = builtin()[threat_id]
    assert tuple(threat.signal_in(lang) for lang in LANGUAGES) == signals


@pytest.mark.parametrize("threat_id", BUILTIN_IDS)
def test_builtin_cap_values_are_legal_cap_1_2(threat_id: str) -> None:
    cap = builtin()[threat_id].cap
    assert cap.category in CAP_CATEGORIES
    assert cap.urgency in CAP_URGENCIES
    assert cap.severity in CAP_SEVERITIES
    assert cap.certainty in CAP_CERTAINTIES
    assert cap.response_type in CAP_RESPONSE_TYPES
    assert cap.response_type != "AllClear"


def test_each_published_event_code_belongs_to_one_builtin_type() -> None:
    codes = [t.cap.event_code for t in builtin().values()]
    assert sorted(codes) == sorted(EVENT_CODES)
    assert EVENT_CODE_VALUE_NAME == "tocsin"


@pytest.mark.parametrize(
    ("threat_id", "category", "severity"),
    [
        ("missile", "Security", "Extreme"),
        ("uav", "Security", "Severe"),
        ("chemical", "CBRNE", "Extreme"),
        ("radiation", "CBRNE", "Extreme"),
    ],
)
def test_cap_category_and_severity(threat_id: str, category: str, severity: str) -> None:
    cap = builtin()[threat_id].cap
    assert (cap.category, cap.severity) == (category, severity)


def test_missile_cap_mapping() -> None:
    cap = builtin()["missile"].cap
    assert (cap.event_code, cap.urgency, cap.certainty, cap.response_type) == (
        "TOCSIN-MISSILE",
        "Immediate",
        "Likely",
        "Shelter",
    )


def test_cap_severity_never_rises_as_rank_falls() -> None:
    severities = [SEVERITY_ORDER[t.cap.severity] for t in builtin().ordered()]
    assert severities == sorted(severities, reverse=True)


def test_missile_outranks_uav() -> None:
    catalogue = builtin()
    assert catalogue["missile"].rank > catalogue["uav"].rank


def test_builtin_ranks_are_distinct() -> None:
    ranks = [t.rank for t in builtin().values()]
    assert len(set(ranks)) == len(ranks)


def test_missile_siren_is_a_continuous_tone_for_three_minutes() -> None:
    siren = builtin()["missile"].siren
    assert (siren.name, siren.seconds) == ("continuous", 180)
    assert siren.description["en"] == "continuous tone for 3 minutes"
    assert siren.description["uk"] == "безперервний сигнал протягом 3 хвилин"


def test_all_clear_siren() -> None:
    assert (ALL_CLEAR_SIREN.name, ALL_CLEAR_SIREN.seconds) == ("all_clear", 60)
    assert ALL_CLEAR_SIREN.description["ru"] == "ровный сигнал отбоя в течение 1 минуты"


@pytest.mark.parametrize("threat_id", BUILTIN_IDS)
def test_builtin_sirens_use_the_threat_vocabulary(threat_id: str) -> None:
    siren = builtin()[threat_id].siren
    assert siren.name in SIREN_PATTERNS
    assert siren.name != "all_clear"
    assert siren.seconds > 0


@pytest.mark.parametrize(
    ("name", "seconds", "lang", "description"),
    [
        ("pulsed", 60, "en", "pulsed tone for 1 minute"),
        ("pulsed", 90, "en", "pulsed tone for 90 seconds"),
        ("pulsed", 1, "en", "pulsed tone for 1 second"),
        ("wail", 60, "uk", "хвилеподібний сигнал протягом 1 хвилини"),
        ("wail", 300, "uk", "хвилеподібний сигнал протягом 5 хвилин"),
        ("wail", 21, "uk", "хвилеподібний сигнал протягом 21 секунди"),
        ("wail", 11, "ru", "волнообразный сигнал в течение 11 секунд"),
        ("continuous", 120, "ru", "непрерывный сигнал в течение 2 минут"),
        ("none", 0, "en", "no siren"),
    ],
)
def test_siren_descriptions(name: str, seconds: int, lang: str, description: str) -> None:
    assert SirenPattern.of(name, seconds).description[lang] == description


def test_missile_measures_close_public_spaces() -> None:
    measures = builtin()["missile"].measures_in("en")
    assert any("Public spaces close" in m and "schools" in m for m in measures)
    assert any("transport stops" in m for m in measures)


@pytest.mark.parametrize("threat_id", BUILTIN_IDS)
def test_builtin_colors_are_hex(threat_id: str) -> None:
    assert re.fullmatch("#[0-9a-f]{6}", builtin()[threat_id].color)


def test_builtin_colors_are_distinct() -> None:
    colors = [t.color for t in builtin().values()]
    assert len(set(colors)) == len(colors)
    assert NEUTRAL_COLOR not in colors


def test_text_lookups_fall_back_to_english() -> None:
    uav = builtin()["uav"]
    assert uav.name("pl") == uav.names["en"]
    assert uav.instruction("pl") == uav.instructions["en"]
    assert uav.measures_in("pl") == uav.measures["en"]
    assert uav.name("uk") == "Загроза БпЛА"


def test_measures_fall_back_to_english_before_any_other_language() -> None:
    data = new_drone(measures={"uk": ["Зачиніть віконниці."], "en": ["Close the shutters."]})
    drone = builtin().with_overrides(data)["drone"]
    assert drone.measures_in("pl") == ("Close the shutters.",)
    assert drone.measures_in("uk") == ("Зачиніть віконниці.",)


def test_to_json() -> None:
    body = builtin()["missile"].to_json("uk")
    assert body == {
        "id": "missile",
        "name": "Ракетна небезпека",
        "signal": "Ракетна небезпека!",
        "rank": 80,
        "instructions": builtin()["missile"].instructions["uk"],
        "measures": list(builtin()["missile"].measures["uk"]),
        "siren": {"pattern": "continuous", "seconds": 180},
        "cap": {
            "category": "Security",
            "event_code": "TOCSIN-MISSILE",
            "urgency": "Immediate",
            "severity": "Extreme",
            "certainty": "Likely",
            "response_type": "Shelter",
        },
        "color": "#c62828",
    }


def test_catalogue_is_a_mapping_of_ids() -> None:
    catalogue = builtin()
    assert len(catalogue) == len(BUILTIN_IDS)
    assert "uav" in catalogue
    assert "drone" not in catalogue
    assert list(catalogue) == list(BUILTIN_IDS)
    assert catalogue.get("uav") is catalogue["uav"]
    assert catalogue.get("drone") is None
    assert [t.id for t in catalogue.ordered()] == list(BUILTIN_IDS)


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["uav", "missile"], "missile"),
        (["missile", "uav"], "missile"),
        (["air"], "air"),
        (["uav", "air"], "air"),
        (["uav", "artillery", "uav"], "artillery"),
        (["missile", "chemical", "radiation"], "chemical"),
        (iter(["aviation", "urban_fighting"]), "aviation"),
    ],
)
def test_most_severe(ids: Any, expected: str) -> None:
    assert builtin().most_severe(ids).id == expected


def test_most_severe_of_nothing() -> None:
    with pytest.raises(ValueError, match="at least one"):
        builtin().most_severe([])


def test_most_severe_breaks_ties_by_id() -> None:
    catalogue = builtin().with_overrides({"uav": {"rank": 80}})
    assert catalogue.most_severe(["uav", "missile"]).id == "missile"
    assert catalogue.ids()[:3] == ("chemical", "radiation", "missile")


def test_most_severe_rejects_unknown_ids() -> None:
    with pytest.raises(UnknownThreat):
        builtin().most_severe(["uav", "meteor"])


@pytest.mark.parametrize(
    ("kwargs", "field"), [({}, "threat"), ({"field": "filter.threat"}, "filter.threat")]
)
def test_require_unknown_threat(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(UnknownThreat) as caught:
        builtin().require("meteor", **kwargs)
    error = caught.value
    assert (error.code, error.field) == ("unknown_threat", field)
    assert "'meteor'" in error.message
    assert (
        "air, artillery, aviation, chemical, missile, radiation, uav, urban_fighting"
        in error.message
    )


def test_require_known_threat() -> None:
    assert builtin().require("uav").id == "uav"


def test_override_merges_field_by_field() -> None:
    before = builtin()["uav"]
    after = builtin().with_overrides({"uav": {"rank": 85}})["uav"]
    assert after.rank == 85
    assert (after.names, after.instructions, after.siren, after.cap, after.color) == (
        before.names,
        before.instructions,
        before.siren,
        before.cap,
        before.color,
    )


def test_override_reorders_the_catalogue() -> None:
    catalogue = builtin().with_overrides({"uav": {"rank": 85}})
    assert catalogue.most_severe(["uav", "missile"]).id == "uav"
    assert catalogue.ids().index("uav") < catalogue.ids().index("missile")


def test_override_leaves_the_original_catalogue_alone() -> None:
    original = builtin()
    original.with_overrides({"uav": {"rank": 85, "names": {"en": "Drone"}}})
    assert original["uav"].rank == 40
    assert original["uav"].names["en"] == "Drone threat"


def test_override_merges_language_by_language() -> None:
    before = builtin()["uav"]
    text = "Перейдіть у коридор або укриття."
    after = builtin().with_overrides({"uav": {"instructions": {"uk": text}}})["uav"]
    assert after.instruction("uk") == text
    assert after.instruction("en") == before.instruction("en")
    assert after.instruction("ru") == before.instruction("ru")


def test_override_adds_a_language() -> None:
    after = builtin().with_overrides({"uav": {"names": {"pl": "Zagrożenie dronami"}}})["uav"]
    assert after.name("pl") == "Zagrożenie dronami"
    assert after.name("uk") == "Загроза БпЛА"


def test_override_replaces_one_languages_measures() -> None:
    after = builtin().with_overrides({"missile": {"measures": {"en": ["Schools close."]}}})
    assert after["missile"].measures_in("en") == ("Schools close.",)
    assert after["missile"].measures_in("uk") == builtin()["missile"].measures_in("uk")


def test_override_one_cap_field() -> None:
    cap = builtin().with_overrides({"uav": {"cap": {"certainty": "Observed"}}})["uav"].cap
    assert cap.certainty == "Observed"
    assert cap.event_code == "TOCSIN-UAV"


@pytest.mark.parametrize(
    ("siren", "expected"),
    [
        ({"seconds": 60}, ("continuous", 60)),
        ({"pattern": "wail"}, ("wail", 180)),
        ({"pattern": "pulsed"}, ("pulsed", 120)),
        ({"pattern": "pulsed", "seconds": 30}, ("pulsed", 30)),
        ({"pattern": "none"}, ("none", 0)),
        ({"pattern": "none", "seconds": 0}, ("none", 0)),
        ({}, ("continuous", 180)),
    ],
)
def test_override_siren(siren: dict[str, Any], expected: tuple[str, int]) -> None:
    after = builtin().with_overrides({"missile": {"siren": siren}})["missile"].siren
    assert (after.name, after.seconds) == expected
    assert after == SirenPattern.of(*expected)


def test_siren_seconds_survive_a_pattern_restated() -> None:
    shorter = builtin().with_overrides({"missile": {"siren": {"seconds": 60}}})
    after = shorter.with_overrides({"missile": {"siren": {"pattern": "continuous"}}})
    assert after["missile"].siren.seconds == 60


def test_override_color_is_normalised() -> None:
    after = builtin().with_overrides({"uav": {"color": "#FFAA00"}})
    assert after["uav"].color == "#ffaa00"


def test_text_is_trimmed() -> None:
    after = builtin().with_overrides({"uav": {"names": {"en": "  Drones  "}}})
    assert after["uav"].name("en") == "Drones"


def test_empty_overrides_change_nothing() -> None:
    assert builtin().with_overrides({}) == builtin()
    assert builtin().with_overrides({"uav": {}}) == builtin()


def test_new_type_with_the_minimum() -> None:
    catalogue = builtin().with_overrides(new_drone())
    drone = catalogue.require("drone")
    assert (drone.rank, drone.name("en"), drone.instruction("en")) == (
        45,
        "Drone swarm",
        "Stay indoors.",
    )
    assert drone.name("uk") == "Drone swarm"
    assert drone.signal_in("uk") == "Drone swarm"
    assert drone.measures_in("en") == ()
    assert (drone.siren.name, drone.siren.seconds) == ("none", 0)
    assert drone.color == NEUTRAL_COLOR
    assert drone.cap.event_code == "TOCSIN-UAV"
    assert catalogue.ids().index("drone") == catalogue.ids().index("uav") - 1


def test_new_type_with_everything() -> None:
    data = new_drone(
        signal={"en": "Drone Swarm!", "uk": "Рій дронів!"},
        measures={"en": ["Close the shutters."]},
        siren={"pattern": "pulsed", "seconds": 90},
        color="#123abc",
    )
    drone = builtin().with_overrides(data)["drone"]
    assert drone.to_json("uk") == {
        "id": "drone",
        "name": "Drone swarm",
        "signal": "Рій дронів!",
        "rank": 45,
        "instructions": "Stay indoors.",
        "measures": ["Close the shutters."],
        "siren": {"pattern": "pulsed", "seconds": 90},
        "cap": NEW_DRONE["cap"],
        "color": "#123abc",
    }


def test_overrides_apply_to_an_empty_catalogue() -> None:
    catalogue = Catalogue().with_overrides(new_drone())
    assert catalogue.ids() == ("drone",)


@pytest.mark.parametrize(
    ("event", "found"),
    [
        ("Загроза БПЛА", {"uav"}),
        ("Ракетна небезпека", {"missile"}),
        ("Missile and drone attack", {"missile", "uav"}),
        ("AIR RAID warning", {"air"}),
        ("Guava harvest", set()),  # 'uav' only at the start of a word
    ],
)
def test_keywords_name_the_builtin_types(event: str, found: set[str]) -> None:
    assert builtin().named_in(event) == found


@pytest.mark.parametrize(
    ("word", "threat"),
    [("drone", "uav"), ("Shaheds", "uav"), ("cruise missile", "missile"), ("KAB", "aviation")],
)
def test_aliases_are_common_words_for_the_builtin_types(word: str, threat: str) -> None:
    found = builtin().by_alias(word)
    assert found is not None and found.id == threat


def test_no_alias_for_an_unknown_word() -> None:
    assert builtin().by_alias("tank") is None


def test_a_new_type_brings_its_own_keywords_and_aliases() -> None:
    data = new_drone(keywords=["Drone Swarm", "рій"], aliases=["Swarm", "drone-swarm"])
    catalogue = builtin().with_overrides(data)
    drone = catalogue["drone"]
    assert drone.keywords == ("drone swarm", "рій")
    assert drone.aliases == ("swarm", "drone_swarm")
    assert catalogue.named_in("Рій дронів над містом") == {"drone", "uav"}
    assert catalogue.by_alias("Drone Swarm") == drone
    assert "keywords" not in drone.to_json("en")  # not part of the public listing


def test_an_override_changes_one_field_of_the_incident_mapping() -> None:
    catalogue = builtin().with_overrides({"uav": {"incident": {"sub_event_type": "Drone strike"}}})
    assert catalogue["uav"].incident == IncidentMapping(
        "Explosions/Remote violence", "Drone strike"
    )
    assert builtin()["uav"].incident.sub_event_type == "Air/drone strike"


def test_a_new_type_is_exported_as_a_missile_unless_it_says_otherwise() -> None:
    drone = builtin().with_overrides(new_drone())["drone"]
    assert drone.incident == builtin()["missile"].incident


def test_an_override_replaces_the_keywords() -> None:
    catalogue = builtin().with_overrides({"uav": {"keywords": ["geran"]}})
    assert catalogue["uav"].keywords == ("geran",)
    assert catalogue.named_in("Drone attack") == set()
    assert catalogue.named_in("Geran-2 launches") == {"uav"}


BAD_OVERRIDES = [
    ("not a table", "threats", "table"),
    ({"Drone": NEW_DRONE}, "threats.Drone", "[a-z][a-z0-9_]{0,31}"),
    ({"1drone": NEW_DRONE}, "threats.1drone", "lowercase letter"),
    ({"d" * 33: NEW_DRONE}, "threats." + "d" * 33, "up to 31"),
    ({"uav": "fast"}, "threats.uav", "table"),
    ({"uav": {"speed": 1}}, "threats.uav.speed", "rank, names, signal"),
    ({"uav": {"rank": "high"}}, "threats.uav.rank", "0 to 100"),
    ({"uav": {"rank": True}}, "threats.uav.rank", "whole number"),
    ({"uav": {"rank": 101}}, "threats.uav.rank", "0 to 100"),
    ({"uav": {"rank": -1}}, "threats.uav.rank", "0 to 100"),
    ({"uav": {"rank": 4.5}}, "threats.uav.rank", "whole number"),
    ({"uav": {"names": "UAV"}}, "threats.uav.names", "table"),
    ({"uav": {"names": {"english": "UAV"}}}, "threats.uav.names.english", "en, uk or ru"),
    ({"uav": {"names": {"EN": "UAV"}}}, "threats.uav.names.EN", "lowercase"),
    ({"uav": {"names": {"en": ""}}}, "threats.uav.names.en", "non-empty"),
    ({"uav": {"signal": {"uk": "   "}}}, "threats.uav.signal.uk", "non-empty"),
    ({"uav": {"instructions": {"en": 3}}}, "threats.uav.instructions.en", "text"),
    ({"uav": {"measures": {"en": "Close."}}}, "threats.uav.measures.en", "list"),
    ({"uav": {"measures": {"en": ["Close.", 3]}}}, "threats.uav.measures.en[1]", "text"),
    ({"uav": {"measures": {"xx-1": ["Close."]}}}, "threats.uav.measures.xx-1", "ISO 639"),
    ({"uav": {"siren": "wail"}}, "threats.uav.siren", "table"),
    ({"uav": {"siren": {"volume": 11}}}, "threats.uav.siren.volume", "pattern, seconds"),
    ({"uav": {"siren": {"pattern": "howl"}}}, "threats.uav.siren.pattern", "continuous, wail"),
    ({"uav": {"siren": {"pattern": "all_clear"}}}, "threats.uav.siren.pattern", "reserved"),
    ({"uav": {"siren": {"seconds": 0}}}, "threats.uav.siren.seconds", "1 to 600"),
    ({"uav": {"siren": {"seconds": 601}}}, "threats.uav.siren.seconds", "1 to 600"),
    ({"uav": {"siren": {"seconds": "90"}}}, "threats.uav.siren.seconds", "whole number"),
    ({"uav": {"siren": {"pattern": "none", "seconds": 60}}}, "threats.uav.siren.seconds", "0"),
    ({"uav": {"incident": "Battles"}}, "threats.uav.incident", "table"),
    ({"uav": {"incident": {"type": "Battles"}}}, "threats.uav.incident.type", "event_type"),
    ({"uav": {"incident": {"event_type": ""}}}, "threats.uav.incident.event_type", "non-empty"),
    ({"uav": {"keywords": "drone"}}, "threats.uav.keywords", "list"),
    ({"uav": {"keywords": ["drone", " "]}}, "threats.uav.keywords[1]", "non-empty"),
    ({"uav": {"aliases": ["drone", 3]}}, "threats.uav.aliases[1]", "text"),
    ({"uav": {"cap": ["Security"]}}, "threats.uav.cap", "table"),
    ({"uav": {"cap": {"msgType": "Alert"}}}, "threats.uav.cap.msgType", "category, event_code"),
    ({"uav": {"cap": {"category": "Military"}}}, "threats.uav.cap.category", "CBRNE"),
    ({"uav": {"cap": {"urgency": "Now"}}}, "threats.uav.cap.urgency", "Immediate, Expected"),
    ({"uav": {"cap": {"severity": "extreme"}}}, "threats.uav.cap.severity", "Extreme, Severe"),
    ({"uav": {"cap": {"certainty": "Sure"}}}, "threats.uav.cap.certainty", "Observed, Likely"),
    ({"uav": {"cap": {"response_type": "Hide"}}}, "threats.uav.cap.response_type", "Shelter"),
    ({"uav": {"cap": {"response_type": "AllClear"}}}, "threats.uav.cap.response_type", "all-clear"),
    ({"uav": {"cap": {"event_code": "tocsin-uav"}}}, "threats.uav.cap.event_code", "TOCSIN-UAV"),
    ({"uav": {"cap": {"event_code": "UAV--X"}}}, "threats.uav.cap.event_code", "hyphens"),
    ({"uav": {"cap": {"event_code": "X" * 65}}}, "threats.uav.cap.event_code", "hyphens"),
    ({"uav": {"color": "orange"}}, "threats.uav.color", "hex"),
    ({"uav": {"color": "#12345g"}}, "threats.uav.color", "hex"),
    ({"uav": {"color": "#fff"}}, "threats.uav.color", "hex"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD_OVERRIDES)
def test_override_errors(data: Any, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        builtin().with_overrides(data)
    assert (caught.value.code, caught.value.field) == ("invalid_input", field)
    assert message in caught.value.message


def without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    if len(path) == 1:
        return {k: v for k, v in data.items() if k != path[0]}
    return {**data, path[0]: without(data[path[0]], *path[1:])}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("rank",), "needs rank, names, instructions, cap"),
        (("names",), "needs rank, names, instructions, cap"),
        (("instructions",), "needs rank, names, instructions, cap"),
        (("cap",), "needs rank, names, instructions, cap"),
        (("names", "en"), "names in English"),
        (("instructions", "en"), "instructions in English"),
        (("cap", "category"), "every CAP field"),
        (("cap", "event_code"), "every CAP field"),
        (("cap", "severity"), "every CAP field"),
        (("cap", "response_type"), "every CAP field"),
    ],
)
def test_new_type_needs_the_minimum(path: tuple[str, ...], message: str) -> None:
    data = {"drone": without(NEW_DRONE, *path)}
    with pytest.raises(InvalidInput) as caught:
        builtin().with_overrides(data)
    assert caught.value.field == "threats.drone." + ".".join(path)
    assert message in caught.value.message


def test_new_type_in_another_language_only_still_needs_english() -> None:
    data = new_drone(names={"uk": "Рій дронів"})
    with pytest.raises(InvalidInput) as caught:
        builtin().with_overrides(data)
    assert caught.value.field == "threats.drone.names.en"


@given(st.from_regex(r"[a-z][a-z0-9_]{0,31}", fullmatch=True))
def test_any_well_formed_id_can_name_a_new_type(threat_id: str) -> None:
    threat = builtin().with_overrides({threat_id: NEW_DRONE}).require(threat_id)
    assert (threat.id, threat.rank, threat.name("en")) == (threat_id, 45, "Drone swarm")


@given(st.text(max_size=40).filter(lambda s: not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", s)))
def test_malformed_ids_are_refused(threat_id: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        builtin().with_overrides({threat_id: NEW_DRONE})
    assert caught.value.field == f"threats.{threat_id}"


@given(st.dictionaries(st.sampled_from(BUILTIN_IDS), st.integers(0, 100)))
def test_ranks_always_order_the_catalogue(ranks: dict[str, int]) -> None:
    catalogue = builtin().with_overrides({i: {"rank": r} for i, r in ranks.items()})
    ordered = [t.rank for t in catalogue.ordered()]
    assert ordered == sorted(ordered, reverse=True)
    for threat_id, rank in ranks.items():
        assert catalogue[threat_id].rank == rank


@given(
    st.dictionaries(st.sampled_from(BUILTIN_IDS), st.integers(0, 100)),
    st.lists(st.sampled_from(BUILTIN_IDS), min_size=1),
)
def test_most_severe_has_the_highest_rank(ranks: dict[str, int], ids: list[str]) -> None:
    catalogue = builtin().with_overrides({i: {"rank": r} for i, r in ranks.items()})
    chosen = catalogue.most_severe(ids)
    assert chosen.id in ids
    assert chosen.rank == max(catalogue[i].rank for i in ids)


@given(
    st.sampled_from(BUILTIN_IDS),
    st.sampled_from(LANGUAGES),
    st.text(min_size=1).filter(str.strip),
)
def test_one_language_override_touches_only_that_language(
    threat_id: str, lang: str, text: str
) -> None:
    before = builtin()[threat_id]
    after = builtin().with_overrides({threat_id: {"instructions": {lang: text}}})[threat_id]
    assert after.instruction(lang) == text.strip()
    for other in LANGUAGES:
        if other != lang:
            assert after.instruction(other) == before.instruction(other)


@given(
    st.sampled_from([p for p in SIREN_PATTERNS if p not in ("all_clear", "none")]),
    st.integers(1, 600),
)
def test_any_legal_siren_is_accepted(pattern: str, seconds: int) -> None:
    data = {"uav": {"siren": {"pattern": pattern, "seconds": seconds}}}
    siren = builtin().with_overrides(data)["uav"].siren
    assert (siren.name, siren.seconds) == (pattern, seconds)
    assert str(seconds if seconds % 60 else seconds // 60) in siren.description["en"]

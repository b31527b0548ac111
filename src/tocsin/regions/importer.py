"""Import regions from GeoJSON: the shipped packs and custom files.

The format, the one the packs use, is a GeoJSON FeatureCollection whose features carry in
`properties`: `code`, `parent`, `level`, `names` (language → name), `external_id` and
`time_to_shelter` (seconds), with a Polygon, MultiPolygon or null `geometry`.

Plain GeoJSON from elsewhere works too. The code falls back to the `iso_3166_2` or `code`
property or the feature's `id`; names come from `name` (taken as English), `label_<lang>` and
`name_<lang>`. A hierarchy file (CSV with header `code,parent,level[,name_en,name_uk,name_ru,
time_to_shelter]`, or a JSON list of objects with those keys) supplies parents, levels, names and
times to shelter by code, and may add regions without a shape; its values win over the feature's.

Every problem is a `RegionImportError` whose `field` points at it (`features[3].geometry`,
`hierarchy[2].parent`). Regions come back parents before children, otherwise in file order.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any, TypeAlias

import orjson
import shapely
import shapely.errors
import shapely.geometry
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from tocsin.domain.regions import Region
from tocsin.errors import RegionImportError
from tocsin.types import LANGUAGES, Lang, RegionCode

StrPath: TypeAlias = str | PathLike[str]

_CODE_FALLBACKS = ("iso_3166_2", "code")
_NAME_KEYS = (
    ("name", "en"),
    *((f"label_{lang}", lang) for lang in LANGUAGES),
    *((f"name_{lang}", lang) for lang in LANGUAGES),
)
_SHAPES = ("Polygon", "MultiPolygon")
_HIERARCHY_KEYS = ("code", "parent", "level", *(f"name_{lang}" for lang in LANGUAGES))
_HIERARCHY_COLUMNS = (*_HIERARCHY_KEYS, "time_to_shelter")
_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True, slots=True)
class RegionRow:
    """One region as read (a feature or a hierarchy row), before the set is checked whole."""

    code: RegionCode
    where: str
    props: str
    code_field: str
    parent: RegionCode | None = None
    level: str | None = None
    names: Mapping[Lang, str] = field(default_factory=dict)
    geometry: BaseGeometry | None = None
    time_to_shelter: int | None = None
    external_id: str | None = None
    katottg: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.where} ({self.code})"

    def field_for(self, name: str) -> str:
        return f"{self.props}.{name}"


Hierarchy: TypeAlias = Sequence[RegionRow]


def read_geojson_file(
    path: StrPath,
    hierarchy_path: StrPath | None = None,
    *,
    pack: str | None = None,
    code_property: str = "code",
    known: Iterable[Region] = (),
) -> list[Region]:
    hierarchy = None if hierarchy_path is None else read_hierarchy_file(hierarchy_path)
    data = _read(path, "path")
    return parse_geojson(
        data, pack=pack, hierarchy=hierarchy, code_property=code_property, known=known
    )


def parse_geojson(
    data: bytes | str | dict[str, Any],
    *,
    pack: str | None = None,
    hierarchy: Hierarchy | None = None,
    code_property: str = "code",
    known: Iterable[Region] = (),
) -> list[Region]:
    features = _features(data)
    rows = [_feature_row(feature, i, code_property) for i, feature in enumerate(features)]
    return _assemble(rows, hierarchy or (), pack=pack, known=known)


def read_hierarchy_file(path: StrPath) -> list[RegionRow]:
    return parse_hierarchy(_read(path, "hierarchy_path"))


def parse_hierarchy(data: bytes | str) -> list[RegionRow]:
    """Rows of a hierarchy file, CSV or a JSON list (told apart by the first character)."""
    text = _decoded(data) if isinstance(data, bytes) else data
    records = _json_records(text) if text.lstrip().startswith("[") else _csv_records(text)
    return [_hierarchy_row(record, i) for i, record in enumerate(records)]


def _assemble(
    features: Sequence[RegionRow],
    hierarchy: Hierarchy,
    *,
    pack: str | None,
    known: Iterable[Region] = (),
) -> list[Region]:
    """Check the rows as a set, lay the hierarchy over the features, order parents first."""
    _check_unique(features)
    _check_unique(hierarchy)
    codes = {row.code for row in (*features, *hierarchy)} | {region.code for region in known}
    for row in (*features, *hierarchy):
        _check_parent(row, codes)
    merged = _merge(features, hierarchy)
    return [_region(row, pack) for row in _parents_first(merged)]


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegionImportError(f"hierarchy is not UTF-8 text: {exc}", field="hierarchy") from None


def _read(path: StrPath, field: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise RegionImportError(f"cannot read {str(path)!r}: {exc.strerror}", field=field) from None


def _features(data: bytes | str | dict[str, Any]) -> list[Any]:
    if isinstance(data, bytes | str):
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise RegionImportError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise RegionImportError(f"expected a GeoJSON FeatureCollection, got {kind!r}", field="type")
    features = data.get("features")
    if not isinstance(features, list):
        raise RegionImportError("a FeatureCollection needs a 'features' list", field="features")
    return features


def _feature_row(feature: Any, index: int, code_property: str) -> RegionRow:
    where = f"features[{index}]"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise RegionImportError(f"{where} is not a GeoJSON Feature", field=where)
    props = feature.get("properties")
    props = {} if props is None else props
    if not isinstance(props, dict):
        raise RegionImportError(
            f"{where}: properties must be an object", field=f"{where}.properties"
        )
    code, code_field = _feature_code(feature, props, where, code_property)
    label, at = f"{where} ({code})", f"{where}.properties"
    return RegionRow(
        code=code,
        where=where,
        props=at,
        code_field=code_field,
        parent=_text(props.get("parent"), label, f"{at}.parent"),
        level=_text(props.get("level"), label, f"{at}.level"),
        names=_feature_names(props, label, f"{at}.names"),
        geometry=_geometry(feature.get("geometry"), label, f"{where}.geometry"),
        time_to_shelter=_seconds(props.get("time_to_shelter"), label, f"{at}.time_to_shelter"),
        external_id=_text(props.get("external_id"), label, f"{at}.external_id"),
        katottg=_text(props.get("katottg"), label, f"{at}.katottg"),
        aliases=_aliases(props.get("aliases"), label, f"{at}.aliases"),
    )


def _feature_code(
    feature: dict[str, Any], props: dict[str, Any], where: str, code_property: str
) -> tuple[RegionCode, str]:
    keys = dict.fromkeys((code_property, *_CODE_FALLBACKS))
    candidates = [(props.get(key), f"{where}.properties.{key}") for key in keys]
    for value, at in [*candidates, (feature.get("id"), f"{where}.id")]:
        if isinstance(value, str) and value.strip():
            return value.strip(), at
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value), at
    looked = ", ".join(f"'{key}'" for key in keys)
    raise RegionImportError(
        f"{where} has no code (looked in properties {looked} and the feature's 'id')",
        field=f"{where}.properties.{code_property}",
    )


def _feature_names(props: dict[str, Any], label: str, at: str) -> dict[Lang, str]:
    names = {lang: props[key] for key, lang in _NAME_KEYS if _is_text(props.get(key))}
    given = props.get("names")
    if given is None:
        return names
    if not isinstance(given, dict) or not all(_is_text(name) for name in given.values()):
        raise RegionImportError(f"{label}: names must map languages to names", field=at)
    return {**names, **given}


def _geometry(value: Any, label: str, at: str) -> BaseGeometry | None:
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else type(value).__name__
    if kind not in _SHAPES:
        raise RegionImportError(
            f"{label}: geometry type {kind!r} is not Polygon or MultiPolygon", field=at
        )
    geometry = _shape(value, label, at)
    _check_coordinates(geometry, label, f"{at}.coordinates")
    if not shapely.is_valid(geometry):
        reason = explain_validity(geometry)
        raise RegionImportError(f"{label}: invalid geometry: {reason}", field=at)
    return geometry


def _shape(value: dict[str, Any], label: str, at: str) -> BaseGeometry:
    try:
        geometry: BaseGeometry = shapely.geometry.shape(value)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise RegionImportError(
            f"{label}: malformed {value['type']} coordinates: {exc}", field=f"{at}.coordinates"
        ) from None
    if geometry.is_empty:
        raise RegionImportError(
            f"{label}: empty geometry (use null for a region without a shape)", field=at
        )
    return geometry


def _check_coordinates(geometry: BaseGeometry, label: str, at: str) -> None:
    lon_min, lat_min, lon_max, lat_max = geometry.bounds
    if -180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90:
        return
    raise RegionImportError(
        f"{label}: coordinates out of range (need [lon, lat] within -180..180, -90..90); "
        f"bounds are lon {lon_min}..{lon_max}, lat {lat_min}..{lat_max}",
        field=at,
    )


def _seconds(value: Any, label: str, at: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RegionImportError(
            f"{label}: time_to_shelter must be a whole number of seconds ≥ 0, got {value!r}",
            field=at,
        )
    return value


def _text(value: Any, label: str, at: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        name = at.rsplit(".", 1)[-1]
        raise RegionImportError(f"{label}: {name} must be a string, got {value!r}", field=at)
    return value


def _aliases(value: Any, label: str, at: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(_is_text(item) for item in value):
        raise RegionImportError(f"{label}: aliases must be a list of names", field=at)
    return tuple(value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _json_records(text: str) -> list[dict[str, Any]]:
    try:
        records = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RegionImportError(f"hierarchy is not JSON: {exc}", field="hierarchy") from None
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise RegionImportError(f"hierarchy[{i}] is not an object", field=f"hierarchy[{i}]")
        _check_keys(record, f"hierarchy[{i}]")
    return list(records)


def _csv_records(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in ("code", "parent", "level") if name not in header]
    if missing:
        raise RegionImportError(
            f"hierarchy CSV header must have code,parent,level; missing {', '.join(missing)}",
            field="hierarchy",
        )
    _check_keys(dict.fromkeys(header), "hierarchy")
    reader.fieldnames = header
    return [_csv_record(cells, i) for i, cells in enumerate(reader)]


def _csv_record(cells: dict[str | None, Any], index: int) -> dict[str, Any]:
    if None in cells:
        raise RegionImportError(
            f"hierarchy[{index}] has more cells than the header", field=f"hierarchy[{index}]"
        )
    record = {key: (value or "").strip() for key, value in cells.items() if key is not None}
    seconds = record.get("time_to_shelter", "")
    record["time_to_shelter"] = int(seconds) if _INTEGER.fullmatch(seconds) else seconds or None
    return record


def _check_keys(record: Mapping[str, Any], at: str) -> None:
    unknown = [key for key in record if key not in _HIERARCHY_COLUMNS]
    if unknown:
        raise RegionImportError(
            f"{at}: unknown key {unknown[0]!r}; known keys: {', '.join(_HIERARCHY_COLUMNS)}",
            field=at,
        )


def _hierarchy_row(record: Mapping[str, Any], index: int) -> RegionRow:
    where = f"hierarchy[{index}]"
    code = record.get("code")
    if not _is_text(code):
        raise RegionImportError(f"{where} has no code", field=f"{where}.code")
    label = f"{where} ({code})"
    texts = {key: _text(record.get(key), label, f"{where}.{key}") for key in _HIERARCHY_KEYS}
    return RegionRow(
        code=str(code),
        where=where,
        props=where,
        code_field=f"{where}.code",
        parent=texts["parent"],
        level=texts["level"],
        names={lang: name for lang in LANGUAGES if (name := texts[f"name_{lang}"])},
        time_to_shelter=_seconds(record.get("time_to_shelter"), label, f"{where}.time_to_shelter"),
    )


def _check_unique(rows: Iterable[RegionRow]) -> None:
    first: dict[RegionCode, RegionRow] = {}
    for row in rows:
        if row.code in first:
            raise RegionImportError(
                f"{row.label}: duplicate code, {first[row.code].where} has it too",
                field=row.code_field,
            )
        first[row.code] = row


def _check_parent(row: RegionRow, codes: set[RegionCode]) -> None:
    if row.parent is None:
        return
    if row.parent == row.code:
        raise RegionImportError(
            f"{row.label}: a region cannot be its own parent", field=row.field_for("parent")
        )
    if row.parent not in codes:
        raise RegionImportError(
            f"{row.label}: parent {row.parent!r} is not in the file, the hierarchy "
            "or the regions already loaded",
            field=row.field_for("parent"),
        )


def _merge(features: Sequence[RegionRow], hierarchy: Hierarchy) -> list[RegionRow]:
    overlays = {row.code: row for row in hierarchy}
    merged = [_overlaid(row, overlays.pop(row.code, None)) for row in features]
    return merged + list(overlays.values())


def _overlaid(row: RegionRow, overlay: RegionRow | None) -> RegionRow:
    if overlay is None:
        return row
    seconds = overlay.time_to_shelter
    return replace(
        row,
        parent=overlay.parent or row.parent,
        level=overlay.level or row.level,
        names={**row.names, **overlay.names},
        time_to_shelter=row.time_to_shelter if seconds is None else seconds,
    )


def _parents_first(rows: Sequence[RegionRow]) -> list[RegionRow]:
    by_code = {row.code: row for row in rows}
    done: set[RegionCode] = set()
    ordered: list[RegionRow] = []
    for row in rows:
        pending = _pending_line(row, by_code, done)
        ordered.extend(reversed(pending))
        done.update(row.code for row in pending)
    return ordered


def _pending_line(
    row: RegionRow, by_code: Mapping[RegionCode, RegionRow], done: set[RegionCode]
) -> list[RegionRow]:
    """The row and its ancestors in this import not yet placed, nearest first."""
    line: list[RegionRow] = []
    codes: list[RegionCode] = []
    current: RegionRow | None = row
    while current is not None and current.code not in done:
        if current.code in codes:
            cycle = " → ".join([*codes[codes.index(current.code) :], current.code])
            raise RegionImportError(
                f"{current.label}: parents form a cycle: {cycle}", field=current.field_for("parent")
            )
        line.append(current)
        codes.append(current.code)
        current = by_code.get(current.parent) if current.parent is not None else None
    return line


def _region(row: RegionRow, pack: str | None) -> Region:
    if row.level is None or not row.level.strip():
        raise RegionImportError(
            f"{row.label}: no level; give it a 'level' or set it in the hierarchy file",
            field=row.field_for("level"),
        )
    return Region(
        code=row.code,
        level=row.level,
        names=dict(row.names),
        parent=row.parent,
        geometry=row.geometry,
        time_to_shelter=row.time_to_shelter,
        external_id=row.external_id,
        pack=pack,
        katottg=row.katottg,
        aliases=row.aliases,
    )

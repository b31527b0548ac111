"""The region packs shipped with tocsin, in the import format (see `tocsin.regions.importer`).

`ua` holds Ukraine, its 27 first-level units, raions and hromadas; `ru-border` the Russian
oblasts along the border. Sources and licences are in `data/NOTICE.md`; the files are built by
`scripts/build_packs.py`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from shapely.geometry.base import BaseGeometry

from tocsin.domain.regions import Region
from tocsin.errors import RegionImportError
from tocsin.regions.importer import parse_geojson

_SUFFIX = ".geojson"


@cache
def available_packs() -> list[str]:
    return sorted(f.name.removesuffix(_SUFFIX) for f in _folder().iterdir() if _is_pack(f))


def load_pack(name: str) -> list[Region]:
    """The regions of pack `name`, parents before children, each with `pack` set to `name`."""
    names = available_packs()
    if name not in names:
        raise RegionImportError(
            f"unknown region pack {name!r}; available: {', '.join(names)}", field="pack"
        )
    return parse_geojson(_folder().joinpath(name + _SUFFIX).read_bytes(), pack=name)


@cache
def pack_shapes(name: str) -> dict[str, BaseGeometry]:
    """The shapes pack `name` ships, by region code (read once)."""
    return {r.code: r.geometry for r in load_pack(name) if r.geometry is not None}


def _folder() -> Traversable:
    return resources.files("tocsin.regions").joinpath("data")


def _is_pack(entry: Traversable) -> bool:
    return entry.is_file() and entry.name.endswith(_SUFFIX)

"""The region packs shipped with tocsin, in the import format (see `tocsin.regions.importer`).

`ua` holds Ukraine, its 27 first-level units, raions and hromadas; `ru-border` the Russian
oblasts along the border. Sources and licences are in `data/NOTICE.md`; the files are built by
`scripts/build_packs.py`.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from tocsin.domain.regions import Region
from tocsin.errors import RegionImportError
from tocsin.regions.importer import parse_geojson

_SUFFIX = ".geojson"


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


def _folder() -> Traversable:
    return resources.files("tocsin.regions").joinpath("data")


def _is_pack(entry: Traversable) -> bool:
    return entry.is_file() and entry.name.endswith(_SUFFIX)

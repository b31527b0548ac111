"""From the places a data set names to region codes of the loaded tree.

The Ukrainian data sets name places in English ("Kharkivska oblast", "Kharkivskyi raion",
"m. Pervomaisk ta Pervomaiska terytorialna hromada"). Each name is looked up among the regions
of the right level *under the region already found*: a raion within its oblast, a hromada within
its raion, so the many hromadas called "Pokrovska terytorialna hromada" are told apart. A region
answers to its names in every language, to its Ukrainian name romanized by the national system
(which is how the data sets write them), and, for first-level units, to the data sets' own
names in `ua_names` (built from the shared crosswalk). A place that cannot be found is reported
with the reason; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tocsin.domain.regions import Region, RegionTree
from tocsin.errors import InvalidInput
from tocsin.records.history.formats import PLACE_LEVELS, Place
from tocsin.records.history.ua_names import DATASET_NAMES
from tocsin.regions.romanize import APOSTROPHES, romanize
from tocsin.types import RegionCode

ROOT = "UA"


class Unmapped(ValueError):
    """A place that names no region, or more than one."""


def normalize(name: str) -> str:
    text = "".join(c for c in name if c not in APOSTROPHES)
    return " ".join(text.casefold().split())


def region_keys(region: Region) -> set[str]:
    names = {*region.names.values(), *region.aliases}
    if "uk" in region.names:
        names.add(romanize(region.names["uk"]))
    names.update(romanize(alias) for alias in region.aliases)
    return {normalize(n) for n in names if n}


class PlaceMapper:
    """Resolves `Place`s to codes of the regions under `root` (cached per distinct place)."""

    def __init__(
        self,
        tree: RegionTree,
        *,
        root: RegionCode = ROOT,
        aliases: Mapping[str, RegionCode] = DATASET_NAMES,
    ) -> None:
        if root not in tree:
            raise InvalidInput(
                f"region {root} is not loaded: import the region pack first "
                "(tocsin regions import ua)",
                field="regions",
            )
        self.tree = tree
        self.root = root
        self._index: dict[tuple[RegionCode, str], list[RegionCode]] = {}
        self._anywhere: dict[str, list[RegionCode]] = {}
        for region in tree:
            for key in region_keys(region):
                self._anywhere.setdefault(key, []).append(region.code)
        self._children(root)
        for name, code in aliases.items():
            if code in tree and tree.get(code) in tree.children(root):
                codes = self._index.setdefault((root, normalize(name)), [])
                if code not in codes:
                    codes.append(code)
        self._cache: dict[Place, RegionCode | Unmapped] = {}

    def resolve(self, place: Place) -> RegionCode:
        found = self._cache.get(place)
        if found is None:
            try:
                found = self._resolve(place)
            except Unmapped as exc:
                found = exc
            self._cache[place] = found
        if isinstance(found, Unmapped):
            raise found
        return found

    def _resolve(self, place: Place) -> RegionCode:
        code = self.root
        depth = PLACE_LEVELS.index(place.level)
        for level, name in zip(PLACE_LEVELS[: depth + 1], _names(place)[: depth + 1], strict=True):
            code = self._child(code, level, name)
        return code

    def _child(self, parent: RegionCode, level: str, name: str) -> RegionCode:
        index = self._children(parent)
        matches = [
            c for c in index.get((parent, normalize(name)), []) if _level(self.tree, c) == level
        ]
        if len(matches) == 1:
            return matches[0]
        where = self._describe(parent)
        if len(matches) > 1:
            raise Unmapped(
                f"{level} {name!r} names {len(matches)} regions in {where}: {', '.join(matches)}"
            )
        raise Unmapped(f"no {level} {name!r} in {where}{self._elsewhere(name, level)}")

    def _children(self, parent: RegionCode) -> dict[tuple[RegionCode, str], list[RegionCode]]:
        if (parent, "") not in self._index:
            self._index[(parent, "")] = []
            for child in self.tree.children(parent):
                for key in region_keys(child):
                    self._index.setdefault((parent, key), []).append(child.code)
        return self._index

    def _elsewhere(self, name: str, level: str) -> str:
        codes = self._anywhere.get(normalize(name), [])
        if not codes:
            return ""
        shown = [
            f"{c} ({_level(self.tree, c)} in {self._describe(self.tree.require(c).parent)})"
            for c in codes[:3]
        ]
        kind = "it names" if all(_level(self.tree, c) != level for c in codes) else "found"
        return f"; {kind} {', '.join(shown)}"

    def _describe(self, code: RegionCode | None) -> str:
        if code is None:
            return "the top level"
        region = self.tree.get(code)
        return f"{region.name('en')} ({code})" if region else code


def coverage(mapper: PlaceMapper, places: Iterable[Place]) -> dict[Place, RegionCode | str]:
    """Each distinct place and its code, or the reason it has none (for reports and tests)."""
    out: dict[Place, RegionCode | str] = {}
    for place in places:
        if place not in out:
            try:
                out[place] = mapper.resolve(place)
            except Unmapped as exc:
                out[place] = str(exc)
    return out


def _names(place: Place) -> tuple[str, ...]:
    return (place.oblast, place.raion, place.hromada)


def _level(tree: RegionTree, code: RegionCode) -> str | None:
    region = tree.get(code)
    return None if region is None else region.level

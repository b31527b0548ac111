"""The numeric location ids of alerts.in.ua and api.ukrainealarm.com, and tocsin's regions.

Both APIs number oblasts, raions and hromadas alike: Kharkiv oblast is 22, Kyiv city 31,
Kharkivskyi raion 124, the city of Kharkiv 1293. These are the ids of the regions list that the
`ua` pack was built from, and each region keeps its own as `external_id` (`states:22`,
`states:district:124`, `states:community:1293`). The few places that list lacks (Crimea,
Sevastopol and the four Luhansk raions made in 2020) carry the ids the alerts.in.ua client gives
them, here in `EXTRA`. A region with neither has no counterpart and never appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from tocsin.domain.regions import Region, RegionTree
from tocsin.types import RegionCode

EXTRA: Final[Mapping[RegionCode, int]] = MappingProxyType(
    {
        "UA-43": 29,  # Autonomous Republic of Crimea
        "UA-40": 30,  # Sevastopol
        "UA-09-R4406": 1801,  # Luhanskyi raion
        "UA-09-R4408": 1802,  # Rovenkivskyi raion
        "UA-09-R4402": 1803,  # Alchevskyi raion
        "UA-09-R4404": 1804,  # Dovzhanskyi raion
    }
)
CITIES: Final = frozenset({30, 31})
"""Sevastopol and Kyiv: cities with the status of an oblast."""
OBLAST_ORDER: Final = (
    29, 8, 4, 9, 28, 10, 11, 12, 13, 31, 14, 15, 16, 27, 17, 18, 19, 5, 30, 20, 21, 22, 23, 3, 24,
    26, 25,
)  # fmt: skip
"""The oblasts in the order of alerts.in.ua's line by oblast (alphabetical in Ukrainian)."""
_OBLASTS: Final = frozenset(OBLAST_ORDER)

_EXTERNAL = re.compile(r"states(?::(?:district|community))?:(\d{1,6})")
_CITY = re.compile(r"м\. (.+?) та ")


class Kind(StrEnum):
    """What alerts.in.ua calls a place (`location_type`)."""

    OBLAST = "oblast"
    CITY = "city"
    RAION = "raion"
    HROMADA = "hromada"


_REGION_TYPES: Final = {"oblast": "State", "raion": "District", "hromada": "Community"}
_LEVELS: Final = {"oblast": Kind.OBLAST, "raion": Kind.RAION, "hromada": Kind.HROMADA}


@dataclass(frozen=True, slots=True)
class Place:
    """One region as the APIs show it: its id, kind (alerts.in.ua's `location_type`), type
    (ukrainealarm's `regionType`: a city hromada is a Community, Kyiv a State), titles (`title`
    in Ukrainian, as both APIs name places; `title_en` in English), and the oblast and raion
    above it."""

    uid: int
    code: RegionCode
    kind: Kind
    region_type: str
    title: str
    title_en: str
    oblast: Place | None
    raion: Place | None

    @property
    def top(self) -> Place:
        """The oblast (or city with an oblast's status) it lies in, or itself."""
        return self.oblast or self


class Places:
    """Every region that has an id, both ways."""

    def __init__(self, tree: RegionTree) -> None:
        self.tree = tree
        self._by_code: dict[RegionCode, Place] = {}
        for region in _top_down(tree):
            uid = uid_of(region)
            if uid is not None and region.level in _LEVELS:
                self._by_code[region.code] = self._place(region, uid)
        self._by_uid = {place.uid: place for place in self._by_code.values()}

    def __iter__(self) -> Iterator[Place]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def by_uid(self, uid: int) -> Place | None:
        return self._by_uid.get(uid)

    def by_code(self, code: RegionCode) -> Place | None:
        return self._by_code.get(code)

    @property
    def oblasts(self) -> list[Place]:
        """The oblasts (and the cities with their status) in the order of the line by oblast;
        one that is not known here is left out."""
        found = (self._by_uid.get(uid) for uid in OBLAST_ORDER)
        return [place for place in found if place is not None]

    def children(self, place: Place) -> list[Place]:
        found = (self._by_code.get(r.code) for r in self.tree.children(place.code))
        return [child for child in found if child is not None]

    def covering(self, code: RegionCode) -> list[Place]:
        """The place itself and those above it that have an id, nearest first."""
        found = (self._by_code.get(c) for c in (code, *self.tree.ancestors(code)))
        return [place for place in found if place is not None]

    def _place(self, region: Region, uid: int) -> Place:
        kind, title = _LEVELS[region.level], region.name("uk").replace("\u2019", "'")
        city = _city(region)
        if uid in CITIES or city is not None:
            kind, title = Kind.CITY, f"м. {city or title}"
        above = [self._by_code.get(code) for code in self.tree.ancestors(region.code)]
        oblast = next((p for p in above if p is not None and p.uid in _OBLASTS), None)
        raion = next((p for p in above if p is not None and p.kind is Kind.RAION), None)
        region_type = _REGION_TYPES[region.level]
        return Place(uid, region.code, kind, region_type, title, region.name("en"), oblast, raion)


def uid_of(region: Region) -> int | None:
    """A region's id in both APIs, or None: it has no counterpart."""
    if region.code in EXTRA:
        return EXTRA[region.code]
    found = _EXTERNAL.fullmatch(region.external_id or "")
    return int(found.group(1)) if found else None


def _city(region: Region) -> str | None:
    """The city a hromada is named for, as the regions list named it ("м. Харків та Харківська
    територіальна громада": Kharkiv), or None."""
    if region.level != "hromada":
        return None
    for alias in region.aliases:
        found = _CITY.match(alias)
        if found:
            return found.group(1)
    return None


def _top_down(tree: RegionTree) -> list[Region]:
    """Every region, each after those above it."""
    return sorted(tree, key=lambda region: len(tree.ancestors(region.code)))

"""Answers in the shape of the alerts.in.ua API (v1, and the v2 IoT lines).

- `alerts/active.json` and `regions/{uid}/alerts/{period}.json`: `{"alerts": [...], "meta":
  {"last_updated_at", "type"}, "disclaimer"}`, one alert a place and type (`record`).
- The IoT lines: one letter a place. `A` an air raid on the whole place, `P` on a part of it,
  `N` none; the v2 lines say `R` or `Y` (the red or yellow level) for `A`. The line of all
  places is indexed by id (a space where no place has that id); the line by oblast has the 27
  oblasts in the order of `places.OBLAST_ORDER`.

Only air raids light the IoT lines, as there; every type of alert is listed in the alerts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from tocsin.compat.places import Place, Places
from tocsin.compat.shown import Shown, public
from tocsin.compat.threats import YELLOW, mapped_id
from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.state import RegionState, State, region_states
from tocsin.domain.threats import Catalogue

DISCLAIMER: Final = (
    "Served by tocsin in the shape of the alerts.in.ua API. Only actual alerts are shown: "
    "never exercises or tests."
)
PERIODS: Final = {"week_ago": 7, "month_ago": 30}
_LETTERS: Final = {State.ACTIVE: "A", State.PARTIAL: "P", State.NONE: "N"}


def record(entry: Shown, catalogue: Catalogue) -> dict[str, Any]:
    place, first = entry.place, entry.first
    level = entry.level(catalogue)
    threats = [
        {
            "threat_type": kind.threat_type,
            "level": kind.level,
            "started_at": stamp(since),
            "source_message": None,
        }
        for threat_id, since in entry.threats
        if (kind := mapped_id(catalogue, threat_id)).threat_type is not None
    ]
    cancelled = [a.cancel_message for a in entry.alerts if a.phase is Phase.CANCELLED]
    return {
        "id": record_id(first, place, entry.type.alert_type),
        "location_title": place.title,
        "location_title_en": place.title_en,
        "location_type": place.kind.value,
        "started_at": stamp(entry.started_at),
        "finished_at": stamp(entry.finished_at),
        "updated_at": stamp(entry.updated_at),
        "alert_type": entry.type.alert_type,
        "location_uid": str(place.uid),
        "location_oblast": place.top.title,
        "location_oblast_uid": place.top.uid,
        "location_raion": place.raion.title if place.raion else None,
        "notes": cancelled[0] if cancelled and cancelled[0] else first.headline,
        "country": "UA",
        "calculated": False,
        "alert_level": level,
        "threats": threats,
    }


def alerts_body(entries: Iterable[Shown], catalogue: Catalogue, updated: datetime) -> Any:
    return {
        "alerts": [record(entry, catalogue) for entry in entries],
        "meta": {
            "last_updated_at": updated.astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S +0000"),
            "type": "full",
        },
        "disclaimer": DISCLAIMER,
    }


def record_id(first: Alert, place: Place, alert_type: str) -> int:
    """A number that names one place's alert of one type for as long as it lasts (its first
    alert's id, the place and the type), the same on every node; below 2**48, so a client that
    reads JSON numbers as doubles keeps it whole."""
    digest = hashlib.blake2b(f"{first.id}/{place.uid}/{alert_type}".encode(), digest_size=6)
    return int.from_bytes(digest.digest(), "big")


def stamp(value: datetime | None) -> str | None:
    """As alerts.in.ua writes times: UTC, milliseconds, `Z`."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Letters:
    """Each place's IoT letter, from the active actual air raids."""

    def __init__(self, alerts: Iterable[Alert], places: Places, catalogue: Catalogue) -> None:
        air = [
            a for a in alerts if public(a) and a.is_open and mapped_id(catalogue, a.threat).air_raid
        ]
        self.places = places
        self._levels = {a.id: mapped_id(catalogue, a.threat).level for a in air}
        self._states = region_states(places.tree, air, catalogue, Status.ACTUAL)

    def letter(self, place: Place, *, levels: bool) -> str:
        state: RegionState | None = self._states.get(place.code)
        if state is None:
            return "N"
        if levels and state.state is State.ACTIVE:
            found = {self._levels[a] for a in state.alerts}
            return "Y" if found == {YELLOW} else "R"
        return _LETTERS[state.state]

    def by_oblast(self, *, levels: bool) -> str:
        return "".join(self.letter(place, levels=levels) for place in self.places.oblasts)

    def by_uid(self, *, levels: bool) -> str:
        width = max((place.uid for place in self.places), default=-1) + 1
        line = [" "] * width
        for place in self.places:
            line[place.uid] = self.letter(place, levels=levels)
        return "".join(line)

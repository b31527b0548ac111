"""Statistics and conflict-event exports over incident records (pure: records in, data out).

Statistics (`statistics`): counts, impacts, the interception rate and casualties and damage, from
each incident's current figures. Casualties and damage (and, under `confirmed`, impacts and
interception) use confirmed figures only unless `confirmed_only` is false.

Export (`event_rows`): one row per incident with the columns conflict-event datasets use (ACLED
style); docs/incidents.md has the mapping. The notes of an exercise or a test start with
EXERCISE or TEST (the API leaves drills out unless asked for them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.domain.alerts import Status
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import SHELLING, Catalogue
from tocsin.errors import InvalidInput
from tocsin.records.domain.claims import CASUALTIES, DAMAGE, UTILITIES, Measure, live
from tocsin.records.domain.figures import Figure, Standing
from tocsin.records.domain.incidents import IncidentRecord
from tocsin.types import Lang

COLUMNS: Final = (
    "event_date",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "event_type",
    "sub_event_type",
    "fatalities",
    "source",
    "notes",
)
RATE_DIGITS: Final = 4


def statistics(records: Sequence[IncidentRecord], *, confirmed_only: bool = True) -> dict[str, Any]:
    figures = [r.figures() for r in records]
    by_threat: dict[str, int] = {}
    for record in records:
        for threat in record.incident.threats:
            by_threat[threat] = by_threat.get(threat, 0) + 1

    def block(measures: Iterable[Measure]) -> dict[str, Any]:
        return {m.value: _sum(figures, m, confirmed_only) for m in measures}

    return {
        "confirmed_only": confirmed_only,
        "incidents": len(records),
        "open": sum(1 for r in records if r.incident.is_open),
        "closed": sum(1 for r in records if not r.incident.is_open),
        "by_threat": dict(sorted(by_threat.items())),
        "impacts": {
            **_sum(figures, Measure.IMPACTS, False),
            "confirmed": _sum(figures, Measure.IMPACTS, True),
        },
        "interception": {
            **_interception(figures, False),
            "confirmed": _interception(figures, True),
        },
        "casualties": block(CASUALTIES),
        "damage": block(DAMAGE),
        "utilities": block(UTILITIES),
        "evacuated": _sum(figures, Measure.EVACUATED, confirmed_only),
    }


@dataclass
class _Tally:
    launched: int = 0
    intercepted: int = 0
    based_on: int = 0
    inconsistent: int = 0

    def add(self, launched: Figure, intercepted: Figure) -> None:
        if launched.quantity.value is None or intercepted.quantity.value is None:
            return
        if intercepted.quantity.value > launched.quantity.value:
            self.inconsistent += 1
            return
        self.launched += launched.quantity.value
        self.intercepted += intercepted.quantity.value
        self.based_on += 1

    def to_json(self) -> dict[str, Any]:
        rate = round(self.intercepted / self.launched, RATE_DIGITS) if self.launched else None
        return {
            "launched": self.launched,
            "intercepted": self.intercepted,
            "rate": rate,
            "based_on": self.based_on,
            "inconsistent": self.inconsistent,
        }


def _interception(figures: Sequence[dict[Measure, Figure]], confirmed_only: bool) -> dict[str, Any]:
    """Intercepted / launched over incidents where both are exact numbers (and confirmed)."""
    overall = _Tally()
    weapons: dict[str, _Tally] = {}
    for figs in figures:
        launched, intercepted = figs.get(Measure.LAUNCHED), figs.get(Measure.INTERCEPTED)
        if launched is None or intercepted is None:
            continue
        pairs: list[tuple[str | None, Figure, Figure]] = [(None, launched, intercepted)]
        shot = {p.weapon: p for p in intercepted.parts if p.weapon is not None}
        pairs += [(p.weapon, p, shot[p.weapon]) for p in launched.parts if p.weapon in shot]
        for weapon, sent, downed in pairs:
            if _usable(sent, confirmed_only) and _usable(downed, confirmed_only):
                tally = overall if weapon is None else weapons.setdefault(weapon, _Tally())
                tally.add(sent, downed)
    return {**overall.to_json(), "by_weapon": {w: weapons[w].to_json() for w in sorted(weapons)}}


def _sum(
    figures: Sequence[dict[Measure, Figure]], measure: Measure, confirmed_only: bool
) -> dict[str, Any]:
    used = [f for figs in figures if (f := _usable(figs.get(measure), confirmed_only))]
    if not used:  # unknown, which is not zero
        return {"value": None, "min": None, "max": None, "based_on": 0}
    low = sum(f.quantity.low for f in used)
    highs = [f.quantity.high for f in used]
    high = None if None in highs else sum(h for h in highs if h is not None)
    return {"value": low if low == high else None, "min": low, "max": high, "based_on": len(used)}


def _usable(figure: Figure | None, confirmed_only: bool) -> Figure | None:
    if figure is None or (confirmed_only and figure.status is not Standing.CONFIRMED):
        return None
    return figure


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Kyiv", field="tz"
        ) from None


def event_rows(
    records: Sequence[IncidentRecord],
    tree: RegionTree,
    catalogue: Catalogue,
    *,
    tz: tzinfo,
    confirmed_only: bool = False,
    lang: Lang = "en",
) -> list[dict[str, str]]:
    return [_row(r, tree, catalogue, tz, confirmed_only, lang) for r in records]


def to_csv(rows: Iterable[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _row(
    record: IncidentRecord,
    tree: RegionTree,
    catalogue: Catalogue,
    tz: tzinfo,
    confirmed_only: bool,
    lang: Lang,
) -> dict[str, str]:
    incident = record.incident
    chain = _chain(tree, incident.regions[0])
    names = [_name(tree, code, lang) for code in chain]
    place = incident.places[0] if incident.places else None
    figures = record.figures()
    killed = _usable(figures.get(Measure.KILLED), confirmed_only)
    known = [t for t in incident.threats if t in catalogue]
    threat = catalogue.most_severe(known).id if known else incident.threats[0]
    kind = catalogue[threat].incident if threat in catalogue else SHELLING
    return {
        "event_date": incident.start.astimezone(tz).date().isoformat(),
        "admin1": names[1] if len(names) > 1 else "",
        "admin2": names[2] if len(names) > 2 else "",
        "location": place.name if place and place.name else names[-1],
        "latitude": f"{place.lat:.4f}" if place else "",
        "longitude": f"{place.lon:.4f}" if place else "",
        "event_type": kind.event_type,
        "sub_event_type": kind.sub_event_type,
        "fatalities": str(killed.quantity.low if killed else 0),
        "source": "; ".join(dict.fromkeys(c.source.name for c in live(record.claims))),
        "notes": _notes(record, figures, tree, lang),
    }


def _notes(
    record: IncidentRecord, figures: dict[Measure, Figure], tree: RegionTree, lang: Lang
) -> str:
    incident = record.incident
    drill = incident.mode.value.upper() if incident.mode is not Status.ACTUAL else None
    parts = [p for p in (drill, incident.title, incident.description) if p]
    stated = [
        f"{m.value} {f.quantity.text(lang)}"
        + (
            " (" + ", ".join(f"{p.weapon} {p.quantity.text(lang)}" for p in f.parts) + ")"
            if f.parts and any(p.weapon for p in f.parts)
            else ""
        )
        + f" [{f.status.value}]"
        for m, f in figures.items()
    ]
    if stated:
        parts.append("Figures: " + "; ".join(stated))
    if len(incident.regions) > 1:
        others = ", ".join(_name(tree, c, lang) for c in incident.regions[1:])
        parts.append(f"Also: {others}")
    parts.append(f"tocsin incident {incident.id}")
    return ". ".join(p.rstrip(".") for p in parts) + "."


def _chain(tree: RegionTree, code: str) -> list[str]:
    """From the root region down to `code`."""
    if code not in tree:
        return [code]
    return [*reversed(tree.ancestors(code)), code]


def _name(tree: RegionTree, code: str, lang: Lang) -> str:
    region = tree.get(code)
    return region.name(lang) if region else code

"""Scoring extractions against a labelled corpus (tests/data/reports/*.jsonl).

- claims: a claim matches a gold claim when measure, weapon, min, max and kind are equal;
  precision = matched / found, recall = matched / gold, micro over the part (a gold
  `other_claims` figure in the draft is a false finding like any other);
- places: the draft's regions against the gold regions, as sets, micro, over the reports of
  an attack (`attack` true): where a non-attack happened is no region of an incident, and the
  corpus does not label it alike in both parts;
- dates: a report's date is right when the draft's start, in Europe/Kyiv, is on `date` and,
  when `end_date` is set, its end is on `end_date`; recall over reports with a gold date,
  precision over reports where a date was found;
- threats: sets, micro; lang: accuracy.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from tocsin.records.extraction.model import Extraction

KYIV: Final = ZoneInfo("Europe/Kyiv")
FIELDS: Final = ("claims", "places", "dates", "threats", "lang")
TARGETS: Final[Mapping[str, tuple[float, float]]] = {
    "claims": (0.95, 0.85),
    "places": (0.90, 0.90),
    "dates": (0.90, 0.90),
}
ClaimKey = tuple[str, str | None, int, int | None, str]


@dataclass(slots=True)
class Tally:
    """Found, gold and matched counts of one field."""

    found: int = 0
    gold: int = 0
    matched: int = 0  # matched among found (precision)
    recalled: int = 0  # matched among gold (recall)

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.gold if self.gold else 1.0

    def add(self, other: Tally) -> None:
        self.found += other.found
        self.gold += other.gold
        self.matched += other.matched
        self.recalled += other.recalled


@dataclass(slots=True)
class Errors:
    """What one report got wrong: per field, the gold items missed and the false findings."""

    id: str
    missed: dict[str, list[Any]] = field(default_factory=dict)
    false: dict[str, list[Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.missed.values()) or any(self.false.values())


@dataclass(slots=True)
class Score:
    reports: int = 0
    tallies: dict[str, Tally] = field(default_factory=lambda: {f: Tally() for f in FIELDS})
    errors: list[Errors] = field(default_factory=list)

    def met(self, name: str) -> bool | None:
        """Whether the field meets its target (None: it has none)."""
        if name not in TARGETS:
            return None
        precision, recall = TARGETS[name]
        tally = self.tallies[name]
        return tally.precision >= precision and tally.recall >= recall


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def published(report: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(report["source"]["published_at"])


def claim_key(claim: Mapping[str, Any]) -> ClaimKey:
    return (claim["measure"], claim["weapon"], claim["min"], claim["max"], claim["kind"])


def score(
    reports: Iterable[Mapping[str, Any]], run: Callable[[Mapping[str, Any]], Extraction]
) -> Score:
    """Run `run` over every report and tally each field."""
    result = Score()
    for report in reports:
        extraction = run(report)
        tallies, errors = score_one(report, extraction)
        result.reports += 1
        for name, tally in tallies.items():
            result.tallies[name].add(tally)
        if errors:
            result.errors.append(errors)
    return result


def score_one(report: Mapping[str, Any], extraction: Extraction) -> tuple[dict[str, Tally], Errors]:
    gold = report["gold"]
    draft = extraction.draft
    errors = Errors(report["id"])
    found_claims = Counter(claim_key(c.to_json()) for c in draft.claims)
    gold_claims = Counter(claim_key(c) for c in gold["claims"])
    tallies = {
        "claims": _bags(found_claims, gold_claims, errors, "claims"),
        "places": _bags(
            Counter(set(draft.regions) if gold.get("attack", True) else ()),
            Counter(set(gold["regions"]) if gold.get("attack", True) else ()),
            errors,
            "places",
        ),
        "threats": _bags(
            Counter(set(draft.threats)), Counter(set(gold["threats"])), errors, "threats"
        ),
        "dates": _dates(gold, extraction, errors),
        "lang": _lang(report, extraction, errors),
    }
    return tallies, errors


def _bags(found: Counter[Any], gold: Counter[Any], errors: Errors, name: str) -> Tally:
    common = found & gold
    matched = sum(common.values())
    errors.missed[name] = sorted((gold - found).elements(), key=repr)
    errors.false[name] = sorted((found - gold).elements(), key=repr)
    return Tally(sum(found.values()), sum(gold.values()), matched, matched)


def _dates(gold: Mapping[str, Any], extraction: Extraction, errors: Errors) -> Tally:
    start, end = extraction.draft.start, extraction.draft.end
    want = gold.get("date")
    found = start is not None
    right = found and want is not None and _on(start, want) and _end_right(end, gold)
    if not right and (want is not None or found):
        errors.missed["dates"] = [f"{want} – {gold.get('end_date')}"] if want else []
        errors.false["dates"] = [f"{_day(start)} – {_day(end)}"] if found else []
    return Tally(int(found), int(want is not None), int(right), int(right))


def _end_right(end: datetime | None, gold: Mapping[str, Any]) -> bool:
    want = gold.get("end_date")
    return want is None or (end is not None and _on(end, want))


def _on(moment: datetime | None, day: str) -> bool:
    return moment is not None and moment.astimezone(KYIV).date() == date.fromisoformat(day)


def _day(moment: datetime | None) -> str | None:
    return moment.astimezone(KYIV).date().isoformat() if moment is not None else None


def _lang(report: Mapping[str, Any], extraction: Extraction, errors: Errors) -> Tally:
    right = extraction.lang == report["lang"]
    if not right:
        errors.missed["lang"] = [report["lang"]]
        errors.false["lang"] = [extraction.lang]
    return Tally(1, 1, int(right), int(right))

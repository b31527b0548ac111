"""What the extraction finds: each finding with the span of the text it was read from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Lang = Literal["en", "uk", "ru"]
LANGS: tuple[Lang, ...] = ("en", "uk", "ru")


@dataclass(frozen=True, slots=True)
class Evidence:
    """`quote == text[start:end]` of the text as sent."""

    start: int
    end: int
    quote: str

    @classmethod
    def of(cls, text: str, start: int, end: int) -> Evidence:
        return cls(start, end, text[start:end])

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "quote": self.quote}


@dataclass(frozen=True, slots=True)
class ClaimFinding:
    """One figure, as a claim of the incident model would hold it (`measure`, `weapon` a threat
    id or None, `min`/`max` with `kind` and `words` as `records.domain.quantities.Quantity`)."""

    measure: str
    min: int
    max: int | None
    kind: str
    evidence: Evidence
    weapon: str | None = None
    words: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "weapon": self.weapon,
            "min": self.min,
            "max": self.max,
            "kind": self.kind,
            "words": self.words,
            "evidence": self.evidence.to_json(),
        }


@dataclass(frozen=True, slots=True)
class PlaceFinding:
    """A place named in the text: `region` is a region code at the finest level known
    (`UA-63`, `UA-63-R…`, `UA-63-H…`, `RU-BEL`); `name` is the place as the codifier or the
    gazetteer names it (a settlement's own name, in Ukrainian or Russian); `level` is
    `oblast`, `raion`, `hromada`, `settlement` or `country`; `katottg` when it has one."""

    region: str
    name: str
    level: str
    evidence: Evidence
    katottg: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "name": self.name,
            "level": self.level,
            "katottg": self.katottg,
            "evidence": self.evidence.to_json(),
        }


@dataclass(frozen=True, slots=True)
class TimeFinding:
    """A time expression and the window it stands for (aware datetimes)."""

    start: datetime
    end: datetime | None
    evidence: Evidence

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "evidence": self.evidence.to_json(),
        }


@dataclass(frozen=True, slots=True)
class ThreatFinding:
    """A weapon or an alert signal named, as a threat id (`uav`, `missile`, …)."""

    threat: str
    evidence: Evidence

    def to_json(self) -> dict[str, Any]:
        return {"threat": self.threat, "evidence": self.evidence.to_json()}


@dataclass(slots=True)
class Draft:
    """A draft incident: what the text says about one event."""

    start: datetime | None = None
    end: datetime | None = None
    regions: list[str] = field(default_factory=list)
    threats: list[str] = field(default_factory=list)
    places: list[PlaceFinding] = field(default_factory=list)
    claims: list[ClaimFinding] = field(default_factory=list)
    times: list[TimeFinding] = field(default_factory=list)
    threat_findings: list[ThreatFinding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "regions": list(self.regions),
            "threats": list(self.threats),
            "places": [p.to_json() for p in self.places],
            "claims": [c.to_json() for c in self.claims],
            "times": [t.to_json() for t in self.times],
            "threat_findings": [t.to_json() for t in self.threat_findings],
        }


@dataclass(slots=True)
class Extraction:
    """The draft of the event the report is about, and apart (`others`) drafts of other
    events the same text speaks of (an earlier attack, another city): never merged in."""

    lang: Lang
    draft: Draft
    others: list[Draft] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "draft": self.draft.to_json(),
            "others": [o.to_json() for o in self.others],
        }

"""Reports: a text that tells of a strike (a governor's post, a bulletin, a news story), what was
read from it, and the proposals an officer accepts or rejects.

A report is stored once, with its text, its source, its language, its mode, the extraction (the
draft of the event it tells of, and apart the drafts of other events it mentions), the incidents
it may belong to (`matches`, best first) and its proposals. Reports are never public.

Proposals:

- `incident`: record a new incident from the draft (when nothing matched); the main draft's
  claims wait for it (`after`) unless an officer names an incident;
- `claim`: one figure of the main draft, on the best match (`incident_id`) — a figure for a
  series the incident already has a live claim of with another quantity is a `correction` that
  `supersedes` those claims; the same quantity again is a `corroboration` (superseding nothing);
  otherwise `new`;
- `claim` with `other` set: a figure about another event the text mentions; it is never put on
  the main incident, and accepting it needs an incident named explicitly.

Each proposal is decided once: `pending` → `accepted` or `rejected`.

Every function here is pure: it checks and returns, or raises a `TocsinError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Literal

from tocsin.domain.alerts import Status
from tocsin.errors import Conflict, InvalidInput, NotFound
from tocsin.records.domain.claims import (
    MAX_NOTE,
    Claim,
    SourceKind,
    iso,
    live,
    parse_enum,
    parse_time,
    text,
)
from tocsin.records.domain.claims import (
    Source as ClaimSource,
)
from tocsin.records.domain.quantities import MAX_COUNT
from tocsin.types import RegionCode, ThreatId, iso_time

Lang = Literal["en", "uk", "ru"]

MAX_TEXT: Final = 20_000
"""Characters of text a report may have (about ten pages; a post or bulletin is a few
thousand). A longer one is refused with 413."""
MAX_BODY: Final = 6 * MAX_TEXT + 65_536
"""Bytes of a request body: the longest text even with every character escaped (`\\uXXXX`),
and room for the source. A larger body is refused before it is read whole."""
LANGS: Final[tuple[Lang, ...]] = ("en", "uk", "ru")
WINDOW: Final = timedelta(hours=12)  # a draft without an end lasts this long, for matching
MARGIN: Final = timedelta(hours=3)  # times this far apart still overlap, for matching
MAX_MATCHES: Final = 5


class EventType(StrEnum):
    RECEIVED = "report.received"
    PROPOSAL_ACCEPTED = "report.proposal_accepted"
    PROPOSAL_REJECTED = "report.proposal_rejected"


class ProposalStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Relation(StrEnum):
    NEW = "new"  # a series the incident has no live claim of
    CORRECTION = "correction"  # another quantity than the live claims: supersedes them
    CORROBORATION = "corroboration"  # the same quantity again: supersedes nothing


@dataclass(frozen=True, slots=True)
class ReportSource:
    """Who published the text: a name (required), a link, a kind, when."""

    name: str
    kind: SourceKind = SourceKind.OTHER
    url: str | None = None
    published_at: datetime | None = None

    @classmethod
    def of(
        cls,
        name: str | None,
        kind: str | None = None,
        url: str | None = None,
        published_at: datetime | None = None,
    ) -> ReportSource:
        checked = ClaimSource.of(name, kind or SourceKind.OTHER, None, url, published_at)
        return cls(checked.name, checked.kind, checked.url, checked.published_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "url": self.url,
            "published_at": iso(self.published_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportSource:
        return cls(
            data["name"],
            SourceKind(data.get("kind") or "other"),
            data.get("url"),
            parse_time(data.get("published_at")),
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """How a proposal was decided: by whom, when, with what edits, and what it made."""

    at: datetime
    by: str
    note: str | None = None
    incident_id: str | None = None
    claim_id: str | None = None
    edits: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso_time(self.at),
            "by": self.by,
            "note": self.note,
            "incident_id": self.incident_id,
            "claim_id": self.claim_id,
            "edits": dict(self.edits),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            datetime.fromisoformat(data["at"]),
            data["by"],
            data.get("note"),
            data.get("incident_id"),
            data.get("claim_id"),
            dict(data.get("edits") or {}),
        )


@dataclass(frozen=True, slots=True)
class Proposal:
    """One thing the report proposes: a claim (`finding` as the extraction read it) or a new
    incident (`draft`: regions, threats, start, end)."""

    id: str
    kind: str  # claim or incident
    status: ProposalStatus = ProposalStatus.PENDING
    incident_id: str | None = None  # where a claim goes (None: the new incident, or named)
    finding: Mapping[str, Any] | None = None  # a claim: measure, weapon, min, max, kind, …
    relation: Relation | None = None
    supersedes: tuple[str, ...] = ()
    draft: Mapping[str, Any] | None = None  # an incident: regions, threats, start, end
    after: str | None = None  # the incident proposal this claim waits for
    other: int | None = None  # index in the extraction's `others`: another event
    decision: Decision | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status.value,
            "incident_id": self.incident_id,
            "claim": None if self.finding is None else dict(self.finding),
            "relation": None if self.relation is None else self.relation.value,
            "supersedes": list(self.supersedes),
            "incident": None if self.draft is None else dict(self.draft),
            "after": self.after,
            "other": self.other,
            "decision": None if self.decision is None else self.decision.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Proposal:
        relation = data.get("relation")
        decision = data.get("decision")
        return cls(
            id=data["id"],
            kind=data["kind"],
            status=ProposalStatus(data["status"]),
            incident_id=data.get("incident_id"),
            finding=data.get("claim"),
            relation=None if relation is None else Relation(relation),
            supersedes=tuple(data.get("supersedes") or ()),
            draft=data.get("incident"),
            after=data.get("after"),
            other=data.get("other"),
            decision=None if decision is None else Decision.from_json(decision),
        )


@dataclass(frozen=True, slots=True)
class Report:
    id: str
    text: str
    lang: str
    source: ReportSource
    mode: Status
    received_at: datetime
    received_by: str
    extraction: Mapping[str, Any]  # `Extraction.to_json()`: lang, draft, others
    matches: tuple[str, ...] = ()
    proposals: tuple[Proposal, ...] = ()

    @property
    def draft(self) -> Mapping[str, Any]:
        draft: Mapping[str, Any] = self.extraction.get("draft") or {}
        return draft

    @property
    def others(self) -> list[Mapping[str, Any]]:
        return list(self.extraction.get("others") or [])

    def proposal(self, proposal_id: str) -> Proposal | None:
        return next((p for p in self.proposals if p.id == proposal_id), None)

    def to_json(self) -> dict[str, Any]:
        """The stored report, without its proposals (stored apart, each with its status)."""
        return {
            "id": self.id,
            "text": self.text,
            "lang": self.lang,
            "source": self.source.to_json(),
            "mode": self.mode.value,
            "received_at": iso_time(self.received_at),
            "received_by": self.received_by,
            "extraction": dict(self.extraction),
            "matches": list(self.matches),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], proposals: Sequence[Proposal] = ()) -> Report:
        return cls(
            id=data["id"],
            text=data["text"],
            lang=data["lang"],
            source=ReportSource.from_json(data["source"]),
            mode=Status(data["mode"]),
            received_at=datetime.fromisoformat(data["received_at"]),
            received_by=data["received_by"],
            extraction=data["extraction"],
            matches=tuple(data.get("matches") or ()),
            proposals=tuple(proposals),
        )


# --- the request ----------------------------------------------------------------------------


class TooLarge(InvalidInput):
    status = 413
    code = "too_large"
    title = "Too large"


def check_text(value: Any) -> str:
    """The report's text as sent (offsets index it unchanged); refused when missing, blank,
    longer than `MAX_TEXT`, or not storable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput("the report needs its text", field="text")
    if not isinstance(value, str):
        raise InvalidInput("text must be a string", field="text")
    if len(value) > MAX_TEXT:
        raise TooLarge(
            f"the text is {len(value)} characters; at most {MAX_TEXT} are read", field="text"
        )
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise InvalidInput("text must be plain text (no NUL, no lone surrogates)", field="text")
    return value


def lang_of(value: str | None) -> Lang | None:
    """A checked language as the extraction names it."""
    for lang in LANGS:
        if value == lang:
            return lang
    return None


def check_lang(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    lang = value.strip().lower()
    if lang not in LANGS:
        raise InvalidInput(
            f"lang must be one of {', '.join(LANGS)} (or left out to detect it); got {value!r}",
            field="lang",
        )
    return lang


# --- matching -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """What matching needs of an incident."""

    id: str
    regions: tuple[RegionCode, ...]
    threats: tuple[ThreatId, ...]
    start: datetime
    end: datetime | None
    open: bool
    mode: str


def draft_window(draft: Mapping[str, Any], fallback: datetime) -> tuple[datetime, datetime]:
    """The draft's time window for matching: [start, end], or start + 12 hours without an end
    (the published time, or the time received, without a start)."""
    start = parse_time(draft.get("start")) or fallback
    end = parse_time(draft.get("end")) or start + WINDOW
    return start, max(start, end)


def overlaps_region(
    ours: Iterable[RegionCode],
    theirs: Iterable[RegionCode],
    ancestors: Callable[[RegionCode], Iterable[RegionCode]],
) -> int:
    """0: no region in common; 1: one is an ancestor or descendant of the other; 2: equal."""
    best = 0
    theirs = list(theirs)
    for code in ours:
        above = set(ancestors(code))
        for other in theirs:
            if other == code:
                return 2
            if other in above or code in set(ancestors(other)):
                best = 1
    return best


def match(
    draft: Mapping[str, Any],
    candidates: Iterable[Candidate],
    *,
    mode: str,
    fallback: datetime,
    ancestors: Callable[[RegionCode], Iterable[RegionCode]],
) -> list[str]:
    """The ids of the incidents the draft may be about, best first: same mode, a region in
    common (equal, ancestor or descendant), overlapping windows (with a margin), a threat in
    common. Best: equal regions before nested ones, more threats in common, nearer starts."""
    threats = set(draft.get("threats") or ())
    regions = list(draft.get("regions") or ())
    if not threats or not regions:
        return []
    start, end = draft_window(draft, fallback)
    ranked: list[tuple[tuple[int, int, float], str]] = []
    for c in candidates:
        shared = threats & set(c.threats)
        if c.mode != mode or not shared:
            continue
        if c.end is not None:
            c_end: datetime | None = c.end
        else:
            c_end = None if c.open else c.start + WINDOW
        if c.start - MARGIN > end or (c_end is not None and c_end + MARGIN < start):
            continue
        closeness = overlaps_region(regions, c.regions, ancestors)
        if not closeness:
            continue
        apart = abs((c.start - start).total_seconds())
        ranked.append(((-closeness, -len(shared), apart), c.id))
    ranked.sort()
    return [incident_id for _, incident_id in ranked[:MAX_MATCHES]]


# --- proposals ------------------------------------------------------------------------------


def propose(
    draft: Mapping[str, Any],
    others: Sequence[Mapping[str, Any]],
    best: tuple[str, Sequence[Claim]] | None,
    new_id: Callable[[], str],
) -> list[Proposal]:
    """The proposals of a report: the main draft's claims on the best match (`best`: its id and
    claims), or a new incident and its claims; then the claims of other events, apart."""
    found: list[Proposal] = []
    after: str | None = None
    claims = list(draft.get("claims") or ())
    if best is None:
        after = new_id()
        found.append(
            Proposal(
                after,
                "incident",
                draft={
                    "regions": list(draft.get("regions") or ()),
                    "threats": list(draft.get("threats") or ()),
                    "start": draft.get("start"),
                    "end": draft.get("end"),
                },
            )
        )
    for finding in claims:
        if best is None:
            found.append(
                Proposal(new_id(), "claim", finding=finding, relation=Relation.NEW, after=after)
            )
            continue
        incident_id, existing = best
        relation, supersedes = relate(finding, existing)
        found.append(
            Proposal(
                new_id(),
                "claim",
                incident_id=incident_id,
                finding=finding,
                relation=relation,
                supersedes=supersedes,
            )
        )
    for index, other in enumerate(others):
        for finding in other.get("claims") or ():
            found.append(Proposal(new_id(), "claim", finding=finding, other=index))
    return found


def relate(finding: Mapping[str, Any], claims: Sequence[Claim]) -> tuple[Relation, tuple[str, ...]]:
    """How a figure stands to an incident's live claims of its series (measure and weapon)."""
    series = [
        c
        for c in live(claims)
        if c.measure.value == finding.get("measure") and c.weapon == finding.get("weapon")
    ]
    if not series:
        return Relation.NEW, ()
    quantity = (finding.get("min"), finding.get("max"))
    if any((c.quantity.low, c.quantity.high) == quantity for c in series):
        return Relation.CORROBORATION, ()
    return Relation.CORRECTION, tuple(c.id for c in series)


# --- review ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edits:
    """What an officer changes when accepting a proposal (None: as proposed)."""

    measure: str | None = None
    weapon: str | None = None
    value: Any = None
    minimum: Any = None
    maximum: Any = None
    incident_id: str | None = None
    supersedes: Sequence[str] | None = None
    status: str | None = None
    reliability: str | None = None
    note: str | None = None
    regions: Sequence[str] | None = None  # an incident proposal's
    threats: Sequence[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    weapon_given: bool = False  # `weapon` was sent (null: no weapon)

    def __post_init__(self) -> None:
        for name, given in (("value", self.value), ("min", self.minimum), ("max", self.maximum)):
            if isinstance(given, int) and not isinstance(given, bool) and abs(given) > MAX_COUNT:
                raise InvalidInput(f"{name} is {given}; at most {MAX_COUNT}", field=name)

    def to_json(self) -> dict[str, Any]:
        named = {
            "measure": self.measure,
            "weapon": self.weapon,
            "value": self.value,
            "min": self.minimum,
            "max": self.maximum,
            "incident_id": self.incident_id,
            "supersedes": None if self.supersedes is None else list(self.supersedes),
            "status": self.status,
            "reliability": self.reliability,
            "regions": None if self.regions is None else list(self.regions),
            "threats": None if self.threats is None else list(self.threats),
            "start": iso(self.start),
            "end": iso(self.end),
        }
        edits = {k: v for k, v in named.items() if v is not None}
        if self.weapon_given and self.weapon is None:
            edits["weapon"] = None
        return edits


def pending(report: Report, proposal_id: str) -> Proposal:
    """The proposal, while it is still to be decided (deciding twice is a conflict)."""
    proposal = report.proposal(proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id!r} in report {report.id}", field="proposal_id")
    if proposal.status is not ProposalStatus.PENDING:
        raise Conflict(f"proposal {proposal_id} is already {proposal.status.value}", field="status")
    return proposal


def target(report: Report, proposal: Proposal, edits: Edits) -> str:
    """The incident a claim proposal goes to: the one named, else the one proposed, else the
    incident its `after` proposal recorded. A figure of another event needs one named."""
    if edits.incident_id:
        return edits.incident_id
    if proposal.other is not None:
        raise InvalidInput(
            "this figure is about another event than the report's: name the incident it "
            "belongs to (incident_id)",
            field="incident_id",
        )
    if proposal.incident_id is not None:
        return proposal.incident_id
    made = report.proposal(proposal.after) if proposal.after else None
    if made is not None and made.decision is not None and made.decision.incident_id:
        return made.decision.incident_id
    raise Conflict(
        "accept the proposal to record the incident first, or name an incident (incident_id)",
        field="incident_id",
    )


def quantity_of(finding: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """(value, min, max) that give the incident model the finding's quantity again."""
    kind, low, high, words = (
        finding.get("kind"),
        finding.get("min"),
        finding.get("max"),
        finding.get("words"),
    )
    if kind == "vague" and words:
        return words, None, None
    if kind in ("exact", "zero"):
        return low, None, None
    if kind == "at_least":
        return None, low, None
    if kind == "at_most":
        return None, None, high
    return None, low, high


def decided(proposal: Proposal, status: ProposalStatus, decision: Decision) -> Proposal:
    return replace(proposal, status=status, decision=decision)


def note(value: str | None) -> str | None:
    return text(value, MAX_NOTE, "note")


def mode_of(value: str | Status | None, default: str) -> Status:
    return parse_enum(Status, value if value not in (None, "") else default, "mode")

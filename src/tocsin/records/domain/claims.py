"""Claims: one figure about an incident, as one source stated it.

A claim is never changed once recorded. Its verification status moves by appended status
changes (each one an event); a correction is a new claim that `supersedes` older ones.

    action    allowed from                        leads to
    verify    unverified, disputed                confirmed
    dispute   unverified, confirmed               disputed
    retract   unverified, confirmed, disputed     retracted (final)

A claim is *live* when it is not retracted and no non-retracted claim supersedes it: retracting
a correction brings back what it corrected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from tocsin.errors import IllegalTransition, InvalidInput
from tocsin.records.domain.quantities import Quantity
from tocsin.types import ThreatId, iso_time

MAX_NAME = 200
MAX_URL = 2000
MAX_NOTE = 2000
E = TypeVar("E", bound=StrEnum)


class Measure(StrEnum):
    """What a claim counts. Each has one unit (docs/incidents.md has the table)."""

    LAUNCHED = "launched"
    INTERCEPTED = "intercepted"
    IMPACTS = "impacts"
    DEBRIS_FALLS = "debris_falls"
    DETONATIONS_HEARD = "detonations_heard"
    KILLED = "killed"
    INJURED = "injured"
    BUILDINGS_DAMAGED = "buildings_damaged"
    WINDOWS_BROKEN = "windows_broken"
    VEHICLES_DESTROYED = "vehicles_destroyed"
    VEHICLES_DAMAGED = "vehicles_damaged"
    BUILDINGS_WITHOUT_POWER = "buildings_without_power"
    CUSTOMERS_WITHOUT_POWER = "customers_without_power"
    BUILDINGS_WITHOUT_WATER = "buildings_without_water"
    CUSTOMERS_WITHOUT_WATER = "customers_without_water"
    BUILDINGS_WITHOUT_HEAT = "buildings_without_heat"
    CUSTOMERS_WITHOUT_HEAT = "customers_without_heat"
    EVACUATED = "evacuated"


WEAPON_MEASURES: Final = frozenset(
    {Measure.LAUNCHED, Measure.INTERCEPTED, Measure.IMPACTS, Measure.DEBRIS_FALLS}
)
CASUALTIES: Final = (Measure.KILLED, Measure.INJURED)
DAMAGE: Final = (
    Measure.BUILDINGS_DAMAGED,
    Measure.WINDOWS_BROKEN,
    Measure.VEHICLES_DESTROYED,
    Measure.VEHICLES_DAMAGED,
)
UTILITIES: Final = (
    Measure.BUILDINGS_WITHOUT_POWER,
    Measure.CUSTOMERS_WITHOUT_POWER,
    Measure.BUILDINGS_WITHOUT_WATER,
    Measure.CUSTOMERS_WITHOUT_WATER,
    Measure.BUILDINGS_WITHOUT_HEAT,
    Measure.CUSTOMERS_WITHOUT_HEAT,
)
ALIASES: Final[Mapping[str, Measure]] = {
    "launches": Measure.LAUNCHED,
    "shot_down": Measure.INTERCEPTED,
    "destroyed": Measure.INTERCEPTED,
    "interceptions": Measure.INTERCEPTED,
    "hits": Measure.IMPACTS,
    "debris": Measure.DEBRIS_FALLS,
    "detonations": Measure.DETONATIONS_HEARD,
    "explosions": Measure.DETONATIONS_HEARD,
    "dead": Measure.KILLED,
    "deaths": Measure.KILLED,
    "fatalities": Measure.KILLED,
    "wounded": Measure.INJURED,
    "injuries": Measure.INJURED,
    "damaged_buildings": Measure.BUILDINGS_DAMAGED,
    "destroyed_vehicles": Measure.VEHICLES_DESTROYED,
    "cars_destroyed": Measure.VEHICLES_DESTROYED,
    "without_power": Measure.BUILDINGS_WITHOUT_POWER,
    "without_water": Measure.BUILDINGS_WITHOUT_WATER,
    "without_heat": Measure.BUILDINGS_WITHOUT_HEAT,
    "evacuees": Measure.EVACUATED,
}


def parse_measure(name: str, *, field: str = "measure") -> Measure:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in ALIASES:
        return ALIASES[key]
    try:
        return Measure(key)
    except ValueError:
        known = ", ".join(m.value for m in Measure)
        raise InvalidInput(
            f"unknown measure {name!r}; known: {known}", field=field, code="unknown_measure"
        ) from None


class ClaimStatus(StrEnum):
    UNVERIFIED = "unverified"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    RETRACTED = "retracted"


# action -> (the status it leads to, the statuses it may be applied in)
ACTIONS: Final[Mapping[str, tuple[ClaimStatus, frozenset[ClaimStatus]]]] = {
    "verify": (ClaimStatus.CONFIRMED, frozenset({ClaimStatus.UNVERIFIED, ClaimStatus.DISPUTED})),
    "dispute": (ClaimStatus.DISPUTED, frozenset({ClaimStatus.UNVERIFIED, ClaimStatus.CONFIRMED})),
    "retract": (
        ClaimStatus.RETRACTED,
        frozenset({ClaimStatus.UNVERIFIED, ClaimStatus.CONFIRMED, ClaimStatus.DISPUTED}),
    ),
}
INITIAL_STATUSES: Final = frozenset(
    {ClaimStatus.UNVERIFIED, ClaimStatus.CONFIRMED, ClaimStatus.DISPUTED}
)


class Reliability(StrEnum):
    """The source's reliability, graded as in the Admiralty (NATO) system."""

    A = "A"  # completely reliable
    B = "B"  # usually reliable
    C = "C"  # fairly reliable
    D = "D"  # not usually reliable
    E = "E"  # unreliable
    F = "F"  # reliability cannot be judged

    @property
    def rank(self) -> int:
        """0 for A (best) … 5 for F."""
        return "ABCDEF".index(self.value)


class SourceKind(StrEnum):
    OFFICIAL = "official"  # government, regional or city administration
    MILITARY = "military"  # armed forces, air force
    EMERGENCY_SERVICE = "emergency_service"  # rescue service, police, medics
    UTILITY = "utility"  # power, water, heat companies
    MEDIA = "media"
    SOCIAL_MEDIA = "social_media"  # channels, accounts, groups
    WITNESS = "witness"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Source:
    """Who stated it: the publisher (`name`), the originator they quote, a link, a time."""

    name: str
    kind: SourceKind = SourceKind.OTHER
    originator: str | None = None
    url: str | None = None
    published_at: datetime | None = None

    @classmethod
    def of(
        cls,
        name: str | None,
        kind: SourceKind | str = SourceKind.OTHER,
        originator: str | None = None,
        url: str | None = None,
        published_at: datetime | None = None,
    ) -> Source:
        stated = text(name, MAX_NAME, "source.name")
        if stated is None:
            raise InvalidInput(
                "a claim needs its source: source.name must not be empty",
                field="source.name",
                code="empty_source",
            )
        return cls(
            name=stated,
            kind=parse_enum(SourceKind, kind, "source.kind"),
            originator=text(originator, MAX_NAME, "source.originator"),
            url=_url(url),
            published_at=utc(published_at, "source.published_at"),
        )

    @property
    def identity(self) -> tuple[str, str]:
        """Publisher and originator, as compared when grouping one source's claims."""
        return (self.name.casefold(), (self.originator or "").casefold())

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "originator": self.originator,
            "url": self.url,
            "published_at": iso(self.published_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Source:
        return cls(
            data["name"],
            SourceKind(data["kind"]),
            data.get("originator"),
            data.get("url"),
            parse_time(data.get("published_at")),
        )


@dataclass(frozen=True, slots=True)
class ReportRef:
    """The report a claim was read from (`tocsin.records.domain.reports`): its id, and the quote
    with its place in the report's text (`quote == text[start:end]`)."""

    id: str
    quote: str
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "quote": self.quote, "start": self.start, "end": self.end}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportRef:
        return cls(str(data["id"]), str(data["quote"]), int(data["start"]), int(data["end"]))


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: ClaimStatus
    previous: ClaimStatus
    at: datetime
    by: str
    note: str | None = None
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "previous": self.previous.value,
            "at": iso_time(self.at),
            "by": self.by,
            "note": self.note,
            "seq": self.seq,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatusChange:
        return cls(
            ClaimStatus(data["status"]),
            ClaimStatus(data["previous"]),
            datetime.fromisoformat(data["at"]),
            data["by"],
            data.get("note"),
            int(data.get("seq", 0)),
        )


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    incident_id: str
    measure: Measure
    quantity: Quantity
    source: Source
    reliability: Reliability
    recorded_at: datetime
    recorded_by: str
    weapon: ThreatId | None = None
    supersedes: tuple[str, ...] = ()
    note: str | None = None
    initial_status: ClaimStatus = ClaimStatus.UNVERIFIED
    seq: int = 0  # the event that recorded it
    changes: tuple[StatusChange, ...] = ()
    report: ReportRef | None = None  # the report it was read from, with the quote

    @property
    def status(self) -> ClaimStatus:
        return self.changes[-1].status if self.changes else self.initial_status

    @property
    def as_of(self) -> datetime:
        """When it was stated: the source's time, else when it was recorded."""
        return self.source.published_at or self.recorded_at

    @property
    def series(self) -> tuple[Measure, ThreatId | None]:
        return (self.measure, self.weapon)

    def as_at(self, seq: int) -> Claim | None:
        """This claim as it stood after event `seq` (None: not yet recorded)."""
        if self.seq > seq:
            return None
        kept = tuple(c for c in self.changes if c.seq <= seq)
        return self if kept == self.changes else replace(self, changes=kept)

    def to_json(self) -> dict[str, Any]:
        """The recorded claim (without its later status changes)."""
        return {
            "id": self.id,
            "incident_id": self.incident_id,
            "measure": self.measure.value,
            "weapon": self.weapon,
            **self.quantity.to_json(),
            "source": self.source.to_json(),
            "reliability": self.reliability.value,
            "supersedes": list(self.supersedes),
            "note": self.note,
            "initial_status": self.initial_status.value,
            "recorded_at": iso_time(self.recorded_at),
            "recorded_by": self.recorded_by,
            "report": None if self.report is None else self.report.to_json(),
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], *, seq: int = 0, changes: Sequence[StatusChange] = ()
    ) -> Claim:
        report = data.get("report")
        return cls(
            id=data["id"],
            incident_id=data["incident_id"],
            measure=Measure(data["measure"]),
            quantity=Quantity.from_json(data),
            source=Source.from_json(data["source"]),
            reliability=Reliability(data["reliability"]),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            recorded_by=data["recorded_by"],
            weapon=data.get("weapon"),
            supersedes=tuple(data.get("supersedes", ())),
            note=data.get("note"),
            initial_status=ClaimStatus(data.get("initial_status", "unverified")),
            seq=seq,
            changes=tuple(changes),
            report=None if report is None else ReportRef.from_json(report),
        )


def change_status(
    claim: Claim, action: str, *, now: datetime, actor: str, note: str | None
) -> StatusChange:
    """Verify, dispute or retract a claim: the status change to append."""
    if action not in ACTIONS:
        raise InvalidInput(
            f"unknown action {action!r}; known: {', '.join(ACTIONS)}", field="action"
        )
    target, allowed = ACTIONS[action]
    if claim.status not in allowed:
        raise IllegalTransition(
            f"cannot {action} claim {claim.id}: it is {claim.status.value}"
            f" (allowed only when {' or '.join(sorted(s.value for s in allowed))})",
            field="status",
        )
    return StatusChange(target, claim.status, now, actor, text(note, MAX_NOTE, "note"))


def superseders(claims: Iterable[Claim]) -> dict[str, list[str]]:
    """Claim id -> the non-retracted claims that supersede it, oldest first."""
    found: dict[str, list[str]] = {}
    for claim in sorted(claims, key=lambda c: c.seq):
        if claim.status is not ClaimStatus.RETRACTED:
            for old in claim.supersedes:
                found.setdefault(old, []).append(claim.id)
    return found


def live(claims: Iterable[Claim]) -> list[Claim]:
    """The claims that may count: neither retracted nor superseded by a non-retracted claim."""
    items = list(claims)
    replaced = superseders(items)
    return [c for c in items if c.status is not ClaimStatus.RETRACTED and c.id not in replaced]


def check_claim_set(claim: Claim, others: Iterable[Claim], *, field: str = "value") -> None:
    """Refuse a claim that makes its claim set say more were intercepted than launched.

    A claim set is the live claims of one incident from one source (same publisher and
    originator). Within it, an `intercepted` claim for weapon W may not exceed (its lowest
    possible count above the highest possible count of) a `launched` claim for W, or a
    `launched` claim that names no weapon (a total bounds each part).
    """
    if claim.measure not in (Measure.LAUNCHED, Measure.INTERCEPTED):
        return
    same_source = [c for c in live([*others, claim]) if c.source.identity == claim.source.identity]
    for launched in (c for c in same_source if c.measure is Measure.LAUNCHED):
        for intercepted in (c for c in same_source if c.measure is Measure.INTERCEPTED):
            if claim is not launched and claim is not intercepted:
                continue
            if launched.weapon not in (None, intercepted.weapon):
                continue
            high = launched.quantity.high
            if high is not None and intercepted.quantity.low > high:
                weapon = f" {intercepted.weapon}" if intercepted.weapon else ""
                raise InvalidInput(
                    f"{claim.source.name} would report {intercepted.quantity.text()}{weapon} "
                    f"intercepted but {launched.quantity.text()} launched "
                    f"(claims {launched.id if launched is not claim else 'new'} and "
                    f"{intercepted.id if intercepted is not claim else 'new'})",
                    field=field,
                    code="intercepted_exceeds_launched",
                )


def text(value: str | None, limit: int, field: str) -> str | None:
    """Trimmed free text (None when blank), refused when too long or not storable."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text; got {value!r}", field=field)
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{field} is {len(value)} characters; at most {limit}", field=field)
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise InvalidInput(f"{field} must be plain text (no NUL, no lone surrogates)", field=field)
    return value or None


def utc(value: datetime | None, field: str) -> datetime | None:
    """An aware time, in UTC; naive times are refused."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field} needs a time zone (e.g. 2026-03-01T01:30:00Z)", field=field)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{field} is out of the supported range", field=field) from None


def iso(value: datetime | None) -> str | None:
    return None if value is None else iso_time(value)


def parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _url(value: str | None) -> str | None:
    url = text(value, MAX_URL, "source.url")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"source.url must be an http(s) link; got {url!r}", field="source.url")
    return url


def parse_enum(kind: type[E], value: E | str, field: str) -> E:
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value).strip())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(
            f"{field} must be one of {allowed}; got {value!r}", field=field
        ) from None

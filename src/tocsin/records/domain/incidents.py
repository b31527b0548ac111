"""Incidents: the record of what happened, with sourced claims and the response to it.

An incident has a time window (start, end; the time it was first reported kept apart), places
(regions of any level, optional points with a precision), threat types, links to the alerts
that covered it, a status (open / closed), claims (`tocsin.records.domain.claims`) and
response actions (`tocsin.records.domain.responses`). Its figures are derived from the claims
(`tocsin.records.domain.figures`); a new claim is checked by `tocsin.records.domain.claim_intake`.
It has a mode, actual, exercise or test (an alert's status), fixed when it is recorded: drills
are never mistaken for the real thing, and a console session records and changes only
incidents of its own mode (the command bus checks it, as it checks region scopes).

An actual incident is not public when it is recorded: an officer publishes it (`publish_incident`)
once a configured delay has passed since it started, because strike locations published in real
time help the attacker aim the next one. Drills are public at once (they reveal no strike).

Nothing here is ever deleted: claims and actions are appended, their status changes and updates
are appended, and every accepted command is one event. A closed incident accepts nothing until
it is reopened.

Every function here is pure: it checks a command and returns what to record, or raises a
`TocsinError` (and then nothing is recorded).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from tocsin.domain.alerts import Status
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import Catalogue
from tocsin.errors import Conflict, IllegalTransition, InvalidInput
from tocsin.records.domain.claims import (
    MAX_NAME,
    Claim,
    ClaimStatus,
    Measure,
    ReportRef,
    iso,
    parse_enum,
    parse_time,
    text,
    utc,
)
from tocsin.records.domain.figures import STATUS_EVENTS as STATUS_EVENT_TYPES
from tocsin.records.domain.figures import Figure, Revision, derive_figures, figure_history
from tocsin.records.domain.responses import ResponseAction
from tocsin.types import AlertId, RegionCode, ThreatId, iso_time

MAX_REGIONS: Final = 5000
MAX_PLACES: Final = 100
MAX_ALERTS: Final = 500
MAX_DESCRIPTION: Final = 4000
MAX_PRECISION_M: Final = 1_000_000


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class EventType(StrEnum):
    CREATED = "incident.created"
    UPDATED = "incident.updated"
    CLAIM_ADDED = "incident.claim_added"
    CLAIM_VERIFIED = "incident.claim_verified"
    CLAIM_DISPUTED = "incident.claim_disputed"
    CLAIM_RETRACTED = "incident.claim_retracted"
    RESPONSE_ADDED = "incident.response_added"
    RESPONSE_UPDATED = "incident.response_updated"
    RESPONSE_COMPLETED = "incident.response_completed"
    RESPONSE_CANCELLED = "incident.response_cancelled"
    ALERT_LINKED = "incident.alert_linked"
    CLOSED = "incident.closed"
    REOPENED = "incident.reopened"
    PUBLISHED = "incident.published"


STATUS_EVENTS: Final[Mapping[ClaimStatus, EventType]] = {
    status: EventType(kind) for status, kind in STATUS_EVENT_TYPES.items()
}


@dataclass(frozen=True, slots=True)
class Place:
    """A point where it happened; `precision_m`: how far off it may be, in metres."""

    lat: float
    lon: float
    precision_m: int | None = None
    name: str | None = None

    @classmethod
    def of(
        cls,
        lat: float,
        lon: float,
        precision_m: int | None = None,
        name: str | None = None,
        *,
        field: str = "places[0]",
    ) -> Place:
        if isinstance(lat, bool) or not isinstance(lat, int | float) or not -90 <= lat <= 90:
            raise InvalidInput(f"lat must be from -90 to 90; got {lat!r}", field=f"{field}.lat")
        if isinstance(lon, bool) or not isinstance(lon, int | float) or not -180 <= lon <= 180:
            raise InvalidInput(f"lon must be from -180 to 180; got {lon!r}", field=f"{field}.lon")
        if precision_m is not None and (
            isinstance(precision_m, bool)
            or not isinstance(precision_m, int)
            or not 0 <= precision_m <= MAX_PRECISION_M
        ):
            raise InvalidInput(
                f"precision_m is metres from 0 to {MAX_PRECISION_M}", field=f"{field}.precision_m"
            )
        return cls(float(lat), float(lon), precision_m, text(name, MAX_NAME, f"{field}.name"))

    def to_json(self) -> dict[str, Any]:
        return {
            "lat": self.lat,
            "lon": self.lon,
            "precision_m": self.precision_m,
            "name": self.name,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Place:
        return cls(data["lat"], data["lon"], data.get("precision_m"), data.get("name"))


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    status: IncidentStatus
    start: datetime
    recorded_at: datetime
    updated_at: datetime
    created_by: str
    regions: tuple[RegionCode, ...]
    threats: tuple[ThreatId, ...]
    end: datetime | None = None
    reported_at: datetime | None = None
    places: tuple[Place, ...] = ()
    alerts: tuple[AlertId, ...] = ()
    title: str | None = None
    description: str | None = None
    closed_at: datetime | None = None
    mode: Status = Status.ACTUAL
    version: int = 1
    published_at: datetime | None = None  # None: an actual incident not yet public

    @property
    def is_open(self) -> bool:
        return self.status is IncidentStatus.OPEN

    @property
    def public(self) -> bool:
        return self.published_at is not None

    def publishable_at(self, delay: timedelta) -> datetime:
        """When an officer may publish it: `delay` after its start, never before it was
        recorded (an incident recorded long after it happened may go out at once)."""
        return max(self.start + delay, self.recorded_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "mode": self.mode.value,
            "title": self.title,
            "description": self.description,
            "start": iso_time(self.start),
            "end": iso(self.end),
            "reported_at": iso(self.reported_at),
            "recorded_at": iso_time(self.recorded_at),
            "updated_at": iso_time(self.updated_at),
            "closed_at": iso(self.closed_at),
            "created_by": self.created_by,
            "regions": list(self.regions),
            "threats": list(self.threats),
            "places": [p.to_json() for p in self.places],
            "alerts": list(self.alerts),
            "version": self.version,
            "published_at": iso(self.published_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Incident:
        return cls(
            id=data["id"],
            status=IncidentStatus(data["status"]),
            mode=Status(data["mode"]),
            start=datetime.fromisoformat(data["start"]),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            created_by=data["created_by"],
            regions=tuple(data["regions"]),
            threats=tuple(data["threats"]),
            end=parse_time(data.get("end")),
            reported_at=parse_time(data.get("reported_at")),
            places=tuple(Place.from_json(p) for p in data.get("places", ())),
            alerts=tuple(data.get("alerts", ())),
            title=data.get("title"),
            description=data.get("description"),
            closed_at=parse_time(data.get("closed_at")),
            version=int(data.get("version", 1)),
            # recorded before publication existed: public from the start, as it always was
            published_at=parse_time(data["published_at"])
            if "published_at" in data
            else datetime.fromisoformat(data["recorded_at"]),
        )


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """An incident with everything recorded about it."""

    incident: Incident
    claims: tuple[Claim, ...] = ()
    responses: tuple[ResponseAction, ...] = ()

    def figures(self) -> dict[Measure, Figure]:
        return derive_figures(self.claims)

    def history(self) -> dict[Measure, list[Revision]]:
        return figure_history(self.claims)

    def claim(self, claim_id: str) -> Claim | None:
        return next((c for c in self.claims if c.id == claim_id), None)

    def response(self, response_id: str) -> ResponseAction | None:
        return next((r for r in self.responses if r.id == response_id), None)


@dataclass(frozen=True, slots=True)
class CreateIncident:
    regions: Sequence[RegionCode]
    threats: Sequence[ThreatId]
    start: datetime | None
    end: datetime | None = None
    reported_at: datetime | None = None
    places: Sequence[Place] = ()
    title: str | None = None
    description: str | None = None
    alerts: Sequence[AlertId] = ()
    mode: Status = Status.ACTUAL


@dataclass(frozen=True, slots=True)
class AmendIncident:
    title: str | None = None
    description: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    reported_at: datetime | None = None
    add_regions: Sequence[RegionCode] = ()
    add_threats: Sequence[ThreatId] = ()
    add_places: Sequence[Place] = ()


@dataclass(frozen=True, slots=True)
class SourceInput:
    name: str | None
    kind: str = "other"
    originator: str | None = None
    url: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AddClaim:
    measure: str
    source: SourceInput
    value: Any = None
    minimum: Any = None
    maximum: Any = None
    reliability: str | None = None
    weapon: ThreatId | None = None
    supersedes: Sequence[str] = ()
    note: str | None = None
    status: str = ClaimStatus.UNVERIFIED.value
    report: ReportRef | None = None  # the report it was read from (set by report review)


@dataclass(frozen=True, slots=True)
class Change:
    """An accepted change to the incident itself, and what its event records."""

    incident: Incident
    type: EventType
    changes: dict[str, Any] = field(default_factory=dict)


def create_incident(
    cmd: CreateIncident,
    *,
    incident_id: str,
    now: datetime,
    actor: str,
    tree: RegionTree,
    catalogue: Catalogue,
) -> Incident:
    start = utc(cmd.start, "start")
    if start is None:
        raise InvalidInput("an incident needs its start time", field="start")
    end = utc(cmd.end, "end")
    _check_window(start, end)
    alerts = tuple(dict.fromkeys(cmd.alerts))
    if len(alerts) > MAX_ALERTS:
        raise InvalidInput(f"at most {MAX_ALERTS} alerts per incident", field="alerts")
    mode = parse_enum(Status, cmd.mode, "mode")
    return Incident(
        id=incident_id,
        status=IncidentStatus.OPEN,
        mode=mode,
        published_at=None if mode is Status.ACTUAL else now,  # a drill reveals no strike
        start=start,
        end=end,
        reported_at=utc(cmd.reported_at, "reported_at"),
        recorded_at=now,
        updated_at=now,
        created_by=actor,
        regions=valid_regions(cmd.regions, tree, "regions", required=True),
        threats=_valid_threats(cmd.threats, catalogue, "threats", required=True),
        places=_places(cmd.places),
        alerts=alerts,
        title=text(cmd.title, MAX_NAME, "title"),
        description=text(cmd.description, MAX_DESCRIPTION, "description"),
    )


def amend_incident(
    incident: Incident,
    cmd: AmendIncident,
    *,
    now: datetime,
    tree: RegionTree,
    catalogue: Catalogue,
) -> Change | None:
    """Change the title, description or times, or add regions, threats or places.

    None when it changes nothing. Regions, threats and places are only ever added.
    """
    require_open(incident, "amend")
    fields: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for name, limit in (("title", MAX_NAME), ("description", MAX_DESCRIPTION)):
        value = text(getattr(cmd, name), limit, name)
        if value is not None and value != getattr(incident, name):
            fields[name] = value
            changes[name] = {"from": getattr(incident, name), "to": value}
    for name in ("start", "end", "reported_at"):
        moment = utc(getattr(cmd, name), name)
        if moment is not None and moment != getattr(incident, name):
            fields[name] = moment
            changes[name] = {"from": iso(getattr(incident, name)), "to": iso_time(moment)}
    _check_window(fields.get("start", incident.start), fields.get("end", incident.end))
    _add(
        fields,
        changes,
        "regions",
        incident.regions,
        valid_regions(cmd.add_regions, tree, "add_regions"),
    )
    _add(
        fields,
        changes,
        "threats",
        incident.threats,
        _valid_threats(cmd.add_threats, catalogue, "add_threats"),
    )
    new_places = [p for p in _places(cmd.add_places, "add_places") if p not in incident.places]
    if new_places:
        fields["places"] = (*incident.places, *new_places)
        changes["places"] = {"added": [p.to_json() for p in new_places]}
    if not fields:
        return None
    amended = replace(incident, updated_at=now, version=incident.version + 1, **fields)
    return Change(amended, EventType.UPDATED, changes)


def close_incident(incident: Incident, *, now: datetime, end: datetime | None = None) -> Change:
    require_open(incident, "close")
    end = utc(end, "end") or incident.end
    _check_window(incident.start, end)
    closed = replace(
        incident,
        status=IncidentStatus.CLOSED,
        end=end,
        closed_at=now,
        updated_at=now,
        version=incident.version + 1,
    )
    changes = {"status": {"from": "open", "to": "closed"}, "end": iso(end)}
    return Change(closed, EventType.CLOSED, changes)


def reopen_incident(incident: Incident, *, now: datetime) -> Change:
    if incident.is_open:
        raise IllegalTransition(f"incident {incident.id} is already open", field="status")
    reopened = replace(
        incident,
        status=IncidentStatus.OPEN,
        closed_at=None,
        updated_at=now,
        version=incident.version + 1,
    )
    return Change(reopened, EventType.REOPENED, {"status": {"from": "closed", "to": "open"}})


def publish_incident(incident: Incident, *, now: datetime, delay: timedelta) -> Change:
    """Make an actual incident public, once `delay` has passed since it started."""
    if incident.public:
        raise Conflict(f"incident {incident.id} is already public", field="published_at")
    allowed = incident.publishable_at(delay)
    if now < allowed:
        raise Conflict(
            f"incident {incident.id} may be published from {iso_time(allowed)}: strike "
            "locations made public sooner help the attacker",
            field="published_at",
            code="too_early",
        )
    published = replace(incident, published_at=now, updated_at=now, version=incident.version + 1)
    return Change(published, EventType.PUBLISHED, {"published_at": iso_time(now)})


def link_alerts(
    incident: Incident, alert_ids: Sequence[AlertId], *, now: datetime
) -> Change | None:
    """Link alerts (known to exist); None when every one is linked already."""
    require_open(incident, "link alerts to")
    if not alert_ids:
        raise InvalidInput("name at least one alert to link", field="alerts")
    added = [a for a in dict.fromkeys(alert_ids) if a not in incident.alerts]
    if not added:
        return None
    if len(incident.alerts) + len(added) > MAX_ALERTS:
        raise InvalidInput(f"at most {MAX_ALERTS} alerts per incident", field="alerts")
    linked = replace(
        incident, alerts=(*incident.alerts, *added), updated_at=now, version=incident.version + 1
    )
    return Change(linked, EventType.ALERT_LINKED, {"alerts": {"added": added}})


def require_open(incident: Incident, action: str) -> None:
    if not incident.is_open:
        raise IllegalTransition(
            f"incident {incident.id} is closed: cannot {action} it (reopen it first)",
            field="status",
            code="incident_closed",
        )


def valid_regions(
    codes: Iterable[RegionCode], tree: RegionTree, name: str, *, required: bool = False
) -> tuple[RegionCode, ...]:
    given = tuple(codes)
    if required and not given:
        raise InvalidInput("an incident needs at least one region", field=name)
    if len(given) > MAX_REGIONS:
        raise InvalidInput(f"at most {MAX_REGIONS} regions per incident", field=name)
    for index, code in enumerate(given):
        if not isinstance(code, str):
            raise InvalidInput(f"a region code is text; got {code!r}", field=f"{name}[{index}]")
        tree.require(code, field=f"{name}[{index}]")
    return tuple(dict.fromkeys(given))


def _valid_threats(
    ids: Iterable[ThreatId], catalogue: Catalogue, name: str, *, required: bool = False
) -> tuple[ThreatId, ...]:
    given = tuple(ids)
    if required and not given:
        raise InvalidInput("an incident needs at least one threat type", field=name)
    known = tuple(
        threat_id(threat, catalogue, f"{name}[{index}]") for index, threat in enumerate(given)
    )
    return tuple(dict.fromkeys(known))


def threat_id(value: str, catalogue: Catalogue, field: str) -> ThreatId:
    """A threat type id, or a common word for one ("drone" for uav) if the catalogue lacks it."""
    if not isinstance(value, str):
        raise InvalidInput(f"a threat type is an id such as missile; got {value!r}", field=field)
    key = value.strip()
    if key not in catalogue:
        alias = catalogue.by_alias(key)
        key = key if alias is None else alias.id
    return catalogue.require(key, field=field).id


def _places(places: Sequence[Place], name: str = "places") -> tuple[Place, ...]:
    if len(places) > MAX_PLACES:
        raise InvalidInput(f"at most {MAX_PLACES} places", field=name)
    return tuple(dict.fromkeys(places))


def _add(
    fields: dict[str, Any],
    changes: dict[str, Any],
    name: str,
    current: tuple[str, ...],
    given: tuple[str, ...],
) -> None:
    added = [g for g in given if g not in current]
    if added:
        fields[name] = (*current, *added)
        changes[name] = {"added": added}


def _check_window(start: datetime, end: datetime | None) -> None:
    if end is not None and end < start:
        raise InvalidInput(
            f"end ({iso_time(end)}) is before start ({iso_time(start)})",
            field="end",
            code="end_before_start",
        )

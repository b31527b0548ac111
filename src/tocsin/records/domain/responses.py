"""Response actions: what is being done about an incident, and how far it has got.

An action (a crew sent to assess, repair or rescue; an evacuation; a shelter opened; a utility
being restored) is recorded once; its progress is a list of appended updates:

    planned ──► in_progress ──► completed
       │             │
       └─────────────┴────────► cancelled          (completed and cancelled are final)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from tocsin.errors import IllegalTransition, InvalidInput
from tocsin.records.domain.claims import MAX_NAME, MAX_NOTE, iso, parse_enum, parse_time, text, utc
from tocsin.records.domain.quantities import MAX_COUNT
from tocsin.types import iso_time


class ResponseKind(StrEnum):
    CREW = "crew"  # a crew or unit sent out; `task` says what for
    EVACUATION = "evacuation"
    SHELTER = "shelter"  # a shelter or heating point opened
    UTILITY_RESTORATION = "utility_restoration"  # `utility` says which
    OTHER = "other"


class Task(StrEnum):
    ASSESSMENT = "assessment"
    REPAIR = "repair"
    RESCUE = "rescue"
    FIREFIGHTING = "firefighting"
    MEDICAL = "medical"
    DEMINING = "demining"
    DEBRIS_REMOVAL = "debris_removal"
    OTHER = "other"


class Utility(StrEnum):
    POWER = "power"
    WATER = "water"
    HEAT = "heat"
    GAS = "gas"
    COMMUNICATIONS = "communications"


class ResponseStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


KIND_ALIASES: Final = {
    "crew_dispatched": "crew",
    "dispatch": "crew",
    "team": "crew",
    "evacuations": "evacuation",
    "shelter_opened": "shelter",
    "shelters": "shelter",
    "restoration": "utility_restoration",
    "utility": "utility_restoration",
    "utility_restored": "utility_restoration",
}
FINAL: Final = frozenset({ResponseStatus.COMPLETED, ResponseStatus.CANCELLED})
NEXT: Final = {
    ResponseStatus.PLANNED: frozenset(ResponseStatus),
    ResponseStatus.IN_PROGRESS: frozenset(ResponseStatus) - {ResponseStatus.PLANNED},
}


@dataclass(frozen=True, slots=True)
class ResponseUpdate:
    status: ResponseStatus
    at: datetime  # when it happened
    by: str
    recorded_at: datetime
    progress: int | None = None
    note: str | None = None
    expected_at: datetime | None = None
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "at": iso_time(self.at),
            "progress": self.progress,
            "note": self.note,
            "expected_at": iso(self.expected_at),
            "by": self.by,
            "recorded_at": iso_time(self.recorded_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, seq: int = 0) -> ResponseUpdate:
        return cls(
            ResponseStatus(data["status"]),
            datetime.fromisoformat(data["at"]),
            data["by"],
            datetime.fromisoformat(data["recorded_at"]),
            data.get("progress"),
            data.get("note"),
            parse_time(data.get("expected_at")),
            seq,
        )


@dataclass(frozen=True, slots=True)
class ResponseAction:
    id: str
    incident_id: str
    kind: ResponseKind
    started_at: datetime
    recorded_at: datetime
    recorded_by: str
    task: Task | None = None
    utility: Utility | None = None
    party: str | None = None  # who: "SES unit 3", "Kharkivoblenergo"
    description: str | None = None
    people: int | None = None  # evacuated, sheltered, or in the crew
    expected_at: datetime | None = None  # expected completion (a utility's restoration time)
    initial_status: ResponseStatus = ResponseStatus.IN_PROGRESS
    initial_progress: int | None = None
    seq: int = 0
    updates: tuple[ResponseUpdate, ...] = ()

    @property
    def status(self) -> ResponseStatus:
        return self.updates[-1].status if self.updates else self.initial_status

    @property
    def progress(self) -> int | None:
        if self.status is ResponseStatus.COMPLETED:
            return 100
        given = [u.progress for u in self.updates if u.progress is not None]
        return given[-1] if given else self.initial_progress

    @property
    def expected(self) -> datetime | None:
        given = [u.expected_at for u in self.updates if u.expected_at is not None]
        return given[-1] if given else self.expected_at

    @property
    def completed_at(self) -> datetime | None:
        done = [u.at for u in self.updates if u.status is ResponseStatus.COMPLETED]
        return done[-1] if done else None

    def to_json(self) -> dict[str, Any]:
        """The action as recorded (without its later updates)."""
        return {
            "id": self.id,
            "incident_id": self.incident_id,
            "kind": self.kind.value,
            "task": None if self.task is None else self.task.value,
            "utility": None if self.utility is None else self.utility.value,
            "party": self.party,
            "description": self.description,
            "people": self.people,
            "started_at": iso_time(self.started_at),
            "expected_at": iso(self.expected_at),
            "initial_status": self.initial_status.value,
            "initial_progress": self.initial_progress,
            "recorded_at": iso_time(self.recorded_at),
            "recorded_by": self.recorded_by,
        }

    @classmethod
    def from_json(
        cls, data: dict[str, Any], *, seq: int = 0, updates: tuple[ResponseUpdate, ...] = ()
    ) -> ResponseAction:
        return cls(
            id=data["id"],
            incident_id=data["incident_id"],
            kind=ResponseKind(data["kind"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            recorded_by=data["recorded_by"],
            task=None if data.get("task") is None else Task(data["task"]),
            utility=None if data.get("utility") is None else Utility(data["utility"]),
            party=data.get("party"),
            description=data.get("description"),
            people=data.get("people"),
            expected_at=parse_time(data.get("expected_at")),
            initial_status=ResponseStatus(data["initial_status"]),
            initial_progress=data.get("initial_progress"),
            seq=seq,
            updates=updates,
        )


@dataclass(frozen=True, slots=True)
class AddResponse:
    kind: str
    task: str | None = None
    utility: str | None = None
    party: str | None = None
    description: str | None = None
    people: int | None = None
    started_at: datetime | None = None
    expected_at: datetime | None = None
    status: str = ResponseStatus.IN_PROGRESS.value
    progress: int | None = None


@dataclass(frozen=True, slots=True)
class UpdateResponse:
    status: str | None = None
    progress: int | None = None
    note: str | None = None
    expected_at: datetime | None = None
    at: datetime | None = None


def new_response(
    cmd: AddResponse, *, response_id: str, incident_id: str, now: datetime, actor: str
) -> ResponseAction:
    kind = parse_enum(ResponseKind, KIND_ALIASES.get(str(cmd.kind).strip(), cmd.kind), "kind")
    task = None if cmd.task is None else parse_enum(Task, cmd.task, "task")
    utility = None if cmd.utility is None else parse_enum(Utility, cmd.utility, "utility")
    if kind is ResponseKind.CREW and task is None:
        raise InvalidInput(
            "a crew needs its task: " + ", ".join(t.value for t in Task), field="task"
        )
    if kind is ResponseKind.UTILITY_RESTORATION and utility is None:
        raise InvalidInput(
            "a utility restoration needs the utility: " + ", ".join(u.value for u in Utility),
            field="utility",
        )
    status = parse_enum(ResponseStatus, cmd.status, "status")
    if status in FINAL:
        raise InvalidInput("record the action first, then complete or cancel it", field="status")
    started = utc(cmd.started_at, "started_at") or now
    expected = _expected(cmd.expected_at, started)
    return ResponseAction(
        id=response_id,
        incident_id=incident_id,
        kind=kind,
        started_at=started,
        recorded_at=now,
        recorded_by=actor,
        task=task,
        utility=utility,
        party=text(cmd.party, MAX_NAME, "party"),
        description=text(cmd.description, MAX_NOTE, "description"),
        people=_people(cmd.people),
        expected_at=expected,
        initial_status=status,
        initial_progress=_progress(cmd.progress),
    )


def update_response(
    action: ResponseAction, cmd: UpdateResponse, *, now: datetime, actor: str
) -> ResponseUpdate:
    """Progress, a new expected time, completion or cancellation: the update to append."""
    if action.status in FINAL:
        raise IllegalTransition(
            f"response {action.id} is {action.status.value}; it cannot change any more",
            field="status",
        )
    status = (
        action.status if cmd.status is None else parse_enum(ResponseStatus, cmd.status, "status")
    )
    if status not in NEXT[action.status]:
        raise IllegalTransition(
            f"response {action.id} is {action.status.value}; it cannot go back to {status.value}",
            field="status",
        )
    note = text(cmd.note, MAX_NOTE, "note")
    progress = _progress(cmd.progress)
    expected = _expected(cmd.expected_at, action.started_at)
    if status is action.status and progress is None and note is None and expected is None:
        raise InvalidInput(
            "nothing to update: give status, progress, note or expected_at", field="status"
        )
    at = utc(cmd.at, "at") or now
    return ResponseUpdate(status, at, actor, now, progress, note, expected)


def _expected(value: datetime | None, started: datetime) -> datetime | None:
    expected = utc(value, "expected_at")
    if expected is not None and expected < started:
        raise InvalidInput("expected_at is before the action started", field="expected_at")
    return expected


def _progress(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(
            f"progress is a percentage from 0 to 100; got {value!r}", field="progress"
        )
    return value


def _people(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"people must be a whole number; got {value!r}", field="people")
    if value < 0:
        raise InvalidInput("people cannot be negative", field="people", code="negative_count")
    if value > MAX_COUNT:
        raise InvalidInput(f"people is at most {MAX_COUNT}", field="people")
    return value

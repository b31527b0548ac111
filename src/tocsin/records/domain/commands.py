"""Commands on the record: what an entry point asks of incidents and of the history import.

Each has one handler on the command bus (`tocsin.records.handlers`), which authorizes the caller,
checks a console session's mode, and commits the change with its event and audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from tocsin.records.domain import incidents as i
from tocsin.records.domain import reports as rp
from tocsin.records.domain import responses as r
from tocsin.records.domain.history import Batch, ImportRecord
from tocsin.types import AlertId


@dataclass(frozen=True, slots=True)
class RecordIncident:
    name: ClassVar[str] = "incident.record"
    incident: i.CreateIncident
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class AmendIncident:
    name: ClassVar[str] = "incident.amend"
    incident_id: str
    change: i.AmendIncident


@dataclass(frozen=True, slots=True)
class LinkAlerts:
    name: ClassVar[str] = "incident.link_alerts"
    incident_id: str
    alert_ids: Sequence[AlertId]


@dataclass(frozen=True, slots=True)
class CloseIncident:
    name: ClassVar[str] = "incident.close"
    incident_id: str
    end: datetime | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ReopenIncident:
    name: ClassVar[str] = "incident.reopen"
    incident_id: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PublishIncident:
    """Make an actual incident public; refused before `delay` has passed since it started (the
    service passes the configured delay)."""

    name: ClassVar[str] = "incident.publish"
    incident_id: str
    delay: timedelta


@dataclass(frozen=True, slots=True)
class AddClaim:
    name: ClassVar[str] = "incident.claim"
    incident_id: str
    claim: i.AddClaim
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeClaim:
    """Verify, dispute or retract a claim (`action`)."""

    name: ClassVar[str] = "incident.change_claim"
    incident_id: str
    claim_id: str
    action: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AddResponse:
    name: ClassVar[str] = "incident.respond"
    incident_id: str
    response: r.AddResponse


@dataclass(frozen=True, slots=True)
class UpdateResponse:
    """Progress, a new expected time, completion or cancellation of a response action."""

    name: ClassVar[str] = "incident.update_response"
    incident_id: str
    response_id: str
    change: r.UpdateResponse


@dataclass(frozen=True, slots=True)
class ImportBatch:
    """One batch of an alert history import, and the import's progress before it (`new`: the
    import has no progress row yet)."""

    name: ClassVar[str] = "history.import"
    record: ImportRecord
    new: bool
    batch: Batch


@dataclass(frozen=True, slots=True)
class ReceiveReport:
    """Store a report with what was read from it, its matches and its proposals."""

    name: ClassVar[str] = "report.receive"
    report: rp.Report


@dataclass(frozen=True, slots=True)
class DecideProposal:
    """Accept (with `edits`) or reject one proposal of a report. Accepting records what it
    proposes through the incident commands (`RecordIncident`, `AddClaim`)."""

    name: ClassVar[str] = "report.decide"
    report_id: str
    proposal_id: str
    accept: bool
    edits: rp.Edits = field(default_factory=rp.Edits)
    note: str | None = None

"""The record's ports: the repositories its handlers write through, on top of the warning
path's unit of work (`tocsin.service.ports.UnitOfWork`), which knows nothing of the record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, cast

from tocsin.domain.events import NewEvent
from tocsin.records.domain.claims import Claim, StatusChange
from tocsin.records.domain.history import ImportRecord, NewAlerts
from tocsin.records.domain.incidents import Incident, IncidentRecord
from tocsin.records.domain.reports import Proposal, Report
from tocsin.records.domain.responses import ResponseAction, ResponseUpdate
from tocsin.service.ports import UnitOfWork
from tocsin.types import AlertId


class IncidentRepository(Protocol):
    """The record of incidents. A write names the event that records it: its rows carry that
    event's seq, and are written once the unit of work has numbered its events."""

    async def get(self, incident_id: str) -> IncidentRecord | None: ...

    async def known_alerts(self, alert_ids: Sequence[AlertId]) -> set[AlertId]: ...

    async def add(self, incident: Incident, event: NewEvent) -> None: ...

    async def update(self, before: Incident, after: Incident, event: NewEvent) -> None: ...

    async def add_claim(self, claim: Claim, event: NewEvent) -> None: ...

    async def change_claim(self, claim: Claim, change: StatusChange, event: NewEvent) -> None: ...

    async def add_response(self, action: ResponseAction, event: NewEvent) -> None: ...

    async def update_response(
        self, action: ResponseAction, change: ResponseUpdate, event: NewEvent
    ) -> None: ...


class HistoryRepository(Protocol):
    """Imported alert history: a batch's rows in bulk, and each import's progress."""

    async def existing(self, ids: Sequence[AlertId]) -> set[AlertId]: ...

    async def add(self, new: NewAlerts) -> None: ...

    async def save_progress(self, record: ImportRecord, *, new: bool) -> None: ...


class ReportRepository(Protocol):
    """Reports and their proposals."""

    async def get(self, report_id: str) -> Report | None: ...

    async def add(self, report: Report) -> None: ...

    async def save_proposal(self, report_id: str, proposal: Proposal) -> None: ...


class RecordsUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also holds the record's repositories."""

    @property
    def incidents(self) -> IncidentRepository: ...

    @property
    def history(self) -> HistoryRepository: ...

    @property
    def reports(self) -> ReportRepository: ...


def records_of(uow: UnitOfWork) -> RecordsUnitOfWork:
    """The record's view of a unit of work (every unit of work tocsin builds has it)."""
    if not all(hasattr(uow, name) for name in ("incidents", "history", "reports")):
        raise TypeError(f"{type(uow).__name__} holds no record repositories")
    return cast(RecordsUnitOfWork, uow)

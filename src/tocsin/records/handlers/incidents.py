"""Incidents: the entry points' way to send incident commands, and the reads.

Every command goes to the command bus (`tocsin.records.handlers.incident_commands` holds the
handlers): the bus authorizes it, checks a console session's mode, and commits the incident's
rows with one `incident.*` event and one audit row, or nothing when it is refused. The service
then answers with the record as committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tocsin.domain.alerts import Status
from tocsin.domain.auth import Actor
from tocsin.domain.events import Event
from tocsin.domain.threats import Catalogue
from tocsin.errors import InvalidInput, NotFound
from tocsin.records.domain import commands as rc
from tocsin.records.domain.claims import Claim
from tocsin.records.domain.incidents import (
    AddClaim,
    AmendIncident,
    CreateIncident,
    IncidentRecord,
)
from tocsin.records.domain.responses import AddResponse, ResponseAction, UpdateResponse
from tocsin.records.handlers.incident_commands import claim_of
from tocsin.records.storage.incident_store import IncidentQuery, IncidentStore
from tocsin.service.bus import CommandBus
from tocsin.service.ports import CommitListener
from tocsin.service.queries import parse_statuses
from tocsin.service.regions import RegionService
from tocsin.storage.store import Store
from tocsin.types import AlertId, RegionCode


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Filters as clients send them; checked here."""

    region: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    threat: str | None = None  # threat ids, comma-separated
    status: str | None = None  # open or closed
    mode: str = "actual"  # actual, exercise, test (comma-separated) or all
    before: tuple[datetime, str] | None = None
    limit: int | None = 100
    public_only: bool = False  # the public's read: published incidents only


DEFAULT_PUBLISH_DELAY = timedelta(hours=6)


class IncidentService:
    def __init__(
        self,
        bus: CommandBus,
        store: Store,
        regions: RegionService,
        publish_delay: timedelta = DEFAULT_PUBLISH_DELAY,
    ) -> None:
        self.bus = bus
        self.store = store
        self.regions = regions
        self.reads = IncidentStore(store)
        self.publish_delay = publish_delay

    @property
    def catalogue(self) -> Catalogue:
        return self.bus.catalogue

    @property
    def listeners(self) -> list[CommitListener]:
        """Told about every commit of the bus (incidents' and every other command's)."""
        return self.bus.listeners

    # --- commands ----------------------------------------------------------------------------

    async def create(
        self, cmd: CreateIncident, actor: Actor, *, idempotency_key: str | None = None
    ) -> tuple[IncidentRecord, bool]:
        """Record an incident; returns it and whether it is new (False: a replayed request)."""
        made, new = await self.bus.handle(rc.RecordIncident(cmd, idempotency_key), actor)
        return await self.get(made), new

    async def amend(self, incident_id: str, cmd: AmendIncident, actor: Actor) -> IncidentRecord:
        return await self._change(rc.AmendIncident(incident_id, cmd), actor)

    async def link_alerts(
        self, incident_id: str, alert_ids: Sequence[AlertId], actor: Actor
    ) -> IncidentRecord:
        return await self._change(rc.LinkAlerts(incident_id, tuple(alert_ids)), actor)

    async def close(
        self,
        incident_id: str,
        actor: Actor,
        *,
        end: datetime | None = None,
        note: str | None = None,
    ) -> IncidentRecord:
        return await self._change(rc.CloseIncident(incident_id, end, note), actor)

    async def reopen(
        self, incident_id: str, actor: Actor, *, note: str | None = None
    ) -> IncidentRecord:
        return await self._change(rc.ReopenIncident(incident_id, note), actor)

    async def publish(self, incident_id: str, actor: Actor) -> IncidentRecord:
        """Make an actual incident public (refused before the configured delay has passed)."""
        return await self._change(rc.PublishIncident(incident_id, self.publish_delay), actor)

    async def add_claim(
        self,
        incident_id: str,
        cmd: AddClaim,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> tuple[IncidentRecord, Claim, bool]:
        """Add a claim; returns the incident, the claim and whether it is new (False: a
        replayed request, answered with the claim the first one added)."""
        made, new = await self.bus.handle(rc.AddClaim(incident_id, cmd, idempotency_key), actor)
        record = await self.get(incident_id)
        return record, claim_of(record, made), new

    async def change_claim(
        self,
        incident_id: str,
        claim_id: str,
        action: str,
        actor: Actor,
        note: str | None = None,
    ) -> tuple[IncidentRecord, Claim]:
        """Verify, dispute or retract a claim (`action`: verify, dispute, retract)."""
        await self.bus.handle(rc.ChangeClaim(incident_id, claim_id, action, note), actor)
        record = await self.get(incident_id)
        return record, claim_of(record, claim_id)

    async def add_response(
        self, incident_id: str, cmd: AddResponse, actor: Actor
    ) -> tuple[IncidentRecord, ResponseAction]:
        made = await self.bus.handle(rc.AddResponse(incident_id, cmd), actor)
        return await self._response(incident_id, made)

    async def update_response(
        self, incident_id: str, response_id: str, cmd: UpdateResponse, actor: Actor
    ) -> tuple[IncidentRecord, ResponseAction]:
        """Progress, a new expected time, completion (`status: completed`) or cancellation."""
        await self.bus.handle(rc.UpdateResponse(incident_id, response_id, cmd), actor)
        return await self._response(incident_id, response_id)

    # --- reads -------------------------------------------------------------------------------

    async def get(self, incident_id: str, *, public_only: bool = False) -> IncidentRecord:
        """The incident; for the public (`public_only`), one not yet published is not found."""
        record = await self.reads.record(incident_id)
        if record is None or (public_only and not record.incident.public):
            raise NotFound(f"no incident {incident_id!r}", field="id")
        return record

    async def find(self, f: IncidentFilter) -> list[IncidentRecord]:
        return await self.reads.find(self.query(f))

    async def timeline(self, incident_id: str, *, public_only: bool = False) -> list[Event]:
        await self.get(incident_id, public_only=public_only)
        return await self.reads.timeline(incident_id)

    def query(self, f: IncidentFilter) -> IncidentQuery:
        if f.since and f.until and f.until <= f.since:
            raise InvalidInput("until must be after since", field="until")
        if f.status is not None and f.status not in ("open", "closed"):
            raise InvalidInput(f"status must be open or closed; got {f.status!r}", field="status")
        modes = {s.value for s in parse_statuses(f.mode, "mode")}
        return IncidentQuery(
            since=f.since,
            until=f.until,
            regions=None if f.region is None else frozenset(self.area(f.region)),
            threats=None if f.threat is None else frozenset(self._threats(f.threat)),
            status=f.status,
            modes=None if len(modes) == len(Status) else frozenset(modes),
            before=f.before,
            limit=f.limit,
            public_only=f.public_only,
        )

    def area(self, code: RegionCode) -> set[RegionCode]:
        """The region and every region within it."""
        tree = self.regions.tree
        tree.require(code, field="region")
        return {code, *tree.descendants(code)}

    # --- plumbing ---------------------------------------------------------------------------

    async def _change(self, cmd: Any, actor: Actor) -> IncidentRecord:
        incident_id: str = await self.bus.handle(cmd, actor)
        return await self.get(incident_id)

    async def _response(
        self, incident_id: str, response_id: str
    ) -> tuple[IncidentRecord, ResponseAction]:
        record = await self.get(incident_id)
        action = record.response(response_id)
        if action is None:
            raise NotFound(f"no response {response_id!r} in incident {incident_id}")
        return record, action

    def _threats(self, text: str) -> set[str]:
        ids = {part.strip() for part in text.split(",") if part.strip()}
        if not ids:
            raise InvalidInput("threat must name at least one threat id", field="threat")
        for threat_id in ids:
            self.catalogue.require(threat_id, field="threat")
        return ids

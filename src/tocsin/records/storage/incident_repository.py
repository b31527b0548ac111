"""Incidents within one unit of work: the reads a handler decides on, and its writes.

Every row an incident command appends names the seq of the event that recorded it (the claim's
`seq`, a status change's, `incident_log` for the timeline). Events are numbered only when the
unit of work commits, so those rows are staged with their event and written by `settle`, which
the unit of work calls once it has appended the events, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace

from tocsin.domain.events import Event, NewEvent
from tocsin.records.domain.claims import Claim, StatusChange
from tocsin.records.domain.incidents import Incident, IncidentRecord
from tocsin.records.domain.responses import ResponseAction, ResponseUpdate
from tocsin.records.storage import incident_store as db
from tocsin.storage.store import Tx
from tocsin.types import AlertId

Staged = tuple[NewEvent, str, Callable[[int], Awaitable[None]]]


class SqlIncidents:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._staged: list[Staged] = []

    async def get(self, incident_id: str) -> IncidentRecord | None:
        return await db.load_record(self._tx.conn, incident_id)

    async def known_alerts(self, alert_ids: Sequence[AlertId]) -> set[AlertId]:
        """Which of `alert_ids` name alerts in the store."""
        return await db.existing_alerts(self._tx, [a for a in alert_ids if "\x00" not in a])

    async def add(self, incident: Incident, event: NewEvent) -> None:
        tx = self._tx
        self._stage(event, incident.id, lambda seq: db.insert_incident(tx, incident, seq))

    async def update(self, before: Incident, after: Incident, event: NewEvent) -> None:
        tx = self._tx
        self._stage(event, after.id, lambda seq: db.update_incident(tx, before, after, seq))

    async def add_claim(self, claim: Claim, event: NewEvent) -> None:
        tx = self._tx
        self._stage(
            event, claim.incident_id, lambda seq: db.insert_claim(tx, replace(claim, seq=seq))
        )

    async def change_claim(self, claim: Claim, change: StatusChange, event: NewEvent) -> None:
        async def write(seq: int) -> None:
            await db.insert_status_change(self._tx, claim, replace(change, seq=seq))

        self._stage(event, claim.incident_id, write)

    async def add_response(self, action: ResponseAction, event: NewEvent) -> None:
        tx = self._tx
        self._stage(
            event, action.incident_id, lambda seq: db.insert_response(tx, replace(action, seq=seq))
        )

    async def update_response(
        self, action: ResponseAction, change: ResponseUpdate, event: NewEvent
    ) -> None:
        async def write(seq: int) -> None:
            await db.insert_response_update(self._tx, action, replace(change, seq=seq))

        self._stage(event, action.incident_id, write)

    async def settle(self, numbered: Mapping[int, Event]) -> None:
        """Write what was staged, now that `numbered` (by `id()` of each `NewEvent`) gives
        every event its seq; each event goes into its incident's timeline."""
        staged, self._staged = self._staged, []
        for new, incident_id, write in staged:
            event = numbered[id(new)]
            await write(event.seq)
            await db.log(self._tx, incident_id, event)

    def _stage(
        self, event: NewEvent, incident_id: str, write: Callable[[int], Awaitable[None]]
    ) -> None:
        self._staged.append((event, incident_id, write))

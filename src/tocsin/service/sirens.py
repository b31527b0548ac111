"""The siren registry: register, list, get, remove. Each change is one event in the log."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tocsin.domain.auth import Actor, Role, require_role
from tocsin.domain.events import Event
from tocsin.errors import Conflict, InvalidInput, NotFound
from tocsin.service.ports import Clock, CommitListener
from tocsin.service.regions import RegionService
from tocsin.storage.siren_store import (
    SirenRecord,
    SirenStore,
    delete_siren,
    get_siren,
    insert_siren,
)
from tocsin.storage.store import Store, Tx
from tocsin.types import iso_time

SIREN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_NAME = 200


class SirenService:
    def __init__(
        self,
        store: Store,
        regions: RegionService,
        clock: Clock,
        listeners: Sequence[CommitListener] = (),
    ) -> None:
        self.store = store
        self.sirens = SirenStore(store.engine)
        self.regions = regions
        self.clock = clock
        self.listeners = list(listeners)

    async def register(
        self, siren_id: str, region: str, actor: Actor, name: str | None = None
    ) -> SirenRecord:
        """Register a siren at a region; it sounds for alerts covering that region."""
        require_role(actor, Role.ADMIN)
        check_id(siren_id)
        self.regions.tree.require(region, field="region")
        label = _name(name, siren_id)
        async with self.store.write() as tx:
            if await get_siren(tx.conn, siren_id) is not None:
                raise Conflict(
                    f"siren {siren_id!r} is already registered; remove it first to move it",
                    field="id",
                    code="siren_exists",
                )
            record = SirenRecord(siren_id, region, label, self.clock.now())
            event = await self._record(tx, "siren.registered", actor, record)
            record = replace(record, last_ack_seq=event.seq)  # nothing before it is owed to it
            await insert_siren(tx.conn, record)
        self._tell(tx)
        return record

    async def list(self, region: str | None = None) -> list[SirenRecord]:
        """Every siren, or those at `region` and the regions within it."""
        records = await self.sirens.all()
        if region is None:
            return records
        tree = self.regions.tree
        tree.require(region, field="region")
        return [r for r in records if r.region in tree and tree.within(r.region, {region})]

    async def get(self, siren_id: str) -> SirenRecord:
        record = await self.sirens.get(siren_id) if SIREN_ID.fullmatch(siren_id) else None
        if record is None:
            raise NotFound(f"no siren {siren_id!r}", field="id")
        return record

    async def remove(self, siren_id: str, actor: Actor) -> SirenRecord:
        require_role(actor, Role.ADMIN)
        record = await self.get(siren_id)
        async with self.store.write() as tx:
            if not await delete_siren(tx.conn, siren_id):
                raise NotFound(f"no siren {siren_id!r}", field="id")
            await self._record(tx, "siren.removed", actor, record)
        self._tell(tx)
        return record

    async def _record(self, tx: Tx, kind: str, actor: Actor, record: SirenRecord) -> Event:
        return await tx.append(
            type=kind,
            time=self.clock.now(),
            actor=actor.label,
            alert_id=None,
            data={"siren": {"id": record.id, "region": record.region, "name": record.name}},
        )

    def _tell(self, tx: Tx) -> None:
        for listener in self.listeners:
            listener.committed(tx.events)


def check_id(siren_id: str) -> str:
    if not SIREN_ID.fullmatch(siren_id):
        raise InvalidInput(
            "a siren id is 1 to 64 letters, digits, '-' or '_' (it is part of MQTT topics); "
            f"got {siren_id!r}",
            field="id",
        )
    return siren_id


def siren_view(record: SirenRecord) -> dict[str, Any]:
    """A siren as the API and the CLI show it."""
    acked = record.last_ack_at is not None
    return {
        "id": record.id,
        "region": record.region,
        "name": record.name,
        "registered_at": iso_time(record.registered_at),
        "state": record.state,
        "fault_reason": record.fault_reason,
        "last_heartbeat_at": _iso(record.last_heartbeat_at),
        "last_command_seq": record.last_command_seq,
        "last_command_at": _iso(record.last_command_at),
        "last_ack_seq": record.last_ack_seq if acked else None,
        "last_ack_at": _iso(record.last_ack_at),
    }


def _name(name: str | None, siren_id: str) -> str:
    text = (name or "").strip()
    if len(text) > MAX_NAME:
        raise InvalidInput(f"name is {len(text)} characters; at most {MAX_NAME}", field="name")
    if "\x00" in text:
        raise InvalidInput("name must not contain NUL characters", field="name")
    return text or siren_id


def _iso(value: Any) -> str | None:
    return None if value is None else iso_time(value)

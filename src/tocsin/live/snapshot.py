"""A `LiveState` as bytes: what an edge starts from before it catches up from the log.

The snapshot names the seq it reflects, the region tree (which the log does not carry), the
time any alert last changed, and the events of every alert it holds (each alert is its latest
event's). A writer builds the same bytes from its database (`snapshot_from_store`) for the
cluster to keep; an edge restores them (`restore`, `LiveState.from_snapshot` is the same) and
then applies the log after that seq.

Read while the writer commits, the database may show an alert changed after the seq read
first; the alert is then taken from its own latest event, and folding the log from the seq
skips the events it already has, so the state caught up is the one folded from the start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from tocsin.domain.alerts import PRIVATE_PHASES, Status
from tocsin.domain.events import Event
from tocsin.domain.regions import Region
from tocsin.live.state import LiveState
from tocsin.regions.packs import available_packs, pack_shapes
from tocsin.service.ports import CapReads, Clock, LogHead, RegionReads
from tocsin.types import Seq

FORMAT = 1
PACK_SHAPE = "pack"  # in place of a shape: the one the named region pack ships


class SnapshotError(ValueError):
    """Bytes that are not a snapshot this version reads."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    seq: Seq
    regions_at: Seq
    regions: list[Region]
    last_change: datetime | None
    alerts: list[list[Event]]  # the events of each alert held, oldest first

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "format": FORMAT,
                "seq": self.seq,
                "regions_at": self.regions_at,
                "last_alert_change": _time(self.last_change),
                "regions": [_region(r) for r in self.regions],
                "alerts": [[_event(e) for e in events] for events in self.alerts],
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> Snapshot:
        try:
            body = orjson.loads(data)
            if body.get("format") != FORMAT:
                raise SnapshotError(f"snapshot format {body.get('format')!r}, not {FORMAT}")
            last = body["last_alert_change"]
            return cls(
                seq=int(body["seq"]),
                regions_at=int(body["regions_at"]),
                regions=[_read_region(r) for r in body["regions"]],
                last_change=None if last is None else datetime.fromisoformat(last),
                alerts=[[_read_event(e) for e in events] for events in body["alerts"]],
            )
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SnapshotError):
                raise
            raise SnapshotError(f"not a tocsin snapshot: {exc}") from None

    def state(self, *, clock: Clock, retention: timedelta, elsewhere: str) -> LiveState:
        """The state this snapshot holds (closed alerts past the retention left out)."""
        state = LiveState(
            clock=clock,
            retention=retention,
            regions=self.regions,
            head=self.seq,
            regions_at=self.regions_at,
            elsewhere=elsewhere,
        )
        for events in self.alerts:
            for event in events:
                state.hold(event)
        state.last_change = _latest(state.last_change, self.last_change)
        state.apply([])  # forget what closed too long ago
        return state


def of(state: LiveState) -> Snapshot:
    """What `state` holds, as a snapshot."""
    return Snapshot(
        seq=state.head,
        regions_at=state.regions_at,
        regions=list(state.tree),
        last_change=state.last_change,
        alerts=[held.events for held in state.held],
    )


def encode(state: LiveState) -> bytes:
    return of(state).encode()


def restore(
    data: bytes, *, clock: Clock, retention: timedelta, elsewhere: str = "a writer node"
) -> LiveState:
    """The state a snapshot's bytes hold (`SnapshotError` if they are not one)."""
    return Snapshot.decode(data).state(clock=clock, retention=retention, elsewhere=elsewhere)


async def snapshot_from_store(
    cap: CapReads, regions: RegionReads, head: LogHead, *, now: datetime, retention: timedelta
) -> bytes:
    """The snapshot of a database, as a writer publishes it: the seq is read first, and the
    alerts open or closed within `retention` of `now` with their events after it."""
    seq = await head.last_seq()
    alerts = await cap.feed_alerts(set(Status), now - retention)
    events = await cap.events_of(a.id for a in alerts)
    tree = await regions.regions()
    last = await cap.last_alert_change()
    held = [events[a.id] for a in sorted(alerts, key=lambda a: a.id) if events.get(a.id)]
    public = [found for found in held if _public(found)]
    return Snapshot(seq, seq, tree, last, public).encode()


def _public(events: Iterable[Event]) -> bool:
    alerts = [event.alert for event in events]
    return bool(alerts) and all(a is not None and a.phase not in PRIVATE_PHASES for a in alerts)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _event(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "id": event.id,
        "type": str(event.type),
        "time": event.time.isoformat(),
        "actor": event.actor,
        "alert_id": event.alert_id,
        "data": event.data,
    }


def _read_event(body: dict[str, Any]) -> Event:
    time = datetime.fromisoformat(body["time"])
    return Event(
        body["seq"], body["id"], body["type"], time, body["actor"], body["alert_id"], body["data"]
    )


def _region(region: Region) -> dict[str, Any]:
    if region.pack in available_packs() and region.geometry is not None:
        # a shipped pack's shape is not repeated: every node has the pack (and the snapshot
        # then fits in one NATS message)
        shape: str | None = PACK_SHAPE
    else:
        geometry = region.geojson_geometry()
        shape = None if geometry is None else orjson.dumps(geometry).decode()
    return {
        "code": region.code,
        "level": region.level,
        "names": dict(region.names),
        "parent": region.parent,
        # as the store keeps it: GeoJSON text, so shapes read back the same
        "geometry": shape,
        "time_to_shelter": region.time_to_shelter,
        "external_id": region.external_id,
        "pack": region.pack,
        "katottg": region.katottg,
        "aliases": list(region.aliases),
    }


def _shape(geometry: str | None, code: str, pack: str | None) -> BaseGeometry | None:
    if geometry is None:
        return None
    if geometry == PACK_SHAPE and pack is not None:
        return pack_shapes(pack).get(code)
    return shapely.from_geojson(geometry)


def _read_region(body: dict[str, Any]) -> Region:
    geometry = body["geometry"]
    return Region(
        code=body["code"],
        level=body["level"],
        names=body["names"],
        parent=body["parent"],
        geometry=_shape(geometry, body["code"], body["pack"]),
        time_to_shelter=body["time_to_shelter"],
        external_id=body["external_id"],
        pack=body["pack"],
        katottg=body.get("katottg"),
        aliases=tuple(body.get("aliases", ())),
    )

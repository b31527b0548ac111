"""Events: the append-only record of every accepted change, numbered without gaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tocsin.types import AlertId, Seq, iso_time


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: the log gives it its seq and id."""

    type: str
    time: datetime
    actor: str
    alert_id: AlertId | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    seq: Seq
    id: str
    type: str
    time: datetime
    actor: str
    alert_id: AlertId | None
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The public form, as served by `/v1/events` and the live streams.

        Every event has `alert` and `changes`; events about something other than an alert
        (regions imported, a siren's fault, a paused subscription) have `alert: null`.
        """
        return {
            "seq": self.seq,
            "id": self.id,
            "type": self.type,
            "time": iso_time(self.time),
            "actor": self.actor,
            "alert": None,
            "changes": {},
            **self.data,
        }

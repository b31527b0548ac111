"""Imported alert history: where an import stands, and the rows of one batch.

An import writes tens of thousands of alerts, so a batch's rows are tuples of their tables'
columns rather than `Alert`s (`tocsin.records.history.importer` builds them).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tocsin.types import AlertId, RegionCode

EVENT_TYPE = "history.imported"  # one event per batch committed

ALERT_COLUMNS = (
    "id",
    "status",
    "phase",
    "threat",
    "raised_at",
    "ended_at",
    "expires_at",
    "version",
    "data",
)
REGION_COLUMNS = ("alert_id", "region")
SPAN_COLUMNS = ("region", "status", "start_us", "alert_id", "end_us", "threat", "source", "direct")
_SPAN_ALERT = SPAN_COLUMNS.index("alert_id")


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """Where one import of one file stands."""

    fingerprint: str
    source: str
    format: str
    file: str
    last_line: int
    added: int
    existing: int
    rejected: int
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


@dataclass(frozen=True, slots=True)
class NewAlerts:
    """Alerts to insert with their regions and statistics spans. Each row is a tuple of its
    table's columns in the order of `ALERT_COLUMNS`, `REGION_COLUMNS` and `SPAN_COLUMNS`: times
    aware, `data` as JSON text (tuples, not dicts: an import writes a hundred thousand rows)."""

    alerts: list[tuple[Any, ...]]
    regions: list[tuple[AlertId, RegionCode]]
    spans: list[tuple[Any, ...]]

    @property
    def ids(self) -> list[AlertId]:
        return [row[0] for row in self.alerts]

    def without(self, ids: AbstractSet[AlertId]) -> NewAlerts:
        """The same rows less those of the alerts `ids`."""
        if not ids:
            return self
        return NewAlerts(
            [row for row in self.alerts if row[0] not in ids],
            [row for row in self.regions if row[0] not in ids],
            [row for row in self.spans if row[_SPAN_ALERT] not in ids],
        )


@dataclass(frozen=True, slots=True)
class Batch:
    """The new rows of a batch's distinct alerts, and where the batch lies in the file."""

    rows: NewAlerts
    size: int
    bad: int
    first_line: int
    last_line: int
    final: bool


@dataclass(frozen=True, slots=True)
class BatchDone:
    first_line: int
    last_line: int
    added: int
    existing: int
    rejected: int

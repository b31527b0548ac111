"""A subscription: a webhook, apprise or broadcast target with its filters and state; and one
delivery attempt of a consumer of the log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tocsin.types import Seq


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: str
    kind: str
    url: str
    secret: str | None
    filters: dict[str, Any]
    lang: str
    options: dict[str, Any]
    state: str
    state_reason: str | None
    created_at: datetime
    created_by: str
    start_seq: Seq

    @property
    def consumer(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class Attempt:
    consumer: str
    channel: str
    target: str
    event_seq: Seq
    event_id: str
    attempt: int
    time: datetime
    latency_ms: float
    outcome: str
    error: str | None = None

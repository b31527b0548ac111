"""A siren as the registry knows it: where it stands, and what the bridge has heard of it.

`last_ack_seq` starts at the sequence number of the siren's registration: nothing logged before
a siren existed is owed to it, so "the commands after the last ack" is always a bounded range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tocsin.types import Seq

UNKNOWN, OK, FAULTY = "unknown", "ok", "faulty"


@dataclass(frozen=True, slots=True)
class SirenRecord:
    id: str
    region: str
    name: str
    registered_at: datetime
    state: str = UNKNOWN
    fault_reason: str | None = None
    last_heartbeat_at: datetime | None = None
    last_command_seq: Seq | None = None
    last_command_at: datetime | None = None
    last_ack_seq: Seq | None = None
    last_ack_at: datetime | None = None

    @property
    def acked(self) -> Seq:
        """Every command up to this seq is acknowledged (or predates the siren)."""
        return self.last_ack_seq or 0

    @property
    def pending(self) -> bool:
        """A command is out that the siren has not acknowledged."""
        return self.last_command_seq is not None and self.last_command_seq > self.acked

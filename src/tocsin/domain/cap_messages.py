"""The record of a CAP message imported from another authority: a sender and an identifier
name one message, so a repeated delivery is recognised, and later messages find the alert it
made through their references."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tocsin.types import AlertId

MAX_KEY = 255  # the longest sender or identifier kept


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    sender: str
    identifier: str
    sent: datetime
    msg_type: str
    alert_id: AlertId
    received_at: datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.sender, self.identifier)

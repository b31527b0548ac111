"""Commands: what an entry point asks the service to do, as plain values.

Each command type has exactly one handler on the command bus (`tocsin.service.bus`); the bus
authorizes, checks the caller's mode and the approval policy, and commits the handler's changes
with their events and audit row in one unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from tocsin.domain.alerts import RaiseAlert, UpdateAlert
from tocsin.types import AlertId

if TYPE_CHECKING:  # the plain model of a parsed message; the codec itself stays outside
    from tocsin.cap.parse import Message


@dataclass(frozen=True, slots=True)
class Raise:
    name: ClassVar[str] = "alert.raise"
    alert: RaiseAlert
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    name: ClassVar[str] = "alert.update"
    alert_id: AlertId
    change: UpdateAlert
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Activate:
    name: ClassVar[str] = "alert.activate"
    alert_id: AlertId


@dataclass(frozen=True, slots=True)
class End:
    name: ClassVar[str] = "alert.end"
    alert_id: AlertId


@dataclass(frozen=True, slots=True)
class Cancel:
    name: ClassVar[str] = "alert.cancel"
    alert_id: AlertId
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Approve:
    name: ClassVar[str] = "alert.approve"
    alert_id: AlertId


@dataclass(frozen=True, slots=True)
class Reject:
    name: ClassVar[str] = "alert.reject"
    alert_id: AlertId
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Expire:
    """The clock's command: an open alert whose expiry has passed."""

    name: ClassVar[str] = "alert.expire"
    alert_id: AlertId


@dataclass(frozen=True, slots=True)
class ImportCap:
    """A CAP message from another authority, parsed and validated already: an Alert raises,
    an Update changes or ends, a Cancel cancels the alert its references name."""

    name: ClassVar[str] = "cap.import"
    message: Message

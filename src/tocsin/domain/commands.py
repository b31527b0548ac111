"""Commands: what an entry point asks the service to do, as plain values.

Each command type has exactly one handler on the command bus (`tocsin.service.bus`); the bus
authorizes, checks the caller's mode and the approval policy, and commits the handler's changes
with their events and audit row in one unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from tocsin.domain.alerts import RaiseAlert, UpdateAlert
from tocsin.domain.regions import Region
from tocsin.types import DEFAULT_LANG, AlertId

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


# --- tokens, regions, sirens and subscriptions ----------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateToken:
    name: ClassVar[str] = "token.create"
    role: str
    regions: tuple[str, ...] = ()
    label: str = ""  # the token's name; the role's name if empty


@dataclass(frozen=True, slots=True)
class RevokeToken:
    name: ClassVar[str] = "token.revoke"
    token_id: str


@dataclass(frozen=True, slots=True)
class ImportRegions:
    name: ClassVar[str] = "regions.import"
    regions: tuple[Region, ...]
    pack: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateRegion:
    """Change what a deployment sets on one region (today its time to shelter; None clears)."""

    name: ClassVar[str] = "regions.update"
    code: str
    time_to_shelter: int | None


@dataclass(frozen=True, slots=True)
class RegisterSiren:
    name: ClassVar[str] = "siren.register"
    siren_id: str
    region: str
    label: str | None = None  # where it is, for people; its id if empty


@dataclass(frozen=True, slots=True)
class RemoveSiren:
    name: ClassVar[str] = "siren.remove"
    siren_id: str


@dataclass(frozen=True, slots=True)
class CreateSubscription:
    """A subscription whose kind, target and secret the kind has checked already."""

    name: ClassVar[str] = "subscription.create"
    kind: str
    url: str
    secret: str | None
    regions: tuple[str, ...] = ()
    threats: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("actual",)
    lang: str = DEFAULT_LANG
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeleteSubscription:
    name: ClassVar[str] = "subscription.delete"
    subscription_id: str


@dataclass(frozen=True, slots=True)
class ResumeSubscription:
    name: ClassVar[str] = "subscription.resume"
    subscription_id: str


@dataclass(frozen=True, slots=True)
class CreatePushSubscription:
    """A resident's browser asks for pushes about `regions` (anyone may; checked by the kind)."""

    name: ClassVar[str] = "push.subscribe"
    endpoint: str
    p256dh: str
    auth: str
    regions: tuple[str, ...]
    lang: str = DEFAULT_LANG


@dataclass(frozen=True, slots=True)
class DeletePushSubscription:
    """A resident's browser stops its pushes; knowing the endpoint is the proof of ownership."""

    name: ClassVar[str] = "push.unsubscribe"
    endpoint: str


# --- facts the channels report ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PauseSubscription:
    """A subscription's target kept failing; its worker stopped at the event `reason` names."""

    name: ClassVar[str] = "subscription.pause"
    subscription_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RemovePushSubscription:
    """The push service said a subscription is gone (HTTP 404 or 410)."""

    name: ClassVar[str] = "push.gone"
    subscription_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SirenHealth:
    """A siren was judged `state` (why, if faulty), while it was `previous`."""

    name: ClassVar[str] = "siren.health"
    siren_id: str
    state: str
    reason: str | None
    previous: str


@dataclass(frozen=True, slots=True)
class RepeatBroadcast:
    """Repeat an active alert's announcement if a repeat is due; `minutes` between repeats by
    threat id (and "*"), 0 for none."""

    name: ClassVar[str] = "broadcast.repeat"
    alert_id: AlertId
    minutes: Mapping[str, float]


FACTS: tuple[type[Any], ...] = (
    PauseSubscription,
    RemovePushSubscription,
    SirenHealth,
    RepeatBroadcast,
)


# --- console accounts and sessions --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateAccount:
    """A console account; its password hashed already (off the event loop)."""

    name: ClassVar[str] = "account.create"
    username: str
    password_hash: str
    role: str
    regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SetPassword:
    name: ClassVar[str] = "account.set_password"
    username: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class SetRole:
    name: ClassVar[str] = "account.set_role"
    username: str
    role: str
    regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DisableAccount:
    name: ClassVar[str] = "account.disable"
    username: str


@dataclass(frozen=True, slots=True)
class OpenSession:
    """A login whose password was checked: the session to open (its id stored as a hash)."""

    name: ClassVar[str] = "session.open"
    id_hash: str
    username: str
    csrf: str
    origin: str | None


@dataclass(frozen=True, slots=True)
class SetSessionMode:
    name: ClassVar[str] = "session.set_mode"
    id_hash: str
    mode: str


@dataclass(frozen=True, slots=True)
class EndSession:
    name: ClassVar[str] = "session.end"
    id_hash: str


@dataclass(frozen=True, slots=True)
class RefuseLogin:
    """A login refused (wrong password, unknown or disabled account, throttled, no worker)."""

    name: ClassVar[str] = "session.refuse"
    username: str
    detail: Mapping[str, Any]


# --- drills ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleDrill:
    """Plan a drill: it is announced `announce_before` seconds ahead of `scheduled_for`, raises
    an exercise alert then, and ends `duration` seconds later."""

    name: ClassVar[str] = "drill.schedule"
    drill_id: str
    title: str
    threat: str
    regions: tuple[str, ...]
    scheduled_for: datetime
    announce_before: int
    duration: int
    sirens: bool = True


@dataclass(frozen=True, slots=True)
class ChangeDrill:
    """Change a drill that has not started; the fields left None stay."""

    name: ClassVar[str] = "drill.change"
    drill_id: str
    title: str | None = None
    threat: str | None = None
    regions: tuple[str, ...] | None = None
    scheduled_for: datetime | None = None
    announce_before: int | None = None
    duration: int | None = None
    sirens: bool | None = None


@dataclass(frozen=True, slots=True)
class CancelDrill:
    name: ClassVar[str] = "drill.cancel"
    drill_id: str


@dataclass(frozen=True, slots=True)
class AdvanceDrill:
    """The scheduler's command: carry a drill to its next state (`step` is announce, started,
    end, postpone or skip), with the alert it raised when it started."""

    name: ClassVar[str] = "drill.advance"
    drill_id: str
    step: str
    alert_id: AlertId | None = None
    reason: str | None = None

"""The small interfaces the service depends on; storage, the log readers and the channels
implement them, and `tocsin.storage.memory` holds an in-memory unit of work for tests.

- `UnitOfWork`: one transaction, with the repositories a command handler may use. What a
  handler changes, the events it appends and its audit row commit together or not at all.
- `LogFeed`: the event log as it grows, read by sequence number (in-process or from a stream).
- `Clock`: the time, moved by hand in drills, replays and tests.
- `Target`: one place a delivery goes (a webhook URL, a siren, an apprise URL).
- `Facts`: how a channel reports what it saw (a target failing, a siren falling silent, a
  repeat falling due): as a command on the bus, never by writing state itself.
- `DeliveryLog`, `SirenLinkLog`: a consumer's own progress (its cursor, its attempts; the
  siren bridge's commands, acks and heartbeats). These are the bookkeeping of one reader of the
  log, not changes of the warning system's state, so they are written outside the command
  path, through these ports only.
- `TargetKinds`: the subscription kinds' own checks of a target (the channels implement it).
- `Leases`: which node of several does a piece of work that must run once (a delivery channel,
  the expiry clock, the relay to other nodes); held for a few seconds at a time and renewed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tocsin.domain.accounts import Account, Session, StoredAccount, StoredSession
from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.audit import Audited, AuditEntry
from tocsin.domain.auth import Actor, TokenRecord
from tocsin.domain.cap_messages import ImportedMessage
from tocsin.domain.drills import DrillRecord
from tocsin.domain.events import Event, NewEvent
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.sirens import SirenRecord
from tocsin.domain.subscriptions import Attempt, SubscriptionRecord
from tocsin.domain.throttle import Bucket, Limits
from tocsin.types import AlertId, RegionCode, Seq


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (drills, replays and tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now


class CommitListener(Protocol):
    """Told about events right after their transaction commits."""

    def committed(self, events: Sequence[Event]) -> None: ...


class LogFeed(Protocol):
    """The event log as it grows: what came after a seq, and a wait for the next commit."""

    async def read(self, after: Seq, limit: int = 1000) -> list[Event]: ...

    async def wait(self, after: Seq, timeout: float) -> Seq:
        """Return the newest committed seq once it is past `after`, or at the timeout."""
        ...

    @property
    def head(self) -> Seq: ...


@dataclass(frozen=True, slots=True)
class Delivered:
    """What became of one delivery: a value, never an exception (one dead target never stops
    the rest)."""

    ok: bool
    detail: str = ""
    retry: bool = False


class Target(Protocol):
    """One place deliveries go, named by a URL shown with its secrets masked."""

    @property
    def url(self) -> str: ...

    async def deliver(self, event: Event) -> Delivered: ...


class CapReads(Protocol):
    """What CAP output is rendered from: the events of alerts, and the alerts a feed lists."""

    async def alert_events(self, alert_id: AlertId) -> list[Event]:
        """Every change of one alert, oldest first; empty when there is no such alert."""
        ...

    async def events_of(self, alert_ids: Iterable[AlertId]) -> dict[AlertId, list[Event]]: ...

    async def feed_alerts(self, statuses: Iterable[Status], closed_since: datetime) -> list[Alert]:
        """Open alerts, and those that closed at or after `closed_since`, newest first."""
        ...

    async def last_alert_change(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    since: datetime | None = None
    until: datetime | None = None
    regions: frozenset[RegionCode] | None = None
    threat: str | None = None
    status: Status | None = None
    phase: Phase | None = None
    before: tuple[datetime, str] | None = None
    limit: int = 100


class AlertReads(Protocol):
    """What the public reads of alerts ask of storage."""

    async def history(self, q: HistoryQuery) -> list[Alert]: ...

    async def open_alerts(self, status: Status | None = None) -> list[Alert]: ...

    async def get_alert(self, alert_id: AlertId) -> Alert | None: ...


class RegionReads(Protocol):
    async def regions(self) -> list[Region]: ...


class Regions(Protocol):
    """The region tree as loaded now (`RegionService` on a writer, the live state on an edge)."""

    @property
    def tree(self) -> RegionTree: ...


class TokenReads(Protocol):
    async def token_by_hash(self, secret_hash: str) -> TokenRecord | None: ...

    async def tokens(self) -> list[TokenRecord]: ...


class SubscriptionReads(Protocol):
    """A subscription's record, its worker's cursor and its delivery attempts."""

    async def subscriptions(self, kind: str | None = None) -> list[SubscriptionRecord]: ...

    async def subscription(self, subscription_id: str) -> SubscriptionRecord | None: ...

    async def cursors(self) -> dict[str, Seq]: ...

    async def attempts(
        self, *, consumer: str | None = None, event_seq: Seq | None = None, limit: int = 100
    ) -> list[Attempt]: ...


class LogHead(Protocol):
    async def last_seq(self) -> Seq: ...


class AlertRepository(Protocol):
    async def get(self, alert_id: AlertId) -> Alert | None: ...

    async def add(self, alerts: Sequence[Alert]) -> None: ...

    async def save(self, alert: Alert) -> None: ...


class IdempotencyKeys(Protocol):
    async def find(self, actor: str, key: str) -> tuple[str, str] | None:
        """The hash of the request first made with `actor`'s `key`, and the id it made."""
        ...

    async def remember(
        self, actor: str, key: str, request_hash: str, made: str, now: datetime
    ) -> None: ...


class RegionRepository(Protocol):
    async def put(self, regions: Sequence[Region]) -> None: ...
    async def change(self, region: Region) -> None: ...


class TokenRepository(Protocol):
    async def add(
        self,
        *,
        token_id: str,
        name: str,
        role: str,
        regions: Sequence[str] | None,
        secret_hash: str,
        now: datetime,
    ) -> None: ...

    async def active(self, token_id: str) -> bool:
        """Whether the token exists and is not revoked."""
        ...

    async def revoke(self, token_id: str, now: datetime) -> bool: ...


class ImportedMessages(Protocol):
    """The CAP messages imported from other authorities, by (sender, identifier)."""

    async def find(self, sender: str, identifier: str) -> ImportedMessage | None: ...

    async def alerts_of(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], AlertId]:
        """(sender, identifier) -> the alert it acted on, for those of `keys` imported here."""
        ...

    async def add(self, message: ImportedMessage) -> None: ...


class SubscriptionRepository(Protocol):
    async def get(self, subscription_id: str) -> SubscriptionRecord | None: ...

    async def add(self, record: SubscriptionRecord) -> None: ...

    async def set_state(self, subscription_id: str, state: str, reason: str | None) -> None: ...

    async def delete(self, subscription_id: str) -> None:
        """Forget the subscription and its delivery cursor (its attempts stay)."""
        ...


class SirenRepository(Protocol):
    async def get(self, siren_id: str) -> SirenRecord | None: ...

    async def add(self, record: SirenRecord) -> None: ...

    async def delete(self, siren_id: str) -> None: ...

    async def set_health(self, siren_id: str, state: str, reason: str | None) -> None: ...


class DrillRepository(Protocol):
    async def get(self, drill_id: str) -> DrillRecord | None: ...

    async def all(self) -> list[DrillRecord]: ...

    async def add(self, record: DrillRecord) -> None: ...

    async def save(self, record: DrillRecord) -> None: ...


class LogReader(Protocol):
    """The event log as the unit of work sees it (the log is locked for its writer)."""

    async def head(self) -> Seq: ...

    async def last(self, alert_id: AlertId, type: str) -> Event | None:
        """The newest event of `type` about an alert."""
        ...


class AccountRepository(Protocol):
    async def get(self, username: str) -> StoredAccount | None: ...

    async def add(self, account: Account, password_hash: str) -> None: ...

    async def change(self, username: str, **values: Any) -> bool: ...

    async def open_sessions(self, username: str) -> int: ...

    async def end_sessions(self, username: str, now: datetime) -> int: ...

    async def open_session(self, id_hash: str, session: Session, now: datetime) -> None: ...

    async def change_session(self, id_hash: str, **values: Any) -> None: ...


class AccountReads(Protocol):
    async def account(self, username: str) -> StoredAccount | None: ...

    async def accounts(self) -> list[Account]: ...

    async def session(self, id_hash: str) -> StoredSession | None: ...


class Throttle(Protocol):
    """The login throttle's buckets, shared by every server: `update` reads the buckets of
    `keys`, lets `change` decide, and stores what it changed, atomically."""

    async def update(
        self,
        keys: Collection[str],
        change: Callable[[dict[str, Bucket]], dict[str, Bucket]],
        limits: Limits,
        now: datetime,
    ) -> None: ...


class UnitOfWork(Protocol):
    """One transaction. `record` stages events and audit rows; they are written, numbered and
    chained when the unit commits, and `events` then holds what was appended."""

    @property
    def alerts(self) -> AlertRepository: ...

    @property
    def keys(self) -> IdempotencyKeys: ...

    @property
    def regions(self) -> RegionRepository: ...

    @property
    def tokens(self) -> TokenRepository: ...

    @property
    def cap_messages(self) -> ImportedMessages: ...

    @property
    def subscriptions(self) -> SubscriptionRepository: ...

    @property
    def sirens(self) -> SirenRepository: ...

    @property
    def log(self) -> LogReader: ...

    @property
    def drills(self) -> DrillRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    def record(self, audited: Audited, events: Sequence[NewEvent] = ()) -> None: ...

    @property
    def events(self) -> Sequence[Event]: ...

    @property
    def audited(self) -> Sequence[AuditEntry]: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[UnitOfWork, bool | None]: ...


class Facts(Protocol):
    """What a channel is given to report facts: each is a command, decided and audited on the
    bus like any other; the answer is the command's result."""

    async def report(self, cmd: Any, actor: Actor) -> Any: ...


class TargetKinds(Protocol):
    """The subscription kinds (the channels implement them): their own checks of a target."""

    def require(self, kind: str) -> None:
        """`InvalidInput` on `kind` unless it is known and available here."""
        ...

    async def check(
        self, kind: str, url: str, options: dict[str, Any], secret: str | None
    ) -> str | None:
        """Check a target of `kind`; the secret it signs with (made if not given), or None."""
        ...


class SirenLinkLog(Protocol):
    """What the siren bridge notes of each siren: the commands it sent, their acks, the
    heartbeats. Like a consumer's cursor these are the bridge's own progress, written outside
    the bus; what they lead to (a siren turning faulty or recovering) is a fact on the bus."""

    async def record_commands(self, ids: Sequence[str], seq: Seq, now: datetime) -> None: ...

    async def record_ack(self, siren_id: str, seq: Seq, now: datetime) -> bool: ...

    async def record_heartbeat(self, siren_id: str, now: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class Held:
    """Who holds a lease, and until when unless renewed."""

    name: str
    holder: str
    until: datetime


class Leases(Protocol):
    """Named leases shared by every node on the database: at most one holder each at a time."""

    async def acquire(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        """Take `name` for `holder` until `until`, or renew it; False while another holds it
        (one whose lease has not run out by `now`)."""
        ...

    async def release(self, name: str, holder: str) -> None:
        """Give `name` up at once, if `holder` holds it (a clean shutdown hands over at once)."""
        ...

    async def held(self) -> list[Held]: ...


class DeliveryLog(Protocol):
    """A consumer's own progress through the log, and its attempts (kept outside the bus)."""

    async def cursor(self, consumer: str) -> Seq | None: ...

    async def cursors(self) -> dict[str, Seq]: ...

    async def advance(self, consumer: str, seq: Seq, now: datetime) -> None: ...

    async def record(self, attempt: Attempt) -> None: ...

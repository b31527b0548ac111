"""The public state of the warning system, held in memory and folded from the event log.

A node with no database (an edge, `tocsin serve --edge`) answers the public reads from a
`LiveState`: the open alerts, the alerts closed within the CAP feed's retention, every event of
those alerts, the region tree, and the seq of the log it reflects. It implements the read ports
the public services use (`AlertReads`, `CapReads`, `RegionReads`, `LogHead`), so `AlertQueries`,
`CapPublisher` and the region states run over it unchanged, and answer as they do over the
database.

Every alert event carries the whole alert after the change (`Event.alert`), so folding one is
setting it: nothing is computed here that the writer did not decide. Applying is idempotent
per alert (an event at or below the seq an alert was last set from changes nothing), which lets
a snapshot read while the writer commits be caught up from the seq it names. A closed alert is
forgotten once it has been closed longer than the retention, so memory stays bounded by what
the public reads can ask for.

The region tree is not in the log (`regions.imported` and `regions.updated` say only that
regions changed): it comes with the snapshot, and a state that has seen such an event after its
tree reports `regions_stale` until it adopts the tree of a newer snapshot.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tocsin.domain.alerts import PRIVATE_PHASES, Alert, Status
from tocsin.domain.events import ALERT_TYPES, REGION_TYPES, Event
from tocsin.domain.regions import Region, RegionTree
from tocsin.errors import TocsinError, Unavailable
from tocsin.service.ports import Clock, HistoryQuery
from tocsin.types import AlertId, Seq


class LogGap(TocsinError):
    """The log skipped events: what this state holds can no longer be trusted."""

    status = 503
    code = "log_gap"
    title = "Event log gap"


@dataclass(slots=True)
class Held:
    """One alert as the public sees it, and every change of it, oldest first."""

    alert: Alert
    events: list[Event] = field(default_factory=list)

    @property
    def last(self) -> Seq:
        return self.events[-1].seq if self.events else 0


class LiveState:
    """Open alerts, recently closed ones and their events, the region tree, and the head."""

    def __init__(
        self,
        *,
        clock: Clock,
        retention: timedelta,
        regions: Iterable[Region] = (),
        head: Seq = 0,
        regions_at: Seq | None = None,
        elsewhere: str = "a writer node",
    ) -> None:
        self.clock = clock
        self.retention = retention
        self.elsewhere = elsewhere  # where what is not held here is answered, for messages
        self.head: Seq = head
        self.tree = RegionTree(regions)
        self.regions_at: Seq = head if regions_at is None else regions_at
        self.regions_changed: Seq = 0  # the newest `regions.imported` after the tree, if any
        self.last_change: datetime | None = None
        self._held: dict[AlertId, Held] = {}
        self._closing: list[tuple[datetime, AlertId]] = []  # closed alerts, by ended_at
        self._open: list[Alert] | None = []  # sorted as the store sorts them; None: redo

    @classmethod
    def from_snapshot(
        cls, data: bytes, *, clock: Clock, retention: timedelta, elsewhere: str = "a writer node"
    ) -> LiveState:
        """The state a snapshot's bytes hold (see `tocsin.live.snapshot`)."""
        from tocsin.live.snapshot import restore  # the snapshot module builds on this one

        return restore(data, clock=clock, retention=retention, elsewhere=elsewhere)

    # --- folding the log ---------------------------------------------------------------------

    def apply(self, events: Sequence[Event]) -> None:
        """Fold events that follow the head, in order; those at or below it are skipped.

        `LogGap` when an event is missing: nothing after the gap is applied."""
        for event in events:
            if event.seq <= self.head:
                continue
            if event.seq != self.head + 1:
                raise LogGap(
                    f"the log skipped from seq {self.head} to {event.seq}; this state needs a "
                    "newer snapshot",
                )
            self._fold(event)
            self.head = event.seq
        self._forget_closed()

    def _fold(self, event: Event) -> None:
        if event.type in REGION_TYPES and event.seq > self.regions_at:
            self.regions_changed = event.seq
        if event.type in ALERT_TYPES:
            self.hold(event)

    def hold(self, event: Event) -> None:
        """Set the alert an alert event carries, unless it was set from this seq or a later one."""
        alert = event.alert
        if alert is None or alert.phase in PRIVATE_PHASES:
            return  # held for approval or refused: never public
        if self.last_change is None or event.time > self.last_change:
            self.last_change = event.time
        held = self._held.get(alert.id)
        if held is not None and event.seq <= held.last:
            return
        was_open = held is not None and held.alert.is_open
        if held is None:
            held = self._held[alert.id] = Held(alert)
        held.alert = alert
        held.events.append(event)
        if was_open or alert.is_open:
            self._open = None
        if not alert.is_open and alert.ended_at is not None:
            heapq.heappush(self._closing, (alert.ended_at, alert.id))

    @property
    def horizon(self) -> datetime:
        """Alerts closed before this are no longer held."""
        return self.clock.now() - self.retention

    def _forget_closed(self) -> None:
        horizon = self.horizon
        while self._closing and self._closing[0][0] < horizon:
            _, alert_id = heapq.heappop(self._closing)
            held = self._held.get(alert_id)
            if held is not None and not held.alert.is_open and _ended(held.alert) < horizon:
                del self._held[alert_id]

    @property
    def regions_stale(self) -> bool:
        """Whether regions were imported after the tree this state holds."""
        return self.regions_changed > self.regions_at

    def adopt_regions(self, regions: Iterable[Region], at: Seq) -> bool:
        """Take the tree of a snapshot taken at `at`, if it is newer than the one held."""
        if at < self.regions_at:
            return False
        self.tree = RegionTree(regions)
        self.regions_at = at
        return True

    @property
    def held(self) -> list[Held]:
        """Every alert held, by id."""
        self._forget_closed()
        return [self._held[key] for key in sorted(self._held)]

    # --- AlertReads ----------------------------------------------------------------------------

    async def open_alerts(self, status: Status | None = None) -> list[Alert]:
        if self._open is None:
            found = [h.alert for h in self._held.values() if h.alert.is_open]
            self._open = sorted(found, key=lambda a: (a.raised_at, a.id))
        if status is None:
            return list(self._open)
        return [a for a in self._open if a.status is status]

    async def history(self, q: HistoryQuery) -> list[Alert]:
        """Alerts overlapping [since, until), as the store answers, when `since` is within the
        retention (older ones are not held here): else `NotHeld`."""
        self._forget_closed()
        if q.since is None or q.since < self.horizon:
            seconds = int(self.retention.total_seconds())
            raise NotHeld(
                f"this node holds alerts open now and those closed in the last {seconds} s; "
                f"ask for older history (or none given: since) at {self.elsewhere}",
                field="since",
            )
        found = [h.alert for h in self._held.values() if _in_history(h.alert, q)]
        found.sort(key=lambda a: (a.raised_at, a.id), reverse=True)
        return found[: q.limit]

    async def get_alert(self, alert_id: AlertId) -> Alert | None:
        self._forget_closed()
        held = self._held.get(alert_id)
        return None if held is None else held.alert

    # --- CapReads -------------------------------------------------------------------------------

    async def alert_events(self, alert_id: AlertId) -> list[Event]:
        self._forget_closed()
        held = self._held.get(alert_id)
        return [] if held is None else list(held.events)

    async def events_of(self, alert_ids: Iterable[AlertId]) -> dict[AlertId, list[Event]]:
        self._forget_closed()
        found = {key: self._held.get(key) for key in alert_ids}
        return {key: list(held.events) for key, held in found.items() if held is not None}

    async def feed_alerts(self, statuses: Iterable[Status], closed_since: datetime) -> list[Alert]:
        self._forget_closed()
        wanted = set(statuses)
        found = [
            h.alert
            for h in self._held.values()
            if h.alert.status in wanted and (h.alert.is_open or _ended(h.alert) >= closed_since)
        ]
        return sorted(found, key=lambda a: (a.raised_at, a.id), reverse=True)

    async def last_alert_change(self) -> datetime | None:
        return self.last_change

    # --- RegionReads, LogHead -----------------------------------------------------------------

    async def regions(self) -> list[Region]:
        return list(self.tree)

    async def last_seq(self) -> Seq:
        return self.head

    @property
    def backend(self) -> str:
        """What holds the state, as `/healthz` names it: no database."""
        return "none (the public state, in memory)"


class NotHeld(Unavailable):
    """Asked for what an edge does not hold (older history): a writer node answers it."""

    code = "not_held"
    title = "Not held by this node"


def _ended(alert: Alert) -> datetime:
    assert alert.ended_at is not None  # a public alert that is not open has ended
    return alert.ended_at


def _in_history(alert: Alert, q: HistoryQuery) -> bool:
    """`tocsin.storage.alert_history.history_query`'s conditions, on one alert."""
    if q.until is not None and not alert.raised_at < q.until:
        return False
    if q.since is not None and alert.ended_at is not None and not alert.ended_at > q.since:
        return False
    if q.threat is not None and alert.threat != q.threat:
        return False
    if q.status is not None and alert.status is not q.status:
        return False
    if q.phase is not None and alert.phase is not q.phase:
        return False
    if q.regions is not None and q.regions.isdisjoint(alert.regions):
        return False
    if q.before is not None:
        raised, alert_id = q.before
        return alert.raised_at < raised or (alert.raised_at == raised and alert.id < alert_id)
    return True

"""What a consumer of the log wants to hear about: one filter for every channel. Pure: no I/O.

Live streams, webhooks, apprise and broadcast subscriptions, sirens and the IoT line all say
what they want as an `Interest`:

- `regions`: alerts covering any part of one of them, by coverage — an alert for a region
  covers everything under it, so an alert on a region, on one of its ancestors or on one of its
  descendants matches (an alert on a hromada matches an oblast's subscribers, and an alert on
  the oblast matches the hromada's); the regions an update removed count too, so subscribers
  hear that the alert left them. Codes the region tree does not know match nothing.
- `threats`: the alert's threat, or the one it changed from (an escalation, a de-escalation);
- `statuses`: actual, exercise, test (by default actual only);
- `types`: the event types wanted.

None means no restriction on that dimension. An event that carries no alert (regions imported,
a siren's fault, a paused subscription) matches only an interest with no region and no threat
restriction; statuses do not apply to it. A drill's events (`drill.*`) carry its regions and
threat and match by those, whatever the statuses: an announcement is for everyone who follows
those regions, so that nobody takes the drill for a real alert. An event the public may not see
yet (`withheld`: a change to an actual incident not yet published) matches nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Final

from tocsin.domain.alerts import Alert, Status
from tocsin.domain.events import Event, EventType
from tocsin.domain.regions import RegionTree
from tocsin.types import RegionCode, ThreatId

ACTUAL_ONLY: Final = frozenset({Status.ACTUAL})


@dataclass(frozen=True, slots=True)
class Interest:
    """Which events a consumer wants. None: no restriction on that dimension."""

    regions: frozenset[RegionCode] | None = None
    threats: frozenset[ThreatId] | None = None
    statuses: frozenset[Status] | None = ACTUAL_ONLY
    types: frozenset[EventType | str] | None = None

    @classmethod
    def of(
        cls,
        *,
        regions: Iterable[RegionCode] | None = None,
        threats: Iterable[ThreatId] | None = None,
        statuses: Iterable[Status | str] | None = ACTUAL_ONLY,
        types: Iterable[EventType | str] | None = None,
    ) -> Interest:
        """From any iterables (statuses may be strings); None stays None."""
        return cls(
            None if regions is None else frozenset(regions),
            None if threats is None else frozenset(threats),
            None if statuses is None else frozenset(Status(s) for s in statuses),
            None if types is None else frozenset(types),
        )

    def matches(self, event: Event, tree: RegionTree) -> bool:
        """Whether a consumer with this interest gets `event` (see the module docstring)."""
        if event.withheld:
            return False
        if self.types is not None and event.type not in self.types:
            return False
        alert = event.alert
        if alert is None and event.regions:  # a drill's announcement: to all who follow there
            if self.threats is not None and self.threats.isdisjoint(event.threats):
                return False
            return self.regions is None or covered(event.regions, self.regions, tree)
        if alert is None:
            return self.regions is None and self.threats is None
        if self.threats is not None and self.threats.isdisjoint(event.threats):
            return False
        return self._admits(alert) and (
            self.regions is None or covered(event.regions, self.regions, tree)
        )

    def admits(self, alert: Alert, tree: RegionTree) -> bool:
        """Whether an alert as it stands (not a change of it) is of interest."""
        if self.threats is not None and alert.threat not in self.threats:
            return False
        return self._admits(alert) and (
            self.regions is None or covered(alert.regions, self.regions, tree)
        )

    def _admits(self, alert: Alert) -> bool:
        return self.statuses is None or alert.status in self.statuses


def covered(codes: Collection[RegionCode], wanted: frozenset[RegionCode], tree: RegionTree) -> bool:
    """Whether regions `codes` and `wanted` overlap by coverage: one of `codes` is one of
    `wanted`, lies under one of them, or lies above one of them. Unknown codes never do."""
    if any(c in tree and not wanted.isdisjoint(tree.lineage(c)) for c in codes):
        return True  # one of the codes is one of them, or lies under one
    given = codes if isinstance(codes, AbstractSet) else frozenset(codes)
    return any(m in tree and not given.isdisjoint(tree.ancestors(m)) for m in wanted)

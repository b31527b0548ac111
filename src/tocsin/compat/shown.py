"""What both APIs show: each active actual alert, on each place it covers that has an id.

An alert names regions; each becomes the place with an id that it is, or, for a region without
one (the whole country), the places with ids just below it (its oblasts). A region with no id
and none below (a Crimean raion) is not shown. Alerts of the same type on the same place are
one: both APIs show a place as under an air raid or not, whatever the number of alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from tocsin.compat.places import Place, Places
from tocsin.compat.threats import RED, Mapped, mapped_id
from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.threats import Catalogue
from tocsin.types import AlertId, RegionCode, ThreatId


@dataclass(slots=True)
class Shown:
    """One place under one type of alert, from one or more of tocsin's alerts."""

    place: Place
    type: Mapped
    alerts: list[Alert] = field(default_factory=list)

    @property
    def first(self) -> Alert:
        return min(self.alerts, key=lambda a: (started(a), a.id))

    @property
    def started_at(self) -> datetime:
        return started(self.first)

    @property
    def updated_at(self) -> datetime:
        return max(a.updated_at for a in self.alerts)

    @property
    def finished_at(self) -> datetime | None:
        ends = [a.ended_at for a in self.alerts]
        return None if None in ends else max(e for e in ends if e is not None)

    def level(self, catalogue: Catalogue) -> str:
        levels = {mapped_id(catalogue, a.threat).level for a in self.alerts}
        return RED if RED in levels else levels.pop()

    @property
    def threats(self) -> list[tuple[ThreatId, datetime]]:
        """Each threat, from when the first alert of it began (an alert's threat raised or
        lowered keeps that time: the log, not the alert, says when it changed)."""
        seen: dict[ThreatId, datetime] = {}
        for alert in self.alerts:
            since = started(alert)
            seen[alert.threat] = min(seen.get(alert.threat, since), since)
        return sorted(seen.items(), key=lambda item: (item[1], item[0]))


def started(alert: Alert) -> datetime:
    return alert.activated_at or alert.raised_at


def public(alert: Alert) -> bool:
    """An actual alert that was active: neither an exercise nor a test, nor a pre-alert never
    activated, nor one held for approval or refused."""
    return (
        alert.status is Status.ACTUAL
        and alert.activated_at is not None
        and (alert.phase is not Phase.PRE_ALERT)
    )


def shown(
    alerts: Iterable[Alert], places: Places, catalogue: Catalogue, *, merge: bool = True
) -> list[Shown]:
    """Every place under each type of alert, by id then type; `merge=False` (a history): each
    of tocsin's alerts on each place apart, as alerts at other times are other alerts."""
    found: dict[tuple[int, str, str], Shown] = {}
    for alert in alerts:
        if not public(alert):
            continue
        kind = mapped_id(catalogue, alert.threat)
        for place in _places(alert.regions, places):
            key = (place.uid, kind.alert_type, "" if merge else alert.id)
            entry = found.setdefault(key, Shown(place, kind))
            entry.alerts.append(alert)
    return [found[key] for key in sorted(found)]


def _places(codes: Iterable[RegionCode], places: Places) -> Iterator[Place]:
    seen: set[int] = set()
    for code in codes:
        for place in _nearest(code, places):
            if place.uid not in seen:
                seen.add(place.uid)
                yield place


def _nearest(code: RegionCode, places: Places) -> list[Place]:
    if code not in places.tree:
        return []
    place = places.by_code(code)
    if place is not None:
        return [place]
    found: list[Place] = []
    for child in places.tree.children(code):
        found.extend(_nearest(child.code, places))
    return found


def ids(entries: Iterable[Shown]) -> set[AlertId]:
    return {alert.id for entry in entries for alert in entry.alerts}

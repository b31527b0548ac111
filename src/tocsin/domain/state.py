"""Region state: what a resident of each region should know right now.

A region is `active` when an active alert targets it or one of its ancestors (an alert for an
oblast covers every community in it), `partial` when an active alert targets only some of its
descendants, else `none`. Where several alerts apply, the most severe threat names the state.
Pre-alerts do not change the state; they are reported beside it. Only alerts of one status are
considered at a time, so an exercise never changes the public "actual" state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import Catalogue
from tocsin.types import AlertId, RegionCode, ThreatId


class State(StrEnum):
    ACTIVE = "active"
    PARTIAL = "partial"
    NONE = "none"


@dataclass(slots=True)
class RegionState:
    code: RegionCode
    state: State = State.NONE
    threat: ThreatId | None = None
    since: datetime | None = None
    alerts: list[AlertId] = field(default_factory=list)
    partial_alerts: list[AlertId] = field(default_factory=list)
    pre_alerts: list[AlertId] = field(default_factory=list)


def region_states(
    tree: RegionTree,
    alerts: Iterable[Alert],
    catalogue: Catalogue,
    status: Status = Status.ACTUAL,
) -> dict[RegionCode, RegionState]:
    """The state of every region in the tree."""
    states = {region.code: RegionState(region.code) for region in tree}
    alerts = list(alerts)
    for alert in alerts:
        if alert.status is not status or not alert.is_open:
            continue
        for target in alert.regions:
            if target in tree:
                _apply(states, tree, alert, target)
    return _name_threats(states, alerts, catalogue)


def _apply(
    states: dict[RegionCode, RegionState], tree: RegionTree, alert: Alert, target: RegionCode
) -> None:
    covered = [target, *tree.descendants(target)]
    if alert.phase is Phase.PRE_ALERT:
        for code in covered:
            _add(states[code].pre_alerts, alert.id)
        return
    for code in covered:
        _add(states[code].alerts, alert.id)
    for code in tree.ancestors(target):
        _add(states[code].partial_alerts, alert.id)


def _name_threats(
    states: dict[RegionCode, RegionState], alerts: Iterable[Alert], catalogue: Catalogue
) -> dict[RegionCode, RegionState]:
    by_id = {alert.id: alert for alert in alerts}
    for region_state in states.values():
        if region_state.alerts:
            region_state.state = State.ACTIVE
            deciding = region_state.alerts
        elif region_state.partial_alerts:
            region_state.state = State.PARTIAL
            deciding = region_state.partial_alerts
        else:
            continue
        applying = [by_id[a] for a in deciding]
        region_state.threat = catalogue.most_severe(a.threat for a in applying).id
        starts = [a.activated_at for a in applying if a.activated_at is not None]
        region_state.since = min(starts) if starts else None
    return states


def _add(items: list[AlertId], alert_id: AlertId) -> None:
    if alert_id not in items:
        items.append(alert_id)

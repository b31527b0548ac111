"""Read-side questions about alerts, shared by the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from tocsin.domain.alerts import PRIVATE_PHASES, Alert, Phase, Status
from tocsin.domain.regions import Point
from tocsin.domain.threats import Catalogue
from tocsin.errors import InvalidInput, NotFound
from tocsin.service.ports import AlertReads, HistoryQuery, Regions

E = TypeVar("E", Status, Phase)


@dataclass(frozen=True, slots=True)
class ActiveFilter:
    """Text filters as clients send them; parsed and checked here."""

    region: str | None = None
    threat: str | None = None
    status: str = "actual"
    point: str | None = None
    phase: str | None = None


class AlertQueries:
    def __init__(self, store: AlertReads, regions: Regions, catalogue: Catalogue) -> None:
        self.store = store
        self.regions = regions
        self.catalogue = catalogue

    async def active(self, f: ActiveFilter) -> list[Alert]:
        """Open alerts; `region` and `point` keep those covering any part of the place."""
        statuses = parse_statuses(f.status)
        alerts = [a for a in await self.store.open_alerts() if a.status in statuses]
        if f.phase is not None:
            wanted = parse_enum(Phase, f.phase, "phase")
            alerts = [a for a in alerts if a.phase is wanted]
        if f.threat is not None:
            threats = self._threats(f.threat)
            alerts = [a for a in alerts if a.threat in threats]
        if f.region is not None:
            alerts = _covering(alerts, self.region_area(f.region))
        if f.point is not None:
            alerts = _covering(alerts, self.point_area(f.point))
        return alerts

    async def get(self, alert_id: str) -> Alert:
        """One alert (held and refused ones too: the caller decides who may see them)."""
        alert = await self.store.get_alert(alert_id)
        if alert is None:
            raise NotFound(f"no alert {alert_id!r}", field="id")
        return alert

    async def history(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        region: str | None = None,
        threat: str | None = None,
        status: Status | None = None,
        phase: Phase | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 100,
    ) -> list[Alert]:
        if since and until and until <= since:
            raise InvalidInput("until must be after since", field="until")
        if threat is not None:
            self.catalogue.require(threat, field="threat")
        if phase in PRIVATE_PHASES:
            raise InvalidInput(
                "held and rejected alerts are not public; approvers list them at "
                "/v1/alerts/pending",
                field="phase",
            )
        area = frozenset(self.region_area(region)) if region is not None else None
        return await self.store.history(
            HistoryQuery(
                since=since,
                until=until,
                regions=area,
                threat=threat,
                status=status,
                phase=phase,
                before=before,
                limit=limit,
            )
        )

    def region_area(self, code: str) -> set[str]:
        """The region, its ancestors and its descendants: an alert for any covers part of it."""
        tree = self.regions.tree
        tree.require(code, field="region")
        return {code, *tree.ancestors(code), *tree.descendants(code)}

    def point_area(self, text: str) -> set[str]:
        tree = self.regions.tree
        area: set[str] = set()
        for region in tree.containing(Point.parse(text)):
            area |= tree.lineage(region.code)
        return area

    def _threats(self, text: str) -> set[str]:
        ids = {part.strip() for part in text.split(",") if part.strip()}
        if not ids:
            raise InvalidInput("threat must name at least one threat id", field="threat")
        for threat_id in ids:
            self.catalogue.require(threat_id, field="threat")
        return ids


def parse_statuses(text: str, field: str = "status") -> set[Status]:
    """Actual, exercise, test, a comma list of them, or all (an incident's `mode` too)."""
    if text.strip() == "all":
        return set(Status)
    statuses = {parse_enum(Status, part, field) for part in text.split(",") if part.strip()}
    if not statuses:
        raise InvalidInput(
            f"{field} must name at least one of actual, exercise and test, or 'all'", field=field
        )
    return statuses


def parse_enum(kind: type[E], text: str, field: str) -> E:
    try:
        return kind(text.strip())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(f"{field} must be one of {allowed}; got {text!r}", field=field) from None


def _covering(alerts: list[Alert], area: set[str]) -> list[Alert]:
    return [a for a in alerts if not area.isdisjoint(a.regions)]

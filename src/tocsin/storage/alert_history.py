"""The alert history query: alerts overlapping a window, newest first, keyset-paginated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, or_, select

from tocsin.domain.alerts import PRIVATE_PHASES
from tocsin.service.ports import HistoryQuery
from tocsin.storage import tables as t


def history_query(q: HistoryQuery) -> Select[Any]:
    """The query of `q`: alerts overlapping [since, until) with its filters, public phases
    only unless a phase is named."""
    query = select(t.alerts.c.data)
    conditions = []
    if q.until is not None:
        conditions.append(t.alerts.c.raised_at < q.until)
    if q.since is not None:
        conditions.append(or_(t.alerts.c.ended_at.is_(None), t.alerts.c.ended_at > q.since))
    if q.threat is not None:
        conditions.append(t.alerts.c.threat == q.threat)
    if q.status is not None:
        conditions.append(t.alerts.c.status == q.status.value)
    if q.phase is not None:
        conditions.append(t.alerts.c.phase == q.phase.value)
    else:
        conditions.append(t.alerts.c.phase.not_in([p.value for p in PRIVATE_PHASES]))
    if q.regions is not None:
        in_regions = select(t.alert_regions.c.alert_id).where(
            t.alert_regions.c.region.in_(sorted(q.regions))
        )
        conditions.append(t.alerts.c.id.in_(in_regions))
    if q.before is not None:
        raised, alert_id = q.before
        conditions.append(
            or_(
                t.alerts.c.raised_at < raised,
                and_(t.alerts.c.raised_at == raised, t.alerts.c.id < alert_id),
            )
        )
    return (
        query.where(*conditions)
        .order_by(t.alerts.c.raised_at.desc(), t.alerts.c.id.desc())
        .limit(q.limit)
    )

"""Adding a claim to an incident: the claim checked against the incident and its other claims.

Pure, like `tocsin.records.domain.incidents`: it returns the claim to append, or raises a
`TocsinError` (and then nothing is recorded).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tocsin.domain.threats import Catalogue
from tocsin.errors import InvalidInput
from tocsin.records.domain.claims import (
    INITIAL_STATUSES,
    MAX_NOTE,
    WEAPON_MEASURES,
    Claim,
    ClaimStatus,
    Measure,
    Reliability,
    Source,
    check_claim_set,
    parse_enum,
    parse_measure,
    superseders,
    text,
)
from tocsin.records.domain.incidents import AddClaim, IncidentRecord, require_open, threat_id
from tocsin.records.domain.quantities import Quantity
from tocsin.types import ThreatId


def new_claim(
    record: IncidentRecord,
    cmd: AddClaim,
    *,
    claim_id: str,
    now: datetime,
    actor: str,
    catalogue: Catalogue,
) -> Claim:
    """Check a claim against the incident and its other claims; the claim to append."""
    incident = record.incident
    require_open(incident, "add a claim to")
    measure = parse_measure(cmd.measure)
    quantity = Quantity.of(cmd.value, cmd.minimum, cmd.maximum)
    weapon = _weapon(measure, cmd.weapon, catalogue)
    src = cmd.source
    source = Source.of(src.name, src.kind, src.originator, src.url, src.published_at)
    claim = Claim(
        id=claim_id,
        incident_id=incident.id,
        measure=measure,
        quantity=quantity,
        source=source,
        reliability=parse_enum(Reliability, (cmd.reliability or "F").upper(), "reliability"),
        recorded_at=now,
        recorded_by=actor,
        weapon=weapon,
        supersedes=_supersedes(record, cmd.supersedes, measure, weapon),
        note=text(cmd.note, MAX_NOTE, "note"),
        initial_status=_initial_status(cmd.status),
        report=cmd.report,
    )
    check_claim_set(claim, record.claims, field=_quantity_field(cmd, measure))
    return claim


def _weapon(measure: Measure, weapon: ThreatId | None, catalogue: Catalogue) -> ThreatId | None:
    if weapon is None or not weapon.strip():
        return None
    if measure not in WEAPON_MEASURES:
        allowed = ", ".join(sorted(m.value for m in WEAPON_MEASURES))
        raise InvalidInput(f"only {allowed} name a weapon; not {measure.value}", field="weapon")
    return threat_id(weapon, catalogue, "weapon")


def _supersedes(
    record: IncidentRecord, ids: Sequence[str], measure: Measure, weapon: ThreatId | None
) -> tuple[str, ...]:
    replaced = superseders(record.claims)
    chosen = tuple(dict.fromkeys(ids))
    for index, claim_id in enumerate(chosen):
        at = f"supersedes[{index}]"
        old = record.claim(claim_id)
        if old is None:
            raise InvalidInput(
                f"no claim {claim_id!r} in incident {record.incident.id}",
                field=at,
                code="unknown_claim",
            )
        if old.series != (measure, weapon):
            raise InvalidInput(
                f"claim {claim_id} counts {_series(old.measure, old.weapon)}; a correction "
                f"must count the same ({_series(measure, weapon)})",
                field=at,
            )
        if claim_id in replaced:
            raise InvalidInput(
                f"claim {claim_id} is already superseded by {', '.join(replaced[claim_id])}; "
                "supersede that claim instead",
                field=at,
                code="already_superseded",
            )
    return chosen


def _series(measure: Measure, weapon: ThreatId | None) -> str:
    return measure.value if weapon is None else f"{measure.value} of {weapon}"


def _initial_status(value: str) -> ClaimStatus:
    status = parse_enum(ClaimStatus, value, "status")
    if status not in INITIAL_STATUSES:
        raise InvalidInput("a claim cannot be recorded as retracted", field="status")
    return status


def _quantity_field(cmd: AddClaim, measure: Measure) -> str:
    if cmd.value is not None:
        return "value"
    if measure is Measure.INTERCEPTED:
        return "min" if cmd.minimum is not None else "max"
    return "max" if cmd.maximum is not None else "min"

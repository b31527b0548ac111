"""An incident's current figures, derived from its claims by one rule and never typed in.

`derive_figures` is the rule (docs/incidents.md states it for readers); `figure_history` replays
the claims event by event and keeps every value a figure ever had.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from tocsin.records.domain.claims import WEAPON_MEASURES, Claim, ClaimStatus, Measure, live
from tocsin.records.domain.quantities import Quantity, envelope, total
from tocsin.types import ThreatId, iso_time

CLAIM_ADDED: Final = "incident.claim_added"
STATUS_EVENTS: Final[Mapping[ClaimStatus, str]] = {
    ClaimStatus.CONFIRMED: "incident.claim_verified",
    ClaimStatus.DISPUTED: "incident.claim_disputed",
    ClaimStatus.RETRACTED: "incident.claim_retracted",
}


class Standing(StrEnum):
    """How far a figure can be trusted: every claim it rests on is confirmed, or not."""

    CONFIRMED = "confirmed"
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class Figure:
    measure: Measure
    quantity: Quantity
    status: Standing
    claims: tuple[str, ...]  # the claims the value rests on
    disputed: tuple[str, ...] = ()  # live disputed claims: shown beside it, never used
    weapon: ThreatId | None = None
    parts: tuple[Figure, ...] = ()  # one per weapon, when claims name weapons

    @property
    def key(self) -> tuple[Quantity, Standing, tuple[str, ...]]:
        """What a revision records: the value, its standing and the claims it rests on."""
        return (self.quantity, self.status, self.claims)


def series_figure(claims: Sequence[Claim]) -> Figure | None:
    """The figure for one series: the live claims of one measure and one weapon.

    1. If any claim is confirmed, the figure is the confirmed claim from the most reliable
       source (Admiralty grade, A best, F last); among equally reliable ones the latest stated
       (the source's time, else the time it was recorded), then the latest recorded.
       Its status is `confirmed`.
    2. Otherwise, if any claim is unverified, the figure is the envelope of all unverified
       claims: from the lowest low to the highest high (no upper bound if any has none).
       Its status is `unverified`.
    3. Otherwise (only disputed claims) there is no figure.

    Retracted and superseded claims never reach this function (`live` drops them); disputed
    claims are listed beside the figure but never change it.
    """
    if not claims:
        return None
    first = claims[0]
    confirmed = [c for c in claims if c.status is ClaimStatus.CONFIRMED]
    unverified = [c for c in claims if c.status is ClaimStatus.UNVERIFIED]
    disputed = tuple(c.id for c in claims if c.status is ClaimStatus.DISPUTED)
    if confirmed:
        best = min(confirmed, key=lambda c: (c.reliability.rank, _later(c.as_of), -c.seq))
        return Figure(
            first.measure, best.quantity, Standing.CONFIRMED, (best.id,), disputed, first.weapon
        )
    if unverified:
        ordered = sorted(unverified, key=lambda c: c.seq)
        value = envelope(c.quantity for c in ordered)
        return Figure(
            first.measure,
            value,
            Standing.UNVERIFIED,
            tuple(c.id for c in ordered),
            disputed,
            first.weapon,
        )
    return None


def measure_figure(measure: Measure, claims: Sequence[Claim]) -> Figure | None:
    """The figure for one measure from its live claims.

    Measures that count weapons (launched, intercepted, impacts, debris falls) may have claims
    per weapon and claims for all weapons together (no weapon). Each weapon's figure is kept
    as a part, and the measure's figure is, in this order of preference:

    1. the all-weapons figure, if it is confirmed;
    2. the sum of the confirmed parts, if any part is confirmed (confirmed);
    3. the all-weapons figure (unverified), if there is one;
    4. the sum of the parts (unverified).

    So, as for one series, confirmed information wins over unverified, and an unverified claim
    never changes a confirmed figure.
    """
    ordered = sorted(claims, key=lambda c: c.seq)
    disputed = tuple(c.id for c in ordered if c.status is ClaimStatus.DISPUTED)
    by_weapon: dict[ThreatId | None, list[Claim]] = {}
    for claim in ordered:
        by_weapon.setdefault(claim.weapon if measure in WEAPON_MEASURES else None, []).append(claim)
    overall = series_figure(by_weapon.pop(None, []))
    weapons = sorted(w for w in by_weapon if w is not None)
    parts = tuple(f for w in weapons if (f := series_figure(by_weapon[w])) is not None)
    confirmed = tuple(p for p in parts if p.status is Standing.CONFIRMED)
    if overall is not None and (overall.status is Standing.CONFIRMED or not confirmed):
        return replace(overall, disputed=disputed, parts=parts)
    chosen = confirmed or parts
    if not chosen:
        return None
    return Figure(
        measure,
        total(p.quantity for p in chosen),
        Standing.CONFIRMED if confirmed else Standing.UNVERIFIED,
        tuple(i for p in chosen for i in p.claims),
        disputed,
        None,
        parts,
    )


def derive_figures(claims: Iterable[Claim]) -> dict[Measure, Figure]:
    """Every measure that has a current figure, in the order of `Measure`."""
    by_measure: dict[Measure, list[Claim]] = {}
    for claim in live(claims):
        by_measure.setdefault(claim.measure, []).append(claim)
    figures: dict[Measure, Figure] = {}
    for measure in Measure:
        figure = measure_figure(measure, by_measure.get(measure, []))
        if figure is not None:
            figures[measure] = figure
    return figures


@dataclass(frozen=True, slots=True)
class Revision:
    """A figure from event `seq` on (quantity None: no figure from then on)."""

    seq: int
    at: datetime
    measure: Measure
    quantity: Quantity | None
    status: Standing | None
    claims: tuple[str, ...]  # the claims it rests on
    cause: str  # the event type
    claim: str  # the claim that event concerned

    def to_json(self) -> dict[str, Any]:
        empty = {"value": None, "min": None, "max": None, "kind": None, "words": None}
        value = self.quantity.to_json() if self.quantity else empty
        return {
            "seq": self.seq,
            "at": iso_time(self.at),
            "measure": self.measure.value,
            **value,
            "status": None if self.status is None else self.status.value,
            "claims": list(self.claims),
            "cause": self.cause,
            "claim": self.claim,
        }


def figure_history(claims: Sequence[Claim]) -> dict[Measure, list[Revision]]:
    """Every value each figure has had, oldest first, replaying the claims event by event.

    A revision is recorded whenever the value, its standing or the claims it rests on change.
    """
    moments: dict[int, tuple[datetime, str, str]] = {}
    for claim in claims:
        moments[claim.seq] = (claim.recorded_at, CLAIM_ADDED, claim.id)
        for change in claim.changes:
            moments[change.seq] = (change.at, STATUS_EVENTS[change.status], claim.id)
    history: dict[Measure, list[Revision]] = {}
    before: dict[Measure, Figure] = {}
    for seq in sorted(moments):
        at, cause, claim_id = moments[seq]
        now = derive_figures(c for c in (claim.as_at(seq) for claim in claims) if c is not None)
        for measure in Measure:
            old, new = before.get(measure), now.get(measure)
            if (old.key if old else None) == (new.key if new else None):
                continue
            history.setdefault(measure, []).append(
                Revision(
                    seq,
                    at,
                    measure,
                    new.quantity if new else None,
                    new.status if new else None,
                    new.claims if new else (),
                    cause,
                    claim_id,
                )
            )
        before = now
    return history


def _later(moment: datetime) -> float:
    """Sort key that puts later moments first."""
    return -moment.timestamp()

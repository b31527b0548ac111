"""Matching a draft to incidents and the proposals a report makes (pure rules)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tocsin.domain.alerts import Status
from tocsin.errors import Conflict, InvalidInput
from tocsin.records.domain import reports as rp
from tocsin.records.domain.claims import (
    Claim,
    ClaimStatus,
    Measure,
    Reliability,
    Source,
    StatusChange,
)
from tocsin.records.domain.quantities import Quantity

T0 = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
PARENTS = {"UA-63-R1": "UA-63", "UA-63-R1-H1": "UA-63-R1", "UA-63": "UA", "UA-46": "UA"}


def ancestors(code: str) -> list[str]:
    found = []
    while code in PARENTS:
        code = PARENTS[code]
        found.append(code)
    return found


def finding(measure: str, low: int, high: int | None, kind: str = "exact", **more: Any) -> dict:
    return {
        "measure": measure,
        "weapon": more.get("weapon"),
        "min": low,
        "max": high,
        "kind": kind,
        "words": more.get("words"),
        "evidence": {"start": 0, "end": 2, "quote": str(low)},
    }


def draft(**fields: Any) -> dict[str, Any]:
    base = {
        "start": T0.isoformat(),
        "end": None,
        "regions": ["UA-63-R1-H1"],
        "threats": ["missile"],
        "claims": [],
    }
    return {**base, **fields}


def candidate(incident_id: str, **fields: Any) -> rp.Candidate:
    base: dict[str, Any] = {
        "regions": ("UA-63",),
        "threats": ("missile",),
        "start": T0,
        "end": None,
        "open": True,
        "mode": "actual",
    }
    base.update(fields)
    return rp.Candidate(incident_id, **base)


def claim(claim_id: str, measure: Measure, value: int, **more: Any) -> Claim:
    return Claim(
        claim_id,
        "i1",
        measure,
        Quantity.exact(value),
        Source("OVA"),
        Reliability.F,
        T0,
        "test",
        **more,
    )


def ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"p{next(counter)}"


def test_a_draft_matches_incidents_of_its_mode_with_a_region_time_and_threat_in_common() -> None:
    found = rp.match(
        draft(),
        [
            candidate("nested"),  # UA-63 is an ancestor of the draft's hromada
            candidate("equal", regions=("UA-63-R1-H1",), start=T0 + timedelta(hours=2)),
            candidate("drill", mode="exercise"),
            candidate("elsewhere", regions=("UA-46",)),
            candidate("drones", threats=("uav",)),
            candidate(
                "before", start=T0 - timedelta(days=3), end=T0 - timedelta(days=2), open=False
            ),
            candidate("after", start=T0 + timedelta(days=1)),
        ],
        mode="actual",
        fallback=T0,
        ancestors=ancestors,
    )
    assert found == ["equal", "nested"]  # equal regions first
    assert (
        rp.match(
            draft(threats=[]), [candidate("x")], mode="actual", fallback=T0, ancestors=ancestors
        )
        == []
    )


def test_a_new_figure_for_a_claimed_series_is_a_correction_the_same_one_a_corroboration() -> None:
    old = claim("c22", Measure.INJURED, 22)
    killed = claim("k1", Measure.KILLED, 1)
    main = draft(
        claims=[finding("injured", 28, 28), finding("killed", 1, 1), finding("evacuated", 30, 30)]
    )
    proposals = rp.propose(main, [], ("i1", [old, killed]), ids())
    assert [(p.kind, p.relation, p.supersedes, p.incident_id) for p in proposals] == [
        ("claim", rp.Relation.CORRECTION, ("c22",), "i1"),
        ("claim", rp.Relation.CORROBORATION, (), "i1"),
        ("claim", rp.Relation.NEW, (), "i1"),
    ]
    assert rp.relate(finding("injured", 22, 22), [old]) == (rp.Relation.CORROBORATION, ())
    gone = claim(
        "c9",
        Measure.INJURED,
        9,
        changes=(StatusChange(ClaimStatus.RETRACTED, ClaimStatus.UNVERIFIED, T0, "x"),),
    )
    assert rp.relate(finding("injured", 28, 28), [gone]) == (rp.Relation.NEW, ())


def test_without_a_match_a_new_incident_is_proposed_and_other_events_stay_apart() -> None:
    main = draft(claims=[finding("injured", 3, 3)])
    other = {"claims": [finding("killed", 35, 35)]}
    report = rp.Report(
        "r1",
        "text",
        "en",
        rp.ReportSource("OVA"),
        Status.ACTUAL,
        T0,
        "x",
        {"draft": main, "others": [other]},
        (),
        tuple(rp.propose(main, [other], None, ids())),
    )
    first, claim_p, other_p = report.proposals
    assert first.kind == "incident" and first.draft is not None
    assert first.draft["regions"] == ["UA-63-R1-H1"] and first.draft["threats"] == ["missile"]
    assert (claim_p.after, claim_p.incident_id, claim_p.other) == (first.id, None, None)
    assert (other_p.other, other_p.incident_id, other_p.after) == (0, None, None)
    with pytest.raises(Conflict) as waiting:  # the incident is not recorded yet
        rp.target(report, claim_p, rp.Edits())
    assert waiting.value.field == "incident_id"
    with pytest.raises(InvalidInput) as apart:  # another event: never the main incident
        rp.target(report, other_p, rp.Edits())
    assert apart.value.field == "incident_id"
    assert rp.target(report, other_p, rp.Edits(incident_id="i9")) == "i9"


@pytest.mark.parametrize(
    ("kind", "low", "high", "words", "given"),
    [
        ("exact", 5, 5, None, (5, None, None)),
        ("zero", 0, 0, None, (0, None, None)),
        ("range", 5, 6, None, (None, 5, 6)),
        ("at_least", 22, None, None, (None, 22, None)),
        ("at_most", 0, 10, None, (None, None, 10)),
        ("vague", 20, 99, "dozens", ("dozens", None, None)),
    ],
)
def test_a_finding_is_given_to_the_incident_model_as_the_same_quantity(
    kind: str, low: int, high: int | None, words: str | None, given: tuple[Any, ...]
) -> None:
    f = finding("injured", low, high, kind, words=words)
    assert rp.quantity_of(f) == given
    q = Quantity.of(*given)
    assert (q.low, q.high, q.kind.value) == (low, high, kind)

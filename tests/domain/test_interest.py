"""One interest filter for every consumer: regions by coverage, threats, statuses, types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.events import ALERT_TYPES, Event, EventType
from tocsin.domain.interest import Interest, covered
from tocsin.domain.regions import Region, RegionTree
from tocsin.regions.packs import load_pack

TREE = RegionTree(load_pack("ua") + load_pack("ru-border"))
CODES = sorted(r.code for r in TREE)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HROMADA = "UA-63-H1272"  # under a raion of UA-63, under UA


def alert_event(
    *regions: str,
    threat: str = "missile",
    status: Status = Status.ACTUAL,
    type: str = "alert.raised",
    changes: dict[str, Any] | None = None,
) -> Event:
    alert = Alert("a1", status, Phase.ACTIVE, threat, regions, NOW, NOW, "cli")
    data = {"alert": alert.to_json(), "changes": changes or {}}
    return Event(1, "e1", type, NOW, "cli", alert.id, data)


def other_event(type: str = "regions.imported") -> Event:
    return Event(2, "e2", type, NOW, "cli", None, {"regions": {"count": 3}})


@pytest.mark.parametrize(
    ("interest", "event", "expected"),
    [
        (Interest(), alert_event("UA-63"), True),
        (Interest(regions=frozenset({"UA-63"})), alert_event("UA-63"), True),
        (Interest(regions=frozenset({"UA-63"})), alert_event(HROMADA), True),  # under it
        (Interest(regions=frozenset({HROMADA})), alert_event("UA-63"), True),  # over it
        (Interest(regions=frozenset({HROMADA})), alert_event("UA"), True),
        (Interest(regions=frozenset({"UA-63"})), alert_event("UA-59"), False),
        (Interest(regions=frozenset({"UA-63"})), alert_event("RU-BEL"), False),
        (Interest(regions=frozenset({"XX-99"})), alert_event("UA-63"), False),  # unknown
        (Interest(regions=frozenset({"XX-99"})), alert_event("XX-99"), False),
        (Interest(regions=frozenset()), alert_event("UA-63"), False),
        (Interest(threats=frozenset({"uav"})), alert_event("UA-63"), False),
        (Interest(threats=frozenset({"missile", "uav"})), alert_event("UA-63"), True),
        (Interest(), alert_event("UA-63", status=Status.EXERCISE), False),  # actual by default
        (Interest(statuses=None), alert_event("UA-63", status=Status.TEST), True),
        (Interest(statuses=frozenset({Status.TEST})), alert_event("UA-63"), False),
        (Interest(types=ALERT_TYPES), alert_event("UA-63"), True),
        (Interest(types=frozenset({EventType.ALERT_ENDED})), alert_event("UA-63"), False),
        (Interest(), other_event(), True),  # no region or threat restriction
        (Interest(statuses=frozenset({Status.TEST})), other_event(), True),
        (Interest(regions=frozenset({"UA-63"})), other_event(), False),
        (Interest(threats=frozenset({"uav"})), other_event(), False),
        (Interest(types=ALERT_TYPES), other_event(), False),
        (Interest(types=frozenset({"regions.imported"})), other_event(), True),
        (Interest(), other_event("some.future_type"), True),
    ],
)
def test_matches(interest: Interest, event: Event, expected: bool) -> None:
    assert interest.matches(event, TREE) is expected


def test_a_removed_region_still_hears_of_the_change() -> None:
    changes = {"regions": {"added": [], "removed": ["UA-59"]}}
    event = alert_event("UA-63", type="alert.updated", changes=changes)
    assert Interest(regions=frozenset({"UA-59"})).matches(event, TREE)
    assert not Interest(regions=frozenset({"UA-46"})).matches(event, TREE)


def test_subscribers_of_the_old_threat_hear_of_a_deescalation() -> None:
    changes = {"threat": {"from": "missile", "to": "uav"}}
    event = alert_event("UA-63", threat="uav", type="alert.deescalated", changes=changes)
    assert Interest(threats=frozenset({"missile"})).matches(event, TREE)
    assert Interest(threats=frozenset({"uav"})).matches(event, TREE)
    assert not Interest(threats=frozenset({"aviation"})).matches(event, TREE)


def test_of_takes_any_iterables_and_status_strings() -> None:
    interest = Interest.of(regions=["UA-63"], threats=("uav",), statuses=["actual", "test"])
    assert interest == Interest(
        frozenset({"UA-63"}), frozenset({"uav"}), frozenset({Status.ACTUAL, Status.TEST})
    )
    assert Interest.of(statuses=None).statuses is None


def test_admits_an_alert_as_it_stands() -> None:
    alert = Alert("a1", Status.EXERCISE, Phase.ACTIVE, "uav", (HROMADA,), NOW, NOW, "cli")
    assert Interest(statuses=None, regions=frozenset({"UA-63"})).admits(alert, TREE)
    assert not Interest().admits(alert, TREE)
    assert not Interest(statuses=None, threats=frozenset({"missile"})).admits(alert, TREE)


# --- properties ------------------------------------------------------------------------------

codes = st.sampled_from(CODES)


@given(codes, st.data())
def test_an_event_for_a_region_matches_its_ancestors_subscriptions(
    code: str, data: st.DataObject
) -> None:
    above = data.draw(st.sampled_from(sorted(TREE.lineage(code))))
    assert Interest(regions=frozenset({above})).matches(alert_event(code), TREE)
    # and, by coverage, an alert on the region above matches the region's own subscribers
    assert Interest(regions=frozenset({code})).matches(alert_event(above), TREE)


@given(st.lists(codes, min_size=1, max_size=4), st.frozensets(codes, max_size=4))
def test_coverage_is_overlap_of_lineages(event_codes: list[str], wanted: frozenset[str]) -> None:
    expected = any(
        w in TREE.lineage(c) or c in TREE.lineage(w) for c in event_codes for w in wanted
    )
    assert covered(event_codes, wanted, TREE) is expected
    assert covered(wanted, frozenset(event_codes), TREE) is expected  # symmetric
    interest = Interest(regions=wanted)
    assert interest.matches(alert_event(*event_codes), TREE) is expected


@st.composite
def trees(draw: st.DrawFn) -> RegionTree:
    """A random forest: region i's parent is one of the regions before it, or none."""
    size = draw(st.integers(1, 30))
    parents = [None] + [draw(st.none() | st.integers(0, i - 1)) for i in range(1, size)]
    return RegionTree(
        Region(f"R{i}", "oblast", {"en": f"R{i}"}, None if p is None else f"R{p}")
        for i, p in enumerate(parents)
    )


@settings(max_examples=200)
@given(trees(), st.data())
def test_in_any_tree_a_match_holds_for_every_ancestor(
    tree: RegionTree, data: st.DataObject
) -> None:
    code = data.draw(st.sampled_from(sorted(r.code for r in tree)))
    event = alert_event(code)
    for above in tree.lineage(code):
        assert Interest(regions=frozenset({above})).matches(event, tree)
    others = {r.code for r in tree} - tree.lineage(code) - set(tree.descendants(code))
    for elsewhere in others:
        assert not Interest(regions=frozenset({elsewhere})).matches(event, tree)

"""Random sequences of alert changes: a state restored from a snapshot taken anywhere in the log
and caught up is the state folded from the start, whatever the order and the clock."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import START
from tocsin.domain import alerts as rules
from tocsin.domain.alerts import Alert, Change, RaiseAlert, Status
from tocsin.domain.events import Event
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.threats import builtin
from tocsin.live import snapshot
from tocsin.live.state import LiveState
from tocsin.service.ports import ManualClock

TREE = RegionTree(
    [
        Region("UA", "country", {"en": "Ukraine"}),
        *(Region(f"UA-{n}", "oblast", {"en": f"Oblast {n}"}, parent="UA") for n in range(5)),
    ]
)
CATALOGUE = builtin()
RETENTION = timedelta(minutes=30)
ACTIONS = ("raise", "pre_alert", "activate", "escalate", "end", "cancel", "expire")

Step = tuple[str, int, int, bool]  # action, which alert, minutes passed, exercise
steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, 4), st.integers(0, 40), st.booleans()),
    max_size=30,
)


def log_of(plan: list[Step], clock: ManualClock) -> list[Event]:
    """The events a writer would append for the plan (steps its rules refuse are left out)."""
    alerts: list[Alert] = []
    events: list[Event] = []
    for action, index, minutes, drill in plan:
        clock.advance(minutes * 60)
        change = _change(action, alerts, index, drill, clock)
        if change is None:
            continue
        alert = change.alert
        alerts = [a for a in alerts if a.id != alert.id] + [alert]
        data = {"alert": alert.to_json(), "changes": change.changes}
        seq = len(events) + 1
        events.append(Event(seq, f"e{seq}", change.type.value, clock.now(), "t", alert.id, data))
    return events


def _change(
    action: str, alerts: list[Alert], index: int, drill: bool, clock: ManualClock
) -> Change | None:
    now = clock.now()
    if action in ("raise", "pre_alert"):
        status = Status.EXERCISE if drill else Status.ACTUAL
        spec = RaiseAlert("air", [f"UA-{index}"], status, pre_alert=action == "pre_alert")
        return rules.raise_alert(
            spec, alert_id=f"a{len(alerts):03}", now=now, actor="t", tree=TREE, catalogue=CATALOGUE
        )
    open_ = [a for a in alerts if a.is_open]
    if not open_:
        return None
    alert = open_[index % len(open_)]
    try:
        if action == "escalate":
            update = rules.UpdateAlert(threat="missile", add_regions=["UA-4"])
            return rules.update_alert(alert, update, now=now, tree=TREE, catalogue=CATALOGUE)
        if action == "activate":
            return rules.activate_alert(alert, now=now)
        if action == "cancel":
            return rules.cancel_alert(alert, now=now, message=None)
        if action == "expire":
            return rules.expire_alert(alert, now=now)
        return rules.end_alert(alert, now=now)
    except Exception:  # refused by the rules: no event
        return None


@settings(max_examples=60, deadline=None)
@given(plan=steps, cut=st.integers(0, 30))
def test_restored_anywhere_and_caught_up_is_folded_from_the_start(
    plan: list[Step], cut: int
) -> None:
    clock = ManualClock(START)
    events = log_of(plan, clock)
    cut = min(cut, len(events))
    early = ManualClock(START)
    early.advance((events[cut - 1].time - START).total_seconds() if cut else 0)
    at_cut = LiveState(clock=early, retention=RETENTION, regions=TREE)
    at_cut.apply(events[:cut])
    restored = snapshot.restore(snapshot.encode(at_cut), clock=clock, retention=RETENTION)
    restored.apply(events)
    folded = LiveState(clock=clock, retention=RETENTION, regions=TREE)
    folded.apply(events)
    assert snapshot.encode(restored) == snapshot.encode(folded)
    assert restored.head == folded.head == len(events)
    held = {h.alert.id for h in folded.held}
    for alert in _latest(events).values():
        closed_long_ago = not alert.is_open and alert.ended_at < clock.now() - RETENTION  # type: ignore[operator]
        assert (alert.id in held) != closed_long_ago


def _latest(events: list[Event]) -> dict[str, Alert]:
    found: dict[str, Alert] = {}
    for event in events:
        assert event.alert is not None
        found[event.alert.id] = event.alert
    return found

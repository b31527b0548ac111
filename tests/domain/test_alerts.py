import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tocsin.domain.alerts import (
    MAX_HEADLINE,
    MAX_MESSAGE,
    MAX_REGIONS,
    MAX_TEXT,
    OPEN_PHASES,
    TRANSITIONS,
    Alert,
    Change,
    EventType,
    Phase,
    RaiseAlert,
    Status,
    UpdateAlert,
    activate_alert,
    approve_alert,
    cancel_alert,
    end_alert,
    expire_alert,
    raise_alert,
    reject_alert,
    update_alert,
)
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import Catalogue, builtin
from tocsin.errors import IllegalTransition, InvalidInput, TocsinError, UnknownRegion, UnknownThreat
from tocsin.regions.packs import load_pack

TREE = RegionTree(load_pack("ua") + load_pack("ru-border"))
CATALOGUE = builtin()
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
EXPIRES = NOW + timedelta(hours=1)
FINAL_PHASES = (Phase.ENDED, Phase.CANCELLED, Phase.EXPIRED, Phase.REJECTED)
ILLEGAL = (IllegalTransition, "illegal_transition")
INVALID = (InvalidInput, "invalid_input")
UNKNOWN_REGION = (UnknownRegion, "unknown_region")
UNKNOWN_THREAT = (UnknownThreat, "unknown_threat")
POOL = ("UA-63", "UA-05", "UA-05-R36", "UA-05-H154", "UA-46", "RU-BEL")

# What each action does in each phase, written out rather than read from TRANSITIONS.
LEGAL: dict[tuple[str, Phase], Phase] = {
    ("activate", Phase.PRE_ALERT): Phase.ACTIVE,
    ("update", Phase.PRE_ALERT): Phase.PRE_ALERT,
    ("update", Phase.ACTIVE): Phase.ACTIVE,
    ("end", Phase.PRE_ALERT): Phase.ENDED,
    ("end", Phase.ACTIVE): Phase.ENDED,
    ("cancel", Phase.PRE_ALERT): Phase.CANCELLED,
    ("cancel", Phase.ACTIVE): Phase.CANCELLED,
    ("expire", Phase.PRE_ALERT): Phase.EXPIRED,
    ("expire", Phase.ACTIVE): Phase.EXPIRED,
    ("approve", Phase.PENDING): Phase.ACTIVE,
    ("reject", Phase.PENDING): Phase.REJECTED,
}
EVENTS = {
    "activate": EventType.ACTIVATED,
    "update": EventType.ESCALATED,
    "end": EventType.ENDED,
    "cancel": EventType.CANCELLED,
    "expire": EventType.EXPIRED,
    "approve": EventType.RAISED,
    "reject": EventType.REJECTED,
}


def raised(*regions: str, now: datetime = NOW, **fields: Any) -> Alert:
    fields.setdefault("threat", "uav")
    cmd = RaiseAlert(regions=regions or ("UA-63",), **fields)
    change = raise_alert(cmd, alert_id="a1", now=now, actor="duty", tree=TREE, catalogue=CATALOGUE)
    assert change.type is EventType.RAISED
    return change.alert


def update(alert: Alert, now: datetime = LATER, **fields: Any) -> Change | None:
    return update_alert(alert, UpdateAlert(**fields), now=now, tree=TREE, catalogue=CATALOGUE)


def updated(alert: Alert, **fields: Any) -> Change:
    change = update(alert, **fields)
    assert change is not None
    return change


def refused(expected: tuple[type[TocsinError], str], field: str, fn: Callable[[], object]) -> str:
    error, code = expected
    with pytest.raises(error) as info:
        fn()
    assert (info.value.code, info.value.field) == (code, field)
    return info.value.message


def in_phase(phase: Phase) -> Alert:
    """An alert brought to `phase` through the real transitions (all expire at EXPIRES)."""
    if phase in (Phase.PENDING, Phase.REJECTED):
        cmd = RaiseAlert(threat="uav", regions=("UA-63",))
        held = raise_alert(
            cmd, alert_id="a1", now=NOW, actor="duty", tree=TREE, catalogue=CATALOGUE, hold="policy"
        ).alert
        if phase is Phase.PENDING:
            return held
        return reject_alert(held, now=NOW + timedelta(minutes=30), by="boss", reason="no").alert
    opened = raised(pre_alert=phase is Phase.PRE_ALERT, expires_at=EXPIRES)
    half_hour = NOW + timedelta(minutes=30)
    closing = {
        Phase.ENDED: lambda: end_alert(opened, now=half_hour),
        Phase.CANCELLED: lambda: cancel_alert(opened, now=half_hour, message=None),
        Phase.EXPIRED: lambda: expire_alert(opened, now=EXPIRES),
    }
    alert = closing[phase]().alert if phase in closing else opened
    assert alert.phase is phase
    return alert


ACTIONS: dict[str, Callable[[Alert], Change | None]] = {
    "activate": lambda a: activate_alert(a, now=LATER),
    "update": lambda a: update(a, threat="missile"),
    "end": lambda a: end_alert(a, now=LATER),
    "cancel": lambda a: cancel_alert(a, now=LATER, message="false alarm"),
    "expire": lambda a: expire_alert(a, now=LATER),
    "approve": lambda a: approve_alert(a, now=LATER, approver="second officer"),
    "reject": lambda a: reject_alert(a, now=LATER, by="second officer", reason=None),
}


def test_transition_table_lists_every_action() -> None:
    assert set(TRANSITIONS) == set(ACTIONS) == {action for action, _ in LEGAL}
    assert {Phase.PRE_ALERT, Phase.ACTIVE} == OPEN_PHASES
    assert [p.is_open for p in Phase] == [False, True, True, False, False, False, False]


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_action_in_every_phase(action: str, phase: Phase) -> None:
    alert = in_phase(phase)
    if (action, phase) not in LEGAL:
        message = refused(ILLEGAL, "phase", lambda: ACTIONS[action](alert))
        assert f"cannot {action} alert a1: it is {phase.value}" in message
        return
    change = ACTIONS[action](alert)
    assert change is not None
    assert change.alert.phase is LEGAL[action, phase]
    assert change.type is EVENTS[action]
    assert change.alert.version == alert.version + 1
    assert change.alert.updated_at == LATER
    assert change.alert.status is alert.status
    assert change.alert.raised_at == NOW


@pytest.mark.parametrize("phase", FINAL_PHASES)
def test_final_phase_refuses_even_without_expiry(phase: Phase) -> None:
    opened = raised()
    alert = {
        Phase.ENDED: lambda: end_alert(opened, now=LATER),
        Phase.CANCELLED: lambda: cancel_alert(opened, now=LATER, message=None),
        Phase.EXPIRED: lambda: expire_alert(replace(opened, expires_at=EXPIRES), now=LATER),
        Phase.REJECTED: lambda: reject_alert(
            in_phase(Phase.PENDING), now=LATER, by="b", reason=None
        ),
    }[phase]().alert
    alert = replace(alert, expires_at=None)
    for act in ACTIONS.values():
        refused(ILLEGAL, "phase", lambda act=act: act(alert))


def test_ending_an_ended_alert_is_refused() -> None:
    ended = end_alert(raised(), now=LATER).alert
    message = refused(ILLEGAL, "phase", lambda: end_alert(ended, now=LATER))
    assert message == "cannot end alert a1: it is ended (allowed only when active or pre_alert)"


def test_escalating_a_cancelled_alert_is_refused() -> None:
    cancelled = cancel_alert(raised(), now=LATER, message="sorry").alert
    refused(ILLEGAL, "phase", lambda: update(cancelled, threat="missile"))


def test_cancelling_a_closed_alert_names_the_phase_before_the_message() -> None:
    ended = end_alert(raised(), now=LATER).alert
    refused(
        ILLEGAL, "phase", lambda: cancel_alert(ended, now=LATER, message="x" * (MAX_MESSAGE + 1))
    )


@pytest.mark.parametrize("phase", [Phase.PRE_ALERT, Phase.ACTIVE])
@pytest.mark.parametrize("status", [Status.EXERCISE, Status.TEST])
def test_mixing_statuses_is_refused(phase: Phase, status: Status) -> None:
    alert = in_phase(phase)
    message = refused(ILLEGAL, "status", lambda: update(alert, status=status, threat="missile"))
    assert message == (
        f"an alert's status cannot change (actual → {status.value}); end it and raise a new one"
    )


def test_exercise_stays_exercise() -> None:
    drill = raised(status=Status.EXERCISE)
    refused(ILLEGAL, "status", lambda: update(drill, status=Status.ACTUAL))
    assert update(drill, status=Status.EXERCISE) is None
    escalated = updated(drill, status=Status.EXERCISE, threat="missile").alert
    assert escalated.status is Status.EXERCISE
    assert end_alert(escalated, now=LATER).alert.status is Status.EXERCISE


def test_raise_active() -> None:
    change = raise_alert(
        RaiseAlert(
            threat="missile",
            regions=["UA-63", "UA-05"],
            headline=" Rockets ",
            text="Go to shelter.",
            source="radar",
            expires_at=EXPIRES,
        ),
        alert_id="a7",
        now=NOW,
        actor="duty (tk_1)",
        tree=TREE,
        catalogue=CATALOGUE,
    )
    assert change.type is EventType.RAISED
    assert change.changes == {}
    assert change.alert == Alert(
        id="a7",
        status=Status.ACTUAL,
        phase=Phase.ACTIVE,
        threat="missile",
        regions=("UA-63", "UA-05"),
        raised_at=NOW,
        updated_at=NOW,
        raised_by="duty (tk_1)",
        version=1,
        activated_at=NOW,
        ended_at=None,
        expires_at=EXPIRES,
        headline="Rockets",
        text="Go to shelter.",
        cancel_message=None,
        source="radar",
    )


def test_raise_pre_alert_then_activate() -> None:
    early = raised(pre_alert=True)
    assert (early.phase, early.activated_at, early.version) == (Phase.PRE_ALERT, None, 1)
    change = activate_alert(early, now=LATER)
    assert change.type is EventType.ACTIVATED
    assert change.changes == {"phase": {"from": "pre_alert", "to": "active"}}
    assert change.alert == replace(
        early, phase=Phase.ACTIVE, activated_at=LATER, updated_at=LATER, version=2
    )


def test_end() -> None:
    alert = raised()
    change = end_alert(alert, now=LATER)
    assert change.type is EventType.ENDED
    assert change.changes == {"phase": {"from": "active", "to": "ended"}}
    assert change.alert == replace(
        alert, phase=Phase.ENDED, ended_at=LATER, updated_at=LATER, version=2
    )


def test_end_a_pre_alert_never_activates_it() -> None:
    ended = end_alert(raised(pre_alert=True), now=LATER).alert
    assert (ended.phase, ended.activated_at, ended.ended_at) == (Phase.ENDED, None, LATER)


@pytest.mark.parametrize(
    ("message", "stored"), [("False alarm. ", "False alarm."), (None, None), ("   ", None)]
)
def test_cancel(message: str | None, stored: str | None) -> None:
    alert = raised()
    change = cancel_alert(alert, now=LATER, message=message)
    assert change.type is EventType.CANCELLED
    assert change.changes == {"phase": {"from": "active", "to": "cancelled"}}
    assert change.alert == replace(
        alert,
        phase=Phase.CANCELLED,
        ended_at=LATER,
        updated_at=LATER,
        version=2,
        cancel_message=stored,
    )


def test_cancel_message_limit() -> None:
    alert = raised()
    longest = "x" * MAX_MESSAGE
    assert cancel_alert(alert, now=LATER, message=longest).alert.cancel_message == longest
    message = refused(
        INVALID, "message", lambda: cancel_alert(alert, now=LATER, message=longest + "x")
    )
    assert message == f"message is {MAX_MESSAGE + 1} characters; at most {MAX_MESSAGE}"


@pytest.mark.parametrize("now", [EXPIRES, EXPIRES + timedelta(seconds=1), LATER])
def test_expire(now: datetime) -> None:
    alert = raised(expires_at=EXPIRES)
    change = expire_alert(alert, now=now)
    assert change.type is EventType.EXPIRED
    assert change.changes == {"phase": {"from": "active", "to": "expired"}}
    assert change.alert == replace(
        alert, phase=Phase.EXPIRED, ended_at=EXPIRES, updated_at=now, version=2
    )


@pytest.mark.parametrize(
    ("expires_at", "now"),
    [(None, LATER), (EXPIRES, EXPIRES - timedelta(microseconds=1)), (EXPIRES, NOW)],
)
def test_expire_before_expiry_is_refused(expires_at: datetime | None, now: datetime) -> None:
    alert = raised(expires_at=expires_at)
    refused(ILLEGAL, "expires_at", lambda: expire_alert(alert, now=now))


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        ("uav", "missile", EventType.ESCALATED),
        ("missile", "uav", EventType.DEESCALATED),
        ("air", "missile", EventType.ESCALATED),
        ("air", "uav", EventType.DEESCALATED),
        ("artillery", "urban_fighting", EventType.ESCALATED),
        ("missile", "chemical", EventType.ESCALATED),
    ],
)
def test_threat_change(before: str, after: str, kind: EventType) -> None:
    alert = raised(threat=before)
    change = updated(alert, threat=after)
    assert change.type is kind
    assert change.changes == {"threat": {"from": before, "to": after}}
    assert change.alert == replace(alert, threat=after, updated_at=LATER, version=2)


@pytest.mark.parametrize(("before", "after"), itertools.permutations(CATALOGUE.ids(), 2))
def test_every_threat_change_follows_rank(before: str, after: str) -> None:
    change = updated(raised(threat=before), threat=after)
    rank_before, rank_after = CATALOGUE[before].rank, CATALOGUE[after].rank
    assert rank_before != rank_after
    kind = EventType.ESCALATED if rank_after > rank_before else EventType.DEESCALATED
    assert change.type is kind


def test_same_rank_change_is_an_update() -> None:
    catalogue = Catalogue([*CATALOGUE.values(), replace(CATALOGUE["uav"], id="drone")])
    alert = raised(threat="uav")
    change = update_alert(
        alert, UpdateAlert(threat="drone"), now=LATER, tree=TREE, catalogue=catalogue
    )
    assert change is not None
    assert change.type is EventType.UPDATED
    assert change.changes == {"threat": {"from": "uav", "to": "drone"}}


def test_escalation_keeps_one_alert_through_pre_alert() -> None:
    early = raised(pre_alert=True)
    change = updated(early, threat="missile")
    assert change.type is EventType.ESCALATED
    assert (change.alert.id, change.alert.phase) == ("a1", Phase.PRE_ALERT)


@pytest.mark.parametrize(
    ("start", "fields", "regions", "added", "removed"),
    [
        (("UA-63",), {"add_regions": ["UA-05", "UA-63"]}, ("UA-63", "UA-05"), ["UA-05"], []),
        (
            ("UA-63",),
            {"add_regions": ["UA-05", "UA-46", "UA-05"]},
            ("UA-63", "UA-05", "UA-46"),
            ["UA-05", "UA-46"],
            [],
        ),
        (("UA-63", "UA-05"), {"remove_regions": ["UA-63"]}, ("UA-05",), [], ["UA-63"]),
        (
            ("UA-63", "UA-05"),
            {"regions": ["UA-05", "UA-46"]},
            ("UA-05", "UA-46"),
            ["UA-46"],
            ["UA-63"],
        ),
        (
            ("UA-63", "UA-05"),
            {"add_regions": ["RU-BEL"], "remove_regions": ["UA-05"]},
            ("UA-63", "RU-BEL"),
            ["RU-BEL"],
            ["UA-05"],
        ),
        (
            ("UA-63",),
            {"regions": ["UA-05-H154", "UA-05-H154"]},
            ("UA-05-H154",),
            ["UA-05-H154"],
            ["UA-63"],
        ),
    ],
)
def test_region_changes(
    start: tuple[str, ...],
    fields: dict[str, Any],
    regions: tuple[str, ...],
    added: list[str],
    removed: list[str],
) -> None:
    alert = raised(*start)
    change = updated(alert, **fields)
    assert change.type is EventType.UPDATED
    assert change.changes == {"regions": {"added": added, "removed": removed}}
    assert change.alert == replace(alert, regions=regions, updated_at=LATER, version=2)


def test_regions_and_threat_change_together() -> None:
    change = updated(raised("UA-63"), threat="missile", add_regions=["UA-05"])
    assert change.type is EventType.ESCALATED
    assert change.changes == {
        "threat": {"from": "uav", "to": "missile"},
        "regions": {"added": ["UA-05"], "removed": []},
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"regions": ["UA-05", "UA-63"]},
        {"add_regions": ["UA-63"], "remove_regions": ["UA-63"]},
        {"add_regions": ["UA-05"]},
        {"regions": ["UA-63", "UA-05", "UA-63"]},
    ],
)
def test_same_regions_in_another_order_change_nothing(fields: dict[str, Any]) -> None:
    assert update(raised("UA-63", "UA-05"), **fields) is None


@pytest.mark.parametrize(
    "fields", [{"remove_regions": ["UA-63"]}, {"remove_regions": ["UA-63", "UA-63"]}]
)
def test_removing_the_last_region_is_refused(fields: dict[str, Any]) -> None:
    alert = raised("UA-63")
    message = refused(INVALID, "remove_regions", lambda: update(alert, **fields))
    assert message == "an alert must keep at least one region; end or cancel it instead"


def test_removing_a_region_not_in_the_alert_is_refused() -> None:
    alert = raised("UA-63", "UA-05")
    message = refused(
        INVALID, "remove_regions", lambda: update(alert, remove_regions=["UA-05", "UA-46"])
    )
    assert message == "region 'UA-46' is not in this alert"


@pytest.mark.parametrize("other", [{"add_regions": ["UA-05"]}, {"remove_regions": ["UA-63"]}])
def test_regions_with_add_or_remove_is_refused(other: dict[str, Any]) -> None:
    alert = raised("UA-63", "UA-46")
    refused(INVALID, "regions", lambda: update(alert, regions=["UA-05"], **other))


@pytest.mark.parametrize(
    ("regions", "field"),
    [
        (["XX-1"], "regions[0]"),
        (["UA-63", "XX-1"], "regions[1]"),
        (["UA-63", "UA-63", "XX-1"], "regions[2]"),
        (["UA-63", "ua-05"], "regions[1]"),
        (["UA-63", ""], "regions[1]"),
    ],
)
def test_unknown_region_is_refused(regions: list[str], field: str) -> None:
    message = refused(UNKNOWN_REGION, field, lambda: raised(*regions))
    assert message == f"unknown region code {regions[-1]!r}"
    alert = raised("UA-46")
    refused(UNKNOWN_REGION, field, lambda: update(alert, regions=regions))
    add_field = field.replace("regions", "add_regions")
    refused(UNKNOWN_REGION, add_field, lambda: update(alert, add_regions=regions))


def test_empty_regions_are_refused() -> None:
    empty = RaiseAlert(threat="uav", regions=[])
    message = refused(
        INVALID,
        "regions",
        lambda: raise_alert(
            empty, alert_id="a1", now=NOW, actor="duty", tree=TREE, catalogue=CATALOGUE
        ),
    )
    assert message == "at least one region is required"
    refused(INVALID, "regions", lambda: update(raised(), regions=[]))


def test_region_limit() -> None:
    at_limit = [f"XX-{i}" for i in range(MAX_REGIONS)]
    refused(UNKNOWN_REGION, "regions[0]", lambda: raised(*at_limit))
    message = refused(INVALID, "regions", lambda: raised(*at_limit, "XX-last"))
    assert message == f"at most {MAX_REGIONS} regions per alert"


def test_duplicate_regions_are_dropped_keeping_order() -> None:
    alert = raised("UA-05", "UA-63", "UA-05", "RU-BEL", "UA-63")
    assert alert.regions == ("UA-05", "UA-63", "RU-BEL")


@pytest.mark.parametrize("threat", ["nuke", "", "Missile", "missile "])
def test_unknown_threat_is_refused(threat: str) -> None:
    refused(UNKNOWN_THREAT, "threat", lambda: raised(threat=threat))
    alert = raised()
    refused(UNKNOWN_THREAT, "threat", lambda: update(alert, threat=threat))


@pytest.mark.parametrize(("name", "limit"), [("headline", MAX_HEADLINE), ("text", MAX_TEXT)])
def test_text_limits(name: str, limit: int) -> None:
    longest = " " + "x" * limit + "\n"
    assert getattr(raised(**{name: longest}), name) == "x" * limit
    too_long = "x" * (limit + 1)
    message = refused(INVALID, name, lambda: raised(**{name: too_long}))
    assert message == f"{name} is {limit + 1} characters; at most {limit}"
    alert = raised()
    refused(INVALID, name, lambda: update(alert, **{name: too_long}))


@pytest.mark.parametrize("name", ["headline", "text"])
def test_text_update(name: str) -> None:
    alert = raised(**{name: "old"})
    change = updated(alert, **{name: " new "})
    assert change.type is EventType.UPDATED
    assert change.changes == {name: "new"}
    assert change.alert == replace(alert, updated_at=LATER, version=2, **{name: "new"})
    assert update(alert, **{name: "old "}) is None
    assert update(alert, **{name: "   "}) is None


def test_blank_texts_are_none() -> None:
    alert = raised(headline="  ", text="")
    assert (alert.headline, alert.text) == (None, None)


@pytest.mark.parametrize(
    "expires_at",
    [NOW, NOW - timedelta(seconds=1), datetime(2026, 3, 1, 14, 0), datetime(2030, 1, 1)],
)
def test_bad_expiry_is_refused(expires_at: datetime) -> None:
    refused(INVALID, "expires_at", lambda: raised(expires_at=expires_at))
    alert = raised()
    refused(INVALID, "expires_at", lambda: update(alert, now=NOW, expires_at=expires_at))


def test_expiry_in_another_zone() -> None:
    kyiv = timezone(timedelta(hours=2))
    expires_at = datetime(2026, 3, 1, 14, 0, 1, tzinfo=kyiv)  # 12:00:01 UTC
    assert raised(expires_at=expires_at).expires_at == expires_at
    refused(
        INVALID, "expires_at", lambda: raised(expires_at=datetime(2026, 3, 1, 14, 0, tzinfo=kyiv))
    )


def test_expiry_update() -> None:
    alert = raised(expires_at=EXPIRES)
    later = EXPIRES + timedelta(hours=3)
    change = updated(alert, expires_at=later)
    assert change.type is EventType.UPDATED
    assert change.changes == {"expires_at": "2026-03-01T16:00:00Z"}
    assert change.alert == replace(alert, expires_at=later, updated_at=LATER, version=2)
    assert update(alert, expires_at=EXPIRES) is None


def test_no_op_update_returns_none() -> None:
    alert = raised("UA-63", "UA-05", threat="missile", headline="h", text="t", expires_at=LATER)
    assert update(alert) is None
    assert (
        update(
            alert,
            now=NOW,
            threat="missile",
            regions=["UA-63", "UA-05"],
            headline="h",
            text="t",
            expires_at=LATER,
            status=Status.ACTUAL,
        )
        is None
    )
    assert update(alert, add_regions=["UA-05"]) is None


def test_version_goes_up_by_one_per_change() -> None:
    alert = raised(pre_alert=True)
    steps: list[Callable[[Alert], Change | None]] = [
        lambda a: update(a, threat="missile"),
        lambda a: update(a, threat="missile"),
        lambda a: activate_alert(a, now=LATER),
        lambda a: update(a, add_regions=["UA-05"]),
        lambda a: update(a, headline="Rockets"),
        lambda a: update(a, regions=["UA-05"]),
        lambda a: update(a, threat="uav"),
        lambda a: end_alert(a, now=LATER),
    ]
    versions = [alert.version]
    for step in steps:
        change = step(alert)
        if change is not None:
            alert = change.alert
        versions.append(alert.version)
    assert versions == [1, 2, 2, 3, 4, 5, 6, 7, 8]
    assert (alert.phase, alert.threat, alert.regions) == (Phase.ENDED, "uav", ("UA-05",))


def test_to_json() -> None:
    alert = replace(
        end_alert(raised("UA-63", "UA-05", headline="h", expires_at=EXPIRES), now=LATER).alert,
        source="api",
    )
    assert alert.to_json() == {
        "id": "a1",
        "status": "actual",
        "phase": "ended",
        "threat": "uav",
        "regions": ["UA-63", "UA-05"],
        "raised_at": "2026-03-01T12:00:00Z",
        "activated_at": "2026-03-01T12:00:00Z",
        "updated_at": "2026-03-01T14:00:00Z",
        "ended_at": "2026-03-01T14:00:00Z",
        "expires_at": "2026-03-01T13:00:00Z",
        "version": 2,
        "raised_by": "duty",
        "headline": "h",
        "text": None,
        "cancel_message": None,
        "source": "api",
        "approval": None,
    }
    assert Alert.from_json(alert.to_json()) == alert


def test_to_json_keeps_other_offsets() -> None:
    kyiv = timezone(timedelta(hours=2))
    alert = raised(now=datetime(2026, 3, 1, 14, 0, 0, 500, tzinfo=kyiv))
    assert alert.to_json()["raised_at"] == "2026-03-01T14:00:00.000500+02:00"
    assert Alert.from_json(alert.to_json()) == alert


def test_from_json_without_optional_fields() -> None:
    data = raised().to_json()
    for name in (
        "activated_at",
        "ended_at",
        "expires_at",
        "headline",
        "text",
        "cancel_message",
        "source",
    ):
        del data[name]
    assert Alert.from_json(data) == replace(raised(), activated_at=None)


# Whole seconds: Python 3.11's fromisoformat reads "+00:00:00.000001" as UTC.
OFFSETS = st.just(UTC) | st.integers(-86399, 86399).map(lambda s: timezone(timedelta(seconds=s)))
TIMES = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=OFFSETS
)
TEXTS = st.none() | st.text(max_size=40)
ALERTS = st.builds(
    Alert,
    id=st.text(min_size=1, max_size=36),
    status=st.sampled_from(Status),
    phase=st.sampled_from(Phase),
    threat=st.sampled_from(CATALOGUE.ids()),
    regions=st.lists(st.sampled_from(POOL), min_size=1, unique=True).map(tuple),
    raised_at=TIMES,
    updated_at=TIMES,
    raised_by=st.text(max_size=40),
    version=st.integers(min_value=1, max_value=2**31),
    activated_at=st.none() | TIMES,
    ended_at=st.none() | TIMES,
    expires_at=st.none() | TIMES,
    headline=TEXTS,
    text=TEXTS,
    cancel_message=TEXTS,
    source=TEXTS,
)


@given(ALERTS)
def test_json_round_trip(alert: Alert) -> None:
    data = json.loads(json.dumps(alert.to_json()))
    restored = Alert.from_json(data)
    assert restored == alert
    assert restored.to_json() == alert.to_json()
    assert restored.raised_at.utcoffset() == alert.raised_at.utcoffset()


class Lifecycle(RuleBasedStateMachine):
    """One alert driven by random commands, checked against a small model after each step."""

    @initialize(
        threat=st.sampled_from(CATALOGUE.ids()),
        regions=st.lists(st.sampled_from(POOL), min_size=1, max_size=4),
        status=st.sampled_from(Status),
        pre_alert=st.booleans(),
        expires_in=st.none() | st.integers(min_value=1, max_value=180),
    )
    def raise_one(
        self,
        threat: str,
        regions: list[str],
        status: Status,
        pre_alert: bool,
        expires_in: int | None,
    ) -> None:
        self.now = NOW
        expires_at = None if expires_in is None else NOW + timedelta(minutes=expires_in)
        cmd = RaiseAlert(threat, regions, status, pre_alert, expires_at)
        change = raise_alert(
            cmd, alert_id="sm", now=NOW, actor="duty", tree=TREE, catalogue=CATALOGUE
        )
        self.alert = change.alert
        self.status = status
        self.accepted = 0
        self.was_active = not pre_alert
        assert self.alert.regions == tuple(dict.fromkeys(regions))
        assert self.alert.phase is (Phase.PRE_ALERT if pre_alert else Phase.ACTIVE)

    @rule(minutes=st.integers(min_value=0, max_value=90))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule()
    def activate(self) -> None:
        change = self.attempt(lambda: activate_alert(self.alert, now=self.now), "activate")
        if change is not None:
            assert change.alert.activated_at == self.now

    @rule(threat=st.sampled_from(CATALOGUE.ids()))
    def change_threat(self, threat: str) -> None:
        before = self.alert
        change = self.attempt(lambda: update(before, self.now, threat=threat), "update")
        if change is None:
            assert not before.is_open or threat == before.threat
            return
        assert change.alert.threat == threat
        old, new = CATALOGUE[before.threat].rank, CATALOGUE[threat].rank
        assert change.type is (EventType.ESCALATED if new > old else EventType.DEESCALATED)

    @rule(code=st.sampled_from(POOL))
    def add_region(self, code: str) -> None:
        before = self.alert
        change = self.attempt(lambda: update(before, self.now, add_regions=[code]), "update")
        if change is None:
            assert not before.is_open or code in before.regions
            return
        assert change.alert.regions == (*before.regions, code)
        assert change.changes == {"regions": {"added": [code], "removed": []}}

    @rule(code=st.sampled_from(POOL))
    def remove_region(self, code: str) -> None:
        before = self.alert
        if before.is_open and (code not in before.regions or before.regions == (code,)):
            refused(
                INVALID, "remove_regions", lambda: update(before, self.now, remove_regions=[code])
            )
            return
        change = self.attempt(lambda: update(before, self.now, remove_regions=[code]), "update")
        if change is not None:
            assert change.alert.regions == tuple(r for r in before.regions if r != code)
            assert change.changes == {"regions": {"added": [], "removed": [code]}}

    @rule(status=st.sampled_from(Status))
    def change_status(self, status: Status) -> None:
        before = self.alert
        if before.is_open and status is not before.status:
            refused(
                ILLEGAL, "status", lambda: update(before, self.now, status=status, threat="missile")
            )
            return
        assert self.attempt(lambda: update(before, self.now, status=status), "update") is None

    @rule()
    def end(self) -> None:
        self.attempt(lambda: end_alert(self.alert, now=self.now), "end")

    @rule(message=st.none() | st.text(max_size=20))
    def cancel(self, message: str | None) -> None:
        change = self.attempt(
            lambda: cancel_alert(self.alert, now=self.now, message=message), "cancel"
        )
        if change is not None:
            assert change.alert.cancel_message == ((message or "").strip() or None)

    @rule()
    def expire(self) -> None:
        before = self.alert
        due = before.expires_at is not None and before.expires_at <= self.now
        if before.is_open and not due:
            refused(ILLEGAL, "expires_at", lambda: expire_alert(before, now=self.now))
            return
        change = self.attempt(lambda: expire_alert(before, now=self.now), "expire")
        if change is not None:
            assert change.alert.ended_at == before.expires_at

    def attempt(self, act: Callable[[], Change | None], action: str) -> Change | None:
        before = self.alert
        allowed, target = TRANSITIONS[action]
        if before.phase not in allowed:
            refused(ILLEGAL, "phase", act)
            return None
        change = act()
        if change is None:
            assert action == "update"
            return None
        after = change.alert
        assert after.version == before.version + 1
        assert after.phase is (target or before.phase)
        assert after.updated_at == self.now
        assert (after.id, after.raised_at, after.raised_by) == ("sm", NOW, "duty")
        if before.activated_at is not None:
            assert after.activated_at == before.activated_at
        self.alert = after
        self.accepted += 1
        self.was_active = self.was_active or after.phase is Phase.ACTIVE
        return change

    @invariant()
    def status_never_changes(self) -> None:
        assert self.alert.status is self.status

    @invariant()
    def one_version_per_accepted_change(self) -> None:
        assert self.alert.version == 1 + self.accepted

    @invariant()
    def regions_never_empty_nor_repeated(self) -> None:
        assert self.alert.regions
        assert len(set(self.alert.regions)) == len(self.alert.regions)
        assert set(self.alert.regions) <= set(POOL)

    @invariant()
    def ended_exactly_when_final(self) -> None:
        assert (self.alert.ended_at is not None) is (self.alert.phase in FINAL_PHASES)
        assert self.alert.is_open is (self.alert.phase in OPEN_PHASES)

    @invariant()
    def activated_exactly_once_active(self) -> None:
        assert (self.alert.activated_at is not None) is self.was_active

    @invariant()
    def round_trips(self) -> None:
        assert Alert.from_json(self.alert.to_json()) == self.alert


def test_lifecycle_state_machine() -> None:
    run_state_machine_as_test(Lifecycle, settings=settings(max_examples=200, deadline=None))

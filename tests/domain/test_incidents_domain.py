"""Incidents, pure: quantities, claims, the figure rule (with Hypothesis), responses, checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.alerts import Status
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.auth import Actor, Role
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.threats import builtin
from tocsin.errors import Forbidden, InvalidInput, TocsinError
from tocsin.records.domain import figures as fig
from tocsin.records.domain.claim_intake import new_claim
from tocsin.records.domain.claims import (
    ACTIONS,
    Claim,
    ClaimStatus,
    Measure,
    Reliability,
    Source,
    SourceKind,
    StatusChange,
    change_status,
    check_claim_set,
    live,
    parse_measure,
    superseders,
)
from tocsin.records.domain.figures import Standing, derive_figures, figure_history, series_figure
from tocsin.records.domain.incident_texts import MEASURES, name_of
from tocsin.records.domain.incidents import (
    STATUS_EVENTS,
    AddClaim,
    AmendIncident,
    CreateIncident,
    EventType,
    Incident,
    IncidentRecord,
    IncidentStatus,
    Place,
    SourceInput,
    amend_incident,
    close_incident,
    create_incident,
    link_alerts,
    reopen_incident,
)
from tocsin.records.domain.quantities import VAGUE, Kind, Quantity, envelope, total
from tocsin.records.domain.responses import (
    AddResponse,
    ResponseStatus,
    UpdateResponse,
    new_response,
    update_response,
)
from tocsin.service.bus import Context

T0 = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
CATALOGUE = builtin()
TREE = RegionTree(
    [
        Region("UA", "country", {"en": "Ukraine"}),
        Region("UA-63", "oblast", {"en": "Kharkiv Oblast"}, parent="UA"),
        Region("UA-63-R124", "raion", {"en": "Kharkivskyi raion"}, parent="UA-63"),
        Region("UA-12", "oblast", {"en": "Dnipropetrovsk Oblast"}, parent="UA"),
    ]
)


def fails(fn: Any, code: str, field: str | None = None) -> TocsinError:
    with pytest.raises(TocsinError) as caught:
        fn()
    assert caught.value.code == code, caught.value
    if field is not None:
        assert caught.value.field == field
    return caught.value


def claim(
    measure: Measure = Measure.INJURED,
    q: Quantity | int = 1,
    *,
    seq: int = 1,
    status: ClaimStatus = ClaimStatus.UNVERIFIED,
    grade: str = "F",
    source: str = "Source",
    originator: str | None = None,
    weapon: str | None = None,
    supersedes: tuple[str, ...] = (),
    at: datetime | None = None,
    id: str | None = None,
) -> Claim:
    quantity = Quantity.exact(q) if isinstance(q, int) else q
    return Claim(
        id=id or f"c{seq}",
        incident_id="i1",
        measure=measure,
        quantity=quantity,
        source=Source(source, SourceKind.OTHER, originator, None, at),
        reliability=Reliability(grade),
        recorded_at=T0 + timedelta(minutes=seq),
        recorded_by="op",
        weapon=weapon,
        supersedes=supersedes,
        initial_status=status,
        seq=seq,
    )


def changed(c: Claim, status: ClaimStatus, seq: int) -> Claim:
    change = StatusChange(status, c.status, T0 + timedelta(minutes=seq), "op", None, seq)
    return replace(c, changes=(*c.changes, change))


def incident(**fields: Any) -> Incident:
    base: dict[str, Any] = {
        "id": "i1",
        "status": IncidentStatus.OPEN,
        "start": T0,
        "recorded_at": T0,
        "updated_at": T0,
        "created_by": "op",
        "regions": ("UA-63",),
        "threats": ("missile",),
    }
    base.update(fields)
    return Incident(**base)


# --- quantities ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "low", "high", "kind"),
    [
        ("5", 5, 5, Kind.EXACT),
        ("0", 0, 0, Kind.ZERO),
        ("none", 0, 0, Kind.ZERO),
        ("немає", 0, 0, Kind.ZERO),
        ("5-6", 5, 6, Kind.RANGE),
        ("5–6", 5, 6, Kind.RANGE),
        (" 5 — 6 ", 5, 6, Kind.RANGE),
        ("5 to 6", 5, 6, Kind.RANGE),
        ("6-6", 6, 6, Kind.EXACT),
        ("at least 22", 22, None, Kind.AT_LEAST),
        ("22+", 22, None, Kind.AT_LEAST),
        ("щонайменше 22", 22, None, Kind.AT_LEAST),
        ("не менее 22", 22, None, Kind.AT_LEAST),
        ("more than 20", 21, None, Kind.AT_LEAST),
        ("понад 20", 21, None, Kind.AT_LEAST),
        ("up to 10", 0, 10, Kind.AT_MOST),
        ("fewer than 3", 0, 2, Kind.AT_MOST),
        ("dozens", 20, 99, Kind.VAGUE),
        ("Десятки", 20, 99, Kind.VAGUE),
        ("several", 2, 9, Kind.VAGUE),
        ("hundreds", 200, 999, Kind.VAGUE),
        ("many", 2, None, Kind.VAGUE),
        ("about 50", 45, 55, Kind.VAGUE),
        ("~5", 4, 6, Kind.VAGUE),
        ("близько 20", 18, 22, Kind.VAGUE),
    ],
)
def test_quantities_read_as_reports_state_them(
    text: str, low: int, high: int | None, kind: Kind
) -> None:
    q = Quantity.parse(text)
    assert (q.low, q.high, q.kind) == (low, high, kind)
    assert Quantity.from_json(q.to_json()) == q


@pytest.mark.parametrize(
    ("value", "minimum", "maximum", "code", "field"),
    [
        (-1, None, None, "negative_count", "value"),
        ("-3", None, None, "negative_count", "value"),
        (None, -1, None, "negative_count", "min"),
        (None, 2, -1, "negative_count", "max"),
        (None, 6, 5, "invalid_range", "max"),
        ("6-5", None, None, "invalid_range", "max"),
        (5, 1, None, "invalid_input", "value"),
        (None, None, None, "invalid_input", "value"),
        (True, None, None, "invalid_input", "value"),
        (2.5, None, None, "invalid_input", "value"),
        ("lots and lots", None, None, "invalid_input", "value"),
        ("fewer than 0", None, None, "negative_count", "value"),
        (10**12, None, None, "invalid_input", "value"),
    ],
)
def test_bad_counts_are_refused(
    value: Any, minimum: Any, maximum: Any, code: str, field: str
) -> None:
    fails(lambda: Quantity.of(value, minimum, maximum), code, field)


def test_explicit_zero_is_not_unknown_and_reads_in_three_languages() -> None:
    zero = Quantity.of(0)
    assert zero.is_zero and zero.value == 0 and zero.to_json()["kind"] == "zero"
    assert [zero.text(lang) for lang in ("en", "uk", "ru")] == [
        "none (0)",
        "жодного (0)",
        "ни одного (0)",
    ]
    assert Quantity.of(None, 22).text("uk") == "щонайменше 22"
    assert Quantity.of("dozens").text() == "dozens (20–99)"
    assert Quantity.of(None, 5, 6).text() == "5–6"
    assert Quantity.of(None, None, 10).text("ru") == "до 10"
    assert Quantity.of("about 50").text("uk") == "близько 50 (45–55)"


def test_envelope_and_total() -> None:
    a, b = Quantity.between(5, 6), Quantity.at_least(3)
    assert envelope([a, b]) == Quantity.at_least(3)
    assert envelope([a, Quantity.exact(8)]) == Quantity.between(5, 8)
    assert envelope([a]) is a
    assert total([Quantity.exact(49), Quantity.exact(4)]) == Quantity.exact(53)
    assert total([Quantity.exact(1), Quantity.at_least(2)]) == Quantity.at_least(3)
    with pytest.raises(ValueError):
        envelope([])


def test_every_vague_word_is_a_valid_range() -> None:
    for word, (low, high) in VAGUE.items():
        q = Quantity.vague(word)
        assert q.low == low and q.high == high and q.words == word


# --- measures, sources, statuses ---------------------------------------------------------------


def test_measures_have_names_in_every_language_and_aliases() -> None:
    for measure in Measure:
        assert set(MEASURES[measure.value]) == {"en", "uk", "ru"}
    assert name_of(MEASURES, Measure.INJURED, "uk") == "Поранені"
    assert parse_measure("wounded") is Measure.INJURED
    assert parse_measure("Windows-Broken") is Measure.WINDOWS_BROKEN
    fails(lambda: parse_measure("vibes"), "unknown_measure", "measure")


@pytest.mark.parametrize(
    ("name", "url", "published", "code", "field"),
    [
        ("", None, None, "empty_source", "source.name"),
        ("   ", None, None, "empty_source", "source.name"),
        (None, None, None, "empty_source", "source.name"),
        ("x" * 201, None, None, "invalid_input", "source.name"),
        ("Channel", "javascript:alert(1)", None, "invalid_input", "source.url"),
        ("Channel", None, datetime(2026, 3, 1), "invalid_input", "source.published_at"),
        ("Chan\x00nel", None, None, "invalid_input", "source.name"),
    ],
)
def test_bad_sources_are_refused(
    name: str | None, url: str | None, published: datetime | None, code: str, field: str
) -> None:
    fails(lambda: Source.of(name, "media", None, url, published), code, field)


def test_status_transitions() -> None:
    c = claim()
    verified = change_status(c, "verify", now=T0, actor="op", note="called the OVA")
    assert (verified.previous, verified.status, verified.note) == (
        ClaimStatus.UNVERIFIED,
        ClaimStatus.CONFIRMED,
        "called the OVA",
    )
    confirmed = changed(c, ClaimStatus.CONFIRMED, 2)
    fails(
        lambda: change_status(confirmed, "verify", now=T0, actor="op", note=None),
        "illegal_transition",
        "status",
    )
    disputed = changed(confirmed, ClaimStatus.DISPUTED, 3)
    assert change_status(disputed, "verify", now=T0, actor="op", note=None).status is (
        ClaimStatus.CONFIRMED
    )
    retracted = changed(disputed, ClaimStatus.RETRACTED, 4)
    for action in ACTIONS:
        fails(
            lambda a=action: change_status(retracted, a, now=T0, actor="op", note=None),
            "illegal_transition",
            "status",
        )
    fails(lambda: change_status(c, "bless", now=T0, actor="op", note=None), "invalid_input")


def test_event_types_of_status_changes_agree() -> None:
    assert {s: e.value for s, e in STATUS_EVENTS.items()} == dict(fig.STATUS_EVENTS)
    assert EventType.CLAIM_ADDED.value == fig.CLAIM_ADDED


# --- supersession and claim sets ----------------------------------------------------------------


def test_retracting_a_correction_brings_back_what_it_corrected() -> None:
    old = claim(q=22, seq=1)
    new = claim(q=28, seq=2, supersedes=("c1",))
    assert live([old, new]) == [new]
    assert superseders([old, new]) == {"c1": ["c2"]}
    assert live([old, changed(new, ClaimStatus.RETRACTED, 3)]) == [old]


@pytest.mark.parametrize(
    ("launched", "intercepted", "weapons", "same_source", "ok"),
    [
        (49, 21, ("uav", "uav"), True, True),
        (49, 49, ("uav", "uav"), True, True),
        (49, 50, ("uav", "uav"), True, False),
        (49, 50, ("uav", "missile"), True, True),
        (49, 50, (None, "uav"), True, False),
        (49, 50, ("uav", None), True, True),
        (49, 50, ("uav", "uav"), False, True),
        (Quantity.between(40, 49), Quantity.vague("dozens"), ("uav", "uav"), True, True),
        (Quantity.between(40, 49), Quantity.at_least(50), ("uav", "uav"), True, False),
        (Quantity.at_least(10), Quantity.exact(500), ("uav", "uav"), True, True),
    ],
)
def test_intercepted_may_not_exceed_launched_in_one_claim_set(
    launched: Any, intercepted: Any, weapons: tuple[Any, Any], same_source: bool, ok: bool
) -> None:
    sent = claim(Measure.LAUNCHED, launched, seq=1, weapon=weapons[0], source="Air Force")
    other = "Air Force" if same_source else "Channel"
    downed = claim(Measure.INTERCEPTED, intercepted, seq=2, weapon=weapons[1], source=other)
    for new, old in ((downed, sent), (sent, downed)):  # whichever comes second
        if ok:
            check_claim_set(new, [old])
        else:
            fails(
                lambda n=new, o=old: check_claim_set(n, [o]),
                "intercepted_exceeds_launched",
                "value",
            )


def test_a_claim_set_counts_only_live_claims() -> None:
    sent = claim(Measure.LAUNCHED, 10, seq=1, source="Air Force")
    check_claim_set(
        claim(Measure.INTERCEPTED, 20, seq=2, source="Air Force"),
        [changed(sent, ClaimStatus.RETRACTED, 3)],
    )
    corrected = claim(Measure.LAUNCHED, 30, seq=4, source="Air Force", supersedes=("c1",))
    check_claim_set(claim(Measure.INTERCEPTED, 20, seq=5, source="Air Force"), [sent, corrected])


# --- the figure rule ---------------------------------------------------------------------------


def test_confirmed_wins_over_unverified_most_reliable_then_latest() -> None:
    rumour = claim(q=40, seq=1)
    media = changed(claim(q=25, seq=2, grade="C"), ClaimStatus.CONFIRMED, 10)
    official = changed(claim(q=22, seq=3, grade="A"), ClaimStatus.CONFIRMED, 11)
    later = changed(claim(q=28, seq=4, grade="A"), ClaimStatus.CONFIRMED, 12)
    figure = series_figure([rumour, media, official])
    assert figure is not None
    assert (figure.quantity.value, figure.status) == (22, Standing.CONFIRMED)
    assert figure.claims == ("c3",)
    figure = series_figure([rumour, media, official, later])
    assert figure is not None and figure.quantity.value == 28
    stated_earlier = replace(later, source=replace(later.source, published_at=T0))
    figure = series_figure([official, stated_earlier])
    assert figure is not None and figure.quantity.value == 22  # stated later wins, not typed later


def test_unverified_claims_give_their_envelope_and_disputed_ones_are_shown_only() -> None:
    five_six = claim(Measure.DETONATIONS_HEARD, Quantity.between(5, 6), seq=1)
    three = claim(Measure.DETONATIONS_HEARD, Quantity.at_least(3), seq=2)
    nine = changed(claim(Measure.DETONATIONS_HEARD, 9, seq=3), ClaimStatus.DISPUTED, 4)
    figure = derive_figures([five_six, three, nine])[Measure.DETONATIONS_HEARD]
    assert figure.quantity == Quantity.at_least(3)
    assert (figure.status, figure.claims, figure.disputed) == (
        Standing.UNVERIFIED,
        ("c1", "c2"),
        ("c3",),
    )
    assert Measure.DETONATIONS_HEARD not in derive_figures([nine])
    retracted = changed(five_six, ClaimStatus.RETRACTED, 5)
    assert derive_figures([retracted, three])[Measure.DETONATIONS_HEARD].claims == ("c2",)
    assert derive_figures([retracted]) == {}


def test_explicit_zero_is_a_figure_unknown_is_none() -> None:
    figures = derive_figures([changed(claim(q=0), ClaimStatus.CONFIRMED, 2)])
    assert figures[Measure.INJURED].quantity.is_zero
    assert Measure.KILLED not in figures


def test_weapon_parts_and_totals() -> None:
    uav = changed(claim(Measure.LAUNCHED, 49, seq=1, weapon="uav"), ClaimStatus.CONFIRMED, 5)
    missile = claim(Measure.LAUNCHED, 4, seq=2, weapon="missile")
    figure = derive_figures([uav, missile])[Measure.LAUNCHED]
    assert (figure.quantity.value, figure.status) == (49, Standing.CONFIRMED)  # confirmed parts
    assert [(p.weapon, p.quantity.value) for p in figure.parts] == [("missile", 4), ("uav", 49)]
    both = derive_figures([uav, changed(missile, ClaimStatus.CONFIRMED, 6)])[Measure.LAUNCHED]
    assert (both.quantity.value, both.status) == (53, Standing.CONFIRMED)
    unverified_total = claim(Measure.LAUNCHED, 60, seq=3)
    assert derive_figures([uav, unverified_total])[Measure.LAUNCHED].quantity.value == 49
    confirmed_total = changed(unverified_total, ClaimStatus.CONFIRMED, 7)
    assert derive_figures([uav, confirmed_total])[Measure.LAUNCHED].quantity.value == 60
    assert derive_figures([missile, unverified_total])[Measure.LAUNCHED].quantity.value == 60
    assert derive_figures([missile])[Measure.LAUNCHED].quantity.value == 4


def test_figure_history_keeps_every_value() -> None:
    first = claim(q=22, seq=1, grade="A")
    first = changed(first, ClaimStatus.CONFIRMED, 2)
    second = changed(claim(q=28, seq=3, grade="A", supersedes=("c1",)), ClaimStatus.CONFIRMED, 4)
    history = figure_history([first, second])[Measure.INJURED]
    assert [(r.seq, r.quantity and r.quantity.text(), r.status, r.cause) for r in history] == [
        (1, "22", Standing.UNVERIFIED, "incident.claim_added"),
        (2, "22", Standing.CONFIRMED, "incident.claim_verified"),
        (3, "28", Standing.UNVERIFIED, "incident.claim_added"),
        (4, "28", Standing.CONFIRMED, "incident.claim_verified"),
    ]
    gone = figure_history(
        [
            first,
            changed(second, ClaimStatus.RETRACTED, 5),
        ]
    )[Measure.INJURED]
    assert gone[-1].quantity is not None and gone[-1].quantity.value == 22
    only = figure_history([changed(claim(q=1), ClaimStatus.RETRACTED, 2)])[Measure.INJURED]
    assert [(r.quantity, r.cause) for r in only][-1] == (None, "incident.claim_retracted")


# --- Hypothesis: the rule's invariants -----------------------------------------------------------

MEASURES_TRIED = (Measure.LAUNCHED, Measure.INTERCEPTED, Measure.INJURED)
quantities = st.one_of(
    st.integers(0, 60).map(Quantity.exact),
    st.tuples(st.integers(0, 30), st.integers(0, 30)).map(
        lambda p: Quantity.between(min(p), max(p))
    ),
    st.integers(0, 60).map(Quantity.at_least),
    st.sampled_from(sorted(VAGUE)).map(Quantity.vague),
)


WEAPONS = (None, "uav", "missile")
claim_specs = st.tuples(
    st.sampled_from(MEASURES_TRIED),
    quantities,
    st.sampled_from([ClaimStatus.UNVERIFIED, ClaimStatus.CONFIRMED, ClaimStatus.DISPUTED]),
    st.sampled_from("ABCDEF"),
    st.none() | st.integers(0, 600),
    st.sampled_from(WEAPONS),
    st.integers(0, 3),  # 0: supersedes nothing; n: the n-th latest claim of its series
)
change_specs = st.tuples(st.integers(0, 11), st.sampled_from(list(fig.STATUS_EVENTS)))


@st.composite
def claim_lists(draw: st.DrawFn) -> list[Claim]:
    """Up to 12 claims (some superseding earlier ones), then up to 4 status changes."""
    made: list[Claim] = []
    for seq, (measure, q, status, grade, minute, weapon, back) in enumerate(
        draw(st.lists(claim_specs, max_size=12)), start=1
    ):
        weapon = weapon if measure is not Measure.INJURED else None
        same = [c.id for c in made if c.series == (measure, weapon)]
        supersedes = (same[-back],) if back and len(same) >= back else ()
        at = None if minute is None else T0 + timedelta(minutes=minute)
        made.append(
            claim(
                measure,
                q,
                seq=seq,
                status=status,
                grade=grade,
                at=at,
                weapon=weapon,
                supersedes=supersedes,
            )
        )
    seq = len(made)
    for index, status in draw(st.lists(change_specs, max_size=4)):
        if index < len(made) and made[index].status not in (status, ClaimStatus.RETRACTED):
            seq += 1
            made[index] = changed(made[index], status, seq)
    return made


def _next_seq(claims: list[Claim]) -> int:
    return 1 + max([0, *(c.seq for c in claims), *(ch.seq for c in claims for ch in c.changes)])


@settings(max_examples=150, deadline=None)
@given(claim_lists())
def test_retracted_claims_never_influence(claims: list[Claim]) -> None:
    kept = [c for c in claims if c.status is not ClaimStatus.RETRACTED]
    assert derive_figures(claims) == derive_figures(kept)


@settings(max_examples=150, deadline=None)
@given(claim_lists())
def test_only_live_claims_count_and_order_does_not_matter(claims: list[Claim]) -> None:
    figures = derive_figures(claims)
    assert figures == derive_figures(live(claims))
    assert figures == derive_figures(list(reversed(claims)))


@settings(max_examples=150, deadline=None)
@given(
    claim_lists(),
    st.sampled_from(MEASURES_TRIED),
    quantities,
    st.sampled_from([None, "uav", "missile"]),
    st.sampled_from("ABCDEF"),
)
def test_an_unverified_claim_never_changes_a_confirmed_figure(
    claims: list[Claim], measure: Measure, q: Quantity, weapon: str | None, grade: str
) -> None:
    weapon = weapon if measure is not Measure.INJURED else None
    before = derive_figures(claims)
    extra = claim(measure, q, seq=_next_seq(claims), weapon=weapon, grade=grade, id="new")
    after = derive_figures([*claims, extra])
    for m, figure in before.items():
        if figure.status is Standing.CONFIRMED:
            assert (after[m].key, after[m].claims) == (figure.key, figure.claims)


@settings(max_examples=150, deadline=None)
@given(claim_lists())
def test_figures_rest_on_their_claims_and_history_ends_at_them(claims: list[Claim]) -> None:
    figures = derive_figures(claims)
    by_id = {c.id: c for c in live(claims)}
    for measure, figure in figures.items():
        basis = [by_id[i] for i in figure.claims]
        assert basis and all(c.measure is measure for c in basis)
        wanted = (
            ClaimStatus.CONFIRMED
            if figure.status is Standing.CONFIRMED
            else (ClaimStatus.UNVERIFIED)
        )
        assert all(c.status is wanted for c in basis)
        if not figure.parts and figure.status is Standing.UNVERIFIED:
            q = figure.quantity
            assert all(q.low <= c.quantity.low for c in basis)
            assert all(
                q.high is None or (c.quantity.high is not None and c.quantity.high <= q.high)
                for c in basis
            )
    history = figure_history(claims)
    for measure in Measure:
        current = figures.get(measure)
        if measure not in history:
            assert current is None
            continue
        last = history[measure][-1]
        assert (last.quantity, last.status) == (
            (current.quantity, current.status) if current else (None, None)
        )


# --- incidents ---------------------------------------------------------------------------------


def create(**fields: Any) -> Incident:
    body: dict[str, Any] = {"regions": ["UA-63"], "threats": ["missile"], "start": T0}
    body.update(fields)
    return create_incident(
        CreateIncident(**body), incident_id="i1", now=T0, actor="op", tree=TREE, catalogue=CATALOGUE
    )


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"end": T0 - timedelta(minutes=1)}, "end_before_start", "end"),
        ({"regions": ["UA-63", "UA-99"]}, "unknown_region", "regions[1]"),
        ({"regions": []}, "invalid_input", "regions"),
        ({"threats": ["meteor"]}, "unknown_threat", "threats[0]"),
        ({"threats": []}, "invalid_input", "threats"),
        ({"start": datetime(2026, 3, 1)}, "invalid_input", "start"),
        ({"start": None}, "invalid_input", "start"),
        ({"title": "x" * 201}, "invalid_input", "title"),
        ({"mode": "drill"}, "invalid_input", "mode"),
        ({"mode": "open"}, "invalid_input", "mode"),
    ],
)
def test_bad_incidents_are_refused(fields: dict[str, Any], code: str, field: str) -> None:
    fails(lambda: create(**fields), code, field)


def test_create_amend_link_close_reopen() -> None:
    made = create(
        regions=["UA-63", "UA-63"],
        end=T0 + timedelta(hours=1),
        places=[Place.of(49.99, 36.23, 500, "Saltivka")],
    )
    assert made.regions == ("UA-63",) and made.is_open
    assert Incident.from_json(made.to_json()) == made
    change = amend_incident(
        made,
        AmendIncident(title="Night attack", add_regions=["UA-12"]),
        now=T0,
        tree=TREE,
        catalogue=CATALOGUE,
    )
    assert change is not None and change.type is EventType.UPDATED
    assert change.incident.regions == ("UA-63", "UA-12") and change.incident.version == 2
    assert change.changes["regions"] == {"added": ["UA-12"]}
    assert (
        amend_incident(
            change.incident,
            AmendIncident(title="Night attack"),
            now=T0,
            tree=TREE,
            catalogue=CATALOGUE,
        )
        is None
    )
    fails(
        lambda: amend_incident(
            made, AmendIncident(end=T0 - timedelta(1)), now=T0, tree=TREE, catalogue=CATALOGUE
        ),
        "end_before_start",
        "end",
    )
    linked = link_alerts(made, ["a1", "a1"], now=T0)
    assert linked is not None and linked.incident.alerts == ("a1",)
    assert link_alerts(linked.incident, ["a1"], now=T0) is None
    closed = close_incident(made, now=T0, end=T0 + timedelta(hours=2)).incident
    assert closed.closed_at == T0 and closed.end == T0 + timedelta(hours=2)
    for fn in (
        lambda: close_incident(closed, now=T0),
        lambda: link_alerts(closed, ["a2"], now=T0),
        lambda: amend_incident(
            closed, AmendIncident(title="x"), now=T0, tree=TREE, catalogue=CATALOGUE
        ),
    ):
        fails(fn, "incident_closed", "status")
    fails(lambda: close_incident(made, now=T0, end=T0 - timedelta(1)), "end_before_start", "end")
    assert close_incident(made, now=T0).changes["status"] == {"from": "open", "to": "closed"}
    reopened = reopen_incident(closed, now=T0)
    assert reopened.incident.is_open and reopened.incident.status is IncidentStatus.OPEN
    assert reopened.changes == {"status": {"from": "closed", "to": "open"}}
    fails(lambda: reopen_incident(made, now=T0), "illegal_transition", "status")


def test_the_mode_is_kept_apart_from_the_status() -> None:
    made = create(mode="exercise")
    assert (made.mode, made.status) == (Status.EXERCISE, IncidentStatus.OPEN)
    assert made.to_json()["mode"] == "exercise" and made.to_json()["status"] == "open"
    assert "state" not in made.to_json()
    closed = close_incident(made, now=T0).incident
    assert (closed.mode, closed.status) == (Status.EXERCISE, IncidentStatus.CLOSED)
    assert Incident.from_json(closed.to_json()) == closed
    assert create().mode is Status.ACTUAL


@pytest.mark.parametrize(
    ("session", "mode", "allowed"),
    [
        (None, Status.EXERCISE, True),
        ("exercise", Status.EXERCISE, True),
        ("exercise", Status.ACTUAL, False),
        ("actual", Status.TEST, False),
    ],
)
def test_a_session_touches_only_incidents_of_its_mode(
    session: str | None, mode: Status, allowed: bool
) -> None:
    actor = Actor("ivan", Role.OPERATOR, session_mode=session)
    for incident_id in (None, "i1"):

        def check(incident_id: str | None = incident_id) -> None:
            doing = "record" if incident_id is None else "change"
            context(actor).check_mode(mode, doing, what="incident", field="mode")

        if allowed:
            check()
        else:
            refused = fails(check, "forbidden", "mode")
            assert f"in {session} mode" in str(refused) and mode.value in str(refused)


@pytest.mark.parametrize(
    ("lat", "lon", "precision", "field"),
    [
        (91, 0, None, "places[0].lat"),
        (0, 181, None, "places[0].lon"),
        (0, 0, -1, "places[0].precision_m"),
        (True, 0, None, "places[0].lat"),
    ],
)
def test_bad_places_are_refused(lat: Any, lon: Any, precision: Any, field: str) -> None:
    fails(lambda: Place.of(lat, lon, precision), "invalid_input", field)


def add(record: IncidentRecord, claim_id: str = "n1", **fields: Any) -> Claim:
    body: dict[str, Any] = {"measure": "injured", "value": 1, "source": SourceInput("OVA")}
    body.update(fields)
    return new_claim(
        record, AddClaim(**body), claim_id=claim_id, now=T0, actor="op", catalogue=CATALOGUE
    )


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"value": -1}, "negative_count", "value"),
        ({"source": SourceInput("")}, "empty_source", "source.name"),
        ({"measure": "vibes"}, "unknown_measure", "measure"),
        ({"weapon": "uav"}, "invalid_input", "weapon"),
        ({"measure": "launched", "weapon": "meteor"}, "unknown_threat", "weapon"),
        ({"reliability": "G"}, "invalid_input", "reliability"),
        ({"status": "retracted"}, "invalid_input", "status"),
        ({"status": "sure"}, "invalid_input", "status"),
        ({"supersedes": ["nope"]}, "unknown_claim", "supersedes[0]"),
        ({"supersedes": ["c1"], "measure": "killed"}, "invalid_input", "supersedes[0]"),
        ({"supersedes": ["c1"]}, "already_superseded", "supersedes[0]"),
        (
            {"measure": "intercepted", "value": 60, "source": SourceInput("Air Force")},
            "intercepted_exceeds_launched",
            "value",
        ),
        (
            {
                "measure": "intercepted",
                "value": None,
                "minimum": 60,
                "source": SourceInput("air force"),
            },
            "intercepted_exceeds_launched",
            "min",
        ),
        ({"measure": "intercepted", "value": 49, "source": SourceInput("Air Force")}, None, None),
    ],
)
def test_bad_claims_are_refused(
    fields: dict[str, Any], code: str | None, field: str | None
) -> None:
    first = claim(q=3, seq=1)
    record = IncidentRecord(
        incident(),
        (
            first,
            claim(q=4, seq=2, id="c2", supersedes=("c1",)),
            claim(Measure.LAUNCHED, 49, seq=3, id="c3", source="Air Force"),
        ),
    )
    if code is None:
        assert add(record, **fields).quantity.value == 49
    else:
        fails(lambda: add(record, **fields), code, field)


def test_a_closed_incident_takes_no_claims() -> None:
    record = IncidentRecord(incident(status=IncidentStatus.CLOSED))
    fails(lambda: add(record), "incident_closed", "status")


def test_common_words_for_weapons_and_threats() -> None:
    made = add(IncidentRecord(incident()), measure="launched", value=49, weapon="Shahed")
    assert made.weapon == "uav"
    assert create(threats=["drone", "uav", "rocket"]).threats == ("uav", "missile")
    fails(lambda: create(threats=["catapult"]), "unknown_threat", "threats[0]")


def test_new_claim_normalises_its_parts() -> None:
    made = add(
        IncidentRecord(incident()),
        measure="wounded",
        value="at least 22",
        reliability="b",
        source=SourceInput("OVA", "official", "Governor", "https://t.me/x/1", T0),
    )
    assert (made.measure, made.quantity, made.reliability) == (
        Measure.INJURED,
        Quantity.at_least(22),
        Reliability.B,
    )
    assert made.source.kind is SourceKind.OFFICIAL and made.as_of == T0
    assert Claim.from_json(made.to_json()) == made


# --- authorization -----------------------------------------------------------------------------


def context(actor: Actor) -> Context:
    """The bus's context of a command, as an incident handler sees it (no unit of work)."""
    return Context(actor, None, T0, tree=TREE, catalogue=builtin(), policy=ApprovalPolicy())  # type: ignore[arg-type]


def authorize_incident(actor: Actor, regions: list[str], *, field: str = "regions") -> None:
    context(actor).authorize_regions(regions, field=field, subject="incidents")


def test_who_may_record_incidents() -> None:
    authorize_incident(Actor("admin", Role.ADMIN), ["UA-12"])
    operator = Actor("kharkiv", Role.OPERATOR, frozenset({"UA-63"}))
    authorize_incident(operator, ["UA-63-R124"])
    with pytest.raises(Forbidden) as caught:
        authorize_incident(operator, ["UA-63", "UA-12"])
    assert caught.value.field == "regions[1]"
    assert "may record incidents only in UA-63" in str(caught.value)
    with pytest.raises(Forbidden) as caught:
        authorize_incident(operator, ["UA-12"], field="add_regions")
    assert caught.value.field == "add_regions[0]"
    for actor in (
        Actor("v", Role.VIEWER),
        Actor("a", Role.APPROVER, frozenset({"UA"})),
        Actor("o", Role.OPERATOR, frozenset()),
    ):
        with pytest.raises(Forbidden):
            authorize_incident(actor, ["UA-63"])


# --- responses ---------------------------------------------------------------------------------


def respond(**fields: Any) -> Any:
    body: dict[str, Any] = {"kind": "crew", "task": "assessment"}
    body.update(fields)
    return new_response(AddResponse(**body), response_id="r1", incident_id="i1", now=T0, actor="op")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"task": None}, "task"),
        ({"kind": "utility_restoration", "task": None}, "utility"),
        ({"kind": "parade"}, "kind"),
        ({"task": "sightseeing"}, "task"),
        ({"people": -3}, "people"),
        ({"progress": 101}, "progress"),
        ({"status": "completed"}, "status"),
        ({"started_at": T0, "expected_at": T0 - timedelta(hours=1)}, "expected_at"),
    ],
)
def test_bad_responses_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        respond(**fields)
    assert caught.value.field == field


def test_response_kinds_by_other_names() -> None:
    assert respond(kind="crew_dispatched").kind.value == "crew"
    assert respond(kind="shelter_opened", task=None).kind.value == "shelter"


def test_response_progress_and_completion() -> None:
    action = respond(
        kind="utility_restoration",
        task=None,
        utility="power",
        expected_at=T0 + timedelta(hours=6),
        party="Kharkivoblenergo",
    )
    assert action.status is ResponseStatus.IN_PROGRESS and action.progress is None
    step = update_response(
        action, UpdateResponse(progress=40, note="two lines back"), now=T0, actor="op"
    )
    action = replace(action, updates=(step,))
    assert action.progress == 40 and action.expected == T0 + timedelta(hours=6)
    later = update_response(
        action, UpdateResponse(expected_at=T0 + timedelta(hours=9)), now=T0, actor="op"
    )
    action = replace(action, updates=(step, later))
    assert action.expected == T0 + timedelta(hours=9)
    fails(lambda: update_response(action, UpdateResponse(), now=T0, actor="op"), "invalid_input")
    fails(
        lambda: update_response(action, UpdateResponse(status="planned"), now=T0, actor="op"),
        "illegal_transition",
        "status",
    )
    done = update_response(
        action, UpdateResponse(status="completed", at=T0 + timedelta(hours=8)), now=T0, actor="op"
    )
    action = replace(action, updates=(step, later, done))
    assert action.status is ResponseStatus.COMPLETED and action.progress == 100
    assert action.completed_at == T0 + timedelta(hours=8)
    fails(
        lambda: update_response(action, UpdateResponse(note="again"), now=T0, actor="op"),
        "illegal_transition",
        "status",
    )

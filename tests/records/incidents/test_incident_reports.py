"""Statistics, the conflict-event CSV mapping and the JSON views, from records (no database)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tocsin.api.incident_views import claim_answer, incident_view, terms_view, timeline_view
from tocsin.domain.alerts import Status
from tocsin.domain.events import Event
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.threats import builtin
from tocsin.errors import InvalidInput
from tocsin.records.domain import incident_texts as texts
from tocsin.records.domain.claims import (
    Claim,
    ClaimStatus,
    Measure,
    Reliability,
    Source,
    SourceKind,
    StatusChange,
)
from tocsin.records.domain.incidents import Incident, IncidentRecord, IncidentStatus, Place
from tocsin.records.domain.quantities import VAGUE, Kind, Quantity
from tocsin.records.domain.responses import (
    ResponseAction,
    ResponseKind,
    ResponseStatus,
    ResponseUpdate,
    Task,
    Utility,
)
from tocsin.records.handlers.incident_reports import COLUMNS, event_rows, statistics, to_csv, zone

T0 = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
CATALOGUE = builtin()
TREE = RegionTree(
    [
        Region("UA", "country", {"en": "Ukraine", "uk": "Україна"}),
        Region(
            "UA-63", "oblast", {"en": "Kharkiv Oblast", "uk": "Харківська область"}, parent="UA"
        ),
        Region("UA-63-R1", "raion", {"en": "Kharkivskyi raion"}, parent="UA-63"),
        Region("UA-63-H1", "hromada", {"en": "Kharkiv hromada"}, parent="UA-63-R1"),
        Region("UA-12", "oblast", {"en": "Dnipropetrovsk Oblast"}, parent="UA"),
    ]
)
_seq = iter(range(1, 10_000))


def claim(
    measure: Measure,
    q: Quantity | int,
    *,
    confirmed: bool = False,
    weapon: str | None = None,
    source: str = "OVA",
    retracted: bool = False,
) -> Claim:
    seq = next(_seq)
    made = Claim(
        id=f"c{seq}",
        incident_id="i",
        measure=measure,
        quantity=Quantity.exact(q) if isinstance(q, int) else q,
        source=Source(source, SourceKind.OFFICIAL),
        reliability=Reliability.A,
        recorded_at=T0,
        recorded_by="op",
        weapon=weapon,
        seq=seq,
        initial_status=ClaimStatus.CONFIRMED if confirmed else ClaimStatus.UNVERIFIED,
    )
    if retracted:
        change = StatusChange(ClaimStatus.RETRACTED, made.status, T0, "op", "wrong", next(_seq))
        made = replace(made, changes=(change,))
    return made


def record(
    *claims: Claim,
    regions: tuple[str, ...] = ("UA-63-H1",),
    threats: tuple[str, ...] = ("missile",),
    **fields: Any,
) -> IncidentRecord:
    incident = Incident(
        id=f"i{next(_seq)}",
        status=fields.pop("status", IncidentStatus.OPEN),
        start=fields.pop("start", T0),
        recorded_at=T0,
        updated_at=T0,
        created_by="op",
        regions=regions,
        threats=threats,
        **fields,
    )
    return IncidentRecord(incident, tuple(replace(c, incident_id=incident.id) for c in claims))


# --- statistics --------------------------------------------------------------------------------


def test_interception_uses_exact_figures_and_leaves_out_impossible_ones() -> None:
    odesa = record(
        claim(Measure.LAUNCHED, 49, weapon="uav", confirmed=True),
        claim(Measure.INTERCEPTED, 21, weapon="uav", confirmed=True),
    )
    kharkiv = record(
        claim(Measure.LAUNCHED, 3, weapon="missile", confirmed=True),
        claim(Measure.INTERCEPTED, 2, weapon="missile"),
    )
    vague = record(
        claim(Measure.LAUNCHED, Quantity.vague("dozens")), claim(Measure.INTERCEPTED, 12)
    )
    impossible = record(
        claim(Measure.LAUNCHED, 5, source="A"), claim(Measure.INTERCEPTED, 9, source="B")
    )
    launched_only = record(claim(Measure.LAUNCHED, 10))
    stats = statistics([odesa, kharkiv, vague, impossible, launched_only])
    reported = stats["interception"]
    assert (reported["launched"], reported["intercepted"], reported["based_on"]) == (52, 23, 2)
    assert reported["rate"] == round(23 / 52, 4) and reported["inconsistent"] == 1
    assert reported["by_weapon"]["uav"] == {
        "launched": 49,
        "intercepted": 21,
        "rate": 0.4286,
        "based_on": 1,
        "inconsistent": 0,
    }
    assert reported["confirmed"]["based_on"] == 1  # Kharkiv's interceptions are unverified
    assert list(reported["confirmed"]["by_weapon"]) == ["uav"]
    empty = statistics([])["interception"]
    assert (empty["rate"], empty["based_on"]) == (None, 0)


def test_casualties_confirmed_only_unless_asked_and_zero_is_not_unknown() -> None:
    one = record(
        claim(Measure.INJURED, 1, confirmed=True), claim(Measure.KILLED, 0, confirmed=True)
    )
    rumour = record(claim(Measure.INJURED, Quantity.between(3, 5)))
    gone = record(claim(Measure.KILLED, 4, retracted=True))
    strict = statistics([one, rumour, gone])
    assert strict["casualties"]["injured"] == {"value": 1, "min": 1, "max": 1, "based_on": 1}
    assert strict["casualties"]["killed"] == {"value": 0, "min": 0, "max": 0, "based_on": 1}
    assert strict["evacuated"] == {"value": None, "min": None, "max": None, "based_on": 0}
    loose = statistics([one, rumour, gone], confirmed_only=False)
    assert loose["casualties"]["injured"] == {"value": None, "min": 4, "max": 6, "based_on": 2}
    open_ended = statistics(
        [record(claim(Measure.INJURED, Quantity.at_least(22)))], confirmed_only=False
    )
    assert open_ended["casualties"]["injured"] == {
        "value": None,
        "min": 22,
        "max": None,
        "based_on": 1,
    }


def test_counts_by_status_and_threat() -> None:
    stats = statistics(
        [
            record(threats=("missile", "uav")),
            record(threats=("uav",)),
            record(status=IncidentStatus.CLOSED, threats=("artillery",)),
        ]
    )
    assert (stats["incidents"], stats["open"], stats["closed"]) == (3, 2, 1)
    assert stats["by_threat"] == {"artillery": 1, "missile": 1, "uav": 2}
    assert set(stats["damage"]) == {
        "buildings_damaged",
        "windows_broken",
        "vehicles_destroyed",
        "vehicles_damaged",
    }


# --- the CSV mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threats", "event_type", "sub_event_type"),
    [
        (("missile",), "Explosions/Remote violence", "Shelling/artillery/missile attack"),
        (("artillery",), "Explosions/Remote violence", "Shelling/artillery/missile attack"),
        (("uav",), "Explosions/Remote violence", "Air/drone strike"),
        (("aviation",), "Explosions/Remote violence", "Air/drone strike"),
        (("uav", "missile"), "Explosions/Remote violence", "Shelling/artillery/missile attack"),
        (("chemical",), "Explosions/Remote violence", "Chemical weapon"),
        (("urban_fighting",), "Battles", "Armed clash"),
        (("radiation",), "Strategic developments", "Other"),
    ],
)
def test_event_types_follow_the_most_severe_threat(
    threats: tuple[str, ...], event_type: str, sub_event_type: str
) -> None:
    row = event_rows([record(threats=threats)], TREE, CATALOGUE, tz=UTC)[0]
    assert (row["event_type"], row["sub_event_type"]) == (event_type, sub_event_type)


def test_a_configured_threat_type_brings_its_own_event_type() -> None:
    swarm = {
        "rank": 45,
        "names": {"en": "Drone swarm"},
        "instructions": {"en": "Stay indoors."},
        "cap": CATALOGUE["uav"].cap.to_json(),
        "incident": {"event_type": "Explosions/Remote violence", "sub_event_type": "Swarm"},
    }
    plain = {**swarm, "rank": 46}
    del plain["incident"]
    catalogue = CATALOGUE.with_overrides({"swarm": swarm, "plain": plain})
    row = event_rows([record(threats=("swarm",))], TREE, catalogue, tz=UTC)[0]
    assert (row["event_type"], row["sub_event_type"]) == ("Explosions/Remote violence", "Swarm")
    row = event_rows([record(threats=("plain",))], TREE, catalogue, tz=UTC)[0]
    assert row["sub_event_type"] == "Shelling/artillery/missile attack"  # as missile


@pytest.mark.parametrize(
    ("regions", "admin1", "admin2", "location"),
    [
        (("UA-63-H1",), "Kharkiv Oblast", "Kharkivskyi raion", "Kharkiv hromada"),
        (("UA-63-R1",), "Kharkiv Oblast", "Kharkivskyi raion", "Kharkivskyi raion"),
        (("UA-63",), "Kharkiv Oblast", "", "Kharkiv Oblast"),
        (("UA",), "", "", "Ukraine"),
    ],
)
def test_admin_levels_come_from_the_region_tree(
    regions: tuple[str, ...], admin1: str, admin2: str, location: str
) -> None:
    row = event_rows([record(regions=regions)], TREE, CATALOGUE, tz=UTC)[0]
    assert (row["admin1"], row["admin2"], row["location"]) == (admin1, admin2, location)
    assert (row["latitude"], row["longitude"]) == ("", "")


def test_a_row_tells_the_figures_sources_and_the_conservative_fatalities() -> None:
    made = record(
        claim(Measure.KILLED, Quantity.between(2, 3)),
        claim(Measure.INJURED, 5, confirmed=True, source="Kharkiv OVA"),
        claim(Measure.LAUNCHED, 4, weapon="missile", source="Air Force"),
        claim(Measure.DETONATIONS_HEARD, 6, source="Channel", retracted=True),
        regions=("UA-63-H1", "UA-12"),
        title="Night attack",
        places=(Place(49.99351, 36.23041, 500, "Saltivka"),),
    )
    kyiv = zone("Europe/Kyiv")
    row = event_rows([made], TREE, CATALOGUE, tz=kyiv)[0]
    assert row["event_date"] == "2026-03-02"  # 22:30 UTC is past midnight in Kyiv
    assert event_rows([made], TREE, CATALOGUE, tz=UTC)[0]["event_date"] == "2026-03-01"
    assert (row["location"], row["latitude"], row["longitude"]) == (
        "Saltivka",
        "49.9935",
        "36.2304",
    )
    assert row["fatalities"] == "2"
    strict = event_rows([made], TREE, CATALOGUE, tz=kyiv, confirmed_only=True)[0]
    assert strict["fatalities"] == "0"
    assert row["source"] == "OVA; Kharkiv OVA; Air Force"  # the retracted channel is left out
    assert row["notes"].startswith("Night attack. Figures: launched 4 (missile 4) [unverified]")
    assert "killed 2–3 [unverified]" in row["notes"] and "injured 5 [confirmed]" in row["notes"]
    assert "Also: Dnipropetrovsk Oblast" in row["notes"] and made.incident.id in row["notes"]
    parsed = list(csv.DictReader(io.StringIO(to_csv([row]))))
    assert tuple(parsed[0]) == COLUMNS and parsed[0] == row
    uk = event_rows([made], TREE, CATALOGUE, tz=UTC, lang="uk")[0]
    assert uk["admin1"] == "Харківська область"


@pytest.mark.parametrize(
    ("mode", "notes"),
    [
        (Status.ACTUAL, "Drill. "),
        (Status.EXERCISE, "EXERCISE. Drill. "),
        (Status.TEST, "TEST. Drill. "),
    ],
)
def test_the_notes_of_a_drill_start_with_its_mode(mode: Status, notes: str) -> None:
    row = event_rows([record(mode=mode, title="Drill")], TREE, CATALOGUE, tz=UTC)[0]
    assert row["notes"].startswith(notes)


def test_a_view_names_the_status_and_marks_the_mode() -> None:
    made = record(status=IncidentStatus.CLOSED, mode=Status.EXERCISE)
    view = incident_view(made, TREE, CATALOGUE, "uk", full=False)
    assert (view["status"], view["status_name"]) == ("closed", "Закрито")
    assert (view["mode"], view["marker"]) == ("exercise", "НАВЧАННЯ")
    assert "state" not in view and "state_name" not in view


def test_unknown_time_zone() -> None:
    with pytest.raises(InvalidInput) as caught:
        zone("Mars/Olympus")
    assert caught.value.field == "tz"


# --- views -------------------------------------------------------------------------------------


def test_every_name_is_there_in_every_language() -> None:
    for table, kind in (
        (texts.CLAIM_STATUSES, ClaimStatus),
        (texts.INCIDENT_STATUSES, IncidentStatus),
        (texts.RELIABILITY, Reliability),
        (texts.SOURCE_KINDS, SourceKind),
        (texts.RESPONSE_KINDS, ResponseKind),
        (texts.TASKS, Task),
        (texts.UTILITIES, Utility),
        (texts.RESPONSE_STATUSES, ResponseStatus),
        (texts.MEASURES, Measure),
    ):
        assert set(table) == {m.value for m in kind}, kind
        for names in table.values():
            assert set(names) == {"en", "uk", "ru"} and all(names.values())
    assert texts.name_of(texts.TASKS, None, "uk") is None
    assert texts.name_of(texts.TASKS, "custom", "uk") == "custom"


def test_views_show_figures_with_sources_claims_with_history_and_responses() -> None:
    first = claim(Measure.INJURED, 22, confirmed=True)
    second = replace(
        claim(Measure.INJURED, 28, confirmed=True),
        supersedes=(first.id,),
        source=Source(
            "OVA", SourceKind.OFFICIAL, "Governor", "https://x.ua/1", T0 + timedelta(hours=9)
        ),
    )
    done = ResponseUpdate(ResponseStatus.COMPLETED, T0, "op", T0, None, "repaired")
    action = ResponseAction(
        "r1", "i", ResponseKind.CREW, T0, T0, "op", Task.REPAIR, party="DTEK", updates=(done,)
    )
    made = replace(record(first, second), responses=(action,))
    view = incident_view(made, TREE, CATALOGUE, "uk")
    injured = view["figures"]["injured"]
    assert (injured["value"], injured["name"], injured["status_name"]) == (
        28,
        "Поранені",
        "Підтверджено",
    )
    assert injured["sources"][0] | {"claim": None} == {
        "name": "OVA",
        "kind": "official",
        "kind_name": "Офіційне джерело",
        "originator": "Governor",
        "url": "https://x.ua/1",
        "published_at": "2026-03-02T07:30:00Z",
        "as_of": "2026-03-02T07:30:00Z",
        "reliability": "A",
        "status": "confirmed",
        "claim": None,
    }
    old, new = view["claims"]
    assert (old["superseded_by"], old["counts"], new["counts"]) == ([new["id"]], False, True)
    assert [r["text"] for r in view["figure_history"]["injured"]] == ["22", "28"]
    assert view["regions"][0]["name"] == "Kharkiv hromada"
    assert view["responses"][0] | {"updates": None} == view["responses"][0] | {
        "kind_name": "Направлено бригаду",
        "task_name": "Ремонт",
        "status": "completed",
        "progress": 100,
        "completed_at": "2026-03-01T22:30:00Z",
        "updates": None,
    }
    brief = incident_view(made, TREE, CATALOGUE, "en", full=False)
    assert "claims" not in brief and brief["claims_count"] == 2
    answer = claim_answer(made, new["id"], TREE, CATALOGUE, "ru")
    assert (answer["id"], answer["figures"]["injured"]["name"]) == (new["id"], "Раненые")
    event = Event(second.seq, "e", "incident.claim_added", T0, "op", None, {"incident_id": "i"})
    timeline = timeline_view([event], made, "en")
    assert [f["text"] for f in timeline["events"][0]["figures"]] == ["28"]


@pytest.mark.parametrize("lang", ["en", "uk", "ru"])
def test_terms_name_what_a_client_offers_and_every_vague_word_reads_as_its_range(
    lang: str,
) -> None:
    terms = terms_view(lang)
    assert [m["id"] for m in terms["measures"]] == [m.value for m in Measure]
    weapons = {m["id"] for m in terms["measures"] if m["weapon"]}
    assert weapons == {"launched", "intercepted", "impacts", "debris_falls"}
    assert [s["id"] for s in terms["claim_statuses"]] == ["unverified", "confirmed", "disputed"]
    assert [r["id"] for r in terms["reliability"]] == list("ABCDEF")
    assert {k["id"] for k in terms["response_kinds"]} == {k.value for k in ResponseKind}
    ranges = {(low, high) for low, high in VAGUE.values()}
    assert {(w["min"], w["max"]) for w in terms["vague_words"]} == ranges  # one word per range
    for word in terms["vague_words"]:
        stated = Quantity.of(word["name"])
        assert (stated.kind, stated.low, stated.high) == (Kind.VAGUE, word["min"], word["max"])
    if lang == "uk":
        assert terms["measures"][0]["name"] == "Запущено"
        assert [w["name"] for w in terms["vague_words"]][2] == "десятки"

"""CAP import as a command: Alert raises, Update changes or ends, Cancel cancels, repeats are
no-ops, and a refused message changes nothing (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cap_support import (
    KHARKIV_CITY,
    START,
    area,
    cap_index,
    info,
    message,
    ref_of,
    shared,
)

from tocsin.bootstrap import Tocsin, build
from tocsin.cap.errors import CapInvalid, CapRefused, CapUnknownReference
from tocsin.cap.render import CapConfig
from tocsin.config import Settings
from tocsin.domain.alerts import Phase, RaiseAlert, Status, UpdateAlert
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.auth import Actor, Role
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import builtin
from tocsin.errors import Conflict, Forbidden, IllegalTransition, TocsinError
from tocsin.regions.packs import load_pack
from tocsin.service import cap_import
from tocsin.service.bus import CommandBus
from tocsin.service.cap_import import CapImportService, ImportResult
from tocsin.service.cap_publish import CapPublisher
from tocsin.service.ports import ManualClock
from tocsin.storage.cap_store import CapStore
from tocsin.storage.memory import MemoryUnitOfWorkFactory

ADMIN = Actor("importer", Role.ADMIN)
KHARKIV_AUTOMATION = Actor("kharkiv-feed", Role.AUTOMATION, frozenset({"UA-63"}))


def service(tocsin: Tocsin) -> CapImportService:
    return CapImportService(tocsin.bus)


async def imported(tocsin: Tocsin, data: bytes, actor: Actor = ADMIN) -> ImportResult:
    return await service(tocsin).import_message(data, actor)


async def refused(
    tocsin: Tocsin, data: bytes, kind: type[TocsinError] = CapRefused, actor: Actor = ADMIN
) -> TocsinError:
    before = await tocsin.store.last_seq()
    with pytest.raises(kind) as err:
        await imported(tocsin, data, actor)
    assert await tocsin.store.last_seq() == before  # a rejected import changes nothing
    return err.value


async def test_an_alert_with_an_iso_geocode_raises_an_alert(tocsin: Tocsin) -> None:
    result = await imported(tocsin, message())
    alert = result.alert
    assert result.action == "raised" and result.created
    assert (alert.threat, alert.regions, alert.status, alert.phase) == (
        "missile",
        ("UA-63",),
        Status.ACTUAL,
        Phase.ACTIVE,
    )
    assert alert.expires_at == START + timedelta(hours=2)
    assert alert.headline == "Missile threat in Kharkiv oblast"
    assert alert.text == "Missiles launched towards Kharkiv."
    assert alert.source == "cap:cap@kharkiv.example.ua"
    assert alert.raised_by == "importer"
    events = await CapStore(tocsin.store).alert_events(alert.id)
    assert [e.type for e in events] == ["alert.raised"]
    record = await CapStore(tocsin.store).imported("cap@kharkiv.example.ua", "UA-KH-0001")
    assert record is not None and record.alert_id == alert.id and record.sent == START


async def test_a_polygon_around_kharkiv_raises_an_alert_for_the_hromadas_it_covers(
    tocsin: Tocsin,
) -> None:
    data = message(infos=[info(event="Drone attack", areas=[area(polygons=[KHARKIV_CITY])])])
    result = await imported(tocsin, data)
    assert result.alert.threat == "uav"
    assert "UA-63-H1293" in result.alert.regions
    assert all(code.startswith("UA-63-H") for code in result.alert.regions)


async def test_a_circle_and_our_own_codes_and_event_codes(tocsin: Tocsin) -> None:
    areas = [area(circles=["50.45,30.52 5"]), area(geocodes=[("tocsin", "UA-05-R36")])]
    data = message(
        infos=[
            info(
                event="Загроза",
                category="Other",
                event_code=("tocsin", "TOCSIN-ARTILLERY"),
                areas=areas,
            )
        ]
    )
    result = await imported(tocsin, data)
    assert result.alert.threat == "artillery"
    assert set(result.alert.regions) == {"UA-30", "UA-05-R36"}


@pytest.mark.parametrize(
    ("event", "threat"),
    [
        ("Ракетна небезпека", "missile"),
        ("Повітряна тривога", "air"),
        ("UAV threat", "uav"),
        ("Угроза БПЛА", "uav"),
        ("Air raid warning", "air"),
        ("Artillery shelling", "artillery"),
        ("Chemical hazard", "chemical"),
        ("Guided bomb strike", "aviation"),
        ("Missile and drone attack", "missile"),
    ],
)
async def test_events_map_by_keyword(tocsin: Tocsin, event: str, threat: str) -> None:
    result = await imported(tocsin, message(infos=[info(event=event)]))
    assert result.alert.threat == threat


@pytest.mark.parametrize(("status", "ours"), [("Exercise", Status.EXERCISE), ("Test", Status.TEST)])
async def test_exercise_and_test_stay_what_they_are(
    tocsin: Tocsin, status: str, ours: Status
) -> None:
    result = await imported(tocsin, message(status=status))
    assert result.alert.status is ours


async def test_expected_urgency_is_a_pre_alert_that_an_update_activates(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    first = message(infos=[info(urgency="Expected", response="Prepare")])
    result = await imported(tocsin, first)
    assert result.alert.phase is Phase.PRE_ALERT
    clock.advance(60)
    update = message(
        "UA-KH-0002",
        msg_type="Update",
        sent=START + timedelta(minutes=1),
        references=[ref_of(first)],
    )
    result = await imported(tocsin, update)
    assert result.action == "updated" and result.alert.phase is Phase.ACTIVE
    events = await CapStore(tocsin.store).alert_events(result.alert.id)
    assert [e.type for e in events] == ["alert.raised", "alert.activated"]


async def test_update_changes_threat_and_regions_then_all_clear_ends(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    first = message()
    raised = (await imported(tocsin, first)).alert
    clock.advance(60)
    wider = [area(geocodes=[("ISO3166-2", "UA-63"), ("ISO3166-2", "UA-59")])]
    update = message(
        "UA-KH-0002",
        msg_type="Update",
        references=[ref_of(first)],
        sent=START + timedelta(minutes=1),
        infos=[info(event="Drone attack", areas=wider)],
    )
    updated = await imported(tocsin, update)
    assert updated.alert.id == raised.id
    assert (updated.alert.threat, set(updated.alert.regions)) == ("uav", {"UA-59", "UA-63"})
    clock.advance(60)
    clear = message(
        "UA-KH-0003",
        msg_type="Update",
        sent=START + timedelta(minutes=2),
        references=[ref_of(first), ref_of(update)],
        infos=[info(response="AllClear", urgency="Past")],
    )
    ended = await imported(tocsin, clear)
    assert ended.action == "ended" and ended.alert.phase is Phase.ENDED
    events = await CapStore(tocsin.store).alert_events(raised.id)
    assert [e.type for e in events] == ["alert.raised", "alert.deescalated", "alert.ended"]
    again = message(
        "UA-KH-0004",
        msg_type="Cancel",
        references=[ref_of(first)],
        sent=START + timedelta(minutes=3),
    )
    assert (await imported(tocsin, again)).action == "unchanged"  # over already


async def test_cancel_cancels_with_the_note(tocsin: Tocsin, clock: ManualClock) -> None:
    first = message()
    await imported(tocsin, first)
    clock.advance(30)
    cancel = message(
        "UA-KH-0009",
        msg_type="Cancel",
        references=[ref_of(first)],
        note="Sensor error, no launch",
        infos=[],
    )
    result = await imported(tocsin, cancel)
    assert result.action == "cancelled"
    assert result.alert.phase is Phase.CANCELLED
    assert result.alert.cancel_message == "Sensor error, no launch"


async def test_an_update_that_changes_nothing_is_recorded_without_an_event(
    tocsin: Tocsin,
) -> None:
    first = message()
    await imported(tocsin, first)
    before = await tocsin.store.last_seq()
    same = message("UA-KH-0002", msg_type="Update", references=[ref_of(first)])
    result = await imported(tocsin, same)
    assert result.action == "unchanged"
    assert await tocsin.store.last_seq() == before
    assert (await imported(tocsin, same)).action == "replayed"


async def test_repeated_delivery_is_a_no_op(tocsin: Tocsin, clock: ManualClock) -> None:
    data = message()
    first = await imported(tocsin, data)
    before = await tocsin.store.last_seq()
    clock.advance(7200)  # even after it has expired
    again = await imported(tocsin, data)
    assert again.action == "replayed" and not again.created
    assert again.alert.id == first.alert.id
    assert await tocsin.store.last_seq() == before


async def test_an_identifier_reused_for_another_message_conflicts(tocsin: Tocsin) -> None:
    await imported(tocsin, message())
    error = await refused(tocsin, message(sent=START + timedelta(seconds=5)), Conflict)
    assert error.field == "identifier"


async def test_unknown_references_are_refused(tocsin: Tocsin) -> None:
    update = message("X-2", msg_type="Update", references=[("other@x", "X-1", START)])
    error = await refused(tocsin, update, CapUnknownReference)
    assert error.status == 409 and error.field == "references"
    assert "X-1" in error.message


async def test_references_to_two_alerts_are_refused(tocsin: Tocsin) -> None:
    one, two = message("A-1"), message("A-2")
    await imported(tocsin, one)
    await imported(tocsin, two)
    cancel = message("A-3", msg_type="Cancel", references=[ref_of(one), ref_of(two)], infos=[])
    error = await refused(tocsin, cancel)
    assert error.field == "references"


async def test_a_status_cannot_change_by_update(tocsin: Tocsin) -> None:
    first = message(status="Exercise")
    await imported(tocsin, first)
    update = message("UA-KH-0002", msg_type="Update", references=[ref_of(first)])
    error = await refused(tocsin, update, Conflict)
    assert error.field == "status"


async def test_updating_a_closed_alert_is_a_conflict(tocsin: Tocsin) -> None:
    first = message()
    await imported(tocsin, first)
    await imported(tocsin, message("C", msg_type="Cancel", references=[ref_of(first)], infos=[]))
    update = message("U", msg_type="Update", references=[ref_of(first)])
    await refused(tocsin, update, IllegalTransition)


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        (
            message(infos=[info(event="Severe Thunderstorm Warning", category="Met")]),
            "info/event",
            "cap_unknown_event",
        ),
        (
            message(infos=[info(event="UV radiation", category="Met")]),
            "info/event",
            "cap_unknown_event",
        ),
        (
            message(infos=[info(areas=[area(geocodes=[("ISO3166-2", "US-CA")])])]),
            "info/area",
            "cap_no_region",
        ),
        (message(infos=[info(areas=[])]), "info/area", "cap_no_region"),
        (
            message(infos=[info(expires=START - timedelta(minutes=1))]),
            "info/expires",
            "cap_expired",
        ),
        (message(status="System"), "status", "cap_status_unsupported"),
        (message(status="Draft"), "status", "cap_status_unsupported"),
        (message(scope="Restricted"), "scope", "cap_scope_unsupported"),
        (
            message(msg_type="Ack", references=[("a", "b", START)]),
            "msgType",
            "cap_msg_type_unsupported",
        ),
        (message(infos=[]), "info", "cap_nothing_to_raise"),
        (message(infos=[info(response="AllClear")]), "info/responseType", "cap_nothing_to_raise"),
        (
            message(infos=[info(urgency="Past", response=None)]),
            "info/urgency",
            "cap_nothing_to_raise",
        ),
    ],
)
async def test_refusals_name_the_element(
    tocsin: Tocsin, data: bytes, field: str, code: str
) -> None:
    error = await refused(tocsin, data)
    assert (error.field, error.code, error.status) == (field, code, 422)


async def test_the_second_info_is_named_when_it_is_at_fault(tocsin: Tocsin) -> None:
    data = message(
        infos=[
            info(expires=START + timedelta(hours=1), language="en-US"),
            info(expires=START - timedelta(hours=1), language="uk-UA"),
        ]
    )
    error = await refused(tocsin, data)
    assert error.field == "info[2]/expires"


async def test_invalid_messages_change_nothing(tocsin: Tocsin) -> None:
    error = await refused(tocsin, message().replace(b"<scope>Public</scope>", b""), CapInvalid)
    assert error.field == "info"
    error = await refused(tocsin, b"<alert", CapInvalid)
    assert error.field == "alert"


async def test_scope_of_the_actor_is_enforced(tocsin: Tocsin) -> None:
    assert (await imported(tocsin, message(), KHARKIV_AUTOMATION)).created
    elsewhere = message("K-2", infos=[info(areas=[area(geocodes=[("ISO3166-2", "UA-30")])])])
    error = await refused(tocsin, elsewhere, Forbidden, KHARKIV_AUTOMATION)
    assert "UA-30" in error.message
    viewer = Actor("viewer", Role.VIEWER)
    await refused(tocsin, message("K-3"), Forbidden, viewer)


async def test_cap_1_1_is_imported(tocsin: Tocsin) -> None:
    data = message(namespace="urn:oasis:names:tc:emergency:cap:1.1")
    assert (await imported(tocsin, data)).created


async def test_listeners_hear_of_imported_alerts(tocsin: Tocsin) -> None:
    heard: list[str] = []

    class Listener:
        def committed(self, events: object) -> None:
            heard.extend(e.type for e in events)  # type: ignore[attr-defined]

    tocsin.bus.listeners.append(Listener())
    await imported(tocsin, message())
    assert heard == ["alert.raised"]


async def test_tocsin_understands_tocsin(tocsin: Tocsin, clock: ManualClock) -> None:
    """Our own messages, as a neighbouring tocsin would receive them, replay the alert."""
    cmd = RaiseAlert("uav", ["UA-63"], status=Status.EXERCISE, pre_alert=True)
    alert, _ = await tocsin.alerts.raise_alert(cmd, ADMIN)
    for step in (
        lambda: tocsin.alerts.activate(alert.id, ADMIN),
        lambda: tocsin.alerts.update_alert(alert.id, UpdateAlert(threat="missile"), ADMIN),
        lambda: tocsin.alerts.update_alert(alert.id, UpdateAlert(add_regions=["UA-05-R36"]), ADMIN),
        lambda: tocsin.alerts.end(alert.id, ADMIN),
    ):
        clock.advance(30)
        await step()
    publisher = CapPublisher(
        CapStore(tocsin.store),
        tocsin.regions,
        tocsin.catalogue,
        tocsin.clock,
        CapConfig(sender="cap@neighbour.example"),
    )
    seen = []
    for version in range(1, 6):
        data = (await publisher.message(f"tocsin.{alert.id}.{version}")).data
        result = await imported(tocsin, data)
        copy = result.alert
        seen.append((result.action, copy.phase.value, copy.threat, copy.regions))
        assert copy.id != alert.id and copy.status is Status.EXERCISE
    assert seen == [
        ("raised", "pre_alert", "uav", ("UA-63",)),
        ("updated", "active", "uav", ("UA-63",)),
        ("updated", "active", "missile", ("UA-63",)),
        ("updated", "active", "missile", ("UA-05-R36", "UA-63")),
        ("ended", "ended", "missile", ("UA-05-R36", "UA-63")),
    ]


BALLISTIC = {
    "rank": 85,
    "names": {"en": "Ballistic missile threat"},
    "instructions": {"en": "Go to the shelter immediately."},
    "cap": {
        "category": "Security",
        "event_code": "TOCSIN-BALLISTIC",
        "urgency": "Immediate",
        "severity": "Extreme",
        "certainty": "Likely",
        "response_type": "Shelter",
    },
    "keywords": ["iskander", "балістик"],
}


async def test_a_configured_threat_is_recognised_by_its_own_keywords(
    database_url: str, clock: ManualClock
) -> None:
    settings = Settings(database_url=database_url, channels=(), threats={"ballistic": BALLISTIC})
    app = await build(settings, clock=clock)
    try:
        importer = CapImportService(app.bus)
        for identifier, event in [
            ("B-1", "Iskander launch"),
            ("B-2", "Загроза балістики"),
            ("B-3", "Iskander and drone attack"),  # the most severe of both
        ]:
            data = message(identifier, infos=[info(event=event)])
            assert (await importer.import_message(data, ADMIN)).alert.threat == "ballistic"
        coded = message(
            "B-4", infos=[info(event="Alert", event_code=("tocsin", "TOCSIN-BALLISTIC"))]
        )
        assert (await importer.import_message(coded, ADMIN)).alert.threat == "ballistic"
        with pytest.raises(CapRefused) as unknown:
            await importer.import_message(message("B-5", infos=[info(event="Meteor")]), ADMIN)
        assert "TOCSIN-BALLISTIC" in unknown.value.message
        assert "ballistic" in unknown.value.message
    finally:
        await app.close()


# --- the rules every door applies ---------------------------------------------------------

OPERATOR = Actor("kharkiv-duty", Role.OPERATOR, frozenset({"UA"}))
STRICT = ApprovalPolicy(more_regions_than=3, free_text=True)


def oblasts(tocsin: Tocsin, count: int) -> list[str]:
    return [r.code for r in tocsin.regions.tree.children("UA")][:count]


def covering(codes: list[str]) -> str:
    return area("Oblasts", geocodes=[("ISO3166-2", code) for code in codes])


async def state(tocsin: Tocsin) -> tuple[int, int, list[str]]:
    """The event log's head, the audit trail's length and every open or held alert."""
    alerts = await tocsin.store.open_alerts() + await tocsin.store.held_alerts()
    entries = await tocsin.store.audit_entries()
    return await tocsin.store.last_seq(), len(entries), sorted({a.id for a in alerts})


async def test_an_actual_alert_the_two_person_rule_holds_is_imported_pending(
    tocsin: Tocsin,
) -> None:
    tocsin.alerts.policy = STRICT
    before = await tocsin.store.last_seq()
    broad = message(infos=[info(areas=[covering(oblasts(tocsin, 8))])])
    result = await imported(tocsin, broad, OPERATOR)
    assert result.action == "raised" and result.created
    assert result.alert.phase is Phase.PENDING
    assert result.alert.approval is not None
    assert await tocsin.store.last_seq() == before  # nothing goes out before approval
    assert [a.id for a in await tocsin.store.held_alerts()] == [result.alert.id]
    text_only = message("UA-KH-0002", infos=[info()])  # one oblast, but free text
    assert (await imported(tocsin, text_only, OPERATOR)).alert.phase is Phase.PENDING
    drill = message(
        "UA-KH-0003", status="Exercise", infos=[info(areas=[covering(oblasts(tocsin, 8))])]
    )
    assert (await imported(tocsin, drill, OPERATOR)).alert.phase is Phase.ACTIVE


@pytest.mark.parametrize("msg_type", ["Cancel", "Update"])
async def test_a_cancel_or_all_clear_withdraws_a_held_alert(
    tocsin: Tocsin, clock: ManualClock, msg_type: str
) -> None:
    tocsin.alerts.policy = STRICT
    first = message()
    held = (await imported(tocsin, first, OPERATOR)).alert
    clock.advance(60)
    clear = [info(response="AllClear", urgency="Past")] if msg_type == "Update" else []
    closing = message("UA-KH-0002", msg_type=msg_type, references=[ref_of(first)], infos=clear)
    before = await tocsin.store.last_seq()
    result = await imported(tocsin, closing, OPERATOR)
    assert result.action == "withdrawn" and result.alert.phase is Phase.REJECTED
    assert await tocsin.store.last_seq() == before  # it never went out, so nothing to say
    assert await tocsin.store.held_alerts() == []
    approver = Actor("approver", Role.APPROVER, frozenset({"UA"}))
    with pytest.raises(IllegalTransition):
        await tocsin.alerts.approve(held.id, approver)


async def test_an_update_may_not_widen_an_alert_past_the_two_person_rule(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    first = message()
    raised = (await imported(tocsin, first, OPERATOR)).alert
    tocsin.alerts.policy = STRICT
    clock.advance(60)
    wider = message(
        "UA-KH-0002",
        msg_type="Update",
        references=[ref_of(first)],
        sent=START + timedelta(minutes=1),
        infos=[info(areas=[covering(oblasts(tocsin, 10))], headline="Missiles everywhere")],
    )
    before = await state(tocsin)
    error = await refused(tocsin, wider, Conflict, OPERATOR)
    assert (error.status, error.code, error.field) == (409, "approval_required", "regions")
    assert await state(tocsin) == before
    assert await CapStore(tocsin.store).imported("cap@kharkiv.example.ua", "UA-KH-0002") is None
    assert await tocsin.alerts.get(raised.id) == raised
    with pytest.raises(Conflict) as patched:  # as the same change through the API
        await tocsin.alerts.update_alert(
            raised.id, UpdateAlert(regions=oblasts(tocsin, 10), headline="Missiles"), OPERATOR
        )
    assert patched.value.code == "approval_required"


async def test_new_free_text_by_update_needs_a_second_person(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    first = message()
    await imported(tocsin, first, OPERATOR)
    tocsin.alerts.policy = ApprovalPolicy(free_text=True)
    clock.advance(60)
    reworded = message(
        "UA-KH-0002",
        msg_type="Update",
        references=[ref_of(first)],
        infos=[info(headline="Something else entirely")],
    )
    error = await refused(tocsin, reworded, Conflict, OPERATOR)
    assert error.code == "approval_required"
    cancel = message("UA-KH-0003", msg_type="Cancel", references=[ref_of(first)], infos=[])
    assert (await imported(tocsin, cancel, OPERATOR)).action == "cancelled"  # lowering is fine


async def test_an_exercise_session_imports_no_actual_alert(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    session = Actor("olena", Role.OPERATOR, frozenset({"UA-63"}), session_mode="exercise")
    before = await state(tocsin)
    error = await refused(tocsin, message(), Forbidden, session)
    assert error.field == "status" and "exercise mode" in error.message
    assert await state(tocsin) == before
    assert await CapStore(tocsin.store).imported("cap@kharkiv.example.ua", "UA-KH-0001") is None
    drill = message("UA-KH-0002", status="Exercise")
    assert (await imported(tocsin, drill, session)).alert.status is Status.EXERCISE
    first = message("UA-KH-0003")  # an actual alert, raised by someone in actual mode
    await imported(tocsin, first, OPERATOR)
    clock.advance(60)
    wider = [
        area(geocodes=[("ISO3166-2", "UA-63")]),
        area("Kharkiv again", polygons=[KHARKIV_CITY]),
    ]
    escalate = message(
        "UA-KH-0004",
        msg_type="Update",
        references=[ref_of(first)],
        infos=[info(event="Air raid", areas=wider, headline="Changed")],
    )
    error = await refused(tocsin, escalate, Forbidden, session)
    assert error.field == "status"
    cancel = message("UA-KH-0005", msg_type="Cancel", references=[ref_of(first)], infos=[])
    assert (await imported(tocsin, cancel, session)).action == "cancelled"  # standing down


async def test_every_import_leaves_one_audit_row(tocsin: Tocsin, clock: ManualClock) -> None:
    start = len(await tocsin.store.audit_entries())
    first = message(infos=[info(urgency="Expected", response="Prepare")])
    raised = (await imported(tocsin, first, OPERATOR)).alert
    clock.advance(60)
    update = message(
        "UA-KH-0002",
        msg_type="Update",
        sent=START + timedelta(minutes=1),
        references=[ref_of(first)],
        infos=[info(event="Drone attack")],
    )
    await imported(tocsin, update, OPERATOR)
    await imported(tocsin, update, OPERATOR)  # a repeated delivery writes nothing
    cancel = message("UA-KH-0003", msg_type="Cancel", references=[ref_of(first)], infos=[])
    await imported(tocsin, cancel, OPERATOR)
    again = message("UA-KH-0004", msg_type="Cancel", references=[ref_of(first)], infos=[])
    await imported(tocsin, again, OPERATOR)  # over already: recorded, no change
    entries = (await tocsin.store.audit_entries())[start:]
    assert [e.action for e in entries] == ["cap.imported"] * 4
    assert {e.target for e in entries} == {raised.id}
    assert {e.actor for e in entries} == {"kharkiv-duty"}
    assert [e.detail["message"]["identifier"] for e in entries] == [
        "UA-KH-0001",
        "UA-KH-0002",
        "UA-KH-0003",
        "UA-KH-0004",
    ]
    assert {e.detail["message"]["sender"] for e in entries} == {"cap@kharkiv.example.ua"}
    assert [e.detail["message"]["msg_type"] for e in entries] == [
        "Alert",
        "Update",
        "Cancel",
        "Cancel",
    ]
    assert [[a["type"] for a in e.detail["alerts"]] for e in entries] == [
        ["alert.raised"],
        ["alert.activated", "alert.deescalated"],
        ["alert.cancelled"],
        [],
    ]
    assert [e.detail["action"] for e in entries] == ["raised", "updated", "cancelled", "unchanged"]
    events = await CapStore(tocsin.store).alert_events(raised.id)
    assert [s for e in entries for s in e.detail["events"]] == [e.seq for e in events]
    assert (await tocsin.audit.verify()).ok


@pytest.mark.parametrize(
    "data",
    [
        message(infos=[info(event="Flood", category="Met")]),
        message(infos=[info(areas=[area(geocodes=[("ISO3166-2", "UA-30")])])]),
        message("UA-KH-0009", msg_type="Update", references=[("x@y", "nope", START)]),
    ],
    ids=["unknown-event", "out-of-scope", "unknown-reference"],
)
async def test_a_refused_import_changes_nothing(tocsin: Tocsin, data: bytes) -> None:
    actor = Actor("kharkiv-only", Role.OPERATOR, frozenset({"UA-63"}))
    before = await state(tocsin)
    with pytest.raises(TocsinError):
        await imported(tocsin, data, actor)
    assert await state(tocsin) == before
    for identifier in ("UA-KH-0001", "UA-KH-0009"):
        assert await CapStore(tocsin.store).imported("cap@kharkiv.example.ua", identifier) is None


async def test_an_import_runs_on_the_in_memory_unit_of_work(clock: ManualClock) -> None:
    tree = RegionTree([r for name in Settings().packs for r in load_pack(name)])
    factory = MemoryUnitOfWorkFactory()
    bus = CommandBus(factory, clock, tree=lambda: tree, catalogue=builtin(), policy=STRICT)
    cap_import.register(bus)
    importer = CapImportService(bus)
    held = await importer.import_message(message(), OPERATOR)
    assert held.alert.phase is Phase.PENDING
    state = factory.state
    assert list(state.cap_messages) == [("cap@kharkiv.example.ua", "UA-KH-0001")]
    assert [e.action for e in state.audit] == ["cap.imported"] and state.log == []
    assert (await importer.import_message(message(), OPERATOR)).action == "replayed"
    kyiv = message("UA-KH-0002", infos=[info(areas=[area(geocodes=[("ISO3166-2", "UA-30")])])])
    with pytest.raises(Forbidden):
        await importer.import_message(kyiv, Actor("kharkiv", Role.OPERATOR, frozenset({"UA-63"})))
    assert len(state.cap_messages) == len(state.audit) == len(state.alerts) == 1


# --- real messages from other authorities --------------------------------------------------


async def outcome(tocsin: Tocsin, row: dict[str, str]) -> str | None:
    """What is wrong with how one real message was handled (None: nothing)."""
    data = shared("cap", row["file"]).read_bytes()
    before = await tocsin.store.last_seq()
    try:
        result = await imported(tocsin, data)
    except TocsinError as exc:
        if not (400 <= exc.status < 500 and exc.field and exc.message):
            return f"unclear refusal {exc!r}"
        if await tocsin.store.last_seq() != before:
            return "refused, but the log changed"
        if row["xsd_valid"] != "True" and not isinstance(exc, CapInvalid):
            return f"invalid, but not rejected as invalid: {exc!r}"
        if row["xsd_valid"] == "True" and row["cap_version"] == "1.0":
            return None if "CAP 1.0" in exc.message else f"1.0 without saying so: {exc!r}"
        if row["xsd_valid"] == "True" and isinstance(exc, CapInvalid):
            # XSD-valid, but against a rule of the spec: an Update with empty references
            return None if row["file"].endswith("canada_errors.cap") else f"rejected: {exc!r}"
        return None
    if row["xsd_valid"] != "True":
        return "invalid, but accepted"
    return None if result.alert.regions else "accepted without regions"


@pytest.mark.shared_data
async def test_real_messages_are_accepted_refused_or_rejected_clearly(tocsin: Tocsin) -> None:
    rows = cap_index()
    if not rows:
        shared("cap", "cap_index.csv")  # skips, or fails in CI
    wrong = {row["file"]: problem for row in rows if (problem := await outcome(tocsin, row))}
    assert wrong == {}

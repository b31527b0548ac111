"""The two-person rule and the hash-chained audit trail, on both storage backends."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import update

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import Phase, RaiseAlert, Status
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.audit import verify
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role
from tocsin.errors import Forbidden, IllegalTransition
from tocsin.storage import tables as t
from tocsin.storage.store import HistoryQuery

OPERATOR = Actor(
    name="night officer", role=Role.OPERATOR, regions=frozenset({"UA"}), origin="10.0.0.7"
)
APPROVER = Actor(
    name="shift lead", role=Role.APPROVER, regions=frozenset({"UA"}), origin="10.0.0.8"
)
BELGOROD_APPROVER = Actor(name="belgorod lead", role=Role.APPROVER, regions=frozenset({"RU-BEL"}))

BROAD = RaiseAlert(threat="missile", regions=["UA-63", "UA-59", "UA-74"])


@pytest.fixture
def held(tocsin: Tocsin) -> Tocsin:
    tocsin.alerts.policy = ApprovalPolicy(more_regions_than=2, free_text=True)
    return tocsin


@pytest.mark.parametrize(
    ("cmd", "reason"),
    [
        (BROAD, "it covers 3 regions; more than 2 need a second person's approval"),
        (
            RaiseAlert(threat="uav", regions=["UA-63"], text="Drones over the city"),
            "it carries free text, which needs a second person's approval",
        ),
        (RaiseAlert(threat="uav", regions=["UA-63"]), None),
        (replace(BROAD, status=Status.EXERCISE), None),
    ],
)
def test_policy(cmd: RaiseAlert, reason: str | None) -> None:
    assert ApprovalPolicy(more_regions_than=2, free_text=True).hold(cmd) == reason


async def test_held_alert_stays_private_until_approved(held: Tocsin) -> None:
    before = await held.store.last_seq()
    alert, _ = await held.alerts.raise_alert(BROAD, OPERATOR)
    assert alert.phase is Phase.PENDING
    assert await held.store.last_seq() == before  # nothing public yet
    assert await held.store.open_alerts() == []
    assert await held.store.history(HistoryQuery()) == []
    assert [a.id for a in await held.store.held_alerts()] == [alert.id]
    with pytest.raises(IllegalTransition, match="someone other"):
        await held.alerts.approve(alert.id, replace(OPERATOR, role=Role.ADMIN))
    with pytest.raises(Forbidden):
        await held.alerts.approve(alert.id, OPERATOR)
    with pytest.raises(Forbidden):
        await held.alerts.approve(alert.id, BELGOROD_APPROVER)
    released = await held.alerts.approve(alert.id, APPROVER)
    assert released.phase is Phase.ACTIVE
    assert released.approval is not None and released.approval["approved_by"] == "shift lead"
    [event] = await held.store.events_after(before)
    assert event.type == "alert.raised" and event.data["alert"]["phase"] == "active"
    assert [a.id for a in await held.store.open_alerts()] == [alert.id]


async def test_rejected_alert_never_goes_out(held: Tocsin) -> None:
    before = await held.store.last_seq()
    alert, _ = await held.alerts.raise_alert(BROAD, OPERATOR)
    rejected = await held.alerts.reject(alert.id, APPROVER, "wrong regions")
    assert rejected.phase is Phase.REJECTED
    assert rejected.approval is not None and rejected.approval["rejection"] == "wrong regions"
    assert await held.store.last_seq() == before
    with pytest.raises(IllegalTransition):
        await held.alerts.approve(alert.id, APPROVER)


async def test_the_raiser_may_withdraw(held: Tocsin) -> None:
    alert, _ = await held.alerts.raise_alert(BROAD, OPERATOR)
    withdrawn = await held.alerts.reject(alert.id, OPERATOR, "sent by mistake")
    assert withdrawn.phase is Phase.REJECTED


async def test_audit_trail_records_every_action_and_verifies(held: Tocsin) -> None:
    alert, _ = await held.alerts.raise_alert(BROAD, OPERATOR)
    await held.alerts.approve(alert.id, APPROVER)
    await held.alerts.end(alert.id, OPERATOR)
    new = await held.tokens.create("viewer", name="press desk")
    await held.tokens.revoke(new.record.id)
    entries = await held.store.audit_entries()
    actions = [(e.action, e.actor, e.origin) for e in entries]
    assert actions[-5:] == [
        ("alert.pending", "night officer", "10.0.0.7"),
        ("alert.raised", "shift lead", "10.0.0.8"),
        ("alert.ended", "night officer", "10.0.0.7"),
        ("token.created", "cli", "cli"),
        ("token.revoked", "cli", "cli"),
    ]
    assert actions[0][0] == "regions.imported"
    verdict = await held.audit.verify()
    assert verdict.ok and verdict.checked == len(entries) and verdict.keyed


async def test_tampering_is_detected(held: Tocsin) -> None:
    alert, _ = await held.alerts.raise_alert(BROAD, OPERATOR)
    await held.alerts.approve(alert.id, APPROVER)
    await held.alerts.end(alert.id, LOCAL_ADMIN)
    entries = await held.store.audit_entries()
    victim = entries[-2]
    async with held.store.engine.begin() as conn:
        await conn.execute(
            update(t.audit).where(t.audit.c.seq == victim.seq).values(actor="somebody else")
        )
    verdict = await held.audit.verify()
    assert not verdict.ok
    assert verdict.broken_at == victim.seq and verdict.reason == "its content was changed"
    key = held.store.audit_key
    assert verify(entries[:1] + entries[2:], key).reason == f"entry {entries[1].seq} is missing"

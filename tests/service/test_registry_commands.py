"""Tokens, regions, sirens and subscriptions take the one command path, and the channels report
facts through it: each accepted command leaves one audit row (and its events), a refused one
writes nothing. On both storage backends, and on the in-memory unit of work."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tocsin.bootstrap import Tocsin
from tocsin.channels import subscriptions as channel_kinds
from tocsin.channels.sirens.health import Health, Limits
from tocsin.domain import commands as c
from tocsin.domain.audit import AuditEntry
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role
from tocsin.domain.events import Event
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.sirens import SirenRecord
from tocsin.domain.subscriptions import SubscriptionRecord
from tocsin.domain.threats import builtin
from tocsin.errors import Forbidden, NotFound
from tocsin.service import sirens as siren_handlers
from tocsin.service import subscriptions as subscription_handlers
from tocsin.service.audit import SYSTEM
from tocsin.service.bus import CommandBus, Reporter
from tocsin.service.ports import ManualClock
from tocsin.service.subscriptions import Filters, NewSubscription
from tocsin.storage.memory import MemoryUnitOfWorkFactory
from tocsin.storage.siren_store import SirenStore

BELGOROD_DESK = Actor(name="belgorod desk", role=Role.OPERATOR, regions=frozenset({"RU-BEL"}))
SRC = Path(__file__).parents[2] / "src" / "tocsin"


class Heard:
    """A listener that keeps what each commit published."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def committed(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


@pytest.fixture
def heard(tocsin: Tocsin) -> Heard:
    listener = Heard()
    tocsin.bus.listeners.append(listener)
    return listener


@pytest.fixture
def memory_kind(monkeypatch: pytest.MonkeyPatch) -> str:
    """A kind kept in memory (tests/webhook_support.py), so nothing is resolved or dialled."""
    monkeypatch.setitem(channel_kinds.KINDS, "memory", "webhook_support")
    return "memory"


async def trail(tocsin: Tocsin) -> list[AuditEntry]:
    return await tocsin.store.audit_entries()


async def log(tocsin: Tocsin) -> list[Event]:
    return await tocsin.store.events_after(0, 10_000)


async def subscribe(tocsin: Tocsin, kind: str, actor: Actor = LOCAL_ADMIN, **filters: Any) -> str:
    new = NewSubscription(kind, f"{kind}://desk", Filters(**filters))
    return (await tocsin.subscriptions.create(new, actor)).record.id


# --- subscriptions ------------------------------------------------------------------------


async def test_creating_and_deleting_a_subscription_is_audited(
    tocsin: Tocsin, memory_kind: str
) -> None:
    before, events = len(await trail(tocsin)), len(await log(tocsin))
    sub = await subscribe(tocsin, memory_kind, regions=["UA-63"])
    await tocsin.subscriptions.delete(sub)
    created, deleted = (await trail(tocsin))[before:]
    assert (created.action, created.target, created.actor) == ("subscription.created", sub, "cli")
    assert created.detail["filters"]["regions"] == ["UA-63"]
    assert created.detail["checks"]["authorized"] == "role"
    assert (deleted.action, deleted.target) == ("subscription.deleted", sub)
    assert len(await log(tocsin)) == events  # neither is a public event
    assert await tocsin.subscriptions.records() == []


async def test_a_new_subscription_starts_at_the_log_head(tocsin: Tocsin, memory_kind: str) -> None:
    sub = await subscribe(tocsin, memory_kind)
    assert (await tocsin.subscriptions.get(sub)).start_seq == await tocsin.store.last_seq()


@pytest.mark.parametrize(
    ("actor", "filters", "refusal"),
    [
        (BELGOROD_DESK, {"regions": ["UA-63"]}, Forbidden),
        (BELGOROD_DESK, {"regions": ["RU-BEL"]}, Forbidden),  # subscriptions are for admins
        (LOCAL_ADMIN, {"regions": ["XX-99"]}, Exception),  # an unknown region
    ],
)
async def test_a_refused_subscription_writes_nothing(
    tocsin: Tocsin,
    memory_kind: str,
    actor: Actor,
    filters: dict[str, Any],
    refusal: type[Exception],
) -> None:
    before, events = await trail(tocsin), await log(tocsin)
    with pytest.raises(refusal):
        await subscribe(tocsin, memory_kind, actor, **filters)
    assert await trail(tocsin) == before and await log(tocsin) == events
    assert await tocsin.subscriptions.records() == []


async def test_deleting_an_unknown_subscription_writes_nothing(tocsin: Tocsin) -> None:
    before = await trail(tocsin)
    with pytest.raises(NotFound):
        await tocsin.subscriptions.delete("sub_000000000000")
    with pytest.raises(NotFound):
        await tocsin.subscriptions.resume("sub_000000000000")
    assert await trail(tocsin) == before


async def test_a_paused_subscription_goes_through_the_bus(
    tocsin: Tocsin, memory_kind: str, heard: Heard
) -> None:
    sub = await subscribe(tocsin, memory_kind)
    before, events = len(await trail(tocsin)), len(await log(tocsin))
    cmd = c.PauseSubscription(sub, "event 7: HTTP 410 from hooks.example.org")
    paused = await tocsin.facts.report(cmd, SYSTEM)
    assert (paused.state, paused.state_reason) == ("paused", cmd.reason)
    [entry] = (await trail(tocsin))[before:]
    [event] = (await log(tocsin))[events:]
    assert (event.type, event.actor, event.data) == (
        "subscription.paused",
        "system",
        {"subscription": {"id": sub, "kind": memory_kind}, "stopped_at": 7},
    )
    assert "example.org" not in str(event.data)  # the reason stays with the admins
    assert (entry.action, entry.target, entry.actor, entry.origin) == (
        "subscription.paused",
        sub,
        "system",
        "system",
    )
    assert entry.detail["reason"] == cmd.reason and entry.detail["events"] == [event.seq]
    assert [e.seq for e in heard.events] == [event.seq]  # published after commit
    record = await tocsin.subscriptions.get(sub)
    assert (record.state, record.state_reason) == ("paused", cmd.reason)

    resumed = await tocsin.subscriptions.resume(sub)
    assert (resumed.state, resumed.state_reason) == ("active", None)
    assert (await trail(tocsin))[-1].action == "subscription.resumed"
    count = len(await trail(tocsin))
    await tocsin.subscriptions.resume(sub)  # already active: nothing to do, nothing audited
    assert len(await trail(tocsin)) == count


async def test_a_pause_of_a_deleted_subscription_changes_nothing(tocsin: Tocsin) -> None:
    before, events = await trail(tocsin), await log(tocsin)
    assert await tocsin.facts.report(c.PauseSubscription("sub_gone", "event 1: x"), SYSTEM) is None
    assert await trail(tocsin) == before and await log(tocsin) == events


async def test_channels_report_facts_and_nothing_else(tocsin: Tocsin) -> None:
    before = await trail(tocsin)
    with pytest.raises(TypeError, match="not a fact"):
        await tocsin.facts.report(c.CreateToken("admin"), SYSTEM)
    assert await trail(tocsin) == before


# --- sirens -------------------------------------------------------------------------------


async def test_registering_and_removing_a_siren_is_audited(tocsin: Tocsin, heard: Heard) -> None:
    before = len(await trail(tocsin))
    record = await tocsin.sirens.register("kh-1", "UA-63", LOCAL_ADMIN, "Kharkiv centre")
    registered = (await log(tocsin))[-1]
    assert registered.type == "siren.registered" and record.last_ack_seq == registered.seq
    await tocsin.sirens.remove("kh-1", LOCAL_ADMIN)
    first, second = (await trail(tocsin))[before:]
    assert (first.action, first.target, first.detail["events"]) == (
        "siren.registered",
        "kh-1",
        [registered.seq],
    )
    assert (second.action, second.target) == ("siren.removed", "kh-1")
    assert [e.type for e in heard.events] == ["siren.registered", "siren.removed"]


async def test_a_refused_siren_registration_writes_nothing(tocsin: Tocsin) -> None:
    await tocsin.sirens.register("kh-1", "UA-63", LOCAL_ADMIN)
    before, events = await trail(tocsin), await log(tocsin)
    with pytest.raises(Forbidden):
        await tocsin.sirens.register("bel-1", "RU-BEL", BELGOROD_DESK)
    with pytest.raises(Exception, match="already registered"):
        await tocsin.sirens.register("kh-1", "UA-63", LOCAL_ADMIN)
    with pytest.raises(NotFound):
        await tocsin.sirens.remove("kh-9", LOCAL_ADMIN)
    assert await trail(tocsin) == before and await log(tocsin) == events


async def test_a_siren_fault_and_recovery_go_through_the_bus(
    tocsin: Tocsin, clock: ManualClock, heard: Heard
) -> None:
    await tocsin.sirens.register("kh-1", "UA-63", LOCAL_ADMIN)
    sirens = SirenStore(tocsin.store.engine)
    health = Health(sirens, tocsin.facts, clock, Limits(10, 90))
    before, events = len(await trail(tocsin)), len(await log(tocsin))
    heard.events.clear()
    clock.advance(91)
    [faulty] = await health.check_all()
    assert faulty.state == "faulty"
    [entry] = (await trail(tocsin))[before:]
    [event] = (await log(tocsin))[events:]
    assert (event.type, event.actor, event.data["state"], event.data["previous"]) == (
        "siren.faulty",
        "sirens",
        "faulty",
        "unknown",
    )
    assert event.data["reason"] == "no heartbeat since registration (limit 90 s)"
    assert (entry.action, entry.target, entry.actor) == ("siren.faulty", "kh-1", "system")
    assert entry.detail["events"] == [event.seq]
    assert heard.events == [event]
    await health.check_all()  # still faulty for the same reason: nothing new
    assert len(await trail(tocsin)) == before + 1

    assert await sirens.record_heartbeat("kh-1", clock.now())
    recovered = await health.check("kh-1")
    assert recovered is not None and recovered.state == "ok"
    assert [e.type for e in (await log(tocsin))[events:]] == ["siren.faulty", "siren.recovered"]
    assert (await trail(tocsin))[-1].action == "siren.recovered"


async def test_a_health_report_someone_else_settled_first_changes_nothing(
    tocsin: Tocsin,
) -> None:
    await tocsin.sirens.register("kh-1", "UA-63", LOCAL_ADMIN)
    before = await trail(tocsin)
    stale = c.SirenHealth("kh-1", "ok", None, previous="faulty")  # it is unknown, not faulty
    assert (await tocsin.facts.report(stale, SYSTEM)).state == "unknown"
    assert await tocsin.facts.report(c.SirenHealth("gone", "ok", None, "unknown"), SYSTEM) is None
    assert await trail(tocsin) == before


# --- tokens and regions -------------------------------------------------------------------


async def test_tokens_are_created_and_revoked_through_the_bus(tocsin: Tocsin) -> None:
    before = len(await trail(tocsin))
    new = await tocsin.tokens.create("operator", ["UA-63"], "duty")
    await tocsin.tokens.revoke(new.record.id)
    created, revoked = (await trail(tocsin))[before:]
    assert (created.action, created.detail["regions"], created.detail["checks"]["mode"]) == (
        "token.created",
        ["UA-63"],
        "none: a token has no actual or exercise status",
    )
    assert (revoked.action, revoked.target) == ("token.revoked", new.record.id)
    with pytest.raises(NotFound):
        await tocsin.tokens.revoke(new.record.id)  # revoked already: refused, not audited
    with pytest.raises(Forbidden):
        await tocsin.tokens.create("admin", (), "mine now", BELGOROD_DESK)
    assert len(await trail(tocsin)) == before + 2


async def test_only_an_admin_imports_regions(tocsin: Tocsin) -> None:
    before, events = await trail(tocsin), await log(tocsin)
    region = Region("UA-63-X1", "hromada", {"en": "Test"}, parent="UA-63")
    with pytest.raises(Forbidden):
        await tocsin.regions.import_regions([region], BELGOROD_DESK, pack="test")
    assert await trail(tocsin) == before and await log(tocsin) == events
    result = await tocsin.regions.import_regions([region], LOCAL_ADMIN, pack="test")
    assert (result.added, result.replaced, result.total) == (1, 0, len(tocsin.regions.tree))
    [entry] = (await trail(tocsin))[len(before) :]
    [event] = (await log(tocsin))[len(events) :]
    assert (entry.action, entry.detail["events"]) == ("regions.imported", [event.seq])
    assert event.data == {"pack": "test", "added": 1, "replaced": 0}


# --- the same handlers on the in-memory unit of work --------------------------------------

TREE = RegionTree(
    [
        Region("UA", "country", {"en": "Ukraine"}),
        Region("UA-63", "oblast", {"en": "Kharkiv Oblast"}, parent="UA"),
    ]
)
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def memory_bus() -> tuple[CommandBus, MemoryUnitOfWorkFactory]:
    factory = MemoryUnitOfWorkFactory()
    bus = CommandBus(factory, ManualClock(NOW), tree=lambda: TREE, catalogue=builtin())
    siren_handlers.register(bus)
    subscription_handlers.register(bus, ["en", "uk"])
    return bus, factory


async def test_memory_a_subscription_paused_by_a_fact() -> None:
    bus, factory = memory_bus()
    cmd = c.CreateSubscription("memory", "memory://a", None, regions=("UA-63",))
    created = await bus.handle(cmd, LOCAL_ADMIN)
    facts = Reporter(bus, c.FACTS)
    await facts.report(c.PauseSubscription(created.record.id, "event 3: HTTP 500"), SYSTEM)
    state = factory.state
    record: SubscriptionRecord = state.subscriptions[created.record.id]
    assert (record.state, record.state_reason) == ("paused", "event 3: HTTP 500")
    assert [a.action for a in state.audit] == ["subscription.created", "subscription.paused"]
    assert [(e.type, e.data["stopped_at"]) for e in state.log] == [("subscription.paused", 3)]


async def test_memory_refused_commands_leave_the_state_as_it_was() -> None:
    bus, factory = memory_bus()
    with pytest.raises(Forbidden):
        await bus.handle(c.CreateSubscription("memory", "memory://a", None), BELGOROD_DESK)
    with pytest.raises(Exception, match="lang"):
        await bus.handle(c.CreateSubscription("memory", "memory://a", None, lang="fr"), SYSTEM)
    with pytest.raises(NotFound):
        await bus.handle(c.DeleteSubscription("sub_nope"), LOCAL_ADMIN)
    with pytest.raises(Forbidden):
        await bus.handle(c.RegisterSiren("kh-1", "UA-63"), BELGOROD_DESK)
    state = factory.state
    assert state.subscriptions == {} and state.sirens == {}
    assert state.audit == [] and state.log == []


async def test_memory_a_siren_registered_and_faulty() -> None:
    bus, factory = memory_bus()
    record: SirenRecord = await bus.handle(c.RegisterSiren("kh-1", "UA-63"), LOCAL_ADMIN)
    assert record.last_ack_seq == 1  # its registration is the first event
    await bus.handle(c.SirenHealth("kh-1", "faulty", "silent", "unknown"), SYSTEM)
    assert factory.state.sirens["kh-1"].state == "faulty"
    assert [e.type for e in factory.state.log] == ["siren.registered", "siren.faulty"]
    assert len(factory.state.audit) == 2


# --- layers -------------------------------------------------------------------------------


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("service", "tocsin.channels"), ("channels", "tocsin.bootstrap")],
)
def test_no_import_runs_against_the_layers(package: str, forbidden: str) -> None:
    offending = {
        str(path.relative_to(SRC)): sorted(m for m in imports(path) if m.startswith(forbidden))
        for path in (SRC / package).rglob("*.py")
    }
    assert {path: found for path, found in offending.items() if found} == {}

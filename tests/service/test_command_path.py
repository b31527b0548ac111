"""Every command handler on the bus, enumerated: each writes its audit row and settles the
caller's authorization, mode and the approval policy, or the bus commits nothing.

A handler registered without an example here fails `test_every_handler_has_an_example`; one
that forgets a check fails every time it runs (`Unchecked`), which the first tests show."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from cap_support import message as cap_message

from tocsin.bootstrap import Tocsin
from tocsin.cap.parse import parse, read
from tocsin.domain import commands as c
from tocsin.domain.alerts import RaiseAlert, Status, UpdateAlert
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role
from tocsin.domain.regions import Region
from tocsin.errors import Forbidden, TocsinError
from tocsin.records.domain import commands as rc
from tocsin.records.domain import reports as rp
from tocsin.records.domain.history import Batch, ImportRecord, NewAlerts
from tocsin.records.domain.incidents import AddClaim, AmendIncident, CreateIncident, SourceInput
from tocsin.records.domain.responses import AddResponse, UpdateResponse
from tocsin.service.audit import SYSTEM, CheckpointAudit
from tocsin.service.bus import Context, Outcome, Unchecked

Example = Callable[[Tocsin], Awaitable[tuple[Any, Actor]]]
OPERATOR = Actor("night officer", Role.OPERATOR, frozenset({"UA"}), origin="10.0.0.7")
APPROVER = Actor("shift lead", Role.APPROVER, frozenset({"UA"}), origin="10.0.0.8")
UAV = RaiseAlert(threat="uav", regions=["UA-63"])


async def _open_alert(tocsin: Tocsin) -> str:
    alert, _ = await tocsin.alerts.raise_alert(UAV, OPERATOR)
    return alert.id


async def _held_alert(tocsin: Tocsin) -> str:
    policy = tocsin.alerts.policy
    tocsin.alerts.policy = ApprovalPolicy(always=True)
    alert, _ = await tocsin.alerts.raise_alert(UAV, OPERATOR)
    tocsin.alerts.policy = policy
    return alert.id


async def _expired_alert(tocsin: Tocsin) -> str:
    now = tocsin.clock.now()
    spec = replace(UAV, expires_at=now.replace(year=now.year + 1))
    alert, _ = await tocsin.alerts.raise_alert(spec, OPERATOR)
    tocsin.clock.advance(366 * 86400)  # type: ignore[attr-defined]
    return alert.id


async def _raise(t: Tocsin) -> tuple[Any, Actor]:
    return c.Raise(UAV), OPERATOR


async def _update(t: Tocsin) -> tuple[Any, Actor]:
    return c.Update(await _open_alert(t), UpdateAlert(threat="missile")), OPERATOR


async def _activate(t: Tocsin) -> tuple[Any, Actor]:
    alert, _ = await t.alerts.raise_alert(replace(UAV, pre_alert=True), OPERATOR)
    return c.Activate(alert.id), OPERATOR


async def _end(t: Tocsin) -> tuple[Any, Actor]:
    return c.End(await _open_alert(t)), OPERATOR


async def _cancel(t: Tocsin) -> tuple[Any, Actor]:
    return c.Cancel(await _open_alert(t), "false alarm"), OPERATOR


async def _approve(t: Tocsin) -> tuple[Any, Actor]:
    return c.Approve(await _held_alert(t)), APPROVER


async def _reject(t: Tocsin) -> tuple[Any, Actor]:
    return c.Reject(await _held_alert(t), "wrong regions"), APPROVER


async def _expire(t: Tocsin) -> tuple[Any, Actor]:
    return c.Expire(await _expired_alert(t)), SYSTEM


async def _checkpoint(t: Tocsin) -> tuple[Any, Actor]:
    await _open_alert(t)
    return CheckpointAudit(), SYSTEM


NIGHT = datetime(2026, 2, 20, 1, 30, tzinfo=UTC)


def _incident_spec() -> CreateIncident:
    return CreateIncident(regions=["UA-63"], threats=["missile"], start=NIGHT)


def _claim(value: int = 3) -> AddClaim:
    return AddClaim("injured", SourceInput("Kharkiv OVA", "official"), value=value)


async def _incident(t: Tocsin) -> tuple[str, str, str]:
    made, _ = await t.bus.handle(rc.RecordIncident(_incident_spec()), OPERATOR)
    claim_id, _ = await t.bus.handle(rc.AddClaim(made, _claim()), OPERATOR)
    response_id = await t.bus.handle(
        rc.AddResponse(made, AddResponse("crew", task="assessment")), OPERATOR
    )
    return made, claim_id, response_id


def _on_incident(make: Callable[[str, str, str], Any]) -> Example:
    async def example(t: Tocsin) -> tuple[Any, Actor]:
        return make(*await _incident(t)), OPERATOR

    return example


async def _link(t: Tocsin) -> tuple[Any, Actor]:
    made, _, _ = await _incident(t)
    return rc.LinkAlerts(made, (await _open_alert(t),)), OPERATOR


async def _reopen(t: Tocsin) -> tuple[Any, Actor]:
    made, _, _ = await _incident(t)
    await t.bus.handle(rc.CloseIncident(made), OPERATOR)
    return rc.ReopenIncident(made, note="a late report"), OPERATOR


def _report(t: Tocsin, incident_id: str | None = None) -> rp.Report:
    figure = {
        "measure": "injured",
        "weapon": None,
        "min": 28,
        "max": 28,
        "kind": "exact",
        "words": None,
        "evidence": {"start": 0, "end": 10, "quote": "28 wounded"},
    }
    proposal = rp.Proposal(
        "p1", "claim", incident_id=incident_id, finding=figure, relation=rp.Relation.NEW
    )
    draft = {"regions": ["UA-63"], "threats": ["missile"], "claims": [figure]}
    return rp.Report(
        "r1",
        "28 wounded",
        "en",
        rp.ReportSource("Kharkiv OVA"),
        Status.ACTUAL,
        t.clock.now(),
        "x",
        {"lang": "en", "draft": draft, "others": []},
        (),
        (proposal,),
    )


async def _decide(t: Tocsin) -> tuple[Any, Actor]:
    """A rejection (one audit row); an acceptance writes the incident command's row too."""
    made, _, _ = await _incident(t)
    await t.bus.handle(rc.ReceiveReport(_report(t, made)), OPERATOR)
    return rc.DecideProposal("r1", "p1", accept=False, note="a repeat"), OPERATOR


async def _import_batch(t: Tocsin) -> tuple[Any, Actor]:
    now = t.clock.now()
    record = ImportRecord(
        "f" * 64, "ua-official", "ua-official", "x.csv", 1, 0, 0, 0, now, now, None
    )
    batch = Batch(NewAlerts([], [], []), size=1, bad=1, first_line=2, last_line=2, final=True)
    return rc.ImportBatch(record, True, batch), LOCAL_ADMIN


async def _import_cap(t: Tocsin) -> tuple[Any, Actor]:
    return c.ImportCap(read(parse(cap_message()))), OPERATOR


HOOK = "https://hooks.example.org/tocsin"


async def _subscription(t: Tocsin) -> str:
    created = await t.bus.handle(c.CreateSubscription("webhook", HOOK, None), LOCAL_ADMIN)
    return str(created.record.id)


PUSH = "https://push.example.org/send/abc"


def _push(endpoint: str = PUSH) -> c.CreatePushSubscription:
    return c.CreatePushSubscription(endpoint, "BKey", "auth", ("UA-63",))


async def _push_subscription(t: Tocsin) -> str:
    made = await t.bus.handle(_push(), ANONYMOUS)
    return str(made.id)


async def _paused_subscription(t: Tocsin) -> str:
    made = await _subscription(t)
    await t.bus.handle(c.PauseSubscription(made, "event 1: HTTP 410"), SYSTEM)
    return made


async def _after_push(t: Tocsin, make: Any) -> tuple[Any, Actor]:
    made = await _push_subscription(t)
    return make(made), (SYSTEM if isinstance(make(made), c.RemovePushSubscription) else ANONYMOUS)


async def _siren(t: Tocsin) -> str:
    await t.bus.handle(c.RegisterSiren("kh-1", "UA-63"), LOCAL_ADMIN)
    return "kh-1"


async def _token(t: Tocsin) -> str:
    made = await t.bus.handle(c.CreateToken("viewer", label="press desk"), LOCAL_ADMIN)
    return str(made.record.id)


async def _repeat(t: Tocsin) -> tuple[Any, Actor]:
    alert, _ = await t.alerts.raise_alert(RaiseAlert("missile", ["UA-63"]), OPERATOR)
    t.clock.advance(11 * 60)  # type: ignore[attr-defined]
    return c.RepeatBroadcast(alert.id, {"*": 10.0}), SYSTEM


DRILL = "d" * 32


def _drill(t: Tocsin) -> c.ScheduleDrill:
    soon = t.clock.now() + timedelta(hours=2)
    return c.ScheduleDrill(DRILL, "Spring drill", "missile", ("UA-63",), soon, 3600, 600)


async def _scheduled(t: Tocsin) -> str:
    await t.bus.handle(_drill(t), LOCAL_ADMIN)
    return DRILL


def _after(make: Callable[[Tocsin], Awaitable[str]], cmd: Callable[[str], Any]) -> Example:
    async def example(t: Tocsin) -> tuple[Any, Actor]:
        return cmd(await make(t)), SYSTEM

    return example


NEW_ROOT = Region("XX", "country", {"en": "Elsewhere"})

PASSWORD = "a long password for the duty desk"


async def _account(t: Tocsin) -> str:
    await t.accounts.create("olena", PASSWORD, "operator", ["UA-63"])
    return "olena"


async def _session(t: Tocsin) -> tuple[str, Actor]:
    await _account(t)
    secret, session = await t.accounts.login("olena", PASSWORD, "10.0.0.9")
    return hashlib.sha256(secret.encode()).hexdigest(), session.actor


def _in_session(cmd: Callable[[str], Any]) -> Example:
    async def example(t: Tocsin) -> tuple[Any, Actor]:
        id_hash, actor = await _session(t)
        return cmd(id_hash), actor

    return example


async def _own_password(t: Tocsin) -> tuple[Any, Actor]:
    _, actor = await _session(t)
    return c.SetPassword("olena", "argon2-hash"), actor


async def _open_session(t: Tocsin) -> tuple[Any, Actor]:
    stored = await t.accounts.reads.account(await _account(t))
    assert stored is not None
    return c.OpenSession("f" * 64, "olena", "csrf", None), stored.account.actor(None)


ANONYMOUS = Actor("anonymous", Role.VIEWER, origin="203.0.113.7")

EXAMPLES: dict[type[Any], Example] = {
    c.CreateAccount: lambda t: _ready((c.CreateAccount("ivan", "h", "viewer"), LOCAL_ADMIN)),
    c.SetPassword: _own_password,
    c.SetRole: _after(_account, lambda u: c.SetRole(u, "viewer")),
    c.DisableAccount: _after(_account, c.DisableAccount),
    c.OpenSession: _open_session,
    c.SetSessionMode: _in_session(lambda h: c.SetSessionMode(h, "actual")),
    c.EndSession: _in_session(c.EndSession),
    c.RefuseLogin: lambda t: _ready((c.RefuseLogin("olena", {"reason": "x"}), ANONYMOUS)),
    c.CreateToken: lambda t: _ready((c.CreateToken("viewer", label="desk"), LOCAL_ADMIN)),
    c.RevokeToken: _after(_token, c.RevokeToken),
    c.ImportRegions: lambda t: _ready((c.ImportRegions((NEW_ROOT,), "extra"), LOCAL_ADMIN)),
    c.UpdateRegion: lambda t: _ready((c.UpdateRegion("UA-63", 90), LOCAL_ADMIN)),
    c.RegisterSiren: lambda t: _ready((c.RegisterSiren("kh-2", "UA-63"), LOCAL_ADMIN)),
    c.RemoveSiren: _after(_siren, c.RemoveSiren),
    c.SirenHealth: _after(_siren, lambda s: c.SirenHealth(s, "faulty", "silent", "unknown")),
    c.CreateSubscription: lambda t: _ready((c.CreateSubscription("webhook", HOOK, None), SYSTEM)),
    c.DeleteSubscription: _after(_subscription, c.DeleteSubscription),
    c.ResumeSubscription: _after(_paused_subscription, c.ResumeSubscription),
    c.PauseSubscription: _after(_subscription, lambda s: c.PauseSubscription(s, "event 1: 410")),
    c.CreatePushSubscription: lambda t: _ready((_push(), ANONYMOUS)),
    c.DeletePushSubscription: lambda t: _after_push(t, lambda s: c.DeletePushSubscription(PUSH)),
    c.RemovePushSubscription: lambda t: _after_push(
        t, lambda s: c.RemovePushSubscription(s, "410")
    ),
    c.RepeatBroadcast: _repeat,
    c.ScheduleDrill: lambda t: _ready((_drill(t), LOCAL_ADMIN)),
    c.ChangeDrill: _after(_scheduled, lambda d: c.ChangeDrill(d, title="Autumn drill")),
    c.CancelDrill: _after(_scheduled, c.CancelDrill),
    c.AdvanceDrill: _after(_scheduled, lambda d: c.AdvanceDrill(d, "announce")),
    c.ImportCap: _import_cap,
    rc.RecordIncident: lambda t: _ready((rc.RecordIncident(_incident_spec()), OPERATOR)),
    rc.AmendIncident: _on_incident(lambda i, c, r: rc.AmendIncident(i, AmendIncident(title="x"))),
    rc.LinkAlerts: _link,
    rc.CloseIncident: _on_incident(lambda i, c, r: rc.CloseIncident(i, note="done")),
    rc.ReopenIncident: _reopen,
    rc.PublishIncident: _on_incident(lambda i, c, r: rc.PublishIncident(i, timedelta(0))),
    rc.AddClaim: _on_incident(lambda i, c, r: rc.AddClaim(i, _claim(5))),
    rc.ChangeClaim: _on_incident(lambda i, c, r: rc.ChangeClaim(i, c, "verify", "confirmed")),
    rc.AddResponse: _on_incident(lambda i, c, r: rc.AddResponse(i, AddResponse("evacuation"))),
    rc.UpdateResponse: _on_incident(
        lambda i, c, r: rc.UpdateResponse(i, r, UpdateResponse(progress=40))
    ),
    rc.ImportBatch: _import_batch,
    rc.ReceiveReport: lambda t: _ready((rc.ReceiveReport(_report(t)), OPERATOR)),
    rc.DecideProposal: _decide,
    c.Raise: _raise,
    c.Update: _update,
    c.Activate: _activate,
    c.End: _end,
    c.Cancel: _cancel,
    c.Approve: _approve,
    c.Reject: _reject,
    c.Expire: _expire,
    CheckpointAudit: _checkpoint,
}


async def _ready(value: tuple[Any, Actor]) -> tuple[Any, Actor]:
    return value


def test_every_handler_has_an_example(tocsin: Tocsin) -> None:
    missing = sorted(k.__name__ for k in tocsin.bus.handlers if k not in EXAMPLES)
    assert not missing, f"give these commands an example in {__name__}: {missing}"


@pytest.mark.parametrize("command", list(EXAMPLES), ids=lambda k: k.__name__)
async def test_each_handler_audits_and_settles_every_check(tocsin: Tocsin, command: type) -> None:
    cmd, actor = await EXAMPLES[command](tocsin)
    before = await tocsin.store.audit_entries()
    await tocsin.bus.handle(cmd, actor)
    after = await tocsin.store.audit_entries()
    [entry] = after[len(before) :]
    assert entry.actor == actor.label
    assert set(entry.detail["checks"]) == {"authorized", "mode", "policy"}
    assert (await tocsin.audit.verify()).ok


@pytest.mark.parametrize("command", list(EXAMPLES), ids=lambda k: k.__name__)
async def test_each_handler_refuses_a_console_session_of_the_other_mode(
    tocsin: Tocsin, command: type
) -> None:
    """Where a command has a mode, a session of another mode is refused before anything is
    written; where it has none, the handler said why."""
    cmd, actor = await EXAMPLES[command](tocsin)
    before = (len(await tocsin.store.audit_entries()), await tocsin.store.last_seq())
    drill = replace(actor, session_mode=Status.EXERCISE.value)
    try:
        await tocsin.bus.handle(cmd, drill)
    except Forbidden as refused:
        assert refused.field in {"status", "mode"}
        assert (len(await tocsin.store.audit_entries()), await tocsin.store.last_seq()) == before
        return
    [entry] = (await tocsin.store.audit_entries())[before[0] :]
    mode = entry.detail["checks"]["mode"]
    assert mode.startswith("none: ") or mode == Status.EXERCISE.value or _stands_down(entry)


def _stands_down(entry: Any) -> bool:
    return entry.action in {"alert.ended", "alert.cancelled", "alert.rejected", "alert.expired"}


@dataclass(frozen=True)
class Careless:
    name: ClassVar[str] = "careless"


@pytest.mark.parametrize("skips", ["authorized", "mode", "policy"])
async def test_a_handler_that_skips_a_check_commits_nothing(tocsin: Tocsin, skips: str) -> None:
    async def handler(cmd: Careless, ctx: Context) -> Outcome[None]:
        if skips != "authorized":
            ctx.authorize_role(Role.ADMIN)
        if skips != "mode":
            ctx.no_mode("a test command")
        if skips != "policy":
            ctx.no_policy("a test command")
        return Outcome(None, "careless", None)

    tocsin.bus.register(Careless, handler)
    before = len(await tocsin.store.audit_entries())
    with pytest.raises(Unchecked, match=skips):
        await tocsin.bus.handle(Careless(), LOCAL_ADMIN)
    assert len(await tocsin.store.audit_entries()) == before


async def test_a_refused_command_writes_nothing(tocsin: Tocsin) -> None:
    belgorod = Actor("belgorod", Role.OPERATOR, frozenset({"RU-BEL"}))
    before = (len(await tocsin.store.audit_entries()), await tocsin.store.last_seq())
    with pytest.raises(TocsinError):
        await tocsin.bus.handle(c.Raise(UAV), belgorod)
    assert (len(await tocsin.store.audit_entries()), await tocsin.store.last_seq()) == before


async def test_a_session_is_opened_and_a_password_set_only_by_their_own_account(
    tocsin: Tocsin,
) -> None:
    await _account(tocsin)
    _, ivan = await _session_of(tocsin, "ivan")
    before = len(await tocsin.store.audit_entries())
    with pytest.raises(Forbidden):
        await tocsin.bus.handle(c.OpenSession("e" * 64, "olena", "csrf", None), ivan)
    with pytest.raises(Forbidden):  # a viewer's session cannot set another's password
        await tocsin.bus.handle(c.SetPassword("olena", "argon2-hash"), ivan)
    assert len(await tocsin.store.audit_entries()) == before


async def _session_of(t: Tocsin, username: str) -> tuple[str, Actor]:
    await t.accounts.create(username, PASSWORD, "viewer")
    secret, session = await t.accounts.login(username, PASSWORD, None)
    return secret, session.actor

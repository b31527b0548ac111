"""Every command handler on the bus, enumerated: each writes its audit row and settles the
caller's authorization, mode and the approval policy, or the bus commits nothing.

A handler registered without an example here fails `test_every_handler_has_an_example`; one
that forgets a check fails every time it runs (`Unchecked`), which the first tests show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import pytest

from tocsin.bootstrap import Tocsin
from tocsin.domain import commands as c
from tocsin.domain.alerts import RaiseAlert, Status, UpdateAlert
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role
from tocsin.errors import Forbidden, TocsinError
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


EXAMPLES: dict[type[Any], Example] = {
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
        assert refused.field == "status"
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

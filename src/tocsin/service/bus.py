"""The one command path. Every change of state, whoever asks for it, goes:

1. authorize: the caller's role, and its region scope judged by coverage;
2. the caller's mode: a console session in exercise mode never causes an actual alert;
3. policy: the two-person rule, judged by coverage, again on every widening;
4. one unit of work: the handler's changes, its events and its audit row, in one transaction;
5. after commit, the events go to the listeners.

A handler decides (reads and checks, raising `TocsinError` to refuse) and returns an `Outcome`:
its result, what to write, and what to audit. The bus refuses to commit an outcome whose handler
did not settle steps 1–3 through its `Context`, each either applied or declared not to apply
with a reason, so a handler that forgets one fails every time it runs, not on the day it
matters. Nothing is written for a refused command.

Commands of a batched type (alert raises) that arrive while another commits are written together
in the next transaction (`GroupCommit`); each is still decided and refused alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from tocsin.domain.alerts import Status
from tocsin.domain.approval import ApprovalPolicy
from tocsin.domain.audit import Audited
from tocsin.domain.auth import (
    Actor,
    Role,
    authorize_alert,
    authorize_approval,
    require_role,
)
from tocsin.domain.events import NewEvent
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import Catalogue
from tocsin.errors import Forbidden, TocsinError
from tocsin.service.group import GroupCommit
from tocsin.service.ports import Clock, CommitListener, UnitOfWork, UnitOfWorkFactory
from tocsin.types import RegionCode

R = TypeVar("R")
C = TypeVar("C", contravariant=True)

Write = Callable[[UnitOfWork], Awaitable[None]]


class Unchecked(RuntimeError):
    """A handler returned without settling authorization, mode or policy: a bug, never input."""


@dataclass(frozen=True, slots=True)
class Outcome(Generic[R]):
    """What a handler decided: the result, the writes, the audit row and the public events.

    `write` runs inside the unit of work; it must not refuse (refusals happen before).
    `events` are appended in order; the audit row names their seqs.
    """

    result: R
    action: str
    target: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    write: Write | None = None
    events: Sequence[NewEvent] = ()


@dataclass(frozen=True, slots=True)
class Unchanged(Generic[R]):
    """A command that needs no write: a replayed request, or one that changes nothing.
    It is still authorized and checked like any other; nothing is committed or audited."""

    result: R


class Context:
    """What a handler sees: the caller, the time, the unit of work, and the three checks."""

    def __init__(
        self,
        actor: Actor,
        uow: UnitOfWork,
        now: datetime,
        *,
        tree: RegionTree,
        catalogue: Catalogue,
        policy: ApprovalPolicy,
    ) -> None:
        self.actor = actor
        self.uow = uow
        self.now = now
        self.tree = tree
        self.catalogue = catalogue
        self.policy = policy
        self.settled: dict[str, str] = {}

    # 1. authorization
    def authorize_regions(
        self, regions: Iterable[RegionCode], *, field: str = "regions", subject: str = "alerts"
    ) -> None:
        """The caller may alert every one of `regions` (a scope covers what is under it), or
        with `subject` "incidents" record incidents there; `field` names the list in errors."""
        authorize_alert(self.actor, regions, self.tree, field=field, subject=subject)
        self.settled.setdefault("authorized", "regions")

    def authorize_approval(self, regions: Iterable[RegionCode]) -> None:
        authorize_approval(self.actor, regions, self.tree)
        self.settled.setdefault("authorized", "approval")

    def authorize_role(self, *roles: Role) -> None:
        require_role(self.actor, *roles)
        self.settled.setdefault("authorized", "role")

    def authorize_self(self, reason: str) -> None:
        """Anyone may do this for themselves (log in, change their own password)."""
        self.settled.setdefault("authorized", reason)

    # 2. the caller's mode
    def check_mode(
        self,
        status: Status | str,
        doing: str,
        *,
        stands_down: bool = False,
        what: str = "alert",
        field: str = "status",
    ) -> None:
        """A console session acts only on what is of its own mode (an alert, or `what` else
        that has one, such as an incident); standing an alert down (all-clear, cancel,
        refusing a held alert, lowering it) is allowed in any mode, so a real alert is never
        left standing for want of a mode switch."""
        value = status.value if isinstance(status, Status) else status
        mode = self.actor.session_mode
        if mode is not None and value != mode and not stands_down:
            article = "an" if value[0] in "aeiou" else "a"
            raise Forbidden(
                f"this console session is in {mode} mode; switch the mode to {doing} "
                f"{article} {value} {what}",
                field=field,
            )
        self.settled.setdefault("mode", value)

    def no_mode(self, reason: str) -> None:
        """This command has no actual/exercise status (a token, an account, a region pack)."""
        self.settled.setdefault("mode", f"none: {reason}")

    # 3. policy
    def no_policy(self, reason: str) -> None:
        """The two-person rule does not apply to this command."""
        self.settled.setdefault("policy", f"none: {reason}")

    def policy_applied(self) -> None:
        self.settled.setdefault("policy", "two-person rule")

    def missing(self) -> list[str]:
        return [step for step in ("authorized", "mode", "policy") if step not in self.settled]


class Handler(Protocol[C]):
    """Decides one kind of command."""

    async def __call__(self, cmd: C, ctx: Context) -> Outcome[Any] | Unchanged[Any]: ...


@dataclass(frozen=True, slots=True)
class Registered:
    handler: Handler[Any]
    batched: bool


class Command(Protocol):
    """A command is a frozen dataclass naming what to do; `name` is its audit action family."""

    name: ClassVar[str]


@dataclass(frozen=True, slots=True)
class _Job:
    cmd: Any
    actor: Actor


class CommandBus:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        tree: Callable[[], RegionTree],
        catalogue: Catalogue,
        policy: ApprovalPolicy | None = None,
        listeners: Sequence[CommitListener] = (),
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.tree = tree
        self.catalogue = catalogue
        self.policy = policy or ApprovalPolicy()
        self.listeners = list(listeners)
        self.handlers: dict[type[Any], Registered] = {}
        self._groups: dict[type[Any], GroupCommit[_Job, Any]] = {}

    def register(self, command: type[Any], handler: Handler[Any], *, batched: bool = False) -> None:
        if command in self.handlers:
            raise ValueError(f"{command.__name__} has a handler already")
        self.handlers[command] = Registered(handler, batched)
        if batched:
            self._groups[command] = GroupCommit(self._write_batch)

    async def handle(self, cmd: Any, actor: Actor) -> Any:
        """Decide and commit one command; its result, or the `TocsinError` that refused it."""
        registered = self._handler(cmd)
        if registered.batched:
            return await self._groups[type(cmd)].submit(_Job(cmd, actor))
        [result] = await self._write_batch([_Job(cmd, actor)], alone=True)
        if isinstance(result, Exception):
            raise result
        return result

    def _handler(self, cmd: Any) -> Registered:
        try:
            return self.handlers[type(cmd)]
        except KeyError:
            raise TypeError(f"no handler for {type(cmd).__name__}") from None

    async def _write_batch(self, jobs: Sequence[_Job], *, alone: bool = False) -> list[Any]:
        """One unit of work for every command of a batch, each decided and refused alone."""
        results: list[Any] = []
        async with self.uow() as uow:
            for job in jobs:
                try:
                    results.append(await self._run(job, uow))
                except TocsinError as refused:
                    if alone:
                        raise
                    results.append(refused)
        self._publish(uow)
        return results

    async def _run(self, job: _Job, uow: UnitOfWork) -> Any:
        handler = self._handler(job.cmd).handler
        ctx = Context(
            job.actor,
            uow,
            self.clock.now(),
            tree=self.tree(),
            catalogue=self.catalogue,
            policy=self.policy,
        )
        outcome = await handler(job.cmd, ctx)
        missing = ctx.missing()
        if missing:
            raise Unchecked(
                f"the handler of {type(job.cmd).__name__} did not settle {', '.join(missing)}"
            )
        if isinstance(outcome, Unchanged):
            return outcome.result
        if outcome.write is not None:
            await outcome.write(uow)
        detail = {**outcome.detail, "checks": dict(ctx.settled)}
        audited = Audited(job.actor, outcome.action, outcome.target, detail, ctx.now)
        uow.record(audited, outcome.events)
        return outcome.result

    def _publish(self, uow: UnitOfWork) -> None:
        events = uow.events
        if events:
            for listener in self.listeners:
                listener.committed(events)


class Reporter:
    """The channels' `Facts`: the bus, for the commands that report a fact and no others."""

    def __init__(self, bus: CommandBus, kinds: Iterable[type[Any]]) -> None:
        self.bus = bus
        self.kinds = frozenset(kinds)

    async def report(self, cmd: Any, actor: Actor) -> Any:
        if type(cmd) not in self.kinds:
            raise TypeError(f"{type(cmd).__name__} is not a fact a channel may report")
        return await self.bus.handle(cmd, actor)

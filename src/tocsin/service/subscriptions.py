"""Subscriptions (admin only): webhook, apprise and broadcast targets with filters.

Creating, deleting and resuming one are commands on the bus, and so is a subscription paused
after its target kept failing (a fact the subscription channel reports); each leaves one audit
row, and a pause appends the public `subscription.paused` event.

A new subscription gets the events committed from its creation on (`start_seq` is the log head
then). Its secret, if its kind signs, is returned once, at creation; afterwards it is shown
masked. Changes take effect at once in this process and within seconds in a server elsewhere.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tocsin.domain import commands as c
from tocsin.domain.alerts import Status
from tocsin.domain.auth import LOCAL_ADMIN, Actor, Role
from tocsin.domain.events import NewEvent
from tocsin.domain.subscriptions import Attempt, SubscriptionRecord
from tocsin.errors import InvalidInput, NotFound
from tocsin.service.bus import CommandBus, Context, Outcome, Unchanged
from tocsin.service.ports import LogHead, SubscriptionReads, TargetKinds, UnitOfWork
from tocsin.types import DEFAULT_LANG

MAX_URL = 2000
MAX_FILTER_ITEMS = 500
ALL_STATUSES = tuple(s.value for s in Status)
Notify = Callable[[], Awaitable[None]]
CREATED, DELETED = "subscription.created", "subscription.deleted"
RESUMED, PAUSED = "subscription.resumed", "subscription.paused"


@dataclass(frozen=True, slots=True)
class Filters:
    """What a subscriber asks for, as sent; checked by `SubscriptionService.create`."""

    regions: Sequence[str] = ()
    threats: Sequence[str] = ()
    statuses: Sequence[str] = ("actual",)


@dataclass(frozen=True, slots=True)
class NewSubscription:
    kind: str
    url: str
    filters: Filters = field(default_factory=Filters)
    lang: str = DEFAULT_LANG
    secret: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Created:
    record: SubscriptionRecord
    secret: str | None  # shown now and never again


def handlers(languages: Sequence[str]) -> dict[type[Any], Any]:
    """The subscription commands' handlers; a new one's `lang` is one of `languages`."""

    async def create(cmd: c.CreateSubscription, ctx: Context) -> Outcome[Created]:
        _admin(ctx, "a subscription picks statuses by its filters")
        filters = _filters(cmd, ctx)
        if cmd.lang not in languages:
            known = ", ".join(languages)
            raise InvalidInput(f"lang must be one of {known}; got {cmd.lang!r}", field="lang")
        record = SubscriptionRecord(
            id="sub_" + secrets.token_hex(6),
            kind=cmd.kind,
            url=cmd.url,
            secret=cmd.secret,
            filters=filters,
            lang=cmd.lang,
            options=dict(cmd.options),
            state="active",
            state_reason=None,
            created_at=ctx.now,
            created_by=ctx.actor.label,
            start_seq=await ctx.uow.log.head(),
        )

        async def write(uow: UnitOfWork) -> None:
            await uow.subscriptions.add(record)

        detail = {"kind": record.kind, "filters": filters, "lang": record.lang}
        return Outcome(Created(record, cmd.secret), CREATED, record.id, detail, write)

    return {
        c.CreateSubscription: create,
        c.DeleteSubscription: delete_subscription,
        c.ResumeSubscription: resume_subscription,
        c.PauseSubscription: pause_subscription,
    }


async def delete_subscription(cmd: c.DeleteSubscription, ctx: Context) -> Outcome[None]:
    _admin(ctx, "a subscription picks statuses by its filters")
    record = await _get(ctx.uow, cmd.subscription_id)

    async def write(uow: UnitOfWork) -> None:
        await uow.subscriptions.delete(record.id)

    return Outcome(None, DELETED, record.id, {"kind": record.kind}, write)


async def resume_subscription(
    cmd: c.ResumeSubscription, ctx: Context
) -> Outcome[SubscriptionRecord] | Unchanged[SubscriptionRecord]:
    """Deliver again, from the event it stopped at."""
    _admin(ctx, "a subscription picks statuses by its filters")
    record = await _get(ctx.uow, cmd.subscription_id)
    if record.state == "active":
        return Unchanged(record)
    after = replace(record, state="active", state_reason=None)

    async def write(uow: UnitOfWork) -> None:
        await uow.subscriptions.set_state(record.id, "active", None)

    detail = {"previous": record.state}
    return Outcome(after, RESUMED, record.id, detail, write)


async def pause_subscription(
    cmd: c.PauseSubscription, ctx: Context
) -> Outcome[SubscriptionRecord | None] | Unchanged[SubscriptionRecord | None]:
    """A fact the subscription channel reports: the target kept failing, its worker stopped.

    The event is public: it names the subscription, not its target, and not the reason (which
    may name hosts); admins read those in the audit trail, the API and the CLI."""
    _admin(ctx, "a fact the delivery channel observed")
    record = await ctx.uow.subscriptions.get(cmd.subscription_id)
    if record is None:
        return Unchanged(None)  # deleted meanwhile
    after = replace(record, state="paused", state_reason=cmd.reason)

    async def write(uow: UnitOfWork) -> None:
        await uow.subscriptions.set_state(record.id, "paused", cmd.reason)

    data = {
        "subscription": {"id": record.id, "kind": record.kind},
        "stopped_at": failed_seq(cmd.reason),
    }
    event = NewEvent(PAUSED, ctx.now, ctx.actor.label, None, data)
    detail = {"reason": cmd.reason}
    return Outcome(after, PAUSED, record.id, detail, write, [event])


def register(bus: CommandBus, languages: Sequence[str]) -> None:
    for command, handler in handlers(languages).items():
        bus.register(command, handler)


class SubscriptionService:
    """The entry points' way to subscriptions: the kind's checks, then the commands; reads."""

    def __init__(
        self,
        bus: CommandBus,
        deliveries: SubscriptionReads,
        store: LogHead,
        kinds: TargetKinds,
        notify: Notify | None = None,
    ) -> None:
        self.bus = bus
        self.deliveries = deliveries
        self.store = store
        self.kinds = kinds
        self.notify = notify

    async def create(self, new: NewSubscription, actor: Actor) -> Created:
        self.kinds.require(new.kind)
        url = _url(new.url)
        options = dict(new.options)
        secret = await self.kinds.check(new.kind, url, options, new.secret)
        f = new.filters
        cmd = c.CreateSubscription(
            new.kind,
            url,
            secret,
            tuple(f.regions),
            tuple(f.threats),
            tuple(f.statuses),
            new.lang,
            options,
        )
        created: Created = await self.bus.handle(cmd, actor)
        await self._notify()
        return created

    async def records(self) -> list[SubscriptionRecord]:
        return await self.deliveries.subscriptions()

    async def get(self, subscription_id: str) -> SubscriptionRecord:
        record = None
        if _plausible(subscription_id):
            record = await self.deliveries.subscription(subscription_id)
        if record is None:
            raise NotFound(f"no subscription {subscription_id!r}", field="id")
        return record

    async def delete(self, subscription_id: str, actor: Actor = LOCAL_ADMIN) -> None:
        await self.bus.handle(c.DeleteSubscription(subscription_id), actor)
        await self._notify()

    async def resume(self, subscription_id: str, actor: Actor = LOCAL_ADMIN) -> SubscriptionRecord:
        """Deliver again, from the event it stopped at."""
        record = await self.get(subscription_id)
        if record.state != "active":
            await self.bus.handle(c.ResumeSubscription(subscription_id), actor)
            await self._notify()
        return await self.get(subscription_id)

    async def attempts(self, subscription_id: str, limit: int = 100) -> list[Attempt]:
        """Its delivery attempts, newest first."""
        record = await self.get(subscription_id)
        return await self.deliveries.attempts(consumer=record.consumer, limit=limit)

    async def progress(self) -> tuple[int, dict[str, int]]:
        """The log head and every consumer's cursor."""
        return await self.store.last_seq(), await self.deliveries.cursors()

    async def _notify(self) -> None:
        if self.notify is not None:
            await self.notify()


def _admin(ctx: Context, mode: str) -> None:
    ctx.authorize_role(Role.ADMIN)
    ctx.no_mode(mode)
    ctx.no_policy("the two-person rule is for alerts")


async def _get(uow: UnitOfWork, subscription_id: str) -> SubscriptionRecord:
    record = await uow.subscriptions.get(subscription_id) if _plausible(subscription_id) else None
    if record is None:
        raise NotFound(f"no subscription {subscription_id!r}", field="id")
    return record


def _filters(cmd: c.CreateSubscription, ctx: Context) -> dict[str, Any]:
    regions = _items(cmd.regions, "regions")
    for index, code in enumerate(regions):
        ctx.tree.require(code, field=f"regions[{index}]")
    threats = _items(cmd.threats, "threats")
    for index, threat in enumerate(threats):
        ctx.catalogue.require(threat, field=f"threats[{index}]")
    return {"regions": regions, "threats": threats, "statuses": _statuses(cmd.statuses)}


def failed_seq(reason: str) -> int | None:
    """The event a worker paused at, from its reason (`event 12: HTTP 410`)."""
    found = re.match(r"event (\d+):", reason)
    return int(found.group(1)) if found else None


def _url(url: str) -> str:
    url = url.strip()
    if not url:
        raise InvalidInput("a subscription needs a URL", field="url")
    if len(url) > MAX_URL or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidInput(
            f"a URL has at most {MAX_URL} characters and no spaces or control characters",
            field="url",
        )
    return url


def _items(values: Iterable[str], name: str) -> list[str]:
    items = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(items) > MAX_FILTER_ITEMS:
        raise InvalidInput(f"at most {MAX_FILTER_ITEMS} {name}", field=name)
    return items


def _statuses(values: Sequence[str]) -> list[str]:
    wanted = _items(values, "statuses")
    if wanted == ["all"]:
        return list(ALL_STATUSES)
    for index, value in enumerate(wanted):
        if value not in ALL_STATUSES:
            raise InvalidInput(
                f"status must be one of {', '.join(ALL_STATUSES)} (or all); got {value!r}",
                field=f"statuses[{index}]",
            )
    if not wanted:
        raise InvalidInput("statuses must name at least one status, or all", field="statuses")
    return [s for s in ALL_STATUSES if s in wanted]


def _plausible(subscription_id: str) -> bool:
    return 0 < len(subscription_id) <= 16 and subscription_id.isprintable()

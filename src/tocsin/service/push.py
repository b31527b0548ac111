"""Web Push subscriptions: residents' browsers subscribe and unsubscribe, anonymously.

A push subscription is kept as a subscription of kind `push` (see `tocsin.channels.push`). Its
id is derived from its endpoint, so subscribing again from the same browser replaces the
earlier one, and unsubscribing needs only the endpoint (which the browser knows and nobody
else does). Subscribing, unsubscribing and a push service's word that a subscription is gone
are commands on the bus, each with its audit row; none appends a public event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from tocsin.domain import commands as c
from tocsin.domain.auth import Actor, Role
from tocsin.domain.subscriptions import SubscriptionRecord
from tocsin.errors import InvalidInput, NotFound
from tocsin.service.bus import CommandBus, Context, Outcome, Unchanged
from tocsin.service.ports import TargetKinds, UnitOfWork
from tocsin.service.subscriptions import Notify

KIND = "push"
STATUSES = ["actual", "exercise"]  # an exercise is pushed, marked EXERCISE
SUBSCRIBED, UNSUBSCRIBED, GONE = "push.subscribed", "push.unsubscribed", "push.gone"


def subscription_id(endpoint: str) -> str:
    return "push_" + hashlib.sha256(endpoint.encode()).hexdigest()[:11]


def handlers(languages: Sequence[str], max_regions: int) -> dict[type[Any], Any]:
    async def subscribe(cmd: c.CreatePushSubscription, ctx: Context) -> Outcome[SubscriptionRecord]:
        _anyone(ctx)
        regions = list(dict.fromkeys(code.strip() for code in cmd.regions if code.strip()))
        if not regions:
            raise InvalidInput("name at least one region", field="regions")
        if len(regions) > max_regions:
            raise InvalidInput(f"at most {max_regions} regions", field="regions")
        for index, code in enumerate(regions):
            ctx.tree.require(code, field=f"regions[{index}]")
        if cmd.lang not in languages:
            known = ", ".join(languages)
            raise InvalidInput(f"lang must be one of {known}; got {cmd.lang!r}", field="lang")
        record = SubscriptionRecord(
            id=subscription_id(cmd.endpoint),
            kind=KIND,
            url=cmd.endpoint,
            secret=None,
            filters={"regions": regions, "threats": [], "statuses": STATUSES},
            lang=cmd.lang,
            options={"p256dh": cmd.p256dh, "auth": cmd.auth},
            state="active",
            state_reason=None,
            created_at=ctx.now,
            created_by=ctx.actor.label,
            start_seq=await ctx.uow.log.head(),
        )
        earlier = await ctx.uow.subscriptions.get(record.id)

        async def write(uow: UnitOfWork) -> None:
            if earlier is not None:
                await uow.subscriptions.delete(record.id)
            await uow.subscriptions.add(record)

        detail = {"regions": regions, "lang": record.lang, "replaced": earlier is not None}
        return Outcome(record, SUBSCRIBED, record.id, detail, write)

    return {
        c.CreatePushSubscription: subscribe,
        c.DeletePushSubscription: unsubscribe,
        c.RemovePushSubscription: remove_gone,
    }


async def unsubscribe(cmd: c.DeletePushSubscription, ctx: Context) -> Outcome[None]:
    _anyone(ctx)
    record = await ctx.uow.subscriptions.get(subscription_id(cmd.endpoint))
    if record is None or record.kind != KIND or record.url != cmd.endpoint:
        raise NotFound("no push subscription has this endpoint", field="endpoint")
    return Outcome(None, UNSUBSCRIBED, record.id, {}, _deleting(record.id))


async def remove_gone(
    cmd: c.RemovePushSubscription, ctx: Context
) -> Outcome[None] | Unchanged[None]:
    """A fact the push channel reports: the push service no longer knows the subscription."""
    ctx.authorize_role(Role.ADMIN)
    _no_more(ctx)
    record = await ctx.uow.subscriptions.get(cmd.subscription_id)
    if record is None or record.kind != KIND:
        return Unchanged(None)  # unsubscribed meanwhile
    return Outcome(None, GONE, record.id, {"reason": cmd.reason}, _deleting(record.id))


def _deleting(record_id: str) -> Any:
    async def write(uow: UnitOfWork) -> None:
        await uow.subscriptions.delete(record_id)

    return write


def _anyone(ctx: Context) -> None:
    ctx.authorize_self("a resident's own browser")
    _no_more(ctx)


def _no_more(ctx: Context) -> None:
    ctx.no_mode("a push subscription follows actual alerts and exercises alike")
    ctx.no_policy("the two-person rule is for alerts")


def register(bus: CommandBus, languages: Sequence[str], max_regions: int) -> None:
    for command, handler in handlers(languages, max_regions).items():
        bus.register(command, handler)


class PushService:
    """The entry points' way to push subscriptions: the kind's checks, then the commands."""

    def __init__(
        self, bus: CommandBus, kinds: TargetKinds, public_key: str, notify: Notify | None = None
    ) -> None:
        self.bus = bus
        self.kinds = kinds
        self.public_key = public_key  # VAPID's, for browsers' applicationServerKey
        self.notify = notify

    async def subscribe(
        self, endpoint: str, keys: dict[str, str], regions: Sequence[str], lang: str, actor: Actor
    ) -> SubscriptionRecord:
        await self.kinds.check(KIND, endpoint, dict(keys), None)
        cmd = c.CreatePushSubscription(endpoint, keys["p256dh"], keys["auth"], tuple(regions), lang)
        record: SubscriptionRecord = await self.bus.handle(cmd, actor)
        await self._notify()
        return record

    async def unsubscribe(self, endpoint: str, actor: Actor) -> None:
        await self.bus.handle(c.DeletePushSubscription(endpoint), actor)
        await self._notify()

    async def _notify(self) -> None:
        if self.notify is not None:
            await self.notify()

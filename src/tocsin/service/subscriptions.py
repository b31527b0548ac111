"""Subscriptions (admin only): webhook, apprise and broadcast targets with filters.

A new subscription gets the events committed from its creation on (`start_seq` is the log head
then). Its secret, if its kind signs, is returned once, at creation; afterwards it is shown
masked. Changes take effect at once in this process and within seconds in a server elsewhere.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tocsin.channels.subscriptions import SubscriptionChannel, load_kind
from tocsin.config import Settings
from tocsin.domain.alerts import Status
from tocsin.domain.auth import Actor
from tocsin.domain.threats import Catalogue
from tocsin.errors import InvalidInput, NotFound, TocsinError
from tocsin.service.ports import Clock
from tocsin.service.regions import RegionService
from tocsin.storage.delivery_store import Attempt, DeliveryStore, SubscriptionRecord
from tocsin.storage.store import Store
from tocsin.types import DEFAULT_LANG

if TYPE_CHECKING:
    from tocsin.bootstrap import Tocsin

MAX_URL = 2000
MAX_FILTER_ITEMS = 500
ALL_STATUSES = tuple(s.value for s in Status)
Notify = Callable[[], Awaitable[None]]


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


class SubscriptionService:
    def __init__(
        self,
        deliveries: DeliveryStore,
        store: Store,
        regions: RegionService,
        catalogue: Catalogue,
        clock: Clock,
        settings: Settings,
        notify: Notify | None = None,
    ) -> None:
        self.deliveries = deliveries
        self.store = store
        self.regions = regions
        self.catalogue = catalogue
        self.clock = clock
        self.settings = settings
        self.notify = notify

    @classmethod
    def of(cls, tocsin: Tocsin) -> SubscriptionService:
        """The service over wired parts; it tells this process's subscription channel."""

        async def notify() -> None:
            for channel in tocsin.channels:
                if isinstance(channel, SubscriptionChannel):
                    await channel.reconcile()

        return cls(
            tocsin.deliveries,
            tocsin.store,
            tocsin.regions,
            tocsin.catalogue,
            tocsin.clock,
            tocsin.settings,
            notify,
        )

    async def create(self, new: NewSubscription, actor: Actor) -> Created:
        kind = load_kind(new.kind)
        url = _url(new.url)
        options = dict(new.options)
        _checked(lambda: kind.validate(url, options), "url")
        signing = getattr(kind, "secret", None)
        if signing is None and new.secret is not None:
            raise InvalidInput(f"{new.kind} subscriptions have no secret", field="secret")
        secret = _checked(lambda: signing(new.secret), "secret") if signing else None
        check = getattr(kind, "check_target", None)
        if check is not None:
            await check(url, options, self.settings)
        record = SubscriptionRecord(
            id="sub_" + secrets.token_hex(6),
            kind=new.kind,
            url=url,
            secret=secret,
            filters=self._filters(new.filters),
            lang=self._lang(new.lang),
            options=options,
            state="active",
            state_reason=None,
            created_at=self.clock.now(),
            created_by=actor.label,
            start_seq=await self.store.last_seq(),
        )
        await self.deliveries.add_subscription(record)
        await self._notify()
        return Created(record, secret)

    async def records(self) -> list[SubscriptionRecord]:
        return await self.deliveries.subscriptions()

    async def get(self, subscription_id: str) -> SubscriptionRecord:
        record = None
        if _plausible(subscription_id):
            record = await self.deliveries.subscription(subscription_id)
        if record is None:
            raise NotFound(f"no subscription {subscription_id!r}", field="id")
        return record

    async def delete(self, subscription_id: str) -> None:
        await self.get(subscription_id)
        await self.deliveries.delete_subscription(subscription_id)
        await self._notify()

    async def resume(self, subscription_id: str) -> SubscriptionRecord:
        """Deliver again, from the event it stopped at."""
        record = await self.get(subscription_id)
        if record.state != "active":
            await self.deliveries.set_state(record.id, "active", None)
            await self._notify()
        return await self.get(subscription_id)

    async def attempts(self, subscription_id: str, limit: int = 100) -> list[Attempt]:
        """Its delivery attempts, newest first."""
        record = await self.get(subscription_id)
        return await self.deliveries.attempts(consumer=record.consumer, limit=limit)

    async def progress(self) -> tuple[int, dict[str, int]]:
        """The log head and every consumer's cursor."""
        return await self.store.last_seq(), await self.deliveries.cursors()

    def _filters(self, filters: Filters) -> dict[str, Any]:
        regions = _items(filters.regions, "regions")
        for index, code in enumerate(regions):
            self.regions.tree.require(code, field=f"regions[{index}]")
        threats = _items(filters.threats, "threats")
        for index, threat in enumerate(threats):
            self.catalogue.require(threat, field=f"threats[{index}]")
        return {"regions": regions, "threats": threats, "statuses": _statuses(filters.statuses)}

    def _lang(self, lang: str) -> str:
        if lang not in self.settings.languages:
            known = ", ".join(self.settings.languages)
            raise InvalidInput(f"lang must be one of {known}; got {lang!r}", field="lang")
        return lang

    async def _notify(self) -> None:
        if self.notify is not None:
            await self.notify()


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


def _checked(fn: Callable[[], Any], field: str) -> Any:
    """Run a kind's check; its plain errors become InvalidInput on `field`."""
    try:
        return fn()
    except TocsinError:
        raise
    except (ValueError, TypeError) as exc:
        raise InvalidInput(str(exc), field=field) from None


def _plausible(subscription_id: str) -> bool:
    return 0 < len(subscription_id) <= 16 and subscription_id.isprintable()

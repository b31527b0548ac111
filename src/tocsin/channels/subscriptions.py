"""Subscriptions: webhook, apprise and broadcast targets that admins add and remove at run time.

Every kind is a module, named by an import string and loaded lazily (a kind whose optional
dependency is missing is disabled alone, with a clear message). A kind module offers

- `validate(url, options) -> None`: raise `InvalidInput` (with the field) for a bad target;
- `make_target(record, tocsin) -> Target`: the delivery target of one subscription;

and may offer `secret(given) -> str` (the kind signs with a secret: check the given one or
make one) and `async check_target(url, options, settings) -> None` (checks that need I/O).

`SubscriptionChannel` runs one delivery worker per active subscription, reconciles with the
table every few seconds (the CLI and other processes change it too) and at once when the
service in this process asks; a target that keeps failing is paused: the channel reports that
fact as a command (`PauseSubscription`), it does not write it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

import httpx

from tocsin.channels.delivery import Target
from tocsin.domain.commands import PauseSubscription
from tocsin.domain.subscriptions import SubscriptionRecord
from tocsin.errors import InvalidInput, TocsinError
from tocsin.service.audit import SYSTEM
from tocsin.service.subscriptions import PAUSED

if TYPE_CHECKING:
    from tocsin.channels.context import ChannelContext
    from tocsin.config import Settings
from tocsin.domain.alerts import Status
from tocsin.domain.interest import Interest

log = logging.getLogger("tocsin.subscriptions")

KINDS: dict[str, str] = {
    "webhook": "tocsin.channels.webhook",
    "apprise": "tocsin.channels.apprise",
    "broadcast": "tocsin.channels.broadcast",
    "push": "tocsin.channels.push",
}
TOGETHER = frozenset({"push"})  # delivered by a channel of their own, all under one worker
PAUSED_EVENT = PAUSED
STATUSES = frozenset(s.value for s in Status)


class Kind(Protocol):
    def validate(self, url: str, options: dict[str, Any]) -> None: ...

    def make_target(self, record: SubscriptionRecord, tocsin: ChannelContext) -> Target: ...


def load_kind(kind: str) -> Kind:
    """The module of a subscription kind; InvalidInput if unknown or unavailable here."""
    if kind not in KINDS:
        raise InvalidInput(
            f"unknown subscription kind {kind!r}: one of {', '.join(sorted(KINDS))}", field="kind"
        )
    try:
        module: ModuleType = importlib.import_module(KINDS[kind])
    except ImportError as exc:
        raise InvalidInput(
            f"{kind} subscriptions are not available here: {exc} (install what they need)",
            field="kind",
            code="kind_unavailable",
        ) from None
    return cast(Kind, module)


# --- filters ------------------------------------------------------------------------------


def compile_filter(filters: dict[str, Any]) -> Interest:
    """A subscription's stored filters as the interest they mean (see `tocsin.domain.interest`).

    `regions`: alerts covering any part of one of them (the region, its ancestors and its
    descendants); `threats`: the alert's threat, or its previous one on an escalation or
    de-escalation; `statuses`: default `actual`. Unknown regions (and statuses) match nothing.
    An alert event matches on its regions and those the change removed, its threat and the
    one it changed from, and its status. Other events (`subscription.paused`, …) go only to
    subscribers without region or threat filters: exactly as a live stream would.
    """
    statuses = filters.get("statuses") or ["actual"]
    return Interest(
        frozenset(filters["regions"]) if filters.get("regions") else None,
        frozenset(filters["threats"]) if filters.get("threats") else None,
        frozenset(Status(s) for s in statuses if s in STATUSES),
    )


# --- the channel --------------------------------------------------------------------------


class SubscriptionChannel:
    name = "subscriptions"

    def __init__(self, tocsin: ChannelContext, *, interval: float = 2.0) -> None:
        self.tocsin = tocsin
        self.interval = interval
        self.records: dict[str, SubscriptionRecord] = {}  # by consumer, as last read
        self.cursors: dict[str, int] = {}
        self.disabled: dict[str, str] = {}  # consumer -> why no worker could be made
        self._mine: set[str] = set()
        self._pausing: set[str] = set()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.reconcile()
        self._task = asyncio.create_task(self._loop(), name="subscriptions")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._lock:
            for consumer in list(self._mine):
                await self._remove(consumer)

    async def reconcile(self) -> None:
        """Make the running workers match the active subscriptions in the table."""
        async with self._lock:
            records = await self.tocsin.deliveries.subscriptions()
            self.cursors = await self.tocsin.deliveries.cursors()
            self.records = {
                r.consumer: r for r in records if r.kind in KINDS and r.kind not in TOGETHER
            }
            active = {c: r for c, r in self.records.items() if r.state == "active"}
            for consumer in sorted(self._mine - active.keys()):
                await self._remove(consumer)
                if consumer not in self.records:  # deleted: its worker may have left a cursor
                    await self.tocsin.deliveries.forget(consumer)
            for record in active.values():
                await self._ensure(record)

    def status(self) -> list[dict[str, Any]]:
        rows = {row["consumer"]: row for row in self.tocsin.supervisor.status()}
        head = self.tocsin.feed.head
        out = []
        for consumer, record in sorted(self.records.items()):
            row = rows.get(consumer)
            if row is None or consumer not in self._mine:
                cursor = self.cursors.get(consumer, record.start_seq)
                state = "disabled" if consumer in self.disabled else record.state
                row = {
                    "consumer": consumer,
                    "channel": record.kind,
                    "target": shown(record.kind, record.url),
                    "state": state,
                    "cursor": cursor,
                    "backlog": max(0, head - cursor),
                    "last_error": self.disabled.get(consumer, record.state_reason),
                }
            out.append(row)
        return out

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.reconcile()
            except Exception:
                log.exception("reading the subscriptions failed; trying again")

    async def _ensure(self, record: SubscriptionRecord) -> None:
        consumer = record.consumer
        worker = self.tocsin.supervisor.workers.get(consumer)
        if worker is not None:
            if consumer not in self._mine:
                return  # another channel runs it
            if worker.state != "paused" or consumer in self._pausing:
                return
            await self._remove(consumer)  # resumed elsewhere: start afresh from the cursor
        try:
            target = load_kind(record.kind).make_target(record, self.tocsin)
        except Exception as exc:
            reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            if self.disabled.get(consumer) != reason:
                log.warning("subscription %s is not delivered: %s", record.id, reason)
            self.disabled[consumer] = reason
            return
        self.disabled.pop(consumer, None)
        self.tocsin.supervisor.add(target, start=record.start_seq, on_pause=self._on_pause)
        self._mine.add(consumer)

    async def _remove(self, consumer: str) -> None:
        worker = self.tocsin.supervisor.workers.get(consumer)
        await self.tocsin.supervisor.remove(consumer)
        self._mine.discard(consumer)
        closing = getattr(worker.target, "aclose", None) if worker is not None else None
        if closing is not None:
            with contextlib.suppress(Exception):
                await cast(Awaitable[None], closing())

    async def _on_pause(self, target: Target, reason: str) -> None:
        self._pausing.add(target.consumer)  # before any await: reconcile must not restart it
        try:
            async with self._lock:
                record = self.records.get(target.consumer)
                if record is None:
                    return
                await self.tocsin.facts.report(PauseSubscription(record.id, reason), SYSTEM)
                self.records[target.consumer] = replace(record, state="paused", state_reason=reason)
        finally:
            self._pausing.discard(target.consumer)


class Kinds:
    """The kinds' own checks of a target, for the subscription service (`TargetKinds`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def require(self, kind: str) -> None:
        load_kind(kind)

    async def check(
        self, kind: str, url: str, options: dict[str, Any], secret: str | None
    ) -> str | None:
        module = load_kind(kind)
        _checked(lambda: module.validate(url, options), "url")
        signing = getattr(module, "secret", None)
        if signing is None and secret is not None:
            raise InvalidInput(f"{kind} subscriptions have no secret", field="secret")
        made = _checked(lambda: signing(secret), "secret") if signing else None
        check = getattr(module, "check_target", None)
        if check is not None:
            await check(url, options, self.settings)
        return cast(str | None, made)


def _checked(fn: Callable[[], Any], field: str) -> Any:
    """Run a kind's check; its plain errors become InvalidInput on `field`."""
    try:
        return fn()
    except TocsinError:
        raise
    except (ValueError, TypeError) as exc:
        raise InvalidInput(str(exc), field=field) from None


def shown(kind: str, url: str) -> str:
    """A target's URL fit to show, as its kind masks it: apprise and broadcast URLs as apprise
    renders them (`mailtos://alerts:****@example.com/…`), any other as `mask_url` does."""
    try:
        module = load_kind(kind)
    except TocsinError:
        return mask_url(url)
    display: Callable[[str], str] | None = getattr(module, "display", None)
    return display(url) if display is not None else mask_url(url)


def mask_url(url: str) -> str:
    """A target URL fit to show: for http(s), credentials and query masked; else the scheme."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "(invalid URL)"
    if parsed.scheme not in ("http", "https"):
        return f"{parsed.scheme or '?'}://***"
    if parsed.userinfo:
        parsed = parsed.copy_with(username="***", password=None)
    text = str(parsed.copy_with(query=None, fragment=None))
    return text + "?***" if parsed.query else text

"""Web Push to residents' browsers (RFC 8030), encrypted (RFC 8291) and signed (RFC 8292).

A push subscription is a subscription of kind `push`: its URL is the browser's endpoint, its
options the browser's keys (`p256dh`, `auth`), its filters the regions the resident chose and
the statuses `actual` and `exercise` (an exercise is marked EXERCISE in the text). It has one
delivery worker on the delivery core like a webhook, so it runs once per cluster and resumes
from its cursor. A push goes out on a raise, an escalation, an all-clear, a cancellation and an
expiry of an alert covering any of the regions (an oblast alert reaches its hromadas).

The payload is JSON (`title`, `body`, `tag`, `event`, `seq`, `alert_id`, `status`, `url`):
the same words as every channel (`tocsin.channels.notices`), the time to shelter of the
resident's region when it has one, and the operator's false-alarm message on a cancellation.
The `Topic` header (the alert) lets the push service replace an undelivered earlier push.

The endpoint passes the same outbound-safety check as webhooks, at subscription and before
every send. A push service that answers 404 or 410 has forgotten the subscription: the channel
reports that as a command (`RemovePushSubscription`), which deletes it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
from typing import TYPE_CHECKING, Any, Final

import httpx
import orjson
from pywebpush import WebPusher

from tocsin import __version__
from tocsin.channels import vapid, webhook
from tocsin.channels.delivery import Outcome
from tocsin.channels.notices import DRILL_ANNOUNCED, Composer, Size
from tocsin.channels.subscriptions import compile_filter
from tocsin.domain.alerts import Phase
from tocsin.domain.commands import RemovePushSubscription
from tocsin.domain.events import Event, EventType
from tocsin.domain.subscriptions import SubscriptionRecord
from tocsin.errors import InvalidInput
from tocsin.service.audit import SYSTEM
from tocsin.types import Lang, Names, pick

if TYPE_CHECKING:
    from py_vapid import Vapid02

    from tocsin.channels.context import ChannelContext
    from tocsin.config import Settings

log = logging.getLogger("tocsin.push")
PUSHED: Final = frozenset(
    {
        EventType.ALERT_RAISED,
        EventType.ALERT_ACTIVATED,
        EventType.ALERT_ESCALATED,
        EventType.ALERT_ENDED,
        EventType.ALERT_CANCELLED,
        EventType.ALERT_EXPIRED,
        DRILL_ANNOUNCED,
    }
)
GONE: Final = frozenset({404, 410})
RETRIES: Final = (0.5, 2.0)  # seconds before trying a failed push again
TTL: Final = 3600  # seconds a push service keeps an undelivered push
MAX_PAYLOAD: Final = 3000  # bytes of JSON; push services take 4096 after encryption
KEY_SIZES: Final = {"p256dh": 65, "auth": 16}
SHELTER: Final[Names] = {
    "en": "Time to shelter: {s}.",
    "uk": "Час на укриття: {s}.",
    "ru": "Время на укрытие: {s}.",
}
UNITS: Final[Names] = {"en": "{m} min {s} s", "uk": "{m} хв {s} с", "ru": "{m} мин {s} с"}


# --- the kind's hooks (see tocsin.channels.subscriptions) --------------------------------


def validate(url: str, options: dict[str, Any]) -> None:
    parsed = webhook.parse_url(url)
    if parsed.scheme != "https" and parsed.host not in ("localhost", "127.0.0.1", "::1"):
        raise InvalidInput("a push endpoint must be an https:// URL", field="endpoint")
    for name in options:
        if name not in KEY_SIZES:
            raise InvalidInput(f"push subscriptions take no key {name!r}", field=f"keys.{name}")
    for name, size in KEY_SIZES.items():
        if len(_b64url(options.get(name), f"keys.{name}")) != size:
            raise InvalidInput(
                f"keys.{name} must be {size} bytes in base64url", field=f"keys.{name}"
            )


async def check_target(url: str, options: dict[str, Any], settings: Settings) -> None:
    try:
        await webhook.check_target(url, options, settings)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="endpoint", code=exc.code) from None


def make_target(record: SubscriptionRecord, tocsin: ChannelContext) -> PushTarget:
    """One subscription's sender (the push channel runs them all under one worker)."""
    settings = tocsin.settings
    return PushTarget(
        record,
        tocsin,
        key=tocsin.vapid,
        allow_private=webhook.allow_private(settings),
        timeout=settings.webhook_timeout,
    )


# --- the target ---------------------------------------------------------------------------


class PushTarget(webhook.PinnedClient):
    def __init__(
        self,
        record: SubscriptionRecord,
        tocsin: ChannelContext,
        *,
        key: Vapid02,
        allow_private: bool = False,
        timeout: float = webhook.DEFAULT_TIMEOUT,
    ) -> None:
        self.record = record
        self.tocsin = tocsin
        self.key = key
        self.allow_private = allow_private
        self.timeout = timeout
        self.url = webhook.parse_url(record.url)
        self.resolve = webhook.resolve_host
        self.interest = compile_filter(record.filters)
        self.composer = Composer(lambda: tocsin.regions.tree, tocsin.catalogue)
        self._pusher = WebPusher({"endpoint": record.url, "keys": dict(record.options)})
        self._client: httpx.AsyncClient | None = None

    @property
    def channel(self) -> str:
        return "push"

    def wants(self, event: Event) -> bool:
        return event.type in PUSHED and self.interest.matches(event, self.tocsin.regions.tree)

    def payload(self, event: Event) -> bytes:
        """The JSON the service worker shows; None fields are left out."""
        alert = event.alert
        notice = self.composer.notice(event, self.record.lang, Size.LONG)
        if event.type == DRILL_ANNOUNCED and notice is not None:
            drill = str(event.data["drill"]["id"])
            tag = f"drill-{drill}"
            body: dict[str, Any] = {"title": notice.title, "body": notice.body, "tag": tag}
            return orjson.dumps({**body, "event": DRILL_ANNOUNCED, "seq": event.seq, "url": "/"})
        if alert is None or notice is None:
            return b""
        lines = [notice.body]
        if alert.phase is Phase.CANCELLED and alert.cancel_message:
            lines.append(alert.cancel_message)
        if notice.situation.name in ("ALERT", "PRE_ALERT"):
            lines.append(self.shelter_note(alert.regions))
        body = {
            "title": notice.title,
            "body": "\n".join(line for line in lines if line),
            "tag": str(alert.id),
            "event": str(event.type),
            "seq": event.seq,
            "alert_id": str(alert.id),
            "status": alert.status.value,
            "url": "/",
        }
        data = orjson.dumps(body)
        while len(data) > MAX_PAYLOAD:
            body["body"] = str(body["body"])[
                : len(str(body["body"])) - (len(data) - MAX_PAYLOAD) - 1
            ]
            data = orjson.dumps(body)
        return data

    def shelter_note(self, covered: frozenset[str] | tuple[str, ...]) -> str:
        """The least time to shelter among the resident's regions the alert covers, if any."""
        tree = self.tocsin.regions.tree
        times = []
        for code in self.record.filters.get("regions", []):
            chain = {code, *tree.ancestors(code), *tree.descendants(code)}
            region = tree.get(code)
            if region is not None and region.time_to_shelter and chain & set(covered):
                times.append(region.time_to_shelter)
        if not times:
            return ""
        return pick(SHELTER, self.record.lang).format(s=_duration(min(times), self.record.lang))

    async def send(self, event: Event) -> Outcome:
        data = self.payload(event)
        if not data:
            return Outcome.ok()
        try:
            url, headers, extensions = await self._destination()
        except webhook.AddressRefused as exc:
            return Outcome.failed(str(exc), permanent=True)
        except OSError as exc:
            return Outcome.failed(f"cannot resolve {self.url.host}: {exc}")
        headers.update(self.headers(event))
        content = self._pusher.encode(data, "aes128gcm")["body"]
        try:
            async with asyncio.timeout(self.timeout):
                response = await self.client.post(
                    url, content=content, headers=headers, extensions=extensions
                )
        except (httpx.TimeoutException, TimeoutError):
            return Outcome.failed(f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return Outcome.failed(f"{type(exc).__name__}: {exc}".rstrip(": "))
        if response.status_code in GONE:
            reason = f"the push service answered HTTP {response.status_code}"
            await self.tocsin.facts.report(RemovePushSubscription(self.record.id, reason), SYSTEM)
            return Outcome.ok()
        return webhook.outcome_of(response.status_code, response.headers)

    def headers(self, event: Event) -> dict[str, str]:
        alert = event.alert
        topic = hashlib.sha256(str(alert.id if alert else event.id).encode()).digest()[:24]
        return {
            "content-encoding": "aes128gcm",
            "content-type": "application/octet-stream",
            "ttl": str(TTL),
            "urgency": "high",
            "topic": base64.urlsafe_b64encode(topic).decode("ascii"),
            "user-agent": f"tocsin/{__version__}",
            "authorization": vapid.authorization(
                self.key, self.record.url, self.tocsin.settings.push_contact
            ),
        }


# --- the channel: one worker on the delivery core for every push subscription -------------


class PushFanout:
    """The delivery target of all push subscriptions: one cursor (`push`), one event at a time,
    sent to every subscription that wants it at once. A subscription's transient failure is
    retried a few times within `RETRIES`; then that push is given up (a push service keeps an
    undelivered push only `TTL` seconds anyway) and the others are not held back."""

    consumer = "push"
    channel = "push"
    label = "Web Push subscribers"

    def __init__(self, tocsin: ChannelContext, *, concurrency: int = 256) -> None:
        self.tocsin = tocsin
        self.senders: dict[str, PushTarget] = {}
        self.limit = asyncio.Semaphore(concurrency)
        self.client = httpx.AsyncClient(
            timeout=tocsin.settings.webhook_timeout, follow_redirects=False, trust_env=False
        )
        self.failed = 0

    def wants(self, event: Event) -> bool:
        return event.type in PUSHED

    async def send(self, event: Event) -> Outcome:
        chosen = [s for s in await self._senders(event.seq) if s.wants(event)]
        await asyncio.gather(*(self._deliver(sender, event) for sender in chosen))
        return Outcome.ok()

    async def _senders(self, seq: int) -> list[PushTarget]:
        records = await self.tocsin.deliveries.subscriptions()
        current = {r.id: r for r in records if r.kind == "push" and r.state == "active"}
        for gone in self.senders.keys() - current.keys():
            del self.senders[gone]
        for record in current.values():
            sender = self.senders.get(record.id)
            if sender is None or sender.record != record:
                sender = make_target(record, self.tocsin)
                sender._client = self.client  # one connection pool for all
                self.senders[record.id] = sender
        return [s for s in self.senders.values() if s.record.start_seq < seq]

    async def _deliver(self, sender: PushTarget, event: Event) -> None:
        outcome = Outcome.failed("not sent")
        for delay in (*RETRIES, None):
            async with self.limit:
                outcome = await sender.send(event)
            if outcome.delivered or outcome.permanent or delay is None:
                break
            await asyncio.sleep(outcome.retry_after or delay)
        if not outcome.delivered:
            self.failed += 1
            log.warning("push %s of event %s given up: %s", sender.label, event.seq, outcome.error)

    async def aclose(self) -> None:
        await self.client.aclose()


class PushChannel:
    name = "push"

    def __init__(self, tocsin: ChannelContext) -> None:
        self.tocsin = tocsin
        self.fanout: PushFanout | None = None

    async def start(self) -> None:
        self.fanout = PushFanout(self.tocsin)
        self.tocsin.supervisor.add(self.fanout, start=self.tocsin.feed.head)

    async def stop(self) -> None:
        await self.tocsin.supervisor.remove(PushFanout.consumer)
        if self.fanout is not None:
            await self.fanout.aclose()
            self.fanout = None

    def status(self) -> list[dict[str, Any]]:
        rows = self.tocsin.supervisor.status()
        return [row for row in rows if row["consumer"] == PushFanout.consumer]


def _duration(seconds: int, lang: Lang) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return {"en": f"{rest} s", "uk": f"{rest} с", "ru": f"{rest} с"}.get(lang, f"{rest} s")
    return pick(UNITS, lang).format(m=minutes, s=rest)


def _b64url(value: Any, field: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{field} is required", field=field)
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{field} is not base64url", field=field) from None

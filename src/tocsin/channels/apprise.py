"""Notifications through apprise: Telegram, e-mail, Slack, Matrix, SMS gateways, … — any URL
apprise knows (https://github.com/caronc/apprise/wiki) can be subscribed, with filters and a
language.

Each alert event that changes what people are told becomes one message (see
`tocsin.channels.notices`): a title, and the alert's short (at most 90 characters) or long (at
most 360) text in the subscription's language. Option `text` chooses; by default a service
whose messages hold fewer than 360 characters (SMS, X) gets the short text and every other
(e-mail, chat, push) the long one. A service without a title field (Telegram, SMS) gets the
body alone, which already opens with the signal. Option `card` (true) attaches the alert's
card, the PNG of `GET /v1/alerts/{id}/card.png`, to each message, for services that take images.

Outbound safety, as for webhooks, unless the admin sets `webhook_allow_private`: a service
whose URL names a host (ntfy, Gotify, Mattermost, MQTT, JSON, e-mail, …, as apprise's own
parsing tells) is refused at creation if that host is, or resolves to, a private, loopback,
link-local or other non-public address; and every host a send looks up is checked again, the
connection going only to the addresses checked (`tocsin.channels.outbound`).

A failed notification is an `Outcome`, retried by the delivery core; its reason names the
service and what apprise reported. The URL is shown only with its secrets masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import apprise
from apprise.attachment.memory import AttachMemory

from tocsin.cap.texts import LONG_LIMIT, Situation
from tocsin.channels.delivery import Outcome
from tocsin.channels.media import card
from tocsin.channels.notices import NOTICE_EVENTS, Composer, Notice, Size, has_notice
from tocsin.channels.outbound import Lookup, public_only
from tocsin.channels.subscriptions import compile_filter
from tocsin.domain.events import Event
from tocsin.errors import InvalidInput
from tocsin.types import Lang

if TYPE_CHECKING:
    from tocsin.channels.context import ChannelContext
    from tocsin.config import Settings
    from tocsin.domain.subscriptions import SubscriptionRecord

KIND: Final = "apprise"
OPTIONS: Final = ("text", "card")
NOTIFY_TYPES: Final = {
    Situation.ALERT: apprise.NotifyType.WARNING,
    Situation.PRE_ALERT: apprise.NotifyType.WARNING,
    Situation.ALL_CLEAR: apprise.NotifyType.SUCCESS,
}
MAX_REASON: Final = 300

Wants = Callable[[Event], bool]


def validate(url: str, options: Mapping[str, Any]) -> None:
    """Refuse a URL apprise does not recognise, and unknown or bad options."""
    plugin(url)
    for key in options:
        if key not in OPTIONS:
            known = ", ".join(OPTIONS)
            message = f"unknown option {key!r}; {KIND} subscriptions take {known}"
            raise InvalidInput(message, field=f"options.{key}")
    text_size(options)
    wants_card(options)


async def check_target(url: str, options: Mapping[str, Any], settings: Settings) -> None:
    """Refuse, at creation, a URL whose host is or resolves to an internal address, as for
    webhooks (`webhook_allow_private` lifts it). A name that does not resolve now passes: every
    send checks what it looks up."""
    from tocsin.channels import webhook

    service = plugin(url)
    host = named_host(service)
    if host is None or webhook.allow_private(settings):
        return
    port = int(service.port or (443 if service.secure else 80))
    try:
        await webhook.public_address(host, port)
    except webhook.AddressRefused as exc:
        raise InvalidInput(str(exc), field="url", code="address_refused") from None
    except OSError:
        return


def named_host(service: apprise.NotifyBase) -> str | None:
    """The host the URL names, for a service apprise parses a `host` from (self-hosted ones:
    ntfy, Gotify, Mattermost, MQTT, e-mail, JSON, …); None for one whose URL holds only
    tokens (Telegram, Slack: apprise keeps a token where the host would be)."""
    host = str(getattr(service, "host", None) or "").strip().strip("[]")
    return host if host and "host" in service.template_tokens else None


def make_target(
    record: SubscriptionRecord, tocsin: ChannelContext, *, matches: Wants | None = None
) -> AppriseTarget:
    """The target of one apprise subscription; `matches` stands in for its stored filters."""
    return build_target(record, tocsin, channel=KIND, events=NOTICE_EVENTS, matches=matches)


def build_target(
    record: SubscriptionRecord,
    tocsin: ChannelContext,
    *,
    channel: str,
    events: Collection[str],
    matches: Wants | None,
    default: Size | None = None,
) -> AppriseTarget:
    from tocsin.channels import webhook

    service = plugin(record.url)
    if matches is None:
        matches = interest_of(record, tocsin, events)
    return AppriseTarget(
        consumer=record.consumer,
        channel=channel,
        label=masked(service),
        service=service,
        lang=record.lang,
        size=text_size(record.options) or default or default_size(service),
        card=wants_card(record.options),
        composer=Composer(lambda: tocsin.regions.tree, tocsin.catalogue),
        matches=matches,
        events=frozenset(events),
        allow_private=webhook.allow_private(tocsin.settings),
    )


def interest_of(
    record: SubscriptionRecord, tocsin: ChannelContext, events: Collection[str]
) -> Wants:
    """Whether an event is among `events` and matches the subscription's stored filters."""
    interest = replace(compile_filter(record.filters), types=frozenset(events))
    return lambda event: interest.matches(event, tocsin.regions.tree)


@dataclass(eq=False)
class AppriseTarget:
    """One apprise URL, in one language; delivers the alert events it `wants`."""

    consumer: str
    channel: str
    label: str
    service: apprise.NotifyBase = field(repr=False)
    lang: Lang
    size: Size
    composer: Composer = field(repr=False)
    matches: Wants = field(repr=False)
    events: frozenset[str] = NOTICE_EVENTS
    allow_private: bool = False
    card: bool = False  # attach the alert's card (PNG) to each message
    lookup: Lookup | None = field(default=None, repr=False)  # stands in for DNS (tests)

    @property
    def titled(self) -> bool:
        """Whether the service has a title field (apprise would put one before the body)."""
        return int(self.service.title_maxlen) > 0

    def wants(self, event: Event) -> bool:
        return event.type in self.events and has_notice(event) and self.matches(event)

    def notice(self, event: Event) -> Notice | None:
        return self.composer.notice(event, self.lang, self.size)

    async def send(self, event: Event) -> Outcome:
        notice = self.notice(event)
        if notice is None:
            return Outcome.ok()
        notifier = apprise.Apprise()
        notifier.add(self.service)
        attach = await self.attachment(event) if self.card else None
        guarded = contextlib.nullcontext() if self.allow_private else public_only(self.lookup)
        with guarded as guard:
            result = await notifier.async_notify(
                body=notice.body,
                title=notice.title if self.titled else "",
                notify_type=NOTIFY_TYPES.get(notice.situation, apprise.NotifyType.INFO),
                body_format=apprise.NotifyFormat.TEXT,
                attach=attach,
            )
        if result:
            return Outcome.ok()
        if guard is not None and guard.refused is not None:
            return Outcome.failed(guard.refused[:MAX_REASON], permanent=True)
        return Outcome.failed(self.reason(result))

    async def attachment(self, event: Event) -> AttachMemory | None:
        """The alert's card, as a PNG attachment (docs/broadcast.md)."""
        if event.alert is None:
            return None
        composer, alert = self.composer, event.alert
        wording = composer.wording(alert, self.lang)
        png = await asyncio.to_thread(card.for_alert, wording, composer.regions(), alert.regions)
        name = f"alert-{alert.id}.png"
        return AttachMemory(content=png, name=name, mimetype="image/png")  # type: ignore[no-untyped-call]

    def reason(self, result: object) -> str:
        """Which service failed, and the last thing apprise said about it (apprise ≥ 2)."""
        said = _last_warning(result)
        reason = f"{self.service.service_name} ({self.label}) failed"
        return (f"{reason}: {said}" if said else reason)[:MAX_REASON]


def plugin(url: str) -> apprise.NotifyBase:
    """The apprise service of `url`; `InvalidInput` (field `url`) when apprise has none."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("an apprise URL is required", field="url")
    _load_plugins()
    service = apprise.Apprise.instantiate(url.strip())
    if service is None:
        scheme = urlsplit(url.strip()).scheme or "?"
        raise InvalidInput(
            f"apprise does not recognise this URL (scheme {scheme}://); see "
            "https://github.com/caronc/apprise/wiki for the services and their URLs",
            field="url",
        )
    return service


def masked(service: apprise.NotifyBase) -> str:
    """The URL with passwords, tokens and keys masked, as apprise renders it."""
    text: str = service.url(privacy=True)  # type: ignore[no-untyped-call,unused-ignore]
    return text


def display(url: str) -> str:
    """`url` with its secrets masked (for listings), or a placeholder if it is not valid."""
    try:
        return masked(plugin(url))
    except InvalidInput:
        return "(not an apprise URL)"


def text_size(options: Mapping[str, Any]) -> Size | None:
    value = options.get("text")
    if value is None:
        return None
    if value in (Size.SHORT.value, Size.LONG.value):
        return Size(value)
    raise InvalidInput(
        f"text must be short (at most 90 characters) or long (at most 360); got {value!r}",
        field="options.text",
    )


def wants_card(options: Mapping[str, Any]) -> bool:
    """Option `card`: true or false (or the words, as the CLI's `--option card=true` gives)."""
    value = options.get("card", False)
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    raise InvalidInput(f"card must be true or false; got {value!r}", field="options.card")


def default_size(service: apprise.NotifyBase) -> Size:
    """Long, unless the service's messages hold fewer characters than the long text."""
    return Size.LONG if int(service.body_maxlen) >= LONG_LIMIT else Size.SHORT


def _last_warning(result: object) -> str:
    logs = getattr(result, "logs", None)
    if not callable(logs):
        return ""
    said = [e.message for e in logs() if getattr(e, "level", "") in ("WARNING", "ERROR")]
    return str(said[-1]).strip() if said else ""


@functools.cache
def _load_plugins() -> None:
    """Load apprise's plugins once, quietly: some import `imghdr`, deprecated in Python 3.11."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        apprise.Apprise.instantiate("json://localhost")

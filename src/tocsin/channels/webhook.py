"""Signed webhooks: one HTTP POST per event, per the Standard Webhooks spec.

The body is the event's public form (the same JSON as `/v1/events` items); the headers are
`webhook-id` (the event id: the receiver's idempotency key), `webhook-timestamp` (when this
attempt was sent, in Unix seconds: receivers check it against their own clock) and
`webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the `whsec_`
secret). Verify with any Standard Webhooks library, e.g. `Webhook(secret).verify(body, headers)`.

Outbound safety: only http and https; redirects are refused; unless the admin allows private
targets (`webhook_allow_private`), the host is resolved at creation and again before every
send, any private, loopback, link-local, multicast, reserved or unspecified address is refused,
and the request goes to the very address that was checked (so DNS rebinding cannot slip past).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from standardwebhooks import Webhook

from tocsin import __version__
from tocsin.channels.delivery import Outcome
from tocsin.channels.subscriptions import compile_filter, mask_url
from tocsin.domain.events import Event
from tocsin.domain.interest import Interest
from tocsin.domain.regions import RegionTree
from tocsin.domain.subscriptions import SubscriptionRecord
from tocsin.errors import InvalidInput

if TYPE_CHECKING:
    from tocsin.channels.context import ChannelContext
    from tocsin.config import Settings

SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)  # the spec's bounds for the decoded secret
MAX_RETRY_AFTER = 3600.0
DEFAULT_TIMEOUT = 10.0
RETRIED = frozenset({408, 429})
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(Exception):
    """The target's host is (or resolves to) an address webhooks may not reach."""


# --- the kind's hooks (see tocsin.channels.subscriptions) --------------------------------


def validate(url: str, options: dict[str, Any]) -> None:
    parse_url(url)
    for key in options:
        raise InvalidInput(f"webhooks take no option {key!r}", field=f"options.{key}")


def secret(given: str | None) -> str:
    """The given secret, checked, or a new one."""
    if given is None:
        return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    body = given.strip().removeprefix(SECRET_PREFIX)
    try:
        size = len(base64.b64decode(body, validate=True))
    except (binascii.Error, ValueError):
        size = 0
    if not given.startswith(SECRET_PREFIX) or not SECRET_BYTES[0] <= size <= SECRET_BYTES[1]:
        raise InvalidInput(
            f"a webhook secret is '{SECRET_PREFIX}' and the base64 of "
            f"{SECRET_BYTES[0]} to {SECRET_BYTES[1]} random bytes; leave it out to get one",
            field="secret",
        )
    return given.strip()


async def check_target(url: str, options: dict[str, Any], settings: Settings) -> None:
    """Refuse, at creation, a target in an address range webhooks may not reach."""
    if allow_private(settings):
        return
    parsed = parse_url(url)
    try:
        await public_address(parsed.host, parsed.port or _default_port(parsed))
    except AddressRefused as exc:
        raise InvalidInput(str(exc), field="url", code="address_refused") from None
    except OSError as exc:
        raise InvalidInput(f"cannot resolve {parsed.host}: {exc}", field="url") from None


def make_target(record: SubscriptionRecord, tocsin: ChannelContext) -> WebhookTarget:
    settings = tocsin.settings
    return WebhookTarget(
        record,
        compile_filter(record.filters),
        tree=lambda: tocsin.regions.tree,
        allow_private=allow_private(settings),
        timeout=settings.webhook_timeout,
    )


def allow_private(settings: Settings) -> bool:
    return settings.webhook_allow_private


# --- the target ---------------------------------------------------------------------------


class PinnedClient:
    """An HTTP client to one target URL that connects only to the address it checked (unless
    private targets are allowed); for the targets that POST to a subscriber's URL."""

    record: SubscriptionRecord
    url: httpx.URL
    allow_private: bool
    timeout: float
    resolve: Resolver
    _client: httpx.AsyncClient | None

    @property
    def consumer(self) -> str:
        return self.record.consumer

    @property
    def label(self) -> str:
        return mask_url(self.record.url)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, trust_env=False
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _destination(self) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """Where to connect: the URL itself, or (checked) the address its host resolves to."""
        if self.allow_private:
            return self.url, {}, {}
        address = await public_address(
            self.url.host, self.url.port or _default_port(self.url), self.resolve
        )
        return pinned(self.url, address)


class WebhookTarget(PinnedClient):
    def __init__(
        self,
        record: SubscriptionRecord,
        interest: Interest,
        *,
        tree: Callable[[], RegionTree] | None = None,
        allow_private: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        resolve: Resolver | None = None,
    ) -> None:
        if record.secret is None:
            raise ValueError(f"webhook {record.id} has no secret")
        self.record = record
        self.url = parse_url(record.url)
        self.interest = interest
        self.tree = tree or _no_regions  # the current region tree, for matching by coverage
        self.allow_private = allow_private
        self.timeout = timeout
        self.resolve = resolve or resolve_host
        self._signer = Webhook(record.secret)
        self._client: httpx.AsyncClient | None = None

    @property
    def channel(self) -> str:
        return "webhook"

    def wants(self, event: Event) -> bool:
        return self.interest.matches(event, self.tree())

    async def send(self, event: Event) -> Outcome:
        body = orjson.dumps(event.to_json())
        try:
            url, headers, extensions = await self._destination()
        except AddressRefused as exc:
            return Outcome.failed(str(exc), permanent=True)
        except OSError as exc:
            return Outcome.failed(f"cannot resolve {self.url.host}: {exc}")
        headers.update(self.headers(event, body))
        try:
            async with (
                asyncio.timeout(self.timeout),  # in all: a trickling answer is no answer
                self.client.stream(
                    "POST", url, content=body, headers=headers, extensions=extensions
                ) as response,
            ):
                return outcome_of(response.status_code, response.headers)
        except (httpx.TimeoutException, TimeoutError):
            return Outcome.failed(f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return Outcome.failed(f"{type(exc).__name__}: {exc}".rstrip(": "))

    def headers(self, event: Event, body: bytes, now: float | None = None) -> dict[str, str]:
        stamp = int(time.time() if now is None else now)
        moment = datetime.fromtimestamp(stamp, UTC)
        return {
            "content-type": "application/json",
            "user-agent": f"tocsin/{__version__}",
            "webhook-id": event.id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": self._signer.sign(event.id, moment, body.decode()),
        }


def pinned(url: httpx.URL, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """Send to `address` while the server still sees (and TLS still checks) the URL's host."""
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return url.copy_with(host=address), {"host": url.netloc.decode("ascii")}, extensions


def outcome_of(status: int, headers: httpx.Headers) -> Outcome:
    """What an HTTP answer means for delivery."""
    if 200 <= status < 300:
        return Outcome.ok()
    if 300 <= status < 400:
        to = _origin(headers.get("location", ""))
        return Outcome.failed(f"HTTP {status}: redirects are refused (to {to})", permanent=True)
    error = f"HTTP {status}"
    if status in RETRIED or status >= 500:
        return Outcome.failed(error, retry_after=retry_after(headers.get("retry-after")))
    return Outcome.failed(error, permanent=True)


def _origin(location: str) -> str:
    """Where a redirect points, told no further than the host (paths may hold secrets)."""
    try:
        url = httpx.URL(location)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "an invalid URL"
    return f"{url.scheme}://{url.netloc.decode('ascii')}" if url.host else "a path here"


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), within bounds."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value) if value.isdigit() else _until(value, now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _until(date: str, now: float | None) -> float:
    moment = parsedate_to_datetime(date)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() - (time.time() if now is None else now)


# --- URLs and addresses -------------------------------------------------------------------


def parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise InvalidInput(f"not a URL: {exc}", field="url") from None
    if parsed.scheme not in ("http", "https"):
        raise InvalidInput("a webhook URL must start with http:// or https://", field="url")
    if not parsed.host:
        raise InvalidInput("a webhook URL must name a host", field="url")
    if parsed.fragment:
        raise InvalidInput("a webhook URL must not have a #fragment", field="url")
    return parsed


async def resolve_host(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def public_address(host: str, port: int, resolve: Resolver = resolve_host) -> str:
    """The first address of `host`; AddressRefused if any of them is not a public one."""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in await resolve(host, port)]
    if not addresses:
        raise OSError(f"{host} has no address")
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            raise refused(host, address, reason)
    return str(addresses[0])


def refused(host: str, address: IPAddress, reason: str) -> AddressRefused:
    """The error for a host that is, or resolves to, an address deliveries may not reach."""
    shown = host if host == str(address) else f"{host} ({address})"
    return AddressRefused(
        f"{shown} is a {reason} address; deliveries may reach only public addresses "
        "unless the admin sets webhook_allow_private"
    )


def refusal(address: IPAddress) -> str | None:
    """Why webhooks may not reach this address, or None when it is a public one."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded)
    for reason, flag in (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-public", not address.is_global),
    ):
        if flag:
            return reason
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    return address.teredo[1] if address.teredo is not None else None


def _no_regions() -> RegionTree:
    return RegionTree([])


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80

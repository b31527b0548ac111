"""The webhook target: Standard Webhooks signatures, HTTP outcomes, and outbound address safety."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tocsin.channels import webhook
from tocsin.channels.subscriptions import mask_url
from tocsin.channels.webhook import (
    AddressRefused,
    WebhookTarget,
    outcome_of,
    pinned,
    public_address,
    refusal,
    retry_after,
)
from tocsin.domain.alerts import Alert, Phase, Status
from tocsin.domain.events import Event
from tocsin.domain.interest import Interest
from tocsin.errors import InvalidInput
from tocsin.storage.delivery_store import SubscriptionRecord
from webhook_support import Receiver, Reply, always, fail_first, settings, slow

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = webhook.secret(None)


def record(url: str, secret: str = SECRET) -> SubscriptionRecord:
    return SubscriptionRecord(
        "sub_0123456789ab", "webhook", url, secret, {}, "en", {}, "active", None, NOW, "test", 0
    )


def event(seq: int = 7, **alert: Any) -> Event:
    raised = Alert("a1", Status.ACTUAL, Phase.ACTIVE, "missile", ("UA-63",), NOW, NOW, "cli")
    body = {**raised.to_json(), **alert}
    return Event(
        seq,
        f"00000000-0000-0000-0000-{seq:012d}",
        "alert.raised",
        NOW,
        "cli",
        "a1",
        {"alert": body, "changes": {}},
    )


def target(url: str, **options: Any) -> WebhookTarget:
    options.setdefault("allow_private", True)
    return WebhookTarget(record(url), Interest(), **options)


# --- signing ------------------------------------------------------------------------------


def test_generated_secrets_follow_the_spec() -> None:
    made = {webhook.secret(None) for _ in range(5)}
    assert len(made) == 5
    for value in made:
        assert value.startswith("whsec_")
        assert len(base64.b64decode(value.removeprefix("whsec_"))) == 32


@pytest.mark.parametrize(
    "given",
    [
        "",
        "secret",
        "whsec_",
        "whsec_not base64!",
        "whsec_" + base64.b64encode(b"x" * 8).decode(),
        base64.b64encode(b"x" * 32).decode(),
        "whsec_" + base64.b64encode(b"x" * 65).decode(),
    ],
)
def test_bad_secrets_are_refused(given: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        webhook.secret(given)
    assert caught.value.field == "secret"


def test_a_given_secret_is_kept() -> None:
    given = "whsec_" + base64.b64encode(bytes(range(24))).decode()
    assert webhook.secret(given) == given


async def test_signature_verifies_and_tampering_fails() -> None:
    async with Receiver() as receiver:
        hook = target(receiver.url)
        sent = event()
        assert (await hook.send(sent)).delivered
        await hook.aclose()
    [got] = receiver.requests
    assert got.method == "POST" and got.path == "/hook"
    assert got.body == orjson.dumps(sent.to_json())
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == sent.id
    assert got.headers["webhook-signature"].startswith("v1,")
    assert Webhook(SECRET).verify(got.body, got.headers) == sent.to_json()
    tampered = got.body.replace(b"UA-63", b"UA-64")
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook.secret(None)).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(got.body, {**got.headers, "webhook-id": "another"})


def test_the_timestamp_is_signed_and_is_the_sending_time() -> None:
    hook = target("https://hooks.example.org/x")
    sent = event()
    body = orjson.dumps(sent.to_json())
    now = datetime.now(UTC).timestamp()
    headers = hook.headers(sent, body)
    assert abs(int(headers["webhook-timestamp"]) - now) <= 2  # not the event's time
    Webhook(SECRET).verify(body, headers)
    old = hook.headers(sent, body, now=now - 3600)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(SECRET).verify(body, old)


# --- outcomes -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status: int) -> None:
    assert outcome_of(status, httpx.Headers()).delivered


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_refused_for_good(status: int) -> None:
    outcome = outcome_of(status, httpx.Headers({"location": "http://u:p@elsewhere/x?t=1"}))
    assert not outcome.delivered and outcome.permanent
    assert outcome.error == f"HTTP {status}: redirects are refused (to http://elsewhere)"
    relative = outcome_of(status, httpx.Headers({"location": "/else"}))
    assert relative.error == f"HTTP {status}: redirects are refused (to a path here)"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_failures_are_retried(status: int) -> None:
    outcome = outcome_of(status, httpx.Headers({"retry-after": "7"}))
    assert not outcome.delivered and not outcome.permanent
    assert outcome.error == f"HTTP {status}" and outcome.retry_after == 7


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 410, 413, 422])
def test_other_client_errors_are_permanent(status: int) -> None:
    outcome = outcome_of(status, httpx.Headers())
    assert outcome.permanent and outcome.error == f"HTTP {status}"


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    earlier = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert retry_after("120") == 120
    assert retry_after(later, now=now.timestamp()) == 90
    assert retry_after(earlier, now=now.timestamp()) == 0
    assert retry_after("99999999") == webhook.MAX_RETRY_AFTER
    for junk in (None, "", "soon", "-5", "1.5e400"):
        assert retry_after(junk) is None


async def test_http_answers_through_a_real_receiver() -> None:
    async with Receiver(fail_first(1, 503, **{"retry-after": "3"})) as receiver:
        hook = target(receiver.url)
        first, second = await hook.send(event()), await hook.send(event())
        await hook.aclose()
    assert (first.delivered, first.error, first.retry_after) == (False, "HTTP 503", 3)
    assert second.delivered
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]


async def test_a_redirect_is_not_followed() -> None:
    async with Receiver() as elsewhere, Receiver(always(307, location="")) as receiver:
        receiver.plan = always(307, location=elsewhere.url)
        hook = target(receiver.url)
        outcome = await hook.send(event())
        await hook.aclose()
    assert outcome.permanent and "redirects are refused" in (outcome.error or "")
    assert len(receiver.requests) == 1 and elsewhere.requests == []


async def test_a_trickling_answer_times_out_in_all() -> None:
    handlers: list[asyncio.Task[None]] = []

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\n")
            while True:  # a header line every 0.1 s: never a read timeout, yet no answer
                writer.write(b"x-wait: 1\r\n")
                await writer.drain()
                await asyncio.sleep(0.1)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hook = target(f"http://127.0.0.1:{port}/x", timeout=0.5)
    began = time.monotonic()
    outcome = await hook.send(event())
    took = time.monotonic() - began
    await hook.aclose()
    server.close()
    for handler in handlers:
        handler.cancel()
    await asyncio.gather(*handlers, return_exceptions=True)
    assert outcome.error == "no answer within 0.5 s" and not outcome.permanent
    assert took < 1.5


async def test_a_slow_receiver_times_out_and_is_retried() -> None:
    async with Receiver(slow(5)) as receiver:
        hook = target(receiver.url, timeout=0.2)
        outcome = await hook.send(event())
        await hook.aclose()
    assert not outcome.delivered and not outcome.permanent
    assert outcome.error == "no answer within 0.2 s"


async def test_a_closed_port_is_a_transient_failure() -> None:
    with socket.socket() as held:  # bound, never listening: refused, and nobody else's
        held.bind(("127.0.0.1", 0))
        hook = target(f"http://127.0.0.1:{held.getsockname()[1]}/hook")
        outcome = await hook.send(event())
        await hook.aclose()
    assert not outcome.delivered and not outcome.permanent
    assert outcome.error and outcome.error.startswith("ConnectError")


# --- address safety -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("64:ff9b::7f00:1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("2002:7f00:1::1", "loopback"),  # 6to4 around a loopback address
        ("2002:a00:1::1", "private"),
        ("93.184.216.34", None),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_which_addresses_are_refused(address: str, reason: str | None) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason


def resolver(*addresses: str) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


async def test_a_name_with_any_private_address_is_refused() -> None:
    assert await public_address("hooks.example", 443, resolver("93.184.216.34")) == "93.184.216.34"
    with pytest.raises(AddressRefused, match=r"hooks.example \(10.0.0.5\) is a private address"):
        await public_address("hooks.example", 443, resolver("93.184.216.34", "10.0.0.5"))
    with pytest.raises(AddressRefused, match="link-local"):
        await public_address("hooks.example", 443, resolver("fe80::1%eth0"))
    with pytest.raises(OSError, match="no address"):
        await public_address("hooks.example", 443, resolver())


async def test_an_address_literal_is_not_resolved() -> None:
    assert await public_address("8.8.8.8", 80, resolver("10.0.0.1")) == "8.8.8.8"
    with pytest.raises(AddressRefused, match=r"^127\.0\.0\.1 is a loopback address"):
        await public_address("127.0.0.1", 80, resolver("8.8.8.8"))


def test_the_checked_address_is_the_one_connected_to() -> None:
    url, headers, extensions = pinned(
        httpx.URL("https://hooks.example:8443/a?b=1"), "93.184.216.34"
    )
    assert str(url) == "https://93.184.216.34:8443/a?b=1"
    assert headers == {"host": "hooks.example:8443"}
    assert extensions == {"sni_hostname": "hooks.example"}  # TLS still checks the name
    url, headers, extensions = pinned(httpx.URL("http://hooks.example/a"), "2001:db8::1")
    assert str(url) == "http://[2001:db8::1]/a"
    assert headers == {"host": "hooks.example"} and extensions == {}


async def test_loopback_is_refused_before_sending_unless_allowed() -> None:
    async with Receiver() as receiver:
        for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost")):
            guarded = target(url, allow_private=False)
            outcome = await guarded.send(event())
            assert outcome.permanent and "loopback address" in (outcome.error or "")
        assert receiver.requests == []
        allowed = target(receiver.url, allow_private=True)
        assert (await allowed.send(event())).delivered
        await allowed.aclose()
    assert len(receiver.requests) == 1


async def test_resolved_again_before_every_send() -> None:
    answers = [["93.184.216.34"], ["127.0.0.1"]]

    async def rebinding(host: str, port: int) -> list[str]:
        return answers.pop(0)

    hook = target("http://rebind.example/x", allow_private=False, resolve=rebinding)
    assert await hook._destination() == (
        httpx.URL("http://93.184.216.34/x"),
        {"host": "rebind.example"},
        {},
    )
    outcome = await hook.send(event())
    assert outcome.permanent and "127.0.0.1) is a loopback address" in (outcome.error or "")


async def test_creation_checks_the_address_against_the_setting() -> None:
    off, on = settings("sqlite://"), settings("sqlite://", webhook_allow_private=True)
    with pytest.raises(InvalidInput) as caught:
        await webhook.check_target("http://127.0.0.1:9/x", {}, off)
    assert (caught.value.code, caught.value.field) == ("address_refused", "url")
    assert "webhook_allow_private" in caught.value.message
    await webhook.check_target("http://127.0.0.1:9/x", {}, on)
    with pytest.raises(InvalidInput, match="cannot resolve"):
        await webhook.check_target("http://no-such-host.invalid/x", {}, off)


# --- URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("example.org/hook", "http:// or https://"),
        ("https:///path", "name a host"),
        ("https://example.org/x#frag", "fragment"),
        ("http://[::1/x", "not a URL"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        webhook.validate(url, {})
    assert caught.value.field == "url"


def test_webhooks_take_no_options() -> None:
    webhook.validate("https://example.org/x", {})
    with pytest.raises(InvalidInput) as caught:
        webhook.validate("https://example.org/x", {"format": "text"})
    assert caught.value.field == "options.format"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.org/hook", "https://example.org/hook"),
        ("https://user:pw@example.org/hook", "https://***@example.org/hook"),
        ("https://example.org/hook?token=abc", "https://example.org/hook?***"),
        ("http://u@example.org:8080/h?a=1#x", "http://***@example.org:8080/h?***"),
        ("tgram://bottoken/chat", "tgram://***"),
    ],
)
def test_labels_mask_credentials_and_queries(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_a_target_is_labelled_and_named_by_its_subscription() -> None:
    hook = target("https://user:pw@example.org/hook?token=abc")
    assert hook.consumer == "webhook:sub_0123456789ab"
    assert hook.channel == "webhook"
    assert hook.label == "https://***@example.org/hook?***"
    assert hook.wants(event())


def test_receiver_replies_are_plans() -> None:  # the support code used above does what it says
    plan = fail_first(2, 500)
    statuses = [plan(None, n).status for n in range(3)]  # type: ignore[arg-type]
    assert statuses == [500, 500, 200]
    assert Reply().status == 200


# --- docs/webhooks.md ---------------------------------------------------------------------


def docs_snippet() -> str:
    """The verifying code docs/webhooks.md gives receivers."""
    text = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    return text.split("## Verifying", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]


async def test_the_docs_snippet_verifies_a_real_delivery() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(docs_snippet(), "docs/webhooks.md", "exec"), namespace)
    receive = namespace["receive"]
    async with Receiver() as receiver:
        hook = target(receiver.url)
        sent = event()
        assert (await hook.send(sent)).delivered
        await hook.aclose()
    [got] = receiver.requests
    assert receive(SECRET, got.body, got.headers) == sent.to_json()
    assert receive(webhook.secret(None), got.body, got.headers) is None
    assert receive(SECRET, got.body.replace(b"UA-63", b"UA-64"), got.headers) is None
    documented = ("webhook-id", "webhook-timestamp", "webhook-signature")
    assert all(name in got.headers for name in documented)
    assert set(sent.to_json()) == {"seq", "id", "type", "time", "actor", "alert", "changes"}

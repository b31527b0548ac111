"""Outbound safety for apprise services of every kind: the host a URL names is checked when the
subscription is made, and every lookup a send makes is checked again, the connection going only
to the addresses checked. Real plugins, real sockets: a loopback server must receive nothing."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from apprise_support import record

from conftest import bearer
from tocsin.bootstrap import Tocsin, build
from tocsin.channels import apprise as kind
from tocsin.channels import broadcast
from tocsin.channels.outbound import public_only
from tocsin.config import Settings
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.events import Event
from tocsin.errors import InvalidInput
from tocsin.service.ports import ManualClock

INTERNAL = [
    "ntfy://127.0.0.1/alerts",
    "ntfys://localhost/alerts",
    "ntfy://169.254.169.254/alerts",  # the cloud metadata service
    "ntfy://2130706433/alerts",  # 127.0.0.1 spelt as one number
    "ntfy://[::ffff:127.0.0.1]/alerts",
    "gotify://127.0.0.1/AbCdEf0123456789",
    "gotifys://10.1.2.3/AbCdEf0123456789",
    "mmost://127.0.0.1/sometoken",
    "mmosts://[::1]/sometoken",
    "apprise://127.0.0.1/sometoken",
    "rocket://user:pass@192.168.1.10/room",
    "mqtt://127.0.0.1/tocsin/alerts",
    "mqtts://user:pass@172.16.0.5:8883/tocsin/alerts",
    "mailto://127.0.0.1?from=tocsin@example.com&to=duty@example.com",
    "json://localhost/hook",
    "xmls://[fe80::1]/hook",
]
NAMED_SERVICES = [
    "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890",  # host: a token
    "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
    "discord://123456/abcdef",
    "ntfy://alerts",  # ntfy.sh
    "ntfys://203.0.113.7.nip.invalid/alerts",  # does not resolve now: checked at every send
    "json://93.184.215.14/hook",
]


class Private(Settings):
    webhook_allow_private: bool = True


# --- at creation ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", INTERNAL)
async def test_every_service_naming_an_internal_host_is_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await kind.check_target(url, {}, Settings())
    assert (caught.value.field, caught.value.code) == ("url", "address_refused")
    assert "webhook_allow_private" in caught.value.message
    with pytest.raises(InvalidInput):
        await broadcast.check_target(url, {}, Settings())
    await kind.check_target(url, {}, Private())


@pytest.mark.parametrize("url", NAMED_SERVICES)
async def test_services_without_an_internal_host_pass(url: str) -> None:
    await kind.check_target(url, {}, Settings())


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("ntfy://127.0.0.1/alerts", "127.0.0.1"),
        ("mmosts://[::1]/t", "::1"),
        ("mailto://u:p@mail.example.org?to=a@example.org", "mail.example.org"),
        (NAMED_SERVICES[0], None),
        ("ntfy://alerts", None),
    ],
)
def test_the_named_host_comes_from_apprises_parsing(url: str, host: str | None) -> None:
    assert kind.named_host(kind.plugin(url)) == host


async def test_the_api_refuses_them(client: httpx.AsyncClient, tocsin: Tocsin) -> None:
    admin = await bearer(tocsin)
    for url in ("ntfy://127.0.0.1/alerts", "mqtt://169.254.169.254/t", "gotify://[::1]/tok"):
        for subscription_kind in ("apprise", "broadcast"):
            body = {"kind": subscription_kind, "url": url}
            response = await client.post("/v1/subscriptions", json=body, headers=admin)
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "address_refused"
            assert response.json()["field"] == "url"


# --- at every send -------------------------------------------------------------------------


@dataclass(eq=False)
class Listener:
    """A loopback HTTP server that records every request, and a TCP port that counts every
    connection (MQTT, SMTP)."""

    http_port: int = 0
    tcp_port: int = 0
    requests: list[str] = field(default_factory=list)
    connections: int = 0


@contextmanager
def listening() -> Iterator[Listener]:
    listener = Listener()

    class Handler(BaseHTTPRequestHandler):
        def _take(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(size)
            listener.requests.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_POST = do_PUT = do_GET = _take

        def log_message(self, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tcp = socket.create_server(("127.0.0.1", 0))
    tcp.settimeout(0.1)
    listener.http_port, listener.tcp_port = http.server_address[1], tcp.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = tcp.accept()
            except TimeoutError:
                continue
            listener.connections += 1
            conn.close()

    threads = [
        threading.Thread(target=http.serve_forever, daemon=True),
        threading.Thread(target=accept, daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield listener
    finally:
        stop.set()
        http.shutdown()
        http.server_close()
        for thread in threads:
            thread.join(5)
        tcp.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with listening() as listener:
        yield listener


def http_urls(port: int, host: str = "127.0.0.1") -> list[str]:
    return [
        f"ntfy://{host}:{port}/alerts",
        f"gotify://{host}:{port}/AbCdEf0123456789",
        f"mmost://{host}:{port}/sometoken",
        f"apprise://{host}:{port}/sometoken",
        f"rocket://user:pass@{host}:{port}/room",
        f"json://{host}:{port}/hook",
    ]


@pytest.fixture
async def private(database_url: str, clock: ManualClock) -> AsyncIterator[Tocsin]:
    tocsin = await build(Private(database_url=database_url, channels=()), clock=clock)
    try:
        yield tocsin
    finally:
        await tocsin.close()


async def alert_event(tocsin: Tocsin) -> Event:
    await tocsin.alerts.raise_alert(RaiseAlert(threat="missile", regions=["UA-63"]), LOCAL_ADMIN)
    [event] = await tocsin.store.events_after(await tocsin.store.last_seq() - 1, 1)
    return event


async def test_a_send_to_a_loopback_server_reaches_nothing(
    tocsin: Tocsin, private: Tocsin, listener: Listener
) -> None:
    event = await alert_event(tocsin)
    urls = [*http_urls(listener.http_port), *http_urls(listener.http_port, "localhost")]
    urls += [
        f"mqtt://127.0.0.1:{listener.tcp_port}/tocsin/alerts",
        f"mailto://127.0.0.1:{listener.tcp_port}?from=t@example.com&to=duty@example.com",
    ]
    for url in urls:
        target = kind.make_target(record(url), tocsin)
        outcome = await target.send(event)
        assert not outcome.delivered and outcome.permanent, (url, outcome)
        assert "loopback address" in (outcome.error or ""), (url, outcome)
    assert (listener.requests, listener.connections) == ([], 0)
    # the same targets reach it when the admin allows private targets: the test can see a send
    for url in http_urls(listener.http_port):
        await kind.make_target(record(url), private).send(event)
    assert len(listener.requests) >= len(http_urls(listener.http_port))


async def test_a_name_that_turns_to_loopback_after_the_check_reaches_nothing(
    tocsin: Tocsin, listener: Listener
) -> None:
    answers = [public(listener.http_port), loopback(listener.http_port)]

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        assert host == "ntfy.rebind.example"
        return answers.pop(0)

    event = await alert_event(tocsin)
    url = f"ntfy://ntfy.rebind.example:{listener.http_port}/alerts"
    target = kind.make_target(record(url), tocsin)
    target.lookup = rebinding
    with public_only(rebinding):
        assert socket.getaddrinfo("ntfy.rebind.example", 80) == public(listener.http_port)
    outcome = await target.send(event)
    assert outcome.permanent and "ntfy.rebind.example (127.0.0.1) is a loopback address" in (
        outcome.error or ""
    )
    assert listener.requests == []


def public(port: int) -> list[Any]:
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]


def loopback(port: int) -> list[Any]:
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


def test_the_guard_hands_over_exactly_what_it_checked() -> None:
    mixed = [*public(80), *loopback(80)]
    with public_only(lambda *a, **k: public(80)) as guard:
        assert socket.getaddrinfo("hooks.example", 80) == public(80)
    assert guard.refused is None
    with public_only(lambda *a, **k: mixed) as guard, pytest.raises(socket.gaierror):
        socket.getaddrinfo("hooks.example", 80)
    assert guard.refused is not None and "loopback" in guard.refused
    assert socket.getaddrinfo("localhost", 80)  # outside the guard: as ever


async def test_the_guard_goes_with_threads_given_the_context() -> None:
    with public_only(lambda *a, **k: loopback(80)), pytest.raises(socket.gaierror):
        await asyncio.to_thread(socket.getaddrinfo, "hooks.example", 80)
    assert await asyncio.to_thread(socket.getaddrinfo, "localhost", 80)

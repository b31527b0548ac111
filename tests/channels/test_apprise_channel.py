"""apprise subscriptions: URL and option checks, the words of each message, and delivery through
apprise's real `json://` plugin to a receiver on loopback."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from apprise_support import FAST, Receiver, receiving, record, until
from PIL import Image

from conftest import sqlite_threads_finished
from tocsin.bootstrap import Tocsin, build
from tocsin.cap.texts import LONG_LIMIT, SHORT_LIMIT
from tocsin.channels import apprise as kind
from tocsin.channels.delivery import Supervisor
from tocsin.channels.notices import Size
from tocsin.channels.subscriptions import SubscriptionChannel
from tocsin.config import Settings
from tocsin.domain.alerts import RaiseAlert, Status, UpdateAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.events import Event
from tocsin.errors import InvalidInput
from tocsin.service.ports import ManualClock
from tocsin.storage.uow import SqlUnitOfWorkFactory

TELEGRAM = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890"
EMAIL = "mailtos://alerts:s3cret-pw@example.com?to=duty@example.com"
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
MATRIX = "matrixs://tocsin:s3cret-pw@matrix.example.org/#alerts"
SMS = "twilio://AC1234567890abcdef1234567890abcd:s3cretToken0123456789abcdef01234@15551234567/15559876543"


class PrivateSettings(Settings):
    """Settings with `webhook_allow_private` set (until config.py has the field)."""

    webhook_allow_private: bool = True


@pytest.fixture
async def tocsin(database_url: str, clock: ManualClock) -> AsyncIterator[Tocsin]:
    """The services, with private targets allowed: the receivers listen on loopback."""
    settings = Settings(database_url=database_url, channels=(), webhook_allow_private=True)
    app = await build(settings, clock=clock)
    try:
        yield app
    finally:
        await app.close()
        await sqlite_threads_finished()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


@pytest.fixture
async def supervisor(tocsin: Tocsin) -> AsyncIterator[Supervisor]:
    await tocsin.start()
    supervisor = Supervisor(tocsin.feed, tocsin.deliveries, tocsin.clock, FAST)
    yield supervisor
    await supervisor.stop()


def everything(event: Event) -> bool:
    return True


async def raise_alert(tocsin: Tocsin, threat: str = "missile", *regions: str, **kw: Any) -> str:
    cmd = RaiseAlert(threat=threat, regions=list(regions or ["UA-63"]), **kw)
    alert, _ = await tocsin.alerts.raise_alert(cmd, LOCAL_ADMIN)
    return alert.id


# --- checks ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [TELEGRAM, EMAIL, SLACK, MATRIX, SMS, "json://127.0.0.1:9/x"])
def test_validate_accepts_urls_apprise_knows(url: str) -> None:
    kind.validate(url, {})
    kind.validate(url, {"text": "short"})


@pytest.mark.parametrize(
    "url", ["bogus://s3cret@host", "https://example.com/hook", "", "   ", "no url at all"]
)
def test_validate_refuses_urls_apprise_does_not_know(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        kind.validate(url, {})
    assert caught.value.field == "url"
    assert "s3cret" not in caught.value.message


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"text": "medium"}, "options.text"),
        ({"text": 90}, "options.text"),
        ({"colour": "red"}, "options.colour"),
        ({"card": "yes"}, "options.card"),
        ({"card": 1}, "options.card"),
    ],
)
def test_validate_refuses_bad_options(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        kind.validate("json://127.0.0.1/x", options)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("url", "size", "titled"),
    [
        ("json://127.0.0.1/x", Size.LONG, True),
        (EMAIL, Size.LONG, True),
        (TELEGRAM, Size.LONG, False),
        (SMS, Size.SHORT, False),
    ],
)
async def test_text_size_and_title_follow_the_service(
    tocsin: Tocsin, url: str, size: Size, titled: bool
) -> None:
    target = kind.make_target(record(url), tocsin)
    assert (target.size, target.titled) == (size, titled)
    other = Size.SHORT if size is Size.LONG else Size.LONG
    chosen = kind.make_target(record(url, options={"text": other.value}), tocsin)
    assert chosen.size is other


@pytest.mark.parametrize("url", [EMAIL, MATRIX, SMS, "json://user:s3cret-pw@127.0.0.1:9/x"])
async def test_label_masks_secrets(tocsin: Tocsin, url: str) -> None:
    target = kind.make_target(record(url), tocsin)
    assert "s3cret" not in target.label and "s3cret" not in repr(target)
    assert target.label.split("://")[0] == url.split("://")[0]
    assert kind.display(url) == target.label
    assert (target.consumer, target.channel) == ("apprise:sub1", "apprise")


@pytest.mark.parametrize(
    "url", ["json://127.0.0.1:8080/hook", "forms://10.1.2.3/x", "xml://localhost/x"]
)
async def test_plain_http_endpoints_may_not_reach_internal_addresses(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await kind.check_target(url, {}, Settings())
    assert (caught.value.field, caught.value.code) == ("url", "address_refused")
    await kind.check_target(url, {}, PrivateSettings())


@pytest.mark.parametrize("url", ["json://93.184.215.14/hook", TELEGRAM, EMAIL])
async def test_public_endpoints_and_named_services_pass_the_address_check(url: str) -> None:
    await kind.check_target(url, {}, Settings())


def test_display_of_a_bad_url_says_so() -> None:
    assert kind.display("bogus://s3cret@x") == "(not an apprise URL)"


# --- words -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title", "place"),
    [
        ("uk", "Ракетна небезпека!", "Харківська область"),
        ("en", "Rocket Danger!", "Kharkiv Oblast"),
        ("ru", "Ракетная опасность!", "Харьковская область"),
    ],
)
@pytest.mark.parametrize("size", [Size.SHORT, Size.LONG])
async def test_messages_are_in_the_subscribers_language(
    supervisor: Supervisor,
    tocsin: Tocsin,
    receiver: Receiver,
    lang: str,
    title: str,
    place: str,
    size: Size,
) -> None:
    target = kind.make_target(
        record(receiver.url(), lang=lang, options={"text": size.value}), tocsin
    )
    supervisor.add(target, start=await tocsin.store.last_seq())
    await raise_alert(tocsin, "missile", "UA-63")
    await until(lambda: len(receiver.messages) == 1)
    [message] = receiver.messages
    assert title in message.title
    assert place in message.body and message.body.startswith(message.title)
    assert len(message.body) <= (SHORT_LIMIT if size is Size.SHORT else LONG_LIMIT)
    assert message.type == "warning"


async def test_a_subscription_may_have_the_alerts_card_attached(
    supervisor: Supervisor, tocsin: Tocsin, receiver: Receiver
) -> None:
    with_card = kind.make_target(record(receiver.url("/c"), options={"card": "true"}), tocsin)
    without = kind.make_target(record(receiver.url("/t"), id="sub2"), tocsin)
    start = await tocsin.store.last_seq()
    supervisor.add(with_card, start=start)
    supervisor.add(without, start=start)
    alert = await raise_alert(tocsin, "missile", "UA-63")
    await until(lambda: len(receiver.messages) == 2)
    [carded], [plain] = receiver.at("/c"), receiver.at("/t")
    assert plain.attachments == ()
    [attached] = carded.attachments
    assert attached["mimetype"] == "image/png"
    assert attached["filename"] == f"alert-{alert}.png"
    image = Image.open(io.BytesIO(base64.b64decode(attached["base64"])))
    assert image.size == (1200, 630)


async def test_many_regions_still_fit(
    supervisor: Supervisor, tocsin: Tocsin, receiver: Receiver
) -> None:
    regions = [r.code for r in tocsin.regions.tree if r.level == "oblast"]
    short = kind.make_target(record(receiver.url("/s"), options={"text": "short"}), tocsin)
    long = kind.make_target(record(receiver.url("/l"), id="sub2"), tocsin)
    start = await tocsin.store.last_seq()
    supervisor.add(short, start=start)
    supervisor.add(long, start=start)
    await raise_alert(tocsin, "air", *regions)
    await until(lambda: len(receiver.messages) == 2)
    [s], [lg] = receiver.at("/s"), receiver.at("/l")
    assert len(s.body) <= SHORT_LIMIT and len(lg.body) <= LONG_LIMIT
    assert "та ще" in s.body and "та ще" in lg.body  # "and N more"


async def test_each_situation_has_its_words(
    supervisor: Supervisor, tocsin: Tocsin, clock: ManualClock, receiver: Receiver
) -> None:
    target = kind.make_target(record(receiver.url(), lang="en"), tocsin, matches=everything)
    supervisor.add(target, start=await tocsin.store.last_seq())
    alerts = tocsin.alerts
    first = await raise_alert(tocsin, "uav", "UA-63", pre_alert=True)
    await alerts.activate(first, LOCAL_ADMIN)
    await alerts.update_alert(first, UpdateAlert(threat="missile"), LOCAL_ADMIN)
    await alerts.update_alert(first, UpdateAlert(add_regions=["UA-59"]), LOCAL_ADMIN)
    await alerts.update_alert(first, UpdateAlert(text="Shelter in the metro."), LOCAL_ADMIN)
    await alerts.update_alert(first, UpdateAlert(threat="uav"), LOCAL_ADMIN)
    await alerts.end(first, LOCAL_ADMIN)
    second = await raise_alert(tocsin, "air", "UA-30")
    await alerts.cancel(second, LOCAL_ADMIN, "Sensor fault.")
    expires = clock.now() + timedelta(minutes=1)
    await raise_alert(tocsin, "air", "UA-30", expires_at=expires)
    clock.advance(61)
    await alerts.expire_due(LOCAL_ADMIN)
    await until(lambda: len(receiver.messages) == 10)
    titles = [m.title for m in receiver.messages]
    assert titles == [
        "Early warning: UAV Danger!",
        "UAV Danger!",
        "Rocket Danger! (threat level raised)",
        "Rocket Danger! (area changed)",  # not the text-only update after it
        "UAV Danger! (threat level lowered)",
        "All clear",
        "Air Raid Alert!",
        "False alarm, alert cancelled",
        "Air Raid Alert!",
        "Alert expired",
    ]
    bodies = [m.body for m in receiver.messages]
    assert "Kharkiv Oblast, Sumy Oblast" in bodies[3]
    assert "has ended" in bodies[5] and "false alarm" in bodies[7]
    assert "expired" in bodies[9]
    assert [m.type for m in receiver.messages][5:8] == ["success", "warning", "info"]
    assert all(len(b) <= LONG_LIMIT for b in bodies)


@pytest.mark.parametrize("size", [Size.SHORT, Size.LONG])
async def test_the_false_alarm_message_is_delivered(
    supervisor: Supervisor, tocsin: Tocsin, receiver: Receiver, size: Size
) -> None:
    """The operator's message reaches every size of text, with the place, many regions or one."""
    oblasts = [r.code for r in tocsin.regions.tree if r.level == "oblast"]
    target = kind.make_target(
        record(receiver.url(), lang="en", options={"text": size.value}), tocsin
    )
    supervisor.add(target, start=await tocsin.store.last_seq())
    for regions in (["UA-63"], oblasts):
        alert_id = await raise_alert(tocsin, "missile", *regions)
        await tocsin.alerts.cancel(alert_id, LOCAL_ADMIN, "Sensor fault. No launch.")
    await until(lambda: len(receiver.messages) == 4)
    one, many = receiver.messages[1], receiver.messages[3]
    assert one.title == many.title == "False alarm, alert cancelled"
    assert "Kharkiv Oblast" in one.body and "Sensor fault. No launch." in one.body
    assert " more" in many.body and "Sensor fault." in many.body
    limit = SHORT_LIMIT if size is Size.SHORT else LONG_LIMIT
    assert len(one.body) <= limit and len(many.body) <= limit


@pytest.mark.parametrize(
    ("status", "lang", "marker"),
    [(Status.EXERCISE, "uk", "НАВЧАННЯ: "), (Status.TEST, "en", "TEST: ")],
)
async def test_exercises_and_tests_are_marked(
    supervisor: Supervisor,
    tocsin: Tocsin,
    receiver: Receiver,
    status: Status,
    lang: str,
    marker: str,
) -> None:
    filters = {"statuses": [status.value]}
    target = kind.make_target(record(receiver.url(), lang=lang, filters=filters), tocsin)
    supervisor.add(target, start=await tocsin.store.last_seq())
    await raise_alert(tocsin, "missile", "UA-63", status=Status.ACTUAL)
    alert_id = await raise_alert(tocsin, "missile", "UA-63", status=status)
    await tocsin.alerts.end(alert_id, LOCAL_ADMIN)
    await until(lambda: len(receiver.messages) == 2)
    assert all(m.title.startswith(marker) for m in receiver.messages)
    assert all(m.body.startswith(marker) for m in receiver.messages)


# --- delivery ----------------------------------------------------------------------------


async def test_a_failure_is_retried_then_delivered(
    supervisor: Supervisor, tocsin: Tocsin, receiver: Receiver
) -> None:
    receiver.failures = 2
    target = kind.make_target(record(receiver.url(auth="ops:s3cret-pw@")), tocsin)
    supervisor.add(target, start=await tocsin.store.last_seq())
    await raise_alert(tocsin)
    seq = await tocsin.store.last_seq()
    await until(lambda: len(receiver.messages) == 1)
    await until(lambda: supervisor.workers[target.consumer].cursor == seq)
    attempts = sorted(
        await tocsin.deliveries.attempts(consumer=target.consumer), key=lambda a: a.attempt
    )
    assert [(a.event_seq, a.outcome) for a in attempts] == [
        (seq, "failed"), (seq, "failed"), (seq, "delivered"),
    ]  # fmt: skip
    error = attempts[0].error or ""
    assert error.startswith("JSON (json://ops:****@127.0.0.1") and "503" in error
    assert all("s3cret" not in (a.error or "") + a.target for a in attempts)
    assert receiver.refused == 2


async def test_only_alert_events_make_messages(
    supervisor: Supervisor, tocsin: Tocsin, receiver: Receiver
) -> None:
    target = kind.make_target(record(receiver.url()), tocsin, matches=everything)
    supervisor.add(target, start=await tocsin.store.last_seq())
    alert_id = await raise_alert(tocsin)
    alert = await tocsin.alerts.get(alert_id)
    async with tocsin.store.write() as tx:
        now = tocsin.clock.now()
        await tx.append(type="regions.imported", time=now, actor="t", alert_id=None, data={})
        repeat = {"alert": alert.to_json(), "changes": {}, "repeat": 1, "minutes": 5.0}
        await tx.append(
            type="broadcast.repeat", time=now, actor="t", alert_id=alert_id, data=repeat
        )
    tocsin.feed.committed(tx.events)
    await tocsin.alerts.end(alert_id, LOCAL_ADMIN)
    seq = await tocsin.store.last_seq()
    await until(lambda: supervisor.workers[target.consumer].cursor == seq)
    assert [m.title for m in receiver.messages] == ["Ракетна небезпека!", "Відбій тривоги"]
    assert not target.wants(tx.events[0]) and not target.wants(tx.events[1])


async def test_subscriptions_filter_and_deliver_through_the_channel(
    tocsin: Tocsin, receiver: Receiver
) -> None:
    await tocsin.start()
    start = await tocsin.store.last_seq()
    kharkiv = record(receiver.url("/kharkiv"), filters={"regions": ["UA-63"]}, start_seq=start)
    threats = record(
        receiver.url("/uav"), id="sub2", lang="en", start_seq=start, filters={"threats": ["uav"]}
    )
    async with SqlUnitOfWorkFactory(tocsin.store)() as uow:
        for each in (kharkiv, threats):
            await uow.subscriptions.add(each)
    channel = SubscriptionChannel(tocsin, interval=0.05)
    await channel.start()
    try:
        await raise_alert(tocsin, "missile", "UA-59")
        await raise_alert(tocsin, "uav", "UA-63")
        await until(lambda: len(receiver.messages) == 2)
        seq = await tocsin.store.last_seq()
        await until(lambda: all(w.cursor == seq for w in tocsin.supervisor.workers.values()))
    finally:
        await channel.stop()
    assert [(m.path, m.title) for m in receiver.messages if m.path == "/kharkiv"] == [
        ("/kharkiv", "Загроза БпЛА!"),
    ]
    assert [m.title for m in receiver.at("/uav")] == ["UAV Danger!"]


# --- e-mail ------------------------------------------------------------------------------


class Mailbox:
    """Just enough SMTP to take mail (no TLS, no auth): what apprise's `mailto://` speaks."""

    def __init__(self) -> None:
        self.mail: list[EmailMessage] = []

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 localhost ESMTP\r\n")
        while line := await reader.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                writer.write(b"250-localhost\r\n250 8BITMIME\r\n")
            elif command == "DATA":
                writer.write(b"354 end with <CRLF>.<CRLF>\r\n")
                self.mail.append(await self._data(reader))
                writer.write(b"250 queued\r\n")
            elif command == "QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        await writer.drain()
        writer.close()

    async def _data(self, reader: asyncio.StreamReader) -> EmailMessage:
        lines = []
        while (line := await reader.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        message = message_from_bytes(b"".join(lines), policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


@pytest.fixture
async def mailbox() -> AsyncIterator[tuple[Mailbox, int]]:
    box = Mailbox()
    server = await asyncio.start_server(box.session, "127.0.0.1", 0)
    yield box, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_email_goes_out_with_the_long_text(
    supervisor: Supervisor, tocsin: Tocsin, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    url = f"mailto://127.0.0.1:{port}?from=tocsin@example.com&to=duty@example.com"
    target = kind.make_target(record(url, lang="ru"), tocsin)
    assert target.size is Size.LONG
    supervisor.add(target, start=await tocsin.store.last_seq())
    await raise_alert(tocsin, "missile", "UA-63")
    await until(lambda: len(box.mail) == 1)
    [mail] = box.mail
    assert mail["Subject"] == "Ракетная опасность!" and mail["To"] == "duty@example.com"
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content().strip()
    assert text.startswith("Ракетная опасность! Харьковская область.") and len(text) <= LONG_LIMIT

"""An alert in an event is decoded once per process, however many channels consume it: the
feed hands every worker the same event, which keeps its decoded alert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from siren_support import clear_retained, new_prefix, shared_broker, until

from tocsin.bootstrap import Tocsin
from tocsin.channels.sirens.bridge import SirenChannel
from tocsin.channels.webhook import WebhookTarget
from tocsin.domain.alerts import Alert, RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.events import Event
from tocsin.domain.interest import Interest
from tocsin.storage.delivery_store import SubscriptionRecord
from tocsin.storage.siren_store import SirenStore
from webhook_support import Receiver

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def decodings(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The data of every `Alert.from_json` call while the test runs."""
    calls: list[dict[str, Any]] = []
    original = Alert.from_json.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Alert], data: dict[str, Any]) -> Alert:
        calls.append(data)
        return original(cls, data)  # type: ignore[no-any-return]

    monkeypatch.setattr(Alert, "from_json", classmethod(counted))
    return calls


@pytest.fixture
async def sirens(tocsin: Tocsin) -> AsyncIterator[SirenChannel]:
    url, prefix = shared_broker(), new_prefix()
    await tocsin.start()
    channel = SirenChannel(tocsin, url=url, prefix=prefix, check_interval=0.05, backoff=(0.05, 0.5))
    await channel.start()
    try:
        await until(lambda: channel.target is not None and channel.target.reconciled.is_set())
        yield channel
    finally:
        await channel.stop()
        await clear_retained(url, prefix)


def hook(url: str, tocsin: Tocsin) -> WebhookTarget:
    record = SubscriptionRecord(
        "sub_0123456789ab", "webhook", url, "whsec_" + "A" * 40, {}, "en", {}, "active", None,
        NOW, "test", 0,
    )  # fmt: skip
    interest = Interest(regions=frozenset({"UA-63"}))
    return WebhookTarget(record, interest, tree=lambda: tocsin.regions.tree, allow_private=True)


async def test_a_siren_channel_and_a_webhook_decode_an_event_once(
    tocsin: Tocsin, sirens: SirenChannel, decodings: list[dict[str, Any]]
) -> None:
    await tocsin.sirens.register("s-once", "UA-63", LOCAL_ADMIN)
    async with Receiver() as receiver:
        target = hook(receiver.url, tocsin)
        tocsin.supervisor.add(target, start=tocsin.feed.head)
        try:
            alert, _ = await tocsin.alerts.raise_alert(
                RaiseAlert(threat="missile", regions=["UA-63"]), LOCAL_ADMIN
            )
            seq = await tocsin.store.last_seq()
            await until(lambda: receiver.seqs == [seq], what="the webhook")
            sirens_store = SirenStore(tocsin.store.engine)
            await until(lambda: sirens.target is not None and sirens.target.applied == seq)
            record = await sirens_store.get("s-once")
            assert record is not None and record.last_command_seq == seq  # the siren's command
        finally:
            await tocsin.supervisor.remove(target.consumer)
            await target.aclose()
    [event] = await tocsin.feed.read(seq - 1, 1)
    assert isinstance(event, Event) and event.alert is not None and event.alert.id == alert.id
    of_this_event = [data for data in decodings if data is event.data["alert"]]
    assert len(of_this_event) == 1

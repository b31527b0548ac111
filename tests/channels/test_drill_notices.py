"""A drill's announcement on the notice channels: apprise and broadcast subscribers of its
regions get it in their language, whatever statuses they chose; others don't; Web Push carries
it too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from apprise_support import FAST, Receiver, receiving, record, until

from conftest import sqlite_threads_finished
from tocsin.bootstrap import Tocsin, build
from tocsin.channels import apprise, broadcast
from tocsin.channels.delivery import Supervisor
from tocsin.channels.notices import Composer, Size
from tocsin.channels.push import PUSHED
from tocsin.config import Settings
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.interest import Interest
from tocsin.service.ports import ManualClock


@pytest.fixture
async def tocsin(database_url: str, clock: ManualClock) -> AsyncIterator[Tocsin]:
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


async def announce(tocsin: Tocsin) -> None:
    clock = tocsin.clock
    assert isinstance(clock, ManualClock)
    await tocsin.drills.schedule(
        LOCAL_ADMIN,
        title="Spring drill",
        threat="missile",
        regions=("UA-63",),
        scheduled_for=clock.now() + timedelta(hours=2),
        announce_before=3600,
        duration=600,
        sirens=True,
    )
    clock.advance(3600)
    await tocsin.drills.tick()


async def test_apprise_and_broadcast_subscribers_of_the_region_get_the_announcement(
    supervisor: Supervisor, tocsin: Tocsin, receiver: Receiver
) -> None:
    hromada = {"regions": ["UA-63-R124"]}  # below the drill's oblast; actual alerts only
    targets = [
        apprise.make_target(record(receiver.url("/uk"), filters=hromada), tocsin),
        apprise.make_target(record(receiver.url("/en"), lang="en", id="s2"), tocsin),
        broadcast.make_target(
            record(receiver.url("/ru"), kind="broadcast", lang="ru", id="s3"), tocsin
        ),
        apprise.make_target(
            record(receiver.url("/kyiv"), filters={"regions": ["UA-32"]}, id="s4"), tocsin
        ),
    ]
    start = await tocsin.store.last_seq()
    for target in targets:
        supervisor.add(target, start=start)
    await announce(tocsin)
    await until(lambda: len(receiver.messages) == 3)
    [uk] = receiver.at("/uk")
    assert uk.title == "Оголошено навчання" or uk.body.startswith("Оголошено навчання")
    assert "Це не справжня тривога." in uk.body and "Пролунають сирени." in uk.body
    [en] = receiver.at("/en")
    assert "A drill will take place at" in en.body and "This is not a real alert." in en.body
    [ru] = receiver.at("/ru")
    assert "Это не настоящая тревога." in ru.body
    assert receiver.at("/kyiv") == []


async def test_the_notice_interest_and_push_payload_of_an_announcement(tocsin: Tocsin) -> None:
    await announce(tocsin)
    [event] = await tocsin.store.events_of_type("drill.announced")
    composer = Composer(lambda: tocsin.regions.tree, tocsin.catalogue)
    short = composer.notice(event, "en", Size.SHORT)
    assert short is not None and short.title == "Drill announced" and len(short.body) <= 90
    tree = tocsin.regions.tree
    assert Interest.of(regions=["UA-63-R124"]).matches(event, tree)
    assert not Interest.of(regions=["UA-32"]).matches(event, tree)
    assert not Interest.of(threats=["uav"]).matches(event, tree)
    assert event.type in PUSHED
    assert event.data["texts"]["uk"].startswith("О ")

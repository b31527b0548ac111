"""Pushed streams: frames written from the hub's task, in order, with a bounded backlog.

`Socket` stands in for the ASGI server's `send` the way uvicorn behaves: it writes at once
while the socket takes data, and waits for it to drain when it is full.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tocsin.bootstrap import Tocsin
from tocsin.domain.alerts import RaiseAlert
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.interest import Interest
from tocsin.streams.hub import Hub
from tocsin.streams.push import Pusher


class Socket:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.writable = asyncio.Event()
        self.writable.set()
        self.broken = False

    async def send(self, message: dict[str, Any]) -> None:
        if not self.writable.is_set():
            await self.writable.wait()
        if self.broken:
            raise OSError("connection reset")
        self.written.append(message["body"])

    @property
    def data(self) -> bytes:
        return b"".join(self.written)

    def seqs(self) -> list[int]:
        return [int(s) for s in re.findall(rb"^id: (\d+)$", self.data, re.MULTILINE)]


@pytest.fixture
async def started(tocsin: Tocsin) -> AsyncIterator[Tocsin]:
    await tocsin.start()
    yield tocsin


async def test_frames_are_written_before_push_returns_while_the_socket_takes_them() -> None:
    socket = Socket()
    pusher = Pusher(socket.send, limit=5)
    pusher.push(b"a", 1)
    pusher.push(b"b", 2)
    assert socket.written == [b"a", b"b"]  # no task switch needed
    assert pusher.written == 2 and not pusher.busy


async def test_a_full_socket_queues_frames_in_order_and_drains() -> None:
    socket = Socket()
    pusher = Pusher(socket.send, limit=5)
    socket.writable.clear()
    for n in range(1, 5):
        pusher.push(b"%d" % n, n)
    assert socket.written == [] and pusher.busy and pusher.written == 0
    socket.writable.set()
    async with asyncio.timeout(5):
        await pusher.drained()
    assert socket.written == [b"1", b"2", b"3", b"4"]
    assert pusher.written == 4 and not pusher.finished.done()


async def test_a_client_too_far_behind_is_finished_with_a_reason() -> None:
    socket = Socket()
    pusher = Pusher(socket.send, limit=3, written=7)
    socket.writable.clear()
    for n in range(8, 14):
        pusher.push(b"%d" % n, n)
    assert pusher.finished.done()
    assert "too far behind: more than 3 frames queued" in pusher.finished.result()
    assert pusher.written == 7  # nothing reached the socket: resume after 7
    socket.writable.set()
    await asyncio.sleep(0.01)
    assert socket.written == []  # the abandoned frames are never written
    pusher.push(b"late", 20)
    assert socket.written == []


async def test_a_failed_write_finishes_the_stream() -> None:
    socket = Socket()
    pusher = Pusher(socket.send, limit=3)
    socket.broken = True
    pusher.push(b"x", 1)
    assert pusher.finished.result() == "write failed: OSError"


async def test_attach_replays_then_pushes_live_events_once_each(started: Tocsin) -> None:
    for region in ("UA-63", "UA-59", "UA-46"):
        await started.alerts.raise_alert(RaiseAlert(threat="air", regions=[region]), LOCAL_ADMIN)
    since = await started.store.last_seq() - 2
    await asyncio.sleep(0.1)
    socket = Socket()
    pusher = Pusher(socket.send, limit=100, written=since)
    subscription = await started.hub.attach(Interest(), since, pusher)
    try:
        for region in ("UA-30", "UA-12"):
            await started.alerts.raise_alert(
                RaiseAlert(threat="uav", regions=[region]), LOCAL_ADMIN
            )
        head = await started.store.last_seq()
        async with asyncio.timeout(5):
            while pusher.written < head:
                await asyncio.sleep(0.01)
    finally:
        started.hub.detach(subscription)
    assert socket.seqs() == list(range(since + 1, head + 1))
    assert started.hub.subscribers == 0


async def test_one_batch_is_one_write_joined_once_per_filter(tocsin: Tocsin) -> None:
    hub = Hub(tocsin.feed, tree=lambda: tocsin.regions.tree)
    await tocsin.feed.start()
    before = tocsin.feed.head
    for region in ("UA-63", "UA-59", "UA-46"):
        await tocsin.alerts.raise_alert(RaiseAlert(threat="air", regions=[region]), LOCAL_ADMIN)
    await hub.start()
    hub.position = before  # as if the hub had been busy while the three were committed
    sockets = [Socket() for _ in range(3)]
    for socket in sockets:
        await hub.attach(Interest(), None, Pusher(socket.send, limit=10))
    odd = Socket()
    await hub.attach(Interest(regions=frozenset({"UA-59"})), None, Pusher(odd.send, limit=10))
    try:
        async with asyncio.timeout(5):
            while not all(s.written for s in [*sockets, odd]):
                await asyncio.sleep(0.01)
    finally:
        await hub.stop()
    assert all(len(s.written) == 1 for s in sockets)  # three events, one write each
    assert sockets[0].written[0] is sockets[1].written[0] is sockets[2].written[0]
    assert sockets[0].seqs() == [before + 1, before + 2, before + 3]
    assert odd.seqs() == [before + 2] and b"UA-59" in odd.data and b"UA-63" not in odd.data

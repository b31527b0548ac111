"""The radio programme of one region: silence between alerts; when an alert for the region
changes, its siren, then its announcement.

What sounds for which event (see docs/broadcast.md):

    alert.raised, alert.activated, alert.escalated     the threat's siren, then the announcement
    alert.ended                                        the all-clear tone, then the all-clear
    alert.cancelled, expired, deescalated, updated     the announcement
    broadcast.repeat                                   the announcement ("still in force")

The programme is paced in real time: it stays at most `lead` seconds of audio ahead of the
clock, as a station's stream must. Between alerts it may carry an interval signal, a soft pip
every `radio_interval_seconds`. Each piece is encoded whole (so a siren plays without gaps)
and sent in slices of about a second; silence is one second, encoded once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Final

import numpy as np

from tocsin.channels.media import sound
from tocsin.domain.alerts import EventType
from tocsin.domain.events import Event

SIREN_FIRST: Final = frozenset({EventType.RAISED, EventType.ACTIVATED, EventType.ESCALATED})
SLICE: Final = 1.0  # seconds of audio per write


@dataclass(frozen=True, slots=True)
class Piece:
    """Encoded audio and how long it plays."""

    data: bytes
    seconds: float

    def slices(self) -> list[Piece]:
        count = max(1, round(self.seconds / SLICE))
        size = -(-len(self.data) // count)
        parts = [self.data[i : i + size] for i in range(0, len(self.data), size)]
        return [Piece(part, self.seconds / len(parts)) for part in parts]


@functools.lru_cache(maxsize=4)
def silence(fmt: str) -> Piece:
    return Piece(sound.streamable(sound.encode(sound.silence(SLICE), fmt), fmt), SLICE)


@functools.lru_cache(maxsize=4)
def interval_signal(fmt: str) -> Piece:
    """A second that opens with a soft 880 Hz pip: the station is on air, nothing is wrong."""
    t = np.arange(round(0.25 * sound.RATE)) / sound.RATE
    pip = sound.faded(0.15 * np.sin(2 * np.pi * 880 * t))
    second = np.concatenate([pip, sound.silence(SLICE - len(pip) / sound.RATE)])
    return Piece(sound.streamable(sound.encode(second, fmt), fmt), SLICE)


async def piece(samples: sound.Samples, fmt: str) -> Piece:
    data = await asyncio.to_thread(sound.encode, samples, fmt)
    return Piece(sound.streamable(data, fmt), len(samples) / sound.RATE)


Render = Callable[[Event], Awaitable[list[Piece]]]


async def programme(
    events: AsyncIterator[Event],
    render: Render,
    fmt: str,
    *,
    lead: float = 2.0,
    interval: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[bytes]:
    """The audio, as it should be sent: silence until `events` gives an event that `render`
    turns into pieces, those pieces, then silence again. With an `interval` (seconds), the
    silence carries the interval signal that often."""
    queue: asyncio.Queue[Piece] = asyncio.Queue()

    async def listen() -> None:
        async for event in events:
            for rendered in await render(event):
                queue.put_nowait(rendered)

    listener = asyncio.create_task(listen())
    start, sent, quiet = clock(), 0.0, 0.0
    try:
        while True:
            if listener.done():
                listener.result()  # the event source failed: so does the programme
            if not queue.empty():
                playing, quiet = queue.get_nowait(), 0.0
            elif interval and quiet % interval == 0:
                playing, quiet = interval_signal(fmt), quiet + SLICE
            else:
                playing, quiet = silence(fmt), quiet + SLICE
            for part in playing.slices():
                ahead = start + sent - clock()
                if ahead > lead:
                    await asyncio.sleep(ahead - lead)
                yield part.data
                sent += part.seconds
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener

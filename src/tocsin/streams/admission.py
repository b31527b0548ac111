"""How many live streams (SSE, WebSocket and the radio feeds together) one server process holds
open: in all, and per client address. A stream beyond either limit is refused before it starts,
with a time to try again after; one that ends frees its place.

Each stream is admitted with its kind (`sse`, `websocket`, `radio`), and `Admission` keeps the
count open of each. A `Tally` started on it (a drill's, `tocsin.service.drill_streams`) counts,
from then until it is stopped, the streams of each kind that were open when it started, those
that opened since, and the most open at once: in memory, a few additions per stream, nothing
written per connection.

An IPv6 client is counted by its /64 network, the block one host is usually given, so that one
machine cannot take a fresh address for each stream. The address is the one the server reports
(`scope["client"]`): behind a reverse proxy, uvicorn takes it from `X-Forwarded-For` when the
proxy is trusted (`--forwarded-allow-ips`, 127.0.0.1 by default).
"""

from __future__ import annotations

import functools
import ipaddress
import random
from collections import Counter
from dataclasses import dataclass, field

from tocsin.errors import StreamsFull, TooManyStreams

KINDS = ("sse", "websocket", "radio")
RETRY_AFTER = (5.0, 15.0)
"""Seconds a refused client is told to wait, drawn in this range so that clients refused
together do not all come back at once."""


class Admission:
    """The live streams open now, counted in all and by client; `None`: no limit."""

    def __init__(self, total: int | None = None, per_client: int | None = None) -> None:
        self.total = total
        self.per_client = per_client
        self.open = 0
        self._by_client: Counter[str] = Counter()
        self.by_kind: Counter[str] = Counter()  # open now, by kind
        self.tallies: set[Tally] = set()

    def tally(self) -> Tally:
        """Start counting the streams open now and those opened from now (`stop` it)."""
        tally = Tally(self, {kind: n for kind, n in self.by_kind.items() if n}, self.open)
        self.tallies.add(tally)
        return tally

    def clients(self) -> int:
        return len(self._by_client)

    def count(self, address: str | None) -> int:
        return self._by_client[client_key(address)]

    def admit(self, address: str | None, kind: str = "sse") -> Place:
        """A place for one stream from `address` (release it when the stream ends), or
        `TooManyStreams` (this client is at its limit) or `StreamsFull` (the server is)."""
        key = client_key(address)
        if self.per_client is not None and self._by_client[key] >= self.per_client:
            raise TooManyStreams(
                f"this address has {self.per_client} live streams open, as many as allowed; "
                "close one, or try again later",
                retry_after=_retry_after(),
            )
        if self.total is not None and self.open >= self.total:
            raise StreamsFull(
                f"the server has {self.total} live streams open, as many as allowed; "
                "try again later",
                retry_after=_retry_after(),
            )
        self.open += 1
        self._by_client[key] += 1
        self.by_kind[kind] += 1
        for tally in self.tallies:
            tally.opened(kind, self.by_kind[kind], self.open)
        return Place(self, key, kind)

    def _release(self, key: str, kind: str) -> None:
        self.open -= 1
        self.by_kind[kind] -= 1
        self._by_client[key] -= 1
        if not self._by_client[key]:
            del self._by_client[key]


@dataclass(eq=False)
class Tally:
    """The streams of one process during a span of time, by kind: open at its start
    (`at_start`), opened during it (`joined`), and the most open at once (`peak`, and
    `peak_total` over every kind)."""

    admission: Admission | None
    at_start: dict[str, int]
    peak_total: int
    joined: Counter[str] = field(default_factory=Counter)
    peak: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.peak = dict(self.at_start)

    def opened(self, kind: str, open_of_kind: int, open_in_all: int) -> None:
        self.joined[kind] += 1
        self.peak[kind] = max(self.peak.get(kind, 0), open_of_kind)
        self.peak_total = max(self.peak_total, open_in_all)

    def counts(self) -> dict[str, dict[str, int]]:
        """By kind: at_start, joined, connected (the two together) and peak."""
        kinds = sorted(set(self.at_start) | set(self.joined))
        return {
            kind: {
                "at_start": self.at_start.get(kind, 0),
                "joined": self.joined[kind],
                "connected": self.at_start.get(kind, 0) + self.joined[kind],
                "peak": self.peak.get(kind, 0),
            }
            for kind in kinds
        }

    def stop(self) -> None:
        """Count no more (what it counted stays readable)."""
        if self.admission is not None:
            self.admission.tallies.discard(self)
            self.admission = None


class Place:
    """One admitted stream's place; `with place:` releases it at the end of the block."""

    def __init__(self, admission: Admission, key: str, kind: str = "sse") -> None:
        self._admission: Admission | None = admission
        self._key = key
        self._kind = kind

    def release(self) -> None:
        if self._admission is not None:
            self._admission._release(self._key, self._kind)
            self._admission = None

    def __enter__(self) -> Place:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


@functools.lru_cache(maxsize=65_536)  # a herd of reconnects comes from the same addresses
def client_key(address: str | None) -> str:
    """What a client is counted by: its IPv4 address, its IPv6 /64, or the name as given."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _retry_after() -> float:
    return random.uniform(*RETRY_AFTER)

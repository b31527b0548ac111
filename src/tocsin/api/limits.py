"""Request limits per client that an entry point keeps in memory (per process)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque

from tocsin.errors import TooManyAttempts

WINDOW = 60.0
CLIENTS = 100_000  # clients remembered at once; the one heard from least recently goes first


class Window:
    """Requests per client (an address, or a token) within the last minute."""

    def __init__(self) -> None:
        self.seen: OrderedDict[str, deque[float]] = OrderedDict()

    def admit(self, key: str, limit: int, what: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        times = self.seen.setdefault(key, deque())
        self.seen.move_to_end(key)
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if len(times) >= limit:
            raise TooManyAttempts(
                f"at most {limit} {what} a minute from one client",
                retry_after=max(1.0, times[0] + WINDOW - now),
            )
        times.append(now)
        while len(self.seen) > CLIENTS:
            self.seen.popitem(last=False)

"""Work that must run on one node at a time: delivery channels, the expiry clock, the audit
checkpoint, the relay to other nodes.

Every node that could do a duty asks for its lease every `ttl / 3` seconds; the one that holds
it renews it and does the work, the others wait. When the holder stops cleanly it gives the
lease up and another node takes it at its next turn; when the holder dies, its lease runs out
after `ttl` and another node takes it then — within `ttl + ttl / 3` seconds. A holder that
cannot renew (its database is unreachable) stops the work before its lease can run out, so
two nodes never do the same duty knowingly; what was in flight at that moment may be done
twice, which every receiver already tolerates (deliveries are at least once, by event id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from tocsin.service.audit import stop as stop_task
from tocsin.service.ports import Clock, Leases

log = logging.getLogger("tocsin.duties")

Step = Callable[[], Awaitable[None]]


def node_name(configured: str | None = None) -> str:
    """This process's name as a lease holder: the configured one, or host, pid and a nonce
    (a restarted process is another holder: it waits for its old lease to run out)."""
    return configured or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Exclusive:
    """One duty: started while this node holds the lease `name`, stopped when it does not."""

    def __init__(
        self,
        leases: Leases,
        name: str,
        holder: str,
        clock: Clock,
        *,
        start: Step,
        stop: Step,
        ttl: float = 3.0,
    ) -> None:
        self.leases = leases
        self.name = name
        self.holder = holder
        self.clock = clock
        self.ttl = ttl
        self._start = start
        self._stop = stop
        self.running = False
        self._valid_until = 0.0  # monotonic: when the lease runs out unless renewed
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def task(
        cls,
        leases: Leases,
        name: str,
        holder: str,
        clock: Clock,
        work: Callable[[], Coroutine[Any, Any, None]],
        *,
        ttl: float = 3.0,
    ) -> Exclusive:
        """A duty that is one long-running task, started and cancelled with the lease."""
        running: list[asyncio.Task[None]] = []

        async def start() -> None:
            running.append(asyncio.create_task(work(), name=name))

        async def stop() -> None:
            while running:
                await stop_task(running.pop())

        return cls(leases, name, holder, clock, start=start, stop=stop, ttl=ttl)

    async def begin(self) -> None:
        """Ask for the lease once now (a single node starts its duty before it serves), then
        keep asking in the background."""
        await self._turn()
        self._task = asyncio.create_task(self._keep(), name=f"lease {self.name}")

    async def end(self) -> None:
        """Stop the duty (if running here) and give its lease up for another node to take."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.running:
            await self._halt()
            with contextlib.suppress(Exception):
                await self.leases.release(self.name, self.holder)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            await self._turn()

    async def _turn(self) -> None:
        asked = time.monotonic()
        now = self.clock.now()
        try:
            async with asyncio.timeout(self.ttl / 3):
                got: bool | None = await self.leases.acquire(
                    self.name, self.holder, now + timedelta(seconds=self.ttl), now
                )
        except Exception as exc:  # the database is unreachable: the lease is in doubt
            log.warning("could not renew the %s lease: %s", self.name, exc)
            got = None
        if got:
            self._valid_until = asked + self.ttl
            if not self.running:
                await self._begin_work()
        elif self.running and (
            got is False or time.monotonic() >= self._valid_until - self.ttl / 3
        ):
            log.warning("lost the %s lease; stopping it here", self.name)
            await self._halt()

    def _in_doubt(self) -> bool:
        """Not renewed, and too near its end to wait for the next turn."""
        return time.monotonic() >= self._valid_until - self.ttl / 3

    async def _begin_work(self) -> None:
        try:
            await self._start()
        except Exception:
            log.exception("%s could not start; trying again at the next turn", self.name)
            with contextlib.suppress(Exception):
                await self._stop()
            with contextlib.suppress(Exception):  # let another node try
                await self.leases.release(self.name, self.holder)
            return
        self.running = True
        log.info("%s runs on this node (%s)", self.name, self.holder)

    async def _halt(self) -> None:
        self.running = False
        try:
            await self._stop()
        except Exception:
            log.exception("%s did not stop cleanly", self.name)

"""Passwords: argon2id hashing in a small pool of its own, and what a new password must be.

Checking a password costs about 0.2 s of CPU on purpose. It runs in `workers` threads of its
own, never on the event loop, so alerts, streams and health checks go on while passwords are
checked; on Linux those threads (and the ones argon2 starts from them) run at the lowest CPU
priority (`SCHED_IDLE`), so the loop comes first whenever both want a core. At most `queue`
checks wait for a free worker: one more is refused at once (`Busy`, 503) instead of piling up.
An unknown account is checked against a fixed hash made at the first check, so it takes as long
as a known one.

A new password needs `MIN_LENGTH` characters and must not be easy to guess: zxcvbn (Dropbox's
estimator, the `zxcvbn` package) matches it against its lists of common passwords, words, names
and keyboard patterns, with their usual variations, and estimates how many guesses it takes.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tocsin.errors import Busy, InvalidInput

T = TypeVar("T")
MIN_LENGTH = 12
MIN_GUESSES_LOG10 = 8  # zxcvbn's score 3: "safely unguessable" for an online attacker
STRENGTH_CHARS = 72  # zxcvbn looks at no more


class Passwords:
    def __init__(self, workers: int = 2, queue: int = 8) -> None:
        self.workers = workers
        self.hasher = PasswordHasher()
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._executor: ThreadPoolExecutor | None = None
        self._dummy: str | None = None

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches the `stored` hash (None: an unknown account; False)."""
        return await self._run(self._verify, stored, password)

    async def new_hash(self, password: str, user_inputs: Iterable[str] = ()) -> str:
        """The hash to store for a new password, once it is found good enough."""
        return await self._run(self._new_hash, password, tuple(user_inputs))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        if not self._slots.acquire(blocking=False):
            raise Busy("too many passwords are being checked; try again", retry_after=1)
        try:
            future = self._pool().submit(fn, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return await asyncio.wrap_future(future)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                self.workers, thread_name_prefix="tocsin-passwords", initializer=_yield_cpu
            )
        return self._executor

    def _verify(self, stored: str | None, password: str) -> bool:
        dummy = self._dummy_hash()
        try:
            return self.hasher.verify(stored or dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(32))
        return self._dummy

    def _new_hash(self, password: str, user_inputs: tuple[str, ...]) -> str:
        check_strength(password, user_inputs)
        return self.hasher.hash(password)


def check_strength(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Refuse a short or easily guessed password (`InvalidInput` naming `password`)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters", field="password")
    from zxcvbn import zxcvbn  # its lists take a moment to load: only when needed

    found = zxcvbn(password[:STRENGTH_CHARS], user_inputs=list(user_inputs))
    if found["guesses_log10"] < MIN_GUESSES_LOG10:
        why = found["feedback"]["warning"] or "it is made of common words or patterns"
        raise InvalidInput(
            f"this password is too easy to guess ({why.rstrip('.')}); "
            "choose a longer one with uncommon words",
            field="password",
        )


def _yield_cpu() -> None:
    """Give this worker thread the lowest CPU priority there is (on Linux, per thread; the
    threads argon2 starts inherit it): SCHED_IDLE, whose threads give way at once to any other
    that wakes, such as the event loop's or a database connection's."""
    if sys.platform == "linux":
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))

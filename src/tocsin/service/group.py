"""Group commit: commands that arrive while a transaction commits are written together next.

When fifty authorities raise alerts in the same second, committing them one after another
makes the last wait for forty-nine transactions, each a series of round trips to the database.
`GroupCommit` lets the first command go at once and gathers the ones that arrive meanwhile
into the next transaction, so a burst costs a few transactions instead of one each.

The writer gets the batch and answers one result per command, in order: a value, or the
exception that refuses that command alone (a rejected command writes nothing). When the whole
transaction fails, each command of the batch is tried again on its own, so one command's
failure is never another's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")
Writer = Callable[[Sequence[Job]], Awaitable[Sequence[Result | Exception]]]


class GroupCommit(Generic[Job, Result]):
    def __init__(self, write: Writer[Job, Result], *, limit: int = 500) -> None:
        self._write = write
        self._limit = limit
        self._waiting: list[tuple[Job, asyncio.Future[Result]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, job: Job) -> Result:
        """Write `job` in the next transaction; its result, or the exception refusing it."""
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((job, done))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        # a caller that goes away does not take the write with it: it is committed regardless
        return await asyncio.shield(done)

    async def _run(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._limit]
            del self._waiting[: self._limit]
            jobs = [job for job, _ in batch]
            try:
                results = await self._write(jobs)
            except Exception as exc:
                results = [exc] if len(jobs) == 1 else await self._one_by_one(jobs)
            except BaseException as exc:  # cancelled: nothing of this batch is known to be written
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                raise
            for (_, done), result in zip(batch, results, strict=True):
                if done.done():
                    continue
                if isinstance(result, Exception):
                    done.set_exception(result)
                else:
                    done.set_result(result)

    async def _one_by_one(self, jobs: Sequence[Job]) -> list[Result | Exception]:
        results: list[Result | Exception] = []
        for job in jobs:
            try:
                [result] = await self._write([job])
            except Exception as exc:
                result = exc
            results.append(result)
        return results

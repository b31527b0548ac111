"""Replaying history through the live alert path, at accelerated time.

Each historical alert becomes a raise command at its start and an end command at its end,
sent in order, with the pauses between them shortened by the speed factor, so the map, the
streams, the sirens and the webhooks behave as they did then. Replayed alerts are raised as
`exercise` (or `test`), never `actual`, so they never count as real. A replay is bounded (by
a number of alerts and a wall-clock limit) and, however it stops, ends every alert it raised.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tocsin.domain.alerts import RaiseAlert, Status
from tocsin.errors import InvalidInput, TocsinError
from tocsin.records.history.importer import HistoryAlert


class Commands(Protocol):
    """What a replay sends: the CLI's local and remote alert clients both fit."""

    async def raise_alert(self, cmd: RaiseAlert, key: str | None) -> dict[str, Any]: ...
    async def act(
        self, alert_id: str, action: str, message: str | None = None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    action: str  # "end" sorts before "raise": back-to-back alerts never overlap
    index: int


@dataclass
class ReplayReport:
    alerts: int
    raised: int = 0
    ended: int = 0
    failed: list[str] = field(default_factory=list)
    stopped_early: str | None = None
    wall_seconds: float = 0.0
    history_seconds: float = 0.0


def parse_speed(text: str) -> float:
    """`10000x`, `10000` or `1x`: how many times faster than real time."""
    try:
        speed = float(text.strip().lower().removesuffix("x"))
    except ValueError:
        raise InvalidInput(f"speed must look like 10000x, not {text!r}", field="speed") from None
    if not speed > 0:
        raise InvalidInput("speed must be above 0", field="speed")
    return speed


def select(
    alerts: Sequence[HistoryAlert],
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[HistoryAlert]:
    """The alerts starting in [since, until), earliest first, at most `limit`."""
    chosen = sorted(
        (
            a
            for a in alerts
            if (since is None or a.start >= since) and (until is None or a.start < until)
        ),
        key=lambda a: (a.start, a.line),
    )
    return chosen if limit is None else chosen[:limit]


def timeline(alerts: Sequence[HistoryAlert]) -> list[Step]:
    steps = [Step(a.start, "raise", i) for i, a in enumerate(alerts)]
    steps += [Step(a.end, "end", i) for i, a in enumerate(alerts)]
    return sorted(steps, key=lambda s: (s.at, s.action != "end", s.index))


class Replayer:
    def __init__(
        self,
        commands: Commands,
        *,
        speed: float,
        status: Status = Status.EXERCISE,
        max_seconds: float = 1800.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        on_step: Callable[[ReplayReport, Step], None] | None = None,
    ) -> None:
        if status is Status.ACTUAL:
            raise InvalidInput("a replay is never actual: use exercise or test", field="status")
        self.commands = commands
        self.speed = speed
        self.status = status
        self.max_seconds = max_seconds
        self.sleep = sleep
        self.monotonic = monotonic
        self.on_step = on_step

    async def run(self, alerts: Sequence[HistoryAlert], source: str) -> ReplayReport:
        report = ReplayReport(len(alerts))
        steps = timeline(alerts)
        if not steps:
            return report
        begin, origin = self.monotonic(), steps[0].at
        report.history_seconds = (steps[-1].at - origin).total_seconds()
        open_ids: dict[int, str] = {}
        try:
            for step in steps:
                due = (step.at - origin).total_seconds() / self.speed
                if due > self.max_seconds:
                    report.stopped_early = f"wall-clock limit of {self.max_seconds:g} s reached"
                    break
                wait = due - (self.monotonic() - begin)
                if wait > 0:
                    await self.sleep(wait)
                await self._do(step, alerts[step.index], source, open_ids, report)
                if self.on_step is not None:
                    self.on_step(report, step)
        finally:
            await self._end_all(open_ids, report)
            report.wall_seconds = self.monotonic() - begin
        return report

    async def _do(
        self,
        step: Step,
        alert: HistoryAlert,
        source: str,
        open_ids: dict[int, str],
        report: ReplayReport,
    ) -> None:
        try:
            if step.action == "raise":
                cmd = RaiseAlert(
                    threat=alert.threat,
                    regions=[alert.region],
                    status=self.status,
                    headline=f"Replay: {source} line {alert.line}, {alert.start:%Y-%m-%d %H:%M}",
                    source=f"replay:{source}",
                )
                raised = await self.commands.raise_alert(cmd, None)
                open_ids[step.index] = str(raised["id"])
                report.raised += 1
            elif step.index in open_ids:
                await self.commands.act(open_ids.pop(step.index), "end")
                report.ended += 1
        except TocsinError as exc:
            report.failed.append(f"line {alert.line}: {step.action}: {exc.message}")

    async def _end_all(self, open_ids: dict[int, str], report: ReplayReport) -> None:
        for index, alert_id in list(open_ids.items()):
            try:
                await self.commands.act(alert_id, "end")
                report.ended += 1
            except TocsinError as exc:
                report.failed.append(f"end {alert_id}: {exc.message}")
            del open_ids[index]

"""`tocsin replay`: feed alert history through the live alert path at accelerated time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tocsin.cli.client import AlertClient, LocalClient, RemoteClient, open_client
from tocsin.cli.common import (
    console,
    current_settings,
    errors,
    handle_errors,
    run,
)
from tocsin.cli.stats import parse_moment
from tocsin.domain.alerts import Status
from tocsin.domain.regions import Region, RegionTree
from tocsin.domain.threats import builtin
from tocsin.errors import Unavailable
from tocsin.records.history.formats import FORMATS
from tocsin.records.history.importer import HistoryAlert, mapped_rows
from tocsin.records.history.replay import Replayer, ReplayReport, Step, parse_speed, select


def register(app: typer.Typer) -> None:
    app.command()(replay)


@handle_errors
def replay(
    file: Annotated[Path, typer.Argument(help="a history file", exists=True, dir_okay=False)],
    fmt: Annotated[str, typer.Option("--format", help=f"one of: {', '.join(FORMATS)}")],
    speed: Annotated[str, typer.Option(help="how many times faster than real time")] = "10000x",
    since: Annotated[
        str | None, typer.Option("--from", help="replay alerts starting from (date or ISO time)")
    ] = None,
    until: Annotated[str | None, typer.Option("--to", help="… and before this")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many alerts")] = 500,
    max_minutes: Annotated[
        float, typer.Option(min=0.01, help="stop (ending every alert) after this long")
    ] = 30.0,
    status: Annotated[Status, typer.Option(help="exercise or test (never actual)")] = (
        Status.EXERCISE
    ),
    server: Annotated[
        str | None, typer.Option(envvar="TOCSIN_SERVER", help="a running server's URL")
    ] = None,
    token: Annotated[str | None, typer.Option(envvar="TOCSIN_TOKEN", help="its API token")] = None,
) -> None:
    """Replay history as raise and end commands, marked exercise (or test), so maps, streams,
    sirens and webhooks behave as on those days; the demo of a fresh install, and a load test."""
    settings = current_settings()
    pace = parse_speed(speed)
    window = (parse_moment(since, "from"), parse_moment(until, "to"))

    async def go() -> tuple[ReplayReport, int]:
        async with open_client(settings, server, token, "en") as client:
            tree = await _tree(client)
            rows = list(mapped_rows(file, fmt, tree, builtin()))
            good = [r for r in rows if isinstance(r, HistoryAlert)]
            bad = len(rows) - len(good)
            chosen = select(good, *window, limit=limit)
            with _progress() as progress:
                task = progress.add_task(f"replaying at {pace:g}×", total=len(chosen) * 2)

                def step(report: ReplayReport, done: Step) -> None:
                    progress.update(
                        task,
                        completed=report.raised + report.ended,
                        description=f"replaying at {pace:g}×  {done.at:%Y-%m-%d %H:%M} UTC",
                    )

                replayer = Replayer(
                    client,
                    speed=pace,
                    status=status,
                    max_seconds=max_minutes * 60,
                    on_step=step,
                )
                report = await replayer.run(chosen, file.name)
        return report, bad

    report, bad = run(go())
    console.print(
        f"replayed {report.raised} of {report.alerts} alerts as {status.value} "
        f"({report.ended} ended; {report.history_seconds / 3600:.1f} h of history in "
        f"{report.wall_seconds:.1f} s)"
    )
    if bad:
        errors.print(
            f"{bad} rows of {file.name} could not be used (tocsin history import "
            f"--dry-run lists them)"
        )
    if report.stopped_early:
        errors.print(f"stopped early: {report.stopped_early}")
    for failure in report.failed[:20]:
        errors.print(f"[red]failed[/]: {failure}")


async def _tree(client: AlertClient) -> RegionTree:
    if isinstance(client, LocalClient):
        return client.tocsin.regions.tree
    if isinstance(client, RemoteClient):
        response = await client.http.get("/v1/regions")
        if not response.is_success:
            raise Unavailable(f"cannot read the server's regions: HTTP {response.status_code}")
        return RegionTree(_region(r) for r in response.json()["regions"])
    raise TypeError(f"unknown client {client!r}")


def _region(view: dict[str, Any]) -> Region:
    return Region(
        code=view["code"],
        level=view["level"],
        names=view.get("names") or {},
        parent=view.get("parent"),
        external_id=view.get("external_id"),
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps"),
        TimeElapsedColumn(),
        console=errors,
    )

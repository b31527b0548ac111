"""`tocsin drill`: schedule, list, show, change and cancel drills, and read their reports.

Each change is a command on the bus, as the local administrator; the server's scheduler (one
node per cluster) announces, raises and ends them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
import typer
from rich.table import Column, Table

from tocsin.cli.common import console, current_settings, handle_errors, with_tocsin
from tocsin.domain.auth import LOCAL_ADMIN
from tocsin.domain.drills import DrillRecord
from tocsin.errors import InvalidInput
from tocsin.service.drills import drill_view
from tocsin.types import iso_time, utc_instant

app = typer.Typer(help="Drills: exercises scheduled ahead, announced, ended by themselves.")

Regions = Annotated[list[str], typer.Option("--region", help="region code (repeat)")]
When = Annotated[str, typer.Option(help="when it starts, e.g. 2026-12-06T10:00:00+02:00")]


def _instant(text: str) -> datetime:
    try:
        return utc_instant(datetime.fromisoformat(text), "--at")
    except ValueError as exc:
        raise InvalidInput(str(exc), field="scheduled_for") from None


@app.command()
@handle_errors
def schedule(
    title: Annotated[str, typer.Argument(help="what people are told the drill is")],
    at: When,
    region: Regions,
    threat: Annotated[str, typer.Option(help="threat type id")] = "missile",
    announce_before: Annotated[int, typer.Option(help="seconds ahead to announce it")] = 3600,
    duration: Annotated[int, typer.Option(help="seconds until it ends")] = 600,
    sirens: Annotated[bool, typer.Option(help="whether the announcement says sirens sound")] = True,
) -> None:
    """Schedule a drill; prints its id."""
    fields: dict[str, Any] = {
        "title": title,
        "threat": threat,
        "regions": tuple(region),
        "scheduled_for": _instant(at),
        "announce_before": announce_before,
        "duration": duration,
        "sirens": sirens,
    }
    drill = with_tocsin(current_settings(), lambda t: t.drills.schedule(LOCAL_ADMIN, **fields))
    console.print(f"drill {drill.id} scheduled for {iso_time(drill.scheduled_for)}")
    print(drill.id)


@app.command("list")
@handle_errors
def list_() -> None:
    """List drills, soonest first."""
    drills = with_tocsin(current_settings(), lambda t: t.drills.all())
    console.print(_table(drills) if drills else "no drills")


@app.command()
@handle_errors
def show(drill_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Show one drill as JSON."""
    drill = with_tocsin(current_settings(), lambda t: t.drills.get(drill_id))
    print(orjson.dumps(drill_view(drill), option=orjson.OPT_INDENT_2).decode())


@app.command()
@handle_errors
def change(
    drill_id: Annotated[str, typer.Argument(metavar="ID")],
    title: Annotated[str | None, typer.Option()] = None,
    at: Annotated[str | None, typer.Option(help="a new start time")] = None,
    duration: Annotated[int | None, typer.Option()] = None,
    announce_before: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Change a drill that has not started."""
    fields: dict[str, Any] = {
        "title": title,
        "scheduled_for": None if at is None else _instant(at),
        "duration": duration,
        "announce_before": announce_before,
    }
    given = {k: v for k, v in fields.items() if v is not None}
    drill = with_tocsin(
        current_settings(), lambda t: t.drills.change(drill_id, LOCAL_ADMIN, **given)
    )
    console.print(f"drill {drill.id} changed")


@app.command()
@handle_errors
def cancel(drill_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Cancel a drill that has not started."""
    drill = with_tocsin(current_settings(), lambda t: t.drills.cancel(drill_id, LOCAL_ADMIN))
    console.print(f"drill {drill.id} cancelled")


@app.command()
@handle_errors
def report(drill_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """The after-action report as JSON."""
    found = with_tocsin(current_settings(), lambda t: t.drills.report(drill_id))
    print(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())


def _table(drills: list[DrillRecord]) -> Table:
    table = Table("title", "regions", "scheduled for", "state")
    table.columns.insert(0, Column("id", no_wrap=True, min_width=32))
    for d in drills:
        table.add_row(d.id, d.title, ", ".join(d.regions), iso_time(d.scheduled_for), d.state)
    return table

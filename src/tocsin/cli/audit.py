"""`tocsin audit`: read and verify the hash-chained audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import (
    console,
    current_settings,
    errors,
    handle_errors,
    with_tocsin,
)

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command()
@handle_errors
def verify() -> None:
    """Check that no audit entry was changed, removed or reordered."""
    settings = current_settings()
    verdict = with_tocsin(settings, lambda t: t.audit.verify())
    if verdict.ok:
        marks = f", {verdict.checkpoints} checkpoints" if verdict.checkpoints else ""
        console.print(f"audit trail intact: {verdict.checked} entries{marks}")
        return
    if verdict.broken_at is None:
        errors.print(f"[bold red]audit trail not verified[/]: {verdict.reason}", highlight=False)
        raise typer.Exit(1)
    errors.print(
        f"[bold red]audit trail broken[/] at entry {verdict.broken_at}: {verdict.reason} "
        f"({verdict.checked} entries before it are intact)",
        highlight=False,
    )
    raise typer.Exit(1)


@app.command()
@handle_errors
def checkpoint() -> None:
    """Anchor the trail's head in the event log now (the server does so every minute)."""
    settings = current_settings()
    mark = with_tocsin(settings, lambda t: t.audit.checkpoint())
    if mark is None:
        console.print("nothing to anchor: no key, or nothing new since the last checkpoint")
        return
    console.print(f"checkpoint: {mark.count} entries, head {mark.head[:16]}…")


@app.command("adopt-key")
@handle_errors
def adopt_key() -> None:
    """Once, after configuring the audit key: chain a trail written before it under the key
    (only if its plain chain checks out)."""
    settings = current_settings()
    count = with_tocsin(settings, lambda t: t.store.adopt_audit_key())
    console.print(f"chained again under the key: {count} entries")


@app.command("list")
@handle_errors
def list_(
    last: Annotated[int, typer.Option(help="how many of the newest entries", min=1)] = 50,
) -> None:
    """Show the newest audit entries: who did what, when, from where."""
    settings = current_settings()
    entries = with_tocsin(settings, lambda t: t.store.audit_entries())[-last:]
    table = Table("seq", "time", "actor", "role", "origin", "action", "target", box=None)
    for e in entries:
        table.add_row(
            str(e.seq),
            e.time.isoformat(timespec="seconds"),
            e.actor,
            e.role,
            e.origin or "",
            e.action,
            e.target or "",
        )
    console.print(table if entries else "no entries")

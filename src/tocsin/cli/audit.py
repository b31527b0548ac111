"""`tocsin audit`: read and verify the hash-chained audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    errors,
    handle_errors,
    settings_from,
    with_tocsin,
)
from tocsin.domain.audit import verify as verify_chain

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command()
@handle_errors
def verify(database_url: DatabaseOption = None, config: ConfigOption = None) -> None:
    """Check that no audit entry was changed, removed or reordered."""
    settings = settings_from(database_url, config)
    verdict = verify_chain(with_tocsin(settings, lambda t: t.store.audit_entries()))
    if verdict.ok:
        console.print(f"audit trail intact: {verdict.checked} entries")
        return
    errors.print(
        f"[bold red]audit trail broken[/] at entry {verdict.broken_at}: {verdict.reason} "
        f"({verdict.checked} entries before it are intact)",
        highlight=False,
    )
    raise typer.Exit(1)


@app.command("list")
@handle_errors
def list_(
    last: Annotated[int, typer.Option(help="how many of the newest entries", min=1)] = 50,
    database_url: DatabaseOption = None,
    config: ConfigOption = None,
) -> None:
    """Show the newest audit entries: who did what, when, from where."""
    settings = settings_from(database_url, config)
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

"""`tocsin token`: API tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    with_tocsin,
)

app = typer.Typer(help="API tokens.", no_args_is_help=True)


@app.command()
@handle_errors
def create(
    role: Annotated[str, typer.Option(help="admin, operator, automation, approver or viewer")],
    region: Annotated[
        list[str] | None,
        typer.Option(help="region the token may alert (repeat; operator, automation and approver)"),
    ] = None,
    name: Annotated[str, typer.Option(help="who or what holds it")] = "",
) -> None:
    """Create a token. The token is printed once, alone on the last line."""
    settings = current_settings()
    new = with_tocsin(settings, lambda t: t.tokens.create(role, region or [], name))
    scope = ", ".join(new.record.regions) if new.record.regions else "all regions"
    console.print(
        f"token {new.record.id} ({new.record.role}, {scope}); keep it secret, "
        "it is not shown again:",
        highlight=False,
    )
    print(new.secret)


@app.command("list")
@handle_errors
def list_() -> None:
    """List tokens (never their secrets)."""
    settings = current_settings()
    records = with_tocsin(settings, lambda t: t.tokens.list())
    table = Table("id", "name", "role", "regions", "created", "revoked", box=None)
    for r in records:
        table.add_row(
            r.id,
            r.name,
            r.role,
            ", ".join(r.regions) if r.regions else "all",
            r.created_at.isoformat(timespec="seconds"),
            r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "",
        )
    console.print(table if records else "no tokens")


@app.command()
@handle_errors
def revoke(
    token_id: Annotated[str, typer.Argument(help="token id, e.g. tk_1a2b3c4d")],
) -> None:
    """Revoke a token; requests with it are refused from now on."""
    settings = current_settings()
    with_tocsin(settings, lambda t: t.tokens.revoke(token_id))
    console.print(f"token {token_id} revoked")

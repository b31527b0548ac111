"""`tocsin user`: console accounts (passwords hashed with argon2)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    with_tocsin,
)

app = typer.Typer(help="Console accounts.", no_args_is_help=True)
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return value


@app.command()
@handle_errors
def create(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help="admin, operator, approver, automation or viewer")],
    region: Annotated[list[str] | None, typer.Option(help="region it may act for (repeat)")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a console account."""
    settings = current_settings()
    password = _password(password_stdin)
    account = with_tocsin(
        settings, lambda t: t.accounts.create(username, password, role, region or [])
    )
    scope = ", ".join(account.regions) if account.regions else "all regions"
    console.print(f"account {account.username} created ({account.role}, {scope})")


@app.command()
@handle_errors
def passwd(
    username: Annotated[str, typer.Argument(help="login name")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set an account's password, and end its sessions."""
    settings = current_settings()
    password = _password(password_stdin)
    with_tocsin(settings, lambda t: t.accounts.set_password(username, password))
    console.print(f"password of {username} set; sessions ended")


@app.command()
@handle_errors
def role(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help="admin, operator, approver, automation or viewer")],
    region: Annotated[list[str] | None, typer.Option(help="region it may act for (repeat)")] = None,
) -> None:
    """Set an account's role and regions, and end its sessions."""
    settings = current_settings()
    account = with_tocsin(settings, lambda t: t.accounts.set_role(username, role, region or []))
    scope = ", ".join(account.regions) if account.regions else "all regions"
    console.print(f"account {account.username} is now {account.role} ({scope}); sessions ended")


@app.command()
@handle_errors
def disable(
    username: Annotated[str, typer.Argument(help="login name")],
) -> None:
    """Disable an account and end its sessions."""
    settings = current_settings()
    with_tocsin(settings, lambda t: t.accounts.disable(username))
    console.print(f"account {username} disabled")


@app.command("list")
@handle_errors
def list_() -> None:
    """List console accounts."""
    settings = current_settings()
    accounts = with_tocsin(settings, lambda t: t.accounts.list())
    table = Table("username", "role", "regions", "created", "disabled", box=None)
    for a in accounts:
        table.add_row(
            a.username,
            a.role,
            ", ".join(a.regions) if a.regions else "all",
            a.created_at.isoformat(timespec="seconds"),
            a.disabled_at.isoformat(timespec="seconds") if a.disabled_at else "",
        )
    console.print(table if accounts else "no accounts")

"""`tocsin db`: the schema."""

from __future__ import annotations

import typer

from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    run,
)
from tocsin.storage import migrate
from tocsin.storage.engine import create_engine

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
@handle_errors
def upgrade() -> None:
    """Apply every pending migration."""
    settings = current_settings()

    async def go() -> str | None:
        engine = create_engine(settings.database)
        try:
            await migrate.upgrade(engine)
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    revision = run(go())
    console.print(f"{settings.database_display} is at revision {revision}")


@app.command()
@handle_errors
def status() -> None:
    """Show the schema revision of the database and the newest one known."""
    settings = current_settings()

    async def go() -> str | None:
        engine = create_engine(settings.database)
        try:
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    current, head = run(go()), migrate.head_revision()
    state = "up to date" if current == head else "needs `tocsin db upgrade`"
    console.print(
        f"{settings.database_display}: revision {current or 'none'}, newest {head}: {state}"
    )

"""`tocsin db`: the schema."""

from __future__ import annotations

import typer

from tocsin.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    handle_errors,
    run,
    settings_from,
)
from tocsin.storage import migrate
from tocsin.storage.engine import create_engine

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
@handle_errors
def upgrade(database_url: DatabaseOption = None, config: ConfigOption = None) -> None:
    """Apply every pending migration."""
    settings = settings_from(database_url, config)

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
def status(database_url: DatabaseOption = None, config: ConfigOption = None) -> None:
    """Show the schema revision of the database and the newest one known."""
    settings = settings_from(database_url, config)

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

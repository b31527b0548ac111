"""What every `tocsin` command shares: consoles, the root options, error handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tocsin.bootstrap import Tocsin, build
from tocsin.config import DEFAULT_DATABASE_URL, Settings, load_settings, sqlite_file
from tocsin.errors import NotFound, TocsinError

P = ParamSpec("P")
R = TypeVar("R")

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="TOCSIN_DATABASE_URL",
        help="sqlite:///FILE or postgresql+asyncpg://USER@HOST/DB "
        f"(default: {DEFAULT_DATABASE_URL}, tocsin.db in the working directory)",
        show_default=False,
        metavar="URL",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", envvar="TOCSIN_CONFIG", metavar="FILE", help="TOML settings file"),
]


@dataclass(frozen=True, slots=True)
class RootOptions:
    """The options given before the command (`tocsin --database-url X alert list`)."""

    database_url: str | None = None
    config: Path | None = None

    def settings(self, **overrides: Any) -> Settings:
        """Settings for this command: flags > environment > config file > defaults."""
        return load_settings(self.config, database_url=self.database_url, **overrides)


_root: ContextVar[RootOptions | None] = ContextVar("root_options", default=None)


def root(
    ctx: typer.Context, database_url: DatabaseOption = None, config: ConfigOption = None
) -> None:
    """tocsin: public warning system for air threats."""
    token = _root.set(RootOptions(database_url, config))
    ctx.call_on_close(lambda: _root.reset(token))  # for this invocation only


def current_settings(**overrides: Any) -> Settings:
    """The settings of the running command, from the options given to `tocsin` itself."""
    return (_root.get() or RootOptions()).settings(**overrides)


def run(coro: Coroutine[Any, Any, R]) -> R:
    return asyncio.run(coro)


def using(where: str) -> None:
    """Say on stderr which database or server a command uses (stdout stays the answer)."""
    errors.print(f"Using {where}", highlight=False, markup=False)


def require_database(settings: Settings) -> None:
    """Say which database the command uses, and refuse a SQLite file that does not exist:
    opening it would create an empty database, quietly, wherever the command happened to run."""
    file = sqlite_file(settings.database)
    using(settings.database_display + (f" ({Path(file).resolve()})" if file else ""))
    if file is not None and not Path(file).exists():
        raise NotFound(
            f"no database at {Path(file).resolve()}: create it with `tocsin db upgrade` or "
            "`tocsin serve`, or pick one with --database-url",
            field="database_url",
        )


@asynccontextmanager
async def open_tocsin(settings: Settings) -> AsyncIterator[Tocsin]:
    """The wired services over an existing database, closed again on the way out."""
    require_database(settings)
    tocsin = await build(settings)
    try:
        yield tocsin
    finally:
        await tocsin.close()


def with_tocsin(settings: Settings, fn: Callable[[Tocsin], Awaitable[R]]) -> R:
    """Open the database, run `fn` with the wired services, close it again."""

    async def go() -> R:
        async with open_tocsin(settings) as tocsin:
            return await fn(tocsin)

    return asyncio.run(go())


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn tocsin errors into a one-line message on stderr and exit status 1 (2: bad input)."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TocsinError as exc:
            where = f" [{exc.field}]" if exc.field else ""
            text = escape(f"{where}: {exc.message}")  # `[url]` is a field, not rich markup
            errors.print(f"[bold red]error[/]{text}", highlight=False)
            raise typer.Exit(2 if exc.status in (400, 422) else 1) from None

    return wrapper

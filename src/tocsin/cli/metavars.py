"""Readable placeholders in `--help`: `--region REGION`, not `--region <list[str]>`.

Typer labels a value by its Python type; a reader wants to know what to type. Every option
without a metavar of its own is named after itself, a choice lists its values, and a flag
shows none. The root group applies this to the whole command tree once, when it is built.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption


def readable(command: Any) -> None:
    """Give every option of `command` and its subcommands a readable metavar; an argument's
    name (`ALERT_ID`, `FILE`) already says what to type, so its type column stays empty."""
    help_option = command.get_help_option(typer.Context(command))
    for param in [*command.params, *([help_option] if help_option else [])]:
        if isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = _metavar(param)
        elif isinstance(param, TyperArgument):
            param.metavar = param.metavar or (param.name or "value").upper()
            setattr(param, "display_type_rich", _no_type)  # noqa: B010
    for sub in getattr(command, "commands", {}).values():
        readable(sub)


def _no_type(ctx: typer.Context) -> None:
    return None


def _metavar(option: TyperOption) -> str:
    if option.is_flag:
        return ""
    described = option.type_descriptor
    if described.is_choice and described.choices:
        return "|".join(str(getattr(c, "value", c)) for c in described.choices)
    long = [o for o in option.opts if o.startswith("--")] or option.opts
    return long[0].lstrip("-").replace("-", "_").upper()


class ReadableGroup(TyperGroup):
    """The root group: its options and every subcommand's get readable metavars."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        readable(self)

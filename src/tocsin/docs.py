"""Reference pages generated from the code: every setting, every CLI command.

`python -m tocsin.docs` rewrites docs/configuration.md and docs/cli-reference.md; a test fails
when they are out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer.main

from tocsin.config import Settings

CONFIG_INTRO = """# Configuration

Every option is read, in this order of precedence, from

1. a command-line flag where there is one (`tocsin serve --port 8080`),
2. the environment variable `TOCSIN_<NAME>` (`TOCSIN_PORT=8080`; lists and tables as JSON:
   `TOCSIN_PACKS='["ua"]'`),
3. the TOML file named by `TOCSIN_CONFIG` (or `tocsin --config FILE …`), at top level or
   under `[tocsin]`,
4. the default below.

Secrets (the database password) are masked wherever settings are shown.

"""

CONFIG_EXAMPLE = """
## Example file

```toml
[tocsin]
database_url = "postgresql+asyncpg://tocsin:secret@db.internal/tocsin"
host = "0.0.0.0"
port = 8000
packs = ["ua"]

# add a threat type, and change the UAV signal's rank
[tocsin.threats.ballistic]
rank = 85
names = { en = "Ballistic missile threat", uk = "Загроза балістики" }
instructions = { en = "Go to the shelter immediately." }
cap = { category = "Security", event_code = "TOCSIN-BALLISTIC", urgency = "Immediate",
        severity = "Extreme", certainty = "Likely", response_type = "Shelter" }

[tocsin.threats.uav]
rank = 45
```
"""


def configuration() -> str:
    rows = ["| option | environment | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = _default(default)
        rows.append(f"| `{name}` | `TOCSIN_{name.upper()}` | {shown} | {field.description or ''} |")
    return CONFIG_INTRO + "\n".join(rows) + "\n" + CONFIG_EXAMPLE


ROOT_OPTIONS = (
    "Options of every command, given before it: "
    "`tocsin --database-url sqlite:///alerts.db alert list`."
)


def cli_reference() -> str:
    from tocsin.cli import app

    root = typer.main.get_command(app)
    lines = ["# CLI reference", "", "Generated from the code by `python -m tocsin.docs`.", ""]
    lines += ["## `tocsin`", "", ROOT_OPTIONS, ""]
    _options(root, lines)
    lines.append("")
    _describe(root, ["tocsin"], lines)
    return "\n".join(lines).rstrip() + "\n"


def _describe(command: Any, path: list[str], lines: list[str]) -> None:
    """Walk a click-style command tree (typer ships its own click, so by shape, not type)."""
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name in sorted(subcommands):
            _describe(subcommands[name], [*path, name], lines)
        return
    lines += [f"## `{' '.join(path)}`", "", (command.help or "").strip(), ""]
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    if arguments:
        for argument in arguments:
            text = (getattr(argument, "help", None) or "").strip()
            lines.append(f"- `{argument.name.upper()}` (argument): {text}".rstrip(": "))
    _options(command, lines)
    lines.append("")


def _options(command: Any, lines: list[str]) -> None:
    options = [p for p in command.params if p.param_type_name == "option" and p.name != "help"]
    for option in options:
        flags = ", ".join(f"`{o}`" for o in [*option.opts, *option.secondary_opts])
        envvar = f" (env `{option.envvar}`)" if option.envvar else ""
        text = (getattr(option, "help", None) or "").strip()
        lines.append(f"- {flags}{envvar}: {text}".rstrip(": "))


def _default(value: Any) -> str:
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    if value in ("", (), {}, None):
        return "(none)"
    if isinstance(value, tuple):
        return "`" + ", ".join(str(v) for v in value) + "`"
    return f"`{value}`"


def write(root: Path) -> list[Path]:
    pages = {
        root / "docs" / "configuration.md": configuration(),
        root / "docs" / "cli-reference.md": cli_reference(),
    }
    for path, text in pages.items():
        path.write_text(text, encoding="utf-8")
    return list(pages)


if __name__ == "__main__":
    for written in write(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(written)

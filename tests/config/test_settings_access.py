"""Settings are read as typed attributes (which mypy checks), never by name with a fallback."""

from __future__ import annotations

import ast
from pathlib import Path

import tocsin

SOURCE = Path(tocsin.__file__).parent


def _by_name(call: ast.Call) -> bool:
    """`getattr(x, …)` / `hasattr(x, …)` where x is `settings` or `….settings`."""
    if not (isinstance(call.func, ast.Name) and call.func.id in ("getattr", "hasattr")):
        return False
    target = call.args[0] if call.args else None
    name = (
        target.id
        if isinstance(target, ast.Name)
        else target.attr
        if isinstance(target, ast.Attribute)
        else ""
    )
    return name.endswith("settings")


def test_no_setting_is_read_by_name() -> None:
    found = [
        f"{path.relative_to(SOURCE)}:{node.lineno}"
        for path in sorted(SOURCE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and _by_name(node)
    ]
    assert found == []


def test_the_scan_finds_what_it_looks_for() -> None:
    calls = [
        'getattr(settings, "port", 8000)',
        'getattr(tocsin.settings, "mqtt_url", None)',
        'hasattr(self.settings, "cap_sender")',
    ]
    for text in calls:
        call = ast.parse(text, mode="eval").body
        assert isinstance(call, ast.Call) and _by_name(call), text
    other = ast.parse('getattr(module, "name")', mode="eval").body
    assert isinstance(other, ast.Call) and not _by_name(other)

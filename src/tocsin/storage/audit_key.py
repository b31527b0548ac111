"""The audit trail's key: from the settings, from a secret file, or made once beside SQLite."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from tocsin.config import Settings
from tocsin.errors import InvalidInput

KEY_BYTES = 32


def audit_key(settings: Settings, *, create: bool = True) -> bytes | None:
    """The key, or None when none is configured (the chain is then plain SHA-256, and verifying
    says it cannot be checked). A SQLite database's default key file is made if missing."""
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    path = settings.audit_key_path()
    if path is None:
        return None
    if not path.exists():
        if settings.audit_key_file or not create:
            if settings.audit_key_file:
                raise InvalidInput(f"audit key file {path} does not exist", field="audit_key_file")
            return None
        with contextlib.suppress(FileExistsError):  # another process made it first
            _make(path)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise InvalidInput(f"audit key file {path} is empty", field="audit_key_file")
    return key.encode()


def _make(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(KEY_BYTES) + "\n")

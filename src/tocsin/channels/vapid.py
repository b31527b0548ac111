"""The VAPID key of Web Push (RFC 8292): from the settings, or from a file made at first start.

The public half is what a browser's `pushManager.subscribe({applicationServerKey})` takes;
every push request carries `Authorization: vapid t=<JWT signed with the private half>,k=<it>`.
"""

from __future__ import annotations

import base64
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from tocsin.config import Settings
from tocsin.errors import InvalidInput

TOKEN_LIFETIME = 12 * 3600  # seconds; RFC 8292 allows at most 24 hours


async def load_key(settings: Settings, kept: Callable[[], Awaitable[str]]) -> Vapid02:
    """The key given in the settings, or in `push_vapid_key_file` (made there if missing), or
    `kept()`: the one in the database, which every node sharing it signs with."""
    if settings.push_vapid_key is not None:
        return _parse(settings.push_vapid_key.get_secret_value(), "push_vapid_key")
    if not settings.push_vapid_key_file:
        return _parse(await kept(), "push_keys")
    return _from_file(Path(settings.push_vapid_key_file))


def _from_file(path: Path) -> Vapid02:
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first
            _make(path)
    try:
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        message = f"cannot read the VAPID key: {exc}"
        raise InvalidInput(message, field="push_vapid_key_file") from None
    return _parse(text, "push_vapid_key_file")


def new_pem() -> str:
    """A new private key, in PEM."""
    key = Vapid02()
    key.generate_keys()
    return bytes(key.private_pem()).decode("ascii")


def public_key(key: Vapid02) -> str:
    """The public key as browsers take it: base64url of the uncompressed P-256 point."""
    raw = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def authorization(key: Vapid02, endpoint: str, contact: str, now: float | None = None) -> str:
    """The `Authorization` header for one push to `endpoint`'s push service."""
    parts = urlsplit(endpoint)
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int((time.time() if now is None else now) + TOKEN_LIFETIME),
        "sub": contact,
    }
    return str(key.sign(claims)["Authorization"])


def _parse(text: str, field: str) -> Vapid02:
    text = text.strip()
    try:
        if "BEGIN" in text:
            return Vapid02.from_pem(text.encode("ascii"))
        return Vapid02.from_raw(text.encode("ascii"))
    except Exception as exc:
        raise InvalidInput(f"not a VAPID private key: {exc}", field=field) from None


def _make(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(new_pem())

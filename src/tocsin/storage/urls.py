"""Database URLs as the settings need them: checked, masked, and where a SQLite file lies."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def check(url: str) -> None:
    """Raise `ValueError` unless `url` is a database URL."""
    try:
        make_url(url)
    except Exception as exc:
        raise ValueError(f"not a database URL: {exc}") from None


def masked(url: str) -> str:
    """The URL with any password masked."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite database URL (None: another backend, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database

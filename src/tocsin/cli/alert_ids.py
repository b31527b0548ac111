"""Alert ids as people type them: the full id, or any unique prefix of it (`alert list` shows
the first eight characters)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tocsin.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from tocsin.cli.client import AlertClient

MIN_PREFIX = 4
FULL_LENGTH = 36  # a UUID with its dashes
SEARCHED = "500"  # the newest alerts looked through for a prefix


async def resolve(client: AlertClient, given: str) -> str:
    """The one alert id that starts with `given`; ambiguous, too short or unknown is an error."""
    given = given.strip().lower()
    if len(given) == FULL_LENGTH:
        return given
    if len(given) < MIN_PREFIX:
        raise InvalidInput(
            f"an alert id prefix needs at least {MIN_PREFIX} characters, not {given!r}",
            field="id",
        )
    found = await client.active({"status": "all"}) + await client.history({"limit": SEARCHED})
    matches: list[str] = sorted({a["id"] for a in found if a["id"].startswith(given)})
    if not matches:
        raise NotFound(f"no alert {given!r}", field="id")
    if len(matches) > 1:
        raise Conflict(f"{given!r} matches {len(matches)} alerts: {', '.join(matches)}", field="id")
    return matches[0]

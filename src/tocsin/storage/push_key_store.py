"""The VAPID key in the database: made by the first node to start, read by every other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tocsin.storage.tables import push_keys

NAME = "vapid"


async def kept_pem(engine: AsyncEngine, make: Callable[[], str]) -> str:
    """The kept key (PEM); when there is none, `make()`'s, stored first (the first node wins)."""
    found = await _read(engine)
    if found is not None:
        return found
    try:
        async with engine.begin() as conn:
            row = {"name": NAME, "private_pem": make(), "created_at": datetime.now(UTC)}
            await conn.execute(push_keys.insert().values(**row))
    except IntegrityError:
        pass  # another node made it at the same moment: read theirs
    found = await _read(engine)
    assert found is not None
    return found


async def _read(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        query = sa.select(push_keys.c.private_pem).where(push_keys.c.name == NAME)
        return (await conn.execute(query)).scalar_one_or_none()

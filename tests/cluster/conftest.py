"""Fixtures of the cluster tests: a PostgreSQL database reset for each test."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
async def database(postgres_database: Any) -> str:
    await postgres_database.reset()
    url: str = postgres_database.url
    return url

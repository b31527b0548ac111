from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data or $TOCSIN_SHARED_DATA; skip without it, fail if TOCSIN_REQUIRE_SERVICES=1."""
    path = Path(os.environ.get("TOCSIN_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        message = f"shared data not found at {path} (set TOCSIN_SHARED_DATA)"
        if os.environ.get("TOCSIN_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path

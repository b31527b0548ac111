"""The fan-out through NATS still runs: at a tiny size, on each store, checked for correctness
only (every client got every alert, in order, and the baseline the bytes published), through
its exit status and its `result:` line. Timings are not asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nats_support import Nats

BENCH = Path(__file__).resolve().parents[2] / "bench"
TINY = ("--clients", "20", "--alerts", "3", "--interval", "0", "--rounds", "2")


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_fanout_nats_benchmark_runs_and_is_correct(nats_single: Nats, database: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "fanout_nats.py"),
            *TINY,
            *("--database", database, "--nats", nats_single.url, "--time-limit", "180"),
        ],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "result: every client got every alert, in order" in lines[-1], done.stdout
    assert any(line.startswith("target p99 ≤ 1.15× baseline:") for line in lines), done.stdout

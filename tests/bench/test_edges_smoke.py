"""The edges benchmark still runs: at a tiny size, on NATS given or its own, checked for
correctness only (its exit status and `result:` line), never for its timings; on a NATS server
given it leaves no stream of its own behind."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import nats
import pytest

from nats_support import Nats, nats_server_binary

BENCH = Path(__file__).resolve().parents[2] / "bench"
RESULT = "result: every client opened and got every alert, in order"


def run_edges(*more: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "edges.py"),
            *("--clients", "20", "--alerts", "2", "--rounds", "1", "--interval", "0"),
            *more,
        ],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert RESULT in done.stdout.splitlines()[-1], done.stdout
    return done.stdout


async def streams(url: str) -> list[str]:
    connection = await nats.connect(url)
    try:
        return [info.config.name or "" for info in await connection.jetstream().streams_info()]
    finally:
        await connection.close()


def test_edges_benchmark_on_a_nats_server_given(nats_single: Nats) -> None:
    out = run_edges("--nats", nats_single.url)
    assert "round 1 A (1 edge): 20 open" in out
    assert "round 1 B (2 edges): 20 open" in out
    assert not [s for s in asyncio.run(streams(nats_single.url)) if "bench-edges-" in s]


def test_edges_benchmark_on_a_nats_server_of_its_own() -> None:
    if nats_server_binary() is None:
        pytest.skip("nats-server is not installed (Debian package nats-server)")
    out = run_edges()
    assert "NATS: a nats-server -js of the run's own" in out

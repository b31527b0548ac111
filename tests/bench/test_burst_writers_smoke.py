"""The burst benchmark with two writers in cluster mode still runs: at a tiny size, on the
session's NATS server and PostgreSQL, checked for correctness only (every client got every
alert, in order), and it leaves no stream of its own behind on that server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from nats_support import Nats

BENCH = Path(__file__).resolve().parents[2] / "bench"
TINY = ["--clients", "20", "--singles", "2", "--bursts", "1", "--size", "5", "--interval", "0"]


def streams(nats: Nats) -> set[str]:
    server = nats.servers[0]
    answer = httpx.get(f"http://127.0.0.1:{server.monitor}/jsz?streams=true", timeout=5)
    accounts = answer.json().get("account_details") or []
    return {s["name"] for account in accounts for s in account.get("stream_detail") or []}


@pytest.mark.postgres
def test_burst_with_two_writers_runs_and_is_correct(nats_single: Nats) -> None:
    before = streams(nats_single)
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "burst.py"),
            *TINY,
            "--writers",
            "2",
            "--nats",
            nats_single.url,
        ],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "result: every client got every alert, in order" in lines[-1], done.stdout
    assert any(line.startswith("single via node-2") for line in lines), done.stdout
    assert streams(nats_single) == before

"""The dissemination benchmarks, the login burst and the public reads still run: each at a tiny
size, checked for correctness only.

Timings are not asserted: they depend on the machine. What is asserted is what each benchmark
itself calls correct (every client got every alert in order — every reading one, beside clients
that stop reading; no alert lost or duplicated across kills; every wrong password refused),
through its exit status and its `result:` line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nats_support import Nats

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize(
    ("script", "arguments", "result"),
    [
        (
            "sse_fanout.py",
            ["--clients", "20", "--alerts", "3", "--interval", "0"],
            "result: every client got every alert, in order",
        ),
        (
            "push.py",
            ["--subscriptions", "3", "--alerts", "1"],
            "result: every subscriber got every alert, once",
        ),
        (
            "kill9.py",
            ["--alerts", "10", "--kills", "2", "--concurrency", "2"],
            "result: no alert lost, duplicated or out of order",
        ),
        (
            "burst.py",
            [
                "--clients",
                "20",
                "--singles",
                "2",
                "--bursts",
                "1",
                "--size",
                "5",
                "--interval",
                "0",
            ],
            "result: every client got every alert, in order",
        ),
        (
            "login_burst.py",
            ["--clients", "2", "--rounds", "1", "--burst", "10", "--interval", "0"],
            "result: every alert delivered in order, every wrong password refused",
        ),
        (
            "connect_rate.py",
            ["--clients", "20", "--rounds", "1", "--pause", "0"],
            "result: every connection opened",
        ),
        (
            "slow_clients.py",
            ["--clients", "20", "--alerts", "3", "--interval", "0", "--rounds", "1"],
            "result: every reading client got every alert, in order",
        ),
        (
            "reads.py",
            ["--duration", "1", "--connections", "4", "--alerts", "2"],
            "result: every answer the same as the minimal app's, no errors",
        ),
    ],
)
def test_benchmark_runs_and_is_correct(script: str, arguments: list[str], result: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *arguments],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert result in done.stdout.splitlines()[-1], done.stdout


@pytest.mark.postgres
def test_failover_benchmark_runs_and_is_correct(nats_single: Nats) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "failover.py"),
            *("--kills", "2", "--duty", "both", "--interval", "0.2", "--nats", nats_single.url),
        ],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "result: every event delivered" in done.stdout.splitlines()[-1], done.stdout

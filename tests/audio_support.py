"""Listening to audio in tests: what sox says of a file."""

from __future__ import annotations

import subprocess
from pathlib import Path


def sox_stat(path: Path) -> dict[str, float]:
    """`sox FILE -n stat`: its length in seconds and RMS amplitude, among others."""
    done = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found = {}
    for line in done.stderr.splitlines():
        name, _, value = line.partition(":")
        try:
            found[" ".join(name.split())] = float(value)
        except ValueError:
            continue
    return found

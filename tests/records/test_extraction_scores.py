"""The labelled corpus as a guard: the benchmark runs, the scorer counts places only where an
attack happened, and the held-out part keeps near the figures measured on it.

The held-out part is never used to tune the rules; its floors here are set below the figures
`python bench/extraction.py` printed, so that a change that loses generality is seen.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tocsin.records.extraction import evaluate
from tocsin.records.extraction.extract import extract
from tocsin.records.extraction.model import Draft, Extraction

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "reports"

# Measured on the held-out part: claims 0.950 / 0.917, places 0.917 / 1.000, dates 0.958 / 1.000.
FLOORS = {"claims": (0.90, 0.85), "places": (0.85, 0.90), "dates": (0.90, 0.90)}


def test_the_held_out_part_keeps_near_its_measured_figures() -> None:
    reports = evaluate.load(CORPUS / "heldout.jsonl")
    assert len(reports) >= 40
    result = evaluate.score(
        reports, lambda r: extract(r["text"], published_at=evaluate.published(r))
    )
    for name, (precision, recall) in FLOORS.items():
        tally = result.tallies[name]
        assert tally.gold > 0, name
        assert tally.precision >= precision, (name, tally)
        assert tally.recall >= recall, (name, tally)


def test_places_are_scored_only_where_an_attack_happened() -> None:
    gold = {
        "date": "2025-03-16",
        "end_date": None,
        "regions": ["UA-32"],
        "threats": [],
        "claims": [],
        "other_claims": [],
    }
    draft = Draft(start=datetime(2025, 3, 16, 8, tzinfo=UTC), regions=["UA-63"])
    attack, _ = evaluate.score_one(
        {"id": "a", "lang": "en", "gold": {**gold, "attack": True}}, Extraction("en", draft)
    )
    assert (attack["places"].found, attack["places"].gold, attack["places"].matched) == (1, 1, 0)
    other, _ = evaluate.score_one(
        {"id": "b", "lang": "en", "gold": {**gold, "attack": False}}, Extraction("en", draft)
    )
    assert (other["places"].found, other["places"].gold) == (0, 0)


def test_the_benchmark_prints_both_parts_and_the_speed() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "extraction.py")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "dev: " in out and "heldout: 48 reports" in out
    for field in ("claims", "places", "dates", "threats", "lang"):
        assert out.count(f"  {field} ") >= 2, field
    assert "CPU ms per 2 kB" in out

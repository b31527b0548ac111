"""Reading reports: precision and recall per field on the labelled corpus, and the speed.

    python bench/extraction.py [--rounds 5] [--show-errors dev]

For each part of `tests/data/reports/` that exists (`dev.jsonl`, `heldout.jsonl`), runs
`extract` on every report (language detected, times relative to the source's `published_at`)
and prints precision and recall of claims, places, dates and threats, language accuracy, and
whether the targets of issue #17 are met (held-out: claims P ≥ 0.95, R ≥ 0.85; places and
dates ≥ 0.9). `--show-errors dev` prints what the development part missed and found wrongly;
the held-out part's errors are never printed, so that no rule is tuned on it.

Speed, once warm (`warm()` first), over every report of both parts, `--rounds` times:
milliseconds per report (wall clock), CPU milliseconds per 2 kB of text (`time.process_time`),
for `extract`; for its spaCy pipeline alone (`pipeline.document`: one blank pipeline per
language, whose `Doc` carries the sentences and the weapons named); and as the baseline
measured in the same run, tokenising only, the same texts with `spacy.blank(lang)`. Printed
after: the extraction's cost over the baseline (CPU ms per 2 kB more, and how many such
tokenisations one extraction costs). Target: under 50 ms per 2 kB report.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tocsin.records.extraction import evaluate
from tocsin.records.extraction.extract import extract, warm
from tocsin.records.extraction.model import Extraction
from tocsin.records.extraction.pipeline import document

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "reports"
PARTS = ("dev", "heldout")
TARGET_MS_PER_2KB = 50.0


def main() -> None:
    args = _arguments()
    started = time.perf_counter()
    warm()
    print(f"warm-up (lexicons, pipelines): {time.perf_counter() - started:.2f} s")
    texts: list[Mapping[str, Any]] = []
    for part in PARTS:
        path = CORPUS / f"{part}.jsonl"
        if not path.exists():
            print(f"\n{part}: {path.name} not found")
            continue
        reports = evaluate.load(path)
        texts += reports
        result = evaluate.score(reports, run)
        print_score(part, result)
        if args.show_errors == part:
            print_errors(result)
    if texts:
        print_speed(texts, args.rounds)


def run(report: Mapping[str, Any]) -> Extraction:
    return extract(report["text"], published_at=evaluate.published(report))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Score and time reading reports.")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds over the corpus")
    parser.add_argument(
        "--show-errors",
        choices=["dev"],
        help="print the misses and false findings of the development part (only)",
    )
    return parser.parse_args()


def print_score(part: str, result: evaluate.Score) -> None:
    print(f"\n{part}: {result.reports} reports")
    print(
        f"  {'field':<8} {'precision':>9} {'recall':>7} {'found':>6} {'right':>6} {'gold':>5}"
        "  target"
    )
    for name in evaluate.FIELDS:
        tally = result.tallies[name]
        met = result.met(name)
        target = ""
        if met is not None:
            precision, recall = evaluate.TARGETS[name]
            target = f"P ≥ {precision:.2f}, R ≥ {recall:.2f}: {'met' if met else 'NOT met'}"
        print(
            f"  {name:<8} {tally.precision:>9.4f} {tally.recall:>7.4f} "
            f"{tally.found:>6} {tally.matched:>6} {tally.gold:>5}  {target}"
        )


def print_errors(result: evaluate.Score) -> None:
    print("\n  errors (missed: in gold, not found; false: found, not in gold)")
    for errors in result.errors:
        print(f"  {errors.id}")
        for name in evaluate.FIELDS:
            for kind, items in (("missed", errors.missed), ("false", errors.false)):
                for item in items.get(name, []):
                    print(f"    {name:<8} {kind:<6} {item}")


def print_speed(reports: Sequence[Mapping[str, Any]], rounds: int) -> None:
    size = sum(len(r["text"].encode()) for r in reports)
    ours = _timed(reports, rounds, lambda r: run(r))
    spacy_part = _timed(reports, rounds, lambda r: document(r["text"], r["lang"]))
    baseline = _timed(reports, rounds, _tokeniser())
    count = len(reports) * rounds
    print(f"\nspeed: {len(reports)} reports, {size / len(reports):.0f} bytes each on average")
    rows = (("extract", ours), ("pipeline", spacy_part), ("baseline", baseline))
    for name, (wall, cpu) in rows:
        print(
            f"  {name:<9} {wall / count * 1000:7.3f} ms/report  "
            f"{cpu / (size * rounds) * 2048 * 1000:7.3f} CPU ms per 2 kB"
        )
    ratio = ours[1] / baseline[1] if baseline[1] else float("inf")
    per_2kb = ours[1] / (size * rounds) * 2048 * 1000
    verdict = "met" if per_2kb < TARGET_MS_PER_2KB else "NOT met"
    over = per_2kb - baseline[1] / (size * rounds) * 2048 * 1000
    print(f"  extract over baseline: +{over:.3f} CPU ms per 2 kB, {ratio:.1f}× (CPU)")
    print(f"  target < {TARGET_MS_PER_2KB:.0f} ms per 2 kB: {verdict}")
    print(
        "  pipeline: the extraction's spaCy part, spacy.blank(lang) with the rules' tokenizer,"
        " sentencizer and weapons Matcher"
    )
    print("  baseline: tokenising only, the same texts with spacy.blank(lang)")


def _tokeniser() -> Callable[[Mapping[str, Any]], object]:
    import spacy

    pipelines = {lang: spacy.blank(lang) for lang in ("en", "uk", "ru")}
    for nlp in pipelines.values():
        nlp("warm")
    return lambda report: pipelines[report["lang"]](report["text"])


def _timed(
    reports: Sequence[Mapping[str, Any]], rounds: int, work: Callable[[Mapping[str, Any]], object]
) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for report in reports:
            work(report)
    return time.perf_counter() - wall, time.process_time() - cpu


if __name__ == "__main__":
    main()

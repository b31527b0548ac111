"""The labelled corpus of reports (tests/data/reports): every line follows the labelling rules.

Each part (dev.jsonl, and heldout.jsonl once present) is checked line by line: the JSON, the
fields, measures and quantity kinds as the incident model defines them, region codes that exist
at no two levels of one branch, and the balance of the part (size, languages, ids).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tocsin.records.domain.claims import WEAPON_MEASURES, Measure, SourceKind
from tocsin.records.domain.quantities import VAGUE, Kind, about

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "tests" / "data" / "reports"
REGIONS = ROOT / "src" / "tocsin" / "regions" / "data"
LANGS = ("en", "uk", "ru")
THREATS = frozenset({"uav", "missile", "aviation", "artillery"})
MIN_SIZE = {"dev": 45, "heldout": 35}
TOP_KEYS = {"id", "lang", "source", "text", "gold", "note"}
SOURCE_KEYS = {"name", "kind", "url", "published_at"}
GOLD_KEYS = {"attack", "date", "end_date", "regions", "threats", "claims", "other_claims"}
CLAIM_KEYS = {"measure", "weapon", "min", "max", "kind", "words"}
ABOUT = re.compile(r"about (\d+)")


@cache
def parents() -> Mapping[str, str | None]:
    """Region code -> its parent's code, for every region tocsin knows."""
    found: dict[str, str | None] = {}
    for name in ("ua.geojson", "ru-border.geojson"):
        for feature in json.loads((REGIONS / name).read_text(encoding="utf-8"))["features"]:
            found[feature["properties"]["code"]] = feature["properties"]["parent"]
    return found


def ancestors(code: str) -> set[str]:
    known = parents()
    found: set[str] = set()
    parent = known.get(code)
    while parent is not None:
        found.add(parent)
        parent = known.get(parent)
    return found


def claim_errors(claim: Any, where: str, threats: Iterable[str]) -> list[str]:
    if not isinstance(claim, dict) or set(claim) != CLAIM_KEYS:
        return [f"{where}: a claim has exactly the keys {sorted(CLAIM_KEYS)}"]
    errors: list[str] = []
    measure, weapon, low, high = claim["measure"], claim["weapon"], claim["min"], claim["max"]
    kind, words = claim["kind"], claim["words"]
    if measure not in {m.value for m in Measure}:
        errors.append(f"{where}: unknown measure {measure!r}")
    if weapon is not None and (measure not in WEAPON_MEASURES or weapon not in set(threats)):
        errors.append(f"{where}: weapon {weapon!r} on {measure!r} (or not among the threats)")
    if kind not in {k.value for k in Kind}:
        return [*errors, f"{where}: unknown kind {kind!r}"]
    if not isinstance(low, int) or isinstance(low, bool) or low < 0:
        return [*errors, f"{where}: min must be a count; got {low!r}"]
    if high is not None and (not isinstance(high, int) or isinstance(high, bool) or high < low):
        return [*errors, f"{where}: max must be a count at least min; got {high!r}"]
    if kind != Kind.VAGUE and words is not None:
        errors.append(f"{where}: words only on a vague count")
    expected: tuple[int, int | None] | None = {
        Kind.EXACT: (low, low) if low > 0 else None,
        Kind.ZERO: (0, 0),
        Kind.RANGE: (low, high) if high is not None and low < high else None,
        Kind.AT_LEAST: (low, None),
        Kind.AT_MOST: (0, high) if high else None,
    }.get(Kind(kind))
    if kind == Kind.VAGUE:
        matched = ABOUT.fullmatch(words or "")
        if words in VAGUE:
            expected = VAGUE[words]
        elif matched:
            vague = about(int(matched.group(1)))
            expected = (vague.low, vague.high)
        else:
            errors.append(f"{where}: vague words {words!r} are neither in VAGUE nor 'about N'")
            return errors
    if expected != (low, high):
        errors.append(f"{where}: {kind} count cannot be {low}..{high} (expected {expected})")
    return errors


def report_errors(line: str, part: str, number: int) -> list[str]:
    """What is wrong with one line of a corpus part (empty: nothing)."""
    where = f"{part}.jsonl:{number}"
    try:
        report = json.loads(line)
    except json.JSONDecodeError as error:
        return [f"{where}: not JSON ({error})"]
    if not isinstance(report, dict) or set(report) != TOP_KEYS:
        return [f"{where}: a report has exactly the keys {sorted(TOP_KEYS)}"]
    source, gold, text = report["source"], report["gold"], report["text"]
    if not isinstance(source, dict) or set(source) != SOURCE_KEYS:
        return [f"{where}: source has exactly the keys {sorted(SOURCE_KEYS)}"]
    if not isinstance(gold, dict) or set(gold) != GOLD_KEYS:
        return [f"{where}: gold has exactly the keys {sorted(GOLD_KEYS)}"]
    where = f"{where} ({report['id']})"
    errors: list[str] = []
    if report["lang"] not in LANGS:
        errors.append(f"{where}: lang {report['lang']!r}")
    if not re.fullmatch(rf"{part}-{report['lang']}-\d{{3}}", str(report["id"])):
        errors.append(f"{where}: id must read {part}-{report['lang']}-NNN")
    if not isinstance(text, str) or not 300 <= len(text) <= 2000:
        errors.append(f"{where}: text must have 300 to 2000 characters")
    if not isinstance(source["name"], str) or not source["name"].strip():
        errors.append(f"{where}: source.name is empty")
    if source["kind"] not in {k.value for k in SourceKind}:
        errors.append(f"{where}: source.kind {source['kind']!r}")
    try:
        published = datetime.fromisoformat(source["published_at"])
        if published.utcoffset() is None:
            errors.append(f"{where}: published_at needs an offset")
    except (TypeError, ValueError):
        errors.append(f"{where}: published_at is not ISO")
    errors += gold_errors(gold, where)
    return errors


def gold_errors(gold: Mapping[str, Any], where: str) -> list[str]:
    errors: list[str] = []
    attack, threats, claims = gold["attack"], gold["threats"], gold["claims"]
    if not isinstance(attack, bool):
        return [f"{where}: attack must be true or false"]
    try:
        start = None if gold["date"] is None else date.fromisoformat(gold["date"])
        end = None if gold["end_date"] is None else date.fromisoformat(gold["end_date"])
    except (TypeError, ValueError):
        return [f"{where}: date and end_date are ISO dates or null"]
    if start is None and (attack or end is not None):
        errors.append(f"{where}: only a hard negative may have no date")
    if start is not None and end is not None and end < start:
        errors.append(f"{where}: end_date before date")
    if not set(threats) <= THREATS or len(set(threats)) != len(threats):
        errors.append(f"{where}: threats {threats!r}")
    if not attack and (threats or claims):
        errors.append(f"{where}: a hard negative has no threats and no claims")
    codes = gold["regions"]
    for code in codes:
        if code not in parents():
            errors.append(f"{where}: unknown region {code!r}")
        elif ancestors(code) & set(codes):
            errors.append(f"{where}: {code} is under another code of the list")
    if len(set(codes)) != len(codes):
        errors.append(f"{where}: a region is listed twice")
    for name in ("claims", "other_claims"):
        series: Counter[tuple[str, str | None]] = Counter()
        for index, claim in enumerate(gold[name]):
            errors += claim_errors(claim, f"{where} {name}[{index}]", threats or THREATS)
            if isinstance(claim, dict):
                series[(claim.get("measure", ""), claim.get("weapon"))] += 1
        errors += [f"{where}: {name} has {key} twice" for key, n in series.items() if n > 1]
    return errors


def read(part: str) -> list[str]:
    return (REPORTS / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()


def part_errors(part: str, lines: list[str]) -> list[str]:
    errors = [e for n, line in enumerate(lines, 1) for e in report_errors(line, part, n)]
    if errors:
        return errors
    reports = [json.loads(line) for line in lines]
    ids = Counter(r["id"] for r in reports)
    errors += [f"{part}: id {i} is used {n} times" for i, n in ids.items() if n > 1]
    if len(reports) < MIN_SIZE[part]:
        errors.append(f"{part}: {len(reports)} reports; at least {MIN_SIZE[part]}")
    langs = Counter(r["lang"] for r in reports)
    for lang in LANGS:
        if langs[lang] * 4 < len(reports):
            errors.append(f"{part}: {langs[lang]} {lang} reports, under a quarter")
    return errors


def parts() -> list[str]:
    return [p for p in ("dev", "heldout") if (REPORTS / f"{p}.jsonl").exists()]


def test_the_development_part_exists() -> None:
    assert "dev" in parts()


@pytest.mark.parametrize("part", parts())
def test_every_report_follows_the_labelling_rules(part: str) -> None:
    assert part_errors(part, read(part)) == []


def test_the_parts_share_no_id() -> None:
    ids = [{json.loads(line)["id"] for line in read(part)} for part in parts()]
    assert len(ids) < 2 or not ids[0] & ids[1]


def test_the_checks_find_what_is_wrong() -> None:
    report = json.loads(read("dev")[0])
    assert report_errors(json.dumps(report), "dev", 1) == []

    def broken(**gold: Any) -> list[str]:
        return report_errors(json.dumps({**report, "gold": {**report["gold"], **gold}}), "dev", 1)

    assert any("unknown region" in e for e in broken(regions=["UA-63-H99999"]))
    assert any("under another" in e for e in broken(regions=["UA-63", "UA-63-H1293"]))
    wrong = {"measure": "killed", "weapon": "uav", "min": 3, "max": 3, "kind": "exact"}
    assert any("weapon" in e for e in broken(claims=[{**wrong, "words": None}]))
    vague = {**wrong, "weapon": None, "min": 2, "max": 8, "kind": "vague", "words": "several"}
    assert any("vague count cannot be 2..8" in e for e in broken(claims=[vague]))
    assert any("hard negative" in e for e in broken(attack=False))
    assert report_errors("{", "dev", 1) != []
    assert part_errors("dev", [json.dumps(report)] * 2) != []

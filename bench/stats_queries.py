"""Statistics over 100,000 alerts: tocsin (SQLite) against DuckDB reading the same CSV.

    python bench/stats_queries.py [--runs 5] [--data ../shared/data]

Builds a CSV of exactly 100,000 alerts in the generic format (region code, threat, start,
end, status): every mapped row of the official and the volunteer data sets (97,544), topped
up with official rows moved three years later. Imports it into a fresh SQLite database, then
asks each question of

- tocsin first: the first question after the import: a new `StatsService` builds the span
                packs of the regions asked about from `alert_spans` and stores them,
- tocsin cold:  a new `StatsService` (a new process, say): the packs are read from the database,
- tocsin warm:  the same service again (the spans are in memory; only the maths runs),
- DuckDB:       one SQL query over `read_csv(...)` of the file (and of a region → ancestor
                table for the rollups), parsing the CSV every time,

and checks that both give the same answer. Times are medians of `--runs` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.domain.threats import builtin
from tocsin.records.handlers.stats import Filters, StatsService, Window
from tocsin.records.history.importer import HistoryAlert, HistoryImporter, mapped_rows

ROOT = Path(__file__).resolve().parent.parent
TOTAL = 100_000
Y2023 = (datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))
MARCH = (datetime(2023, 3, 1, tzinfo=UTC), datetime(2023, 4, 1, tzinfo=UTC))


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp), args.data, args.runs))


async def run(tmp: Path, data: Path, runs: int) -> None:
    url = f"sqlite:///{tmp}/bench.db"
    tocsin = await build(Settings(database_url=url))
    try:
        alerts_csv, lineage_csv = write_inputs(tmp, data, tocsin)
        importer = HistoryImporter(tocsin.bus, tocsin.store)
        started = time.perf_counter()
        report = await importer.run(alerts_csv, "csv", actor="bench")
        print(f"imported {report.added:,} alerts in {time.perf_counter() - started:.1f} s")
        await StatsService(
            tocsin.store, tocsin.regions, tocsin.catalogue, tocsin.clock
        ).projector.catch_up()
        db = duckdb.connect()
        db.execute("SET TimeZone = 'UTC'")
        print(
            f"{'question':<34} {'first':>9} {'cold':>9} {'warm':>9} {'DuckDB':>9} "
            f"{'cold/DuckDB':>12} {'warm/DuckDB':>12}"
        )
        for name, ours, theirs in questions(alerts_csv, lineage_csv):
            first = await timed_cold(tocsin, ours)
            cold = [await timed_cold(tocsin, ours) for _ in range(runs)]
            service = StatsService(tocsin.store, tocsin.regions, tocsin.catalogue, tocsin.clock)
            answer = await ours(service)
            warm = [await timed(lambda s=service, q=ours: q(s)) for _ in range(runs)]
            duck = []
            for _ in range(runs):
                started = time.perf_counter()
                expected = db.execute(theirs).fetchall()
                duck.append(time.perf_counter() - started)
            same = _same(answer, expected)
            c, w, d = (statistics.median(x) * 1000 for x in (cold, warm, duck))
            print(
                f"{name:<34} {first * 1000:>7.1f}ms {c:>7.1f}ms {w:>7.1f}ms {d:>7.1f}ms "
                f"{c / d:>11.2f}× {w / d:>11.2f}×{'' if same else '  ANSWERS DIFFER'}"
            )
            if not same:
                print(f"   tocsin {answer!r}\n   DuckDB {expected!r}")
    finally:
        await tocsin.close()


Ask = Callable[[StatsService], Awaitable[Any]]


def questions(alerts: Path, lineage: Path) -> list[tuple[str, Ask, str]]:
    rows = (
        f"(SELECT a.*, l.ancestor FROM read_csv('{alerts}', types = {{'start': "
        f"'TIMESTAMPTZ', 'end': 'TIMESTAMPTZ'}}) a JOIN read_csv('{lineage}') l "
        f"ON a.region = l.region)"
    )
    direct = (
        f"(SELECT * FROM read_csv('{alerts}', types = {{'start': 'TIMESTAMPTZ', "
        f"'end': 'TIMESTAMPTZ'}}))"
    )

    def union(where: str, lo: str = "'-infinity'", hi: str = "'infinity'") -> str:
        return f"""
            WITH x AS (SELECT greatest("start", TIMESTAMPTZ {lo}) s,
                              least("end", TIMESTAMPTZ {hi}) e
                       FROM {rows} WHERE {where} AND "start" < TIMESTAMPTZ {hi}
                       AND "end" > TIMESTAMPTZ {lo}),
            y AS (SELECT s, e, max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING
                                            AND 1 PRECEDING) r FROM x),
            z AS (SELECT s, e, sum(CASE WHEN r IS NULL OR s > r THEN 1 ELSE 0 END)
                               OVER (ORDER BY s, e) g FROM y)
            SELECT (SELECT count(*) FROM {rows} WHERE {where} AND "start" >= TIMESTAMPTZ {lo}
                    AND "start" < TIMESTAMPTZ {hi}),
                   (SELECT sum(epoch(e) - epoch(s)) FROM
                       (SELECT min(s) s, max(e) e FROM z GROUP BY g))"""

    def region(code: str, window: tuple[datetime, datetime] | None = None) -> Ask:
        async def ask(stats: StatsService) -> Any:
            w = Window(*window) if window else Window()
            r = await stats.region(code, w, Filters())
            return [(r.count, r.seconds)]

        return ask

    async def ranking(stats: StatsService) -> Any:
        _, ranked = await stats.ranking("oblast", "UA", Window(*Y2023), Filters(), limit=5)
        return [(r.region.code, r.seconds) for r in ranked]

    async def series(stats: StatsService) -> Any:
        result = await stats.series("UA-63", Window(*Y2023), Filters(), every="month", tz="UTC")
        return list(zip(result.alerts, result.seconds, strict=True))

    async def concurrency(stats: StatsService) -> Any:
        result = await stats.concurrency(
            "UA", Window(), Filters(), level="oblast", every="month", tz="UTC"
        )
        return [(result.result.peak,)]

    lo, hi = (f"'{t.isoformat()}'" for t in Y2023)
    mlo, mhi = (f"'{t.isoformat()}'" for t in MARCH)
    merged_oblasts = f"""
        WITH x AS (SELECT ancestor k, "start" s, "end" e FROM {rows}
                   WHERE ancestor LIKE 'UA-__' AND "start" < TIMESTAMPTZ {hi}
                   AND "end" > TIMESTAMPTZ {lo}),
        y AS (SELECT k, greatest(s, TIMESTAMPTZ {lo}) s, least(e, TIMESTAMPTZ {hi}) e FROM x),
        z AS (SELECT k, s, e, max(e) OVER (PARTITION BY k ORDER BY s, e ROWS BETWEEN
              UNBOUNDED PRECEDING AND 1 PRECEDING) r FROM y),
        g AS (SELECT k, s, e, sum(CASE WHEN r IS NULL OR s > r THEN 1 ELSE 0 END)
              OVER (PARTITION BY k ORDER BY s, e) grp FROM z)
        SELECT k, sum(epoch(e) - epoch(s)) sec FROM
            (SELECT k, min(s) s, max(e) e FROM g GROUP BY k, grp)
        GROUP BY k ORDER BY sec DESC, k LIMIT 5"""
    monthly = f"""
        WITH m AS (SELECT t lo, t + INTERVAL 1 month hi FROM generate_series(
                   TIMESTAMPTZ {lo}, TIMESTAMPTZ {hi} - INTERVAL 1 month, INTERVAL 1 month) g(t)),
        x AS (SELECT "start" s, "end" e FROM {rows} WHERE ancestor = 'UA-63'),
        y AS (SELECT s, e, max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING
              AND 1 PRECEDING) r FROM x),
        z AS (SELECT s, e, sum(CASE WHEN r IS NULL OR s > r THEN 1 ELSE 0 END)
              OVER (ORDER BY s, e) g FROM y),
        u AS (SELECT min(s) s, max(e) e FROM z GROUP BY g)
        SELECT (SELECT count(*) FROM x WHERE x.s >= m.lo AND x.s < m.hi),
               coalesce((SELECT sum(epoch(least(u.e, m.hi)) - epoch(greatest(u.s, m.lo)))
                         FROM u WHERE u.s < m.hi AND u.e > m.lo), 0)
        FROM m ORDER BY m.lo"""
    peak = f"""
        WITH x AS (SELECT ancestor k, "start" s, "end" e FROM {rows} WHERE ancestor LIKE 'UA-__'),
        z AS (SELECT k, s, e, max(e) OVER (PARTITION BY k ORDER BY s, e ROWS BETWEEN
              UNBOUNDED PRECEDING AND 1 PRECEDING) r FROM x),
        g AS (SELECT k, s, e, sum(CASE WHEN r IS NULL OR s > r THEN 1 ELSE 0 END)
              OVER (PARTITION BY k ORDER BY s, e) grp FROM z),
        m AS (SELECT min(s) s, max(e) e FROM g GROUP BY k, grp),
        ev AS (SELECT s t, 1 d FROM m UNION ALL SELECT e t, -1 d FROM m)
        SELECT max(n) FROM (SELECT sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) n
                            FROM ev)"""
    del direct
    return [
        ("UA-63 (oblast), all time", region("UA-63"), union("ancestor = 'UA-63'")),
        ("UA (country), all time", region("UA"), union("ancestor = 'UA'")),
        ("UA-12, March 2023", region("UA-12", MARCH), union("ancestor = 'UA-12'", mlo, mhi)),
        ("ranking of oblasts, 2023", ranking, merged_oblasts),
        ("UA-63 per month, 2023", series, monthly),
        ("peak of oblasts at once, all time", concurrency, peak),
    ]


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


async def timed_cold(tocsin: Tocsin, ask: Ask) -> float:
    service = StatsService(tocsin.store, tocsin.regions, tocsin.catalogue, tocsin.clock)
    return await timed(lambda: ask(service))


def write_inputs(tmp: Path, data: Path, tocsin: Tocsin) -> tuple[Path, Path]:
    tree = tocsin.regions.tree
    rows: list[HistoryAlert] = []
    for name, fmt in (
        ("official_data_en.csv", "ua-official"),
        ("volunteer_data_en.csv", "ua-volunteer"),
    ):
        found = mapped_rows(data / "alerts" / name, fmt, tree, builtin())
        rows += [r for r in found if isinstance(r, HistoryAlert)]
    official = [r for r in rows[:43_030]]
    shift = timedelta(days=3 * 365)
    rows += [
        HistoryAlert(r.line, r.region, r.start + shift, r.end + shift, r.threat, r.status)
        for r in official[: TOTAL - len(rows)]
    ]
    alerts = tmp / "alerts_100k.csv"
    with alerts.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["region", "threat", "start", "end", "status"])
        for r in rows:
            out.writerow([r.region, r.threat, r.start.isoformat(), r.end.isoformat(), "actual"])
    lineage = tmp / "lineage.csv"
    with lineage.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["region", "ancestor"])
        for region in tree:
            for ancestor in (region.code, *tree.ancestors(region.code)):
                out.writerow([region.code, ancestor])
    print(f"{len(rows):,} alerts written to {alerts.name}")
    return alerts, lineage


def _same(ours: Any, theirs: list[tuple[Any, ...]]) -> bool:
    if len(ours) != len(theirs):
        return False
    for a, b in zip(ours, theirs, strict=True):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                if abs(float(x) - float(y or 0)) > 1e-6:
                    return False
            elif x != y:
                return False
    return True


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time statistics questions.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    return parser.parse_args()


if __name__ == "__main__":
    main()

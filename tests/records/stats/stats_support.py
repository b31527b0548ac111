"""An independent oracle: the same statistics computed by DuckDB straight from the CSV files.

Nothing here uses tocsin's code. Places are chosen with the data set's own columns (oblast,
raion, hromada); rows whose oblast is not one of the crosswalk's first-level units (the one
bogus "Lubenskyi raion" row, which the importer reports as unmapped) are left out of Ukraine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb


class Oracle:
    def __init__(self, official: Path, crosswalk: Path, volunteer: Path | None = None) -> None:
        self.db = duckdb.connect()
        self.db.execute("SET TimeZone = 'UTC'")
        self.db.execute(
            "CREATE TABLE crosswalk AS SELECT alerts_dataset_name_en AS name "
            f"FROM read_csv('{crosswalk}', all_varchar = true) WHERE name IS NOT NULL"
        )
        self.db.execute(
            "CREATE TABLE official AS SELECT coalesce(oblast, '') AS oblast, "
            "coalesce(raion, '') AS raion, coalesce(hromada, '') AS hromada, level, "
            "started_at AS s, finished_at AS e "
            f"FROM read_csv('{official}', types = {{'started_at': 'TIMESTAMPTZ', "
            "'finished_at': 'TIMESTAMPTZ'})"
        )
        if volunteer is not None:
            self.db.execute(
                "CREATE TABLE volunteer AS SELECT region AS oblast, '' AS raion, '' AS hromada, "
                "'oblast' AS level, started_at AS s, finished_at AS e "
                f"FROM read_csv('{volunteer}', types = {{'started_at': 'TIMESTAMPTZ', "
                "'finished_at': 'TIMESTAMPTZ'})"
            )

    def rows(self, place: Sequence[str], tables: Sequence[str] = ("official",)) -> str:
        """A subquery of (s, e) for a place given as (oblast[, raion[, hromada]]), or () for UA."""
        names = ("oblast", "raion", "hromada")
        if place:
            where = " AND ".join(f"{n} = '{v}'" for n, v in zip(names, place, strict=False))
        else:
            where = "oblast IN (SELECT name FROM crosswalk)"
        return " UNION ALL ".join(f"SELECT s, e FROM {t} WHERE {where}" for t in tables)

    def merged(self, rows: str) -> str:
        """The union of the intervals, as disjoint (s, e)."""
        return f"""
            WITH x AS ({rows}),
            y AS (SELECT s, e, max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING
                                            AND 1 PRECEDING) AS reach FROM x),
            z AS (SELECT s, e, sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
                               OVER (ORDER BY s, e) AS grp FROM y)
            SELECT min(s) AS s, max(e) AS e FROM z GROUP BY grp"""

    def summary(
        self, place: Sequence[str], since: str, until: str, tables: Sequence[str] = ("official",)
    ) -> dict[str, Any]:
        rows = self.rows(place, tables)
        lo, hi = f"TIMESTAMPTZ '{since}'", f"TIMESTAMPTZ '{until}'"
        count, median, p95, longest = self.db.execute(f"""
            SELECT count(*), quantile_cont(epoch(e) - epoch(s), 0.5),
                   quantile_cont(epoch(e) - epoch(s), 0.95), max(epoch(e) - epoch(s))
            FROM ({rows}) WHERE s >= {lo} AND s < {hi}""").fetchone()  # type: ignore[misc]
        (seconds,) = self.db.execute(f"""
            SELECT coalesce(sum(epoch(least(e, {hi})) - epoch(greatest(s, {lo}))), 0)
            FROM ({self.merged(rows)}) WHERE s < {hi} AND e > {lo}""").fetchone()  # type: ignore[misc]
        return {
            "count": count,
            "seconds": float(seconds),
            "median": median,
            "p95": p95,
            "longest": longest,
        }

    def per_bucket(
        self, place: Sequence[str], since: str, until: str, every: str, tz: str = "UTC"
    ) -> list[tuple[str, int, float]]:
        """(bucket start as local date, alerts started, seconds under alert) per bucket."""
        rows = self.rows(place)
        self.db.execute(f"SET TimeZone = '{tz}'")
        try:
            return [
                (str(b), int(n), float(sec))
                for b, n, sec in self.db.execute(f"""
                WITH b AS (
                    SELECT greatest(t, TIMESTAMPTZ '{since}') AS lo,
                           least(t + INTERVAL 1 {every}, TIMESTAMPTZ '{until}') AS hi, t
                    FROM generate_series(date_trunc('{every}', TIMESTAMPTZ '{since}'),
                                         TIMESTAMPTZ '{until}' - INTERVAL 1 microsecond,
                                         INTERVAL 1 {every}) g(t)),
                m AS ({self.merged(rows)}),
                r AS ({rows})
                SELECT strftime(b.t, '%Y-%m-%d %H:%M'),
                       (SELECT count(*) FROM r WHERE r.s >= b.lo AND r.s < b.hi),
                       coalesce((SELECT sum(epoch(least(m.e, b.hi)) - epoch(greatest(m.s, b.lo)))
                                 FROM m WHERE m.s < b.hi AND m.e > b.lo), 0)
                FROM b ORDER BY b.t""").fetchall()
            ]
        finally:
            self.db.execute("SET TimeZone = 'UTC'")

    def hour_profile(
        self, place: Sequence[str], since: str, until: str, tz: str
    ) -> tuple[list[int], list[float]]:
        """Alerts started and seconds under alert by local hour of day."""
        rows = self.rows(place)
        self.db.execute(f"SET TimeZone = '{tz}'")
        try:
            starts = dict(
                self.db.execute(f"""
                SELECT hour(s), count(*) FROM ({rows})
                WHERE s >= TIMESTAMPTZ '{since}' AND s < TIMESTAMPTZ '{until}'
                GROUP BY 1""").fetchall()
            )
            seconds = dict(
                self.db.execute(f"""
                WITH b AS (SELECT t AS lo, t + INTERVAL 1 hour AS hi FROM generate_series(
                    TIMESTAMPTZ '{since}', TIMESTAMPTZ '{until}' - INTERVAL 1 hour,
                    INTERVAL 1 hour) g(t)),
                m AS ({self.merged(rows)})
                SELECT hour(b.lo), sum(epoch(least(m.e, b.hi)) - epoch(greatest(m.s, b.lo)))
                FROM b JOIN m ON m.s < b.hi AND m.e > b.lo GROUP BY 1""").fetchall()
            )
        finally:
            self.db.execute("SET TimeZone = 'UTC'")
        return (
            [int(starts.get(h, 0)) for h in range(24)],
            [float(seconds.get(h, 0.0)) for h in range(24)],
        )

    def weekday_starts(self, place: Sequence[str], tz: str) -> list[int]:
        self.db.execute(f"SET TimeZone = '{tz}'")
        try:
            found = dict(
                self.db.execute(
                    f"SELECT isodow(s) - 1, count(*) FROM ({self.rows(place)}) GROUP BY 1"
                ).fetchall()
            )
        finally:
            self.db.execute("SET TimeZone = 'UTC'")
        return [int(found.get(d, 0)) for d in range(7)]

    def peak(self, by_oblast: bool) -> tuple[int, str]:
        """Most regions under alert at once: the places rows name (each place's alerts united
        first), or the oblasts with any alert inside them; an end before a start at a tie."""
        key = "oblast" if by_oblast else "oblast, raion, hromada"
        rows = "SELECT * FROM official WHERE oblast IN (SELECT name FROM crosswalk)"
        peak, at = self.db.execute(f"""
            WITH y AS (SELECT {key}, s, e, max(e) OVER (PARTITION BY {key} ORDER BY s, e
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
                       FROM ({rows})),
            z AS (SELECT {key}, s, e, sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0
                  END) OVER (PARTITION BY {key} ORDER BY s, e) AS grp FROM y),
            m AS (SELECT min(s) AS s, max(e) AS e FROM z GROUP BY {key}, grp),
            ev AS (SELECT s AS t, 1 AS d FROM m UNION ALL SELECT e AS t, -1 AS d FROM m),
            run AS (SELECT t, sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n FROM ev)
            SELECT n, strftime(t, '%Y-%m-%dT%H:%M:%SZ') FROM run ORDER BY n DESC, t LIMIT 1
        """).fetchone()  # type: ignore[misc]
        return int(peak), at

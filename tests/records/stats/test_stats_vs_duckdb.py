"""Statistics of the real official data set, imported whole into SQLite, against DuckDB
computing the same figures straight from the CSV (to the second)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pytest
from stats_support import Oracle

from conftest import run_apart, shared_data
from tocsin.bootstrap import Tocsin, build
from tocsin.config import Settings
from tocsin.records.handlers.stats import Filters, StatsService, Window
from tocsin.records.history.importer import HistoryImporter

T = TypeVar("T")
OFFICIAL = Filters.parse(source="ua-official")
VOLUNTEER_ROWS = 5000


@pytest.fixture(scope="module")
def imported(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The whole official data set and the first rows of the volunteer one, on SQLite."""
    target = tmp_path_factory.mktemp("full") / "tocsin.db"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite:///{target}"
    volunteer = tmp_path_factory.mktemp("volunteer") / "volunteer.csv"
    with shared_data("alerts", "volunteer_data_en.csv").open(encoding="utf-8") as handle:
        volunteer.write_text("".join(next(handle) for _ in range(VOLUNTEER_ROWS + 1)))

    async def go(tocsin: Tocsin) -> float:
        importer = HistoryImporter(tocsin.bus, tocsin.store)
        started = time.perf_counter()
        report = await importer.run(
            shared_data("alerts", "official_data_en.csv"), "ua-official", actor="test"
        )
        took = time.perf_counter() - started
        assert (report.added, report.rejected) == (43_030, 1)
        assert (await importer.run(volunteer, "ua-volunteer", actor="test")).added == 5000
        return took

    took = ask(url, go)
    assert took < 90, f"the full official import took {took:.0f} s"
    return url


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    volunteer = tmp_path_factory.mktemp("oracle") / "volunteer.csv"
    with shared_data("alerts", "volunteer_data_en.csv").open(encoding="utf-8") as handle:
        volunteer.write_text("".join(next(handle) for _ in range(VOLUNTEER_ROWS + 1)))
    return Oracle(
        shared_data("alerts", "official_data_en.csv"),
        shared_data("boundaries", "region_crosswalk_iso3166_2.csv"),
        volunteer,
    )


def ask(url: str, fn: Callable[[Tocsin], Awaitable[T]]) -> T:
    async def go() -> T:
        tocsin = await build(Settings(database_url=url))
        try:
            return await fn(tocsin)
        finally:
            await tocsin.close()

    return run_apart(go())


def stats_of(url: str, fn: Callable[[StatsService], Awaitable[T]]) -> T:
    async def go(tocsin: Tocsin) -> T:
        return await fn(StatsService(tocsin.store, tocsin.regions, tocsin.catalogue, tocsin.clock))

    return ask(url, go)


PLACES = {
    "UA": (),
    "UA-63": ("Kharkivska oblast",),
    "UA-30": ("Kyiv City",),
    "UA-12": ("Dnipropetrovska oblast",),
}
WINDOWS = [
    ("2022-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
    ("2022-05-01T00:00:00Z", "2022-06-01T00:00:00Z"),
    ("2023-01-01T00:00:00Z", "2023-02-01T00:00:00Z"),
    ("2023-12-31T22:00:00Z", "2024-01-01T02:00:00Z"),
    ("2022-10-10T05:00:00Z", "2022-10-10T06:00:00Z"),
]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def one_raion_and_hromada(oracle: Oracle) -> list[tuple[str, tuple[str, ...]]]:
    raion = oracle.db.execute(
        "SELECT oblast, raion FROM official WHERE raion <> '' AND oblast LIKE '% oblast' "
        "GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    hromada = oracle.db.execute(
        "SELECT oblast, raion, hromada FROM official WHERE hromada <> '' "
        "AND oblast LIKE '% oblast' GROUP BY 1, 2, 3 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    assert raion and hromada
    return [("raion", tuple(raion)), ("hromada", tuple(hromada))]


def code_of(url: str, place: tuple[str, ...]) -> str:
    from tocsin.records.history.formats import Place
    from tocsin.records.history.mapping import PlaceMapper

    async def go(tocsin: Tocsin) -> str:
        level = ("oblast", "raion", "hromada")[len(place) - 1]
        return PlaceMapper(tocsin.regions.tree).resolve(Place(level, *place))

    return ask(url, go)


@pytest.mark.parametrize(("since", "until"), WINDOWS)
def test_regions_match_duckdb(imported: str, oracle: Oracle, since: str, until: str) -> None:
    places = dict(PLACES)
    for _, place in one_raion_and_hromada(oracle):
        places[code_of(imported, place)] = place

    async def go(stats: StatsService) -> dict[str, dict[str, object]]:
        out = {}
        for code in places:
            result = await stats.region(code, Window(when(since), when(until)), OFFICIAL)
            out[code] = result.to_json()
        return out

    answers = stats_of(imported, go)
    for code, place in places.items():
        expected = oracle.summary(place, since, until)
        got = answers[code]
        assert got["count"] == expected["count"], code
        assert got["seconds"] == expected["seconds"], code
        durations = got["durations"]
        assert isinstance(durations, dict)
        for key in ("median", "p95", "longest"):
            if expected[key] is None:
                assert durations[key] is None
            else:
                assert durations[key] == pytest.approx(expected[key], abs=1e-6), (code, key)


def test_sources_add_up_without_double_counting(imported: str, oracle: Oracle) -> None:
    since, until = "2022-03-01T00:00:00Z", "2022-05-01T00:00:00Z"

    async def go(stats: StatsService) -> list[dict[str, object]]:
        window = Window(when(since), when(until))
        return [
            (await stats.region("UA-63", window, Filters())).to_json(),
            (await stats.region("UA-63", window, Filters.parse(source="ua-volunteer"))).to_json(),
        ]

    both, volunteer_only = stats_of(imported, go)
    expected = oracle.summary(("Kharkivska oblast",), since, until, ("official", "volunteer"))
    assert (both["count"], both["seconds"]) == (expected["count"], expected["seconds"])
    only = oracle.summary(("Kharkivska oblast",), since, until, ("volunteer",))
    assert (volunteer_only["count"], volunteer_only["seconds"]) == (only["count"], only["seconds"])


@pytest.mark.parametrize(
    ("every", "tz"), [("month", "UTC"), ("day", "Europe/Kyiv"), ("week", "UTC")]
)
def test_series_match_duckdb(imported: str, oracle: Oracle, every: str, tz: str) -> None:
    since, until = "2023-01-01T00:00:00Z", "2023-04-01T00:00:00Z"

    async def go(stats: StatsService) -> dict[str, object]:
        result = await stats.series(
            "UA-63", Window(when(since), when(until)), OFFICIAL, every=every, tz=tz
        )
        return result.to_json()

    got = stats_of(imported, go)["buckets"]
    assert isinstance(got, list)
    expected = oracle.per_bucket(("Kharkivska oblast",), since, until, every, tz)
    assert [(b["start"][:16].replace("T", " "), b["alerts"], b["seconds"]) for b in got] == expected


def test_hour_profile_matches_duckdb(imported: str, oracle: Oracle) -> None:
    since, until = "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z"

    async def go(stats: StatsService) -> dict[str, object]:
        window = Window(when(since), when(until))
        return (
            await stats.profile("UA-12", window, OFFICIAL, by="hour", tz="Europe/Kyiv")
        ).to_json()

    slots = stats_of(imported, go)["slots"]
    assert isinstance(slots, list)
    starts, seconds = oracle.hour_profile(("Dnipropetrovska oblast",), since, until, "Europe/Kyiv")
    assert [s["alerts"] for s in slots] == starts
    assert [s["seconds"] for s in slots] == seconds
    assert all(0 <= s["share"] <= 1 for s in slots)


def test_weekday_profile_counts_match_duckdb(imported: str, oracle: Oracle) -> None:
    async def go(stats: StatsService) -> dict[str, object]:
        return (
            await stats.profile("UA", Window(), OFFICIAL, by="weekday", tz="Europe/Kyiv")
        ).to_json()

    slots = stats_of(imported, go)["slots"]
    assert isinstance(slots, list)
    assert [s["label"] for s in slots] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert [s["alerts"] for s in slots] == oracle.weekday_starts((), "Europe/Kyiv")


@pytest.mark.parametrize("level", [None, "oblast"])
def test_concurrency_peak_matches_duckdb(imported: str, oracle: Oracle, level: str | None) -> None:
    async def go(stats: StatsService) -> dict[str, object]:
        return (
            await stats.concurrency("UA", Window(), OFFICIAL, level=level, every="month", tz="UTC")
        ).to_json()

    got = stats_of(imported, go)
    peak, at = oracle.peak(by_oblast=level == "oblast")
    assert (got["peak"], got["peak_at"]) == (peak, at)
    if level is None:
        assert (peak, at) == (73, "2022-05-04T17:06:17Z")  # as the data set's summary says
    buckets = got["buckets"]
    assert isinstance(buckets, list) and max(b["peak"] for b in buckets) == peak


def test_ranking_orders_oblasts_by_time_under_alert(imported: str, oracle: Oracle) -> None:
    since, until = "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z"

    async def go(stats: StatsService) -> list[tuple[str, int, float]]:
        _, ranked = await stats.ranking(
            "oblast", "UA", Window(when(since), when(until)), OFFICIAL, limit=5
        )
        return [(r.region.code, r.count, r.seconds) for r in ranked]

    ranked = stats_of(imported, go)
    assert [r[2] for r in ranked] == sorted((r[2] for r in ranked), reverse=True)
    top_name = oracle.db.execute(
        "SELECT alerts_dataset_name_en FROM read_csv(?) WHERE iso_3166_2 = ?",
        [str(shared_data("boundaries", "region_crosswalk_iso3166_2.csv")), ranked[0][0]],
    ).fetchone()
    assert top_name is not None
    expected = oracle.summary((top_name[0],), since, until)
    assert (ranked[0][1], ranked[0][2]) == (expected["count"], expected["seconds"])

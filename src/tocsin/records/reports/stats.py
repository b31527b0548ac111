"""Statistics answers (`tocsin.records.handlers.stats_answers`) as tables and charts."""

from __future__ import annotations

from collections.abc import Sequence

from tocsin.records.handlers.stats_answers import (
    WEEKDAYS,
    Bounds,
    ConcurrencyResult,
    ProfileResult,
    RegionStats,
    Series,
)
from tocsin.records.reports import charts
from tocsin.records.reports.charts import Chart
from tocsin.records.reports.tables import MEDIA_TYPES, Cell, Column, Table, to_csv, to_parquet

FORMATS = ("json", "csv", "parquet", "png", "svg")
Answer = RegionStats | Sequence[RegionStats] | Series | ProfileResult | ConcurrencyResult


def export(table: Table, chart: Chart, fmt: str) -> tuple[bytes, str]:
    """The answer in a file format, and its media type."""
    if fmt == "csv":
        return to_csv(table), MEDIA_TYPES[fmt]
    if fmt == "parquet":
        return to_parquet(table), MEDIA_TYPES[fmt]
    return charts.render(chart, fmt), MEDIA_TYPES[fmt]


def regions_table(stats: Sequence[RegionStats], title: str, lang: str = "en") -> Table:
    columns = [
        Column("region"), Column("name"), Column("level"), Column("since"), Column("until"),
        Column("count", "alerts"), Column("seconds", "s"), Column("hours", "h"),
        Column("share", "fraction of the window"), Column("median", "s"), Column("p95", "s"),
        Column("longest", "s"),
    ]  # fmt: skip
    rows = []
    for s in stats:
        view = s.to_json(lang)
        d = view["durations"]
        rows.append([
            view["region"], view["name"], view["level"], view["since"], view["until"],
            view["count"], view["seconds"], view["hours"], view["share"], d["median"], d["p95"],
            d["longest"],
        ])  # fmt: skip
    return Table(title, columns, rows)


def ranking_chart(stats: Sequence[RegionStats], bounds: Bounds, by: str, lang: str = "en") -> Chart:
    hours = by == "seconds"
    return Chart(
        "barh",
        f"Regions ranked by {'hours under alert' if hours else 'number of alerts'}, "
        f"{_window(bounds)}",
        "hours under alert (h)" if hours else "alerts started (count)",
        "region",
        [s.region.name(lang) for s in stats],
        [s.seconds / 3600 if hours else s.count for s in stats],
    )


def series_table(series: Series) -> Table:
    columns = [
        Column("start"),
        Column("alerts", "alerts started"),
        Column("seconds", "s"),
        Column("hours", "h"),
    ]
    rows: list[list[Cell]] = [
        [label.isoformat(), a, s, s / 3600]
        for label, a, s in zip(series.labels, series.alerts, series.seconds, strict=True)
    ]
    return Table(f"{series.region.code}: alerts per {series.every} ({series.tz})", columns, rows)


def series_chart(series: Series, metric: str = "hours", lang: str = "en") -> Chart:
    hours = metric == "hours"
    fmt = {
        "hour": "%Y-%m-%d %H:00",
        "day": "%Y-%m-%d",
        "week": "%Y-%m-%d",
        "month": "%Y-%m",
        "year": "%Y",
    }[series.every]
    return Chart(
        "bar",
        f"{series.region.name(lang)}: "
        f"{'hours under alert' if hours else 'alerts started'} per {series.every}, "
        f"{_window(series.bounds)}",
        f"{series.every} (starting, {series.tz})",
        "hours under alert (h)" if hours else "alerts started (count)",
        [label.strftime(fmt) for label in series.labels],
        [s / 3600 for s in series.seconds] if hours else list(series.alerts),
    )


def profile_table(result: ProfileResult) -> Table:
    view = result.to_json()
    columns = [
        Column("slot"),
        Column("label"),
        Column("alerts", "alerts started"),
        Column("seconds", "s"),
        Column("share", "fraction of the slot's time"),
    ]
    rows = [[s["slot"], s["label"], s["alerts"], s["seconds"], s["share"]] for s in view["slots"]]
    return Table(f"{result.region.code}: profile by {result.by} ({result.tz})", columns, rows)


def profile_chart(result: ProfileResult, lang: str = "en") -> Chart:
    hourly = result.by == "hour"
    labels = [f"{h:02d}:00" for h in range(24)] if hourly else list(WEEKDAYS)
    return Chart(
        "bar",
        f"{result.region.name(lang)}: share of time under alert by "
        f"{'hour of day' if hourly else 'day of week'}, {_window(result.bounds)}",
        f"{'hour of day' if hourly else 'day of week'} ({result.tz})",
        "time under alert (% of that slot)",
        labels,
        [float(v) * 100 for v in result.profile.share],
    )


def concurrency_table(result: ConcurrencyResult) -> Table:
    columns = [Column("start"), Column("peak", "regions under alert at once")]
    rows: list[list[Cell]] = [
        [label.isoformat(), p] for label, p in zip(result.labels, result.peaks, strict=True)
    ]
    return Table(f"{result.within.code}: regions under alert at once", columns, rows)


def concurrency_chart(result: ConcurrencyResult, lang: str = "en") -> Chart:
    what = f"{result.level}s" if result.level else "alerted regions"
    view = result.to_json(lang)
    return Chart(
        "step",
        f"{result.within.name(lang)}: {what} under alert at once (highest per {result.every}), "
        f"{_window(result.bounds)}",
        f"{result.every} (starting, {result.tz})",
        f"{what} under alert at once (count)",
        [
            label.strftime("%Y-%m-%d %H:%M" if result.every == "hour" else "%Y-%m-%d")
            for label in result.labels
        ],
        [float(p) for p in result.peaks],
        note=f"peak: {view['peak']} at {view['peak_at']}" if view["peak_at"] else "",
    )


def _window(bounds: Bounds) -> str:
    view = bounds.to_json()
    return f"{view['since'][:10]} to {view['until'][:10]} (UTC)"

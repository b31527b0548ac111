"""`tocsin stats`: statistics of time under alert, from the local database.

Each command prints a table, or `--json`, or writes `--format csv|parquet|png|svg` to
`--output FILE` (CSV goes to standard output without `--output`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
from rich.table import Table as RichTable

from tocsin.bootstrap import Tocsin
from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    with_tocsin,
)
from tocsin.errors import InvalidInput
from tocsin.records.handlers.stats import Filters, StatsService, Window
from tocsin.records.reports import stats as reports
from tocsin.records.reports.charts import Chart
from tocsin.records.reports.tables import Table

app = typer.Typer(
    help="Statistics: time under alert, rankings, series, profiles.", no_args_is_help=True
)
T = TypeVar("T")

Since = Annotated[str | None, typer.Option(help="window start: 2024-01-01 or an ISO time")]
Until = Annotated[str | None, typer.Option(help="window end (exclusive)")]
From = Annotated[
    str | None,
    typer.Option("--from", help="period start: a date (a day of --tz) or an ISO time"),
]
To = Annotated[
    str | None,
    typer.Option("--to", help="period end: a date (that whole day included) or an ISO time"),
]
Status = Annotated[str, typer.Option(help="actual, exercise, test, a comma list, or all")]
Threat = Annotated[str | None, typer.Option(help="threat ids, comma-separated")]
Source = Annotated[str | None, typer.Option(help="alert sources, e.g. ua-official")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]
Format = Annotated[str | None, typer.Option("--format", help="csv, parquet, png or svg")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="file to write")]
Tz = Annotated[str, typer.Option(help="time zone of days and hours, e.g. Europe/Kyiv")]
Every = Annotated[str, typer.Option(help="hour, day, week, month or year")]
Lang = Annotated[str, typer.Option(help="language of region names: en, uk, ru")]


@app.command()
@handle_errors
def region(
    code: Annotated[str, typer.Argument(help="region code, e.g. UA-63 (descendants included)")],
    start: From = None,
    end: To = None,
    since: Since = None,
    until: Until = None,
    status: Status = "actual",
    threat: Threat = None,
    source: Source = None,
    json: Json = False,
    fmt: Format = None,
    output: Output = None,
    lang: Lang = "en",
) -> None:
    """Alerts, time under alert and durations of one region (or any part of it)."""
    result = _ask(
        lambda s, f: s.region(code, _window(since, until, start, end), f),
        status,
        threat,
        source,
    )
    if json:
        return _json(result.to_json(lang))
    table = reports.regions_table([result], f"{code}: alerts and time under alert", lang)
    if fmt:
        return _write(table, None, fmt, output)
    view = result.to_json(lang)
    d = view["durations"]
    console.print(f"[bold]{view['name']}[/] ({code}), {view['since']} – {view['until']}")
    console.print(f"  alerts started   {view['count']}")
    console.print(f"  under alert      {view['hours']:.2f} h ({view['share']:.1%} of the window)")
    if d["median"] is not None:
        console.print(
            f"  durations        median {_minutes(d['median'])}, "
            f"p95 {_minutes(d['p95'])}, longest {_minutes(d['longest'])}"
        )


@app.command()
@handle_errors
def ranking(
    level: Annotated[str, typer.Option(help="oblast, raion, hromada, …")] = "oblast",
    within: Annotated[str | None, typer.Option(help="only regions under this one")] = None,
    by: Annotated[str, typer.Option(help="seconds or count")] = "seconds",
    limit: Annotated[int, typer.Option(min=1)] = 30,
    start: From = None,
    end: To = None,
    since: Since = None,
    until: Until = None,
    status: Status = "actual",
    threat: Threat = None,
    source: Source = None,
    json: Json = False,
    fmt: Format = None,
    output: Output = None,
    lang: Lang = "en",
) -> None:
    """Regions of one level ranked by time under alert (or by number of alerts)."""
    bounds, ranked = _ask(
        lambda s, f: s.ranking(
            level, within, _window(since, until, start, end), f, by=by, limit=limit
        ),
        status,
        threat,
        source,
    )
    if json:
        return _json({**bounds.to_json(), "regions": [r.to_json(lang) for r in ranked]})
    table = reports.regions_table(ranked, f"{level} ranking by {by}", lang)
    if fmt:
        return _write(table, reports.ranking_chart(ranked, bounds, by, lang), fmt, output)
    _print(table, ("region", "name", "count", "hours", "median", "p95", "longest"))


@app.command()
@handle_errors
def series(
    code: Annotated[str, typer.Argument(help="region code")] = "UA",
    every: Every = "day",
    tz: Tz = "UTC",
    metric: Annotated[str, typer.Option(help="what a chart shows: hours or alerts")] = "hours",
    start: From = None,
    end: To = None,
    since: Since = None,
    until: Until = None,
    status: Status = "actual",
    threat: Threat = None,
    source: Source = None,
    json: Json = False,
    fmt: Format = None,
    output: Output = None,
    lang: Lang = "en",
) -> None:
    """Alerts started and hours under alert per hour, day, week, month or year."""
    result = _ask(
        lambda s, f: s.series(code, _window(since, until, start, end, tz), f, every=every, tz=tz),
        status,
        threat,
        source,
    )
    if json:
        return _json(result.to_json(lang))
    table = reports.series_table(result)
    if fmt:
        return _write(table, reports.series_chart(result, metric, lang), fmt, output)
    _print(table, ("start", "alerts", "hours"))


@app.command()
@handle_errors
def profile(
    by: Annotated[str, typer.Argument(help="hour or weekday")],
    code: Annotated[str, typer.Option("--region", help="region code")] = "UA",
    tz: Tz = "UTC",
    start: From = None,
    end: To = None,
    since: Since = None,
    until: Until = None,
    status: Status = "actual",
    threat: Threat = None,
    source: Source = None,
    json: Json = False,
    fmt: Format = None,
    output: Output = None,
    lang: Lang = "en",
) -> None:
    """Alerts started and share of time under alert by hour of day or by weekday."""
    result = _ask(
        lambda s, f: s.profile(code, _window(since, until, start, end, tz), f, by=by, tz=tz),
        status,
        threat,
        source,
    )
    if json:
        return _json(result.to_json(lang))
    table = reports.profile_table(result)
    if fmt:
        return _write(table, reports.profile_chart(result, lang), fmt, output)
    _print(table, ("label", "alerts", "seconds", "share"))


@app.command()
@handle_errors
def concurrency(
    within: Annotated[str | None, typer.Option(help="region whose parts count [UA]")] = None,
    level: Annotated[
        str | None, typer.Option(help="count regions of this level; default: alerted regions")
    ] = None,
    every: Every = "day",
    tz: Tz = "UTC",
    start: From = None,
    end: To = None,
    since: Since = None,
    until: Until = None,
    status: Status = "actual",
    threat: Threat = None,
    source: Source = None,
    json: Json = False,
    fmt: Format = None,
    output: Output = None,
    lang: Lang = "en",
) -> None:
    """How many regions were under alert at once over time, and the peak."""
    result = _ask(
        lambda s, f: s.concurrency(
            within, _window(since, until, start, end, tz), f, level=level, every=every, tz=tz
        ),
        status,
        threat,
        source,
    )
    view = result.to_json(lang)
    if json:
        return _json(view)
    table = reports.concurrency_table(result)
    if fmt:
        return _write(table, reports.concurrency_chart(result, lang), fmt, output)
    console.print(f"peak: {view['peak']} {view['level']} regions at once, at {view['peak_at']}")
    _print(table, ("start", "peak"))


@app.command()
@handle_errors
def rebuild() -> None:
    """Project every live alert of the event log into the statistics again."""
    settings = current_settings()

    async def go(tocsin: Tocsin) -> int:
        return await tocsin.stats.projector.rebuild()

    console.print(f"{with_tocsin(settings, go)} alerts projected")


def parse_moment(text: str | None, field: str) -> datetime | None:
    """`2024-01-01`, `2024-01` or an ISO 8601 time (UTC unless it says otherwise)."""
    if text is None:
        return None
    value = text.strip()
    try:
        if len(value) == 7:
            return datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=UTC)
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field}: {text!r} is not a date or ISO time", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _window(
    since: str | None,
    until: str | None,
    start: str | None = None,
    end: str | None = None,
    tz: str = "UTC",
) -> Window:
    """`--from`/`--to` (dates of `tz`, `--to` including its day) or `--since`/`--until`."""
    moments = parse_moment(since, "since"), parse_moment(until, "until")
    return Window.asked(start, end, *moments, tz)


def _ask(
    question: Callable[[StatsService, Filters], Awaitable[T]],
    status: str,
    threat: str | None,
    source: str | None,
) -> T:
    settings = current_settings()

    async def go(tocsin: Tocsin) -> T:
        filters = Filters.parse(status, threat, source, tocsin.catalogue)
        return await question(tocsin.stats, filters)

    return with_tocsin(settings, go)


def _json(body: Any) -> None:
    console.print_json(orjson.dumps(body).decode())


def _write(table: Table, chart: Chart | None, fmt: str, output: Path | None) -> None:
    if fmt not in ("csv", "parquet", "png", "svg"):
        raise InvalidInput("--format must be csv, parquet, png or svg", field="format")
    if chart is None and fmt in ("png", "svg"):
        raise InvalidInput("this answer has no chart; use csv or parquet", field="format")
    body, _ = reports.export(table, chart or Chart("bar", "", "", "", [], []), fmt)
    if output is None:
        if fmt != "csv":
            raise InvalidInput(f"--format {fmt} needs --output FILE", field="output")
        typer.echo(body.decode(), nl=False)
        return
    output.write_bytes(body)
    console.print(f"wrote {output} ({len(body):,} bytes)")


def _print(table: Table, columns: tuple[str, ...]) -> None:
    shown = RichTable(*columns, box=None, title=table.title)
    for values in zip(*(table.column(c) for c in columns), strict=True):
        shown.add_row(*(_cell(v) for v in values))
    console.print(shown)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    return "" if value is None else str(value)


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f} min"

"""Statistics: time under alert per region, rankings, time series, profiles, concurrency.

Public reads. Every answer is JSON by default; `format=csv|parquet` gives the table and
`format=png|svg` a chart. Exercise and test alerts count only when `status` asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tocsin.api.deps import App, Language
from tocsin.api.inputs import Instant
from tocsin.api.views import answered_as, cached_json
from tocsin.errors import InvalidInput
from tocsin.records.handlers.stats import Filters, StatsService, Window
from tocsin.records.reports import stats as reports
from tocsin.records.reports.charts import Chart
from tocsin.records.reports.tables import Table

router = APIRouter(prefix="/v1/stats", tags=["statistics"])

Since = Annotated[
    Instant | None, Query(description="start of the period (ISO 8601 with offset); as `from`")
]
Until = Annotated[Instant | None, Query(description="end of the period (exclusive); as `to`")]
From = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=64,
        description="start of the period: a date (2024-01-31, a day of `tz`) or an ISO 8601 "
        "time with offset; left out: from the first alert",
    ),
]
To = Annotated[
    str | None,
    Query(
        alias="to",
        max_length=64,
        description="end of the period: a date (that whole day of `tz` included) or an ISO "
        "8601 time with offset (exclusive); left out: to the last end. Neither: all time",
    ),
]
Status = Annotated[str, Query(description="actual (default), exercise, test, a comma list, or all")]
Threat = Annotated[str | None, Query(description="threat ids, comma-separated (default: all)")]
Source = Annotated[
    str | None, Query(description="alert sources, e.g. ua-official, ua-volunteer, api")
]
Tz = Annotated[str, Query(description="time zone of days, hours and weekdays, e.g. Europe/Kyiv")]
Every = Annotated[str, Query(description="hour, day, week, month or year")]


async def stats_service(tocsin: App) -> StatsService:
    """The wired statistics service (one per application)."""
    return tocsin.stats


Stats = Annotated[StatsService, Depends(stats_service)]


async def filters(
    tocsin: App, status: Status = "actual", threat: Threat = None, source: Source = None
) -> Filters:
    return Filters.parse(status, threat, source, tocsin.catalogue)


Filter = Annotated[Filters, Depends(filters)]


@dataclass(frozen=True, slots=True)
class Period:
    """The period a question asks about, as given: `from`/`to`, or the older `since`/`until`."""

    start: str | None
    end: str | None
    since: datetime | None
    until: datetime | None

    def window(self, tz: str) -> Window:
        return Window.asked(self.start, self.end, self.since, self.until, tz)


async def period(
    start: From = None, end: To = None, since: Since = None, until: Until = None
) -> Period:
    return Period(start, end, since, until)


Asked = Annotated[Period, Depends(period)]


def _format(fmt: str, allowed: tuple[str, ...] = reports.FORMATS) -> str:
    if fmt not in allowed:
        raise InvalidInput(f"format must be one of {', '.join(allowed)}", field="format")
    return fmt


Format = Annotated[str, Query(alias="format", description="json, csv, parquet, png or svg")]
TABLES = answered_as("application/json", "text/csv", "application/vnd.apache.parquet")
CHARTS = answered_as(
    "application/json", "text/csv", "application/vnd.apache.parquet", "image/png", "image/svg+xml"
)


@router.get("/regions/{code}", summary="Alerts and time under alert of one region", **TABLES)
async def region_stats(
    code: str,
    request: Request,
    stats: Stats,
    flt: Filter,
    lang: Language,
    asked: Asked,
    tz: Tz = "UTC",
    fmt: Format = "json",
) -> Response:
    """`count`: alerts of the region or its descendants that started in the window; `seconds`:
    time in the window during which the region or any part of it was under alert (overlapping
    alerts counted once); durations of the counted alerts in seconds."""
    _format(fmt, ("json", "csv", "parquet"))
    result = await stats.region(code, asked.window(tz), flt)
    if fmt == "json":
        return cached_json(request, result.to_json(lang))
    table = reports.regions_table([result], f"{code}: alerts and time under alert", lang)
    return await _file(table, None, fmt, f"stats-{code}")


@router.get("/span", summary="The period that has data: first start and last end")
async def span(
    request: Request,
    stats: Stats,
    flt: Filter,
    lang: Language,
    region: str = "UA",
) -> Response:
    """When the region's alerts (or its parts', those the filters keep) began and ended:
    `first` (the earliest start) and `last` (the latest end, now while one is open), null
    when there is none. Pages default to this period."""
    return cached_json(request, (await stats.span(region, flt)).to_json(lang))


@router.get(
    "/ranking",
    summary="Regions of one level ranked by time under alert or count",
    **CHARTS,
)
async def ranking(
    request: Request,
    stats: Stats,
    flt: Filter,
    lang: Language,
    asked: Asked,
    level: str = "oblast",
    within: str | None = None,
    by: Annotated[str, Query(description="seconds or count")] = "seconds",
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
    tz: Tz = "UTC",
    fmt: Format = "json",
) -> Response:
    _format(fmt)
    bounds, ranked = await stats.ranking(level, within, asked.window(tz), flt, by=by, limit=limit)
    if fmt == "json":
        return cached_json(
            request,
            {
                "level": level,
                "within": within,
                "by": by,
                **bounds.to_json(),
                "filters": flt.to_json(),
                "regions": [r.to_json(lang) for r in ranked],
            },
        )
    table = reports.regions_table(ranked, f"{level} ranking by {by}", lang)
    return await _file(table, reports.ranking_chart(ranked, bounds, by, lang), fmt, "ranking")


@router.get(
    "/series",
    summary="Alerts started and hours under alert per day, week or month",
    **CHARTS,
)
async def series(
    request: Request,
    stats: Stats,
    flt: Filter,
    lang: Language,
    asked: Asked,
    region: str = "UA",
    every: Every = "day",
    tz: Tz = "UTC",
    metric: Annotated[str, Query(description="what charts show: hours or alerts")] = "hours",
    fmt: Format = "json",
) -> Response:
    _format(fmt)
    result = await stats.series(region, asked.window(tz), flt, every=every, tz=tz)
    if fmt == "json":
        return cached_json(request, {**result.to_json(lang), "filters": flt.to_json()})
    chart = reports.series_chart(result, metric, lang)
    return await _file(reports.series_table(result), chart, fmt, f"series-{region}-{every}")


@router.get("/profile/hour", summary="Alerts and time under alert by hour of day", **CHARTS)
async def hour_profile(
    request: Request,
    stats: Stats,
    flt: Filter,
    lang: Language,
    asked: Asked,
    region: str = "UA",
    tz: Tz = "UTC",
    fmt: Format = "json",
) -> Response:
    return await _profile(request, stats, flt, lang, region, "hour", tz, asked, fmt)


@router.get("/profile/weekday", summary="Alerts and time under alert by day of week", **CHARTS)
async def weekday_profile(
    request: Request,
    stats: Stats,
    flt: Filter,
    lang: Language,
    asked: Asked,
    region: str = "UA",
    tz: Tz = "UTC",
    fmt: Format = "json",
) -> Response:
    return await _profile(request, stats, flt, lang, region, "weekday", tz, asked, fmt)


@router.get(
    "/concurrency",
    summary="How many regions were under alert at once, and the peak",
    **CHARTS,
)
async def concurrency(
    request: Request,
    stats: Stats,
    flt: Filter,
    lang: Language,
    asked: Asked,
    within: str | None = None,
    level: Annotated[
        str | None,
        Query(
            description="count regions of this level (partly) under alert; "
            "default: the regions alerts named, at any level"
        ),
    ] = None,
    every: Every = "day",
    tz: Tz = "UTC",
    fmt: Format = "json",
) -> Response:
    _format(fmt)
    result = await stats.concurrency(within, asked.window(tz), flt, level=level, every=every, tz=tz)
    if fmt == "json":
        return cached_json(request, {**result.to_json(lang), "filters": flt.to_json()})
    chart = reports.concurrency_chart(result, lang)
    return await _file(reports.concurrency_table(result), chart, fmt, "concurrency")


async def _profile(
    request: Request,
    stats: StatsService,
    flt: Filters,
    lang: str,
    region: str,
    by: str,
    tz: str,
    asked: Period,
    fmt: str,
) -> Response:
    _format(fmt)
    result = await stats.profile(region, asked.window(tz), flt, by=by, tz=tz)
    if fmt == "json":
        return cached_json(request, {**result.to_json(lang), "filters": flt.to_json()})
    chart = reports.profile_chart(result, lang)
    return await _file(reports.profile_table(result), chart, fmt, f"profile-{by}-{region}")


async def _file(table: Table, chart: Chart | None, fmt: str, name: str) -> Response:
    if chart is None and fmt in ("png", "svg"):
        raise InvalidInput("this answer has no chart; use json, csv or parquet", field="format")
    assert chart is not None or fmt in ("csv", "parquet")
    body, media_type = await run_in_threadpool(reports.export, table, chart or _no_chart(), fmt)
    headers = {"Content-Disposition": f'inline; filename="{name}.{fmt}"'}
    return Response(body, media_type=media_type, headers=headers)


def _no_chart() -> Chart:
    return Chart("bar", "", "", "", [], [])

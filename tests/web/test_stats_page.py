"""The statistics page in headless Chromium, on a phone: after importing a real slice of the
official history it opens on the span that has data (not the last 30 days before today), the
period it shows is in the address, and the charts' text is readable."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from web_support import TIMEOUT, LiveWeb, screenshot

from conftest import shared_data
from tocsin.records.history.importer import HistoryImporter

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it (skip locally, fail in CI)
    expect = None  # type: ignore[assignment]

pytest_plugins = ("browser_support",)  # the `browser` and `live_web` fixtures
ROWS = 2000  # the official data set's first rows: 15 March to 5 April 2022
PHONE = {"width": 390, "height": 844}
SMALLEST_TEXT = 11.0  # CSS px


@pytest.fixture
def history_slice(tmp_path: Path) -> Path:
    """The header and the first `ROWS` rows of the real official data set."""
    path = tmp_path / "official_slice.csv"
    with shared_data("alerts", "official_data_en.csv").open(encoding="utf-8") as handle:
        path.write_text("".join(next(handle) for _ in range(ROWS + 1)), encoding="utf-8")
    return path


@pytest.fixture
def phone(browser: Any) -> Any:
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=3, locale="en-GB", timezone_id="UTC", is_mobile=True
    )
    ctx.set_default_timeout(TIMEOUT)
    yield ctx
    ctx.close()


def imported(live: LiveWeb, path: Path) -> tuple[int, set[int]]:
    report = live.run(
        HistoryImporter(live.tocsin.bus, live.tocsin.store).run(path, "ua-official", actor="test")
    )
    return report.added, {bad.line for bad in report.bad}


def intervals(path: Path, rejected: set[int]) -> list[tuple[datetime, datetime]]:
    with path.open(encoding="utf-8") as handle:
        return [
            (datetime.fromisoformat(row["started_at"]), datetime.fromisoformat(row["finished_at"]))
            for line, row in enumerate(csv.DictReader(handle), start=2)
            if line not in rejected
        ]


def seconds_under_alert(spans: list[tuple[datetime, datetime]]) -> float:
    """The union of the intervals, worked out here without tocsin."""
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += (end - start).total_seconds()
            reach = end
        elif end > reach:
            total += (end - reach).total_seconds()
            reach = end
    return total


def figures(page: Any) -> dict[str, str]:
    cards = page.locator("#figures .figure")
    expect(cards).to_have_count(5)
    return {
        cards.nth(i).locator(".label").inner_text(): cards.nth(i).locator(".value").inner_text()
        for i in range(5)
    }


def chart_text_sizes(page: Any) -> list[dict[str, Any]]:
    """Every chart text's rendered size in CSS px: its font size times the SVG's scale, and
    the height of its box."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('#charts svg text')].map((t) => ({
                text: t.textContent,
                size: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
                height: t.getBoundingClientRect().height,
            }))"""
        )
    )


def test_the_page_opens_on_the_span_of_imported_history_readable_on_a_phone(
    live_web: LiveWeb, phone: Any, history_slice: Path
) -> None:
    added, rejected = imported(live_web, history_slice)
    assert added == ROWS - len(rejected) and added > 1900
    spans = intervals(history_slice, rejected)
    first = min(s for s, _ in spans)
    last = max(e for _, e in spans)
    page = phone.new_page()
    page.goto(live_web.url + "/stats")
    expect(page.locator("#preset")).to_have_value("all")
    expect(page.locator("#from")).to_have_value(first.date().isoformat())
    expect(page.locator("#to")).to_have_value(last.date().isoformat())
    shown = figures(page)
    assert shown["alerts started"] == f"{added:,}"
    assert shown["time under alert"] == f"{round(seconds_under_alert(spans) / 3600):,} h"
    expect(page.locator("#chart-series figcaption")).to_contain_text("per day")
    expect(page.locator("#chart-series svg rect.bar")).to_have_count(
        (last.date() - first.date()).days + 1
    )
    expect(page.locator("#chart-ranking svg")).to_contain_text("Kharkiv Oblast")
    expect(page.locator("#chart-hours svg rect.bar")).to_have_count(24)
    sizes = chart_text_sizes(page)
    assert len(sizes) > 40
    small = [s for s in sizes if s["size"] < SMALLEST_TEXT or s["height"] < SMALLEST_TEXT]
    assert small == [], small[:5]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways"
    screenshot(page, "stats-phone")


def test_the_chosen_period_is_in_the_address_and_a_link_shows_it_again(
    live_web: LiveWeb, phone: Any, history_slice: Path
) -> None:
    imported(live_web, history_slice)
    page = phone.new_page()
    page.goto(live_web.url + "/stats")
    expect(page.locator("#figures .figure")).to_have_count(5)
    page.select_option("#preset", "30d")
    expect(page).to_have_url(re.compile(r"[?&]period=30d"))
    today = datetime.now(UTC).date().isoformat()
    expect(page.locator("#to")).to_have_value(today)
    page.fill("#from", "2022-03-20")
    page.fill("#to", "2022-03-21")
    page.locator("#to").dispatch_event("change")
    expect(page).to_have_url(re.compile(r"\?region=UA&from=2022-03-20&to=2022-03-21$"))
    expect(page.locator("#preset")).to_have_value("custom")
    shared = page.url
    other = phone.new_page()
    other.goto(shared)
    expect(other.locator("#from")).to_have_value("2022-03-20")
    expect(other.locator("#preset")).to_have_value("custom")
    answer = live_web.http.get(
        "/v1/stats/regions/UA", params={"from": "2022-03-20", "to": "2022-03-21", "tz": "UTC"}
    ).json()
    assert answer["since"] == "2022-03-20T00:00:00Z" and answer["until"] == "2022-03-22T00:00:00Z"
    assert 0 < answer["count"] < 1000
    expect(other.locator("#figures .figure").first).to_contain_text(f"{answer['count']:,}")
    expect(other.locator("#chart-series svg rect.bar")).to_have_count(2)
    other.goto(live_web.url + "/stats?period=all&region=UA-63")
    expect(other.locator("#region")).to_have_value("UA-63")
    expect(other.locator("#preset")).to_have_value("all")

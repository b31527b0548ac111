"""The console's drills page in headless Chromium: an operator plans a drill (a time in the
past refused beside its field first), sees it listed as planned, and cancels it; each step went
through /v1/drills with the session."""

from __future__ import annotations

from typing import Any

from web_support import LiveWeb, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it (skip locally, fail in CI)
    expect = None  # type: ignore[assignment]

pytest_plugins = ("browser_support",)  # the `browser`, `context` and `live_web` fixtures
Json = dict[str, Any]


def drills(live: LiveWeb) -> list[Json]:
    found: list[Json] = live.http.get("/v1/drills", headers=live.token()).json()["drills"]
    return found


def test_an_operator_plans_a_drill_sees_it_listed_and_cancels_it(
    live_web: LiveWeb, context: Any
) -> None:
    live_web.account("olha", "operator", "UA-63")
    page = sign_in(context, live_web, "/console/drills", "olha")
    expect(page.locator('#drill-threat option[value="missile"]')).to_be_attached()
    expect(page.locator("#schedule-mode")).to_contain_text("EXERCISE mode: drills are planned")
    expect(page.locator("#no-drills")).to_be_visible()

    page.fill("#drill-title", "Spring drill")
    page.fill("#drill-region-search", "Kharkiv Obl")
    page.press("#drill-region-search", "ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#drill-regions .chip")).to_have_count(1)
    page.select_option("#drill-threat", "missile")
    page.uncheck("#drill-sirens")
    later = page.input_value("#drill-start")  # two hours ahead, as the page proposes
    page.fill("#drill-start", "2020-03-01T10:00")
    page.click("#schedule-submit")
    problem = page.locator("#drill-start-problem")
    expect(problem).to_contain_text("is in the past")
    expect(page.locator("#drill-start")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#drill-title")).to_have_value("Spring drill")  # what was typed stays
    assert drills(live_web) == []

    page.fill("#drill-start", later)
    page.click("#schedule-submit")
    expect(page.locator("#result")).to_contain_text("Planned: Spring drill")
    expect(page.locator("#drill-start-problem")).to_have_count(0)
    item = page.locator("#drill-list li.drill")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-state", "scheduled")
    expect(item).to_contain_text("Planned Spring drill")
    expect(item).to_contain_text("sirens silent")
    [made] = drills(live_web)
    assert (made["title"], made["regions"]) == ("Spring drill", ["UA-63"])
    assert made["threat"] == "missile"
    assert (made["sirens"], made["announce_before"], made["duration"]) == (False, 3600, 600)
    assert made["created_by"].endswith("olha")

    item.locator("button.cancel-drill").click()
    expect(page.locator("#result")).to_contain_text("Cancelled: Spring drill")
    expect(item).to_have_attribute("data-state", "cancelled")
    expect(item.locator("button.cancel-drill")).to_have_count(0)
    assert [d["state"] for d in drills(live_web)] == ["cancelled"]
    entries = live_web.http.get("/v1/audit", headers=live_web.token()).json()["entries"]
    actions = [row["action"] for row in entries if "olha" in row["actor"]]
    assert sorted(a for a in actions if "drill" in a) == ["drill.cancelled", "drill.scheduled"]


def test_a_session_in_actual_mode_is_refused_a_drill(live_web: LiveWeb, context: Any) -> None:
    live_web.account("taras", "operator", "UA-63")
    page = sign_in(context, live_web, "/console/drills", "taras")
    expect(page.locator('#drill-threat option[value="missile"]')).to_be_attached()
    page.click('#mode-switch button[data-mode="actual"]')
    page.click("#confirm-yes")
    expect(page.locator("body")).to_have_attribute("data-mode", "actual")
    expect(page.locator("#schedule-mode")).to_contain_text("switch to EXERCISE to plan a drill")
    page.fill("#drill-title", "Night drill")
    page.fill("#drill-region-search", "Kharkiv Obl")
    page.press("#drill-region-search", "ArrowDown")
    page.keyboard.press("Enter")
    page.click("#schedule-submit")
    refused = page.locator("#schedule-form .form-error, #schedule-form .field-problem")
    expect(refused).to_contain_text("exercise")
    expect(page.locator("#result")).to_have_text("")
    assert drills(live_web) == []

    page.click('#mode-switch button[data-mode="exercise"]')
    expect(page.locator("body")).to_have_attribute("data-mode", "exercise")
    page.click("#schedule-submit")
    expect(page.locator("#result")).to_contain_text("Planned: Night drill")
    assert [d["title"] for d in drills(live_web)] == ["Night drill"]

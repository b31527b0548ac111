"""The console's incidents page in headless Chromium, as a duty officer uses it in an exercise:
record an incident, refused input shown beside its field, two disagreeing claims, verify one
and see the figure change, retract it and see the figure go back, a response with progress,
close it (the list filtered by status) and reopen it; a claim on an incident closed meanwhile,
refused under its form; and the mode guarding it all: an actual session neither lists nor
changes the exercise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from web_support import LiveWeb, screenshot, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it (skip locally, fail in CI)
    expect = None  # type: ignore[assignment]

pytest_plugins = ("browser_support",)  # the `browser`, `context` and `live_web` fixtures
Json = dict[str, Any]
DRILL = {
    "regions": ["UA-63"],
    "threats": ["uav"],
    "start": "2026-03-01T01:30:00Z",
    "mode": "exercise",
}


def open_console(context: Any, live: LiveWeb, username: str) -> Any:
    page = sign_in(context, live, "/console/incidents", username)
    expect(page.locator("#create-threats input").first).to_be_attached()
    return page


def exercise_incidents(live: LiveWeb) -> list[Json]:
    answer = live.http.get("/v1/incidents", params={"mode": "exercise"})
    found: list[Json] = answer.json()["incidents"]
    return found


def figure(page: Any, measure: str) -> Any:
    return page.locator(f'#incident-figures tr[data-measure="{measure}"]')


def add_claim(page: Any, kind: str, source: str, grade: str, **numbers: str) -> None:
    form = page.locator("#claim-form")
    form.locator("#claim-measure").select_option("injured")
    form.locator(f'input[name=count-kind][value="{kind}"]').check()
    for name, value in numbers.items():
        form.locator(f"#claim-{name}").fill(value)
    form.locator("#claim-source").fill(source)
    form.locator("#claim-source-kind").select_option("official")
    form.locator("#claim-reliability").select_option(grade)
    form.locator("button[type=submit]").click()
    expect(page.locator("#result")).to_contain_text("Claim added: Injured")
    expect(page.locator(f'#incident-claims li.claim:has-text("{source}")')).to_be_visible()


def test_an_officer_records_an_exercise_incident_with_disagreeing_claims(
    live_web: LiveWeb, context: Any
) -> None:
    live_web.account("ivan", "operator", "UA-63")
    page = open_console(context, live_web, "ivan")
    expect(page.locator("body")).to_have_attribute("data-mode", "exercise")
    expect(page.locator("#create-submit")).to_have_text("Record EXERCISE incident")
    expect(page.locator("#list-mode")).to_contain_text("EXERCISE incidents")
    expect(page.locator('.site-nav a[href="/console/incidents"]')).to_have_attribute(
        "aria-current", "page"
    )

    page.fill("#create-name", "Night strike on Kharkiv")
    page.click("#create-submit")  # no region yet: refused, shown beside the regions
    problem = page.locator("#create-regions + .field-problem")
    expect(problem).to_contain_text("at least one region")
    expect(page.locator("#create-region-search")).to_have_attribute("aria-invalid", "true")
    assert exercise_incidents(live_web) == []
    page.fill("#create-region-search", "Kharkiv Obl")  # picked with the keyboard
    page.press("#create-region-search", "ArrowDown")
    expect(page.locator('#create-region-results button[data-code="UA-63"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#create-regions .chip")).to_have_count(1)
    page.check('#create-threats input[value="missile"]')
    page.click("#create-submit")
    expect(page.locator("#result")).to_contain_text("Recorded: EXERCISE incident")
    panel = page.locator("#incident-panel")
    expect(panel).to_have_attribute("data-mode", "exercise")
    expect(panel).to_have_attribute("data-status", "open")
    expect(panel.locator(".incident-status")).to_have_text("Open")
    expect(page.locator("#incident-heading")).to_contain_text("Night strike on Kharkiv")
    expect(page.locator("#incident-list li")).to_have_count(1)
    expect(page.locator("#create-regions + .field-problem")).to_have_count(0)
    [recorded] = exercise_incidents(live_web)
    assert (recorded["title"], recorded["created_by"]) == ("Night strike on Kharkiv", "ivan")
    assert live_web.http.get("/v1/incidents").json()["incidents"] == []  # not an actual one

    seq = live_web.http.get("/v1/events", params={"limit": 1}).json()["last_seq"]
    page.locator("#claim-form button[type=submit]").click()  # no number: refused
    expect(page.locator("#claim-value-problem")).to_be_visible()
    page.fill("#claim-value", "5")
    page.locator("#claim-form button[type=submit]").click()  # no source: refused
    expect(page.locator("#claim-source-problem")).to_contain_text("source")
    expect(page.locator("#claim-value-problem")).to_have_count(0)
    expect(page.locator("#claim-source")).to_be_focused()
    expect(page.locator("#claim-value")).to_have_value("5")  # what was typed stays
    assert live_web.http.get("/v1/events", params={"limit": 1}).json()["last_seq"] == seq

    add_claim(page, "exact", "Kharkiv Oblast Military Administration", "A", value="5")
    expect(figure(page, "injured")).to_contain_text("5")
    add_claim(page, "range", "Suspilne Kharkiv", "B", min="7", max="9")
    injured = figure(page, "injured")
    expect(injured.locator(".figure-value")).to_have_text("5–9")
    expect(injured.locator(".figure-status")).to_have_text("Unverified reports")
    expect(injured).to_contain_text("range of 2 unverified")

    official = page.locator('#incident-claims li.claim:has-text("Military Administration")')
    official.locator('button[data-action="verify"]').click()
    expect(page.locator("#result")).to_contain_text("Verified: Injured 5")
    expect(injured.locator(".figure-value")).to_have_text("5")
    expect(injured.locator(".figure-status")).to_have_text("Confirmed")
    expect(injured).to_contain_text("most reliable source")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "console-incidents", full_page=False)

    official.locator('button[data-action="retract"]').click()
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Injured 5 (Kharkiv Oblast Military Administration)")
    page.fill("#retract-reason", "the administration corrected itself")
    page.click("#confirm-yes")
    expect(dialog).to_be_hidden()
    expect(injured.locator(".figure-value")).to_have_text("7–9")
    expect(injured.locator(".figure-status")).to_have_text("Unverified reports")
    expect(official).to_have_attribute("data-status", "retracted")
    expect(official.locator(".claim-history li")).to_have_count(3)
    expect(official).to_contain_text("the administration corrected itself")

    response = page.locator("#response-form")
    response.locator("#response-kind").select_option("evacuation")
    expect(response.locator("#response-task")).to_be_hidden()
    response.locator("#response-party").fill("SES Kharkiv")
    response.locator("#response-people").fill("40")
    response.locator("button[type=submit]").click()
    expect(page.locator("#result")).to_contain_text("Response added: Evacuation")
    action = page.locator("#incident-responses li.response")
    expect(action).to_contain_text("SES Kharkiv")
    action.locator("[data-field=progress]").fill("150")  # out of range: refused beside it
    action.locator("button[type=submit]").click()
    expect(action.locator(".field-problem")).to_be_visible()
    action.locator("[data-field=progress]").fill("60")
    action.locator("button[type=submit]").click()
    expect(page.locator("#result")).to_contain_text("Evacuation: 60 %")
    page.locator('#incident-responses button[data-action="complete"]').click()
    expect(action).to_have_attribute("data-status", "completed")

    stored = live_web.http.get(f"/v1/incidents/{recorded['id']}").json()
    assert [(c["value"], c["min"], c["max"], c["status"]) for c in stored["claims"]] == [
        (5, 5, 5, "retracted"),
        (None, 7, 9, "unverified"),
    ]
    assert stored["figures"]["injured"]["text"] == "7–9"
    assert [(r["kind"], r["people"], r["status"]) for r in stored["responses"]] == [
        ("evacuation", 40, "completed")
    ]

    page.fill("#status-note", "all figures in")
    page.click("#close")
    expect(page.locator("#result")).to_contain_text("The incident is closed.")
    expect(panel).to_have_attribute("data-status", "closed")
    expect(panel.locator(".incident-status")).to_have_text("Closed")
    expect(page.locator("#claim-form")).to_have_count(0)
    for status, count in (("open", 0), ("closed", 1), ("", 1)):
        page.select_option("#filter-status", status)
        page.click("#filter-form button[type=submit]")
        expect(page.locator("#incident-list li")).to_have_count(count)
    page.click("#reopen")
    expect(panel).to_have_attribute("data-status", "open")
    assert live_web.http.get(f"/v1/incidents/{recorded['id']}").json()["status"] == "open"


def test_a_claim_on_an_incident_closed_meanwhile_is_refused_under_the_form(
    live_web: LiveWeb, context: Any
) -> None:
    admin = live_web.token()
    live_web.account("ivan", "operator", "UA-63")
    page = open_console(context, live_web, "ivan")
    made = live_web.http.post(
        "/v1/incidents",
        headers=admin,
        json={**DRILL, "title": "Drill strike"},
    ).json()
    page.click("#filter-form button[type=submit]")
    page.locator("#incident-list .select-alert").first.click()
    form = page.locator("#claim-form")
    expect(form).to_be_visible()
    closed = live_web.http.post(f"/v1/incidents/{made['id']}/close", headers=admin)
    assert closed.json()["status"] == "closed"
    form.locator("#claim-measure").select_option("injured")
    form.locator("#claim-value").fill("2")
    form.locator("#claim-source").fill("OVA")
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_contain_text("is closed")
    expect(form.locator("[aria-invalid]")).to_have_count(0)
    expect(form.locator("#claim-value")).to_have_value("2")
    assert live_web.http.get(f"/v1/incidents/{made['id']}").json()["claims"] == []


def test_an_actual_session_neither_lists_nor_changes_an_exercise(
    live_web: LiveWeb, context: Any
) -> None:
    admin = live_web.token()
    made = live_web.http.post(
        "/v1/incidents",
        headers=admin,
        json={**DRILL, "title": "Drill strike"},
    ).json()
    live_web.account("olena", "operator", "UA-63")
    page = open_console(context, live_web, "olena")
    page.locator("#incident-list .select-alert").first.click()
    expect(page.locator("#claim-form")).to_be_visible()
    page.click('#mode-switch button[data-mode="actual"]')
    page.click("#confirm-yes")
    expect(page.locator("body")).to_have_attribute("data-mode", "actual")
    expect(page.locator("#incident-list li")).to_have_count(0)
    expect(page.locator("#incident-panel .mismatch")).to_contain_text("This incident is EXERCISE")
    expect(page.locator("#claim-form")).to_have_count(0)
    expect(page.locator("#status-form")).to_have_count(0)
    expect(page.locator("#create-submit")).to_have_text("Record ACTUAL incident")

    public = context.new_page()
    public.goto(live_web.url + "/incidents")
    expect(public.locator("#no-incidents")).to_be_visible()
    public.check("#show-exercises")
    item = public.locator(".incident-item")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-id", made["id"])
    expect(item).to_have_attribute("data-mode", "exercise")
    expect(item.locator(".marker")).to_have_text("EXERCISE")


def test_an_actual_incident_is_published_by_an_officer_after_its_delay(
    live_web: LiveWeb, context: Any
) -> None:
    admin = live_web.token()
    now = datetime.now(UTC).replace(microsecond=0)
    strike = {"regions": ["UA-63"], "threats": ["missile"], "mode": "actual"}
    fresh = live_web.http.post(
        "/v1/incidents",
        headers=admin,
        json={**strike, "title": "Fresh strike", "start": now.isoformat()},
    ).json()
    old = live_web.http.post(
        "/v1/incidents",
        headers=admin,
        json={**strike, "title": "Old strike", "start": (now - timedelta(days=1)).isoformat()},
    ).json()
    assert live_web.http.get("/v1/incidents").json()["incidents"] == []  # neither is public
    live_web.account("olena", "operator", "UA-63")
    page = open_console(context, live_web, "olena")
    page.click('#mode-switch button[data-mode="actual"]')
    page.click("#confirm-yes")
    expect(page.locator("body")).to_have_attribute("data-mode", "actual")
    expect(page.locator("#incident-list li")).to_have_count(2)  # the officer sees both

    page.locator(f'#incident-list .select-alert[data-id="{fresh["id"]}"]').click()
    expect(page.locator("#publish-when")).to_contain_text("It may be published from")
    expect(page.locator("#publish")).to_be_disabled()  # six hours to wait

    page.locator(f'#incident-list .select-alert[data-id="{old["id"]}"]').click()
    expect(page.locator("#incident-heading")).to_contain_text("Old strike")
    expect(page.locator("#publish-when")).to_contain_text("It may be published now")
    page.click("#publish")
    expect(page.locator("#confirm")).to_contain_text("Old strike")
    page.click("#confirm-yes")
    expect(page.locator("#result")).to_contain_text("Published")
    expect(page.locator("#publish")).to_have_count(0)
    expect(page.locator("#incident-panel")).to_contain_text("published")
    listed = live_web.http.get("/v1/incidents").json()["incidents"]
    assert [i["id"] for i in listed] == [old["id"]]

    public = context.new_page()  # the same browser, signed in: the public page shows the public's
    public.goto(live_web.url + "/incidents")
    item = public.locator(".incident-item")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-id", old["id"])


def test_the_incidents_pages_fit_a_1440_pixel_screen(live_web: LiveWeb, browser: Any) -> None:
    admin = live_web.token()
    made = live_web.http.post(
        "/v1/incidents", headers=admin, json={**DRILL, "title": "Drill strike " + "long " * 30}
    ).json()
    claim = {"measure": "injured", "min": 7, "max": 9, "source": "Suspilne Kharkiv " * 8}
    live_web.http.post(f"/v1/incidents/{made['id']}/claims", headers=admin, json=claim)
    live_web.account("ivan", "operator", "UA-63")
    wide = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    try:
        page = open_console(wide, live_web, "ivan")
        page.locator("#incident-list .select-alert").first.click()
        expect(page.locator("#claim-form")).to_be_visible()
        width = "document.documentElement.scrollWidth"
        assert page.evaluate(width) <= 1440
        public = wide.new_page()
        public.goto(live_web.url + "/incidents")
        public.check("#show-exercises")
        public.locator(".incident-item").first.click()
        expect(public.locator("#incident")).to_be_visible()
        assert public.evaluate(width) <= 1440
    finally:
        wide.close()

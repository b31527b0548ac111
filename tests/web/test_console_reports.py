"""The console's reports page in headless Chromium: an operator pastes a report, sees what was
read highlighted in the text with its proposals beside it, is refused beside the field when the
source is missing, accepts the figure, and finds it on the incident it matched."""

from __future__ import annotations

import re
from typing import Any

from web_support import LiveWeb, screenshot, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it (skip locally, fail in CI)
    expect = None  # type: ignore[assignment]

pytest_plugins = ("browser_support",)  # the `browser`, `context` and `live_web` fixtures
Json = dict[str, Any]
TEXT = (  # the emoji are two UTF-16 units each in the page, one character each in the API
    "🚨🚀 Overnight a missile strike hit Kharkiv. 28 people were wounded, "
    "the Kharkiv regional administration reports."
)


def test_an_operator_reads_a_report_and_accepts_a_figure_onto_the_incident(
    live_web: LiveWeb, context: Any
) -> None:
    admin = live_web.token()
    made = live_web.http.post(
        "/v1/incidents",
        json={
            "regions": ["UA-63"],
            "threats": ["missile"],
            "start": "2026-02-28T23:30:00Z",
            "mode": "exercise",
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    incident = made.json()["id"]
    old = live_web.http.post(
        f"/v1/incidents/{incident}/claims",
        json={"measure": "injured", "value": 22, "source": {"name": "Kharkiv OVA"}},
        headers=admin,
    ).json()["id"]
    live_web.account("iryna", "operator", "UA-63")
    page = sign_in(context, live_web, "/console/reports", "iryna")
    expect(page.locator("#submit-mode")).to_contain_text("EXERCISE")

    page.fill("#report-text", TEXT)
    page.fill("#published-at", "2026-03-01T08:00")
    page.click("#report-submit")
    expect(page.locator("#source-name-problem")).to_be_visible()  # no source: refused there
    expect(page.locator("#source-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#report-text")).to_have_value(TEXT)
    assert live_web.http.get("/v1/reports?mode=all", headers=admin).json()["reports"] == []

    page.fill("#source-name", "Kharkiv OVA")
    page.click("#report-submit")
    expect(page.locator("#report-panel")).to_be_visible()
    claim_marks = page.locator("#report-body mark.hl-claim")
    expect(claim_marks).to_have_count(1)
    expect(claim_marks.first).to_contain_text("28")
    [listed] = live_web.http.get("/v1/reports?mode=all", headers=admin).json()["reports"]
    read = live_web.http.get(f"/v1/reports/{listed['id']}", headers=admin).json()
    [quote] = [c["evidence"]["quote"] for c in read["draft"]["claims"]]
    assert claim_marks.first.evaluate("m => m.firstChild.textContent") == quote
    expect(page.locator("#report-body mark.hl-place").first).to_contain_text("Kharkiv")
    expect(page.locator("#legend li")).to_have_count(5)
    expect(page.locator(f'#report-matches a[data-id="{incident}"]')).to_be_visible()
    proposal = page.locator('#proposals li.proposal[data-kind="claim"]').first
    expect(proposal).to_contain_text("correction")
    claim_marks.first.hover()
    expect(proposal).to_have_class(re.compile(r"\blinked\b"))
    screenshot(page, "console-reports")

    proposal.locator("button.accept").click()
    expect(page.locator("#result")).to_contain_text("Accepted")
    expect(proposal).to_have_attribute("data-status", "accepted")
    record = live_web.http.get(f"/v1/incidents/{incident}", headers=admin).json()
    [new] = [c for c in record["claims"] if c["id"] != old]
    assert (new["measure"], new["value"], new["supersedes"]) == ("injured", 28, [old])
    assert new["source"]["name"] == "Kharkiv OVA"
    assert new["report"]["quote"] in TEXT and "28" in new["report"]["quote"]
    assert record["figures"]["injured"]["value"] == 28

    page.locator("#proposals a.to-incident").first.click()
    quote = page.locator(f'li.claim[data-claim-id="{new["id"]}"] .claim-report q')
    expect(quote).to_have_text(new["report"]["quote"])  # the claim shows the words it came from


def test_without_a_match_the_officer_records_the_incident_then_its_figures(
    live_web: LiveWeb, context: Any
) -> None:
    admin = live_web.token()
    live_web.account("marko", "operator", "UA-63")
    page = sign_in(context, live_web, "/console/reports", "marko")
    page.fill(
        "#report-text",
        "Overnight Russia attacked Kharkiv with Shahed drones. Two people were injured. "
        "Last week a missile strike on Odesa killed 35 people.",
    )
    page.fill("#source-name", "Kharkiv OVA")
    page.fill("#published-at", "2026-03-01T08:00")
    page.click("#report-submit")
    expect(page.locator("#report-matches")).to_contain_text("No recorded incident matches")
    expect(page.locator("#report-body mark.hl-other")).to_have_count(1)
    new = page.locator('#proposals li.proposal[data-kind="incident"]')
    figure = page.locator('#proposals li.proposal[data-kind="claim"]:not(.other)')
    other = page.locator("#proposals li.proposal.other")
    expect(other).to_contain_text("another event")

    figure.locator("button.accept").click()  # the incident is not recorded yet: beside incident
    expect(figure.locator(".field-problem")).to_contain_text("accept the proposal to record")
    expect(figure.locator('[data-field="incident_id"]')).to_have_attribute("aria-invalid", "true")
    expect(figure).to_have_attribute("data-status", "pending")

    new.locator("button.edit").click()
    new.locator('[data-field="regions"]').fill("")
    new.locator("button.accept").click()
    expect(new.locator(".field-problem")).to_contain_text("region")  # beside the regions
    new.locator('[data-field="regions"]').fill("UA-63")
    new.locator("button.accept").click()
    expect(new).to_have_attribute("data-status", "accepted")
    figure.locator("button.accept").click()
    expect(figure).to_have_attribute("data-status", "accepted")
    other.locator("button.reject").click()
    expect(other).to_have_attribute("data-status", "rejected")

    [report] = live_web.http.get("/v1/reports?mode=exercise", headers=admin).json()["reports"]
    made = next(p for p in report["proposals"] if p["kind"] == "incident")
    incident = made["decision"]["incident_id"]
    record = live_web.http.get(f"/v1/incidents/{incident}", headers=admin).json()
    assert record["mode"] == "exercise"
    assert [r["code"] for r in record["regions"]] == ["UA-63"]
    assert [(c["measure"], c["value"]) for c in record["claims"]] == [("injured", 2)]

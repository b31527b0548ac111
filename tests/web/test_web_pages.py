"""The pages over plain HTTP: served with strict security headers, every asset shipped with the
package (no CDN, no external URL), strings in every language, and the console's status API."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from web_support import web_app

from tocsin.bootstrap import Tocsin
from tocsin.config import Settings
from tocsin.domain.approval import ApprovalPolicy
from tocsin.storage.delivery_store import Attempt
from tocsin.web import delivery, install, pages

STATIC = pages.static_dir()
TEMPLATES = STATIC.parent / "templates"
VENDOR = STATIC / "vendor"  # others' bundles, as published: test_api_docs.py loads them offline
SHIPPED = sorted(
    p
    for p in [*STATIC.rglob("*"), *TEMPLATES.rglob("*")]
    if p.is_file() and VENDOR not in p.parents
)
REPO = Path(__file__).resolve().parents[2]
# XML namespace names: identifiers that are never fetched
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml"}
URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)<>]*""", re.IGNORECASE)
COMMENT = re.compile(r"^\s*(//|/\*|\*|<!--)")


@pytest.fixture
async def web() -> AsyncIterator[httpx.AsyncClient]:
    """Pages and assets need no database: the app is not even started."""
    transport = httpx.ASGITransport(app=web_app(Settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as http:
        yield http


@pytest.fixture
async def api(tocsin: Tocsin) -> AsyncIterator[httpx.AsyncClient]:
    """The app over the test's database (SQLite and PostgreSQL)."""
    app = web_app(tocsin.settings)
    app.state.tocsin = tocsin
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as http:
        yield http


@pytest.mark.parametrize("path", sorted(pages.PAGES))
async def test_every_page_is_served_with_strict_security_headers(
    web: httpx.AsyncClient, path: str
) -> None:
    answer = await web.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    csp = {
        d.split()[0]: d.split()[1:] for d in answer.headers["content-security-policy"].split("; ")
    }
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"
    assert (await web.head(path)).status_code == 200


@pytest.mark.parametrize("path", sorted(pages.PAGES))
async def test_pages_load_only_shipped_scripts_and_styles(
    web: httpx.AsyncClient, path: str
) -> None:
    html = (await web.get(path)).text
    assert "<script>" not in html and " style=" not in html  # nothing inline: CSP forbids it
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assets = [r for r in refs if r.startswith("/static/")]
    assert len(assets) >= 3  # icon, stylesheet, script
    assert not [r for r in refs if "//" in r], "pages must not reference other hosts"
    for ref in assets:
        answer = await web.get(ref)
        assert answer.status_code == 200, ref
        assert answer.headers["x-content-type-options"] == "nosniff"


async def test_each_page_has_its_language_viewport_and_script(web: httpx.AsyncClient) -> None:
    for path, page in pages.PAGES.items():
        html = (await web.get(path)).text
        assert '<html lang="en">' in html and 'name="viewport"' in html, path
        assert f'src="/static/{page.script}?v=' in html and 'type="module"' in html, path
        assert re.search(r"\$\{?\w", html) is None, path  # every placeholder filled
    live = (await web.get("/")).text
    assert 'aria-live="assertive"' in live and 'id="announcer"' in live
    console = (await web.get("/console")).text
    assert 'id="mode-banner"' in console and 'id="login-form"' in console


@pytest.mark.parametrize(
    ("name", "media"),
    [
        ("live.js", "javascript"),
        ("style.css", "text/css"),
        ("i18n.json", "application/json"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
async def test_assets_are_served_with_their_types(
    web: httpx.AsyncClient, name: str, media: str
) -> None:
    answer = await web.get(f"/static/{name}")
    assert answer.status_code == 200 and media in answer.headers["content-type"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    again = await web.get(f"/static/{name}", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path", ["/static/nope.js", "/static/../pages.py", "/static/%2e%2e/pages.py"]
)
async def test_nothing_outside_the_static_folder_is_served(
    web: httpx.AsyncClient, path: str
) -> None:
    assert (await web.get(path)).status_code == 404


def _external_urls(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if COMMENT.match(line) or "licen" in line.lower():
            continue
        for url in URL.findall(line):
            if url.rstrip("\"';,") not in NAMESPACES:
                found.append(f"{path.name}:{number}: {url}")
    return found


def test_no_shipped_asset_refers_to_another_host() -> None:
    assert len(SHIPPED) >= 20
    offending = [hit for path in SHIPPED if path.suffix != ".png" for hit in _external_urls(path)]
    assert offending == []


@pytest.mark.parametrize("bundle", sorted(p.name for p in VENDOR.iterdir()))
def test_each_vendored_bundle_ships_its_licence_and_is_named_in_the_notice(bundle: str) -> None:
    assert (VENDOR / bundle / "LICENSE").is_file()
    assert f"web/static/vendor/{bundle}/" in (REPO / "NOTICE.md").read_text(encoding="utf-8")


def test_the_url_scan_catches_cdn_references(tmp_path: Path) -> None:
    sample = tmp_path / "bad.js"
    sample.write_text(
        'import x from "https://cdn.example.com/x.js";\n'
        "// https://example.org/in-a-comment is fine\n"
        'const ns = "http://www.w3.org/2000/svg";\n'
        'link.href = "//fonts.example.net/font.css";\n'
    )
    assert [hit.split(": ", 1)[1] for hit in _external_urls(sample)] == [
        "https://cdn.example.com/x.js",
        "//fonts.example.net/font.css",
    ]


def test_styles_use_system_fonts_only() -> None:
    css = (STATIC / "style.css").read_text()
    assert "@font-face" not in css and "@import" not in css and "url(" not in css
    assert "system-ui" in css


def test_every_string_exists_in_every_language_with_the_same_placeholders() -> None:
    strings = json.loads((STATIC / "i18n.json").read_text(encoding="utf-8"))
    assert sorted(strings) == ["en", "ru", "uk"]
    for lang in ("uk", "ru"):
        assert set(strings[lang]) == set(strings["en"]), lang
        for key, text in strings["en"].items():
            wanted = set(re.findall(r"\{(\w+)\}", text))
            assert set(re.findall(r"\{(\w+)\}", strings[lang][key])) == wanted, (lang, key)
            assert strings[lang][key].strip(), (lang, key)


def test_every_string_the_code_asks_for_exists() -> None:
    strings = json.loads((STATIC / "i18n.json").read_text(encoding="utf-8"))["en"]
    asked = set()
    for path in SHIPPED:
        if path.suffix not in (".js", ".html"):
            continue
        code = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not COMMENT.match(line)
        ]
        for line in code:
            asked |= set(re.findall(r'\bt\("([\w.]+)"', line))
            asked |= set(re.findall(r'data-i18n="([\w.]+)"', line))
            for pairs in re.findall(r'data-i18n-attr="([^"]+)"', line):
                asked |= {pair.split(":")[1] for pair in pairs.split(";")}
    asked |= {f"page.{page.script.removesuffix('.js')}" for page in pages.PAGES.values()}
    assert asked and sorted(asked - set(strings)) == []


async def test_console_status_needs_a_signed_in_caller(
    tocsin: Tocsin, api: httpx.AsyncClient
) -> None:
    assert (await api.get("/console/api/status")).status_code == 401
    token = await tocsin.tokens.create("viewer", (), name="screen")
    headers = {"Authorization": f"Bearer {token.secret}"}
    tocsin.alerts.policy = ApprovalPolicy(more_regions_than=2, free_text=True)
    body = (await api.get("/console/api/status", headers=headers)).json()
    assert body["approval"] == {"more_regions_than": 2, "free_text": True, "always": False}
    assert body["stream_subscribers"] == 0 and body["deliveries"] is None
    assert (await api.get("/console/api/status?event=0", headers=headers)).status_code == 422


@pytest.mark.parametrize(
    ("query", "held", "reason"),
    [
        ({"status": "actual", "regions": ["UA-63"]}, False, None),
        ({"status": "actual", "regions": ["UA-63", "UA-59"]}, True, "it covers 2 regions"),
        ({"status": "actual", "regions": ["UA-59", "UA-59-R116"]}, False, None),  # one oblast
        ({"status": "actual", "regions": ["UA"]}, True, "regions; more than 1"),
        ({"status": "exercise", "regions": ["UA-63", "UA-59"]}, False, None),
        ({"status": "actual", "regions": ["UA-63"], "text": "Go now"}, True, "free text"),
    ],
)
async def test_console_hold_answers_with_the_servers_own_two_person_rule(
    tocsin: Tocsin, api: httpx.AsyncClient, query: dict[str, object], held: bool, reason: str | None
) -> None:
    tocsin.alerts.policy = ApprovalPolicy(more_regions_than=1, free_text=True)
    token = await tocsin.tokens.create("operator", ("UA",), name="desk")
    headers = {"Authorization": f"Bearer {token.secret}"}
    body = (await api.post("/console/api/hold", headers=headers, json=query)).json()
    assert body["held"] is held
    assert (reason is None and body["reason"] is None) or (reason or "") in body["reason"]


async def test_console_hold_needs_a_caller_and_names_a_bad_field(
    tocsin: Tocsin, api: httpx.AsyncClient
) -> None:
    query = {"status": "actual", "regions": ["UA-63"]}
    assert (await api.post("/console/api/hold", json=query)).status_code == 401
    token = await tocsin.tokens.create("viewer", (), name="screen")
    headers = {"Authorization": f"Bearer {token.secret}"}
    answer = await api.post("/console/api/hold", headers=headers, json={"regions": []})
    assert answer.status_code == 422 and "regions" in answer.text
    answer = await api.post("/console/api/hold", headers=headers, json={**query, "status": "real"})
    assert answer.status_code == 422 and "status" in answer.text


async def test_console_status_tells_how_an_event_was_delivered(
    tocsin: Tocsin, api: httpx.AsyncClient
) -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def attempt(consumer: str, number: int, outcome: str) -> Attempt:
        return Attempt(
            consumer,
            "webhook",
            "https://example.test/hook",
            7,
            "ev-7",
            number,
            now,
            12.5,
            outcome,
            None if outcome == "delivered" else "HTTP 500",
        )

    for row in (
        attempt("webhook:a", 1, "failed"),
        attempt("webhook:a", 2, "delivered"),
        attempt("webhook:b", 1, "failed"),
        attempt("webhook:c", 1, "delivered"),
    ):
        await tocsin.deliveries.record(row)
    token = await tocsin.tokens.create("admin", (), name="ops")
    body = (
        await api.get(
            "/console/api/status?event=7", headers={"Authorization": f"Bearer {token.secret}"}
        )
    ).json()
    found = body["deliveries"]
    assert (found["event"], found["delivered"], found["failing"]) == (7, 2, 1)
    assert [(t["consumer"], t["outcome"], t["attempts"]) for t in found["targets"]] == [
        ("webhook:a", "delivered", 2),
        ("webhook:b", "failed", 1),
        ("webhook:c", "delivered", 1),
    ]
    assert "target" not in found["targets"][0]  # URLs may carry secrets; the console needs none


def test_summarize_with_no_attempts() -> None:
    assert delivery.summarize([]) == {"delivered": 0, "failing": 0, "targets": []}


def test_installing_the_pages_twice_changes_nothing() -> None:
    app = web_app(Settings())
    routes = len(app.routes)
    install(app)
    assert len(app.routes) == routes

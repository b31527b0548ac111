"""A page on another site (another origin: another port) reads the public API and follows the
live stream from a real browser, and cannot write."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from web_support import LiveWeb

pytest_plugins = ("browser_support",)

PAGE = """<!doctype html><meta charset="utf-8"><title>elsewhere</title><script>
const api = new URLSearchParams(location.search).get("api");
window.seen = {opens: 0, ready: null, raised: null, active: null, write: null};
const source = new EventSource(api + "/v1/stream");
source.addEventListener("open", () => { window.seen.opens += 1; });
source.addEventListener("ready", (e) => { window.seen.ready = JSON.parse(e.data); });
source.addEventListener("alert.raised", (e) => { window.seen.raised = JSON.parse(e.data); });
fetch(api + "/v1/alerts/active").then((r) => r.json())
  .then((body) => { window.seen.active = body; }, (err) => { window.seen.active = String(err); });
fetch(api + "/v1/alerts", {method: "POST", headers: {"Content-Type": "application/json"},
  body: JSON.stringify({threat: "missile", regions: ["UA-63"]})})
  .then((r) => { window.seen.write = "answered " + r.status; },
        (err) => { window.seen.write = "refused: " + err.name; });
</script>"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        data = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def elsewhere() -> Iterator[str]:
    """Another site: a page served on a port of its own."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_of_another_origin_follows_the_stream_and_cannot_write(
    context: Any, live_web: LiveWeb, elsewhere: str
) -> None:
    api = live_web.url.replace("127.0.0.1", "localhost")  # another origin still
    page = context.new_page()
    page.goto(f"{elsewhere}/?api={api}")
    page.wait_for_function("window.seen.ready !== null && window.seen.active !== null")
    page.wait_for_function("window.seen.write !== null")
    seen = page.evaluate("window.seen")
    assert seen["active"] == {"alerts": []}
    assert seen["write"] == "refused: TypeError"  # the browser let no answer through
    assert live_web.http.get("/v1/alerts/active").json()["alerts"] == []  # nor was it done
    raised = live_web.http.post(
        "/v1/alerts", json={"threat": "missile", "regions": ["UA-63"]}, headers=live_web.token()
    )
    assert raised.status_code == 201
    page.wait_for_function("window.seen.raised !== null")
    seen = page.evaluate("window.seen")
    assert seen["raised"]["alert"]["id"] == raised.json()["id"]
    assert seen["opens"] == 1  # the browser's own open, once: the first frame is `ready`
    assert set(seen["ready"]) == {"last_seq", "resume_from", "filter"}

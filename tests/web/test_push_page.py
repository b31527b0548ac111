"""Subscribing to Web Push from the live page, in Chromium, through to a decrypted push.

Chromium refuses the Push API in Playwright's contexts (they are incognito: crbug.com/41124656)
and could not reach its push service offline anyway, so the page's `pushManager.subscribe` is
given a subscription made the way a browser makes one: a P-256 key pair and an auth secret from
the page's own WebCrypto, and an endpoint at a loopback push service. Everything else is real:
the permission prompt, the service worker registration at /sw.js, the key from /v1/push/key,
the POST, the delivery, the encryption and the VAPID signature the push service checks with
the page's private key, and the DELETE.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from web_support import LiveWeb, serve

from conftest import running_app
from push_support import PushService

pytest_plugins = ("browser_support",)

AREA = {"code": "UA-63", "name": "Kharkiv Oblast"}
BROWSER_SUBSCRIPTION = """
(() => {
  const b64 = (bytes) => btoa(String.fromCharCode(...bytes))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  let made = null;
  PushManager.prototype.subscribe = async function (options) {
    const pair = await crypto.subtle.generateKey(
      { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const auth = crypto.getRandomValues(new Uint8Array(16));
    window.pushTest = {
      jwk: await crypto.subtle.exportKey("jwk", pair.privateKey),
      auth: b64(auth),
      serverKey: b64(new Uint8Array(options.applicationServerKey)),
      userVisibleOnly: options.userVisibleOnly,
    };
    const json = { endpoint: ENDPOINT, expirationTime: null,
                   keys: { p256dh: b64(raw), auth: b64(auth) } };
    made = { endpoint: ENDPOINT, toJSON: () => json, unsubscribe: async () => (made = null, true) };
    return made;
  };
  PushManager.prototype.getSubscription = async function () { return made; };
})();
"""


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def service() -> Iterator[tuple[PushService, str]]:
    push = PushService()
    with running_app(push.app) as port:
        yield push, f"http://127.0.0.1:{port}"


@pytest.fixture
def web(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveWeb]:
    target = tmp_path / "tocsin.db"
    shutil.copyfile(sqlite_template, target)
    with serve(f"sqlite:///{target}", webhook_allow_private=True) as live:
        yield live


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def push_records(web: LiveWeb) -> list[Any]:
    return [r for r in web.run(web.tocsin.deliveries.subscriptions()) if r.kind == "push"]


def test_a_resident_subscribes_from_the_page_and_gets_the_alert_decrypted(
    web: LiveWeb, browser: Any, service: tuple[PushService, str]
) -> None:
    push, base = service
    endpoint = f"{base}/push/page"
    context = browser.new_context(permissions=["notifications"])
    context.add_init_script(f"localStorage.setItem('tocsin.area', {json.dumps(json.dumps(AREA))})")
    context.add_init_script(BROWSER_SUBSCRIPTION.replace("ENDPOINT", json.dumps(endpoint)))
    try:
        page = context.new_page()
        page.goto(web.url + "/")
        toggle = page.locator("#push-toggle")
        assert toggle.text_content() == "Notify me about Kharkiv Oblast"
        toggle.click()
        page.locator("#push-toggle", has_text="Stop notifications").wait_for()
        status = page.locator("#push .push-status").text_content()
        assert status == "This device is notified of alerts for Kharkiv Oblast."
        worker = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")
        assert worker == web.url + "/sw.js"
        made = page.evaluate("window.pushTest")
        assert made["serverKey"] == web.http.get("/v1/push/key").json()["public_key"]
        assert made["userVisibleOnly"] is True
        [record] = push_records(web)
        assert (record.url, record.filters["regions"]) == (endpoint, ["UA-63"])

        d = int.from_bytes(unb64(made["jwk"]["d"]))
        push.key = ec.derive_private_key(d, ec.SECP256R1())
        push.auth = unb64(made["auth"])
        push.vapid_key = made["serverKey"]
        web.raise_alert(web.token(), threat="missile", regions=["UA-63"])
        wait_for(lambda: len(push.received) == 1)
        assert push.received[0][1]["title"] == "Rocket Danger!"

        page.locator("#push-toggle").click()
        page.locator("#push .push-status", has_text="Notifications are off.").wait_for()
        assert push_records(web) == []
        assert page.evaluate("localStorage.getItem('tocsin.push')") is None
    finally:
        context.close()

// "Notify me": Web Push for the area the resident chose on the live map (kept in localStorage
// under "tocsin.area" as {code, name}, announced by a `tocsin:area` event on window). The
// subscription's endpoint is remembered under "tocsin.push", so the page can tell whether this
// browser is subscribed and unsubscribe it.

import { ApiError, $, clear, el, getJSON, send } from "./api.js";
import { t } from "./i18n.js";

const AREA = "tocsin.area";
const SUBSCRIBED = "tocsin.push";

function stored(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

/** base64url (the VAPID public key) as the bytes `pushManager.subscribe` takes. */
export function keyBytes(text) {
  const base64 = (text + "=".repeat((4 - (text.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

export class PushControl {
  constructor(root) {
    this.root = root;
    this.area = stored(AREA);
    window.addEventListener("tocsin:area", (event) => {
      this.area = event.detail || null;
      this.render();
    });
    this.render();
  }

  get subscription() {
    return stored(SUBSCRIBED);
  }

  say(key, vars) {
    this.status.textContent = t(key, vars);
  }

  render(message) {
    const sub = this.subscription;
    this.status = el("p", { class: "push-status", role: "status" });
    const button = el("button", { type: "button", class: "button", id: "push-toggle" });
    clear(this.root, el("h2", {}, t("push.heading")), this.status);
    if (!supported()) return this.say("push.unsupported");
    if (sub) {
      button.textContent = t("push.stop");
      button.addEventListener("click", () => this.unsubscribe(button));
      this.root.append(button);
      return this.say(message || "push.on", { area: sub.name || sub.code });
    }
    if (!this.area?.code) return this.say("push.chooseArea");
    button.textContent = t("push.notifyMe", { area: this.area.name || this.area.code });
    button.addEventListener("click", () => this.subscribe(button));
    this.root.append(button);
    if (message) this.say(message);
  }

  async subscribe(button) {
    button.disabled = true;
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        return this.render("push.denied");
      }
      const { public_key: key } = await getJSON("/v1/push/key", {}, { lang: false });
      const worker = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      await navigator.serviceWorker.ready;
      const browser = await worker.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(key),
      });
      const { endpoint, keys } = browser.toJSON();
      const area = this.area;
      await send("POST", "/v1/push/subscriptions", { endpoint, keys, regions: [area.code] });
      localStorage.setItem(SUBSCRIBED, JSON.stringify({ endpoint, code: area.code, name: area.name }));
      this.render();
    } catch (error) {
      this.render(error instanceof ApiError ? "push.refused" : "push.failed");
    }
  }

  async unsubscribe(button) {
    button.disabled = true;
    const sub = this.subscription;
    try {
      await send("DELETE", "/v1/push/subscriptions", { endpoint: sub.endpoint });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) return this.render("push.failed");
    }
    const worker = await navigator.serviceWorker.getRegistration("/");
    const browser = await worker?.pushManager.getSubscription();
    await browser?.unsubscribe();
    localStorage.removeItem(SUBSCRIBED);
    this.render("push.off");
  }
}

export function initPush() {
  const root = $("#push");
  return root ? new PushControl(root) : null;
}

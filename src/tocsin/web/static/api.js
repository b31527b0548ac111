// Talking to the tocsin API: JSON reads, writes with the session's CSRF token, the live stream,
// and the small helpers every page needs (DOM building, times, colours).

import { getLang, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || null;
    this.field = problem?.field || null;
  }
}

export function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

async function answer(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** GET a JSON resource, in the viewer's language unless `lang: false`; `asPublic` sends no
 * session cookie, so a public page shows what the public sees even to a signed-in officer. */
export async function getJSON(path, params = {}, { lang = true, asPublic = false } = {}) {
  const query = lang ? { ...params, lang: getLang() } : params;
  const response = await fetch(url(path, query), { headers: { Accept: "application/json" },
    credentials: asPublic ? "omit" : "same-origin" });
  return answer(response);
}

/** A state-changing request; `csrf` is the console session's token. */
export async function send(method, path, body, csrf) {
  const headers = { Accept: "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return answer(await fetch(url(path, { lang: getLang() }), init));
}

/**
 * The live event stream (SSE) that reconnects by itself: the browser's own retry keeps
 * Last-Event-ID; when the browser gives up (server down, offline) we open a new one from the
 * last sequence number seen, backing off up to 10 s, and at once when the network returns.
 */
export class LiveStream {
  constructor(params, { onEvent, onOpen, onStatus }) {
    this.params = params;
    this.onEvent = onEvent;
    this.onOpen = onOpen || (() => {});
    this.onStatus = onStatus || (() => {});
    this.lastSeq = null;
    this.source = null;
    this.delay = 500;
    this.timer = null;
    window.addEventListener("online", () => this.restart());
    window.addEventListener("offline", () => {
      this.stop();
      this.onStatus("offline");
    });
  }

  start() {
    this.stop();
    const params = { ...this.params };
    if (this.lastSeq !== null) params.since = this.lastSeq;
    const source = new EventSource(url("/v1/stream", params));
    this.source = source;
    this.onStatus("connecting");
    source.addEventListener("ready", (event) => {
      if (typeof event.data !== "string") return; // the browser's own "connected" event
      this.delay = 500;
      this.onStatus("live");
      const body = JSON.parse(event.data);
      if (this.lastSeq === null) this.lastSeq = body.last_seq;
      this.onOpen(body);
    });
    source.addEventListener("dropped", (event) => {
      const body = JSON.parse(event.data);
      this.lastSeq = body.resume_from;
      this.restart();
    });
    source.onmessage = null;
    source.onerror = () => {
      if (source !== this.source) return;
      if (!navigator.onLine) {
        this.stop(); // wait for the "online" event rather than retrying into the void
        this.onStatus("offline");
        return;
      }
      this.onStatus("reconnecting");
      if (source.readyState === EventSource.CLOSED) this.retryLater();
    };
    this.listen(source);
  }

  listen(source) {
    const types = [
      "alert.raised", "alert.activated", "alert.escalated", "alert.deescalated", "alert.updated",
      "alert.ended", "alert.cancelled", "alert.expired",
    ];
    for (const type of types) {
      source.addEventListener(type, (event) => {
        const seq = Number(event.lastEventId);
        if (Number.isFinite(seq) && seq > 0) this.lastSeq = seq;
        this.onEvent(type, JSON.parse(event.data));
      });
    }
  }

  retryLater() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.start(), this.delay);
    this.delay = Math.min(this.delay * 2, 10000);
  }

  restart() {
    this.delay = 500;
    this.start();
  }

  setParams(params) {
    this.params = params;
    this.lastSeq = null;
    this.start();
  }

  stop() {
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    this.source = null;
  }
}

/** A new idempotency key: a retried command with it is carried out once. */
export function randomKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Build an element: el("a", {href: "/", class: "x"}, "text", child). Text is never parsed. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** "1 h 05 min", "12 min", "< 1 min" in the viewer's language. */
export function duration(ms) {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  if (minutes < 1) return t("time.lessThanMinute");
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 1) return t("time.minutes", { m: minutes });
  if (hours < 48) return t("time.hoursMinutes", { h: hours, m: String(rest).padStart(2, "0") });
  return t("time.days", { d: Math.floor(hours / 24), h: hours % 24 });
}

export function since(iso, now = Date.now()) {
  return iso ? duration(now - Date.parse(iso)) : "";
}

/** A time: "14:05" today, "3 Mar, 14:05" otherwise, in the viewer's language. */
export function clock(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  const today = new Date().toDateString() === when.toDateString();
  const options = today
    ? { hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(locale(), options).format(when);
}

/** Date and time in full: "3 Mar 2026, 14:05". */
export function dateTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" })
    .format(new Date(iso));
}

export function date(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(new Date(iso));
}

/** The value of an <input type="datetime-local"> as a UTC instant ("" gives null). */
export function instant(value) {
  if (!value) return null;
  const when = new Date(value);
  return Number.isNaN(when.getTime()) ? value : when.toISOString();
}

/** A time as an <input type="datetime-local"> shows it, in local time: "2026-03-01T14:05". */
export function localInput(when = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}`
    + `T${pad(when.getHours())}:${pad(when.getMinutes())}`;
}

export function locale() {
  return { en: "en-GB", uk: "uk-UA", ru: "ru-RU" }[getLang()] || "en-GB";
}

export function number(value, digits = 0) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

/** A time element that keeps its "for 12 min" up to date (see `tickDurations`). */
export function elapsed(iso) {
  return el("time", { datetime: iso, class: "elapsed", dataset: { since: iso } }, since(iso));
}

export function tickDurations(root = document) {
  for (const node of root.querySelectorAll("time.elapsed")) {
    node.textContent = since(node.dataset.since);
  }
}

/** `color` mixed with white: the lighter shade for regions only partly under alert. */
export function lighten(color, amount = 0.55) {
  const match = /^#?([0-9a-f]{6})$/i.exec(color || "");
  if (!match) return color;
  const value = parseInt(match[1], 16);
  const mix = (shift) => {
    const channel = (value >> shift) & 255;
    return Math.round(channel + (255 - channel) * amount);
  };
  return `#${[16, 8, 0].map((s) => mix(s).toString(16).padStart(2, "0")).join("")}`;
}

/** "Kharkiv Oblast, Sumy Oblast and 3 more". */
export function listNames(names, shown = 3) {
  if (names.length <= shown) return names.join(", ");
  return t("list.more", { names: names.slice(0, shown).join(", "), n: names.length - shown });
}

/** Roving focus: arrow keys, Home and End move between `items` (focusable elements). */
export function rovingKeys(container, itemSelector, onEnter) {
  container.addEventListener("keydown", (event) => {
    const items = [...container.querySelectorAll(itemSelector)];
    const index = items.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowDown: index + 1, ArrowRight: index + 1, ArrowUp: index - 1,
      ArrowLeft: index - 1, Home: 0, End: items.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      const next = items[Math.max(0, Math.min(items.length - 1, moves[event.key]))];
      for (const item of items) item.tabIndex = item === next ? 0 : -1;
      next.focus();
    } else if ((event.key === "Enter" || event.key === " ") && onEnter) {
      event.preventDefault();
      onEnter(items[index]);
    }
  });
}

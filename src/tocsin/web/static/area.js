// "My area" on the live map: the resident's place (found by name or by location, remembered in
// the browser) and a strip at the top of the page saying at once whether it is under alert,
// the signal, what to do and the time to reach shelter.

import { $, clear, el, getJSON } from "./api.js";
import { t } from "./i18n.js";

const KEY = "tocsin.area";
const DEBOUNCE_MS = 250;

/** The remembered place ({code, name}), or null. */
export function storedArea() {
  try {
    const area = JSON.parse(localStorage.getItem(KEY) || "null");
    return area && typeof area.code === "string" ? area : null;
  } catch {
    return null;
  }
}

function remember(area) {
  try {
    if (area) localStorage.setItem(KEY, JSON.stringify(area));
    else localStorage.removeItem(KEY);
  } catch {
    // private browsing: the choice lasts for this page only
  }
  window.dispatchEvent(new CustomEvent("tocsin:area", { detail: area }));
}

export class AreaStrip {
  /** @param onChange() the chosen place changed (fetch its state again) */
  constructor(root, { onChange }) {
    this.root = root;
    this.onChange = onChange;
    this.area = storedArea();
    this.suggestions = [];
    this.timer = null;
    this.input = $("#area-search", root);
    this.list = $("#area-suggestions", root);
    this.input.addEventListener("input", () => this.typed());
    this.input.addEventListener("keydown", (event) => this.keys(event));
    $("#area-locate", root).addEventListener("click", () => this.locate());
    $("#area-clear", root).addEventListener("click", () => this.choose(null));
  }

  typed() {
    clearTimeout(this.timer);
    const q = this.input.value.trim();
    if (q.length < 2) return this.suggest([]);
    this.timer = setTimeout(async () => {
      try {
        const body = await getJSON("/v1/regions/search", { q, limit: 8 });
        if (this.input.value.trim() === q) this.suggest(body.results);
      } catch {
        this.suggest([]);
        this.note(t("area.searchFailed"));
      }
    }, DEBOUNCE_MS);
  }

  suggest(results) {
    this.suggestions = results;
    this.active = -1;
    clear(this.list, results.map((r, index) => el("li", {
      id: `area-option-${index}`, role: "option", class: "area-option", "aria-selected": "false",
      dataset: { code: r.code }, onmousedown: (event) => event.preventDefault(),
      onclick: () => this.pick(r) },
    el("strong", {}, r.name), r.path && r.path !== r.name ? el("span", {}, ` — ${r.path}`) : null,
    r.matched && r.matched !== r.name ? el("span", { class: "muted" }, ` (${r.matched})`) : null)));
    this.list.hidden = results.length === 0;
    this.input.setAttribute("aria-expanded", results.length ? "true" : "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  keys(event) {
    const count = this.suggestions.length;
    if (!count) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      event.preventDefault();
      this.active = (this.active + moves[event.key] + count) % count;
      for (const [index, item] of [...this.list.children].entries()) {
        item.setAttribute("aria-selected", index === this.active ? "true" : "false");
      }
      this.input.setAttribute("aria-activedescendant", `area-option-${this.active}`);
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.pick(this.suggestions[Math.max(this.active, 0)]);
    } else if (event.key === "Escape") {
      this.suggest([]);
    }
  }

  pick(region) {
    this.input.value = "";
    this.suggest([]);
    this.choose({ code: region.code, name: region.path || region.name });
  }

  choose(area) {
    this.area = area;
    remember(area);
    this.onChange();
  }

  locate() {
    if (!navigator.geolocation) return this.note(t("area.noLocation"));
    this.note(t("area.locating"));
    navigator.geolocation.getCurrentPosition(async ({ coords }) => {
      try {
        const point = `${coords.latitude.toFixed(5)},${coords.longitude.toFixed(5)}`;
        const body = await getJSON("/v1/regions/at", { point });
        const place = body.regions.at(-1);
        if (!place) return this.note(t("area.outside"));
        this.note("");
        this.choose({ code: place.code, name: place.path || withParent(place, body.regions) });
      } catch {
        this.note(t("area.locateFailed"));
      }
    }, () => this.note(t("area.locationRefused")), { timeout: 15000, maximumAge: 300000 });
  }

  note(text) {
    $("#area-note", this.root).textContent = text;
  }

  /** Fetch the chosen place's state (actual, and exercise when shown). */
  async load(showExercises) {
    if (!this.area) return null;
    const code = encodeURIComponent(this.area.code);
    const [actual, drill] = await Promise.all([
      getJSON(`/v1/regions/${code}/state`),
      showExercises ? getJSON(`/v1/regions/${code}/state`, { status: "exercise" }) : null,
    ]);
    return { actual, drill };
  }

  /** Draw the strip from the place's state and the open alerts (`alerts` from the page). */
  render(states, alerts) {
    const status = $("#area-status", this.root);
    $("#area-clear", this.root).hidden = !this.area;
    if (!this.area) {
      this.root.dataset.state = "unset";
      return clear(status, el("p", { class: "area-line" }, t("area.choose")));
    }
    const actual = states?.actual;
    const lines = [];
    if (actual && actual.state !== "none") lines.push(alertLine(actual, alerts, ""));
    const drill = states?.drill;
    if (drill && drill.state !== "none") lines.push(alertLine(drill, alerts, "exercise"));
    this.root.dataset.state = actual?.state || "none";
    this.root.dataset.exercise = drill && drill.state !== "none" ? "1" : "";
    const place = el("strong", { class: "area-name" }, this.area.name);
    clear(status,
      el("p", { class: "area-line" }, t("area.yours"), " ", place,
        lines.length ? "" : ` — ${t("area.noAlert")}`),
      lines);
  }
}

function withParent(region, chain) {
  const parent = chain.find((r) => r.code === region.parent);
  return parent && parent.level !== "country" ? `${region.name}, ${parent.name}` : region.name;
}

/** One line of the strip: the signal, what to do, and the time to shelter where it is set. */
function alertLine(state, alerts, kind) {
  const ids = state.state === "active" ? state.alerts : state.partial_alerts;
  const alert = alerts.find((a) => ids.includes(a.id));
  const threat = alert?.threat || state.threat || {};
  const signal = threat.signal || threat.name || threat.id || "";
  const shelter = state.time_to_shelter
    ? t("area.shelter", { seconds: state.time_to_shelter }) : null;
  return el("div", { class: `area-alert${kind ? ` area-${kind}` : ""}`,
    dataset: { state: state.state, threat: threat.id || "" } },
  kind ? el("strong", { class: "marker" }, t("area.exercise")) : null,
  el("p", { class: "area-signal" }, signal,
    state.state === "partial" ? ` ${t("area.partly")}` : ""),
  el("p", { class: "instructions" }, alert?.text || threat.instructions || ""),
  shelter ? el("p", { class: "area-shelter" }, shelter) : null);
}

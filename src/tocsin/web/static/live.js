// The public live map: region states coloured by threat, the active alerts with their
// instructions, region details, and announcements of every change (ARIA live region), kept
// current by the event stream.

import {
  $, ApiError, LiveStream, clear, clock, el, elapsed, getJSON, lighten, listNames, rovingKeys,
  tickDurations,
} from "./api.js";
import { onLangChange, pickName, t } from "./i18n.js";
import { AreaStrip } from "./area.js";
import { LiveMap } from "./live-map.js";
import { loadShapes } from "./map.js";
import { initDrillBanner } from "./drill-banner.js";
import { initPush } from "./push.js";
import { colorOf, loadThreats, startPage } from "./site.js";

const FINISHED = new Set(["alert.ended", "alert.cancelled", "alert.expired"]);
const RECENT_MAX = 10;

const view = {
  threats: new Map(),
  alerts: [],
  states: new Map(),
  exercise: new Map(),
  showExercises: false,
  details: null,
  refreshing: null,
  again: false,
  queued: [],
  recent: [],
  area: null,
};
let map;
let area;
let stream;

async function main() {
  await startPage();
  initPush();
  initDrillBanner();
  area = new AreaStrip($("#area"), { onChange: () => refresh() });
  area.render(null, []);
  map = new LiveMap($("#map"), { onActivate: showRegion, label: regionLabel });
  try {
    const [shapes, threats] = await Promise.all([loadShapes({ detail: "raion" }), loadThreats()]);
    view.threats = threats;
    map.draw(shapes, t("live.mapHeading"));
    map.followDetail(() => render());
  } catch (error) {
    $("#map").dataset.state = "failed";
    $("#map").textContent = t("live.mapFailed");
    throw error;
  }
  $("#show-exercises").addEventListener("change", (event) => {
    view.showExercises = event.target.checked;
    document.body.classList.toggle("showing-exercises", view.showExercises);
    stream.setParams(streamParams());
    refresh();
  });
  rovingKeys($("#alerts"), ".alert-card", (card) => {
    const first = view.alerts.find((a) => a.id === card.dataset.id)?.regions[0];
    if (first) showRegion(first.code);
  });
  onLangChange(languageChanged);
  await Promise.all([refresh(), loadRecent()]);
  stream = new LiveStream(streamParams(), {
    onEvent: eventArrived,
    onOpen: () => refresh(),
    onStatus: connection,
  });
  stream.start();
  setInterval(() => tickDurations(), 15000);
}

function streamParams() {
  return { status: view.showExercises ? "actual,exercise" : "actual" };
}

// --- data -----------------------------------------------------------------------------------

/** Fetch states and active alerts again; calls during a fetch coalesce into one more. */
function refresh() {
  if (view.refreshing) {
    view.again = true;
    return view.refreshing;
  }
  view.refreshing = load()
    .catch((error) => {
      if (!navigator.onLine) connection("offline");
      else connection(error instanceof ApiError ? "error" : "reconnecting");
    })
    .finally(() => {
      view.refreshing = null;
      if (view.again) {
        view.again = false;
        refresh();
      } else announceQueued();
    });
  return view.refreshing;
}

async function load() {
  const status = view.showExercises ? "actual,exercise" : "actual";
  const [active, states, drills, place] = await Promise.all([
    getJSON("/v1/alerts/active", { status }),
    getJSON("/v1/regions/states", { only_alerted: true }),
    view.showExercises
      ? getJSON("/v1/regions/states", { status: "exercise", only_alerted: true })
      : { states: [] },
    area.load(view.showExercises).catch(() => null),
  ]);
  view.area = place;
  view.alerts = sortAlerts(active.alerts);
  view.states = new Map(states.states.map((s) => [s.code, s]));
  view.exercise = new Map(drills.states.map((s) => [s.code, s]));
  render();
  $("#updated").textContent = t("live.updated", { time: clock(new Date().toISOString()) });
}

function sortAlerts(alerts) {
  const rank = (a) => (a.status === "actual" ? 0 : 1);
  return [...alerts].sort((a, b) => rank(a) - rank(b)
    || (b.threat.rank || 0) - (a.threat.rank || 0)
    || String(b.activated_at || b.raised_at).localeCompare(String(a.activated_at || a.raised_at)));
}

async function loadRecent() {
  const from = new Date(Date.now() - 6 * 3600 * 1000).toISOString();
  try {
    const body = await getJSON("/v1/alerts", { since: from, status: "actual", limit: 50 });
    view.recent = body.alerts
      .filter((a) => ["ended", "cancelled", "expired"].includes(a.phase))
      .sort((a, b) => String(b.ended_at).localeCompare(String(a.ended_at)))
      .slice(0, RECENT_MAX)
      .map((alert) => ({ alert, type: `alert.${alert.phase}`, time: alert.ended_at }));
    renderRecent();
  } catch {
    // the recent list is a courtesy; the live state matters more
  }
}

// --- events ---------------------------------------------------------------------------------

function eventArrived(type, event) {
  view.queued.push({ type, event });
  refresh();
}

async function announceQueued() {
  const queued = view.queued.splice(0);
  const lines = [];
  for (const { type, event } of queued) {
    const alert = await alertView(event.alert);
    if (!alert) continue;
    lines.push(announcement(type, alert));
    if (FINISHED.has(type) || type === "alert.raised") {
      view.recent.unshift({ alert, type, time: event.time });
    }
  }
  if (!lines.length) return;
  view.recent = view.recent.slice(0, RECENT_MAX);
  renderRecent();
  $("#announcer").textContent = lines.join(" ");
}

async function alertView(raw) {
  if (!raw) return null;
  const known = view.alerts.find((a) => a.id === raw.id);
  if (known) return known;
  try {
    return await getJSON(`/v1/alerts/${encodeURIComponent(raw.id)}`);
  } catch {
    return null;
  }
}

function announcement(type, alert) {
  const regions = listNames(alert.regions.map(placeName));
  const threat = alert.threat.signal || alert.threat.name || alert.threat.id;
  const vars = { regions, threat, signal: alert.threat.signal || threat,
    instructions: alert.threat.instructions || "", message: alert.cancel_message || "" };
  const text = t(`announce.${type.slice("alert.".length)}`, vars).trim();
  return alert.marker ? `${alert.marker}: ${text}` : text;
}

function connection(status) {
  const node = $("#connection");
  node.dataset.state = status;
  $("#connection-text").textContent = t(`connection.${status}`);
}

// --- rendering ------------------------------------------------------------------------------

function render() {
  map.paint(view.states, (id) => colorOf(view.threats, id), lighten);
  map.markExercise(new Set(view.exercise.keys()));
  area.render(view.area, view.alerts);
  legend();
  renderAlerts();
  if (view.details) showRegion(view.details, false);
}

function renderAlerts() {
  const list = $("#alerts");
  const focused = document.activeElement?.closest?.(".alert-card")?.dataset.id;
  clear(list, view.alerts.map(alertItem));
  $("#alert-count").textContent = String(view.alerts.filter((a) => a.status === "actual").length);
  $("#no-alerts").hidden = view.alerts.length > 0;
  const cards = [...list.querySelectorAll(".alert-card")];
  const keep = cards.find((c) => c.dataset.id === focused) || cards[0];
  if (keep) keep.tabIndex = 0;
  if (focused && keep) keep.focus();
}

function alertItem(alert) {
  const started = alert.activated_at || alert.raised_at;
  const headingId = `alert-${alert.id}`;
  const measures = alert.threat.measures || [];
  const card = el("article", { class: "alert-card", tabindex: "-1", "aria-labelledby": headingId,
    dataset: { id: alert.id, status: alert.status, threat: alert.threat.id } },
  el("header", { class: "alert-head" }, el("span", { class: "swatch", "aria-hidden": "true" }),
    alert.marker ? el("strong", { class: "marker" }, alert.marker) : null,
    el("h3", { id: headingId }, alert.threat.signal || alert.threat.name || alert.threat.id)),
  el("p", { class: "alert-regions" }, listNames(alert.regions.map(placeName), 6)),
  el("p", { class: "alert-since" }, `${t("live.for")} `, elapsed(started),
    ` · ${t("live.since")} ${clock(started)}`),
  alert.phase === "pre_alert" ? el("p", { class: "pre-alert" }, t("live.preAlert")) : null,
  alert.headline ? el("p", { class: "alert-headline" }, alert.headline) : null,
  el("p", { class: "instructions" }, alert.text || alert.threat.instructions || ""),
  measures.length
    ? el("details", { class: "measures" }, el("summary", {}, t("live.measures")),
      el("ul", {}, measures.map((m) => el("li", {}, m))))
    : null);
  card.style.setProperty("--fill", alert.threat.color || colorOf(view.threats, alert.threat.id));
  return el("li", { class: `alert-item status-${alert.status}` }, card);
}

function renderRecent() {
  clear($("#recent"), view.recent.map(({ alert, type, time }) => {
    const kind = type.slice("alert.".length);
    return el("li", { class: `recent-item recent-${kind}` },
      el("time", { datetime: time }, clock(time)), " ",
      el("strong", {}, t(`recent.${kind}`)), " — ",
      alert.marker ? `${alert.marker}: ` : "",
      `${alert.threat.signal || alert.threat.name || alert.threat.id}: ${listNames(alert.regions.map(placeName))}`,
      kind === "cancelled" && alert.cancel_message
        ? el("span", { class: "cancel-message" }, ` — ${alert.cancel_message}`) : null);
  }));
  $("#no-recent").hidden = view.recent.length > 0;
}

/** The legend: only the threats under way now, or that there is no alert. */
function legend() {
  const shown = new Set([...view.states.values()].map((s) => s.threat?.id).filter(Boolean));
  const items = [...view.threats.values()].filter((threat) => shown.has(threat.id))
    .map((threat) => {
      const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
      swatch.style.setProperty("--fill", threat.color);
      return el("li", { dataset: { threat: threat.id } }, swatch, threat.signal || threat.name);
    });
  if ([...view.states.values()].some((s) => s.state === "partial")) {
    const partial = el("span", { class: "swatch", "aria-hidden": "true" });
    partial.style.setProperty("--fill", lighten(colorOf(view.threats, [...shown][0] || "air")));
    items.push(el("li", {}, partial, t("legend.partial")));
  }
  if (view.exercise.size) {
    items.push(el("li", { class: "legend-exercise" },
      el("span", { class: "swatch exercise", "aria-hidden": "true" }), t("legend.exercise")));
  }
  items.push(el("li", {}, el("span", { class: "swatch none", "aria-hidden": "true" }),
    t(items.length ? "legend.none" : "legend.allClear")));
  clear($("#legend"), items);
}

/** A region's name with its oblast where the map knows it: "Odeskyi raion, Odesa Oblast". */
function placeName(region) {
  const parent = region.level !== "oblast" && map.names.get(region.parent);
  return parent ? `${region.name}, ${pickName(parent, region.parent)}` : region.name;
}

function regionName(code) {
  return pickName(map.names.get(code), code);
}

function stateText(state, drill) {
  let text = t("state.none");
  if (state && state.state !== "none") {
    const threat = state.threat?.signal || state.threat?.name || state.threat?.id || "";
    text = t(`state.${state.state}`, { threat });
  }
  return drill && drill.state !== "none" ? `${text}; ${t("state.exercise")}` : text;
}

function regionLabel(code) {
  return `${regionName(code)}: ${stateText(view.states.get(code), view.exercise.get(code))}`;
}

// --- region details -------------------------------------------------------------------------

async function showRegion(code, focus = true) {
  view.details = code;
  const panel = $("#details");
  const [region, state, children, history] = await Promise.all([
    getJSON(`/v1/regions/${encodeURIComponent(code)}`),
    getJSON(`/v1/regions/${encodeURIComponent(code)}/state`),
    getJSON("/v1/regions", { parent: code }),
    getJSON("/v1/alerts", { region: code, status: "actual", limit: 8 }).catch(() => null),
  ]);
  if (view.details !== code) return;
  const drill = view.exercise.get(code);
  const ids = new Set([...state.alerts, ...state.partial_alerts, ...(drill?.alerts || []),
    ...(drill?.partial_alerts || [])]);
  const current = view.alerts.filter((a) => ids.has(a.id));
  const alerted = children.regions.filter((r) => view.states.get(r.code)?.state
    && view.states.get(r.code).state !== "none");
  clear(panel,
    el("div", { class: "details-head" },
      el("h2", { id: "details-name" }, placeName(region)),
      el("button", { type: "button", class: "close", "aria-label": t("details.close"),
        onclick: closeDetails }, "×")),
    el("p", { class: `details-state state-${state.state}`, dataset: { state: state.state } },
      stateText(state, drill),
      state.since ? ` · ${t("live.since")} ${clock(state.since)} (` : "",
      state.since ? elapsed(state.since) : "", state.since ? ")" : ""),
    state.pre_alert ? el("p", { class: "pre-alert" }, t("live.preAlert")) : null,
    state.time_to_shelter
      ? el("p", {}, t("details.shelter", { minutes: Math.round(state.time_to_shelter / 60) }))
      : null,
    el("h3", {}, t("details.current")),
    current.length
      ? el("ul", { class: "details-alerts" }, current.map((a) => el("li", {},
        a.marker ? el("strong", { class: "marker" }, a.marker) : null, " ",
        el("strong", {}, a.threat.signal || a.threat.name), " — ",
        listNames(a.regions.map(placeName), 4),
        el("p", { class: "instructions" }, a.text || a.threat.instructions || ""))))
      : el("p", {}, t("details.noCurrent")),
    children.regions.length
      ? el("p", { class: "details-children" }, t("details.children",
        { n: alerted.length, total: children.regions.length }),
      alerted.length ? `: ${listNames(alerted.map((r) => r.name), 8)}` : "")
      : null,
    el("h3", {}, t("details.history")),
    historyList(history),
    el("p", {}, el("a", { href: `/history?region=${encodeURIComponent(code)}` },
      t("details.fullHistory"))));
  panel.hidden = false;
  panel.dataset.code = code;
  if (focus) panel.focus();
}

function historyList(history) {
  if (!history) return el("p", {}, t("details.historyUnavailable"));
  if (!history.alerts.length) return el("p", {}, t("details.noHistory"));
  return el("ul", { class: "details-history" }, history.alerts.map((a) => el("li", {},
    el("time", { datetime: a.raised_at }, clock(a.activated_at || a.raised_at)),
    a.ended_at ? `–${clock(a.ended_at)}` : "", " ",
    el("strong", {}, a.threat.signal || a.threat.name || a.threat.id), " · ", t(`phase.${a.phase}`))));
}

function closeDetails() {
  view.details = null;
  $("#details").hidden = true;
  const path = map.paths.get($("#details").dataset.code);
  if (path) path.focus();
}

async function languageChanged() {
  view.threats = await loadThreats();
  legend();
  map.svg?.setAttribute("aria-label", t("live.mapHeading"));
  await Promise.all([refresh(), loadRecent()]);
  connection($("#connection").dataset.state || "connecting");
}

main();

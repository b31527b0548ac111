// Alert history: every past alert with when it started and ended, for how long, which threat
// and regions, and how it ended (all-clear, false alarm, expiry), filterable and paged.

import { $, clear, dateTime, duration, el, getJSON, listNames } from "./api.js";
import { onLangChange, pickName, t } from "./i18n.js";
import { loadThreats, startPage } from "./site.js";

const PAGE = 50;
const view = { threats: new Map(), regions: [], cursor: null, rows: [] };

async function main() {
  await startPage();
  const params = new URLSearchParams(location.search);
  [view.threats, view.regions] = await Promise.all([loadThreats(), loadRegions()]);
  fillSelects(params.get("region"), params.get("threat"));
  $("#from").value = params.get("from") || "";
  $("#to").value = params.get("to") || "";
  $("#exercises").checked = params.get("status") === "exercise";
  $("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    history.replaceState(null, "", `?${query(false).toString()}`);
    load(true);
  });
  $("#more").addEventListener("click", () => load(false));
  onLangChange(async () => {
    view.threats = await loadThreats();
    fillSelects($("#region").value, $("#threat").value);
    load(true);
  });
  await load(true);
}

async function loadRegions() {
  const body = await getJSON("/v1/regions", { level: "oblast" }, { lang: false });
  return body.regions;
}

function fillSelects(region, threat) {
  clear($("#region"), el("option", { value: "" }, t("filter.allRegions")),
    [...view.regions].sort((a, b) => pickName(a.names).localeCompare(pickName(b.names)))
      .map((r) => el("option", { value: r.code }, pickName(r.names, r.name))));
  clear($("#threat"), el("option", { value: "" }, t("filter.allThreats")),
    [...view.threats.values()].map((th) => el("option", { value: th.id }, th.name)));
  if (region && !view.regions.some((r) => r.code === region)) {
    $("#region").append(el("option", { value: region }, region)); // a raion or hromada
  }
  if (region) $("#region").value = region;
  if (threat) $("#threat").value = threat;
}

function query(withCursor) {
  const params = new URLSearchParams();
  const set = (key, value) => value && params.set(key, value);
  set("region", $("#region").value);
  set("threat", $("#threat").value);
  set("status", $("#exercises").checked ? "exercise" : "actual");
  if ($("#from").value) set("since", new Date(`${$("#from").value}T00:00:00`).toISOString());
  if ($("#to").value) {
    const end = new Date(`${$("#to").value}T00:00:00`);
    end.setDate(end.getDate() + 1);
    set("until", end.toISOString());
  }
  if (!withCursor) {
    set("from", $("#from").value);
    set("to", $("#to").value);
    params.delete("since");
    params.delete("until");
  }
  return params;
}

async function load(fresh) {
  const params = Object.fromEntries(query(true));
  if (!fresh && view.cursor) params.cursor = view.cursor;
  $("#history-status").textContent = t("history.loading");
  let body;
  try {
    body = await getJSON("/v1/alerts", { ...params, limit: PAGE });
  } catch (error) {
    $("#history-status").textContent = error.message;
    return;
  }
  view.rows = fresh ? body.alerts : [...view.rows, ...body.alerts];
  view.cursor = body.next_cursor;
  render();
}

function render() {
  clear($("#history-rows"), view.rows.map(row));
  $("#more").hidden = !view.cursor;
  $("#history-status").textContent = view.rows.length
    ? t("history.count", { n: view.rows.length }) : t("history.none");
}

function row(alert) {
  const started = alert.activated_at || alert.raised_at;
  const end = alert.ended_at ? Date.parse(alert.ended_at) : Date.now();
  const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
  swatch.style.setProperty("--fill", alert.threat.color || "#888");
  return el("tr", { dataset: { id: alert.id } },
    el("td", {}, el("time", { datetime: started }, dateTime(started))),
    el("td", {}, alert.ended_at ? el("time", { datetime: alert.ended_at }, dateTime(alert.ended_at)) : "—"),
    el("td", { class: "num" }, duration(end - Date.parse(started))),
    el("td", {}, el("span", { class: "threat-cell" }, swatch,
      alert.marker ? el("strong", { class: "marker" }, alert.marker) : null,
      alert.threat.name || alert.threat.id)),
    el("td", {}, listNames(alert.regions.map((r) => r.name), 5)),
    el("td", { class: `outcome-${alert.phase}` }, t(`phase.${alert.phase}`),
      alert.cancel_message ? el("div", { class: "hint" }, alert.cancel_message) : null));
}

main();

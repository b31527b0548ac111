// Incidents: the current figures of each (launches, interceptions, damage, casualties) with the
// sources they rest on, and the timeline of every revision. Exercises are left out until asked
// for, and then marked (tests are never shown). Hidden with a note where this server keeps no
// incidents.

import { $, ApiError, clear, dateTime, el, getJSON, listNames } from "./api.js";
import { onLangChange, t } from "./i18n.js";
import { startPage } from "./site.js";

const view = { items: [], cursor: null, open: null, exercises: false };

async function main() {
  await startPage();
  $("#more").addEventListener("click", () => load(false));
  $("#show-exercises").addEventListener("change", (event) => {
    view.exercises = event.target.checked;
    load(true);
  });
  onLangChange(() => {
    load(true);
    if (view.open) show(view.open, false);
  });
  await load(true);
  const wanted = new URLSearchParams(location.search).get("id");
  if (wanted) show(wanted, false);
}

async function load(fresh) {
  const note = $("#incidents-note");
  let body;
  try {
    body = await getJSON("/v1/incidents", { limit: 30, cursor: fresh ? null : view.cursor,
      mode: view.exercises ? "actual,exercise" : "actual" }, { asPublic: true });
  } catch (error) {
    note.hidden = false;
    note.textContent = error instanceof ApiError && [404, 501].includes(error.status)
      ? t("incidents.unavailable") : t("incidents.failed", { reason: error.message });
    $("#incident-list").closest("section").hidden = true;
    return;
  }
  note.hidden = true;
  view.items = fresh ? body.incidents : [...view.items, ...body.incidents];
  view.cursor = body.next_cursor;
  clear($("#incident-list"), view.items.map(item));
  $("#no-incidents").hidden = view.items.length > 0;
  $("#more").hidden = !view.cursor;
}

function figuresLine(figures) {
  return Object.values(figures || {}).map((f) => `${f.name}: ${f.text}`).join(" · ");
}

function marker(incident) {
  return incident.marker ? [el("strong", { class: "marker" }, incident.marker), " "] : null;
}

function item(incident) {
  return el("li", {}, el("button", { type: "button", class: "incident-item",
    dataset: { id: incident.id, mode: incident.mode }, onclick: () => show(incident.id) },
  el("h3", {}, marker(incident), incident.title || t("incidents.untitled")),
  el("p", { class: "hint" }, dateTime(incident.start), " · ", incident.status_name,
    " · ", listNames(incident.regions.map((r) => r.name), 4)),
  el("p", {}, figuresLine(incident.figures))));
}

async function show(id, focus = true) {
  view.open = id;
  const panel = $("#incident");
  let incident;
  let timeline;
  try {
    [incident, timeline] = await Promise.all([
      getJSON(`/v1/incidents/${encodeURIComponent(id)}`, {}, { asPublic: true }),
      getJSON(`/v1/incidents/${encodeURIComponent(id)}/timeline`, {}, { asPublic: true }),
    ]);
  } catch (error) {
    panel.hidden = false;
    clear(panel, el("p", { class: "error" }, error.message));
    return;
  }
  clear(panel,
    el("h2", { id: "incident-title" }, marker(incident), incident.title || t("incidents.untitled")),
    el("p", { class: "hint" }, dateTime(incident.start),
      incident.end ? ` – ${dateTime(incident.end)}` : "", " · ", incident.status_name),
    incident.description ? el("p", {}, incident.description) : null,
    el("p", {}, el("strong", {}, t("incidents.regions")), " ",
      listNames(incident.regions.map((r) => r.name), 10)),
    el("h3", {}, t("incidents.figures")),
    figuresTable(incident.figures),
    el("h3", {}, t("incidents.timeline")),
    timelineList(timeline));
  panel.hidden = false;
  if (focus) panel.focus();
}

function figuresTable(figures) {
  const rows = Object.values(figures || {});
  if (!rows.length) return el("p", { class: "empty" }, t("incidents.noFigures"));
  return el("div", { class: "table-wrap" }, el("table", { class: "figures-table" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, t("incidents.measure")),
      el("th", { scope: "col" }, t("incidents.value")),
      el("th", { scope: "col" }, t("incidents.standing")),
      el("th", { scope: "col" }, t("incidents.sources")))),
    el("tbody", {}, rows.map((f) => el("tr", { dataset: { measure: f.measure } },
      el("th", { scope: "row" }, f.name),
      el("td", {}, f.text),
      el("td", {}, f.status_name || f.status),
      el("td", {}, sources(f.sources)))))));
}

function sources(list) {
  if (!list?.length) return "—";
  return el("ul", { class: "sources" }, list.map((s) => el("li", {},
    s.url ? el("a", { href: s.url, rel: "noopener noreferrer nofollow", target: "_blank" },
      s.name || s.url) : s.name || "",
    s.kind_name ? ` (${s.kind_name})` : "")));
}

function timelineList(timeline) {
  if (!timeline.events.length) return el("p", { class: "empty" }, t("incidents.noEvents"));
  return el("ol", { class: "timeline" }, timeline.events.map((event) => el("li", {},
    el("time", { datetime: event.time }, dateTime(event.time)), " — ",
    el("strong", {}, eventName(event.type)),
    event.figures.length
      ? el("ul", {}, event.figures.map((r) => el("li", {},
        `${r.name}: ${r.text ?? "—"}`, r.status_name ? ` (${r.status_name})` : "")))
      : null)));
}

function eventName(type) {
  const key = `incidents.event.${type.replace(/^incident\./, "")}`;
  const text = t(key);
  return text === key ? type.replace(/^incident\./, "").replaceAll("_", " ") : text;
}

main();

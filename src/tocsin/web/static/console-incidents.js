// The console's incidents: the list (by region, open or closed, period) of the session's mode,
// recording a new incident in that mode, and the selected incident with everything done to it
// (console-incident.js). Every command goes through the same API, with the same rules, as any
// other client; a refused one is shown beside the field at fault and changes nothing.

import { $, clear, dateTime, el, getJSON, instant, listNames, localInput, randomKey } from "./api.js";
import { clearProblems, showProblem } from "./fields.js";
import { onLangChange, t } from "./i18n.js";
import { RegionPicker } from "./region-picker.js";
import { RegionIndex } from "./regions.js";
import { act, mode, startConsole, statusWord } from "./session.js";
import { loadThreats } from "./site.js";
import { openIncident, reload, renderIncident, setupIncident } from "./console-incident.js";

const WRITERS = ["admin", "operator", "automation"];
const ctx = { me: null, index: null, scope: null, threats: new Map(), terms: null,
  canWrite: false, items: [], cursor: null, selected: null, key: null };

startConsole(async (current) => {
  ctx.me = current;
  ctx.scope = current.regions ? new Set(current.regions) : null;
  ctx.canWrite = WRITERS.includes(current.role);
  const [index, threats, terms] = await Promise.all([
    RegionIndex.load(), loadThreats(), getJSON("/v1/incidents/terms")]);
  Object.assign(ctx, { index, threats, terms });
  const allowed = (code) => index.within(code, ctx.scope);
  ctx.filterRegion = new RegionPicker($("#filter-region"), { index, allowed, single: true });
  ctx.createRegions = new RegionPicker($("#create-regions"), { index, allowed });
  setupIncident(ctx, { changed: () => refreshList(true), announce });
  setupCreate();
  $("#filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    refreshList(true);
  });
  $("#more").addEventListener("click", () => refreshList(false));
  document.addEventListener("tocsin:mode", () => {
    showMode();
    refreshList(true);
    renderIncident();
  });
  onLangChange(relabel);
  showMode();
  await refreshList(true);
  const wanted = new URLSearchParams(location.search).get("id");
  if (wanted) await openIncident(wanted);
});

async function relabel() {
  [ctx.threats, ctx.terms] = await Promise.all([loadThreats(), getJSON("/v1/incidents/terms")]);
  fillThreats();
  ctx.filterRegion.relabel();
  ctx.createRegions.relabel();
  showMode();
  await Promise.all([refreshList(true), reload()]);
}

export function announce(text) {
  $("#result").textContent = text;
}

function modeWord() {
  return t(`mode.${mode()}`).toUpperCase();
}

function showMode() {
  $("#list-mode").textContent = t("ci.listMode", { mode: modeWord() });
  $("#create-mode").textContent = t("ci.createMode", { mode: modeWord() });
  $("#create-submit").textContent = t("ci.createSubmit", { mode: modeWord() });
}

// --- the list -------------------------------------------------------------------------------

function dayStart(value, days = 0) {
  if (!value) return null;
  const day = new Date(`${value}T00:00`);
  day.setDate(day.getDate() + days);
  return day.toISOString();
}

function filters(fresh) {
  const only = ctx.scope?.size === 1 ? [...ctx.scope][0] : null;
  return {
    mode: mode(),
    region: ctx.filterRegion.chosen[0] || only,
    status: $("#filter-status").value || null,
    since: dayStart($("#filter-since").value),
    until: dayStart($("#filter-until").value, 1),
    limit: 50,
    cursor: fresh ? null : ctx.cursor,
  };
}

function inScope(incident) {
  return incident.regions.some((r) => ctx.index.within(r.code, ctx.scope));
}

/** Fetch the list again (`fresh`), or its next page. */
async function refreshList(fresh) {
  const form = $("#filter-form");
  clearProblems(form);
  let body;
  try {
    body = await getJSON("/v1/incidents", filters(fresh));
  } catch (error) {
    showProblem(form, error);
    return;
  }
  const shown = body.incidents.filter(inScope);
  ctx.items = fresh ? shown : [...ctx.items, ...shown];
  ctx.cursor = body.next_cursor;
  renderList();
}

function renderList() {
  clear($("#incident-list"), ctx.items.map((incident) => el("li", { class: "console-alert" },
    el("button", { type: "button", class: "select-alert", "aria-pressed": String(incident.id === ctx.selected),
      dataset: { id: incident.id, mode: incident.mode, status: incident.status },
      onclick: () => openIncident(incident.id) },
    statusWord(incident.mode), " ", el("strong", {}, incident.title || t("incidents.untitled")),
    " — ", listNames(incident.regions.map((r) => r.name), 3),
    el("br"), el("span", { class: "hint" }, dateTime(incident.start), " · ", incident.status_name,
      " · ", t("ci.claimsCount", { n: incident.claims_count }))))));
  $("#no-incidents").hidden = ctx.items.length > 0;
  $("#more").hidden = !ctx.cursor;
}

// --- recording an incident ------------------------------------------------------------------

function setupCreate() {
  const form = $("#create-form");
  form.hidden = !ctx.canWrite;
  $("#create-forbidden").hidden = ctx.canWrite;
  fillThreats();
  resetCreate();
  form.addEventListener("submit", create);
  form.addEventListener("reset", () => setTimeout(resetCreate));
}

function fillThreats() {
  const box = $("#create-threats");
  const checked = new Set([...box.querySelectorAll("input:checked")].map((input) => input.value));
  for (const label of box.querySelectorAll("label")) label.remove();
  box.append(...[...ctx.threats.values()].map((threat) => el("label", { class: "field inline" },
    el("input", { type: "checkbox", name: "threat", value: threat.id,
      checked: checked.has(threat.id) }),
    el("span", {}, threat.name))));
}

function resetCreate() {
  ctx.createRegions.set([]);
  $("#create-start").value = localInput();
  ctx.key = randomKey(); // a retry of the same form records once
  clearProblems($("#create-form"));
}

function text(selector) {
  return $(selector).value.trim() || null;
}

async function create(event) {
  event.preventDefault();
  const form = $("#create-form");
  clearProblems(form);
  const body = {
    mode: mode(),
    title: text("#create-name"),
    regions: [...ctx.createRegions.chosen],
    threats: [...$("#create-threats").querySelectorAll("input:checked")].map((i) => i.value),
    start: instant($("#create-start").value),
    end: instant($("#create-end").value),
    reported_at: instant($("#create-reported").value),
    description: text("#create-description"),
    idempotency_key: ctx.key,
  };
  for (const key of ["title", "start", "end", "reported_at", "description"]) {
    if (body[key] === null) delete body[key];
  }
  let made;
  try {
    made = await act("POST", "/v1/incidents", body);
  } catch (error) {
    showProblem(form, error);
    return;
  }
  announce(t("ci.created", { mode: t(`mode.${made.mode}`).toUpperCase(),
    title: made.title || t("incidents.untitled") }));
  form.reset();
  await refreshList(true);
  await openIncident(made.id);
}

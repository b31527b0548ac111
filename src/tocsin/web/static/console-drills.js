// The console's drills: every drill, planned, under way or done, planning a new one and
// cancelling one that has not started. Each goes through /v1/drills with the session's cookie
// and CSRF token, so the scopes, the rule that a session plans drills in exercise mode and the
// audit apply as for any client; a refusal is shown beside the field it names.

import { $, clear, dateTime, el, getJSON, instant, listNames, localInput } from "./api.js";
import { clearProblems, showProblem } from "./fields.js";
import { onLangChange, t } from "./i18n.js";
import { RegionPicker } from "./region-picker.js";
import { RegionIndex } from "./regions.js";
import { act, mode, startConsole } from "./session.js";
import { loadThreats } from "./site.js";

const PLANNERS = ["admin", "operator", "automation"];
const GROUPS = { scheduled: "planned", announced: "planned", running: "running" };
const ctx = { index: null, threats: new Map(), picker: null, drills: [], canPlan: false };

startConsole(async (current) => {
  const scope = current.regions ? new Set(current.regions) : null;
  ctx.canPlan = PLANNERS.includes(current.role);
  [ctx.index, ctx.threats] = await Promise.all([RegionIndex.load(), loadThreats()]);
  ctx.picker = new RegionPicker($("#drill-regions"),
    { index: ctx.index, allowed: (code) => ctx.index.within(code, scope) });
  setupForm();
  document.addEventListener("tocsin:mode", showMode);
  onLangChange(async () => {
    ctx.threats = await loadThreats();
    fillThreats();
    ctx.picker.relabel();
    showMode();
    renderList();
  });
  showMode();
  await refreshList();
});

function announce(text) {
  $("#result").textContent = text;
}

function showMode() {
  const key = mode() === "exercise" ? "cd.modeOk" : "cd.modeWrong";
  $("#schedule-mode").textContent = t(key, { mode: t(`mode.${mode()}`).toUpperCase() });
}

// --- the list -------------------------------------------------------------------------------

async function refreshList() {
  $("#list-error").textContent = "";
  try {
    ctx.drills = (await getJSON("/v1/drills")).drills;
  } catch (error) {
    $("#list-error").textContent = error.message;
    return;
  }
  renderList();
}

function group(drill) {
  return GROUPS[drill.state] || "done";
}

function renderList() {
  const items = ["planned", "running", "done"].flatMap((name) =>
    ctx.drills.filter((drill) => group(drill) === name).map(drillItem));
  clear($("#drill-list"), ...items);
  $("#no-drills").hidden = ctx.drills.length > 0;
}

function drillItem(drill) {
  const pending = group(drill) === "planned";
  return el("li", { class: "console-alert drill", dataset: { id: drill.id, state: drill.state } },
    el("strong", { class: "drill-state" }, t(`cd.state.${drill.state}`)), " ",
    el("span", { class: "drill-title" }, drill.title), " — ",
    listNames(drill.regions.map((code) => ctx.index.name(code)), 3),
    el("br"),
    el("span", { class: "hint" }, dateTime(drill.scheduled_for), " · ",
      ctx.threats.get(drill.threat)?.name || drill.threat, " · ",
      t(drill.sirens ? "cd.withSirens" : "cd.withoutSirens"),
      drill.reason ? ` · ${drill.reason}` : ""),
    pending && ctx.canPlan
      ? el("button", { type: "button", class: "btn quiet cancel-drill",
        onclick: () => cancel(drill) }, t("cd.cancel"))
      : "");
}

async function cancel(drill) {
  $("#list-error").textContent = "";
  try {
    await act("DELETE", `/v1/drills/${encodeURIComponent(drill.id)}`);
  } catch (error) {
    $("#list-error").textContent = error.message;
    return;
  }
  announce(t("cd.cancelled", { title: drill.title }));
  await refreshList();
}

// --- planning one ---------------------------------------------------------------------------

function setupForm() {
  const form = $("#schedule-form");
  form.hidden = !ctx.canPlan;
  $("#schedule-forbidden").hidden = ctx.canPlan;
  fillThreats();
  const start = new Date(Date.now() + 2 * 3600 * 1000);
  $("#drill-start").value = localInput(start);
  form.addEventListener("submit", schedule);
}

function fillThreats() {
  const select = $("#drill-threat");
  const chosen = select.value;
  clear(select, ...[...ctx.threats.values()].map((threat) =>
    el("option", { value: threat.id, selected: threat.id === chosen }, threat.name)));
}

function minutes(selector) {
  const value = $(selector).value.trim();
  return value === "" ? null : Math.round(Number(value) * 60);
}

async function schedule(event) {
  event.preventDefault();
  const form = $("#schedule-form");
  clearProblems(form);
  const body = {
    title: $("#drill-title").value.trim(),
    threat: $("#drill-threat").value,
    regions: [...ctx.picker.chosen],
    scheduled_for: instant($("#drill-start").value),
    announce_before: minutes("#drill-announce"),
    duration: minutes("#drill-duration"),
    sirens: $("#drill-sirens").checked,
  };
  let made;
  try {
    made = await act("POST", "/v1/drills", body);
  } catch (error) {
    showProblem(form, error);
    return;
  }
  announce(t("cd.scheduled", { title: made.title, time: dateTime(made.scheduled_for) }));
  $("#drill-title").value = "";
  ctx.picker.set([]);
  await refreshList();
}

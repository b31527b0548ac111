// The selected incident in the console: its facts; the current figures with their sources and
// how the rule arrived at each; every claim with its status history and the actions on it
// (verify, dispute, retract after a confirmation); the response actions and their progress;
// the linked alerts; closing and reopening; publishing an actual incident once its delay has
// passed (until then the public does not see it). The forms that add things are in
// console-incident-forms.js. Commands of another mode than the session's are not offered (the
// server refuses them too).

import { $, clear, dateTime, el, getJSON, instant, listNames } from "./api.js";
import { claimForm, linkForm, responseForm } from "./console-incident-forms.js";
import { clearProblems, showProblem } from "./fields.js";
import { t } from "./i18n.js";
import { act, confirmStep, mode, statusWord } from "./session.js";

const FINAL = ["completed", "cancelled"];
const view = { ctx: null, hooks: null, incident: null };

/** `hooks.changed()` after every accepted command; `hooks.announce(text)` tells the result. */
export function setupIncident(ctx, hooks) {
  view.ctx = ctx;
  view.hooks = hooks;
}

export async function openIncident(id) {
  view.ctx.selected = id;
  const panel = $("#incident-panel");
  try {
    view.incident = await getJSON(`/v1/incidents/${encodeURIComponent(id)}`);
  } catch (error) {
    panel.hidden = false;
    clear($("#incident-heading"), t("incidents.untitled"));
    clear($("#incident-body"), el("p", { class: "error" }, error.message));
    return;
  }
  renderIncident();
  for (const button of document.querySelectorAll("#incident-list .select-alert")) {
    button.setAttribute("aria-pressed", String(button.dataset.id === id));
  }
  panel.scrollIntoView({ block: "nearest" });
  panel.focus();
}

/** Fetch the open incident again (after a command, or in another language) and show it. */
export async function reload() {
  if (!view.incident) return;
  view.incident = await getJSON(`/v1/incidents/${encodeURIComponent(view.incident.id)}`);
  renderIncident();
}

/**
 * Send a command; on success tell `result(answer)`, show the incident afresh and refresh the
 * list. A refusal is shown on `form` beside the field at fault, and nothing is redrawn.
 */
export async function command(form, method, path, body, result) {
  clearProblems(form);
  let answer;
  try {
    answer = await act(method, path, body);
  } catch (error) {
    showProblem(form, error);
    return null;
  }
  view.hooks.announce(result(answer));
  await reload();
  view.hooks.changed();
  return answer;
}

function writable(incident) {
  return view.ctx.canWrite && incident.mode === mode();
}

export function renderIncident() {
  const incident = view.incident;
  if (!incident) return;
  const panel = $("#incident-panel");
  panel.hidden = false;
  Object.assign(panel.dataset, { id: incident.id, mode: incident.mode, status: incident.status });
  clear($("#incident-heading"), el("span", {}, statusWord(incident.mode), " ",
    incident.title || t("incidents.untitled")));
  const open = writable(incident) && incident.status === "open";
  const path = `/v1/incidents/${incident.id}`;
  const { ctx } = view;
  clear($("#incident-body"),
    facts(incident),
    notice(incident),
    publication(incident, path),
    writable(incident) ? statusForm(incident, path) : null,
    section("ci.figuresTitle", "figures", figuresTable(incident)),
    section("ci.claimsTitle", "claims", claimsList(incident, open),
      open ? claimForm(incident, ctx, path) : null),
    section("ci.responsesTitle", "responses", responsesList(incident, open),
      open ? responseForm(ctx, path) : null),
    section("ci.alertsTitle", "alerts", alertsList(incident),
      open ? linkForm(incident, path) : null));
}

function section(titleKey, name, ...content) {
  return el("section", { class: "incident-part", id: `incident-${name}`,
    "aria-labelledby": `incident-${name}-title` },
  el("h3", { id: `incident-${name}-title` }, t(titleKey)), content);
}

function facts(incident) {
  const row = (key, ...value) => [el("dt", {}, t(key)), el("dd", {}, value)];
  return el("dl", { class: "alert-facts" },
    row("ci.mode", statusWord(incident.mode)),
    row("ci.status", el("span", { class: "incident-status" }, incident.status_name)),
    row("ci.when", dateTime(incident.start), " – ", incident.end ? dateTime(incident.end) : "…"),
    incident.reported_at ? row("ci.reported", dateTime(incident.reported_at)) : null,
    row("ci.regions", listNames(incident.regions.map((r) => r.name), 12)),
    row("ci.threats", incident.threats.map((threat) => threat.name).join(", ")),
    row("ci.recordedBy", incident.created_by, " · ", dateTime(incident.recorded_at)),
    row("ci.public", incident.published_at
      ? t("ci.publishedAt", { time: dateTime(incident.published_at) })
      : t("ci.notPublic", { time: dateTime(incident.publishable_at) })),
    incident.description ? row("ci.description", incident.description) : null);
}

function notice(incident) {
  if (!view.ctx.canWrite) return el("p", { class: "note" }, t("ci.readOnly"));
  if (incident.mode !== mode()) {
    return el("p", { class: "mismatch" }, t("ci.mismatch", {
      incident: t(`mode.${incident.mode}`).toUpperCase(), mode: t(`mode.${mode()}`).toUpperCase() }));
  }
  if (incident.status === "closed") return el("p", { class: "note" }, t("ci.closedNote"));
  return null;
}

/** Publishing an actual incident: offered once it is not public, enabled from the time the
 * server gave (`publishable_at`); the server refuses an early request all the same. */
function publication(incident, path) {
  if (incident.published_at || !writable(incident)) return null;
  const due = new Date(incident.publishable_at);
  const early = Date.now() < due.getTime();
  const form = el("form", { class: "action-row", id: "publish-form", novalidate: true },
    el("p", { class: "hint", id: "publish-when" }, early
      ? t("ci.publishFrom", { time: dateTime(incident.publishable_at) })
      : t("ci.publishNow")),
    el("button", { type: "submit", class: "btn", id: "publish", disabled: early,
      "aria-describedby": "publish-when" }, t("ci.publish")),
    el("p", { class: "error form-error", role: "alert" }));
  if (early) setTimeout(() => view.incident?.id === incident.id && renderIncident(),
    Math.min(due.getTime() - Date.now() + 500, 2 ** 31 - 1));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const sure = await confirmStep({
      status: incident.mode,
      title: t("ci.publishTitle"),
      body: [el("p", {}, t("ci.publishLead", { title: incident.title || t("incidents.untitled") }))],
      yes: t("ci.publish"),
      danger: false,
      action: () => true,
    });
    if (sure) command(form, "POST", `${path}/publish`, null, () => t("ci.published"));
  });
  return form;
}

function statusForm(incident, path) {
  const open = incident.status === "open";
  const form = el("form", { class: "action-row", id: "status-form", novalidate: true },
    open ? el("label", { class: "field" }, el("span", {}, t("ci.closeEnd")),
      el("input", { type: "datetime-local", id: "close-end", "data-field": "end" })) : null,
    el("label", { class: "field" }, el("span", {}, t("ci.note")),
      el("input", { id: "status-note", "data-field": "note", autocomplete: "off" })),
    el("button", { type: "submit", class: open ? "btn warn" : "btn", id: open ? "close" : "reopen" },
      t(open ? "ci.close" : "ci.reopen")),
    el("p", { class: "error form-error", role: "alert" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { note: $("#status-note").value.trim() || null };
    if (open) body.end = instant($("#close-end").value);
    command(form, "POST", `${path}/${open ? "close" : "reopen"}`, body,
      () => t(open ? "ci.closed" : "ci.reopened"));
  });
  return form;
}

// --- figures --------------------------------------------------------------------------------

function figuresTable(incident) {
  const rows = Object.values(incident.figures || {});
  if (!rows.length) return el("p", { class: "empty" }, t("incidents.noFigures"));
  const head = ["incidents.measure", "incidents.value", "incidents.standing", "ci.rule",
    "incidents.sources"];
  return el("div", { class: "table-wrap" }, el("table", { class: "figures-table" },
    el("thead", {}, el("tr", {}, head.map((key) => el("th", { scope: "col" }, t(key))))),
    el("tbody", {}, rows.map((figure) => el("tr", { dataset: { measure: figure.measure } },
      el("th", { scope: "row" }, figure.name),
      el("td", { class: "figure-value" }, figure.text),
      el("td", { class: "figure-status" }, figure.status_name),
      el("td", {}, rule(figure)),
      el("td", {}, sources(figure.sources)))))));
}

/** How the rule arrived at the figure, in words. */
function rule(figure) {
  const parts = [figure.status === "confirmed" ? t("ci.ruleConfirmed")
    : t("ci.ruleUnverified", { n: figure.claims.length })];
  const weapons = Object.values(figure.by_weapon || {}).filter((p) => p.weapon);
  if (weapons.length) {
    parts.push(t("ci.ruleWeapons", { parts: weapons.map((p) => `${p.weapon.name} ${p.text}`)
      .join("; ") }));
  }
  if (figure.disputed.length) parts.push(t("ci.ruleDisputed", { n: figure.disputed.length }));
  return parts.join(" ");
}

function sourceName(source) {
  return source.url
    ? el("a", { href: source.url, rel: "noopener noreferrer nofollow", target: "_blank" },
      source.name || source.url)
    : source.name || "";
}

function sources(list) {
  if (!list?.length) return "—";
  return el("ul", { class: "sources" }, list.map((source) => el("li", {}, sourceName(source),
    source.originator ? ` (${t("ci.quoting", { who: source.originator })})` : "",
    ` · ${source.reliability} · `, dateTime(source.as_of))));
}

// --- claims ---------------------------------------------------------------------------------

function claimsList(incident, open) {
  if (!incident.claims.length) return el("p", { class: "empty" }, t("ci.noClaims"));
  return el("ul", { class: "claims" }, incident.claims.map((claim) => el("li",
    { class: "claim", dataset: { claimId: claim.id, status: claim.status, measure: claim.measure } },
    el("p", {}, el("strong", {}, claim.measure_name,
      claim.weapon_name ? ` (${claim.weapon_name})` : "", ": ", claim.text), " ",
    el("span", { class: "badge claim-status" }, claim.status_name),
    claim.superseded ? [" ", el("span", { class: "badge" }, t("ci.superseded"))] : null,
    " ", el("span", { class: "hint" }, t(claim.counts ? "ci.counts" : "ci.notCounted"))),
    el("p", { class: "hint" }, sourceName(claim.source),
      claim.source.originator ? ` (${t("ci.quoting", { who: claim.source.originator })})` : "",
      claim.source.kind_name ? ` · ${claim.source.kind_name}` : "",
      ` · ${claim.reliability} — ${claim.reliability_name} · `, dateTime(claim.as_of)),
    claim.note ? el("p", {}, claim.note) : null,
    claim.report ? el("p", { class: "claim-report" }, el("a", {
      href: `/console/reports/${encodeURIComponent(claim.report.id)}` }, t("ci.fromReport")),
    " ", el("q", { class: "quote" }, claim.report.quote)) : null,
    el("ol", { class: "claim-history" }, claim.history.map((entry) => el("li", {},
      el("strong", {}, entry.status_name), " · ", dateTime(entry.at), " · ", entry.by,
      entry.note ? ` — ${entry.note}` : ""))),
    open ? claimActions(incident, claim) : null)));
}

function claimActions(incident, claim) {
  if (claim.status === "retracted") return null;
  const form = el("form", { class: "actions claim-actions", novalidate: true },
    el("p", { class: "error form-error", role: "alert" }));
  const path = `/v1/incidents/${incident.id}/claims/${claim.id}`;
  const name = `${claim.measure_name} ${claim.text} (${claim.source.name})`;
  const button = (action, style, onclick) => el("button", { type: "button", class: `btn ${style}`,
    dataset: { action }, onclick }, t(`ci.${action}`));
  const done = { verify: t("ci.verified", { claim: name }), dispute: t("ci.disputed", { claim: name }) };
  const simple = (action) => () => command(form, "POST", `${path}/${action}`, undefined,
    () => done[action]);
  form.prepend(...[
    claim.status !== "confirmed" ? button("verify", "primary", simple("verify")) : null,
    claim.status !== "disputed" ? button("dispute", "", simple("dispute")) : null,
    button("retract", "danger", () => retract(incident, claim, name, path)),
  ].filter(Boolean));
  return form;
}

async function retract(incident, claim, name, path) {
  const reason = el("textarea", { id: "retract-reason", rows: 3 });
  const done = await confirmStep({
    status: incident.mode,
    title: t("ci.retractTitle"),
    body: [el("p", {}, t("ci.retractLead", { claim: name })),
      el("label", { class: "field" }, el("span", {}, t("ci.retractReason")), reason)],
    yes: t("ci.retract"),
    action: () => act("POST", `${path}/retract`, { note: reason.value.trim() || null }),
  });
  if (!done) return;
  view.hooks.announce(t("ci.retracted", { claim: name }));
  await reload();
  view.hooks.changed();
}

// --- responses ------------------------------------------------------------------------------

function responsesList(incident, open) {
  if (!incident.responses.length) return el("p", { class: "empty" }, t("ci.noResponses"));
  return el("ul", { class: "claims" }, incident.responses.map((response) => el("li",
    { class: "response", dataset: { responseId: response.id, status: response.status } },
    el("p", {}, el("strong", {}, response.kind_name,
      response.task_name ? ` (${response.task_name})` : "",
      response.utility_name ? ` (${response.utility_name})` : ""),
    response.party ? ` — ${response.party}` : "",
    response.people !== null ? ` · ${t("ci.people", { n: response.people })}` : "", " ",
    el("span", { class: "badge response-status" }, response.status_name),
    response.progress !== null ? ` ${response.progress} %` : ""),
    response.expected_at ? el("p", { class: "hint" },
      t("ci.expected", { at: dateTime(response.expected_at) })) : null,
    response.description ? el("p", {}, response.description) : null,
    response.updates.length ? el("ol", { class: "claim-history" }, response.updates.map((u) =>
      el("li", {}, el("strong", {}, u.status_name), u.progress !== null ? ` ${u.progress} %` : "",
        " · ", dateTime(u.at), u.note ? ` — ${u.note}` : ""))) : null,
    open && !FINAL.includes(response.status) ? progressForm(incident, response) : null)));
}

function progressForm(incident, response) {
  const path = `/v1/incidents/${incident.id}/responses/${response.id}`;
  const id = response.id.slice(0, 8);
  const form = el("form", { class: "action-row progress-form", novalidate: true },
    el("label", { class: "field" }, el("span", {}, t("ci.progress")),
      el("input", { type: "number", min: 0, max: 100, step: 1, id: `progress-${id}`,
        "data-field": "progress", class: "narrow" })),
    el("label", { class: "field" }, el("span", {}, t("ci.note")),
      el("input", { id: `progress-note-${id}`, "data-field": "note", autocomplete: "off" })),
    el("button", { type: "submit", class: "btn" }, t("ci.recordProgress")),
    el("button", { type: "button", class: "btn primary", dataset: { action: "complete" },
      onclick: () => command(form, "POST", `${path}/complete`,
        { note: form.querySelector("[data-field=note]").value.trim() || null },
        () => t("ci.completed", { kind: response.kind_name })) }, t("ci.complete")),
    el("p", { class: "error form-error", role: "alert" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const raw = form.querySelector("[data-field=progress]").value;
    command(form, "POST", `${path}/progress`, {
      progress: raw === "" ? null : Number(raw),
      note: form.querySelector("[data-field=note]").value.trim() || null,
    }, (answer) => t("ci.progressed", { kind: response.kind_name, n: answer.progress ?? "—" }));
  });
  return form;
}

// --- linked alerts --------------------------------------------------------------------------

function alertsList(incident) {
  if (!incident.alerts.length) return el("p", { class: "empty" }, t("ci.noAlerts"));
  const list = el("ul", { class: "linked-alerts" }, incident.alerts.map((id) =>
    el("li", { dataset: { alertId: id } }, id)));
  for (const item of list.children) {
    getJSON(`/v1/alerts/${encodeURIComponent(item.dataset.alertId)}`)
      .then((alert) => clear(item, alertLine(alert)))
      .catch(() => {}); // an alert this caller may not see keeps its id
  }
  return list;
}

export function alertLine(alert) {
  return [statusWord(alert.status), " ", el("strong", {}, alert.threat.signal || alert.threat.name),
    " — ", listNames(alert.regions.map((r) => r.name), 3), " · ", dateTime(alert.raised_at),
    " · ", t(`phase.${alert.phase}`)];
}

// The console's alerts: the open ones in the operator's regions, the queue held for a second
// person's approval, and the selected alert with its actions (escalate / de-escalate, add or
// remove regions, all-clear, cancel as a false alarm) and its live delivery status.

import { $, ApiError, clear, clock, el, elapsed, getJSON, lighten, listNames } from "./api.js";
import { LANGS, t, tIn } from "./i18n.js";
import { sirensWithin } from "./regions.js";
import { act, confirmStep, mode, sessionEnded, statusWord } from "./session.js";
import { colorOf } from "./site.js";
import { affected, raiseSummary, regionAnswer } from "./console-raise.js";

const ALERTING = ["admin", "operator", "automation"];
const APPROVING = ["admin", "approver"];
const state = { ctx: null, me: null, refreshing: null, again: false, watching: new Map(),
  finished: null };

export function setupAlerts(ctx, current) {
  state.ctx = ctx;
  state.me = current;
  document.addEventListener("tocsin:mode", () => {
    renderAlerts();
    renderPending();
    renderSelected();
    paint();
  });
  setInterval(() => {
    if (state.ctx.selected) delivery();
  }, 3000);
}

export function rememberSeq(id, seq) {
  const known = state.ctx.seqs.get(id);
  if (known === undefined || seq > known) state.ctx.seqs.set(id, seq);
}

function inScope(alert) {
  const { index, scope } = state.ctx;
  return alert.regions.some((r) => index.within(r.code, scope));
}

/** Fetch the open alerts again; calls during a fetch coalesce into one more. */
export function refreshAlerts() {
  if (state.refreshing) {
    state.again = true;
    return state.refreshing;
  }
  state.refreshing = getJSON("/v1/alerts/active", { status: "all" })
    .then((body) => {
      state.ctx.alerts = body.alerts.filter(inScope);
      renderAlerts();
      paint();
      return renderSelected();
    })
    .catch(() => {})
    .finally(() => {
      state.refreshing = null;
      if (state.again) {
        state.again = false;
        refreshAlerts();
      }
    });
  return state.refreshing;
}

function paint() {
  const { map, index, alerts, threats } = state.ctx;
  if (!map) return;
  const states = new Map();
  const drills = new Set();
  const rank = (id) => threats.get(id)?.rank || 0;
  const mark = (code, kind, threat) => {
    const old = states.get(code);
    if (old && (old.state === "active" && kind === "partial")) return;
    if (old && old.state === kind && rank(old.threat.id) >= rank(threat)) return;
    states.set(code, { state: kind, threat: { id: threat } });
  };
  for (const alert of alerts) {
    if (alert.phase !== "active") continue;
    for (const region of alert.regions) {
      const drawn = map.has(region.code) ? region.code
        : index.ancestors(region.code).find((a) => map.has(a));
      if (!drawn) continue;
      if (alert.status !== "actual") drills.add(drawn);
      else mark(drawn, drawn === region.code ? "active" : "partial", alert.threat.id);
    }
  }
  map.paint(states, (id) => colorOf(threats, id), lighten);
  map.markExercise(drills);
}

// --- the list of open alerts ----------------------------------------------------------------

function renderAlerts() {
  const { alerts, selected } = state.ctx;
  clear($("#open-alerts"), alerts.map((alert) => {
    const item = el("li", { class: "console-alert", dataset: { id: alert.id, status: alert.status } },
      el("button", { type: "button", class: "select-alert", "aria-pressed": String(alert.id === selected),
        onclick: () => selectAlert(alert.id) },
        statusWord(alert.status), " ",
        el("strong", {}, alert.threat.signal || alert.threat.name), " — ",
        listNames(alert.regions.map((r) => r.name), 4), " · ",
        alert.phase === "pre_alert" ? `${t("phase.pre_alert")} · ` : "",
        elapsed(alert.activated_at || alert.raised_at)),
      canAlert() ? el("div", { class: "actions" },
        el("button", { type: "button", class: "btn primary end-alert",
          onclick: () => endAlert(alert) }, t("action.end")),
        el("button", { type: "button", class: "btn quiet false-alarm",
          onclick: () => cancelFalseAlarm(alert) }, t("action.cancel"))) : null);
    item.firstChild.style.setProperty("--fill", alert.threat.color);
    return item;
  }));
  $("#no-open").hidden = alerts.length > 0;
}

export async function selectAlert(id) {
  state.ctx.selected = id;
  state.finished = null;
  renderAlerts();
  await renderSelected();
  const panel = $("#alert-panel");
  panel.scrollIntoView({ block: "nearest" });
  panel.focus();
  delivery();
}

function canAlert() {
  return ALERTING.includes(state.me.role);
}

// --- the selected alert ---------------------------------------------------------------------

async function renderSelected() {
  const id = state.ctx.selected;
  const panel = $("#alert-panel");
  if (!id) {
    panel.hidden = true;
    return;
  }
  let alert = state.ctx.alerts.find((a) => a.id === id);
  if (!alert) {
    if (!state.finished || state.finished.id !== id) {
      try {
        state.finished = await getJSON(`/v1/alerts/${encodeURIComponent(id)}`);
      } catch {
        panel.hidden = true;
        return;
      }
    }
    alert = state.finished;
  }
  panel.hidden = false;
  panel.dataset.id = alert.id;
  panel.dataset.phase = alert.phase;
  panel.dataset.status = alert.status;
  clear($("#alert-heading"), statusWord(alert.status), " ",
    alert.threat.signal || alert.threat.name);
  clear($("#alert-body"), details(alert), actions(alert));
}

function details(alert) {
  const open = ["active", "pre_alert"].includes(alert.phase);
  const started = alert.activated_at || alert.raised_at;
  const approval = alert.approval || {};
  return el("div", {},
    el("dl", { class: "alert-facts" },
      el("dt", {}, t("alert.status")), el("dd", {}, statusWord(alert.status)),
      el("dt", {}, t("alert.phase")), el("dd", { class: "alert-phase" }, t(`phase.${alert.phase}`)),
      el("dt", {}, t("alert.threat")), el("dd", {}, signalOf(alert.threat)),
      el("dt", {}, t("alert.started")), el("dd", {}, clock(started), " (", elapsed(started), ")"),
      alert.ended_at ? [el("dt", {}, t("alert.ended")), el("dd", {}, clock(alert.ended_at))] : null,
      el("dt", {}, t("alert.raisedBy")), el("dd", {}, alert.raised_by),
      approval.approved_by ? [el("dt", {}, t("alert.approvedBy")),
        el("dd", {}, approval.approved_by)] : null,
      alert.cancel_message ? [el("dt", {}, t("alert.cancelMessage")),
        el("dd", {}, alert.cancel_message)] : null),
    el("h3", {}, t("alert.regions")),
    el("ul", { class: "chips alert-regions" }, alert.regions.map((region) => el("li",
      { class: "chip", dataset: { code: region.code } }, region.name,
      open && canAlert() && alert.regions.length > 1
        ? el("button", { type: "button", "aria-label": t("action.removeRegion", { name: region.name }),
          onclick: () => removeRegion(alert, region) }, "×")
        : null))),
    open && alert.status !== mode()
      ? el("p", { class: "mismatch" }, t("alert.mismatch", {
        status: t(`mode.${alert.status}`).toUpperCase(), mode: t(`mode.${mode()}`).toUpperCase() }))
      : null);
}

function actions(alert) {
  if (!["active", "pre_alert"].includes(alert.phase)) {
    return el("p", { class: "note" }, t("alert.closed", { phase: t(`phase.${alert.phase}`) }));
  }
  if (!canAlert()) return el("p", { class: "note" }, t("alert.readOnly"));
  const mismatch = alert.status !== mode();
  const threats = [...state.ctx.threats.values()];
  const select = el("select", { id: "change-threat", "aria-label": t("action.newThreat") },
    threats.map((th) => el("option", { value: th.id, selected: th.id === alert.threat.id },
      `${th.signal} — ${th.name}`)));
  const search = el("input", { id: "add-region-search", type: "search", autocomplete: "off",
    "aria-label": t("action.addRegionSearch"), placeholder: t("action.addRegionSearch"),
    disabled: mismatch });
  const results = el("ul", { class: "search-results", id: "add-region-results" });
  search.addEventListener("input", () => {
    const { index, scope } = state.ctx;
    const present = new Set(alert.regions.map((r) => r.code));
    const found = index.search(search.value, (c) => index.within(c, scope) && !present.has(c));
    clear(results, found.map((code) => el("li", {}, el("button", { type: "button",
      dataset: { code }, onclick: () => addRegion(alert, code) }, index.label(code)))));
  });
  return el("div", {},
    el("div", { class: "actions" },
      el("button", { type: "button", class: "btn primary", id: "action-end",
        onclick: () => endAlert(alert) }, t("action.end")),
      el("button", { type: "button", class: "btn quiet", id: "action-cancel",
        onclick: () => cancelFalseAlarm(alert) }, t("action.cancel")),
      alert.phase === "pre_alert"
        ? el("button", { type: "button", class: "btn primary", id: "action-activate",
          disabled: mismatch, onclick: () => activate(alert) }, t("action.activate"))
        : null),
    el("div", { class: "action-row" },
      el("label", { class: "field" }, el("span", {}, t("action.newThreat")), select),
      el("button", { type: "button", class: "btn", id: "action-threat",
        onclick: () => changeThreat(alert, select.value) }, t("action.changeThreat"))),
    el("div", { class: "field" }, el("span", {}, t("action.addRegion")), search, results),
    el("p", { class: "error", id: "alert-error", role: "alert" }));
}

function answer(region) {
  return { name: region.name, code: region.code };
}

/** A threat as the public hears it: its signal first («Rocket Danger!»), then its name. */
export function signalOf(threat) {
  return threat.signal ? `${threat.signal} (${threat.name})` : threat.name;
}

function lead(alert, key, vars = {}) {
  return el("p", {}, t(`${key}.before`), " ", statusWord(alert.status), " ",
    t(`${key}.after`, { threat: signalOf(alert.threat),
      regions: listNames(alert.regions.map((r) => r.name), 8), ...vars }));
}

async function run(alert, options) {
  const done = await confirmStep({ status: alert.status, ...options });
  if (done) {
    if (done.id) state.finished = done;
    await refreshAlerts();
    await renderSelected();
    delivery();
  }
  return done;
}

function preScripted() {
  return LANGS.map((language) => tIn(language, "cancel.prescripted")).join("\n");
}

export function cancelFalseAlarm(alert) {
  if (state.ctx.selected !== alert.id) selectAlert(alert.id);
  const text = el("textarea", { id: "cancel-message", rows: 5 });
  text.value = preScripted();
  return run(alert, {
    title: t("cancel.title"),
    body: [lead(alert, "cancel.lead"),
      el("label", { class: "field" }, el("span", {}, t("cancel.messageLabel")), text)],
    yes: t("cancel.yes"),
    action: () => act("POST", `/v1/alerts/${alert.id}/cancel`, { message: text.value.trim() }),
  });
}

function endAlert(alert) {
  if (state.ctx.selected !== alert.id) selectAlert(alert.id);
  return run(alert, {
    title: t("end.title"),
    body: [lead(alert, "end.lead")],
    yes: t("end.yes"),
    danger: false,
    action: () => act("POST", `/v1/alerts/${alert.id}/end`),
  });
}

function activate(alert) {
  return run(alert, {
    title: t("activate.title"),
    body: [lead(alert, "activate.lead")],
    typed: alert.status === "actual" ? answer(alert.regions[0]) : null,
    yes: t("activate.yes"),
    action: () => act("POST", `/v1/alerts/${alert.id}/activate`),
  });
}

function changeThreat(alert, threatId) {
  if (threatId === alert.threat.id) return null;
  const next = state.ctx.threats.get(threatId);
  const up = (next?.rank || 0) > (alert.threat.rank || 0);
  if (up && alert.status !== mode()) {
    $("#alert-error").textContent = t("alert.noEscalation", { mode: t(`mode.${alert.status}`) });
    return null;
  }
  const key = up ? "escalate" : "deescalate";
  return run(alert, {
    title: t(`${key}.title`),
    body: [lead(alert, `${key}.lead`, { to: next ? signalOf(next) : threatId })],
    typed: up && alert.status === "actual" ? answer(alert.regions[0]) : null,
    yes: t(`${key}.yes`, { to: next?.name || threatId }),
    action: () => act("PATCH", `/v1/alerts/${alert.id}`,
      { threat: threatId, version: alert.version }),
  });
}

function addRegion(alert, code) {
  const name = state.ctx.index.name(code);
  return run(alert, {
    title: t("addRegion.title"),
    body: [lead(alert, "addRegion.lead", { region: name })],
    typed: alert.status === "actual" ? regionAnswer(state.ctx.index, code) : null,
    yes: t("addRegion.yes", { region: name }),
    action: () => act("PATCH", `/v1/alerts/${alert.id}`,
      { add_regions: [code], version: alert.version }),
  });
}

function removeRegion(alert, region) {
  return run(alert, {
    title: t("removeRegion.title"),
    body: [lead(alert, "removeRegion.lead", { region: region.name })],
    yes: t("removeRegion.yes", { region: region.name }),
    danger: false,
    action: () => act("PATCH", `/v1/alerts/${alert.id}`,
      { remove_regions: [region.code], version: alert.version }),
  });
}

// --- delivery status ------------------------------------------------------------------------

async function delivery() {
  const id = state.ctx.selected;
  const alert = state.ctx.alerts.find((a) => a.id === id) || state.finished;
  if (!alert) return;
  const seq = state.ctx.seqs.get(id);
  const [status, sirens] = await Promise.all([
    getJSON("/console/api/status", seq ? { event: seq } : {}, { lang: false }).catch(() => null),
    sirenStatus(alert, seq),
  ]);
  if (state.ctx.selected !== id) return;
  const rows = [
    [t("delivery.event"), seq ? `#${seq}` : t("delivery.noEvent")],
    [t("delivery.subscribers"), status ? String(status.stream_subscribers)
      : t("delivery.unavailable")],
    [t("delivery.sirens"), sirens],
    [t("delivery.channels"), channels(status)],
  ];
  clear($("#delivery"), el("dl", { class: "delivery-facts" },
    rows.map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)])));
}

function channels(status) {
  const found = status?.deliveries;
  if (!found) return t("delivery.channelsUnknown");
  if (!found.targets.length) return t("delivery.noTargets");
  const failing = found.targets.filter((x) => x.outcome !== "delivered").map((x) => x.consumer);
  return t("delivery.channelCounts", { delivered: found.delivered, failing: found.failing })
    + (failing.length ? ` (${failing.join(", ")})` : "");
}

async function sirenStatus(alert, seq) {
  const found = await sirensWithin(state.ctx.index, alert.regions.map((r) => r.code));
  if (found.unavailable) return t("sirens.unavailable");
  if (found.error) return t("sirens.unknown", { reason: found.error });
  if (!found.sirens.length) return t("sirens.none");
  const all = found.sirens;
  const faulty = all.filter((s) => s.state === "faulty").length;
  const acked = all.filter((s) => s.state !== "faulty" && seq && s.last_ack_seq !== null
    && s.last_ack_seq >= seq).length;
  return t("sirens.acks", { n: all.length, acked, faulty, waiting: all.length - acked - faulty });
}

// --- the approval queue ---------------------------------------------------------------------

export async function refreshPending() {
  let body;
  try {
    body = await getJSON("/v1/alerts/pending");
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) $("#pending-panel").hidden = true;
    if (error instanceof ApiError && error.status === 401) sessionEnded();
    return;
  }
  state.ctx.pending = body.alerts;
  const ids = new Set(body.alerts.map((a) => a.id));
  for (const alert of body.alerts) {
    if (alert.raised_by === state.me.username) state.watching.set(alert.id, alert);
  }
  for (const [id] of state.watching) {
    if (!ids.has(id)) {
      state.watching.delete(id);
      decided(id);
    }
  }
  renderPending();
}

async function decided(id) {
  try {
    const alert = await getJSON(`/v1/alerts/${encodeURIComponent(id)}`);
    const note = $("#raise-result");
    note.hidden = false;
    const approval = alert.approval || {};
    if (alert.phase === "rejected") {
      note.className = "banner-note";
      note.textContent = t("raise.rejected", { by: approval.rejected_by || "",
        reason: approval.rejection || "" });
    } else {
      note.className = "banner-note ok";
      note.textContent = t("raise.approved", { by: approval.approved_by || "",
        threat: signalOf(alert.threat) });
      await refreshAlerts();
    }
  } catch {
    // the queue shows the rest
  }
}

function renderPending() {
  const me = state.me;
  clear($("#pending"), state.ctx.pending.map((alert) => {
    const mine = alert.raised_by === me.username;
    const approver = APPROVING.includes(me.role) && !mine;
    const canApprove = approver && alert.status === mode();
    return el("li", { class: "pending-alert", dataset: { id: alert.id, status: alert.status } },
      el("p", {}, statusWord(alert.status), " ", el("strong", {}, alert.threat.signal), " — ",
        listNames(alert.regions.map((r) => r.name), 6)),
      el("p", { class: "hint" }, t("pending.by", { user: alert.raised_by,
        time: clock(alert.raised_at), reason: alert.approval?.reason || "" })),
      el("div", { class: "actions" },
        canApprove ? el("button", { type: "button", class: "btn danger approve",
          onclick: () => approve(alert) }, t("pending.approve")) : null,
        approver ? el("button", { type: "button", class: "btn reject",
          onclick: () => reject(alert, "pending.rejectTitle") }, t("pending.reject")) : null,
        mine ? el("button", { type: "button", class: "btn withdraw",
          onclick: () => reject(alert, "pending.withdrawTitle") }, t("pending.withdraw")) : null,
        mine && !approver ? el("span", { class: "hint" }, t("pending.waiting")) : null,
        approver && !canApprove ? el("span", { class: "hint switch-mode" }, t("pending.switchMode", {
          status: t(`mode.${alert.status}`).toUpperCase(), mode: t(`mode.${alert.status}`) })) : null));
  }));
  $("#no-pending").hidden = state.ctx.pending.length > 0;
}

/** The approver reviews what the raiser reviewed (the same summary and map), then approves. */
async function approve(alert) {
  const regions = alert.regions.map((r) => r.code);
  const facts = await affected(state.ctx, regions);
  const threat = state.ctx.threats.get(alert.threat.id) || alert.threat;
  const done = await confirmStep({
    status: alert.status,
    title: t("pending.approveTitle"),
    body: [el("p", { class: "hint" }, t("pending.by", { user: alert.raised_by,
      time: clock(alert.raised_at), reason: alert.approval?.reason || "" })),
    ...raiseSummary(state.ctx, { threat, regions, status: alert.status,
      text: alert.text || alert.headline || null, pre_alert: false,
      facts, hold: null })],
    typed: alert.status === "actual" ? answer(alert.regions[0]) : null,
    yes: t("pending.approveYes"),
    action: () => act("POST", `/v1/alerts/${alert.id}/approve`),
  });
  if (done) await Promise.all([refreshPending(), refreshAlerts()]);
}

async function reject(alert, titleKey) {
  const reason = el("textarea", { id: "reject-reason", rows: 3 });
  const done = await confirmStep({
    status: alert.status,
    title: t(titleKey),
    body: [lead(alert, "pending.rejectLead"),
      el("label", { class: "field" }, el("span", {}, t("pending.reason")), reason)],
    yes: t(titleKey),
    danger: false,
    action: () => act("POST", `/v1/alerts/${alert.id}/reject`,
      { reason: reason.value.trim() || null }),
  });
  if (done) await refreshPending();
}

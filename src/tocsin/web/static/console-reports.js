// The console's reports: paste a report with its source, read it through /v1/reports, and see
// the text with every span that was read highlighted (figures, places, times, weapons) beside
// the proposal it makes. Each proposal is accepted (as proposed or edited) or rejected through
// /v1/reports/{id}/proposals/{pid}/…, with the session's cookie and CSRF token, so the scopes,
// the session's mode and the audit apply as for any client; a refusal is shown beside the
// field it names, and what was typed stays.

import { $, clear, dateTime, el, getJSON, instant, localInput } from "./api.js";
import { clearProblems, showProblem } from "./fields.js";
import { onLangChange, t } from "./i18n.js";
import { RegionIndex } from "./regions.js";
import { act, mode, startConsole } from "./session.js";

const SUBMITTERS = ["admin", "operator"];
const KINDS = ["claim", "other", "place", "time", "threat"];
const SOURCE_KINDS = ["official", "military", "emergency_service", "utility", "media",
  "social_media", "witness", "other"];
const ctx = { index: null, report: null, canSubmit: false, terms: null };

startConsole(async (current) => {
  ctx.canSubmit = SUBMITTERS.includes(current.role);
  ctx.index = await RegionIndex.load();
  ctx.terms = await getJSON("/v1/incidents/terms").catch(() => null);
  setupForm();
  document.addEventListener("tocsin:mode", async () => {
    showMode();
    await refreshList();
  });
  onLangChange(async () => {
    ctx.terms = await getJSON("/v1/incidents/terms").catch(() => null);
    fillKinds();
    showMode();
    renderLegend();
    if (ctx.report) renderReport();
    await refreshList();
  });
  showMode();
  renderLegend();
  await refreshList();
  const wanted = location.pathname.split("/")[3];
  if (wanted) await openReport(decodeURIComponent(wanted));
});

function announce(text) {
  $("#result").textContent = text;
}

function showMode() {
  $("#submit-mode").textContent = t("cr.mode", { mode: t(`mode.${mode()}`).toUpperCase() });
}

// --- submitting -------------------------------------------------------------------------------

function setupForm() {
  const form = $("#report-form");
  form.hidden = !ctx.canSubmit;
  $("#submit-forbidden").hidden = ctx.canSubmit;
  fillKinds();
  $("#published-at").value = localInput(new Date());
  form.addEventListener("submit", submit);
}

function fillKinds() {
  const select = $("#source-kind");
  const chosen = select.value || "official";
  const named = new Map((ctx.terms?.source_kinds || []).map((k) => [k.id, k.name]));
  clear(select, ...SOURCE_KINDS.map((kind) =>
    el("option", { value: kind, selected: kind === chosen }, named.get(kind) || kind)));
}

async function submit(event) {
  event.preventDefault();
  const form = $("#report-form");
  clearProblems(form);
  const published = $("#published-at").value;
  const body = {
    text: $("#report-text").value,
    source: {
      name: $("#source-name").value.trim() || null,
      url: $("#source-url").value.trim() || null,
      kind: $("#source-kind").value,
      published_at: published ? instant(published) : null,
    },
  };
  if ($("#report-lang").value) body.lang = $("#report-lang").value;
  $("#report-submit").disabled = true;
  let made;
  try {
    made = await act("POST", "/v1/reports", body);
  } catch (error) {
    showProblem(form, error);
    return;
  } finally {
    $("#report-submit").disabled = false;
  }
  ctx.report = made;
  history.replaceState(null, "", `/console/reports/${encodeURIComponent(made.id)}`);
  announce(t("cr.read", { claims: made.draft.claims.length, proposals: made.proposals.length }));
  renderReport();
  await refreshList();
}

// --- the list -------------------------------------------------------------------------------

async function refreshList() {
  $("#list-error").textContent = "";
  let found;
  try {
    found = (await getJSON("/v1/reports", { mode: mode(), limit: 30 })).reports;
  } catch (error) {
    $("#list-error").textContent = error.message;
    return;
  }
  clear($("#report-list"), ...found.map((report) =>
    el("li", { class: "console-alert report-item", dataset: { id: report.id } },
      el("a", { href: `/console/reports/${encodeURIComponent(report.id)}`,
        onclick: (event) => { event.preventDefault(); openReport(report.id); } },
      report.source.name), " — ", dateTime(report.received_at), el("br"),
      el("span", { class: "hint" }, report.excerpt.slice(0, 120), " · ",
        t("cr.pending", { count: report.pending })))));
  $("#no-reports").hidden = found.length > 0;
}

async function openReport(id) {
  $("#report-error").textContent = "";
  try {
    ctx.report = await getJSON(`/v1/reports/${encodeURIComponent(id)}`);
  } catch (error) {
    $("#report-error").textContent = error.message;
    $("#report-panel").hidden = false;
    return;
  }
  history.replaceState(null, "", `/console/reports/${encodeURIComponent(id)}`);
  renderReport();
}

// --- the report -----------------------------------------------------------------------------

function renderLegend() {
  clear($("#legend"), ...KINDS.map((kind) =>
    el("li", { class: `legend-item hl-${kind}` },
      el("span", { class: `swatch hl-${kind}`, "aria-hidden": "true" }), t(`cr.kind.${kind}`))));
}

/** Every span read, with its kind and the proposal it makes (figures only). */
function spans(report) {
  const found = [];
  const byQuote = new Map();
  for (const proposal of report.proposals) {
    const evidence = proposal.claim?.evidence;
    if (evidence) byQuote.set(`${evidence.start}:${evidence.end}:${proposal.other ?? ""}`, proposal);
  }
  const add = (evidence, kind, label, proposal = null) => {
    if (evidence && evidence.end > evidence.start) {
      found.push({ start: evidence.start, end: evidence.end, kind, label, proposal });
    }
  };
  const draft = report.draft;
  for (const claim of draft.claims || []) {
    const e = claim.evidence;
    add(e, "claim", claimText(claim), byQuote.get(`${e.start}:${e.end}:`));
  }
  (report.others || []).forEach((other, index) => {
    for (const claim of other.claims || []) {
      const e = claim.evidence;
      add(e, "other", claimText(claim), byQuote.get(`${e.start}:${e.end}:${index}`));
    }
  });
  for (const place of draft.places || []) add(place.evidence, "place", placeName(place.region));
  for (const time of draft.times || []) add(time.evidence, "time", dateTime(time.start));
  for (const threat of draft.threat_findings || []) add(threat.evidence, "threat", threat.threat);
  found.sort((a, b) => a.start - b.start || (b.end - b.start) - (a.end - a.start));
  const kept = [];
  for (const span of found) {
    if (!kept.length || span.start >= kept[kept.length - 1].end) kept.push(span);
  }
  return kept;
}

function renderReport() {
  const report = ctx.report;
  $("#report-panel").hidden = false;
  $("#report-meta").textContent = t("cr.meta", {
    source: report.source.name, lang: report.lang, mode: t(`mode.${report.mode}`).toUpperCase(),
    when: dateTime(report.received_at),
  });
  const matches = report.matches.map((id, index) => el("a", {
    href: `/console/incidents?id=${encodeURIComponent(id)}`, class: "match",
    dataset: { id } }, index === 0 ? t("cr.bestMatch", { id: id.slice(0, 8) }) : id.slice(0, 8)));
  clear($("#report-matches"), report.matches.length ? t("cr.matches") : t("cr.noMatch"),
    " ", ...matches.flatMap((link, i) => (i ? [", ", link] : [link])));
  // The offsets count code points, as the server's text does; a JS string counts UTF-16 units
  // (an emoji is two), so the text is cut as an array of code points.
  const chars = Array.from(report.text);
  const cut = (from, to) => chars.slice(from, to).join("");
  const parts = [];
  let at = 0;
  spans(report).forEach((span, index) => {
    if (span.start > at) parts.push(cut(at, span.start));
    const mark = el("mark", {
      class: `hl hl-${span.kind}`, id: `span-${index}`, tabindex: "0",
      title: `${t(`cr.kind.${span.kind}`)}: ${span.label}`,
      dataset: { kind: span.kind, proposal: span.proposal?.id || "" },
    }, cut(span.start, span.end),
    el("span", { class: "vh" }, ` (${t(`cr.kind.${span.kind}`)})`));
    if (span.proposal) link(mark, span.proposal.id);
    parts.push(mark);
    at = span.end;
  });
  parts.push(cut(at));
  clear($("#report-body"), ...parts);
  clear($("#proposals"), ...report.proposals.map(proposalItem));
}

function link(mark, proposalId) {
  const item = () => document.querySelector(`#proposals li[data-id="${proposalId}"]`);
  const on = () => { mark.classList.add("linked"); item()?.classList.add("linked"); };
  const off = () => { mark.classList.remove("linked"); item()?.classList.remove("linked"); };
  mark.addEventListener("mouseenter", on);
  mark.addEventListener("mouseleave", off);
  mark.addEventListener("focus", on);
  mark.addEventListener("blur", off);
  mark.addEventListener("click", () => item()?.focus());
  mark.addEventListener("keydown", (event) => {
    if (event.key === "Enter") item()?.focus();
  });
}

function marksOf(proposalId) {
  return [...document.querySelectorAll(`#report-body mark[data-proposal="${proposalId}"]`)];
}

function claimText(claim) {
  const weapon = claim.weapon ? ` (${claim.weapon})` : "";
  return `${measureName(claim.measure)}${weapon}: ${quantity(claim)}`;
}

function measureName(id) {
  return ctx.terms?.measures?.find((m) => m.id === id)?.name || id;
}

function quantity(claim) {
  if (claim.words) return `${claim.words} (${claim.min}–${claim.max ?? "…"})`;
  if (claim.kind === "at_least") return `≥ ${claim.min}`;
  if (claim.kind === "at_most") return `≤ ${claim.max}`;
  if (claim.min === claim.max) return String(claim.min);
  return `${claim.min}–${claim.max ?? "…"}`;
}

function placeName(code) {
  return ctx.index?.name(code) || code;
}

function proposalItem(proposal) {
  const pending = proposal.status === "pending";
  const item = el("li", {
    class: proposal.other !== null ? "proposal other" : "proposal", tabindex: "-1",
    dataset: { id: proposal.id, status: proposal.status, kind: proposal.kind },
  }, ...describe(proposal));
  item.addEventListener("mouseenter", () => marksOf(proposal.id).forEach((m) => m.classList.add("linked")));
  item.addEventListener("mouseleave", () => marksOf(proposal.id).forEach((m) => m.classList.remove("linked")));
  item.append(el("p", { class: "proposal-status" }, statusText(proposal)));
  if (pending && ctx.canSubmit && ctx.report.mode === mode()) item.append(decideForm(proposal));
  else if (pending && ctx.report.mode !== mode()) {
    item.append(el("p", { class: "hint" }, t("cr.otherMode",
      { mode: t(`mode.${ctx.report.mode}`).toUpperCase() })));
  }
  return item;
}

function describe(proposal) {
  if (proposal.kind === "incident") {
    const draft = proposal.incident;
    return [el("strong", {}, t("cr.newIncident")), " ",
      (draft.regions || []).map(placeName).join(", ") || t("cr.noRegion"), " · ",
      (draft.threats || []).join(", ") || t("cr.noThreat"), " · ",
      draft.start ? dateTime(draft.start) : "—"];
  }
  const claim = proposal.claim;
  const parts = [el("strong", {}, claimText(claim))];
  if (proposal.other !== null) parts.push(" ", el("span", { class: "tag" }, t("cr.otherEvent")));
  else if (proposal.relation) parts.push(" ", el("span", { class: "tag" }, t(`cr.relation.${proposal.relation}`)));
  if (proposal.supersedes.length) {
    parts.push(" ", t("cr.supersedes", { ids: proposal.supersedes.map((id) => id.slice(0, 8)).join(", ") }));
  }
  parts.push(el("br"), el("q", { class: "quote" }, claim.evidence.quote));
  return parts;
}

function statusText(proposal) {
  const decision = proposal.decision;
  if (!decision) return t("cr.status.pending");
  const made = decision.claim_id || decision.incident_id;
  return t(`cr.status.${proposal.status}`, { by: decision.by, id: made ? made.slice(0, 8) : "" });
}

function field(label, name, attrs = {}) {
  return el("label", { class: "field" }, el("span", {}, label),
    el("input", { "data-field": name, autocomplete: "off", ...attrs }));
}

function decideForm(proposal) {
  const edits = proposal.kind === "incident"
    ? [field(t("cr.regions"), "regions", { value: (proposal.incident.regions || []).join(", ") }),
      field(t("cr.threats"), "threats", { value: (proposal.incident.threats || []).join(", ") }),
      field(t("cr.start"), "start", { type: "datetime-local", value: startInput(proposal) })]
    : [field(t("cr.measure"), "measure", { value: proposal.claim.measure }),
      field(t("cr.weapon"), "weapon", { value: proposal.claim.weapon || "" }),
      field(t("cr.value"), "value", { value: quantityInput(proposal.claim) }),
      field(t("cr.incident"), "incident_id", { value: proposal.incident_id || "" }),
      field(t("cr.status"), "status", { value: "unverified" })];
  const box = el("div", { class: "proposal-edits", hidden: true }, ...edits);
  const form = el("form", { class: "form-grid decide", novalidate: true }, box,
    el("p", { class: "error form-error", role: "alert" }),
    el("div", { class: "actions" },
      el("button", { type: "submit", class: "btn primary accept" }, t("cr.accept")),
      el("button", { type: "button", class: "btn edit",
        onclick: () => { box.hidden = !box.hidden; } }, t("cr.edit")),
      el("button", { type: "button", class: "btn quiet reject",
        onclick: () => decide(proposal, form, box, false) }, t("cr.reject"))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    decide(proposal, form, box, true);
  });
  return form;
}

function startInput(proposal) {
  const start = proposal.incident.start;
  return start ? localInput(new Date(start)) : "";
}

function quantityInput(claim) {
  if (claim.words) return claim.words;
  if (claim.kind === "at_least") return `at least ${claim.min}`;
  if (claim.kind === "at_most") return `up to ${claim.max}`;
  if (claim.min === claim.max) return String(claim.min);
  return `${claim.min}-${claim.max}`;
}

function edited(proposal, box) {
  if (box.hidden) return {};
  const value = (name) => box.querySelector(`[data-field="${name}"]`).value.trim();
  if (proposal.kind === "incident") {
    const list = (name) => value(name).split(",").map((s) => s.trim()).filter(Boolean);
    const body = { regions: list("regions"), threats: list("threats") };
    if (value("start") !== startInput(proposal)) body.start = instant(value("start"));
    return body;
  }
  const body = {};
  if (value("measure") !== proposal.claim.measure) body.measure = value("measure");
  if (value("weapon") !== (proposal.claim.weapon || "")) body.weapon = value("weapon") || null;
  const count = value("value");
  if (count !== quantityInput(proposal.claim)) body.value = /^\d+$/.test(count) ? Number(count) : count;
  if (value("incident_id") && value("incident_id") !== proposal.incident_id) body.incident_id = value("incident_id");
  if (value("status") && value("status") !== "unverified") body.status = value("status");
  return body;
}

async function decide(proposal, form, box, accept) {
  clearProblems(form);
  const path = `/v1/reports/${encodeURIComponent(ctx.report.id)}/proposals/${encodeURIComponent(proposal.id)}/${accept ? "accept" : "reject"}`;
  let answer;
  try {
    answer = await act("POST", path, accept ? edited(proposal, box) : {});
  } catch (error) {
    if (error.field && box.hidden && box.querySelector(`[data-field="${error.field.split(/[.[]/)[0]}"]`)) {
      box.hidden = false;
    }
    showProblem(form, error);
    return;
  }
  ctx.report = answer.report;
  const decision = answer.proposal.decision;
  announce(accept
    ? t("cr.accepted", { id: (decision.claim_id || decision.incident_id).slice(0, 8) })
    : t("cr.rejected"));
  renderReport();
  const done = document.querySelector(`#proposals li[data-id="${proposal.id}"]`);
  if (done && decision.incident_id) {
    done.append(el("a", { class: "to-incident",
      href: `/console/incidents?id=${encodeURIComponent(decision.incident_id)}` }, t("cr.toIncident")));
  }
  await refreshList();
}

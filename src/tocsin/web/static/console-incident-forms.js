// The console's forms that add to an incident: a claim (a measure from the catalogue; a count
// exact, as a range, "at least", an explicit zero or vague words; the source, its grade and the
// claim's initial status), a response action, and links to recent alerts of its regions. Each
// names its inputs by the API's field names, so a refusal lands beside the input at fault.

import { clear, el, getJSON, instant, randomKey } from "./api.js";
import { alertLine, command } from "./console-incident.js";
import { t } from "./i18n.js";

const COUNTS = ["exact", "range", "at_least", "zero", "words"];

function field(labelKey, control, extra = {}) {
  return el("label", { class: "field", ...extra }, el("span", {}, t(labelKey)), control);
}

function select(id, name, options, blank = null) {
  return el("select", { id, "data-field": name },
    blank ? el("option", { value: "" }, blank) : null,
    options.map((option) => el("option", { value: option.id }, option.name)));
}

function input(id, name, attrs = {}) {
  return el("input", { id, "data-field": name, autocomplete: "off", ...attrs });
}

function value(form, name) {
  const node = [...form.querySelectorAll(`[data-field="${name}"]`)]
    .find((n) => n.getClientRects().length > 0);
  const text = node ? node.value.trim() : "";
  return text === "" ? null : text;
}

function number(text) {
  return text === null ? null : Number(text);
}

function footer(labelKey) {
  return [el("p", { class: "error form-error", role: "alert" }),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "btn primary" },
      t(labelKey)))];
}

/** Show the parts of `form` for the chosen option (`data-when` lists the options they serve). */
function showFor(form, chosen) {
  for (const node of form.querySelectorAll("[data-when]")) {
    node.hidden = !node.dataset.when.split(" ").includes(chosen);
  }
}

// --- a claim --------------------------------------------------------------------------------

export function claimForm(incident, ctx, path) {
  const { terms, threats } = ctx;
  const weapons = [...threats.values()].map((th) => ({ id: th.id, name: th.name }));
  const countKinds = el("fieldset", { class: "field count-kinds" },
    el("legend", {}, t("ci.count")),
    COUNTS.map((kind) => el("label", { class: "field inline" },
      el("input", { type: "radio", name: "count-kind", value: kind, checked: kind === "exact" }),
      el("span", {}, t(`ci.count.${kind}`)))));
  const form = el("form", { id: "claim-form", class: "form-grid", novalidate: true },
    el("h4", {}, t("ci.addClaim")),
    field("ci.measure", select("claim-measure", "measure", terms.measures)),
    field("ci.weapon", select("claim-weapon", "weapon", weapons, t("ci.allWeapons")),
      { id: "claim-weapon-field", hidden: true }),
    countKinds,
    field("ci.value", input("claim-value", "value", { type: "number", min: 0, step: 1 }),
      { dataset: { when: "exact" } }),
    field("ci.min", input("claim-min", "min", { type: "number", min: 0, step: 1 }),
      { dataset: { when: "range at_least" } }),
    field("ci.max", input("claim-max", "max", { type: "number", min: 0, step: 1 }),
      { dataset: { when: "range" } }),
    field("ci.words", select("claim-words", "value", terms.vague_words.map((w) =>
      ({ id: w.name, name: `${w.name} (${w.min}–${w.max ?? "…"})` }))),
    { dataset: { when: "words" } }),
    field("ci.sourceName", input("claim-source", "source.name", { required: true })),
    field("ci.sourceKind", select("claim-source-kind", "source.kind", terms.source_kinds)),
    field("ci.originator", input("claim-originator", "source.originator")),
    field("ci.link", input("claim-link", "source.url", { type: "url" })),
    field("ci.statedAt", input("claim-time", "source.published_at", { type: "datetime-local" })),
    field("ci.reliability", select("claim-reliability", "reliability", terms.reliability.map((r) =>
      ({ id: r.id, name: `${r.id} — ${r.name}` })))),
    field("ci.initialStatus", select("claim-status", "status", terms.claim_statuses)),
    field("ci.note", el("textarea", { id: "claim-note", "data-field": "note", rows: 2 })),
    footer("ci.addClaim"));
  form.dataset.key = randomKey(); // a retry of this form adds the claim once
  form.querySelector("[data-field=reliability]").value = "F";
  form.querySelector("[data-field=\"source.kind\"]").value = "other";
  const measure = form.querySelector("#claim-measure");
  const kinds = () => form.querySelector("input[name=count-kind]:checked").value;
  const weaponField = () => {
    const named = terms.measures.find((m) => m.id === measure.value)?.weapon;
    form.querySelector("#claim-weapon-field").hidden = !named;
  };
  measure.addEventListener("change", weaponField);
  weaponField();
  countKinds.addEventListener("change", () => showFor(form, kinds()));
  showFor(form, "exact");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = claimBody(form, kinds());
    command(form, "POST", `${path}/claims`, body, (claim) => t("ci.claimAdded", {
      claim: `${claim.measure_name} ${claim.text} (${claim.source.name})` }));
  });
  return form;
}

function claimBody(form, kind) {
  const body = {
    measure: value(form, "measure"),
    weapon: value(form, "weapon"),
    source: {
      name: value(form, "source.name") || "",
      kind: value(form, "source.kind"),
      originator: value(form, "source.originator"),
      url: value(form, "source.url"),
      published_at: instant(value(form, "source.published_at")),
    },
    reliability: value(form, "reliability"),
    status: value(form, "status"),
    note: value(form, "note"),
    idempotency_key: form.dataset.key,
  };
  if (kind === "exact") body.value = number(value(form, "value"));
  if (kind === "range") Object.assign(body, { min: number(value(form, "min")),
    max: number(value(form, "max")) });
  if (kind === "at_least") body.min = number(value(form, "min"));
  if (kind === "zero") body.value = 0;
  if (kind === "words") body.value = value(form, "value");
  return body;
}

// --- a response action ----------------------------------------------------------------------

export function responseForm(ctx, path) {
  const { terms } = ctx;
  const form = el("form", { id: "response-form", class: "form-grid", novalidate: true },
    el("h4", {}, t("ci.addResponse")),
    field("ci.kind", select("response-kind", "kind", terms.response_kinds)),
    field("ci.task", select("response-task", "task", terms.tasks, t("ci.choose")),
      { dataset: { when: "crew" } }),
    field("ci.utility", select("response-utility", "utility", terms.utilities, t("ci.choose")),
      { dataset: { when: "utility_restoration" } }),
    field("ci.party", input("response-party", "party")),
    field("ci.peopleCount", input("response-people", "people", { type: "number", min: 0 })),
    field("ci.expectedAt", input("response-expected", "expected_at", { type: "datetime-local" })),
    field("ci.description", el("textarea", { id: "response-description",
      "data-field": "description", rows: 2 })),
    footer("ci.addResponse"));
  const kind = form.querySelector("#response-kind");
  kind.addEventListener("change", () => showFor(form, kind.value));
  showFor(form, kind.value);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {
      kind: kind.value,
      task: value(form, "task"),
      utility: value(form, "utility"),
      party: value(form, "party"),
      people: number(value(form, "people")),
      expected_at: instant(value(form, "expected_at")),
      description: value(form, "description"),
    };
    command(form, "POST", `${path}/responses`, body,
      (action) => t("ci.responseAdded", { kind: action.kind_name }));
  });
  return form;
}

// --- links to alerts ------------------------------------------------------------------------

export function linkForm(incident, path) {
  const choice = el("select", { id: "link-alert", "data-field": "alerts" },
    el("option", { value: "" }, t("ci.loadingAlerts")));
  const form = el("form", { id: "link-form", class: "action-row", novalidate: true },
    field("ci.recentAlerts", choice),
    el("button", { type: "submit", class: "btn" }, t("ci.link")),
    el("p", { class: "error form-error", role: "alert" }));
  recentAlerts(incident).then((alerts) => clear(choice,
    el("option", { value: "" }, alerts.length ? t("ci.chooseAlert") : t("ci.noRecentAlerts")),
    alerts.map((alert) => el("option", { value: alert.id },
      alertLine(alert).map((part) => part.textContent ?? part).join("")))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    command(form, "POST", `${path}/alerts`, { alerts: choice.value ? [choice.value] : [] },
      () => t("ci.alertLinked"));
  });
  return form;
}

/** Recent alerts of the incident's mode covering any of its regions, newest first. */
async function recentAlerts(incident) {
  const codes = incident.regions.slice(0, 5).map((r) => r.code);
  const found = await Promise.all(codes.map((region) => getJSON("/v1/alerts",
    { region, status: incident.mode, limit: 20 }).then((b) => b.alerts).catch(() => [])));
  const byId = new Map(found.flat().filter((a) => !incident.alerts.includes(a.id))
    .map((a) => [a.id, a]));
  return [...byId.values()].sort((a, b) => b.raised_at.localeCompare(a.raised_at)).slice(0, 30);
}

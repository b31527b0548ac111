// Raising an alert: a template (threat and, for a scoped operator, named regions) fills in
// the form; regions are picked on the map or by name, only within the operator's scope; the
// confirmation step says, in words, the status, the threat, the regions and who is affected,
// and for an actual alert wants the first region's name (any case) or its code typed in. Whether
// the alert will be held for a second person is asked of the server's own rule, and the button
// then says "Submit for approval".

import { $, clear, el, listNames, randomKey } from "./api.js";
import { t } from "./i18n.js";
import { act, confirmStep, mode, statusWord } from "./session.js";
import { selectAlert, refreshAlerts, refreshPending, signalOf } from "./console-alert.js";
import { sirensWithin } from "./regions.js";
import { RegionMap } from "./map.js";

const NAMED = ["uav", "missile", "air", "artillery"];
const form = { ctx: null, chosen: [], edited: false, canRaise: false };

export function setupRaise(ctx, current) {
  form.ctx = ctx;
  form.canRaise = ["admin", "operator", "automation"].includes(current.role);
  $("#raise-form").hidden = !form.canRaise;
  $("#raise-forbidden").hidden = form.canRaise;
  fillThreats();
  fillTemplates();
  $("#template").addEventListener("change", applyTemplate);
  $("#threat").addEventListener("change", () => {
    if (!form.edited) $("#instructions").value = defaultText();
    freeTextNote();
  });
  $("#instructions").addEventListener("input", () => {
    form.edited = $("#instructions").value.trim() !== defaultText().trim();
    freeTextNote();
  });
  $("#region-search").addEventListener("input", search);
  $("#region-search").addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      $("#search-results button")?.focus();
    }
  });
  $("#search-results").addEventListener("keydown", moveInResults);
  $("#raise-form").addEventListener("submit", review);
  $("#raise-form").addEventListener("reset", () => setTimeout(resetForm));
  $("#instructions").value = defaultText();
  renderChosen();
}

function allowed(code) {
  return form.ctx.index.within(code, form.ctx.scope);
}

function fillThreats() {
  const select = $("#threat");
  const value = select.value;
  clear(select, el("option", { value: "" }, t("raise.chooseThreat")),
    [...form.ctx.threats.values()].map((threat) =>
      el("option", { value: threat.id }, `${threat.signal} — ${threat.name}`)));
  if (value) select.value = value;
}

function templates() {
  const { threats, index, scope } = form.ctx;
  const named = [];
  if (scope && scope.size <= 6) {
    for (const code of scope) {
      for (const id of NAMED) {
        if (threats.has(id)) {
          named.push({ key: `named:${id}:${code}`, threat: id, regions: [code],
            label: t(`template.${id}`, { region: index.name(code) }) });
        }
      }
    }
  }
  const generic = [...threats.values()].map((threat) => ({
    key: `threat:${threat.id}`, threat: threat.id, regions: null,
    label: t("template.threat", { threat: threat.name }),
  }));
  return { named, generic };
}

function fillTemplates() {
  const select = $("#template");
  const value = select.value;
  const { named, generic } = templates();
  form.templates = new Map([...named, ...generic].map((tpl) => [tpl.key, tpl]));
  const option = (tpl) => el("option", { value: tpl.key }, tpl.label);
  clear(select,
    el("option", { value: "" }, t("template.choose")),
    named.length ? el("optgroup", { label: t("template.named") }, named.map(option)) : null,
    el("optgroup", { label: t("template.threats") }, generic.map(option)));
  if (value) select.value = value;
}

function applyTemplate() {
  const tpl = form.templates.get($("#template").value);
  if (!tpl) return;
  $("#threat").value = tpl.threat;
  if (tpl.regions) form.chosen = tpl.regions.filter(allowed);
  form.edited = false;
  $("#instructions").value = defaultText();
  freeTextNote();
  renderChosen();
}

function defaultText() {
  const threat = form.ctx.threats.get($("#threat").value);
  if (!threat) return "";
  return threat.instructions || "";
}

function freeTextNote() {
  $("#free-text-note").hidden = !form.edited;
}

/** Add or take out a region (from the map); regions outside the scope are refused. */
export function toggleRegion(code) {
  if (!form.canRaise || !allowed(code)) return;
  form.chosen = form.chosen.includes(code)
    ? form.chosen.filter((c) => c !== code) : [...form.chosen, code];
  renderChosen();
}

function addRegion(code) {
  if (!allowed(code) || form.chosen.includes(code)) return;
  form.chosen = [...form.chosen, code];
  renderChosen();
}

function renderChosen() {
  const { index } = form.ctx;
  clear($("#chosen"), form.chosen.map((code) => el("li", { class: "chip", dataset: { code } },
    index.label(code),
    el("button", { type: "button", "aria-label": t("raise.removeRegion", { name: index.name(code) }),
      onclick: () => toggleRegion(code) }, "×"))));
  $("#no-chosen").hidden = form.chosen.length > 0;
  overlapNote();
  form.ctx.map?.select(new Set(form.chosen));
}

/** Warn when a chosen region lies within another chosen one (it adds nothing). */
function overlapNote() {
  const { index } = form.ctx;
  const chosen = new Set(form.chosen);
  const lines = form.chosen.flatMap((code) => {
    const outer = index.ancestors(code).find((a) => chosen.has(a));
    return outer ? [t("raise.overlap", { region: index.name(code), within: index.name(outer) })] : [];
  });
  const note = $("#overlap-note");
  note.hidden = !lines.length;
  clear(note, lines.map((line) => el("span", { class: "overlap" }, line)));
}

function search() {
  const { index } = form.ctx;
  const found = index.search($("#region-search").value, allowed);
  clear($("#search-results"), found.map((code) => el("li", {},
    el("button", { type: "button", dataset: { code }, onclick: () => {
      addRegion(code);
      $("#region-search").value = "";
      clear($("#search-results"));
      $("#region-search").focus();
    } }, index.label(code), " ", el("span", { class: "level" }, `· ${t(`level.${index.level(code)}`)}`)))));
  const query = $("#region-search").value.trim();
  if (query.length >= 2 && !found.length) {
    clear($("#search-results"), el("li", { class: "hint" }, t("raise.noMatch")));
  }
}

function moveInResults(event) {
  const buttons = [...$("#search-results").querySelectorAll("button")];
  const index = buttons.indexOf(document.activeElement);
  if (index < 0) return;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const next = index + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0) $("#region-search").focus();
    else buttons[Math.min(next, buttons.length - 1)].focus();
  }
}

function resetForm() {
  form.chosen = [];
  form.edited = false;
  $("#template").value = "";
  $("#instructions").value = defaultText();
  $("#raise-error").textContent = "";
  freeTextNote();
  renderChosen();
}

export function relabelRaise() {
  if (!form.ctx) return;
  fillThreats();
  fillTemplates();
  if (!form.edited) $("#instructions").value = defaultText();
  renderChosen();
}

// --- review and send ------------------------------------------------------------------------

async function review(event) {
  event.preventDefault();
  $("#raise-error").textContent = "";
  const threat = form.ctx.threats.get($("#threat").value);
  if (!threat) return showError(t("raise.needThreat"));
  if (!form.chosen.length) return showError(t("raise.needRegions"));
  const status = mode();
  const body = {
    threat: threat.id, regions: [...form.chosen], status,
    pre_alert: $("#pre-alert").checked, idempotency_key: randomKey(),
  };
  if (form.edited) body.text = $("#instructions").value.trim();
  const [facts, hold] = await Promise.all([affected(form.ctx, form.chosen), holdReason(body)]);
  const alert = await confirmStep({
    status,
    title: t(`confirm.raise.title.${status}`),
    body: raiseSummary(form.ctx, { threat, regions: body.regions, status, text: body.text,
      pre_alert: body.pre_alert, facts, hold }),
    typed: status === "actual" ? regionAnswer(form.ctx.index, form.chosen[0]) : null,
    yes: hold ? t("confirm.raise.submit") : t(`confirm.raise.yes.${status}`),
    action: () => act("POST", "/v1/alerts", body),
  });
  if (!alert) return undefined;
  sent(alert);
  return undefined;
}

function showError(message) {
  $("#raise-error").textContent = message;
}

/** What the raiser reviews, and the approver sees again: status, threat, regions, coverage,
 * sirens, people, text, the reason it will be held, and the regions on a map. */
export function raiseSummary(ctx, { threat, regions, status, text, pre_alert: pre, facts, hold }) {
  const names = regions.map((code) => ctx.index.name(code));
  return [
    el("p", {}, t("confirm.raise.lead.before"), " ", statusWord(status), " ",
      t("confirm.raise.lead.after", { threat: threat.name, signal: threat.signal,
        n: regions.length })),
    el("ul", { class: "facts" },
      el("li", {}, el("strong", {}, t("confirm.status")), " ", statusWord(status), " — ",
        t(`confirm.statusMeaning.${status}`)),
      el("li", {}, el("strong", {}, t("confirm.threat")), ` ${signalOf(threat)}`),
      el("li", {}, el("strong", {}, t("confirm.regions")), ` ${names.join(", ")}`),
      el("li", {}, el("strong", {}, t("confirm.coverage")), ` ${facts.coverage}`),
      el("li", {}, el("strong", {}, t("confirm.sirens")), ` ${facts.sirens}`),
      el("li", {}, el("strong", {}, t("confirm.people")), ` ${t("confirm.populationUnknown")}`),
      pre ? el("li", {}, t("confirm.preAlert")) : null,
      text ? el("li", {}, el("strong", {}, t("confirm.text")), ` ${text}`) : null),
    hold ? el("p", { class: "banner-note" }, t("confirm.willWait", { reason: hold })) : null,
    reviewMap(ctx, regions),
  ];
}

/** The chosen regions drawn on a small map (an ancestor drawn "partial" for a smaller one). */
function reviewMap(ctx, regions) {
  const box = el("div", { class: "map review-map", "aria-hidden": "true" });
  if (!ctx.shapes) return box;
  const map = new RegionMap(box, { onActivate: () => {}, label: (code) => ctx.index.name(code) });
  map.draw(ctx.shapes, t("confirm.regions"));
  const drawn = new Set();
  for (const code of regions) {
    const shown = map.has(code) ? code : ctx.index.ancestors(code).find((a) => map.has(a));
    if (shown) drawn.add(shown);
  }
  map.select(drawn);
  return box;
}

/** What the typed confirmation accepts: the region's name in any case, or its code. */
export function regionAnswer(index, code) {
  return { name: index.name(code), code };
}

/** Why the server's two-person rule would hold this alert, asked of the server itself. */
async function holdReason(body) {
  if (body.status !== "actual") return null;
  try {
    const answer = await act("POST", "/console/api/hold",
      { status: body.status, regions: body.regions, text: body.text ?? null });
    return answer.held ? answer.reason : null;
  } catch {
    return t("hold.unknown");
  }
}

/** Regions covered (with sub-regions), sirens there, and the people (unknown: no data). */
export async function affected(ctx, codes) {
  const { index } = ctx;
  const { total, byLevel } = index.coverage(codes);
  const parts = [...byLevel.entries()].map(([level, n]) => t("coverage.part",
    { n, level: t(`level.${level}.plural`) }));
  const coverage = t("coverage.total", { n: total, parts: listNames(parts, 6) });
  return { coverage, sirens: await sirens(ctx, codes) };
}

async function sirens(ctx, codes) {
  const found = await sirensWithin(ctx.index, codes);
  if (found.unavailable) return t("sirens.unavailable");
  if (found.error) return t("sirens.unknown", { reason: found.error });
  if (!found.sirens.length) return t("sirens.none");
  const faulty = found.sirens.filter((s) => s.state === "faulty").length;
  return t("sirens.count", { n: found.sirens.length, faulty });
}

function sent(alert) {
  const result = $("#raise-result");
  const names = listNames(alert.regions.map((r) => r.name));
  result.hidden = false;
  if (alert.phase === "pending") {
    result.className = "banner-note";
    result.textContent = t("raise.pending", { threat: signalOf(alert.threat), regions: names,
      reason: alert.approval?.reason || "" });
    refreshPending();
  } else {
    result.className = "banner-note ok";
    result.textContent = t("raise.sent", { status: t(`mode.${alert.status}`).toUpperCase(),
      threat: signalOf(alert.threat), regions: names });
    refreshAlerts().then(() => selectAlert(alert.id));
  }
  $("#raise-form").reset();
}

// The audit trail (administrators): every action with who, when, from where and what, newest
// first, and a check of the hash chain that links each entry to the one before.

import { $, ApiError, clear, clock, el, getJSON } from "./api.js";
import { onLangChange, t } from "./i18n.js";
import { startConsole } from "./session.js";

const PAGE = 1000;
const MAX_PAGES = 50;
let entries = [];

startConsole(async () => {
  $("#verify").addEventListener("click", verify);
  $("#audit-filter").addEventListener("input", render);
  onLangChange(render);
  try {
    entries = await loadAll();
  } catch (error) {
    const note = $("#audit-note");
    note.hidden = false;
    note.textContent = error instanceof ApiError && error.status === 403
      ? t("audit.adminOnly") : error.message;
    $("#verify").disabled = true;
    return;
  }
  render();
});

async function loadAll() {
  const found = [];
  let after = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const body = await getJSON("/v1/audit", { after, limit: PAGE }, { lang: false });
    found.push(...body.entries);
    if (body.entries.length < PAGE) break;
    after = body.entries[body.entries.length - 1].seq;
  }
  return found.reverse();
}

function render() {
  const needle = $("#audit-filter").value.trim().toLocaleLowerCase();
  const shown = entries.filter((entry) => !needle || [entry.actor, entry.action, entry.target,
    entry.origin, JSON.stringify(entry.detail)].some((v) => String(v ?? "").toLocaleLowerCase()
    .includes(needle)));
  clear($("#audit-rows"), shown.map((entry) => el("tr", { dataset: { seq: entry.seq } },
    el("td", { class: "num" }, entry.seq),
    el("td", {}, el("time", { datetime: entry.time }, clock(entry.time))),
    el("td", {}, entry.actor, el("br"), el("span", { class: "hint" }, entry.role)),
    el("td", {}, entry.origin || ""),
    el("td", { class: "audit-action" }, entry.action),
    el("td", {}, entry.target || ""),
    el("td", {}, el("code", {}, detail(entry.detail))),
    el("td", {}, el("code", { title: entry.hash }, entry.hash.slice(0, 12))))));
}

function detail(value) {
  if (!value || !Object.keys(value).length) return "";
  return JSON.stringify(value);
}

async function verify() {
  const verdict = $("#verdict");
  verdict.textContent = t("audit.checking");
  verdict.className = "verdict";
  try {
    const body = await getJSON("/v1/audit/verify", {}, { lang: false });
    verdict.className = `verdict ${body.ok ? "ok" : "broken"}`;
    verdict.textContent = body.ok
      ? t("audit.ok", { n: body.checked })
      : t("audit.broken", { seq: body.broken_at, reason: body.reason || "" });
  } catch (error) {
    verdict.className = "verdict broken";
    verdict.textContent = error.message;
  }
}

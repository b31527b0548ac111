// Statistics for people: how many alerts, how long under alert, which days, which regions and
// which hours, for a region and a period, from /v1/stats. The period is all time (the span
// that has data) unless the address or the controls choose another: a preset ("last 30
// days") or dates. The address holds the choice, so a link shows the same page. Hidden with
// a note where this server has no statistics.

import { $, ApiError, clear, el, getJSON, locale } from "./api.js";
import { onLangChange, pickName, t } from "./i18n.js";
import { barChart, count, percent, percentAxis, timeAxis, timeSpan } from "./charts.js";
import { startPage } from "./site.js";

const PRESETS = { "7d": 7, "30d": 30, "90d": 90, "365d": 365 };
const DAY_MS = 86400000;
const view = { regions: [], span: null };

async function main() {
  await startPage();
  const body = await getJSON("/v1/regions", {}, { lang: false });
  view.regions = body.regions.filter((r) => ["country", "oblast"].includes(r.level));
  const asked = new URLSearchParams(location.search);
  fillRegions(asked.get("region") || "UA");
  if (asked.get("from") || asked.get("to")) {
    $("#preset").value = "custom";
    $("#from").value = asked.get("from") || "";
    $("#to").value = asked.get("to") || "";
  } else {
    $("#preset").value = asked.get("period") in PRESETS ? asked.get("period") : "all";
  }
  $("#region").addEventListener("change", () => load(true));
  $("#preset").addEventListener("change", () => load(true));
  for (const input of [$("#from"), $("#to")]) {
    input.addEventListener("change", () => {
      $("#preset").value = "custom";
      load(true);
    });
  }
  onLangChange(() => {
    fillRegions($("#region").value);
    load(false);
  });
  await load(false);
}

function fillRegions(chosen) {
  const label = (r) => pickName(r.names, r.name);
  const countries = view.regions.filter((r) => r.level === "country");
  const oblasts = view.regions.filter((r) => r.level !== "country")
    .sort((a, b) => label(a).localeCompare(label(b)));
  clear($("#region"), [...countries, ...oblasts].map((r) => el("option", { value: r.code }, label(r))));
  $("#region").value = view.regions.some((r) => r.code === chosen) ? chosen : "UA";
}

/** A local calendar date as the date inputs and the API write it: 2024-01-31. */
function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function localDay(text) {
  const [y, m, d] = text.split("-").map(Number);
  return new Date(y, m - 1, d);
}

/** The chosen period: `query` for the API (dates, or nothing for all time) and its days. */
function period() {
  const preset = $("#preset").value;
  if (preset in PRESETS) {
    const today = new Date();
    $("#from").value = isoDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - PRESETS[preset] + 1));
    $("#to").value = isoDay(today);
  } else if (preset === "all") {
    $("#from").value = view.span?.first ? isoDay(new Date(view.span.first)) : "";
    $("#to").value = view.span?.last ? isoDay(new Date(view.span.last)) : "";
  }
  const [from, to] = [$("#from").value, $("#to").value];
  $("#from").max = to;
  $("#to").min = from;
  const query = preset === "all" ? {} : { from: from || undefined, to: to || undefined };
  const days = from && to ? Math.round((localDay(to) - localDay(from)) / DAY_MS) + 1 : 0;
  return { preset, query, days };
}

function remember(region, preset, query) {
  const shared = new URLSearchParams({ region });
  if (preset in PRESETS) shared.set("period", preset);
  for (const [key, value] of Object.entries(query)) if (value) shared.set(key, value);
  history.replaceState(null, "", `${location.pathname}?${shared}`);
}

async function load(chosen) {
  const region = $("#region").value;
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const level = view.regions.find((r) => r.code === region)?.level === "country" ? "oblast" : "raion";
  const note = $("#stats-note");
  note.hidden = true;
  try {
    view.span = await getJSON("/v1/stats/span", { region });
    showSpan(view.span);
    const { preset, query, days } = period();
    if (chosen) remember(region, preset, query);
    const every = days <= 31 ? "day" : days <= 366 ? "week" : "month";
    const ask = { ...query, tz };
    const [summary, series, ranking, profile] = await Promise.all([
      getJSON(`/v1/stats/regions/${encodeURIComponent(region)}`, ask),
      getJSON("/v1/stats/series", { region, ...ask, every }),
      getJSON("/v1/stats/ranking", { level, within: region, ...ask, limit: 40 }),
      getJSON("/v1/stats/profile/hour", { region, ...ask }),
    ]);
    figures(summary);
    charts(series, ranking, profile, every);
  } catch (error) {
    clear($("#figures"));
    clear($("#charts"));
    $("#charts").hidden = true;
    note.hidden = false;
    note.textContent = error instanceof ApiError && error.status === 404
      ? t("stats.unavailable") : t("stats.failed", { reason: error.message });
  }
}

function showSpan(span) {
  const day = new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", year: "numeric" });
  $("#stats-span").textContent = span.first
    ? t("stats.span", { first: day.format(new Date(span.first)), last: day.format(new Date(span.last)) })
    : t("stats.spanNone");
}

function figures(summary) {
  const item = (value, label) => el("div", { class: "figure" },
    el("span", { class: "value" }, value), el("span", { class: "label" }, label));
  const { median, longest } = summary.durations;
  clear($("#figures"),
    item(count(summary.count), t("stats.alerts")),
    item(timeSpan(summary.seconds), t("stats.timeUnder")),
    item(percent(summary.share), t("stats.share")),
    item(median === null ? "—" : timeSpan(median), t("stats.median")),
    item(longest === null ? "—" : timeSpan(longest), t("stats.longest")));
}

function bucketLabel(every) {
  const options = {
    day: { day: "numeric", month: "short" },
    week: { day: "numeric", month: "short", year: "2-digit" },
    month: { month: "short", year: "numeric" },
  }[every];
  const format = new Intl.DateTimeFormat(locale(), { ...options, timeZone: "UTC" });
  // a bucket starts at a local midnight; its calendar date is the first ten characters
  return (start) => format.format(new Date(`${start.slice(0, 10)}T00:00:00Z`));
}

function charts(series, ranking, profile, every) {
  $("#charts").hidden = false;
  const label = bucketLabel(every);
  const perBucket = series.buckets.map((b) => ({ label: label(b.start), value: b.seconds }));
  const peak = perBucket.reduce((a, b) => (b.value > (a?.value ?? -1) ? b : a), null);
  const ranked = ranking.regions.filter((r) => r.seconds > 0).map((r) => ({
    label: r.name, value: r.seconds }));
  const byHour = profile.slots.map((s) => ({ label: s.label, value: s.share }));
  const busiest = byHour.reduce((a, b) => (b.value > (a?.value ?? -1) ? b : a), null);
  const title = { day: "stats.seriesDay", week: "stats.seriesWeek", month: "stats.seriesMonth" }[every];
  clear($("#charts"),
    barChart({
      id: "chart-series",
      title: t(title, { region: series.name }),
      summary: peak && peak.value > 0
        ? t("stats.seriesSummary", { when: peak.label, value: timeSpan(peak.value) })
        : t("stats.nothing"),
      bars: perBucket, format: timeSpan, axis: timeAxis,
      columns: [t("stats.period"), t("stats.timeUnder")],
    }),
    ranked.length
      ? barChart({
        id: "chart-ranking", horizontal: true,
        title: t("stats.ranking", { region: series.name }),
        summary: t("stats.rankingSummary", { name: ranked[0].label, value: timeSpan(ranked[0].value) }),
        bars: ranked, format: timeSpan, columns: [t("filter.region"), t("stats.timeUnder")],
      })
      : el("p", { class: "hint", id: "chart-ranking" }, t("stats.rankingNone")),
    barChart({
      id: "chart-hours",
      title: t("stats.byHour", { region: profile.name }),
      summary: busiest && busiest.value > 0
        ? t("stats.byHourSummary", { hour: busiest.label, value: percent(busiest.value) })
        : t("stats.nothing"),
      bars: byHour, format: percent, axis: percentAxis,
      columns: [t("stats.hour"), t("stats.share")],
    }));
}

main();

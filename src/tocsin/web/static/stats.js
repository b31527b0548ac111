// Statistics for people: how many alerts, how long under alert, which days, which regions and
// which hours, for a region and a period, from /v1/stats. Hidden with a note where this
// server has no statistics.

import { $, ApiError, clear, duration, el, getJSON, locale } from "./api.js";
import { onLangChange, pickName, t } from "./i18n.js";
import { barChart, count, hours, percent } from "./charts.js";
import { startPage } from "./site.js";

const view = { regions: [] };

async function main() {
  await startPage();
  const body = await getJSON("/v1/regions", {}, { lang: false });
  view.regions = body.regions.filter((r) => ["country", "oblast"].includes(r.level));
  fillRegions(new URLSearchParams(location.search).get("region") || "UA");
  $("#region").addEventListener("change", load);
  $("#period").addEventListener("change", load);
  onLangChange(() => {
    fillRegions($("#region").value);
    load();
  });
  await load();
}

function fillRegions(chosen) {
  const label = (r) => pickName(r.names, r.name);
  const countries = view.regions.filter((r) => r.level === "country");
  const oblasts = view.regions.filter((r) => r.level !== "country")
    .sort((a, b) => label(a).localeCompare(label(b)));
  clear($("#region"), [...countries, ...oblasts].map((r) => el("option", { value: r.code }, label(r))));
  $("#region").value = view.regions.some((r) => r.code === chosen) ? chosen : "UA";
}

function period() {
  const days = Number($("#period").value);
  const until = new Date();
  const since = new Date(until.getTime() - days * 86400000);
  return { days, since: since.toISOString(), until: until.toISOString() };
}

async function load() {
  const region = $("#region").value;
  const { days, since, until } = period();
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const level = view.regions.find((r) => r.code === region)?.level === "country" ? "oblast" : "raion";
  const note = $("#stats-note");
  note.hidden = true;
  try {
    const [summary, series, ranking, profile] = await Promise.all([
      getJSON(`/v1/stats/regions/${encodeURIComponent(region)}`, { since, until }),
      getJSON("/v1/stats/series", { region, since, until, tz, every: days > 90 ? "week" : "day" }),
      getJSON("/v1/stats/ranking", { level, within: region, since, until, limit: 40 }),
      getJSON("/v1/stats/profile/hour", { region, since, until, tz }),
    ]);
    figures(summary);
    charts(series, ranking, profile, days);
  } catch (error) {
    clear($("#figures"));
    clear($("#charts"));
    $("#charts").hidden = true;
    note.hidden = false;
    note.textContent = error instanceof ApiError && error.status === 404
      ? t("stats.unavailable") : t("stats.failed", { reason: error.message });
  }
}

function figures(summary) {
  const item = (value, label) => el("div", { class: "figure" },
    el("span", { class: "value" }, value), el("span", { class: "label" }, label));
  const median = summary.durations.median;
  const longest = summary.durations.longest;
  clear($("#figures"),
    item(count(summary.count), t("stats.alerts")),
    item(hours(summary.hours), t("stats.hours")),
    item(percent(summary.share), t("stats.share")),
    item(median ? duration(median * 1000) : "—", t("stats.median")),
    item(longest ? duration(longest * 1000) : "—", t("stats.longest")));
}

function charts(series, ranking, profile, days) {
  $("#charts").hidden = false;
  const day = new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short" });
  const perDay = series.buckets.map((b) => ({ label: day.format(new Date(b.start)), value: b.hours }));
  const peak = perDay.reduce((a, b) => (b.value > (a?.value ?? -1) ? b : a), null);
  const ranked = ranking.regions.filter((r) => r.seconds > 0).map((r) => ({
    label: r.name, value: r.hours }));
  const byHour = profile.slots.map((s) => ({ label: s.label, value: s.share }));
  const busiest = byHour.reduce((a, b) => (b.value > (a?.value ?? -1) ? b : a), null);
  clear($("#charts"),
    barChart({
      id: "chart-series",
      title: t(days > 90 ? "stats.seriesWeek" : "stats.seriesDay", { region: series.name }),
      summary: peak && peak.value > 0
        ? t("stats.seriesSummary", { when: peak.label, value: hours(peak.value) })
        : t("stats.nothing"),
      bars: perDay, format: hours, columns: [t("stats.period"), t("stats.hours")],
    }),
    ranked.length
      ? barChart({
        id: "chart-ranking", horizontal: true,
        title: t("stats.ranking", { region: series.name }),
        summary: t("stats.rankingSummary", { name: ranked[0].label, value: hours(ranked[0].value) }),
        bars: ranked, format: hours, columns: [t("filter.region"), t("stats.hours")],
      })
      : el("p", { class: "hint", id: "chart-ranking" }, t("stats.rankingNone")),
    barChart({
      id: "chart-hours",
      title: t("stats.byHour", { region: profile.name }),
      summary: busiest && busiest.value > 0
        ? t("stats.byHourSummary", { hour: busiest.label, value: percent(busiest.value) })
        : t("stats.nothing"),
      bars: byHour, format: percent, columns: [t("stats.hour"), t("stats.share")],
    }));
}

main();

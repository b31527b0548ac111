// Charts a reader understands: labelled SVG bar charts with a title, axes in plain units,
// a tooltip on every bar and the same numbers as a table for screen readers.

import { el, locale, number } from "./api.js";
import { t } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg"; // an XML namespace name, never fetched

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= value / 4) * power;
  return Math.ceil(value / step) * step;
}

/**
 * A chart in a <figure>: `bars` are {label, value, note?}; `format(value)` writes a value with
 * its unit; `horizontal` draws one row per bar (for rankings).
 */
export function barChart({ id, title, summary, bars, format, horizontal = false, columns }) {
  const figure = el("figure", { class: "chart", id });
  const caption = el("figcaption", {}, title);
  const drawing = horizontal ? rows(bars, format) : columnsChart(bars, format);
  drawing.setAttribute("role", "img");
  drawing.setAttribute("aria-label", `${title}. ${summary}`);
  figure.append(caption, drawing, el("p", { class: "hint" }, summary), table(bars, format, columns));
  return figure;
}

function columnsChart(bars, format) {
  const [width, height, left, bottom, top] = [820, 260, 56, 40, 12];
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const plot = { w: width - left - 8, h: height - bottom - top };
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}` });
  for (let i = 0; i <= 4; i += 1) {
    const y = top + plot.h - (plot.h * i) / 4;
    chart.append(svg("line", { x1: left, x2: width - 8, y1: y, y2: y, class: "grid" }));
    chart.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, format((max * i) / 4)));
  }
  const slot = plot.w / Math.max(bars.length, 1);
  const every = Math.max(1, Math.ceil(bars.length / 12));
  bars.forEach((bar, i) => {
    const h = (plot.h * bar.value) / max;
    const x = left + i * slot;
    const rect = svg("rect", { x: x + slot * 0.12, y: top + plot.h - h, width: slot * 0.76,
      height: Math.max(h, 0), class: "bar" });
    rect.append(svg("title", {}, `${bar.label}: ${format(bar.value)}`));
    chart.append(rect);
    if (i % every === 0) {
      chart.append(svg("text", { x: x + slot / 2, y: height - bottom + 16, "text-anchor": "middle" },
        bar.label));
    }
  });
  chart.append(svg("line", { x1: left, x2: width - 8, y1: top + plot.h, y2: top + plot.h,
    class: "axis" }));
  return chart;
}

function rows(bars, format) {
  const [width, row, left, right] = [820, 22, 210, 90];
  const height = bars.length * row + 8;
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}` });
  bars.forEach((bar, i) => {
    const y = 4 + i * row;
    const w = ((width - left - right) * bar.value) / max;
    chart.append(svg("text", { x: left - 8, y: y + 15, "text-anchor": "end" }, bar.label));
    const rect = svg("rect", { x: left, y: y + 3, width: Math.max(w, 0), height: row - 7,
      class: "bar" });
    rect.append(svg("title", {}, `${bar.label}: ${format(bar.value)}`));
    chart.append(rect);
    chart.append(svg("text", { x: left + w + 6, y: y + 15, class: "value-label" }, format(bar.value)));
  });
  return chart;
}

function table(bars, format, columns) {
  return el("details", {}, el("summary", {}, t("chart.asTable")),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, columns[0]),
      el("th", { scope: "col", class: "num" }, columns[1]))),
    el("tbody", {}, bars.map((bar) => el("tr", {}, el("th", { scope: "row" }, bar.label),
      el("td", { class: "num" }, format(bar.value)))))));
}

/** A number for people: whole above 10, one decimal above 1, two significant digits below. */
function amount(value) {
  if (value === 0) return number(0);
  if (Math.abs(value) < 1) {
    return new Intl.NumberFormat(locale(), { maximumSignificantDigits: 2 }).format(value);
  }
  return number(value, value < 10 ? 1 : 0);
}

/** Hours as people say them: "3.5 h", or "40 min" below an hour. */
export function hours(value) {
  if (value > 0 && value < 1) return t("time.minutes", { m: amount(value * 60) });
  return t("unit.hours", { n: amount(value) });
}

export function percent(value) {
  return `${amount(value * 100)} %`;
}

export function count(value) {
  return number(value, 0);
}

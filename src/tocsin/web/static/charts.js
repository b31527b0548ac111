// Charts a reader understands: labelled SVG bar charts with a title, axes in plain units,
// a tooltip on every bar and the same numbers as a table for screen readers. Each chart is
// drawn at its container's real width (one SVG unit = one CSS pixel) and again when that
// width changes, so its text keeps the size the style sheet gives it, on a phone as well.

import { el, locale, number } from "./api.js";
import { t } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg"; // an XML namespace name, never fetched
const NARROW = 520; // px: below this, a ranking puts each name above its bar

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
 * A chart in a <figure>: `bars` are {label, value}; `format(value)` writes a value with its
 * unit; `axis(max)` gives the scale's top and how its ticks are written ({max, format});
 * `horizontal` draws one row per bar (for rankings).
 */
export function barChart({ id, title, summary, bars, format, axis, horizontal = false, columns }) {
  const figure = el("figure", { class: "chart", id });
  const caption = el("figcaption", {}, title);
  const plot = el("div", { class: "plot" });
  const scale = axis || ((max) => ({ max: niceMax(max), format }));
  let drawn = 0;
  const draw = (width) => {
    if (width <= 0 || Math.abs(width - drawn) < 1) return;
    drawn = width;
    const drawing = horizontal ? rows(bars, format, width) : columnsChart(bars, format, scale, width);
    drawing.setAttribute("role", "img");
    drawing.setAttribute("aria-label", `${title}. ${summary}`);
    plot.replaceChildren(drawing);
  };
  new ResizeObserver((entries) => draw(Math.floor(entries[0].contentRect.width))).observe(plot);
  figure.append(caption, plot, el("p", { class: "hint" }, summary), table(bars, format, columns));
  return figure;
}

function columnsChart(bars, format, scale, width) {
  const [height, left, bottom, top, right] = [240, 64, 28, 12, 8];
  const { max, format: tick } = scale(Math.max(0, ...bars.map((b) => b.value)));
  const plot = { w: width - left - right, h: height - bottom - top };
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height });
  for (let i = 0; i <= 4; i += 1) {
    const y = top + plot.h - (plot.h * i) / 4;
    chart.append(svg("line", { x1: left, x2: width - right, y1: y, y2: y, class: "grid" }));
    chart.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, tick((max * i) / 4)));
  }
  const slot = plot.w / Math.max(bars.length, 1);
  const longest = Math.max(1, ...bars.map((b) => String(b.label).length));
  const every = Math.max(1, Math.ceil(bars.length / Math.max(1, Math.floor(plot.w / (longest * 7 + 10)))));
  bars.forEach((bar, i) => {
    const h = (plot.h * Math.min(bar.value, max)) / max;
    const x = left + i * slot;
    const rect = svg("rect", { x: x + slot * 0.12, y: top + plot.h - h, width: slot * 0.76,
      height: Math.max(h, 0), class: "bar" });
    rect.append(svg("title", {}, `${bar.label}: ${format(bar.value)}`));
    chart.append(rect);
    if (i % every === 0) {
      chart.append(svg("text", { x: x + slot / 2, y: height - bottom + 18, "text-anchor": "middle" },
        bar.label));
    }
  });
  chart.append(svg("line", { x1: left, x2: width - right, y1: top + plot.h, y2: top + plot.h,
    class: "axis" }));
  return chart;
}

function rows(bars, format, width) {
  const narrow = width < NARROW;
  const [row, left, right] = narrow ? [38, 0, 84] : [24, Math.min(220, width * 0.35), 90];
  const height = bars.length * row + 8;
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height });
  bars.forEach((bar, i) => {
    const y = 4 + i * row;
    const w = ((width - left - right) * bar.value) / max;
    const barY = narrow ? y + 19 : y + 4;
    const barH = narrow ? 13 : row - 8;
    chart.append(narrow
      ? svg("text", { x: 0, y: y + 14 }, bar.label)
      : svg("text", { x: left - 8, y: y + 16, "text-anchor": "end" }, bar.label));
    const rect = svg("rect", { x: left, y: barY, width: Math.max(w, 0), height: barH, class: "bar" });
    rect.append(svg("title", {}, `${bar.label}: ${format(bar.value)}`));
    chart.append(rect);
    chart.append(svg("text", { x: left + w + 6, y: barY + barH - 2, class: "value-label" },
      format(bar.value)));
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

/**
 * A time in seconds as people say it, the one way every figure, bar and table on the page
 * writes time: "< 1 min", "40 min", "3 h 05 min" below ten hours, "1,234 h" above.
 */
export function timeSpan(seconds) {
  const minutes = Math.round(seconds / 60);
  if (seconds <= 0) return t("time.minutes", { m: number(0) });
  if (minutes < 1) return t("time.lessThanMinute");
  if (minutes < 60) return t("time.minutes", { m: minutes });
  if (minutes < 600) {
    return t("time.hoursMinutes", { h: Math.floor(minutes / 60), m: String(minutes % 60).padStart(2, "0") });
  }
  return t("unit.hours", { n: number(seconds / 3600, 0) });
}

/** The scale of an axis of times (seconds): in minutes up to two hours, in hours above. */
export function timeAxis(maxSeconds) {
  const unit = maxSeconds <= 7200 ? 60 : 3600;
  const max = niceMax(maxSeconds / unit) * unit;
  const format = unit === 60
    ? (v) => t("time.minutes", { m: amount(v / 60) })
    : (v) => t("unit.hours", { n: amount(v / 3600) });
  return { max, format };
}

export function percent(value) {
  return `${amount(value * 100)} %`;
}

/** The scale of an axis of shares (0–1), written as percentages. */
export function percentAxis(max) {
  return { max: Math.min(1, niceMax(max * 100) / 100), format: percent };
}

export function count(value) {
  return number(value, 0);
}

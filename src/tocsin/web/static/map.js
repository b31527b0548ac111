// The map: every region that has a shape, drawn as SVG from /v1/regions/geojson (no tile
// server, no network beyond this one), projected with an equirectangular projection scaled by
// cos(latitude) and fitted to the shapes' bounds. Regions without a shape appear in lists and
// details instead.

import { getJSON } from "./api.js";
import { pickName } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg"; // an XML namespace name, never fetched
const WIDTH = 1000;

/** Shapes to draw: the most detailed regions that have one (oblasts where packs have them).
 * With `detail: "raion"`, raions where the packs have their shapes, with the oblasts drawn as
 * outlines and labels over them. */
export async function loadShapes({ detail = "oblast" } = {}) {
  const [oblasts, countries, finer] = await Promise.all([
    getJSON("/v1/regions/geojson", { level: "oblast" }, { lang: false }),
    getJSON("/v1/regions/geojson", { level: "country" }, { lang: false }).catch(() => null),
    detail === "oblast" ? null
      : getJSON("/v1/regions/geojson", { level: detail }, { lang: false }).catch(() => null),
  ]);
  if (!oblasts.features.some((f) => f.geometry)) {
    return getJSON("/v1/regions/geojson", {}, { lang: false });
  }
  const borders = (countries?.features || []).filter((f) => f.geometry);
  const labels = oblasts.features.filter((f) => f.geometry);
  if (finer?.features.some((f) => f.geometry)) {
    const shaped = new Set(finer.features.filter((f) => f.geometry).map((f) => f.properties.parent));
    // oblasts with no finer shapes stay whole; the others become outlines
    const whole = labels.filter((f) => !shaped.has(f.properties.code));
    const outlines = labels.filter((f) => shaped.has(f.properties.code));
    return { ...finer, features: [...finer.features, ...whole],
      borders: [...outlines, ...borders], labels };
  }
  return { ...oblasts, borders, labels };
}

/** A point to write a region's name at: the middle of the bounding box of its largest ring. */
export function labelPoint(geometry, project) {
  let best = null;
  let most = -1;
  for (const ring of rings(geometry)) {
    const points = ring.map(project);
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const size = (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
    if (size > most) {
      most = size;
      best = [(Math.max(...xs) + Math.min(...xs)) / 2, (Math.max(...ys) + Math.min(...ys)) / 2];
    }
  }
  return best;
}

export function leaves(features) {
  const shaped = features.filter((f) => f.geometry);
  const parents = new Set(shaped.map((f) => f.properties.parent));
  return shaped.filter((f) => !parents.has(f.properties.code));
}

function rings(geometry) {
  if (geometry.type === "Polygon") return geometry.coordinates;
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
  return [];
}

function projection(features) {
  let [west, east, south, north] = [180, -180, 90, -90];
  for (const feature of features) {
    for (const ring of rings(feature.geometry)) {
      for (const [lon, lat] of ring) {
        west = Math.min(west, lon);
        east = Math.max(east, lon);
        south = Math.min(south, lat);
        north = Math.max(north, lat);
      }
    }
  }
  const squeeze = Math.cos((((north + south) / 2) * Math.PI) / 180);
  const scale = WIDTH / Math.max((east - west) * squeeze, 1e-9);
  const height = Math.ceil((north - south) * scale);
  const project = ([lon, lat]) => [(lon - west) * squeeze * scale, (north - lat) * scale];
  return { project, height };
}

/** The area of a shape's bounding box on the map (to draw large regions first). */
export function extent(geometry, project) {
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const ring of rings(geometry)) {
    for (const coordinate of ring) {
      const [x, y] = project(coordinate);
      [left, top] = [Math.min(left, x), Math.min(top, y)];
      [right, bottom] = [Math.max(right, x), Math.max(bottom, y)];
    }
  }
  return (right - left) * (bottom - top);
}

function pathData(geometry, project) {
  const parts = [];
  for (const ring of rings(geometry)) {
    let last = null;
    const points = [];
    for (const coordinate of ring) {
      const [x, y] = project(coordinate);
      if (last && Math.abs(x - last[0]) < 0.4 && Math.abs(y - last[1]) < 0.4) continue;
      points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
      last = [x, y];
    }
    if (points.length > 2) parts.push(`M${points.join("L")}Z`);
  }
  return parts.join("");
}

export function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

export class RegionMap {
  /**
   * @param container element to draw into
   * @param options.onActivate(code) a region was clicked or chosen with Enter / Space
   * @param options.label(code) the accessible name of a region (its name and state)
   */
  constructor(container, { onActivate, label }) {
    this.container = container;
    this.onActivate = onActivate;
    this.label = label;
    this.paths = new Map();
    this.overlays = new Map();
    this.enabled = () => true;
    this.names = new Map();
  }

  draw(collection, title) {
    const features = leaves(collection.features);
    const { project, height } = projection(features);
    const svg = svgEl("svg", { viewBox: `0 0 ${WIDTH} ${height}`, class: "region-map",
      role: "group", "aria-label": title, preserveAspectRatio: "xMidYMid meet" });
    svg.append(this.patterns());
    const shapes = svgEl("g", { class: "regions" });
    const overlay = svgEl("g", { class: "overlays", "aria-hidden": "true" });
    const borders = svgEl("g", { class: "borders", "aria-hidden": "true" });
    for (const feature of collection.borders || []) {
      borders.append(svgEl("path", { d: pathData(feature.geometry, project), class: "border" }));
    }
    const labels = svgEl("g", { class: "labels", "aria-hidden": "true" });
    this.labels = new Map();
    for (const feature of collection.labels || []) {
      const at = labelPoint(feature.geometry, project);
      if (!at) continue;
      const text = svgEl("text", { x: at[0].toFixed(1), y: at[1].toFixed(1), class: "label",
        "data-code": feature.properties.code });
      this.names.set(feature.properties.code, feature.properties.names
        || { en: feature.properties.name });
      this.labels.set(feature.properties.code, text);
      labels.append(text);
    }
    svg.append(shapes, overlay, borders, labels);
    // keyboard order: by name; drawing order: largest first, so enclaves (a city inside its
    // oblast) stay visible and clickable
    const sorted = [...features].sort((a, b) =>
      a.properties.name.localeCompare(b.properties.name));
    const area = new Map(features.map((f) => [f.properties.code, extent(f.geometry, project)]));
    const drawn = [];
    for (const feature of sorted) {
      const { code, names, name } = feature.properties;
      const d = pathData(feature.geometry, project);
      const path = svgEl("path", { d, class: "region", "data-code": code, "data-state": "none",
        role: "button", tabindex: "-1" });
      path.append(svgEl("title"));
      this.paths.set(code, path);
      this.names.set(code, names || { en: name });
      const mark = svgEl("path", { d, class: "exercise-mark", "data-code": code });
      mark.setAttribute("fill", "url(#exercise-stripes)");
      this.overlays.set(code, mark);
      drawn.push(code);
    }
    drawn.sort((a, b) => area.get(b) - area.get(a));
    for (const code of drawn) {
      shapes.append(this.paths.get(code));
      overlay.append(this.overlays.get(code));
    }
    const first = this.paths.values().next().value;
    if (first) first.tabIndex = 0;
    this.container.replaceChildren(svg);
    this.container.dataset.state = "ready";
    this.svg = svg;
    this.bind(svg);
    this.relabel();
    return sorted.map((f) => f.properties.code);
  }

  patterns() {
    const defs = svgEl("defs");
    const pattern = svgEl("pattern", { id: "exercise-stripes", patternUnits: "userSpaceOnUse",
      width: 10, height: 10, patternTransform: "rotate(45)" });
    pattern.append(svgEl("rect", { width: 4, height: 10, class: "exercise-stripe" }));
    defs.append(pattern);
    return defs;
  }

  bind(svg) {
    svg.addEventListener("click", (event) => {
      const path = event.target.closest("path.region");
      if (path) this.activate(path);
    });
    svg.addEventListener("keydown", (event) => {
      const path = event.target.closest("path.region");
      if (!path) return;
      const items = [...this.paths.values()];
      const index = items.indexOf(path);
      const moves = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
      if (event.key in moves) {
        event.preventDefault();
        const next = items[(index + moves[event.key] + items.length) % items.length];
        this.focus(next.dataset.code);
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.activate(path);
      }
    });
  }

  activate(path) {
    const code = path.dataset.code;
    this.focus(code, false);
    if (this.enabled(code)) this.onActivate(code);
  }

  focus(code, move = true) {
    for (const [key, path] of this.paths) path.tabIndex = key === code ? 0 : -1;
    const path = this.paths.get(code);
    if (path && move) path.focus();
  }

  /** The name written on the map (the oblast's name without the word "Oblast"). */
  shortName(code) {
    return pickName(this.names.get(code), code).replace(/\s*(Oblast|область)$/iu, "");
  }

  has(code) {
    return this.paths.has(code);
  }

  /** Colour every region: `states` maps code → {state, threat: {id}}; `colorOf(threatId)`. */
  paint(states, colorOf, lighter) {
    for (const [code, path] of this.paths) {
      const state = states.get(code);
      const kind = state && state.state !== "none" ? state.state : "none";
      path.dataset.state = kind;
      const threat = kind === "none" ? "" : state.threat?.id || "";
      path.dataset.threat = threat;
      if (kind === "none") path.style.removeProperty("--fill");
      else {
        const color = colorOf(threat);
        path.style.setProperty("--fill", kind === "partial" ? lighter(color) : color);
      }
    }
    this.relabel();
  }

  /** Stripe the regions where an exercise is under way. */
  markExercise(codes) {
    for (const [code, mark] of this.overlays) mark.classList.toggle("shown", codes.has(code));
    for (const [code, path] of this.paths) path.dataset.exercise = codes.has(code) ? "1" : "";
  }

  select(codes) {
    for (const [code, path] of this.paths) {
      const chosen = codes.has(code);
      path.classList.toggle("selected", chosen);
      path.setAttribute("aria-pressed", chosen ? "true" : "false");
    }
  }

  /** Only regions for which `enabled(code)` holds can be chosen; the rest are dimmed. */
  setEnabled(enabled) {
    this.enabled = enabled;
    for (const [code, path] of this.paths) {
      const on = enabled(code);
      path.classList.toggle("disabled", !on);
      if (on) path.removeAttribute("aria-disabled");
      else path.setAttribute("aria-disabled", "true");
    }
  }

  relabel() {
    for (const [code, text] of this.labels || []) text.textContent = this.shortName(code);
    for (const [code, path] of this.paths) {
      const text = this.label(code);
      path.setAttribute("aria-label", text);
      path.firstChild.textContent = text;
    }
  }
}

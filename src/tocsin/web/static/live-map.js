// The live map on Leaflet (vendored, no tiles: a plain background): the shapes as SVG paths
// that keep the same data attributes, keyboard access and colouring as the drawn map
// (RegionMap), with pan and zoom by touch, mouse and keys, oblast labels and the boundaries'
// credit on the map.

import { $, el, getJSON } from "./api.js";
import { RegionMap, extent, labelPoint, leaves, svgEl } from "./map.js";
import * as L from "./vendor/leaflet/leaflet-src.esm.js";

const STYLE = "/static/vendor/leaflet/leaflet.css";
const same = (point) => point;
const DETAIL_ZOOM = 8; // from here on, the hromadas of the oblast in view are drawn

function leafletStyles() {
  if (document.querySelector(`link[href="${STYLE}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href: STYLE }));
}

/** The credit for the shapes, shown in the map's corner (a plain element: text, not HTML). */
const Credit = L.Control.extend({
  options: { position: "bottomright" },
  onAdd() {
    const box = el("div", { class: "leaflet-control-attribution map-credit-box" });
    const credit = $(".map-credit");
    if (credit) box.append(credit);
    return box;
  },
});

export class LiveMap extends RegionMap {
  draw(collection, title) {
    leafletStyles();
    // largest first, so enclaves (a city inside its oblast) stay visible and clickable
    const features = leaves(collection.features).sort((a, b) =>
      extent(b.geometry, same) - extent(a.geometry, same));
    this.container.replaceChildren();
    const renderer = L.svg({ padding: 0 });
    const map = L.map(this.container, { renderer, zoomSnap: 0.25, attributionControl: false,
      minZoom: 3, maxZoom: 12 });
    this.leaflet = map;
    new Credit().addTo(map);
    const regions = L.geoJSON({ type: "FeatureCollection", features }, {
      style: () => ({ className: "region", weight: 1.2 }),
    }).addTo(map);
    map.fitBounds(regions.getBounds(), { padding: [4, 4] });
    this.exerciseLayer = L.geoJSON({ type: "FeatureCollection", features }, {
      style: () => ({ className: "exercise-mark", interactive: false, stroke: false }),
    }).addTo(map);
    L.geoJSON({ type: "FeatureCollection", features: collection.borders || [] }, {
      style: () => ({ className: "border", interactive: false, fill: false }),
    }).addTo(map);
    this.svg = renderer._container;
    this.svg.setAttribute("role", "group");
    this.svg.setAttribute("aria-label", title);
    this.svg.prepend(this.patterns());
    this.adopt(regions, this.paths, (path, code, feature) => this.prepare(path, code, feature));
    this.adopt(this.exerciseLayer, this.overlays, (path, code) => {
      path.dataset.code = code;
      path.setAttribute("fill", "url(#exercise-stripes)");
    });
    // keyboard order: by name
    const sorted = [...this.paths.entries()].sort(([a], [b]) =>
      this.shortName(a).localeCompare(this.shortName(b)));
    this.paths = new Map(sorted);
    this.labelLayer(collection.labels || []);
    const first = this.paths.values().next().value;
    if (first) first.tabIndex = 0;
    this.container.dataset.state = "ready";
    this.bind(this.svg);
    this.relabel();
    return [...this.paths.keys()];
  }

  prepare(path, code, feature) {
    Object.assign(path.dataset, { code, state: "none" });
    path.setAttribute("role", "button");
    path.tabIndex = -1;
    path.append(svgEl("title"));
    this.names.set(code, feature.properties.names || { en: feature.properties.name });
  }

  /** Once zoomed in, draw the hromadas of the oblast in the middle of the view (each oblast's
   * once: the whole country's are too many to load at first); `onAdded()` repaints. */
  followDetail(onAdded) {
    const loaded = new Set();
    this.leaflet.on("moveend", async () => {
      if (this.leaflet.getZoom() < DETAIL_ZOOM) return;
      const { lat, lng } = this.leaflet.getCenter();
      const here = await getJSON("/v1/regions/at", { point: `${lat.toFixed(4)},${lng.toFixed(4)}` })
        .catch(() => null);
      const oblast = here?.regions?.find((r) => r.level === "oblast")?.code;
      if (!oblast || loaded.has(oblast)) return;
      loaded.add(oblast);
      const shapes = await getJSON("/v1/regions/geojson", { level: "hromada", within: oblast },
        { lang: false }).catch(() => null);
      const features = (shapes?.features || []).filter((f) => f.geometry
        && !this.paths.has(f.properties.code));
      if (!features.length) return;
      const layer = L.geoJSON({ type: "FeatureCollection", features }, {
        style: () => ({ className: "region hromada", weight: 0.6 }),
      }).addTo(this.leaflet);
      this.adopt(layer, this.paths, (path, code, feature) => this.prepare(path, code, feature));
      onAdded();
    });
  }

  adopt(layer, into, prepare) {
    layer.eachLayer((shape) => {
      const path = shape.getElement();
      const code = shape.feature.properties.code;
      prepare(path, code, shape.feature);
      into.set(code, path);
    });
  }

  labelLayer(features) {
    this.labels = new Map();
    for (const feature of features) {
      const at = labelPoint(feature.geometry, same);
      if (!at) continue;
      const { code, names, name } = feature.properties;
      if (!this.names.has(code)) this.names.set(code, names || { en: name });
      const text = el("span", { class: "label-text", dataset: { code } });
      this.labels.set(code, text);
      L.marker([at[1], at[0]], { interactive: false, keyboard: false,
        icon: L.divIcon({ className: "map-label", html: text, iconSize: null }) })
        .addTo(this.leaflet);
    }
  }
}

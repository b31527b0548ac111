// The operator console: open alerts in the operator's regions, the approval queue, the map
// to pick regions, the selected alert with its actions and delivery status, and raising a new
// alert from a template. Everything the console sends goes through the same API, with the same
// rules (scope, two-person rule), as any other client.

import { $, LiveStream, getJSON } from "./api.js";
import { onLangChange, t } from "./i18n.js";
import { RegionMap, loadShapes } from "./map.js";
import { RegionIndex } from "./regions.js";
import { startConsole } from "./session.js";
import { loadThreats } from "./site.js";
import { setupRaise, toggleRegion, relabelRaise } from "./console-raise.js";
import { setupAlerts, refreshAlerts, refreshPending, rememberSeq } from "./console-alert.js";
import { relabelShelter, setupShelter } from "./console-shelter.js";

const ctx = {
  threats: new Map(),
  index: null,
  scope: null,
  map: null,
  alerts: [],
  pending: [],
  selected: null,
  seqs: new Map(),
  status: null,
  shapes: null,
};

startConsole(async (current) => {
  ctx.scope = current.regions ? new Set(current.regions) : null;
  const [threats, index, shapes, status] = await Promise.all([
    loadThreats(), RegionIndex.load(), loadShapes(),
    getJSON("/console/api/status", {}, { lang: false }).catch(() => null),
  ]);
  Object.assign(ctx, { threats, index, status, shapes });
  ctx.map = new RegionMap($("#map"), { onActivate: toggleRegion, label: mapLabel });
  ctx.map.draw(shapes, t("console.mapTitle"));
  ctx.map.setEnabled((code) => index.within(code, ctx.scope));
  $("#scope-note").textContent = t("console.scope", {
    scope: ctx.scope ? [...ctx.scope].map((c) => index.name(c)).join(", ") : t("session.allRegions"),
  });
  setupRaise(ctx, current);
  setupAlerts(ctx, current);
  setupShelter(ctx, current);
  await seedSeqs();
  await Promise.all([refreshAlerts(), refreshPending()]);
  const stream = new LiveStream({ status: "all" }, {
    onEvent: (_type, event) => {
      if (event.alert) rememberSeq(event.alert.id, event.seq);
      refreshAlerts();
    },
    onOpen: () => refreshAlerts(),
    onStatus: () => {},
  });
  stream.start();
  setInterval(refreshPending, 3000);
  onLangChange(async () => {
    ctx.threats = await loadThreats();
    relabelRaise();
    relabelShelter();
    await Promise.all([refreshAlerts(), refreshPending()]);
  });
});

/** The latest event of each alert, so delivery status can be asked for the right one. */
async function seedSeqs() {
  try {
    const head = await getJSON("/v1/events", { limit: 1 }, { lang: false });
    const after = Math.max(0, head.last_seq - 1000);
    const body = await getJSON("/v1/events", { after, limit: 1000 }, { lang: false });
    for (const event of body.events) {
      if (event.alert) rememberSeq(event.alert.id, event.seq);
    }
  } catch {
    // delivery status then starts with the next event
  }
}

function mapLabel(code) {
  const name = ctx.index ? ctx.index.name(code) : code;
  if (ctx.index && !ctx.index.within(code, ctx.scope)) return `${name}: ${t("console.outOfScope")}`;
  return name;
}

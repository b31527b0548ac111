// The TV crawl at /broadcast/tv?region=UA-63&lang=uk: the most severe alert in force for the
// region, as a colour bar, its signal and a crawl of the places and what to do; an EXERCISE
// stamp on drills; nothing at all when no alert is in force. Live from the event stream.

const params = new URLSearchParams(location.search);
const region = params.get("region") || "";
const lang = params.get("lang") || "uk";
const status = params.get("status") || "actual,exercise";
const CHARS_PER_SECOND = 12;

function query(extra) {
  const q = new URLSearchParams({ lang, status, ...extra });
  if (region) q.set("region", region);
  return q.toString();
}

function mostSevere(alerts) {
  const open = alerts.filter((a) => a.phase === "active" || a.phase === "pre_alert");
  open.sort((a, b) => (b.threat.rank || 0) - (a.threat.rank || 0));
  return open[0] || null;
}

function crawlText(alert) {
  const places = alert.regions.map((r) => r.name).join(", ");
  const what = alert.threat.instruction || "";
  return [places, what].filter(Boolean).join("  •  ");
}

function show(alert) {
  const tv = document.getElementById("tv");
  document.body.dataset.alert = alert ? alert.id : "";
  if (!alert) {
    tv.hidden = true;
    return;
  }
  tv.style.setProperty("--threat", alert.threat.color || "#c62828");
  document.getElementById("tv-signal").textContent = alert.signal;
  const text = crawlText(alert);
  const crawl = document.getElementById("tv-text");
  crawl.textContent = text;
  crawl.style.setProperty("--seconds", `${Math.max(10, text.length / CHARS_PER_SECOND)}s`);
  const stamp = document.getElementById("tv-stamp");
  stamp.hidden = alert.status === "actual";
  stamp.textContent = alert.marker || "";
  tv.hidden = false;
}

async function refresh() {
  const answer = await fetch(`/v1/alerts/active?${query({})}`);
  if (answer.ok) show(mostSevere((await answer.json()).alerts));
  document.body.dataset.ready = "yes";
}

const stream = new EventSource(`/v1/stream?${query({})}`);
stream.addEventListener("message", refresh);
for (const type of ["alert.raised", "alert.activated", "alert.escalated", "alert.deescalated",
  "alert.updated", "alert.ended", "alert.cancelled", "alert.expired", "ready"]) {
  stream.addEventListener(type, refresh);
}
stream.addEventListener("error", () => setTimeout(refresh, 2000));
refresh();

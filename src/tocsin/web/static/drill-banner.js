// The drill banner on the public page: the drills announced or under way, in the page's
// language, so that nobody takes a drill for a real alert.

import { $, clear, el, getJSON } from "./api.js";
import { getLang, onLangChange, t } from "./i18n.js";

const REFRESH_MS = 60_000;
let drills = [];

export async function initDrillBanner() {
  const banner = $("#drill-banner");
  if (!banner) return;
  const load = async () => {
    try {
      drills = (await getJSON("/v1/drills/notices", {}, { lang: false })).drills;
    } catch {
      drills = []; // the banner is a courtesy: the page works without it
    }
    render(banner);
  };
  onLangChange(() => render(banner));
  await load();
  setInterval(load, REFRESH_MS);
}

function render(banner) {
  clear(
    banner,
    ...drills.map((d) =>
      el("p", { class: "drill-text", "data-state": d.state },
        el("strong", {}, `${t("drill.banner")}: `), d.texts[getLang()] || d.texts.en)),
  );
  banner.hidden = drills.length === 0;
}

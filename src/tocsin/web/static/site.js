// What every page shares: strings, the language picker, the current page in the navigation,
// and the threat catalogue (names, colours and instructions in the viewer's language).

import { $, getJSON } from "./api.js";
import { bindLangPicker, loadStrings } from "./i18n.js";

export async function startPage() {
  await loadStrings();
  bindLangPicker($("#lang"));
  for (const link of document.querySelectorAll(".site-nav a")) {
    if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
  }
}

/** The threat catalogue, most severe first, as a Map id → threat. */
export async function loadThreats() {
  const body = await getJSON("/v1/threats");
  return new Map(body.threats.map((threat) => [threat.id, threat]));
}

export const FALLBACK_COLOR = "#b71c1c";

export function colorOf(threats, id) {
  return threats.get(id)?.color || FALLBACK_COLOR;
}

/** Show a failure where the page's content would be. */
export function showFailure(node, message) {
  node.hidden = false;
  node.textContent = message;
}

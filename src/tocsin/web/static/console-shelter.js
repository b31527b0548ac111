// Time to shelter, set by an admin: a region picked by name, the seconds people have to reach
// shelter there (empty: none recorded), sent as PATCH /v1/regions/{code} {"time_to_shelter"}.
// A refusal is shown beside the field the server names, as in the other console forms.

import { $, clear, el, getJSON } from "./api.js";
import { clearProblems, showProblem } from "./fields.js";
import { t } from "./i18n.js";
import { act } from "./session.js";
import { RegionPicker } from "./region-picker.js";

const shelter = { picker: null };

export function setupShelter(ctx, current) {
  const panel = $("#shelter-panel");
  panel.hidden = current.role !== "admin";
  if (panel.hidden) return;
  shelter.picker = new RegionPicker($("#shelter-region"), {
    index: ctx.index, allowed: () => true, single: true, onChange: (codes) => show(codes[0]),
  });
  $("#shelter-form").addEventListener("submit", save);
}

export function relabelShelter() {
  shelter.picker?.relabel();
}

async function show(code) {
  const form = $("#shelter-form");
  clearProblems(form);
  $("#shelter-seconds").value = "";
  clear($("#shelter-now"));
  if (!code) return;
  try {
    const region = await getJSON(`/v1/regions/${encodeURIComponent(code)}`);
    const seconds = region.time_to_shelter;
    $("#shelter-seconds").value = seconds ?? "";
    $("#shelter-now").textContent = seconds === null || seconds === undefined
      ? t("shelter.none") : t("shelter.current", { n: seconds });
  } catch (error) {
    showProblem(form, error);
  }
}

/** The seconds as typed: a whole number is sent as one, empty as null, anything else as typed
 * (the server then names the field). */
function seconds() {
  const text = $("#shelter-seconds").value.trim();
  if (text === "") return null;
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

async function save(event) {
  event.preventDefault();
  const form = $("#shelter-form");
  clearProblems(form);
  const code = shelter.picker.chosen[0];
  if (!code) {
    showProblem(form, { field: "region", message: t("shelter.needRegion") });
    return;
  }
  try {
    const region = await act("PATCH", `/v1/regions/${encodeURIComponent(code)}`,
      { time_to_shelter: seconds() });
    $("#shelter-result").textContent = region.time_to_shelter === null
      ? t("shelter.cleared", { region: region.name })
      : t("shelter.saved", { region: region.name, n: region.time_to_shelter });
    await show(code);
  } catch (error) {
    showProblem(form, error);
  }
}

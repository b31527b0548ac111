// A refused command shown where the operator can fix it: the API names the input at fault in
// `field` ("source.name", "regions[1]", "min"), and the form element with that data-field gets
// the message beside it (aria-invalid, aria-describedby, focus). Anything else goes to the
// form's own .form-error line, and so do refusals about the incident as a whole (a closed one
// names its `status`, which is not the claim's status input). The form keeps what was typed:
// nothing was changed.

import { el } from "./api.js";

const CONTROLS = "input, select, textarea, button";
const WHOLE = new Set(["incident_closed"]);

export function clearProblems(form) {
  for (const note of form.querySelectorAll(".field-problem")) note.remove();
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const described = (control.getAttribute("aria-describedby") || "").split(" ")
      .filter((id) => id && !id.endsWith("-problem"));
    if (described.length) control.setAttribute("aria-describedby", described.join(" "));
    else control.removeAttribute("aria-describedby");
  }
  const line = form.querySelector(".form-error");
  if (line) line.textContent = "";
}

/** Show `error` (an ApiError or any Error) on `form`; returns the element it was put beside. */
export function showProblem(form, error) {
  clearProblems(form);
  const target = error.field && !WHOLE.has(error.code) ? fieldOf(form, error.field) : null;
  if (!target) {
    const line = form.querySelector(".form-error");
    if (line) line.textContent = error.message;
    return null;
  }
  const control = target.matches(CONTROLS) ? target : target.querySelector(CONTROLS);
  const id = `${(control?.id || target.id || "field")}-problem`;
  const note = el("span", { class: "error field-problem", id, role: "alert",
    dataset: { problemFor: error.field } }, error.message);
  (target.closest(".field") || target).after(note);
  if (control) {
    control.setAttribute("aria-invalid", "true");
    const described = control.getAttribute("aria-describedby");
    control.setAttribute("aria-describedby", described ? `${described} ${id}` : id);
    control.focus();
  }
  return target;
}

/** The visible element for `field`: exact, then without its index, then its parent name. */
function fieldOf(form, field) {
  const names = [field, field.replace(/\[\d+\]$/, ""), field.split(/[.[]/)[0]];
  for (const name of names) {
    const found = [...form.querySelectorAll("[data-field]")]
      .find((node) => node.dataset.field === name && node.getClientRects().length > 0);
    if (found) return found;
  }
  return null;
}

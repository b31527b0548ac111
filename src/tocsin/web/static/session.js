// The console shell shared by its pages: sign-in, the session (role, regions, CSRF token),
// the mode (actual / exercise / test) shown on the banner, every panel and every dialog, and
// the confirmation step that names what is about to happen.

import { $, ApiError, clear, el, getJSON, send } from "./api.js";
import { loadStrings, bindLangPicker, onLangChange, t } from "./i18n.js";

export const session = { current: null };

/** Start a console page; `ready(session)` runs once someone is signed in. */
export async function startConsole(ready) {
  await loadStrings();
  bindLangPicker($("#lang"));
  for (const link of document.querySelectorAll(".site-nav a")) {
    if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
  }
  $("#login-form").addEventListener("submit", (event) => login(event, ready));
  $("#logout").addEventListener("click", logout);
  for (const button of document.querySelectorAll("#mode-switch button")) {
    button.addEventListener("click", () => chooseMode(button.dataset.mode));
  }
  $("#confirm-no").addEventListener("click", () => $("#confirm").close("back"));
  onLangChange(showMode);
  try {
    session.current = await getJSON("/v1/session", {}, { lang: false });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showLogin();
    throw error;
  }
  signedIn(ready);
}

function showLogin(message = "") {
  session.current = null;
  document.body.dataset.mode = "";
  $("#login").hidden = false;
  $("#main").hidden = true;
  $("#mode-banner").hidden = true;
  $("#mode-switch").hidden = true;
  $("#logout").hidden = true;
  $("#who").textContent = "";
  $("#login-error").textContent = message;
  $("#username").focus();
}

async function login(event, ready) {
  event.preventDefault();
  $("#login-error").textContent = "";
  try {
    session.current = await send("POST", "/v1/session", {
      username: $("#username").value.trim(), password: $("#password").value });
  } catch (error) {
    $("#login-error").textContent = error.message;
    return;
  }
  $("#password").value = "";
  signedIn(ready);
}

async function logout() {
  try {
    await send("DELETE", "/v1/session", undefined, session.current?.csrf_token);
  } finally {
    showLogin();
  }
}

let started = false;

function signedIn(ready) {
  if (started) {
    location.reload(); // signed in again: start the page afresh, with the new session
    return;
  }
  started = true;
  $("#login").hidden = true;
  $("#main").hidden = false;
  $("#mode-switch").hidden = false;
  $("#logout").hidden = false;
  showMode();
  ready(session.current);
}

/** The session ended (expired, logged out elsewhere): back to the sign-in form. */
export function sessionEnded() {
  if (session.current) showLogin(t("session.expired"));
}

/** A write with the session's CSRF token; a lapsed session sends the operator to sign in. */
export async function act(method, path, body) {
  try {
    return await send(method, path, body, session.current?.csrf_token);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showLogin(t("session.expired"));
    throw error;
  }
}

export function mode() {
  return session.current?.mode || "exercise";
}

export function showMode() {
  const current = session.current;
  if (!current) return;
  const now = current.mode;
  document.body.dataset.mode = now;
  $("#mode-banner").hidden = false;
  $("#mode-name").textContent = t(`mode.${now}`);
  $("#mode-text").textContent = t(`mode.${now}.banner`);
  for (const button of document.querySelectorAll("#mode-switch button")) {
    button.setAttribute("aria-pressed", String(button.dataset.mode === now));
  }
  const scope = current.regions ? current.regions.join(", ") : t("session.allRegions");
  $("#who").textContent = t("session.who", { user: current.username, role: current.role, scope });
  document.title = `[${t(`mode.${now}`).toUpperCase()}] ${t(document.body.dataset.title)} — tocsin`;
  for (const heading of document.querySelectorAll(".panel > h2")) {
    let tag = heading.querySelector(".mode-tag");
    if (!tag) {
      tag = el("span", { class: "mode-tag", "aria-hidden": "true" });
      heading.append(tag);
    }
    tag.textContent = t(`mode.${now}`);
  }
  document.dispatchEvent(new CustomEvent("tocsin:mode", { detail: now }));
}

async function chooseMode(next) {
  if (!session.current || next === session.current.mode) return;
  const change = async () => {
    session.current = await act("PATCH", "/v1/session", { mode: next });
    showMode();
  };
  if (next !== "actual") {
    await change();
    return;
  }
  await confirmStep({
    status: "actual",
    title: t("mode.toActual.title"),
    body: [el("p", {}, t("mode.toActual.body"))],
    yes: t("mode.toActual.yes"),
    action: change,
  });
}

/** The words for a status, for sentences: "ACTUAL", "EXERCISE", "TEST". */
export function statusWord(status) {
  return el("span", { class: `status-word ${status}` }, t(`mode.${status}`).toUpperCase());
}

/**
 * The confirmation step: it names what will happen; for actual alerts `typed` is the region
 * (`{ name, code }`) whose name (any letter case) or code the operator must type before the
 * button works. Resolves to the action's result, or null if the operator went back.
 */
export function confirmStep({ status, title, body, yes, typed = null, action, danger = true }) {
  const dialog = $("#confirm");
  dialog.dataset.status = status || "";
  $("#confirm-title").textContent = title;
  clear($("#confirm-body"), body);
  const input = $("#confirm-input");
  const button = $("#confirm-yes");
  button.textContent = yes;
  button.className = danger ? "btn danger" : "btn primary";
  $("#confirm-error").textContent = "";
  $("#confirm-typed").hidden = typed === null;
  input.value = "";
  if (typed !== null) $("#confirm-typed-label").textContent = t("confirm.type", typed);
  const matches = () => typed === null || sameName(input.value, typed.name)
    || sameName(input.value, typed.code);
  const update = () => {
    button.disabled = !matches();
  };
  update();
  input.oninput = update;
  return new Promise((resolve) => {
    let result = null;
    const form = $("#confirm-form");
    form.onsubmit = async (event) => {
      event.preventDefault();
      if (!matches() || button.dataset.busy) return;
      button.dataset.busy = "1";
      button.disabled = true;
      try {
        result = (await action()) ?? true;
        dialog.close("done");
      } catch (error) {
        $("#confirm-error").textContent = error.message;
      } finally {
        delete button.dataset.busy;
        update();
      }
    };
    dialog.onclose = () => {
      clear($("#confirm-body"));
      resolve(result);
    };
    dialog.showModal();
    (typed !== null ? input : $("#confirm-no")).focus();
  });
}

/** The same name in any letter case; spaces and apostrophe variants are forgiven too. */
function sameName(given, wanted) {
  const norm = (text) => text.normalize("NFC").trim().replace(/\s+/g, " ")
    .replace(/[’ʼ`]/g, "'").toLocaleLowerCase();
  return norm(given) === norm(wanted) && norm(wanted) !== "";
}

// The interface in the viewer's language: English, Ukrainian or Russian (strings in i18n.json).
// Elements with data-i18n="key" get the text; data-i18n-attr="aria-label:key;title:key2" attributes.

export const LANGS = ["en", "uk", "ru"];
const STORE_KEY = "tocsin.lang";
let strings = {};
let lang = "en";
const listeners = [];

export async function loadStrings() {
  const response = await fetch("/static/i18n.json");
  strings = await response.json();
  lang = initialLang();
  document.documentElement.lang = lang;
  translatePage();
}

function initialLang() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LANGS.includes(asked)) return asked;
  const stored = readStored();
  if (LANGS.includes(stored)) return stored;
  for (const tag of navigator.languages || []) {
    const code = tag.slice(0, 2).toLowerCase();
    if (LANGS.includes(code)) return code;
  }
  return "en";
}

function readStored() {
  try {
    return localStorage.getItem(STORE_KEY);
  } catch {
    return null;
  }
}

export function getLang() {
  return lang;
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORE_KEY, next);
  } catch {
    // private mode: the choice lasts for this page only
  }
  document.documentElement.lang = next;
  translatePage();
  for (const listener of listeners) listener(next);
}

export function onLangChange(listener) {
  listeners.push(listener);
}

/** The string `key` in the current language (English if missing), with {name} filled in. */
export function t(key, vars = {}) {
  const text = strings[lang]?.[key] ?? strings.en?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The string `key` in a given language (for messages that go out in every language). */
export function tIn(language, key) {
  return strings[language]?.[key] ?? strings.en?.[key] ?? key;
}

export function translatePage(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      if (attr && key) node.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  const title = document.body?.dataset.title;
  if (title) document.title = `${t(title)} — tocsin`;
}

/** Wire a <select> of languages to the page. */
export function bindLangPicker(select) {
  if (!select) return;
  select.value = lang;
  select.addEventListener("change", () => setLang(select.value));
  onLangChange((next) => {
    select.value = next;
  });
}

/** The name of a region in the current language, from a {en, uk, ru} map. */
export function pickName(names, fallback = "") {
  if (!names) return fallback;
  return names[lang] || names.en || Object.values(names)[0] || fallback;
}

// Picking regions by name, only within the operator's scope: a search box, the matches (arrow
// keys move through them, Enter picks one) and the chosen regions as chips that can be removed.

import { clear, el } from "./api.js";
import { t } from "./i18n.js";

export class RegionPicker {
  /**
   * `root` holds an input[type=search], a ul.search-results and a ul.chips. `allowed(code)`
   * says which regions may be chosen; `single` keeps at most one.
   */
  constructor(root, { index, allowed, single = false, onChange = () => {} }) {
    Object.assign(this, { root, index, allowed, single, onChange, chosen: [] });
    this.input = root.querySelector("input[type=search]");
    this.results = root.querySelector(".search-results");
    this.chips = root.querySelector(".chips");
    this.input.addEventListener("input", () => this.search());
    this.input.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown") return;
      event.preventDefault();
      this.results.querySelector("button")?.focus();
    });
    this.results.addEventListener("keydown", (event) => this.move(event));
    this.render();
  }

  set(codes) {
    this.chosen = codes.filter((code) => this.allowed(code));
    this.render();
  }

  add(code) {
    if (!this.allowed(code) || this.chosen.includes(code)) return;
    this.chosen = this.single ? [code] : [...this.chosen, code];
    this.render();
  }

  remove(code) {
    this.chosen = this.chosen.filter((c) => c !== code);
    this.render();
  }

  search() {
    const { index } = this;
    const query = this.input.value.trim();
    const found = index.search(query, (code) => this.allowed(code) && !this.chosen.includes(code));
    clear(this.results, found.map((code) => el("li", {}, el("button", { type: "button",
      dataset: { code }, onclick: () => this.pick(code) },
    index.label(code), " ", el("span", { class: "level" }, `· ${t(`level.${index.level(code)}`)}`)))));
    if (query.length >= 2 && !found.length) {
      clear(this.results, el("li", { class: "hint" }, t("raise.noMatch")));
    }
  }

  pick(code) {
    this.add(code);
    this.input.value = "";
    clear(this.results);
    this.input.focus();
  }

  move(event) {
    const buttons = [...this.results.querySelectorAll("button")];
    const at = buttons.indexOf(document.activeElement);
    if (at < 0 || !["ArrowDown", "ArrowUp"].includes(event.key)) return;
    event.preventDefault();
    const next = at + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0) this.input.focus();
    else buttons[Math.min(next, buttons.length - 1)].focus();
  }

  render() {
    const { index } = this;
    clear(this.chips, this.chosen.map((code) => el("li", { class: "chip", dataset: { code } },
      index.label(code),
      el("button", { type: "button", "aria-label": t("raise.removeRegion", { name: index.name(code) }),
        onclick: () => this.remove(code) }, "×"))));
    this.onChange(this.chosen);
  }

  relabel() {
    this.render();
    this.search();
  }
}

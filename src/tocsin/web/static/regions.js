// The region tree in the browser (for the console): names in every language, parents, and the
// questions the console asks of it: is this region within the operator's scope, what do these
// regions cover, which regions match a name.

import { ApiError, getJSON } from "./api.js";
import { pickName } from "./i18n.js";

export class RegionIndex {
  constructor(regions) {
    this.byCode = new Map(regions.map((r) => [r.code, r]));
    this.children = new Map();
    for (const region of regions) {
      if (!region.parent) continue;
      if (!this.children.has(region.parent)) this.children.set(region.parent, []);
      this.children.get(region.parent).push(region.code);
    }
  }

  static async load() {
    const body = await getJSON("/v1/regions", {}, { lang: false });
    return new RegionIndex(body.regions);
  }

  name(code) {
    const region = this.byCode.get(code);
    return region ? pickName(region.names, region.name) : code;
  }

  /** The region's name with where it is: "Kharkivskyi raion (Kharkiv Oblast)". */
  label(code) {
    const region = this.byCode.get(code);
    if (!region?.parent || !this.byCode.get(region.parent)?.parent) return this.name(code);
    return `${this.name(code)} (${this.name(region.parent)})`;
  }

  level(code) {
    return this.byCode.get(code)?.level || "";
  }

  ancestors(code) {
    const chain = [];
    let parent = this.byCode.get(code)?.parent;
    while (parent) {
      chain.push(parent);
      parent = this.byCode.get(parent)?.parent;
    }
    return chain;
  }

  /** Whether `code` is one of `scope` or lies within one (a null scope: everywhere). */
  within(code, scope) {
    if (!this.byCode.has(code)) return false;
    if (scope === null) return true;
    return scope.has(code) || this.ancestors(code).some((a) => scope.has(a));
  }

  descendants(code) {
    const found = [];
    const stack = [...(this.children.get(code) || [])];
    while (stack.length) {
      const next = stack.pop();
      found.push(next);
      stack.push(...(this.children.get(next) || []));
    }
    return found;
  }

  /** Every region the codes cover (themselves and all within), counted by level. */
  coverage(codes) {
    const covered = new Set();
    for (const code of codes) {
      covered.add(code);
      for (const inner of this.descendants(code)) covered.add(inner);
    }
    const byLevel = new Map();
    for (const code of covered) {
      const level = this.level(code) || "region";
      byLevel.set(level, (byLevel.get(level) || 0) + 1);
    }
    return { total: covered.size, byLevel };
  }

  /** Regions whose name (any language) or code contains `query`, allowed ones only. */
  search(query, allowed, limit = 12) {
    const needle = query.trim().toLocaleLowerCase();
    if (needle.length < 2) return [];
    const found = [];
    for (const region of this.byCode.values()) {
      if (!allowed(region.code)) continue;
      const names = Object.values(region.names || {}).map((n) => n.toLocaleLowerCase());
      const exact = names.some((n) => n.startsWith(needle));
      if (exact || names.some((n) => n.includes(needle))
        || region.code.toLocaleLowerCase().startsWith(needle)) {
        found.push({ region, exact });
      }
    }
    const order = { country: 0, oblast: 1, raion: 2, hromada: 3 };
    found.sort((a, b) => Number(b.exact) - Number(a.exact)
      || (order[a.region.level] ?? 9) - (order[b.region.level] ?? 9)
      || this.name(a.region.code).localeCompare(this.name(b.region.code)));
    return found.slice(0, limit).map((f) => f.region.code);
  }
}

/**
 * The sirens standing in `codes` (or within them), from /v1/sirens: {sirens} or, where this
 * server keeps no siren registry, {unavailable: true}; other failures give {error}.
 */
export async function sirensWithin(index, codes) {
  try {
    const body = await getJSON("/v1/sirens", {}, { lang: false });
    const area = new Set(codes);
    return { sirens: body.sirens.filter((siren) => index.within(siren.region, area)) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { unavailable: true };
    return { error: error.message };
  }
}

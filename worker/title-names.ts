// Finding catalog titles by what a person typed: exact matches after normalizeName (several titles
// can share a name), and suggestions when nothing matches, ranked by how the name contains the text,
// then by character-trigram similarity (so typos still find the title). Indexes are built on first
// use per isolate.
import { compareCodePoints, normalizeName } from '../contract';

/** Below this trigram similarity (Dice) a title is not worth suggesting. */
const MIN_SIMILARITY = 0.35;

export class TitleNames {
  private exact: Map<string, number[]> | undefined;
  private index: TrigramIndex | undefined;

  /** `names`: normalizeName of each title, by title index. */
  constructor(private readonly names: readonly string[]) {}

  /** Titles whose normalised name equals the normalised text, in index order. */
  match(text: string): number[] {
    if (!this.exact) {
      this.exact = new Map();
      this.names.forEach((name, t) => {
        const list = this.exact!.get(name);
        if (list) list.push(t);
        else this.exact!.set(name, [t]);
      });
    }
    return this.exact.get(normalizeName(text)) ?? [];
  }

  /** Up to `limit` titles resembling the text: names starting with it, then containing it, then
   * similar by trigrams; within each, more similar first, then code-point order of the name. */
  suggest(text: string, limit: number): number[] {
    const query = normalizeName(text);
    if (query === '') return [];
    const similarity = this.similarities(query);
    const ranked: { t: number; tier: number; score: number }[] = [];
    this.names.forEach((name, t) => {
      const tier = name.startsWith(query) ? 0 : name.includes(query) ? 1 : 2;
      const score = similarity.get(t) ?? 0;
      if (tier < 2 || score >= MIN_SIMILARITY) ranked.push({ t, tier, score });
    });
    ranked.sort((a, b) => a.tier - b.tier || b.score - a.score || compareCodePoints(this.names[a.t], this.names[b.t]) || a.t - b.t);
    return ranked.slice(0, limit).map((r) => r.t);
  }

  /** Dice coefficient of character trigrams between the query and every title sharing one. */
  private similarities(query: string): Map<number, number> {
    this.index ??= new TrigramIndex(this.names);
    return this.index.dice(query);
  }
}

/** Inverted index from trigram to the names containing it, in flat integer arrays (CSR), so building
 * it and querying it cost milliseconds even for the whole catalog. */
class TrigramIndex {
  private readonly ids = new Map<number, number>(); // trigram code -> dense id
  private readonly gramCount: Int32Array; // distinct trigrams per name
  private readonly postStart: Int32Array;
  private readonly postNames: Int32Array;
  private readonly shared: Int32Array;

  constructor(names: readonly string[]) {
    const flat: number[] = []; // trigram ids of name t at nameStart[t]..nameStart[t+1]-1
    const nameStart = new Int32Array(names.length + 1);
    names.forEach((name, t) => {
      for (const code of trigrams(name)) flat.push(this.idOf(code));
      nameStart[t + 1] = flat.length;
    });
    this.gramCount = new Int32Array(names.length);
    for (let t = 0; t < names.length; t++) this.gramCount[t] = nameStart[t + 1] - nameStart[t];
    this.postStart = new Int32Array(this.ids.size + 1);
    for (const id of flat) this.postStart[id + 1]++;
    for (let id = 0; id < this.ids.size; id++) this.postStart[id + 1] += this.postStart[id];
    this.postNames = new Int32Array(flat.length);
    const next = this.postStart.slice(0, this.ids.size);
    for (let t = 0; t < names.length; t++) for (let i = nameStart[t]; i < nameStart[t + 1]; i++) this.postNames[next[flat[i]]++] = t;
    this.shared = new Int32Array(names.length);
  }

  private idOf(code: number): number {
    let id = this.ids.get(code);
    if (id === undefined) this.ids.set(code, (id = this.ids.size));
    return id;
  }

  dice(query: string): Map<number, number> {
    const codes = trigrams(query);
    const touched: number[] = [];
    for (const code of codes) {
      const id = this.ids.get(code);
      if (id === undefined) continue;
      for (let i = this.postStart[id]; i < this.postStart[id + 1]; i++) {
        const t = this.postNames[i];
        if (this.shared[t]++ === 0) touched.push(t);
      }
    }
    const out = new Map<number, number>();
    for (const t of touched) {
      out.set(t, (2 * this.shared[t]) / (codes.size + this.gramCount[t]));
      this.shared[t] = 0;
    }
    return out;
  }
}

/** Distinct character trigrams of " name " (padded so short words and word edges count), each as
 * a 31-bit hash of its three UTF-16 code units (a rare collision only blurs a similarity). */
function trigrams(name: string): Set<number> {
  const padded = ` ${name} `;
  const out = new Set<number>();
  for (let i = 0; i + 3 <= padded.length; i++) {
    const h = Math.imul(Math.imul(padded.charCodeAt(i), 0x9e3779b1) ^ padded.charCodeAt(i + 1), 0x85ebca6b) ^ padded.charCodeAt(i + 2);
    out.add(Math.imul(h, 0xc2b2ae35) >>> 1);
  }
  return out;
}

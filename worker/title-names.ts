// Finding catalog titles by what a person typed: exact matches after normalizeName (several titles
// can share a name), and suggestions when nothing matches, ranked by how the name contains the text,
// then by character-trigram similarity (so typos still find the title). Indexes are built on first
// use per isolate.
import { compareCodePoints, normalizeName } from '../contract';

/** Below this trigram similarity (Dice) a title is not worth suggesting. */
const MIN_SIMILARITY = 0.35;

export class TitleNames {
  private exact: Map<string, number[]> | undefined;
  private grams: Map<string, number[]> | undefined;
  private gramCount: Uint16Array | undefined;

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
    if (!this.grams) {
      this.grams = new Map();
      this.gramCount = new Uint16Array(this.names.length);
      this.names.forEach((name, t) => {
        const grams = trigrams(name);
        this.gramCount![t] = grams.size;
        for (const gram of grams) {
          const list = this.grams!.get(gram);
          if (list) list.push(t);
          else this.grams!.set(gram, [t]);
        }
      });
    }
    const queryGrams = trigrams(query);
    const shared = new Map<number, number>();
    for (const gram of queryGrams) for (const t of this.grams.get(gram) ?? []) shared.set(t, (shared.get(t) ?? 0) + 1);
    const out = new Map<number, number>();
    for (const [t, n] of shared) out.set(t, (2 * n) / (queryGrams.size + this.gramCount![t]));
    return out;
  }
}

/** Distinct character trigrams of " name " (padded so short words and word edges count). */
function trigrams(name: string): Set<string> {
  const chars = Array.from(` ${name} `);
  const out = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) out.add(chars.slice(i, i + 3).join(''));
  return out;
}

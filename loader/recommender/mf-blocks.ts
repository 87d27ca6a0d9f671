// The fixed schedule that makes parallel SGD deterministic (DSGD): users and titles are split into
// B groups each, ratings into the B x B blocks they fall in. Stratum s holds blocks (g, (g+s) mod B)
// for g = 0..B-1; no two of them share a user or a title, so they can run at once on any number of
// threads and the result does not depend on which thread ran which block.
import { inPairSet, type PairSet } from './rating-model';
import type { Random } from '../random';

/** Where blockRatings writes the reordered ratings (views into the shared training memory). */
export interface BlockTarget {
  user: Int32Array;
  title: Int32Array;
  rating: Float32Array;
}

/** Blocks of stratum s, in a fixed order. */
export function stratumBlocks(blocks: number, stratum: number): number[] {
  const out: number[] = [];
  for (let g = 0; g < blocks; g++) out.push(g * blocks + ((g + stratum) % blocks));
  return out;
}

/** Reorders the set's ratings block by block (each block in a seeded random order) into `target`,
 * built in place there: no index arrays, so the only per-rating memory is the target itself;
 * returns blockStart: block b = userGroup * B + titleGroup spans blockStart[b]..blockStart[b+1]-1.
 * The same order as shuffling each block's indices and then gathering: rows go in set order, then
 * one Fisher-Yates pass per block swaps the three columns together. */
export function blockRatings(pairs: PairSet, blocks: number, random: Random, target: BlockTarget): Int32Array {
  const userGroup = balancedGroups(pairs, pairs.user, pairs.nUsers, blocks);
  const titleGroup = balancedGroups(pairs, pairs.title, pairs.nTitles, blocks);
  const n = pairs.user.length;
  const { part } = pairs;
  const keep = pairs.keep ?? 0;
  const blockStart = new Int32Array(blocks * blocks + 1);
  for (let i = 0; i < n; i++) {
    if (part !== undefined && ((keep >>> part[i]) & 1) === 0) continue;
    blockStart[userGroup[pairs.user[i]] * blocks + titleGroup[pairs.title[i]] + 1]++;
  }
  for (let b = 0; b < blocks * blocks; b++) blockStart[b + 1] += blockStart[b];
  const next = blockStart.slice(0, blocks * blocks);
  const { user, title, rating } = target;
  for (let i = 0; i < n; i++) {
    if (part !== undefined && ((keep >>> part[i]) & 1) === 0) continue;
    const j = next[userGroup[pairs.user[i]] * blocks + titleGroup[pairs.title[i]]]++;
    user[j] = pairs.user[i];
    title[j] = pairs.title[i];
    rating[j] = pairs.rating[i];
  }
  for (let b = 0; b < blocks * blocks; b++) {
    const from = blockStart[b];
    // Fisher-Yates over from..to-1, as random.ts shuffle does on a subarray (same draws).
    for (let i = blockStart[b + 1] - from - 1; i > 0; i--) {
      const a = from + i;
      const c = from + Math.floor(random() * (i + 1));
      const u = user[a];
      user[a] = user[c];
      user[c] = u;
      const t = title[a];
      title[a] = title[c];
      title[c] = t;
      const r = rating[a];
      rating[a] = rating[c];
      rating[c] = r;
    }
  }
  return blockStart;
}

/** Group of each id so groups carry near-equal numbers of ratings: largest ids first, each to the
 * lightest group so far (ties to the lower group), which keeps threads evenly loaded. */
function balancedGroups(pairs: PairSet, ids: Int32Array, nIds: number, groups: number): Uint8Array {
  const count = new Int32Array(nIds);
  for (let i = 0; i < ids.length; i++) if (inPairSet(pairs, i)) count[ids[i]]++;
  const byCount = new Int32Array(nIds);
  for (let i = 0; i < nIds; i++) byCount[i] = i;
  byCount.sort((a, b) => count[b] - count[a] || a - b);
  const load = new Float64Array(groups);
  const group = new Uint8Array(nIds);
  for (const id of byCount) {
    let lightest = 0;
    for (let g = 1; g < groups; g++) if (load[g] < load[lightest]) lightest = g;
    group[id] = lightest;
    load[lightest] += count[id];
  }
  return group;
}

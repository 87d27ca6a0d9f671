// The fixed schedule that makes parallel SGD deterministic (DSGD): users and titles are split into
// B groups each, ratings into the B x B blocks they fall in. Stratum s holds blocks (g, (g+s) mod B)
// for g = 0..B-1; no two of them share a user or a title, so they can run at once on any number of
// threads and the result does not depend on which thread ran which block.
import type { PairSet } from './rating-model';
import { shuffle, type Random } from '../random';

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

/** Reorders the ratings block by block (each block in a seeded random order) into `target`;
 * returns blockStart: block b = userGroup * B + titleGroup spans blockStart[b]..blockStart[b+1]-1. */
export function blockRatings(pairs: PairSet, blocks: number, random: Random, target: BlockTarget): Int32Array {
  const userGroup = balancedGroups(pairs.user, pairs.nUsers, blocks);
  const titleGroup = balancedGroups(pairs.title, pairs.nTitles, blocks);
  const n = pairs.user.length;
  const blockOf = new Int32Array(n);
  const blockStart = new Int32Array(blocks * blocks + 1);
  for (let i = 0; i < n; i++) {
    const b = userGroup[pairs.user[i]] * blocks + titleGroup[pairs.title[i]];
    blockOf[i] = b;
    blockStart[b + 1]++;
  }
  for (let b = 0; b < blocks * blocks; b++) blockStart[b + 1] += blockStart[b];
  const next = blockStart.slice(0, blocks * blocks);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[next[blockOf[i]]++] = i;
  for (let b = 0; b < blocks * blocks; b++) shuffle(order.subarray(blockStart[b], blockStart[b + 1]), random);
  for (let j = 0; j < n; j++) {
    const i = order[j];
    target.user[j] = pairs.user[i];
    target.title[j] = pairs.title[i];
    target.rating[j] = pairs.rating[i];
  }
  return blockStart;
}

/** Group of each id so groups carry near-equal numbers of ratings: largest ids first, each to the
 * lightest group so far (ties to the lower group), which keeps threads evenly loaded. */
function balancedGroups(ids: Int32Array, nIds: number, groups: number): Uint8Array {
  const count = new Int32Array(nIds);
  for (let i = 0; i < ids.length; i++) count[ids[i]]++;
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

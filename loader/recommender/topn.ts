// Precomputes every user's top-N unrated titles per platform: exact, but pruned. Titles of a platform
// are visited in descending title bias; since a title's score is at most
//   mean + title bias + user bias + |user factors| * (largest |title factors| still to come),
// the scan stops once that bound falls below the N-th best score found. With weak factors (no
// interaction signal, as in ratings whose movieIds were assigned at random) a user costs a little
// over N dot products per platform instead of one per title; with strong factors it degrades to the
// full scan. Scores use the contract's scoreTitle arithmetic, so the worker's recomputed order matches.
import { PLATFORMS } from '../../contract';
import type { FactorParams } from './mf-params';
import { nextMessage, startWorker } from '../worker-threads';

export interface TopLists {
  n: number; // list capacity
  /** [user][platform][n] title indices, best first; only the first length entries are meaningful. */
  titles: Uint16Array;
  length: Uint16Array; // [user][platform]
}

export interface RatedPairs {
  userStart: Int32Array;
  title: Int32Array;
}

// Bound slack: a float32-rounded dot product may exceed the exact Cauchy-Schwarz bound by rounding.
const BOUND_SLACK = 1e-6;

export interface TopListInput {
  params: FactorParams;
  titlePlatform: Uint8Array; // PLATFORMS index per title
  rated: RatedPairs;
  n: number;
}

/** Lists of every user, computed on `threads` threads (each a contiguous range of users). */
export async function computeTopLists(input: TopListInput, threads: number): Promise<TopLists> {
  const nUsers = input.params.userBias.length;
  const out: TopLists = {
    n: input.n,
    titles: new Uint16Array(new SharedArrayBuffer(nUsers * PLATFORMS.length * input.n * 2)),
    length: new Uint16Array(new SharedArrayBuffer(nUsers * PLATFORMS.length * 2)),
  };
  if (threads <= 1 || nUsers < 1000) {
    computeTopListRange(input, 0, nUsers, out);
    return out;
  }
  const shared = shareInput(input);
  await Promise.all(
    Array.from({ length: threads }, async (_, t) => {
      const from = Math.floor((nUsers * t) / threads);
      const to = Math.floor((nUsers * (t + 1)) / threads);
      const worker = startWorker('./recommender/topn-worker.ts', { input: shared, from, to, out });
      try {
        await nextMessage(worker);
      } finally {
        await worker.terminate();
      }
    }),
  );
  return out;
}

function shareInput(input: TopListInput): TopListInput {
  const { params, rated } = input;
  return {
    n: input.n,
    titlePlatform: toShared(input.titlePlatform),
    rated: { userStart: toShared(rated.userStart), title: toShared(rated.title) },
    params: {
      k: params.k,
      mean: params.mean,
      userBias: toShared(params.userBias),
      titleBias: toShared(params.titleBias),
      userFactors: toShared(params.userFactors),
      titleFactors: toShared(params.titleFactors),
    },
  };
}

/** `a` itself when it already lives in shared memory (the prepared pairs do): no copy per load. */
function toShared<T extends Uint8Array | Int32Array | Float32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** Fills the lists of users from..to-1 into `out`. */
export function computeTopListRange(input: TopListInput, from: number, to: number, out: TopLists): void {
  const { params, titlePlatform, rated, n } = input;
  const { k, mean, userBias, titleBias, userFactors: P, titleFactors: Q } = params;
  const nTitles = titleBias.length;
  const P_COUNT = PLATFORMS.length;
  if (k % 4 !== 0) throw new RangeError(`top lists: k must be a multiple of 4, got ${k}`);
  if (nTitles > 0xffff) throw new RangeError(`top lists store title indices as u16; ${nTitles} titles is too many`);

  // Per platform, the titles in scan order (descending bias) with their factor rows copied
  // contiguously, so the scan reads memory sequentially.
  const scans = PLATFORMS.map((_, p) => {
    const ids: number[] = [];
    for (let t = 0; t < nTitles; t++) if (titlePlatform[t] === p) ids.push(t);
    ids.sort((a, b) => titleBias[b] - titleBias[a] || a - b);
    const order = Int32Array.from(ids);
    const base = Float64Array.from(ids, (t) => mean + titleBias[t]);
    const rows = new Float32Array(order.length * k);
    order.forEach((t, j) => rows.set(Q.subarray(t * k, t * k + k), j * k));
    const suffixMaxNorm = new Float64Array(order.length + 1);
    for (let j = order.length - 1; j >= 0; j--) {
      let s = 0;
      for (let f = 0; f < k; f++) s += rows[j * k + f] * rows[j * k + f];
      suffixMaxNorm[j] = Math.max(suffixMaxNorm[j + 1], Math.sqrt(s));
    }
    return { order, base, rows, suffixMaxNorm };
  });

  const { titles, length } = out;
  const ratedMark = new Int32Array(nTitles).fill(-1);
  const heap = new MinHeap(n);
  const userRow = new Float64Array(k);
  for (let u = from; u < to; u++) {
    for (let r = rated.userStart[u]; r < rated.userStart[u + 1]; r++) ratedMark[rated.title[r]] = u;
    let userNorm = 0;
    for (let f = 0; f < k; f++) {
      userRow[f] = P[u * k + f];
      userNorm += userRow[f] * userRow[f];
    }
    userNorm = Math.sqrt(userNorm);
    const bu = userBias[u];
    for (let p = 0; p < P_COUNT; p++) {
      const { order, base, rows, suffixMaxNorm } = scans[p];
      heap.clear();
      for (let j = 0; j < order.length; j++) {
        if (heap.full() && base[j] + bu + userNorm * suffixMaxNorm[j] + BOUND_SLACK < heap.worstScore()) break;
        const t = order[j];
        if (ratedMark[t] === u) continue;
        // The arithmetic of contract scoreTitle, step for step, so the worker ranks identically.
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let f = 0, q = j * k; f < k; f += 4, q += 4) {
          s0 += userRow[f] * rows[q];
          s1 += userRow[f + 1] * rows[q + 1];
          s2 += userRow[f + 2] * rows[q + 2];
          s3 += userRow[f + 3] * rows[q + 3];
        }
        let x = base[j];
        x += bu;
        x += s0 + s1 + (s2 + s3);
        heap.offer(x, t);
      }
      length[u * P_COUNT + p] = heap.size;
      heap.drainBestFirst(titles, (u * P_COUNT + p) * n);
    }
  }
}

/** Lists of a user that has no record (mean + title bias), per platform. */
export function baselineLists(mean: number, titleBias: Float32Array, titlePlatform: Uint8Array, n: number): Uint16Array[] {
  return PLATFORMS.map((_, p) => {
    const ids: number[] = [];
    for (let t = 0; t < titleBias.length; t++) if (titlePlatform[t] === p) ids.push(t);
    const score = (t: number) => mean + titleBias[t];
    ids.sort((a, b) => score(b) - score(a) || a - b);
    return Uint16Array.from(ids.slice(0, n));
  });
}

/** Bounded heap whose root is the worst kept entry: lower score, then higher title index. */
class MinHeap {
  private scores: Float64Array;
  private ids: Int32Array;
  size = 0;

  constructor(private capacity: number) {
    this.scores = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  full(): boolean {
    return this.size === this.capacity;
  }

  worstScore(): number {
    return this.scores[0];
  }

  private worse(i: number, j: number): boolean {
    const a = this.scores[i];
    const b = this.scores[j];
    return a < b || (a === b && this.ids[i] > this.ids[j]);
  }

  offer(score: number, id: number): void {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      let i = this.size++;
      this.scores[i] = score;
      this.ids[i] = id;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    if (score < this.scores[0] || (score === this.scores[0] && id > this.ids[0])) return;
    this.scores[0] = score;
    this.ids[0] = id;
    this.siftDown(0);
  }

  /** Writes the entries best first into out[at..] and empties the heap. */
  drainBestFirst(out: Uint16Array, at: number): void {
    for (let i = this.size - 1; i >= 0; i--) {
      out[at + i] = this.ids[0];
      this.size--;
      if (this.size > 0) {
        this.scores[0] = this.scores[this.size];
        this.ids[0] = this.ids[this.size];
        this.siftDown(0);
      }
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < this.size && this.worse(l, worst)) worst = l;
      if (r < this.size && this.worse(r, worst)) worst = r;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }

  private swap(i: number, j: number): void {
    const s = this.scores[i];
    this.scores[i] = this.scores[j];
    this.scores[j] = s;
    const d = this.ids[i];
    this.ids[i] = this.ids[j];
    this.ids[j] = d;
  }
}

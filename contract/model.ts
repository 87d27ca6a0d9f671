// The recommender's KV layouts, shared by the loader (encode) and the worker (decode). MODEL_KEYS are
// artifact names; a version's manifest maps each to its content-addressed blob (contract/keys.ts).
// Two kinds of value per data version:
//   - ONE title blob (MODEL_KEYS.titles), read and decoded once per isolate: global mean, title
//     biases and factors, the catalog's ids/titles/platforms, and the baseline lists for unknown users.
//   - user shards (MODEL_KEYS.userShard(s)), one KV read per user request: every user whose
//     shardOfUser(userId, shards) is s, with factors, bias, rated titles and precomputed top-N lists.
// Runtime-agnostic (no Node APIs). All numbers little-endian; every typed section starts aligned to
// its element size, so decoders take zero-copy views of the value.
//
// Title blob, format version 1:
//   0   u8[4]  magic "RMTB"
//   4   u32    format version
//   8   u32    total byte length (a truncated value is detected here)
//   12  u32    T titles
//   16  u32    k factors
//   20  u32    S user shards
//   24  f64    global mean
//   32  u32    topN
//   36  u32[4] baseline list length per platform (PLATFORMS order)
//   52  u32    J: byte length of the JSON section
//   56  f32    titleBias[T]; f32 titleFactors[T * k] (row t = factors of title t)
//       u8     platform[T] (PLATFORMS index); pad to 2
//       u16    baseline lists, concatenated in PLATFORMS order (title indices, best first); pad to 4
//       u8     JSON[J]: {"ids": string[T], "titles": string[T], "types": (string|null)[T],
//              "years": (number|null)[T], "names": {index: normalizeName(title)} where that differs
//              from the title, "unrated": indices of titles without ratings (biases/factors untrained)}
//
// User shard, format version 1:
//   0   u8[4]  magic "RMUS"
//   4   u32    format version
//   8   u32    total byte length
//   12  u32    k
//   16  u32    U users in this shard
//   20  i32    userId[U], ascending (binary search)
//       u32    recordOffset[U + 1] (from the start of the value; record u ends where u + 1 starts)
//   records, each 4-byte aligned:
//       f32    bias
//       u32    R rated titles
//       f32    factors[k]
//       u16    list length per platform [4]
//       u16    rated title index[R], ascending
//       u8     rated rating in half stars [R] (the user's latest rating of that title, x2); pad to 2
//       u16    per-platform top lists, concatenated in PLATFORMS order: unrated titles, best first
//
// Lists hold title indices only: a prediction is mean + user bias + title bias + factors . title
// factors, recomputed from the blob in microseconds, so nothing is stored twice. The overall top
// list is the merge of the platform lists (each title has one platform, so the overall top N is
// always among the platform top Ns).
import { checkBinaryHeader } from './binary-header';
import { normalizeName, PLATFORMS, type Platform } from './names';
import { indexOfSorted } from './sorted';

export const MODEL_FORMAT_VERSION = 1;
/** Artifact names of the recommender's values. */
export const MODEL_KEYS = {
  titles: 'model/titles',
  report: 'model/report', // JSON ModelReport (hyperparameters, data size, metrics)
  userShard: (shard: number) => `model/users/${shard}`,
} as const;

export const RATING_MIN = 0.5;
export const RATING_MAX = 5;

const TITLE_MAGIC = 'RMTB';
const SHARD_MAGIC = 'RMUS';
const TITLE_HEADER_BYTES = 56;
const SHARD_HEADER_BYTES = 20;

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

// ---------------------------------------------------------------------------------------------
// Shards

/** Shard of a user id: a 32-bit integer mix, so consecutive or patterned ids spread evenly. */
export function shardOfUser(userId: number, shards: number): number {
  let h = userId | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) % shards;
}

// ---------------------------------------------------------------------------------------------
// Title blob

export interface TitleModel {
  k: number;
  shards: number;
  mean: number;
  topN: number;
  titleBias: Float32Array;
  titleFactors: Float32Array;
  platform: Uint8Array; // PLATFORMS index per title
  ids: string[];
  titles: string[];
  types: (string | null)[]; // "movie" / "tv show", to tell same-named titles apart
  releaseYears: (number | null)[];
  unrated: number[]; // titles nobody rated: the model knows nothing about them
  /** Unknown users' lists: per platform, titles by mean + title bias, best first. */
  baselineLists: Record<Platform, Uint16Array>;
}

export function encodeTitleModel(m: TitleModel): Uint8Array {
  const T = m.titleBias.length;
  if (m.k % 4 !== 0) throw new RangeError(`encodeTitleModel: k must be a multiple of 4, got ${m.k}`);
  if (m.titleFactors.length !== T * m.k || m.platform.length !== T || m.ids.length !== T || m.titles.length !== T) {
    throw new RangeError('encodeTitleModel: arrays disagree on the number of titles');
  }
  if (m.types.length !== T || m.releaseYears.length !== T) throw new RangeError('encodeTitleModel: types or years have the wrong length');
  const names: Record<number, string> = {};
  m.titles.forEach((title, t) => {
    const name = normalizeName(title);
    if (name !== title) names[t] = name;
  });
  const json = new TextEncoder().encode(
    JSON.stringify({ ids: m.ids, titles: m.titles, types: m.types, years: m.releaseYears, names, unrated: m.unrated }),
  );
  const lists = PLATFORMS.map((p) => m.baselineLists[p]);
  const layout = new Layout(TITLE_HEADER_BYTES);
  const biasAt = layout.take(T * 4, 4);
  const factorsAt = layout.take(T * m.k * 4, 4);
  const platformAt = layout.take(T, 1);
  const listsAt = layout.take(lists.reduce((a, l) => a + l.length, 0) * 2, 2);
  const jsonAt = layout.take(json.length, 4);
  const bytes = new Uint8Array(layout.end);
  const view = new DataView(bytes.buffer);
  writeMagic(bytes, TITLE_MAGIC);
  view.setUint32(4, MODEL_FORMAT_VERSION, true);
  view.setUint32(8, bytes.length, true);
  view.setUint32(12, T, true);
  view.setUint32(16, m.k, true);
  view.setUint32(20, m.shards, true);
  view.setFloat64(24, m.mean, true);
  view.setUint32(32, m.topN, true);
  lists.forEach((l, p) => view.setUint32(36 + 4 * p, l.length, true));
  view.setUint32(52, json.length, true);
  new Float32Array(bytes.buffer, biasAt, T).set(m.titleBias);
  new Float32Array(bytes.buffer, factorsAt, T * m.k).set(m.titleFactors);
  bytes.set(m.platform, platformAt);
  let at = listsAt;
  for (const l of lists) {
    new Uint16Array(bytes.buffer, at, l.length).set(l);
    at += l.length * 2;
  }
  bytes.set(json, jsonAt);
  return bytes;
}

/** A decoded blob also carries normalizeName of every title, for matching user-typed titles. */
export interface DecodedTitleModel extends TitleModel {
  names: string[];
}

export function decodeTitleModel(value: ArrayBuffer | Uint8Array): DecodedTitleModel {
  const bytes = aligned(value);
  const view = header(bytes, TITLE_MAGIC, TITLE_HEADER_BYTES);
  const T = view.getUint32(12, true);
  const k = view.getUint32(16, true);
  const counts = PLATFORMS.map((_, p) => view.getUint32(36 + 4 * p, true));
  const jsonLength = view.getUint32(52, true);
  const layout = new Layout(TITLE_HEADER_BYTES);
  const biasAt = layout.take(T * 4, 4);
  const factorsAt = layout.take(T * k * 4, 4);
  const platformAt = layout.take(T, 1);
  const listsAt = layout.take(counts.reduce((a, c) => a + c, 0) * 2, 2);
  const jsonAt = layout.take(jsonLength, 4);
  if (layout.end !== bytes.length) throw new ModelFormatError(`title blob: sections end at ${layout.end}, value has ${bytes.length} bytes`);
  const parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(jsonAt, jsonAt + jsonLength))) as TitleJson;
  for (const list of [parsed.ids, parsed.titles, parsed.types, parsed.years]) {
    if (list?.length !== T) throw new ModelFormatError('title blob: a title list has the wrong length');
  }
  const baselineLists = {} as Record<Platform, Uint16Array>;
  let at = listsAt;
  PLATFORMS.forEach((p, i) => {
    baselineLists[p] = new Uint16Array(bytes.buffer, bytes.byteOffset + at, counts[i]);
    at += counts[i] * 2;
  });
  return {
    k,
    shards: view.getUint32(20, true),
    mean: view.getFloat64(24, true),
    topN: view.getUint32(32, true),
    titleBias: new Float32Array(bytes.buffer, bytes.byteOffset + biasAt, T),
    titleFactors: new Float32Array(bytes.buffer, bytes.byteOffset + factorsAt, T * k),
    platform: bytes.subarray(platformAt, platformAt + T),
    ids: parsed.ids,
    titles: parsed.titles,
    types: parsed.types,
    releaseYears: parsed.years,
    unrated: parsed.unrated ?? [],
    baselineLists,
    names: parsed.titles.map((title, t) => parsed.names[t] ?? title),
  };
}

interface TitleJson {
  ids: string[];
  titles: string[];
  types: (string | null)[];
  years: (number | null)[];
  names: Record<string, string>;
  unrated?: number[];
}

// ---------------------------------------------------------------------------------------------
// User records

export interface UserRecord {
  userId: number;
  bias: number;
  factors: Float32Array; // k
  ratedTitles: Uint16Array; // ascending title indices
  ratedHalves: Uint8Array; // the user's latest rating of ratedTitles[i], in half stars (rating * 2)
  lists: Record<Platform, Uint16Array>; // unrated titles, best first
}

export function encodeUserShard(records: UserRecord[], k: number): Uint8Array {
  const sorted = [...records].sort((a, b) => a.userId - b.userId);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].userId === sorted[i - 1].userId) throw new RangeError(`encodeUserShard: user ${sorted[i].userId} twice`);
  }
  const U = sorted.length;
  const layout = new Layout(SHARD_HEADER_BYTES);
  const idsAt = layout.take(U * 4, 4);
  const offsetsAt = layout.take((U + 1) * 4, 4);
  const starts = sorted.map((r) => {
    if (r.factors.length !== k) throw new RangeError(`encodeUserShard: user ${r.userId} has ${r.factors.length} factors, not ${k}`);
    if (r.ratedHalves.length !== r.ratedTitles.length) throw new RangeError(`encodeUserShard: user ${r.userId} rated arrays differ`);
    return layout.take(recordBytes(r, k), 4);
  });
  const bytes = new Uint8Array(layout.end);
  const view = new DataView(bytes.buffer);
  writeMagic(bytes, SHARD_MAGIC);
  view.setUint32(4, MODEL_FORMAT_VERSION, true);
  view.setUint32(8, bytes.length, true);
  view.setUint32(12, k, true);
  view.setUint32(16, U, true);
  const ids = new Int32Array(bytes.buffer, idsAt, U);
  const offsets = new Uint32Array(bytes.buffer, offsetsAt, U + 1);
  sorted.forEach((r, u) => {
    ids[u] = r.userId;
    offsets[u] = starts[u];
    writeRecord(bytes, starts[u], r, k);
  });
  offsets[U] = layout.end;
  return bytes;
}

/**
 * The user's record from a shard value, or null if the user is not in it. Decodes that record only.
 * Its arrays are views into the shard, so holding the record holds the whole shard; with `detach` it
 * gets a copy of its own bytes (~1.4 KB against a ~32 KiB shard), for keeping records of many users.
 */
export function findUserRecord(value: ArrayBuffer | Uint8Array, userId: number, detach = false): UserRecord | null {
  const bytes = aligned(value);
  const view = header(bytes, SHARD_MAGIC, SHARD_HEADER_BYTES);
  const k = view.getUint32(12, true);
  const U = view.getUint32(16, true);
  const layout = new Layout(SHARD_HEADER_BYTES);
  const idsAt = layout.take(U * 4, 4);
  const offsetsAt = layout.take((U + 1) * 4, 4);
  if (layout.end > bytes.length) throw new ModelFormatError('user shard: index runs past the end');
  const ids = new Int32Array(bytes.buffer, bytes.byteOffset + idsAt, U);
  const lo = indexOfSorted(ids, userId);
  if (lo < 0) return null;
  const offsets = new Uint32Array(bytes.buffer, bytes.byteOffset + offsetsAt, U + 1);
  if (!detach) return readRecord(bytes, offsets[lo], offsets[lo + 1], userId, k);
  if (offsets[lo + 1] > bytes.length) throw new ModelFormatError(`user shard: bad record bounds for user ${userId}`);
  // Records start 4-byte aligned, and so does a copy at offset 0: the decoded views stay aligned.
  const own = bytes.slice(offsets[lo], offsets[lo + 1]);
  return readRecord(own, 0, own.length, userId, k);
}

/** Every record of a shard, in user id order (tests and tools; the worker uses findUserRecord). */
export function decodeUserShard(value: ArrayBuffer | Uint8Array): { k: number; records: UserRecord[] } {
  const bytes = aligned(value);
  const view = header(bytes, SHARD_MAGIC, SHARD_HEADER_BYTES);
  const k = view.getUint32(12, true);
  const U = view.getUint32(16, true);
  const ids = new Int32Array(bytes.buffer, bytes.byteOffset + SHARD_HEADER_BYTES, U);
  const offsets = new Uint32Array(bytes.buffer, bytes.byteOffset + SHARD_HEADER_BYTES + U * 4, U + 1);
  const records: UserRecord[] = [];
  for (let u = 0; u < U; u++) records.push(readRecord(bytes, offsets[u], offsets[u + 1], ids[u], k));
  return { k, records };
}

/**
 * What a record adds to a shard value: the record, padded to 4 bytes, plus its id and offset entries;
 * from its counts (rated titles, list entries over all platforms), so sizing needs no record built.
 */
export function userRecordShardBytesOf(rated: number, listEntries: number, k: number): number {
  return Math.ceil(recordBytesOf(rated, listEntries, k) / 4) * 4 + 8;
}

function recordBytes(r: UserRecord, k: number): number {
  return recordBytesOf(
    r.ratedTitles.length,
    PLATFORMS.reduce((a, p) => a + r.lists[p].length, 0),
    k,
  );
}

function recordBytesOf(R: number, listEntries: number, k: number): number {
  return 8 + 4 * k + 2 * PLATFORMS.length + 3 * R + pad2(R) + 2 * listEntries;
}

function pad2(n: number): number {
  return n & 1;
}

function writeRecord(bytes: Uint8Array, at: number, r: UserRecord, k: number): void {
  const view = new DataView(bytes.buffer);
  const R = r.ratedTitles.length;
  view.setFloat32(at, r.bias, true);
  view.setUint32(at + 4, R, true);
  new Float32Array(bytes.buffer, at + 8, k).set(r.factors);
  let p = at + 8 + 4 * k;
  PLATFORMS.forEach((platform, i) => {
    const length = r.lists[platform].length;
    if (length > 0xffff) throw new RangeError('encodeUserShard: a top list longer than 65535');
    view.setUint16(p + 2 * i, length, true);
  });
  p += 2 * PLATFORMS.length;
  new Uint16Array(bytes.buffer, p, R).set(r.ratedTitles);
  p += 2 * R;
  bytes.set(r.ratedHalves, p);
  p += R + pad2(R);
  for (const platform of PLATFORMS) {
    new Uint16Array(bytes.buffer, p, r.lists[platform].length).set(r.lists[platform]);
    p += 2 * r.lists[platform].length;
  }
}

function readRecord(bytes: Uint8Array, at: number, end: number, userId: number, k: number): UserRecord {
  if (at % 4 !== 0 || end > bytes.length || at + 8 + 4 * k > end)
    throw new ModelFormatError(`user shard: bad record bounds for user ${userId}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const R = view.getUint32(at + 4, true);
  const base = bytes.byteOffset;
  const factors = new Float32Array(bytes.buffer, base + at + 8, k);
  let p = at + 8 + 4 * k;
  const lengths = PLATFORMS.map((_, i) => view.getUint16(p + 2 * i, true));
  p += 2 * PLATFORMS.length;
  const ratedTitles = new Uint16Array(bytes.buffer, base + p, R);
  p += 2 * R;
  const ratedHalves = bytes.subarray(p, p + R);
  p += R + pad2(R);
  const lists = {} as Record<Platform, Uint16Array>;
  PLATFORMS.forEach((platform, i) => {
    lists[platform] = new Uint16Array(bytes.buffer, base + p, lengths[i]);
    p += 2 * lengths[i];
  });
  // The next record starts at the next 4-byte boundary, so up to 3 bytes of padding may follow.
  if (p > end || end - p >= 4)
    throw new ModelFormatError(`user shard: record of user ${userId} has ${end - at} bytes, layout says ${p - at}`);
  return { userId, bias: view.getFloat32(at, true), factors, ratedTitles, ratedHalves, lists };
}

// ---------------------------------------------------------------------------------------------
// Predictions from the decoded values (the worker's whole per-request computation)

/** Unclipped score: mean + title bias (+ user bias + factors . title factors for a known user).
 * Lists are ranked by it; the clipped value is the predicted rating. The dot product is summed in
 * four interleaved lanes, ((l0 + l1) + (l2 + l3)): the loader's precompute does exactly this, so
 * both sides rank identically, bit for bit. k is a multiple of 4. */
export function scoreTitle(model: TitleModel, user: UserRecord | null, title: number): number {
  let x = model.mean + model.titleBias[title];
  if (user) {
    const k = model.k;
    const Q = model.titleFactors;
    const p = user.factors;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let f = 0, q = title * k; f < k; f += 4, q += 4) {
      s0 += p[f] * Q[q];
      s1 += p[f + 1] * Q[q + 1];
      s2 += p[f + 2] * Q[q + 2];
      s3 += p[f + 3] * Q[q + 3];
    }
    x += user.bias;
    x += s0 + s1 + (s2 + s3);
  }
  return x;
}

export function clipPrediction(x: number): number {
  return x < RATING_MIN ? RATING_MIN : Math.min(x, RATING_MAX);
}

/** The user's latest rating of a title (binary search in the sorted rated list), or null. */
export function ratingOf(user: UserRecord, title: number): number | null {
  const at = indexOfSorted(user.ratedTitles, title);
  return at < 0 ? null : user.ratedHalves[at] / 2;
}

/** Ranking order of the lists: higher score first, then lower title index. */
export function betterThan(scoreA: number, titleA: number, scoreB: number, titleB: number): boolean {
  return scoreA > scoreB || (scoreA === scoreB && titleA < titleB);
}

/** Top k of a platform list, or of all platforms merged when platform is null; with predictions.
 * Each stored list is already ranked (best first, by betterThan), so this is a merge of the list
 * heads: it scores at most k + 3 titles and sorts nothing. */
export function topTitles(
  model: TitleModel,
  user: UserRecord | null,
  platform: Platform | null,
  k: number,
): { title: number; score: number; predicted: number }[] {
  const lists = user ? user.lists : model.baselineLists;
  const sources = platform ? [lists[platform]] : PLATFORMS.map((p) => lists[p]);
  const next = sources.map(() => 0);
  const heads = sources.map((list) => (list.length > 0 ? scoreTitle(model, user, list[0]) : 0));
  const top: { title: number; score: number; predicted: number }[] = [];
  while (top.length < k) {
    let best = -1;
    for (let i = 0; i < sources.length; i++) {
      if (next[i] >= sources[i].length) continue;
      if (best < 0 || betterThan(heads[i], sources[i][next[i]], heads[best], sources[best][next[best]])) best = i;
    }
    if (best < 0) break;
    const list = sources[best];
    const score = heads[best];
    top.push({ title: list[next[best]], score, predicted: clipPrediction(score) });
    if (++next[best] < list.length) heads[best] = scoreTitle(model, user, list[next[best]]);
  }
  return top;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Byte offsets of consecutive sections, each aligned to its element size. */
class Layout {
  constructor(public end: number) {}
  take(bytes: number, align: number): number {
    const at = Math.ceil(this.end / align) * align;
    this.end = at + bytes;
    return at;
  }
}

function writeMagic(bytes: Uint8Array, magic: string): void {
  for (let i = 0; i < 4; i++) bytes[i] = magic.charCodeAt(i);
}

/** A Uint8Array over the value whose start is 8-byte aligned, so typed views are legal. */
function aligned(value: ArrayBuffer | Uint8Array): Uint8Array {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
  return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
}

function header(bytes: Uint8Array, magic: string, minBytes: number): DataView {
  return checkBinaryHeader(
    bytes,
    { what: magic, magic, format: MODEL_FORMAT_VERSION, headerBytes: minBytes },
    (message) => new ModelFormatError(message),
  );
}

/**
 * User ids, wherever one is accepted (rating files, POST /ratings, /recommend, /recommendations): a
 * whole number in this range. 0 is no user.
 */
export const MIN_USER_ID = 1;
export const MAX_USER_ID = 2_147_483_647;

// The catalog index: ONE binary KV value from which the worker serves GET /titles and /titles/{id}
// without a database round trip. Every title's answer is stored pre-serialised (the exact JSON bytes
// of its Title), so a page is a concatenation of byte ranges; the filters run over small typed
// columns and one search string. D1 keeps the same rows for SQL analytics and the CSV export.
// The loader encodes it, the worker decodes it once per isolate; the cron fold patches scores.
// Runtime-agnostic: no Node APIs.
//
// Layout, format version 1, little-endian, titles in code-point order of id:
//   0   u8[4]  magic "SCCI"
//   4   u32    format version
//   8   u32    total byte length (a truncated value is detected here)
//   12  u32    T titles
//   16  u32    I: byte length of the ids section
//   20  u32    S: byte length of the search section
//   24  u32    J: byte length of the JSON section
//   28  u32    reserved, 0
//   32  u8     platform[T] (PLATFORMS index); u8 type[T] (CATALOG_TYPES index, 255 = other); pad to 2
//       u16    release_year[T]; pad to 4
//       u32    idEnd[T]      end of id t in the decoded ids text (UTF-16 units)
//       u32    searchEnd[T]  end of title t's search text in the decoded search text (UTF-16 units)
//       u32    jsonEnd[T]    end of title t's JSON in the JSON section (bytes)
//       u8     ids[I] (UTF-8), search[S] (UTF-8), json[J] (UTF-8)
// A title's search text is `title SEP cast SEP director SEP` (null as empty), so one indexOf over the
// whole text finds substring matches and a match can never span two fields or two titles.
import { PLATFORMS, type Platform } from './names';
import { TITLE_COLUMNS, type Title } from './catalog';

export const CATALOG_INDEX_FORMAT_VERSION = 1;
const MAGIC = 'SCCI';
const HEADER_BYTES = 32;
export const CATALOG_TYPES = ['movie', 'tv show'] as const;
export type TitleType = (typeof CATALOG_TYPES)[number];
const OTHER_TYPE = 255;
/** Separates the fields of the search text; no stored field may contain it. */
const SEP = '\u0000';

export class CatalogIndexFormatError extends Error {
  override name = 'CatalogIndexFormatError';
}

/** What GET /titles filters on; an absent or empty field does not filter. */
export interface CatalogFilter {
  platform?: Platform;
  type?: TitleType;
  yearFrom?: number;
  yearTo?: number;
  /** Substring of the title, the cast or the director. */
  text?: string;
  /** The title starts with this. */
  titlePrefix?: string;
}

export interface CatalogIndex {
  byteLength: number;
  count: number;
  ids: string[];
  platform: Uint8Array;
  type: Uint8Array;
  year: Uint16Array;
  search: string;
  searchEnd: Uint32Array;
  json: Uint8Array;
  jsonEnd: Uint32Array;
}

/** The JSON of a Title exactly as the API answers it: keys in catalog column order. */
export function titleJson(title: Title): string {
  return JSON.stringify(Object.fromEntries(TITLE_COLUMNS.map((c) => [c, title[c] ?? null])));
}

// ---------------------------------------------------------------------------------------------------
// Encoding (loader, fold)

interface CatalogColumns {
  ids: string[];
  platform: Uint8Array;
  type: Uint8Array;
  year: Uint16Array;
  /** The search section as UTF-8 and the per-title ends in its decoded text. */
  searchBytes: Uint8Array;
  searchEnd: Uint32Array;
  /** Each title's JSON bytes. */
  json: Uint8Array[];
}

export function encodeCatalogIndex(titles: readonly Title[]): Uint8Array {
  const sorted = [...titles].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const encoder = new TextEncoder();
  const searchEnd = new Uint32Array(sorted.length);
  let search = '';
  sorted.forEach((t, i) => {
    if (i > 0 && sorted[i - 1].id === t.id) throw new RangeError(`encodeCatalogIndex: duplicate id ${t.id}`);
    const fields = [t.title, t.cast ?? '', t.director ?? ''];
    if (fields.some((f) => f.includes(SEP))) throw new RangeError(`encodeCatalogIndex: ${t.id} has a NUL character in its text`);
    search += fields.join(SEP) + SEP;
    searchEnd[i] = search.length;
  });
  return assemble({
    ids: sorted.map((t) => t.id),
    platform: Uint8Array.from(sorted, (t) => {
      const p = PLATFORMS.indexOf(t.platform);
      if (p < 0) throw new RangeError(`encodeCatalogIndex: ${t.id} has unknown platform ${t.platform}`);
      return p;
    }),
    type: Uint8Array.from(sorted, (t) => typeCode(t.type)),
    year: Uint16Array.from(sorted, (t) => {
      if (!Number.isInteger(t.release_year) || t.release_year < 0 || t.release_year > 0xffff) throw new RangeError(`encodeCatalogIndex: ${t.id} has release year ${t.release_year}`);
      return t.release_year;
    }),
    searchBytes: encoder.encode(search),
    searchEnd,
    json: sorted.map((t) => encoder.encode(titleJson(t))),
  });
}

/**
 * The index with some titles' score and rating count replaced (the cron fold). Everything else is
 * copied byte for byte, so patching with unchanged values reproduces the input.
 */
export function patchCatalogScores(bytes: Uint8Array, changes: Iterable<{ id: string; score: number | null; n_ratings: number }>): Uint8Array {
  const index = decodeCatalogIndex(bytes);
  const json = Array.from({ length: index.count }, (_, t) => titleBytes(index, t));
  const encoder = new TextEncoder();
  for (const change of changes) {
    const t = findTitle(index, change.id);
    if (t < 0) throw new RangeError(`patchCatalogScores: title ${change.id} is not in the catalog index`);
    const title = JSON.parse(new TextDecoder().decode(json[t])) as Title;
    json[t] = encoder.encode(titleJson({ ...title, score: change.score, n_ratings: change.n_ratings }));
  }
  return assemble({
    ids: index.ids,
    platform: index.platform,
    type: index.type,
    year: index.year,
    searchBytes: encoder.encode(index.search),
    searchEnd: index.searchEnd,
    json,
  });
}

function typeCode(type: string): number {
  const code = (CATALOG_TYPES as readonly string[]).indexOf(type);
  return code < 0 ? OTHER_TYPE : code;
}

/** Bytes of the typed columns between the header and the text sections. */
function sectionsBytes(T: number): number {
  return align(align(2 * T, 2) + 2 * T, 4) + 3 * 4 * T;
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function assemble(c: CatalogColumns): Uint8Array {
  const T = c.ids.length;
  const encoder = new TextEncoder();
  const idEnd = new Uint32Array(T);
  let idText = '';
  c.ids.forEach((id, t) => {
    idText += id;
    idEnd[t] = idText.length;
  });
  const idBytes = encoder.encode(idText);
  const jsonEnd = new Uint32Array(T);
  let J = 0;
  c.json.forEach((j, t) => {
    J += j.length;
    jsonEnd[t] = J;
  });
  const textStart = HEADER_BYTES + sectionsBytes(T);
  const total = textStart + idBytes.length + c.searchBytes.length + J;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, CATALOG_INDEX_FORMAT_VERSION, true);
  view.setUint32(8, total, true);
  view.setUint32(12, T, true);
  view.setUint32(16, idBytes.length, true);
  view.setUint32(20, c.searchBytes.length, true);
  view.setUint32(24, J, true);
  let at = HEADER_BYTES;
  out.set(c.platform, at);
  out.set(c.type, at + T);
  at = align(at + 2 * T, 2);
  new Uint16Array(out.buffer, at, T).set(c.year);
  at = align(at + 2 * T, 4);
  for (const column of [idEnd, c.searchEnd, jsonEnd]) {
    new Uint32Array(out.buffer, at, T).set(column);
    at += 4 * T;
  }
  out.set(idBytes, at);
  at += idBytes.length;
  out.set(c.searchBytes, at);
  at += c.searchBytes.length;
  for (const j of c.json) {
    out.set(j, at);
    at += j.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Decoding and queries (worker)

export function decodeCatalogIndex(value: ArrayBuffer | Uint8Array): CatalogIndex {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
  if (bytes.byteOffset % 4 !== 0) return decodeCatalogIndex(bytes.slice());
  if (bytes.length < HEADER_BYTES) throw new CatalogIndexFormatError(`catalog index: ${bytes.length} bytes is shorter than its header`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MAGIC) throw new CatalogIndexFormatError(`catalog index: bad magic ${JSON.stringify(magic)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = view.getUint32(4, true);
  if (format !== CATALOG_INDEX_FORMAT_VERSION) throw new CatalogIndexFormatError(`catalog index: format ${format}, this code reads ${CATALOG_INDEX_FORMAT_VERSION}`);
  const total = view.getUint32(8, true);
  if (total !== bytes.length) throw new CatalogIndexFormatError(`catalog index: header says ${total} bytes, value has ${bytes.length} (truncated?)`);
  const T = view.getUint32(12, true);
  const [I, S, J] = [view.getUint32(16, true), view.getUint32(20, true), view.getUint32(24, true)];
  const textStart = HEADER_BYTES + sectionsBytes(T);
  if (textStart + I + S + J !== total) throw new CatalogIndexFormatError('catalog index: section lengths do not add up to the value');

  const base = bytes.byteOffset;
  let at = HEADER_BYTES;
  const platform = bytes.subarray(at, at + T);
  const type = bytes.subarray(at + T, at + 2 * T);
  at = align(at + 2 * T, 2);
  const year = new Uint16Array(bytes.buffer, base + at, T);
  at = align(at + 2 * T, 4);
  const [idEnd, searchEnd, jsonEnd] = [0, 1, 2].map((i) => new Uint32Array(bytes.buffer, base + at + i * 4 * T, T));
  const decoder = new TextDecoder();
  const idText = decoder.decode(bytes.subarray(textStart, textStart + I));
  const search = decoder.decode(bytes.subarray(textStart + I, textStart + I + S));
  const json = bytes.subarray(textStart + I + S, total);
  if (T > 0 && (idEnd[T - 1] !== idText.length || searchEnd[T - 1] !== search.length || jsonEnd[T - 1] !== J)) {
    throw new CatalogIndexFormatError('catalog index: column ends do not match the text sections');
  }
  const ids = Array.from({ length: T }, (_, t) => idText.slice(t === 0 ? 0 : idEnd[t - 1], idEnd[t]));
  return { byteLength: total, count: T, ids, platform, type, year, search, searchEnd, json, jsonEnd };
}

/** Index of the title with this id, or -1. */
export function findTitle(index: CatalogIndex, id: string): number {
  const at = firstIdAfter(index, id, true);
  return at < index.count && index.ids[at] === id ? at : -1;
}

/** The stored JSON bytes of title t (a view, not a copy). */
export function titleBytes(index: CatalogIndex, t: number): Uint8Array {
  return index.json.subarray(t === 0 ? 0 : index.jsonEnd[t - 1], index.jsonEnd[t]);
}

/** First title whose id is >= id (inclusive) or > id (exclusive), in code-point order. */
function firstIdAfter(index: CatalogIndex, id: string, inclusive: boolean): number {
  let lo = 0;
  let hi = index.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const candidate = index.ids[mid];
    if (candidate < id || (!inclusive && candidate === id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface CatalogPage {
  /** Title indices of the page, in id order. */
  items: number[];
  /** Titles matching the filter over all pages. */
  total: number;
  /** Whether titles after the page match too. */
  more: boolean;
}

/** One page of the titles matching `filter` after the id `after` (null: from the start). */
export function searchCatalog(index: CatalogIndex, filter: CatalogFilter, after: string | null, limit: number): CatalogPage {
  const start = after === null ? 0 : firstIdAfter(index, after, false);
  const items: number[] = [];
  let total = 0;
  let more = false;
  const take = (t: number) => {
    total++;
    if (t < start) return;
    if (items.length < limit) items.push(t);
    else more = true;
  };
  const candidates = filter.text ? textMatches(index, filter.text) : null;
  if (candidates) {
    for (const t of candidates) if (matchesColumns(index, filter, t)) take(t);
  } else {
    for (let t = 0; t < index.count; t++) if (matchesColumns(index, filter, t)) take(t);
  }
  return { items, total, more };
}

function matchesColumns(index: CatalogIndex, f: CatalogFilter, t: number): boolean {
  if (f.platform !== undefined && index.platform[t] !== PLATFORMS.indexOf(f.platform)) return false;
  if (f.type !== undefined && index.type[t] !== CATALOG_TYPES.indexOf(f.type)) return false;
  if (f.yearFrom !== undefined && index.year[t] < f.yearFrom) return false;
  if (f.yearTo !== undefined && index.year[t] > f.yearTo) return false;
  if (f.titlePrefix) {
    const at = t === 0 ? 0 : index.searchEnd[t - 1];
    // The title is the first field; a prefix without SEP cannot reach past it.
    if (f.titlePrefix.includes(SEP) || !index.search.startsWith(f.titlePrefix, at)) return false;
  }
  return true;
}

/** Titles whose title, cast or director contains `text`, ascending, each once. */
function textMatches(index: CatalogIndex, text: string): number[] {
  const found: number[] = [];
  if (text.includes(SEP)) return found; // no stored field holds it
  const { search, searchEnd } = index;
  let t = 0;
  let at = search.indexOf(text);
  while (at !== -1) {
    // The title holding position `at`: the first whose end is past it (searching forward from t).
    let lo = t;
    let hi = index.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (searchEnd[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    t = lo;
    found.push(t);
    at = search.indexOf(text, searchEnd[t]);
  }
  return found;
}

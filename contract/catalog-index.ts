// The catalog index and the catalog rows: TWO binary KV values from which the worker serves
// GET /titles and /titles/{id} without a database round trip. The rows hold every title's answer
// pre-serialised (the exact JSON bytes of its Title), so a page is a concatenation of byte ranges;
// the index holds what the filters run over: small typed columns, one search string, trigram
// postings. D1 keeps the same rows for SQL analytics and the CSV export. The loader encodes both, the
// worker decodes them once per isolate; the cron fold rewrites only the rows (scores change, the
// index does not, so its content-addressed key stays and nobody re-reads it). Runtime-agnostic.
//
// Index, format version 2 (version 1, never released, also held the rows), little-endian, titles in
// code-point order of id:
//   0   u8[4]  magic "SCCI"
//   4   u32    format version
//   8   u32    total byte length (a truncated value is detected here)
//   12  u32    T titles (at most 65,535: postings are u16)
//   16  u32    G distinct trigrams
//   20  u32    P postings
//   24  u32    I: byte length of the ids section
//   28  u32    S: byte length of the search section
//   32  u32[2] reserved, 0
//   40  sections, each aligned to its element size:
//       u8     platform[T] (PLATFORMS index); u8 type[T] (CATALOG_TYPES index, 255 = other)
//       u16    release_year[T]
//       u32    idEnd[T]      end of id t in the decoded ids text (UTF-16 units)
//       u32    searchEnd[T]  end of title t's search text in the decoded search text (UTF-16 units)
//       u32    titleOrder[T] title indices sorted by title (UTF-16 code-unit order): title_prefix
//       u32    gramEnd[G]    end of trigram g's postings
//       u16    gram[3 * G]   the trigrams' UTF-16 units, ascending
//       u16    postings[P]   per trigram, the titles whose search text holds it, ascending
//       u8     ids[I] (UTF-8), search[S] (UTF-8)
// A title's search text is `title SEP cast SEP director SEP` (null as empty), each field folded by
// foldSearchText (case, accents, Unicode form), so a match found in it
// can never span two fields. A text filter of 3+ characters intersects the postings of its
// trigrams and checks only those titles; shorter text scans the whole search text.
//
// Rows, format version 1, titles in the index's order:
//   0   u8[4]  magic "SCCR"
//   4   u32    format version
//   8   u32    total byte length
//   12  u32    T titles
//   16  u32    J: byte length of the JSON section
//   20  u32    reserved, 0
//   24  u32    jsonEnd[T]    end of title t's JSON (bytes)
//       u8     json[J] (UTF-8)
import { checkBinaryHeader } from './binary-header';
import { foldSearchText, PLATFORMS, SEARCH_FIELD_SEPARATOR, type Platform } from './names';
import { TITLE_COLUMNS, type Title } from './catalog';

export const CATALOG_INDEX_FORMAT_VERSION = 3; // 3: the search text is folded (foldSearchText)
export const CATALOG_ROWS_FORMAT_VERSION = 1;
const MAGIC = 'SCCI';
const ROWS_MAGIC = 'SCCR';
const HEADER_BYTES = 40;
const ROWS_HEADER_BYTES = 24;
export const CATALOG_TYPES = ['movie', 'tv show'] as const;
export type TitleType = (typeof CATALOG_TYPES)[number];
const OTHER_TYPE = 255;
/** Separates the fields of the search text; no stored field may contain it. */
const SEP = '\u0000';
const MAX_TITLES = 0xffff;

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
  /** Every id, concatenated; id t ends at idEnd[t] (one string, not 23k: fewer objects for the GC). */
  idText: string;
  idEnd: Uint32Array;
  platform: Uint8Array;
  type: Uint8Array;
  year: Uint16Array;
  search: string;
  searchEnd: Uint32Array;
  titleOrder: Uint32Array;
  gram: Uint16Array;
  gramEnd: Uint32Array;
  postings: Uint16Array;
  /** Titles per (platform, type, year), prefix-summed over years: totals of column-only filters. */
  cellCounts: CellCounts;
}

interface CellCounts {
  minYear: number;
  /** Years covered (maxYear - minYear + 1). */
  span: number;
  /** At ((platform * 3 + typeSlot) * (span + 1)) + y: titles of that platform and type slot released before minYear + y. */
  before: Uint32Array;
}

/** Every title's answer, as stored. */
export interface CatalogRows {
  byteLength: number;
  count: number;
  json: Uint8Array;
  jsonEnd: Uint32Array;
}

/** The JSON of a Title exactly as the API answers it: keys in catalog column order. */
export function titleJson(title: Title): string {
  return JSON.stringify(Object.fromEntries(TITLE_COLUMNS.map((c) => [c, title[c] ?? null])));
}

// ---------------------------------------------------------------------------------------------------
// Layout, shared by the encoder and the decoder

interface Counts {
  T: number;
  G: number;
  P: number;
  I: number;
  S: number;
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Byte offset of every section, and the total length, from the counts in the header. */
function layout(c: Counts) {
  let at = HEADER_BYTES;
  const take = (bytes: number, alignment: number) => {
    at = align(at, alignment);
    const offset = at;
    at += bytes;
    return offset;
  };
  const o = {
    platform: take(c.T, 1),
    type: take(c.T, 1),
    year: take(2 * c.T, 2),
    idEnd: take(4 * c.T, 4),
    searchEnd: take(4 * c.T, 4),
    titleOrder: take(4 * c.T, 4),
    gramEnd: take(4 * c.G, 4),
    gram: take(2 * 3 * c.G, 2),
    postings: take(2 * c.P, 2),
    ids: take(c.I, 1),
    search: take(c.S, 1),
  };
  return { ...o, total: at };
}

const HEADER_FIELDS = ['T', 'G', 'P', 'I', 'S'] as const;

// ---------------------------------------------------------------------------------------------------
// Encoding (loader, fold)

interface CatalogColumns {
  ids: string[];
  platform: Uint8Array;
  type: Uint8Array;
  year: Uint16Array;
  search: string;
  searchEnd: Uint32Array;
}

/** Both values of a catalog, titles in code-point order of id. */
export function encodeCatalog(titles: readonly Title[]): { index: Uint8Array; rows: Uint8Array } {
  const sorted = [...titles].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (sorted.length > MAX_TITLES) throw new RangeError(`encodeCatalog: ${sorted.length} titles; the layout holds at most ${MAX_TITLES}`);
  const encoder = new TextEncoder();
  const searchEnd = new Uint32Array(sorted.length);
  let search = '';
  sorted.forEach((t, i) => {
    if (i > 0 && sorted[i - 1].id === t.id) throw new RangeError(`encodeCatalog: duplicate id ${t.id}`);
    const fields = [t.title, t.cast ?? '', t.director ?? ''].map(foldSearchText);
    if (fields.some((f) => f.includes(SEP) || f.includes(SEARCH_FIELD_SEPARATOR)))
      throw new RangeError(`encodeCatalog: ${t.id} has a NUL or U+001F character in its text`);
    search += fields.join(SEP) + SEP;
    searchEnd[i] = search.length;
  });
  const index = assemble({
    ids: sorted.map((t) => t.id),
    platform: Uint8Array.from(sorted, (t) => {
      const p = PLATFORMS.indexOf(t.platform);
      if (p < 0) throw new RangeError(`encodeCatalog: ${t.id} has unknown platform ${t.platform}`);
      return p;
    }),
    type: Uint8Array.from(sorted, (t) => typeCode(t.type)),
    year: Uint16Array.from(sorted, (t) => {
      if (!Number.isInteger(t.release_year) || t.release_year < 0 || t.release_year > 0xffff)
        throw new RangeError(`encodeCatalog: ${t.id} has release year ${t.release_year}`);
      return t.release_year;
    }),
    search,
    searchEnd,
  });
  return { index, rows: encodeRows(sorted.map((t) => encoder.encode(titleJson(t)))) };
}

/**
 * The rows with some titles' score and rating count replaced (the cron fold); the index is unchanged.
 * Everything else is copied, so patching with unchanged values reproduces the input byte for byte.
 */
export function patchCatalogScores(
  index: CatalogIndex,
  rowsBytes: Uint8Array,
  changes: Iterable<{ id: string; score: number | null; n_ratings: number }>,
): Uint8Array {
  const rows = decodeCatalogRows(rowsBytes);
  if (rows.count !== index.count) throw new CatalogIndexFormatError(`catalog rows hold ${rows.count} titles, the index ${index.count}`);
  const json = Array.from({ length: rows.count }, (_, t) => titleBytes(rows, t));
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  for (const change of changes) {
    const t = findTitle(index, change.id);
    if (t < 0) throw new RangeError(`patchCatalogScores: title ${change.id} is not in the catalog index`);
    const title = JSON.parse(decoder.decode(json[t])) as Title;
    json[t] = encoder.encode(titleJson({ ...title, score: change.score, n_ratings: change.n_ratings }));
  }
  return encodeRows(json);
}

function encodeRows(json: Uint8Array[]): Uint8Array {
  const T = json.length;
  const J = json.reduce((n, j) => n + j.length, 0);
  const jsonAt = ROWS_HEADER_BYTES + 4 * T;
  const out = new Uint8Array(jsonAt + J);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = ROWS_MAGIC.charCodeAt(i);
  view.setUint32(4, CATALOG_ROWS_FORMAT_VERSION, true);
  view.setUint32(8, out.length, true);
  view.setUint32(12, T, true);
  view.setUint32(16, J, true);
  const jsonEnd = new Uint32Array(out.buffer, ROWS_HEADER_BYTES, T);
  let at = 0;
  json.forEach((j, t) => {
    out.set(j, jsonAt + at);
    at += j.length;
    jsonEnd[t] = at;
  });
  return out;
}

function typeCode(type: string): number {
  const code = (CATALOG_TYPES as readonly string[]).indexOf(type);
  return code < 0 ? OTHER_TYPE : code;
}

function isSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdfff;
}

/** A trigram as one number (three UTF-16 units, first most significant): numeric order = text order. */
function gramKey(a: number, b: number, c: number): number {
  return (a * 0x10000 + b) * 0x10000 + c;
}

/** Each distinct trigram of the search text (none holding a surrogate) with the titles that hold it. */
function trigramPostings(search: string, searchEnd: Uint32Array): { keys: number[]; lists: number[][] } {
  const byKey = new Map<number, number[]>();
  for (let t = 0, start = 0; t < searchEnd.length; start = searchEnd[t], t++) {
    for (let i = start; i + 3 <= searchEnd[t]; i++) {
      const [a, b, c] = [search.charCodeAt(i), search.charCodeAt(i + 1), search.charCodeAt(i + 2)];
      if (isSurrogate(a) || isSurrogate(b) || isSurrogate(c)) continue;
      const key = gramKey(a, b, c);
      const list = byKey.get(key);
      if (list === undefined) byKey.set(key, [t]);
      else if (list[list.length - 1] !== t) list.push(t);
    }
  }
  const keys = [...byKey.keys()].sort((x, y) => x - y);
  return { keys, lists: keys.map((k) => byKey.get(k)!) };
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
  const searchBytes = encoder.encode(c.search);
  const titleText = (t: number) =>
    c.search.slice(t === 0 ? 0 : c.searchEnd[t - 1], c.search.indexOf(SEP, t === 0 ? 0 : c.searchEnd[t - 1]));
  const titles = Array.from({ length: T }, (_, t) => titleText(t));
  const titleOrder = Uint32Array.from(titles.keys()).sort((a, b) => (titles[a] < titles[b] ? -1 : titles[a] > titles[b] ? 1 : a - b));
  const grams = trigramPostings(c.search, c.searchEnd);
  const P = grams.lists.reduce((n, list) => n + list.length, 0);

  const counts: Counts = { T, G: grams.keys.length, P, I: idBytes.length, S: searchBytes.length };
  const o = layout(counts);
  const out = new Uint8Array(o.total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, CATALOG_INDEX_FORMAT_VERSION, true);
  view.setUint32(8, o.total, true);
  HEADER_FIELDS.forEach((field, i) => view.setUint32(12 + 4 * i, counts[field], true));
  out.set(c.platform, o.platform);
  out.set(c.type, o.type);
  new Uint16Array(out.buffer, o.year, T).set(c.year);
  new Uint32Array(out.buffer, o.idEnd, T).set(idEnd);
  new Uint32Array(out.buffer, o.searchEnd, T).set(c.searchEnd);
  new Uint32Array(out.buffer, o.titleOrder, T).set(titleOrder);
  const gramEnd = new Uint32Array(out.buffer, o.gramEnd, counts.G);
  const gram = new Uint16Array(out.buffer, o.gram, 3 * counts.G);
  const postings = new Uint16Array(out.buffer, o.postings, P);
  let p = 0;
  grams.keys.forEach((key, g) => {
    gram[3 * g] = Math.floor(key / 0x100000000);
    gram[3 * g + 1] = Math.floor(key / 0x10000) % 0x10000;
    gram[3 * g + 2] = key % 0x10000;
    postings.set(grams.lists[g], p);
    p += grams.lists[g].length;
    gramEnd[g] = p;
  });
  out.set(idBytes, o.ids);
  out.set(searchBytes, o.search);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Decoding and queries (worker)

/** The value as 4-byte-aligned bytes and a view of it, after checking magic, format and length. */
function checkedHeader(
  value: ArrayBuffer | Uint8Array,
  what: string,
  magic: string,
  format: number,
  headerBytes: number,
): { bytes: Uint8Array; view: DataView } {
  let bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
  if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice(); // typed views need aligned offsets
  const view = checkBinaryHeader(bytes, { what, magic, format, headerBytes }, (message) => new CatalogIndexFormatError(message));
  return { bytes, view };
}

export function decodeCatalogIndex(value: ArrayBuffer | Uint8Array): CatalogIndex {
  const { bytes, view } = checkedHeader(value, 'catalog index', MAGIC, CATALOG_INDEX_FORMAT_VERSION, HEADER_BYTES);
  const total = bytes.length;
  const counts = Object.fromEntries(HEADER_FIELDS.map((field, i) => [field, view.getUint32(12 + 4 * i, true)])) as unknown as Counts;
  const o = layout(counts);
  if (o.total !== total) throw new CatalogIndexFormatError('catalog index: section lengths do not add up to the value');
  const { T, G, P } = counts;

  const buffer = bytes.buffer;
  const base = bytes.byteOffset;
  const u32 = (offset: number, n: number) => new Uint32Array(buffer, base + offset, n);
  const [idEnd, searchEnd] = [u32(o.idEnd, T), u32(o.searchEnd, T)];
  const decoder = new TextDecoder();
  const idText = decoder.decode(bytes.subarray(o.ids, o.ids + counts.I));
  const search = decoder.decode(bytes.subarray(o.search, o.search + counts.S));
  const gramEnd = u32(o.gramEnd, G);
  if (T > 0 && (idEnd[T - 1] !== idText.length || searchEnd[T - 1] !== search.length || (G > 0 && gramEnd[G - 1] !== P))) {
    throw new CatalogIndexFormatError('catalog index: column ends do not match their sections');
  }
  return {
    byteLength: total,
    count: T,
    idText,
    idEnd,
    platform: bytes.subarray(o.platform, o.platform + T),
    type: bytes.subarray(o.type, o.type + T),
    year: new Uint16Array(buffer, base + o.year, T),
    search,
    searchEnd,
    titleOrder: u32(o.titleOrder, T),
    gram: new Uint16Array(buffer, base + o.gram, 3 * G),
    gramEnd,
    postings: new Uint16Array(buffer, base + o.postings, P),
    cellCounts: countCells(
      bytes.subarray(o.platform, o.platform + T),
      bytes.subarray(o.type, o.type + T),
      new Uint16Array(buffer, base + o.year, T),
    ),
  };
}

const TYPE_SLOTS = CATALOG_TYPES.length + 1; // the catalog types, then any other type

function typeSlot(code: number): number {
  return code === OTHER_TYPE ? CATALOG_TYPES.length : code;
}

function countCells(platform: Uint8Array, type: Uint8Array, year: Uint16Array): CellCounts {
  let minYear = 0xffff;
  let maxYear = 0;
  for (const y of year) {
    if (y < minYear) minYear = y;
    if (y > maxYear) maxYear = y;
  }
  const span = year.length === 0 ? 0 : maxYear - minYear + 1;
  const before = new Uint32Array(PLATFORMS.length * TYPE_SLOTS * (span + 1));
  for (let t = 0; t < year.length; t++) before[(platform[t] * TYPE_SLOTS + typeSlot(type[t])) * (span + 1) + year[t] - minYear + 1]++;
  for (let cell = 0; cell < PLATFORMS.length * TYPE_SLOTS; cell++) {
    for (let y = 1; y <= span; y++) before[cell * (span + 1) + y] += before[cell * (span + 1) + y - 1];
  }
  return { minYear, span, before };
}

/** Titles matching a column-only filter, from the cell counts (no scan). */
function countMatching(counts: CellCounts, f: ColumnFilter): number {
  const { minYear, span, before } = counts;
  const from = Math.max(0, f.yearFrom - minYear);
  const to = Math.min(span, f.yearTo - minYear + 1);
  if (from >= to) return 0;
  let total = 0;
  for (let p = 0; p < PLATFORMS.length; p++) {
    if (f.platform >= 0 && p !== f.platform) continue;
    for (let slot = 0; slot < TYPE_SLOTS; slot++) {
      if (f.type >= 0 && slot !== f.type) continue;
      const cell = (p * TYPE_SLOTS + slot) * (span + 1);
      total += before[cell + to] - before[cell + from];
    }
  }
  return total;
}

/** The id of title t. */
export function titleId(index: CatalogIndex, t: number): string {
  return index.idText.slice(t === 0 ? 0 : index.idEnd[t - 1], index.idEnd[t]);
}

/** Index of the title with this id, or -1. */
export function findTitle(index: CatalogIndex, id: string): number {
  const at = firstIdAfter(index, id, true);
  return at < index.count && titleId(index, at) === id ? at : -1;
}

export function decodeCatalogRows(value: ArrayBuffer | Uint8Array): CatalogRows {
  const { bytes, view } = checkedHeader(value, 'catalog rows', ROWS_MAGIC, CATALOG_ROWS_FORMAT_VERSION, ROWS_HEADER_BYTES);
  const total = bytes.length;
  const [T, J] = [view.getUint32(12, true), view.getUint32(16, true)];
  const jsonAt = ROWS_HEADER_BYTES + 4 * T;
  if (jsonAt + J !== total) throw new CatalogIndexFormatError('catalog rows: section lengths do not add up to the value');
  const jsonEnd = new Uint32Array(bytes.buffer, bytes.byteOffset + ROWS_HEADER_BYTES, T);
  if (T > 0 && jsonEnd[T - 1] !== J)
    throw new CatalogIndexFormatError('catalog rows: the last row does not end where the JSON section does');
  return { byteLength: total, count: T, json: bytes.subarray(jsonAt), jsonEnd };
}

/** The stored JSON bytes of title t (a view, not a copy). */
export function titleBytes(rows: CatalogRows, t: number): Uint8Array {
  return rows.json.subarray(t === 0 ? 0 : rows.jsonEnd[t - 1], rows.jsonEnd[t]);
}

/** First title whose id is >= id (inclusive) or > id (exclusive), in code-point order. */
function firstIdAfter(index: CatalogIndex, id: string, inclusive: boolean): number {
  let lo = 0;
  let hi = index.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const candidate = titleId(index, mid);
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

/** The column part of a filter as codes; -1 = any. */
interface ColumnFilter {
  platform: number;
  type: number;
  yearFrom: number;
  yearTo: number;
}

/** One page of the titles matching `filter` after the id `after` (null: from the start). */
export function searchCatalog(index: CatalogIndex, filter: CatalogFilter, after: string | null, limit: number): CatalogPage {
  const start = after === null ? 0 : firstIdAfter(index, after, false);
  const f: ColumnFilter = {
    platform: filter.platform === undefined ? -1 : PLATFORMS.indexOf(filter.platform),
    type: filter.type === undefined ? -1 : CATALOG_TYPES.indexOf(filter.type),
    yearFrom: filter.yearFrom ?? 0,
    yearTo: filter.yearTo ?? 0xffff,
  };
  const { platform, type, year } = index;
  const items: number[] = [];
  let total = 0;
  let more = false;

  // Folding is idempotent: text the caller already folded (the worker's parameters) stays as it is.
  let candidates: ArrayLike<number> | null = filter.titlePrefix ? titlesStartingWith(index, foldSearchText(filter.titlePrefix)) : null;
  if (filter.text) candidates = textMatches(index, foldSearchText(filter.text), candidates);
  if (candidates === null) {
    // Columns only: the total comes from the cell counts, the page from a scan that stops at it.
    total = countMatching(index.cellCounts, f);
    for (let t = start; t < index.count; t++) {
      if (
        (f.platform >= 0 && platform[t] !== f.platform) ||
        (f.type >= 0 && type[t] !== f.type) ||
        year[t] < f.yearFrom ||
        year[t] > f.yearTo
      )
        continue;
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(t);
    }
    return { items, total, more };
  }
  for (let i = 0; i < candidates.length; i++) {
    const t = candidates[i];
    if (
      (f.platform >= 0 && platform[t] !== f.platform) ||
      (f.type >= 0 && type[t] !== f.type) ||
      year[t] < f.yearFrom ||
      year[t] > f.yearTo
    )
      continue;
    total++;
    if (t < start) continue;
    if (items.length < limit) items.push(t);
    else more = true;
  }
  return { items, total, more };
}

function searchStart(index: CatalogIndex, t: number): number {
  return t === 0 ? 0 : index.searchEnd[t - 1];
}

/** Titles (ascending) whose title starts with `prefix`: a binary search in title order. */
function titlesStartingWith(index: CatalogIndex, prefix: string): Uint32Array {
  if (prefix.includes(SEP)) return new Uint32Array(0); // no title holds it
  const { search, titleOrder } = index;
  // The first |prefix| units of a title, compared with the prefix, are monotone in title order.
  const head = (t: number) => {
    const at = searchStart(index, t);
    return search.slice(at, Math.min(at + prefix.length, search.indexOf(SEP, at)));
  };
  let lo = 0;
  let hi = titleOrder.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (head(titleOrder[mid]) < prefix) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < titleOrder.length && head(titleOrder[end]) === prefix) end++;
  return titleOrder.slice(lo, end).sort();
}

/** Titles (ascending; among `within` if given) whose title, cast or director contains `text`. */
function textMatches(index: CatalogIndex, text: string, within: ArrayLike<number> | null): ArrayLike<number> {
  if (text.includes(SEP)) return []; // no stored field holds it
  const candidates = within ?? trigramCandidates(index, text);
  // A 3-unit text is its own only trigram: the titles holding it are the answer, nothing to check.
  if (within === null && candidates !== null && text.length === 3) return candidates;
  const holds = (t: number) => {
    const at = searchStart(index, t);
    return index.search.slice(at, index.searchEnd[t]).includes(text);
  };
  if (candidates) return Array.prototype.filter.call(candidates, holds) as number[];
  return scanText(index, text);
}

/**
 * Titles holding every trigram of `text`, a superset of those holding `text` (ascending), or null
 * when the text has no usable trigram (under 3 units, or surrogates only).
 */
function trigramCandidates(index: CatalogIndex, text: string): Uint16Array | number[] | null {
  const lists: Uint16Array[] = [];
  const seen = new Set<number>();
  for (let i = 0; i + 3 <= text.length; i++) {
    const [a, b, c] = [text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2)];
    if (isSurrogate(a) || isSurrogate(b) || isSurrogate(c)) continue;
    const key = gramKey(a, b, c);
    if (seen.has(key)) continue;
    seen.add(key);
    const g = findGram(index, key);
    if (g < 0) return []; // a trigram no title holds: nothing matches
    lists.push(index.postings.subarray(g === 0 ? 0 : index.gramEnd[g - 1], index.gramEnd[g]));
  }
  if (lists.length === 0) return null;
  lists.sort((x, y) => x.length - y.length);
  let result: Uint16Array | number[] = lists[0];
  for (let l = 1; l < lists.length && result.length > 0; l++) result = intersect(result, lists[l]);
  return result;
}

function findGram(index: CatalogIndex, key: number): number {
  const { gram } = index;
  let lo = 0;
  let hi = gram.length / 3;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = gramKey(gram[3 * mid], gram[3 * mid + 1], gram[3 * mid + 2]);
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/** Intersection of two ascending lists. */
function intersect(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      out.push(a[i]);
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return out;
}

/** Every title holding `text`, by one pass of indexOf over the whole search text. */
function scanText(index: CatalogIndex, text: string): number[] {
  const found: number[] = [];
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

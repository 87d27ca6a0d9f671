// The query index: ONE binary KV value that answers all four catalog queries (docs/reference.md#the-four-queries) without
// touching the catalog. The loader encodes it (encodeQueryIndex), the worker decodes it once per isolate
// (decodeQueryIndex) and answers with the pure functions at the bottom. Runtime-agnostic: no Node APIs.
//
// Binary layout, format version 1. All integers and floats little-endian.
//
//   Header
//     0   u8[4]  magic "SCQI"
//     4   u16    format version (QUERY_INDEX_FORMAT_VERSION)
//     6   u16    section count N
//     8   u32    total byte length (a truncated value is detected here)
//     12  u32    reserved, 0
//     16  N x { u8[4] tag, u32 offset, u32 byteLength }   offsets from the start of the value
//   Sections, each starting on an 8-byte boundary (unknown tags are skipped by decoders):
//     STRS  string table. u32 S; u32 end[S]; u32 B; u8 utf8[B].
//           The B bytes decode (UTF-8) to one JS string; string i is text.slice(end[i-1] or 0, end[i])
//           (ends in UTF-16 code units), so a decode costs one TextDecoder call, not S of them.
//     YEAR  u32 Y; u16 year[Y], ascending: the distinct release years of the whole catalog.
//           A "cell" below is (platform p, year slot y) = p * Y + y, p in PLATFORMS order.
//     PLAT  4 x { u32 movies, u32 tvShows, u32 total, u32 flags (bit 0: the platform has any cast data) };
//           u32 titles[4 * Y] (titles per cell, all types).
//     MAXD  u32 A; A x { u32 idStr, u32 titleStr, u32 typeStr, u32 duration_int, u16 release_year,
//           u8 platform (PLATFORMS index), u8 duration_type (DURATION_TYPES index) } (20 bytes each);
//           u32 grid[(1 + Y) * 5 * 2]: answer index, NO_ANSWER if none, at
//           ((yearSlot * 5) + platformSlot) * 2 + unit, where yearSlot 0 = any year, 1 + y = year[y];
//           platformSlot 0 = any platform, 1 + p = PLATFORMS[p]; unit = DURATION_TYPES index.
//     SCOR  u32 M; u32 start[4 * Y + 1]; u32 pad if needed to reach 8-byte alignment; f64 score[M].
//           Scores of the MOVIES of a cell are score[start[cell] .. start[cell+1]), ascending, exact
//           float64 means (never rounded: many titles sit exactly on 3.5). Unscored movies are absent.
//     ACTR  u32 T; u32 topCount[4 * Y]; u32 tiedStart[4 * Y + 1]; u32 tiedStr[T].
//           Names at the top count of a cell are tiedStr[tiedStart[cell] .. tiedStart[cell+1]), in
//           code-point order, so the winner is the first. topCount 0 = the cell has no cast names.
import { DURATION_TYPES, PLATFORMS, type DurationType, type Platform } from './names';

export const QUERY_INDEX_FORMAT_VERSION = 1;
export const NO_ANSWER = 0xffffffff;
const MAGIC = 'SCQI';
const HEADER_BYTES = 16;
const SECTION_ENTRY_BYTES = 12;
const PLATFORM_SLOTS = PLATFORMS.length + 1;
const UNITS = DURATION_TYPES.length;

export interface MaxDurationAnswer {
  id: string;
  title: string;
  platform: Platform;
  type: string;
  release_year: number;
  duration_int: number;
  duration_type: DurationType;
}

export interface PlatformCounts {
  movies: number;
  tvShows: number;
  total: number;
  hasCast: boolean;
}

/** The logical content of the index; what the loader computes and the decoder reproduces. */
export interface QueryIndexData {
  years: number[]; // Y ascending distinct release years
  platforms: PlatformCounts[]; // PLATFORMS order
  titlesPerCell: Uint32Array; // 4 * Y
  maxDuration: { answers: MaxDurationAnswer[]; grid: Uint32Array }; // (1 + Y) * 5 * 2
  scores: { start: Uint32Array; values: Float64Array }; // 4 * Y + 1; M
  actors: { topCount: Uint32Array; tiedStart: Uint32Array; tied: string[] }; // 4 * Y; 4 * Y + 1; T
}

export interface QueryIndex extends QueryIndexData {
  byteLength: number;
  stringCount: number;
  yearSlot: Map<number, number>; // release year -> index into years
}

export class QueryIndexFormatError extends Error {
  override name = 'QueryIndexFormatError';
}

export function cellIndex(years: number, platformIndex: number, yearIndex: number): number {
  return platformIndex * years + yearIndex;
}

/** yearSlot: 0 any, 1 + index into years. platformSlot: 0 any, 1 + PLATFORMS index. unit: DURATION_TYPES index. */
export function maxDurationGridIndex(yearSlot: number, platformSlot: number, unit: number): number {
  return (yearSlot * PLATFORM_SLOTS + platformSlot) * UNITS + unit;
}

export function maxDurationGridSize(years: number): number {
  return (1 + years) * PLATFORM_SLOTS * UNITS;
}

// ---------------------------------------------------------------------------------------------------
// Encoding (loader side)

export function encodeQueryIndex(data: QueryIndexData): Uint8Array {
  checkShapes(data);
  const strings = new StringTableBuilder();
  const answerRefs = data.maxDuration.answers.map((a) => [strings.add(a.id), strings.add(a.title), strings.add(a.type)]);
  const tiedRefs = data.actors.tied.map((name) => strings.add(name));
  const Y = data.years.length;

  const sections: [string, (w: ByteWriter) => void][] = [
    ['STRS', (w) => strings.write(w)],
    [
      'YEAR',
      (w) => {
        w.u32(Y);
        for (const year of data.years) w.u16(year);
      },
    ],
    [
      'PLAT',
      (w) => {
        for (const p of data.platforms) {
          w.u32(p.movies);
          w.u32(p.tvShows);
          w.u32(p.total);
          w.u32(p.hasCast ? 1 : 0);
        }
        w.u32s(data.titlesPerCell);
      },
    ],
    [
      'MAXD',
      (w) => {
        w.u32(data.maxDuration.answers.length);
        data.maxDuration.answers.forEach((a, i) => {
          const [id, title, type] = answerRefs[i];
          w.u32(id);
          w.u32(title);
          w.u32(type);
          w.u32(a.duration_int);
          w.u16(a.release_year);
          w.u8(PLATFORMS.indexOf(a.platform));
          w.u8(DURATION_TYPES.indexOf(a.duration_type));
        });
        w.u32s(data.maxDuration.grid);
      },
    ],
    [
      'SCOR',
      (w) => {
        w.u32(data.scores.values.length);
        w.u32s(data.scores.start);
        w.align(8);
        for (const v of data.scores.values) w.f64(v);
      },
    ],
    [
      'ACTR',
      (w) => {
        w.u32(data.actors.tied.length);
        w.u32s(data.actors.topCount);
        w.u32s(data.actors.tiedStart);
        w.u32s(tiedRefs);
      },
    ],
  ];

  const w = new ByteWriter();
  for (const ch of MAGIC) w.u8(ch.charCodeAt(0));
  w.u16(QUERY_INDEX_FORMAT_VERSION);
  w.u16(sections.length);
  const totalAt = w.length;
  w.u32(0);
  w.u32(0);
  const tableAt = w.length;
  w.skip(sections.length * SECTION_ENTRY_BYTES);
  sections.forEach(([tag, write], i) => {
    w.align(8);
    const start = w.length;
    write(w);
    const entry = tableAt + i * SECTION_ENTRY_BYTES;
    for (let k = 0; k < 4; k++) w.patchU8(entry + k, tag.charCodeAt(k));
    w.patchU32(entry + 4, start);
    w.patchU32(entry + 8, w.length - start);
  });
  w.patchU32(totalAt, w.length);
  return w.bytes();
}

function checkShapes(data: QueryIndexData): void {
  const Y = data.years.length;
  const cells = PLATFORMS.length * Y;
  const expect = (what: string, actual: number, wanted: number) => {
    if (actual !== wanted) throw new QueryIndexFormatError(`${what}: length ${actual}, expected ${wanted}`);
  };
  expect('platforms', data.platforms.length, PLATFORMS.length);
  expect('titlesPerCell', data.titlesPerCell.length, cells);
  expect('maxDuration.grid', data.maxDuration.grid.length, maxDurationGridSize(Y));
  expect('scores.start', data.scores.start.length, cells + 1);
  expect('actors.topCount', data.actors.topCount.length, cells);
  expect('actors.tiedStart', data.actors.tiedStart.length, cells + 1);
  for (const year of data.years) {
    if (!Number.isInteger(year) || year < 0 || year > 0xffff) throw new QueryIndexFormatError(`year ${year} does not fit u16`);
  }
}

class StringTableBuilder {
  private readonly index = new Map<string, number>();
  private readonly list: string[] = [];

  add(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  write(w: ByteWriter): void {
    w.u32(this.list.length);
    let end = 0;
    for (const s of this.list) {
      end += s.length;
      w.u32(end);
    }
    const utf8 = new TextEncoder().encode(this.list.join(''));
    w.u32(utf8.length);
    w.raw(utf8);
  }
}

class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1); // before this.view: reserve may grow the buffer
    this.view.setUint8(at, checkUint(v, 0xff));
  }
  u16(v: number): void {
    const at = this.reserve(2);
    this.view.setUint16(at, checkUint(v, 0xffff), true);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, checkUint(v, 0xffffffff), true);
  }
  u32s(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.u32(values[i]);
  }
  f64(v: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, v, true);
  }
  raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
  }
  skip(n: number): void {
    this.reserve(n);
  }
  align(n: number): void {
    while (this.length % n !== 0) this.u8(0);
  }
  patchU8(at: number, v: number): void {
    this.view.setUint8(at, v);
  }
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkUint(v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new QueryIndexFormatError(`value ${v} does not fit 0..${max}`);
  return v;
}

// ---------------------------------------------------------------------------------------------------
// Decoding (worker side)

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function decodeQueryIndex(value: ArrayBuffer | Uint8Array): QueryIndex {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
  if (bytes.byteLength < HEADER_BYTES) throw new QueryIndexFormatError(`query index too short: ${bytes.byteLength} bytes`);
  const header = new Reader(bytes, 0, bytes.byteLength);
  const magic = String.fromCharCode(header.u8(), header.u8(), header.u8(), header.u8());
  if (magic !== MAGIC) throw new QueryIndexFormatError(`not a query index (magic ${JSON.stringify(magic)})`);
  const version = header.u16();
  if (version !== QUERY_INDEX_FORMAT_VERSION) {
    throw new QueryIndexFormatError(`query index format ${version}, this code reads ${QUERY_INDEX_FORMAT_VERSION}`);
  }
  const sectionCount = header.u16();
  const total = header.u32();
  if (total !== bytes.byteLength) throw new QueryIndexFormatError(`query index is ${bytes.byteLength} bytes, header says ${total}`);
  header.u32();
  const sections = new Map<string, Reader>();
  for (let i = 0; i < sectionCount; i++) {
    const tag = String.fromCharCode(header.u8(), header.u8(), header.u8(), header.u8());
    const offset = header.u32();
    const length = header.u32();
    if (offset + length > total) throw new QueryIndexFormatError(`section ${tag} runs past the end`);
    sections.set(tag, new Reader(bytes, offset, length));
  }
  const section = (tag: string): Reader => {
    const r = sections.get(tag);
    if (!r) throw new QueryIndexFormatError(`query index lacks section ${tag}`);
    return r;
  };

  const strings = readStrings(section('STRS'));
  const str = (i: number): string => {
    if (i >= strings.length) throw new QueryIndexFormatError(`string ${i} out of range`);
    return strings[i];
  };

  const yr = section('YEAR');
  const Y = yr.u32();
  const years = Array.from({ length: Y }, () => yr.u16());
  const cells = PLATFORMS.length * Y;

  const pl = section('PLAT');
  const platforms = PLATFORMS.map(() => ({ movies: pl.u32(), tvShows: pl.u32(), total: pl.u32(), hasCast: (pl.u32() & 1) === 1 }));
  const titlesPerCell = pl.u32s(cells);

  const md = section('MAXD');
  const answerCount = md.u32();
  const answers: MaxDurationAnswer[] = [];
  for (let i = 0; i < answerCount; i++) {
    const id = str(md.u32());
    const title = str(md.u32());
    const type = str(md.u32());
    const duration_int = md.u32();
    const release_year = md.u16();
    const platform = enumAt(PLATFORMS, md.u8(), 'platform');
    const duration_type = enumAt(DURATION_TYPES, md.u8(), 'duration type');
    answers.push({ id, title, platform, type, release_year, duration_int, duration_type });
  }
  const grid = md.u32s(maxDurationGridSize(Y));

  const sc = section('SCOR');
  const scoreCount = sc.u32();
  const start = sc.u32s(cells + 1);
  sc.align(8);
  const values = sc.f64s(scoreCount);

  const ac = section('ACTR');
  const tiedCount = ac.u32();
  const topCount = ac.u32s(cells);
  const tiedStart = ac.u32s(cells + 1);
  const tied = Array.from(ac.u32s(tiedCount), str);

  return {
    years,
    platforms,
    titlesPerCell,
    maxDuration: { answers, grid },
    scores: { start, values },
    actors: { topCount, tiedStart, tied },
    byteLength: bytes.byteLength,
    stringCount: strings.length,
    yearSlot: new Map(years.map((year, i) => [year, i])),
  };
}

function readStrings(r: Reader): string[] {
  const count = r.u32();
  const ends = r.u32s(count);
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(r.bytes(r.u32()));
  const out = new Array<string>(count);
  let start = 0;
  for (let i = 0; i < count; i++) {
    if (ends[i] < start || ends[i] > text.length) throw new QueryIndexFormatError('string table is inconsistent');
    out[i] = text.slice(start, ends[i]);
    start = ends[i];
  }
  return out;
}

function enumAt<T>(values: readonly T[], i: number, what: string): T {
  if (i >= values.length) throw new QueryIndexFormatError(`unknown ${what} ${i}`);
  return values[i];
}

/** Bounds-checked little-endian cursor over one section. */
class Reader {
  private readonly view: DataView;
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly source: Uint8Array,
    offset: number,
    length: number,
  ) {
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
    this.pos = offset;
    this.end = offset + length;
  }

  private take(n: number): number {
    if (this.pos + n > this.end) throw new QueryIndexFormatError('query index section is truncated');
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  align(n: number): void {
    while (this.pos % n !== 0) this.take(1);
  }
  bytes(n: number): Uint8Array {
    const at = this.take(n);
    return this.source.subarray(at, at + n);
  }
  // On little-endian hosts (every Workers and Node host) a copy of the bytes is already the array:
  // one memcpy instead of a DataView call per element.
  u32s(n: number): Uint32Array {
    const at = this.take(n * 4);
    if (LITTLE_ENDIAN_HOST) return new Uint32Array(this.source.slice(at, at + n * 4).buffer);
    return Uint32Array.from({ length: n }, (_, i) => this.view.getUint32(at + i * 4, true));
  }
  f64s(n: number): Float64Array {
    const at = this.take(n * 8);
    if (LITTLE_ENDIAN_HOST) return new Float64Array(this.source.slice(at, at + n * 8).buffer);
    return Float64Array.from({ length: n }, (_, i) => this.view.getFloat64(at + i * 8, true));
  }
}

// ---------------------------------------------------------------------------------------------------
// Answers (pure; O(1) or O(log n) per call)

/** Longest title of one unit; filters optional. Ties: first title in code-point order, then smallest id. */
export function maxDuration(
  ix: QueryIndex,
  q: { year?: number; platform?: Platform; durationType: DurationType },
): MaxDurationAnswer | null {
  let yearSlot = 0;
  if (q.year !== undefined) {
    const y = ix.yearSlot.get(q.year);
    if (y === undefined) return null;
    yearSlot = y + 1;
  }
  const platformSlot = q.platform === undefined ? 0 : PLATFORMS.indexOf(q.platform) + 1;
  const unit = DURATION_TYPES.indexOf(q.durationType);
  if (platformSlot < 0 || unit < 0) return null;
  const answer = ix.maxDuration.grid[maxDurationGridIndex(yearSlot, platformSlot, unit)];
  return answer === NO_ANSWER ? null : { ...ix.maxDuration.answers[answer] };
}

/** Movies of the platform released in `year` whose score is strictly greater than `scored`. */
export function scoreCount(ix: QueryIndex, q: { platform: Platform; scored: number; year: number }): number {
  const cell = cellOf(ix, q.platform, q.year);
  if (cell === undefined) return 0;
  const { start, values } = ix.scores;
  const hi = start[cell + 1];
  // First index whose score is > scored (upper bound); everything from there on counts.
  let lo = start[cell];
  let end = hi;
  while (lo < end) {
    const mid = (lo + end) >>> 1;
    if (values[mid] > q.scored) end = mid;
    else lo = mid + 1;
  }
  return hi - lo;
}

export function countPlatform(ix: QueryIndex, platform: Platform): { platform: Platform; count: number; tv_shows: number; total: number } {
  const p = ix.platforms[PLATFORMS.indexOf(platform)];
  return { platform, count: p.movies, tv_shows: p.tvShows, total: p.total };
}

export type ActorResult =
  | { status: 'found'; actor: string; count: number; tied: string[] }
  | { status: 'no_cast_data_for_platform' }
  | { status: 'no_titles' }
  | { status: 'no_cast_for_year' };

/** Most frequent cast member over the platform's titles of one release year (each actor once per title). */
export function actor(ix: QueryIndex, q: { platform: Platform; year: number }): ActorResult {
  if (!ix.platforms[PLATFORMS.indexOf(q.platform)].hasCast) return { status: 'no_cast_data_for_platform' };
  const cell = cellOf(ix, q.platform, q.year);
  if (cell === undefined || ix.titlesPerCell[cell] === 0) return { status: 'no_titles' };
  const count = ix.actors.topCount[cell];
  if (count === 0) return { status: 'no_cast_for_year' };
  const tied = ix.actors.tied.slice(ix.actors.tiedStart[cell], ix.actors.tiedStart[cell + 1]);
  return { status: 'found', actor: tied[0], count, tied };
}

export interface YearRange {
  min: number;
  max: number;
  years: number[]; // every release year with at least one title
}

/** Release years present, overall and per platform (for error messages and the UI's pickers). */
export function years(ix: QueryIndex): YearRange & { byPlatform: Record<Platform, YearRange | null> } {
  const Y = ix.years.length;
  const byPlatform = {} as Record<Platform, YearRange | null>;
  PLATFORMS.forEach((platform, p) => {
    const present = ix.years.filter((_, y) => ix.titlesPerCell[cellIndex(Y, p, y)] > 0);
    byPlatform[platform] = present.length === 0 ? null : { min: present[0], max: present[present.length - 1], years: present };
  });
  return { min: ix.years[0], max: ix.years[Y - 1], years: [...ix.years], byPlatform };
}

export function indexSizes(ix: QueryIndex): {
  bytes: number;
  strings: number;
  years: number;
  maxDurationAnswers: number;
  scoredMovies: number;
  tiedNames: number;
} {
  return {
    bytes: ix.byteLength,
    strings: ix.stringCount,
    years: ix.years.length,
    maxDurationAnswers: ix.maxDuration.answers.length,
    scoredMovies: ix.scores.values.length,
    tiedNames: ix.actors.tied.length,
  };
}

function cellOf(ix: QueryIndex, platform: Platform, year: number): number | undefined {
  const y = ix.yearSlot.get(year);
  const p = PLATFORMS.indexOf(platform);
  return y === undefined || p < 0 ? undefined : cellIndex(ix.years.length, p, y);
}

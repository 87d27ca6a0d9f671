// Reads the four raw catalog CSVs and applies exactly the transformations of docs/reference.md#catalog-transformations
// (with its fix: a duration stranded in `rating` moves to `duration` before null ratings become "g").
// Anything the transformation cannot honestly repair is a thrown error naming the file and line, so a
// broken catalog never gets published; everything it repairs or merely notices goes into the report.
import { config } from '../config';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { PLATFORMS, PLATFORM_FILES, PLATFORM_LETTER, type DurationType, type Platform, type Title } from '../../contract';

/** The raw column order every catalog file must have. */
export const RAW_COLUMNS = [
  'show_id',
  'type',
  'title',
  'director',
  'cast',
  'country',
  'date_added',
  'release_year',
  'rating',
  'duration',
  'listed_in',
  'description',
] as const;
type RawColumn = (typeof RAW_COLUMNS)[number];

/** Columns of Title that can be null after the transformation (score is attached later, so not counted here). */
const NULLABLE_COLUMNS = [
  'director',
  'cast',
  'country',
  'date_added',
  'duration_int',
  'duration_type',
  'listed_in',
  'description',
] as const satisfies readonly (keyof Title)[];

export const TITLES_DIR = config.titlesDir;

export class CatalogError extends Error {
  override name = 'CatalogError';
}

type PerPlatform<T> = Record<Platform, T>;

export interface Anomaly {
  platform: Platform;
  description: string;
  count: number;
  examples: string[]; // ids (and the raw value where it helps), at most a handful
}

export interface CatalogReport {
  files: PerPlatform<{ file: string; bytes: number; rows: number; bom: boolean }>;
  rows: number;
  types: PerPlatform<Record<string, number>>;
  fixes: {
    durationMovedFromRating: PerPlatform<number>;
    nullRatingFilledWithG: PerPlatform<number>; // includes the rows whose rating was emptied by the move
    datesReformatted: PerPlatform<number>;
    datesWithLeadingSpaces: PerPlatform<number>;
    unparseableDates: { id: string; raw: string }[]; // stored as null
    unparseableDurations: { id: string; raw: string }[]; // stored as null/null
  };
  /** Nulls per column after the transformation (empty source strings are null). */
  nulls: PerPlatform<Record<(typeof NULLABLE_COLUMNS)[number], number>>;
  withoutDuration: { total: number; byPlatform: PerPlatform<number> };
  releaseYears: { min: number; max: number; byPlatform: PerPlatform<{ min: number; max: number }> };
  anomalies: Anomaly[];
}

const MONTHS: Record<string, number> = {
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  may: 5,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
};
const DATE_PATTERN = /^\s*([a-z]+) (\d{1,2}), (\d{4})\s*$/i;
const DURATION_PATTERN = /^(\d+) (min|season|seasons)$/i;
const EXAMPLES = 5;
// Placeholder credits of upload tests ("Test Director", "Test Actor 1", "Tester", "Test1").
const TEST_ENTRY = /^(test (director|actor)\b|tester$|test\d)/i;

export async function readCatalog(titlesDir: string = TITLES_DIR): Promise<{ titles: Title[]; report: CatalogReport }> {
  const report = emptyReport();
  const titles: Title[] = [];
  const seenIds = new Set<string>();
  for (const platform of PLATFORMS) {
    const file = join(titlesDir, PLATFORM_FILES[platform]);
    const bytes = await readCatalogFile(file);
    const records = parseCatalogCsv(file, bytes);
    report.files[platform] = { file: PLATFORM_FILES[platform], bytes: bytes.byteLength, rows: records.length, bom: hasBom(bytes) };
    const ctx = new PlatformContext(platform, file, report);
    for (const { record, line } of records) {
      const title = ctx.transform(record, line);
      if (seenIds.has(title.id)) throw new CatalogError(`${file}:${line}: duplicate show_id "${record[0]}"`);
      seenIds.add(title.id);
      titles.push(title);
    }
    ctx.finish();
  }
  report.rows = titles.length;
  summarize(titles, report);
  return { titles, report };
}

/** Scores from the ratings, index-aligned with the catalog: float64 mean, never rounded. */
export function attachScores(titles: Title[], sum: Float64Array, count: Uint32Array): void {
  if (sum.length !== titles.length || count.length !== titles.length) {
    throw new Error(`attachScores: ${titles.length} titles but ${sum.length} sums and ${count.length} counts`);
  }
  for (let i = 0; i < titles.length; i++) {
    titles[i].n_ratings = count[i];
    titles[i].score = count[i] > 0 ? sum[i] / count[i] : null;
  }
}

async function readCatalogFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new CatalogError(`catalog file ${file} cannot be read: ${(err as Error).message}`);
  }
}

function hasBom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function parseCatalogCsv(file: string, bytes: Uint8Array): { record: string[]; line: number }[] {
  let text: string;
  try {
    // fatal: invalid UTF-8 is an unreadable file, not something to replace with U+FFFD silently.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // also drops a BOM
  } catch {
    throw new CatalogError(`catalog file ${file} is not valid UTF-8`);
  }
  // A cut-off file can still parse (cut at a field boundary leaves a shorter last field); the originals
  // end with a line break, so a missing one means the copy is incomplete.
  if (text !== '' && !text.endsWith('\n')) {
    throw new CatalogError(`catalog file ${file} does not end with a line break: it looks truncated`);
  }
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    // The typings know no `info` overload: with info: true each record comes as { record, info }.
    rows = parse(text, { info: true, relax_column_count: false }) as unknown as typeof rows;
  } catch (err) {
    throw new CatalogError(`catalog file ${file} is malformed CSV: ${(err as Error).message}`);
  }
  if (rows.length === 0) throw new CatalogError(`catalog file ${file} is empty`);
  const header = rows[0].record;
  if (header.length !== RAW_COLUMNS.length || header.some((name, i) => name !== RAW_COLUMNS[i])) {
    throw new CatalogError(`catalog file ${file} has header "${header.join(',')}", expected "${RAW_COLUMNS.join(',')}"`);
  }
  if (rows.length === 1) throw new CatalogError(`catalog file ${file} has a header but no rows`);
  return rows.slice(1).map((r) => ({ record: r.record, line: r.info.lines }));
}

/** Per-file transformation state: counts fixes as it goes and collects the anomalies of one platform. */
class PlatformContext {
  private readonly anomalies = new Map<string, Anomaly>();

  constructor(
    private readonly platform: Platform,
    private readonly file: string,
    private readonly report: CatalogReport,
  ) {}

  transform(record: string[], line: number): Title {
    const raw = Object.fromEntries(RAW_COLUMNS.map((c, i) => [c, record[i]])) as Record<RawColumn, string>;
    const fail = (what: string): never => {
      throw new CatalogError(`${this.file}:${line}: ${what}`);
    };
    if (raw.show_id === '') fail('empty show_id');
    if (raw.type === '') fail(`empty type (show_id ${raw.show_id})`);
    if (raw.title === '') fail(`empty title (show_id ${raw.show_id})`);
    if (!/^\d{1,4}$/.test(raw.release_year)) fail(`release_year "${raw.release_year}" is not a year (show_id ${raw.show_id})`);

    const id = PLATFORM_LETTER[this.platform] + raw.show_id.toLowerCase();
    this.noteWhitespace(raw, id);

    let durationRaw = raw.duration;
    let ratingRaw = raw.rating;
    if (DURATION_PATTERN.test(ratingRaw)) {
      if (durationRaw === '') {
        durationRaw = ratingRaw;
        ratingRaw = '';
        this.report.fixes.durationMovedFromRating[this.platform]++;
      } else {
        this.note('rating holds a duration although duration is present (left as is)', id, ratingRaw);
      }
    }
    if (ratingRaw === '') this.report.fixes.nullRatingFilledWithG[this.platform]++;

    const { duration_int, duration_type } = this.parseDuration(durationRaw, id);
    const type = raw.type.toLowerCase();
    if (type === 'movie' && duration_type === 'season') this.note('movie whose duration is in seasons (kept)', id, durationRaw);
    if (type === 'tv show' && duration_type === 'min') this.note('tv show whose duration is in minutes (kept)', id, durationRaw);
    if (duration_int === 0) this.note('duration is 0 (kept)', id, durationRaw);
    if (TEST_ENTRY.test(raw.director) || TEST_ENTRY.test(raw.cast))
      this.note('looks like a test upload, not a real title (kept)', id, raw.title);
    return {
      id,
      platform: this.platform,
      show_id: raw.show_id.toLowerCase(),
      type,
      title: raw.title.toLowerCase(),
      director: lowerOrNull(raw.director),
      cast: lowerOrNull(raw.cast),
      country: lowerOrNull(raw.country),
      date_added: this.parseDate(raw.date_added, id),
      release_year: Number(raw.release_year),
      rating: ratingRaw === '' ? 'g' : ratingRaw.toLowerCase(),
      duration_int,
      duration_type,
      listed_in: lowerOrNull(raw.listed_in),
      description: lowerOrNull(raw.description),
      score: null,
      n_ratings: 0,
    };
  }

  finish(): void {
    this.report.anomalies.push(...this.anomalies.values());
  }

  private parseDate(raw: string, id: string): string | null {
    if (raw === '') return null;
    const m = DATE_PATTERN.exec(raw);
    const month = m ? MONTHS[m[1].toLowerCase()] : undefined;
    const year = m ? Number(m[3]) : 0;
    const day = m ? Number(m[2]) : 0;
    if (!m || month === undefined || day < 1 || day > daysInMonth(year, month)) {
      this.report.fixes.unparseableDates.push({ id, raw });
      return null;
    }
    if (/^\s/.test(raw)) this.report.fixes.datesWithLeadingSpaces[this.platform]++;
    this.report.fixes.datesReformatted[this.platform]++;
    return `${m[3]}-${pad2(month)}-${pad2(day)}`;
  }

  private parseDuration(raw: string, id: string): { duration_int: number | null; duration_type: DurationType | null } {
    if (raw === '') return { duration_int: null, duration_type: null };
    const m = DURATION_PATTERN.exec(raw);
    if (!m) {
      this.report.fixes.unparseableDurations.push({ id, raw });
      return { duration_int: null, duration_type: null };
    }
    return { duration_int: Number(m[1]), duration_type: m[2].toLowerCase() === 'min' ? 'min' : 'season' };
  }

  /** Surrounding whitespace and line breaks are kept (docs/reference.md#catalog-transformations: no re-spacing) but worth knowing about. */
  private noteWhitespace(raw: Record<RawColumn, string>, id: string): void {
    for (const column of RAW_COLUMNS) {
      const value = raw[column];
      if (column !== 'date_added' && value !== value.trim()) {
        this.note(`${column} has leading or trailing whitespace (kept)`, id);
      }
      if (/[\r\n\u2028\u2029]/.test(value)) this.note(`${column} contains a line break (kept)`, id);
    }
    if (raw.cast !== '' && raw.cast.split(',').some((name) => name.trim() === '')) {
      this.note('cast list has empty entries (ignored by the actor query)', id);
    }
  }

  private note(description: string, id: string, value?: string): void {
    let anomaly = this.anomalies.get(description);
    if (!anomaly) {
      anomaly = { platform: this.platform, description, count: 0, examples: [] };
      this.anomalies.set(description, anomaly);
    }
    anomaly.count++;
    if (anomaly.examples.length < EXAMPLES) anomaly.examples.push(value === undefined ? id : `${id} (${JSON.stringify(value)})`);
  }
}

function lowerOrNull(value: string): string | null {
  return value === '' ? null : value.toLowerCase();
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function perPlatform<T>(make: () => T): PerPlatform<T> {
  return Object.fromEntries(PLATFORMS.map((p) => [p, make()])) as PerPlatform<T>;
}

function emptyReport(): CatalogReport {
  return {
    files: perPlatform(() => ({ file: '', bytes: 0, rows: 0, bom: false })),
    rows: 0,
    types: perPlatform(() => ({})),
    fixes: {
      durationMovedFromRating: perPlatform(() => 0),
      nullRatingFilledWithG: perPlatform(() => 0),
      datesReformatted: perPlatform(() => 0),
      datesWithLeadingSpaces: perPlatform(() => 0),
      unparseableDates: [],
      unparseableDurations: [],
    },
    nulls: perPlatform(() => Object.fromEntries(NULLABLE_COLUMNS.map((c) => [c, 0])) as Record<(typeof NULLABLE_COLUMNS)[number], number>),
    withoutDuration: { total: 0, byPlatform: perPlatform(() => 0) },
    releaseYears: { min: Infinity, max: -Infinity, byPlatform: perPlatform(() => ({ min: Infinity, max: -Infinity })) },
    anomalies: [],
  };
}

/** Whole-catalog facts: type mix, nulls, year ranges, titles without duration, duplicate titles. */
function summarize(titles: Title[], report: CatalogReport): void {
  const byTitle = perPlatform(() => new Map<string, string[]>());
  for (const t of titles) {
    const p = t.platform;
    report.types[p][t.type] = (report.types[p][t.type] ?? 0) + 1;
    for (const c of NULLABLE_COLUMNS) if (t[c] === null) report.nulls[p][c]++;
    if (t.duration_int === null) {
      report.withoutDuration.byPlatform[p]++;
      report.withoutDuration.total++;
    }
    const years = report.releaseYears.byPlatform[p];
    years.min = Math.min(years.min, t.release_year);
    years.max = Math.max(years.max, t.release_year);
    report.releaseYears.min = Math.min(report.releaseYears.min, t.release_year);
    report.releaseYears.max = Math.max(report.releaseYears.max, t.release_year);
    const ids = byTitle[p].get(t.title) ?? [];
    ids.push(t.id);
    byTitle[p].set(t.title, ids);
  }
  for (const p of PLATFORMS) {
    const duplicates = [...byTitle[p]].filter(([, ids]) => ids.length > 1);
    if (duplicates.length === 0) continue;
    report.anomalies.push({
      platform: p,
      description: 'title appears on more than one row of the same platform (all rows kept)',
      count: duplicates.length,
      examples: duplicates.slice(0, EXAMPLES).map(([title, ids]) => `${JSON.stringify(title)}: ${ids.join(', ')}`),
    });
  }
  report.anomalies.sort((a, b) => PLATFORMS.indexOf(a.platform) - PLATFORMS.indexOf(b.platform)); // stable
}

export function formatCatalogReport(report: CatalogReport): string {
  const lines: string[] = [];
  const total = (m: PerPlatform<number>) => PLATFORMS.reduce((s, p) => s + m[p], 0);
  const perP = (m: PerPlatform<number>) => `${total(m)} (${PLATFORMS.map((p) => `${p} ${m[p]}`).join(', ')})`;
  lines.push(`Catalog: ${report.rows} titles`);
  for (const p of PLATFORMS) {
    const f = report.files[p];
    const types = Object.entries(report.types[p])
      .map(([t, n]) => `${n} ${t}`)
      .join(', ');
    lines.push(`  ${p.padEnd(8)} ${String(f.rows).padStart(5)} rows from ${f.file} (${f.bytes} bytes${f.bom ? ', BOM' : ''}): ${types}`);
  }
  lines.push('Fixes:');
  lines.push(`  duration moved out of rating: ${perP(report.fixes.durationMovedFromRating)}`);
  lines.push(`  null rating filled with "g": ${perP(report.fixes.nullRatingFilledWithG)}`);
  lines.push(`  date_added reformatted to YYYY-MM-DD: ${perP(report.fixes.datesReformatted)}`);
  lines.push(`    of which had leading spaces: ${perP(report.fixes.datesWithLeadingSpaces)}`);
  lines.push(`  unparseable dates (stored null): ${report.fixes.unparseableDates.length}${listExamples(report.fixes.unparseableDates)}`);
  lines.push(
    `  unparseable durations (stored null): ${report.fixes.unparseableDurations.length}${listExamples(report.fixes.unparseableDurations)}`,
  );
  lines.push(`  all text lower-cased; empty strings stored as null`);
  lines.push(`Titles without duration: ${perP(report.withoutDuration.byPlatform)}`);
  lines.push(
    `Release years: ${report.releaseYears.min}..${report.releaseYears.max} (${PLATFORMS.map((p) => `${p} ${report.releaseYears.byPlatform[p].min}..${report.releaseYears.byPlatform[p].max}`).join(', ')})`,
  );
  lines.push('Nulls per column:');
  const columns = Object.keys(report.nulls.amazon) as (keyof CatalogReport['nulls']['amazon'])[];
  lines.push(`  ${'column'.padEnd(14)}${PLATFORMS.map((p) => p.padStart(9)).join('')}`);
  for (const c of columns) lines.push(`  ${c.padEnd(14)}${PLATFORMS.map((p) => String(report.nulls[p][c]).padStart(9)).join('')}`);
  lines.push(`Anomalies noticed (data kept as is): ${report.anomalies.length === 0 ? 'none' : ''}`);
  for (const a of report.anomalies) lines.push(`  ${a.platform}: ${a.description}: ${a.count} (e.g. ${a.examples.join('; ')})`);
  return lines.join('\n');
}

function listExamples(items: { id: string; raw: string }[]): string {
  return items.length === 0
    ? ''
    : ` (e.g. ${items
        .slice(0, EXAMPLES)
        .map((d) => `${d.id} ${JSON.stringify(d.raw)}`)
        .join('; ')})`;
}

// Corrupted inputs, end to end through `load()` into a private persistence directory: each broken
// rating file gives a clear error or counted rejects (docs/reference.md#errors-and-bad-input), above 1% rejects nothing is published,
// and a bad catalog is a clear error while the stores keep serving the previous complete version.
// Ingest-level parsing of broken files is covered row by row in ratings.test.ts; this file checks
// what an operator running the loader gets.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StoreState, storeState } from '../helpers/store-state';
import { PLATFORM_FILES } from '../../contract';
import { CatalogError } from '../../loader/catalog/transform';
import { config as baseConfig, type LoaderConfig } from '../../loader/config';
import { load } from '../../loader/main';
import { RatingsFileError, RejectThresholdError } from '../../loader/ratings/ingest';
import { generateStandIn, STANDIN_MARKER } from '../../loader/standin/generate';

/** ~50,000 rating rows: the smallest stand-in the generator makes reliably; a load takes seconds. */
const STAND_IN_SCALE = 0.005;
const STAND_IN_SEED = 11;

let root: string;
let persistDir: string;
let header: string;
let rows: string[];
let columns: Record<'userId' | 'rating' | 'timestamp' | 'movieId', number>;

/** The clean ratings, split in two files so one can be broken while the other stays valid. */
function cleanRatings(): Record<string, string> {
  return { '1.csv': csv(rows.slice(0, rows.length >> 1)), '2.csv': csv(secondHalf()) };
}

/** The rows of 2.csv: 1.1% of all rows is 2.2% of these. */
function secondHalf(): string[] {
  return rows.slice(rows.length >> 1);
}

interface Dataset {
  ratings?: Record<string, string | Buffer>;
  /** Breaks the copied catalog in place. */
  breakCatalog?: (titlesDir: string) => void;
}

/** A fresh copy of the inputs under `name`, optionally broken, and a config that loads it into the shared stores. */
function dataset(name: string, { ratings = {}, breakCatalog }: Dataset = {}): LoaderConfig {
  const dir = join(root, name);
  const titlesDir = join(dir, 'titles');
  const ratingsDir = join(dir, 'ratings');
  cpSync(baseConfig.titlesDir, titlesDir, { recursive: true });
  breakCatalog?.(titlesDir);
  mkdirSync(ratingsDir, { recursive: true });
  // No STANDIN.json: these are "real" files to the loader, so it never regenerates them.
  for (const [file, content] of Object.entries({ ...cleanRatings(), ...ratings })) writeFileSync(join(ratingsDir, file), content);
  return { ...baseConfig, titlesDir, ratingsDir, persistDir, cacheDir: join(root, 'cache'), outDir: join(dir, 'out') };
}

/** `lines` with one column replaced in `count` of them, spread evenly from `offset` on. */
function withColumn(lines: string[], column: keyof typeof columns, count: number, value: (k: number) => string, offset = 0): string[] {
  const step = Math.floor(lines.length / count);
  const out = [...lines];
  for (let k = 0; k < count; k++) {
    const fields = out[offset + k * step].split(',');
    fields[columns[column]] = value(k);
    out[offset + k * step] = fields.join(',');
  }
  return out;
}

function csv(lines: string[]): string {
  return `${[header, ...lines].join('\n')}\n`;
}

function escapeRegExp(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

const OUT_OF_RANGE = ['0', '5.5', '7', '4.25', '-1', '10', '0.0', '4.9'];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'loader-corrupt-'));
  persistDir = join(root, 'state', 'v3');
  const standIn = join(root, 'stand-in');
  await generateStandIn({ outDir: standIn, seed: STAND_IN_SEED, scale: STAND_IN_SCALE, summaryPath: baseConfig.summaryPath });
  unlinkSync(join(standIn, STANDIN_MARKER));
  const lines = readFileSync(join(standIn, '1.csv'), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  [header, ...rows] = lines;
  const names = header.split(',');
  columns = {
    userId: names.indexOf('userId'),
    rating: names.indexOf('rating'),
    timestamp: names.indexOf('timestamp'),
    movieId: names.indexOf('movieId'),
  };
  expect(Object.values(columns).every((i) => i >= 0)).toBe(true);
  expect(rows.length).toBeGreaterThan(40_000);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('rating files with a few bad rows: counted, reported, skipped, published', () => {
  it('mixed line ends, a cut-off last line, unknown movieIds and out-of-range ratings', async () => {
    const badIds = 40;
    const badRatings = OUT_OF_RANGE.length * 5;
    const half = rows.length >> 1;
    // 1.csv: every third line ends in CRLF.
    const mixed = csv(rows.slice(0, half))
      .split('\n')
      .map((line, i) => (line !== '' && i % 3 === 0 ? `${line}\r` : line))
      .join('\n');
    // 2.csv: unknown ids and bad ratings on distinct rows, and the copy cut off inside the last row's timestamp.
    const body = rows.slice(half, -1);
    const step = Math.floor(body.length / badIds);
    let broken = withColumn(body, 'movieId', badIds, (k) => `zz${k}`);
    broken = withColumn(broken, 'rating', badRatings, (k) => OUT_OF_RANGE[k % OUT_OF_RANGE.length], Math.floor(step / 2));
    const last = rows[rows.length - 1].split(',');
    const cut = [...last.slice(0, columns.timestamp), last[columns.timestamp].slice(0, 4)].join(',');
    const truncated = [header, ...broken, cut].join('\n'); // no final line end

    const cfg = dataset('few-bad-rows', { ratings: { '1.csv': mixed, '2.csv': truncated } });
    const result = await load({ config: cfg });
    expect(result.published).toBe(true);

    const state = await storeState(baseConfig, persistDir);
    expect(JSON.parse(state.pointer!).version).toBe(result.version);
    const quality = JSON.parse(readFileSync(join(cfg.outDir, 'data-quality.json'), 'utf8'));
    const r = quality.ratings;
    expect(r.total_rows).toBe(rows.length);
    expect(r.rejected.byReason).toMatchObject({
      movie_id: badIds,
      rating: badRatings,
      field_count: 1,
      malformed: 0,
      user_id: 0,
      timestamp: 0,
    });
    expect(r.rejected.total).toBe(badIds + badRatings + 1);
    expect(r.kept_rows).toBe(rows.length - r.rejected.total);
    expect(r.files.map((f: { lineEnding: string; unterminatedLastLine: boolean }) => [f.lineEnding, f.unterminatedLastLine])).toEqual([
      ['mixed', false],
      ['lf', true],
    ]);
    const cutExample = r.rejected.examples.find((e: { reason: string }) => e.reason === 'field_count');
    expect(cutExample).toMatchObject({ file: join(cfg.ratingsDir, '2.csv'), line: broken.length + 2, text: cut });
    // The human-readable report names each reason with its count.
    const text = readFileSync(join(cfg.outDir, 'data-quality.txt'), 'utf8');
    expect(text).toMatch(new RegExp(`movie_id: ${badIds}\\b`));
    expect(text).toMatch(new RegExp(`rating: ${badRatings}\\b`));
  });
});

describe('inputs that must stop the load: a clear error, and the previous version stays live', () => {
  let before: StoreState;
  beforeAll(async () => {
    before = await storeState(baseConfig, persistDir);
    expect(before.pointer).not.toBeNull();
    expect(before.titleRows).toBeGreaterThan(20_000);
  });

  /** Loads `cfg`, expecting it to fail with `errorClass` and a message matching every pattern; then checks nothing changed. */
  async function expectRefused(cfg: LoaderConfig, errorClass: new (...args: never[]) => Error, ...patterns: RegExp[]): Promise<void> {
    const error = await load({ config: cfg }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, 'the load must fail').toBeInstanceOf(errorClass);
    for (const pattern of patterns) expect((error as Error).message).toMatch(pattern);
    expect(await storeState(baseConfig, persistDir)).toEqual(before);
  }

  const ratingsFile = (cfg: LoaderConfig) => escapeRegExp(join(cfg.ratingsDir, '2.csv'));

  it('unknown movieIds above 1% of rows', async () => {
    const cfg = dataset('many-unknown-ids', {
      ratings: { '2.csv': csv(withColumn(secondHalf(), 'movieId', Math.ceil(rows.length * 0.011), (k) => `zz${k}`)) },
    });
    await expectRefused(cfg, RejectThresholdError, /above the 1\.00% limit; nothing may be published/, /movie_id \d+/, /zz\d+/);
  });

  it('out-of-range ratings above 1% of rows', async () => {
    const cfg = dataset('many-bad-ratings', {
      ratings: {
        '2.csv': csv(withColumn(secondHalf(), 'rating', Math.ceil(rows.length * 0.011), (k) => OUT_OF_RANGE[k % OUT_OF_RANGE.length])),
      },
    });
    await expectRefused(cfg, RejectThresholdError, /above the 1\.00% limit/, /By reason: rating \d+/);
  });

  it('a rating file with a wrong header', async () => {
    const cfg = dataset('wrong-header', { ratings: { '2.csv': cleanRatings()['2.csv'].replace(header, 'user,rating,timestamp,movie') } });
    await expectRefused(cfg, RatingsFileError, ratingsFile(cfg), /wrong header "user,rating,timestamp,movie".*missing userId, movieId/);
  });

  it('an empty rating file', async () => {
    const cfg = dataset('empty-ratings', { ratings: { '2.csv': '' } });
    await expectRefused(cfg, RatingsFileError, ratingsFile(cfg), /empty file: no header line/);
  });

  it('a rating file cut off inside its header', async () => {
    const cfg = dataset('cut-header', { ratings: { '2.csv': header.slice(0, 10) } });
    await expectRefused(cfg, RatingsFileError, ratingsFile(cfg), /wrong header/);
  });

  it('a rating file of binary garbage', async () => {
    let seed = 7;
    const garbage = Buffer.from(Array.from({ length: 200_000 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    const cfg = dataset('binary-ratings', { ratings: { '2.csv': garbage } });
    await expectRefused(cfg, RatingsFileError, ratingsFile(cfg), /wrong header|not a ratings CSV|quote is never closed/);
  });

  const catalogFile = (cfg: LoaderConfig, platform: keyof typeof PLATFORM_FILES) =>
    escapeRegExp(join(cfg.titlesDir, PLATFORM_FILES[platform]));

  it('a missing catalog file', async () => {
    const cfg = dataset('catalog-missing', { breakCatalog: (dir) => unlinkSync(join(dir, PLATFORM_FILES.hulu)) });
    await expectRefused(cfg, CatalogError, catalogFile(cfg, 'hulu'), /cannot be read/);
  });

  it('a truncated catalog file', async () => {
    const cfg = dataset('catalog-truncated', {
      breakCatalog: (dir) => {
        const file = join(dir, PLATFORM_FILES.netflix);
        const bytes = readFileSync(file);
        // Cut just after a letter, so the copy neither ends at a line break nor splits a UTF-8 sequence.
        let at = Math.floor(bytes.length * 0.6);
        while (!/[a-z]/i.test(String.fromCharCode(bytes[at - 1]))) at--;
        truncateSync(file, at);
      },
    });
    await expectRefused(cfg, CatalogError, catalogFile(cfg, 'netflix'), /does not end with a line break: it looks truncated/);
  });

  it('a catalog file with a wrong header', async () => {
    const cfg = dataset('catalog-header', {
      breakCatalog: (dir) => {
        const file = join(dir, PLATFORM_FILES.disney);
        writeFileSync(file, readFileSync(file, 'utf8').replace('release_year', 'year'));
      },
    });
    await expectRefused(cfg, CatalogError, catalogFile(cfg, 'disney'), /has header ".*\byear\b.*", expected ".*release_year/);
  });

  it('a catalog file of binary garbage', async () => {
    let seed = 3;
    const garbage = Buffer.from(Array.from({ length: 100_000 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    const cfg = dataset('catalog-garbage', { breakCatalog: (dir) => writeFileSync(join(dir, PLATFORM_FILES.amazon), garbage) });
    await expectRefused(cfg, CatalogError, catalogFile(cfg, 'amazon'), /not valid UTF-8/);
  });

  it('an empty catalog file, or one with a header and no rows', async () => {
    const empty = dataset('catalog-empty', { breakCatalog: (dir) => writeFileSync(join(dir, PLATFORM_FILES.hulu), '') });
    await expectRefused(empty, CatalogError, /hulu_titles\.csv is empty/);
    const headerOnly = dataset('catalog-header-only', {
      breakCatalog: (dir) => {
        const file = join(dir, PLATFORM_FILES.hulu);
        writeFileSync(file, `${readFileSync(file, 'utf8').split('\n')[0]}\n`);
      },
    });
    await expectRefused(headerOnly, CatalogError, /hulu_titles\.csv has a header but no rows/);
  });
});

import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../loader/random';
import { maxRecords, parseFileBytes } from '../../loader/ratings/parse-bytes';
import { allocSharedColumns } from '../../loader/ratings/file-result';
import { parseFileCsv } from '../../loader/ratings/parse-csv';
import { makeContext } from '../../contract/ratings';
import { IdTable } from '../../loader/ratings/id-table';
import {
  RatingsFileError,
  RejectThresholdError,
  compareWithSummary,
  ingestRatings,
  type IngestOptions,
  type IngestResult,
} from '../../loader/ratings/ingest';
import { readSummary } from '../../loader/ratings/summary';
import { generateStandIn } from '../../loader/standin/generate';

const summary = readSummary();
const titleIds = summary.map((s) => s.movieId);
const titleIndex = new Map(titleIds.map((id, i) => [id, i]));
const MAX_TS = 1_700_000_000; // fixed "now" so the tests do not depend on the clock
const HEADER = 'userId,rating,timestamp,movieId';

const dir = mkdtempSync(join(tmpdir(), 'ratings-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function write(content: string | Buffer): string {
  const path = join(dir, `${++fileNo}.csv`);
  writeFileSync(path, content);
  return path;
}

type Opts = Omit<IngestOptions, 'files' | 'titleIds'>;
function ingest(files: string[], opts: Opts = {}): Promise<IngestResult> {
  return ingestRatings({ files, titleIds, maxTimestamp: MAX_TS, ...opts });
}

/** Ingests with the byte parser and the csv-parse reference and asserts both agree on everything. */
async function ingestBoth(files: string[], opts: Opts = {}, compareLines = true): Promise<IngestResult> {
  const [bytes, reference] = await Promise.all([ingest(files, opts), ingest(files, { ...opts, parser: 'csv-parse' })]);
  expectSameRows(bytes, reference);
  expect(bytes.totalRows).toBe(reference.totalRows);
  expect(bytes.rejected.byReason).toEqual(reference.rejected.byReason);
  expect(bytes.files).toEqual(reference.files);
  expect(bytes.users).toBe(reference.users);
  expect(Array.from(bytes.perTitle.sum)).toEqual(Array.from(reference.perTitle.sum));
  const comparable = (r: IngestResult) =>
    r.rejected.examples.filter((e) => e.reason !== 'malformed').map((e) => ({ ...e, line: compareLines ? e.line : 0 }));
  expect(comparable(bytes)).toEqual(comparable(reference));
  return bytes;
}

function expectSameRows(a: IngestResult, b: IngestResult): void {
  expect(a.rows.length).toBe(b.rows.length);
  for (const col of ['user', 'title', 'half', 'ts'] as const) {
    const x = a.rows[col];
    const y = b.rows[col];
    let i = 0;
    while (i < a.rows.length && x[i] === y[i]) i++;
    expect(i === a.rows.length ? 'same' : `${col} differs at row ${i}: ${x[i]} vs ${y[i]}`).toBe('same');
  }
}

function rowsOf(r: IngestResult): [number, string, number, number][] {
  return Array.from({ length: r.rows.length }, (_, i) => [r.rows.user[i], titleIds[r.rows.title[i]], r.rows.half[i] / 2, r.rows.ts[i]]);
}

function validLines(n: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const user = 1 + Math.floor(rnd() * 270_896);
    const rating = ((1 + Math.floor(rnd() * 10)) / 2).toFixed(1);
    const ts = 800_000_000 + Math.floor(rnd() * 700_000_000);
    return `${user},${rating},${ts},${titleIds[Math.floor(rnd() * titleIds.length)]}`;
  });
}

describe('ingestRatings: valid rows', () => {
  it('stores rows in columns with title indexes and per-title count, sum and half stars', async () => {
    const path = write(
      [HEADER, '1,1.0,1425941529,as680', '1,4.5,1425942435,ns2186', '7,5.0,1425941523,as680', '7,0.5,1425941546,hs1', ''].join('\n'),
    );
    const r = await ingestBoth([path]);
    expect(rowsOf(r)).toEqual([
      [1, 'as680', 1, 1425941529],
      [1, 'ns2186', 4.5, 1425942435],
      [7, 'as680', 5, 1425941523],
      [7, 'hs1', 0.5, 1425941546],
    ]);
    const as680 = titleIndex.get('as680')!;
    const ns2186 = titleIndex.get('ns2186')!;
    expect([r.perTitle.count[as680], r.perTitle.sum[as680], r.perTitle.halfStars[as680]]).toEqual([2, 6, 0]);
    expect([r.perTitle.count[ns2186], r.perTitle.sum[ns2186], r.perTitle.halfStars[ns2186]]).toEqual([1, 4.5, 1]);
    expect(r.perTitle.count.reduce((a, b) => a + b, 0)).toBe(4);
    expect(r.totalRows).toBe(4);
    expect(r.users).toBe(2);
    expect(r.rejected.total).toBe(0);
    expect(r.files).toEqual([{ path, rows: 4, rejected: 0, bytes: expect.any(Number), lineEnding: 'lf', unterminatedLastLine: false }]);
  });

  it('reads the columns in any header order', async () => {
    const canonical = write([HEADER, '3,2.5,1100000000,ds12', '4,3,1200000000,ns5'].join('\n'));
    const shuffled = write(['movieId,timestamp,userId,rating', 'ds12,1100000000,3,2.5', 'ns5,1200000000,4,3'].join('\n'));
    const a = await ingestBoth([canonical]);
    const b = await ingestBoth([shuffled]);
    expect(rowsOf(b)).toEqual(rowsOf(a));
    expect(rowsOf(a)).toEqual([
      [3, 'ds12', 2.5, 1100000000],
      [4, 'ns5', 3, 1200000000],
    ]);
  });

  it('accepts the edges of every valid range', async () => {
    const path = write(
      [HEADER, '2147483647,0.5,631152000,as1', '0042,03.50,1700000000,ns1', '5,5,1000000000,as1', '5,5.000,1000000000,as1'].join('\r\n'),
    );
    const r = await ingestBoth([path]);
    expect(rowsOf(r)).toEqual([
      [2147483647, 'as1', 0.5, 631152000],
      [42, 'ns1', 3.5, 1700000000],
      [5, 'as1', 5, 1000000000],
      [5, 'as1', 5, 1000000000],
    ]);
    expect(r.files[0].unterminatedLastLine).toBe(true);
  });

  it('keeps row order: file order, then line order, whatever the threads', async () => {
    const files = [3000, 10, 5000, 1, 2500].map((n, k) => write(`${[HEADER, ...validLines(n, k + 1)].join('\n')}\n`));
    const one = await ingest(files, { threads: 1 });
    const two = await ingest(files, { threads: 2 });
    const four = await ingest(files, { threads: 4 });
    expectSameRows(one, two);
    expectSameRows(one, four);
    let offset = 0;
    for (const [k, n] of [3000, 10, 5000, 1, 2500].entries()) {
      const first = validLines(1, k + 1)[0].split(',');
      expect(two.rows.user[offset]).toBe(Number(first[0]));
      expect(titleIds[two.rows.title[offset]]).toBe(first[3]);
      offset += n;
    }
    expect(two.rows.length).toBe(offset);
    expect(two.files.map((f) => f.path)).toEqual(files);
  });

  it('joins files whose rejected, blank and multi-line records leave room in their share of the columns', async () => {
    // Each file gets as many rows of the shared columns as it has lines; what it does not keep is
    // closed up when the files are joined, so the rows must come out contiguous and in order.
    const contents = [0, 1, 2, 3].map((k) => {
      const good = validLines(400 + 37 * k, 50 + k);
      const lines = [HEADER, '', ...good.slice(0, 100), 'not,a,rating,row', '', '1,9.9,1425941529,as1', ...good.slice(100)];
      if (k % 2 === 0) lines.push('7,4.0,1425941529,"as\n1"', '', '');
      return { text: `${lines.join(k === 1 ? '\r\n' : '\n')}\n`, good };
    });
    const files = contents.map((c) => write(c.text));
    for (const threads of [1, 2, 3]) {
      // (The two parsers number a multi-line record's line differently: its first line vs its last.)
      const r = await ingestBoth(files, { threads, maxRejectRatio: 1 }, false);
      const want = contents
        .flatMap((c) => c.good)
        .map((line) => {
          const [user, rating, ts, movieId] = line.split(',');
          return [Number(user), movieId, Number(rating), Number(ts)];
        });
      expect(rowsOf(r)).toEqual(want);
      expect(r.files.map((f) => f.rejected)).toEqual([3, 2, 3, 2]);
    }
  });

  it('reports progress up to all rows and bytes', async () => {
    const files = [write([HEADER, ...validLines(2000, 9)].join('\n')), write([HEADER, ...validLines(500, 10)].join('\n'))];
    const seen: { rows: number; bytes: number; totalBytes: number }[] = [];
    const r = await ingest(files, { onProgress: (p) => seen.push(p) });
    const last = seen[seen.length - 1];
    expect(last.rows).toBe(r.totalRows);
    expect(last.bytes).toBe(last.totalBytes);
    expect(last.totalBytes).toBe(r.files[0].bytes + r.files[1].bytes);
  });
});

describe('ingestRatings: rejected rows', () => {
  const bad: [string, string][] = [
    ['field_count', '1,4.0,1425941529'],
    ['field_count', '1,4.0,1425941529,as1,extra'],
    ['field_count', '   '],
    ['user_id', '0,4.0,1425941529,as1'],
    ['user_id', '-3,4.0,1425941529,as1'],
    ['user_id', 'abc,4.0,1425941529,as1'],
    ['user_id', '2147483648,4.0,1425941529,as1'],
    ['user_id', ',4.0,1425941529,as1'],
    ['user_id', '1.0,4.0,1425941529,as1'],
    ['rating', '1,0.0,1425941529,as1'],
    ['rating', '1,5.5,1425941529,as1'],
    ['rating', '1,3.3,1425941529,as1'],
    ['rating', '1,3.25,1425941529,as1'],
    ['rating', '1,3.,1425941529,as1'],
    ['rating', '1,.5,1425941529,as1'],
    ['rating', '1, 3.5,1425941529,as1'],
    ['rating', '1,-1,1425941529,as1'],
    ['rating', '1,,1425941529,as1'],
    ['rating', '1,NaN,1425941529,as1'],
    ['timestamp', '1,4.0,1e9,as1'],
    ['timestamp', '1,4.0,123,as1'],
    ['timestamp', '1,4.0,631151999,as1'],
    ['timestamp', '1,4.0,1700000001,as1'],
    ['timestamp', '1,4.0,1425941529.5,as1'],
    ['timestamp', '1,4.0,,as1'],
    ['movie_id', '1,4.0,1425941529,xx1'],
    ['movie_id', '1,4.0,1425941529,AS1'],
    ['movie_id', '1,4.0,1425941529,as1 '],
    ['movie_id', '1,4.0,1425941529,'],
    ['movie_id', '1,4.0,1425941529,as99999'],
  ];

  it('counts every reason, skips the rows and keeps the first examples with file and line', async () => {
    const good = validLines(10, 3);
    const path = write([HEADER, ...good.slice(0, 5), ...bad.map(([, text]) => text), ...good.slice(5), '9,4.0,1425941529,"as1'].join('\n'));
    const r = await ingestBoth([path], { maxRejectRatio: 1 });
    expect(r.rows.length).toBe(10);
    expect(r.totalRows).toBe(10 + bad.length + 1);
    const expected = { malformed: 1, field_count: 0, user_id: 0, rating: 0, timestamp: 0, movie_id: 0 };
    for (const [reason] of bad) expected[reason as keyof typeof expected]++;
    expect(r.rejected.byReason).toEqual(expected);
    expect(r.rejected.total).toBe(bad.length + 1);
    expect(r.files[0].rejected).toBe(bad.length + 1);
    // First five examples of each reason, with the 1-based line (header = line 1, 5 good rows before).
    for (const reason of ['field_count', 'user_id', 'rating', 'timestamp', 'movie_id']) {
      const want = bad
        .map(([why, text], i) => ({ why, text, line: 7 + i }))
        .filter((b) => b.why === reason)
        .slice(0, 5)
        .map((b) => ({ file: path, line: b.line, reason, text: b.text }));
      expect(r.rejected.examples.filter((e) => e.reason === reason)).toEqual(want);
    }
    const malformed = r.rejected.examples.filter((e) => e.reason === 'malformed');
    expect(malformed).toHaveLength(1);
    expect(malformed[0].line).toBe(7 + bad.length + 5);
  });

  it('stops above maxRejectRatio with the counts, and not at exactly the ratio', async () => {
    const lines = validLines(990, 4);
    const atLimit = write([HEADER, ...lines, ...Array(10).fill('1,9.0,1425941529,as1')].join('\n'));
    const ok = await ingest([atLimit]);
    expect(ok.rejected.total).toBe(10);
    expect(ok.totalRows).toBe(1000);

    const over = write([HEADER, ...lines, ...Array(11).fill('1,9.0,1425941529,as1')].join('\n'));
    const err = await ingest([atLimit, over]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RejectThresholdError);
    const e = err as RejectThresholdError;
    expect(e.totalRows).toBe(2001);
    expect(e.rejected.total).toBe(21);
    expect(e.rejected.byReason.rating).toBe(21);
    expect(e.message).toMatch(/21 of 2001 rows rejected \(1\.05%\), above the 1\.00% limit/);
    expect(e.message).toContain('rating 21');
    await expect(ingest([over], { maxRejectRatio: 0.02 })).resolves.toMatchObject({ totalRows: 1001 });
  });

  it('rejects unknown movieIds and out-of-range ratings in bulk', async () => {
    const rows = validLines(300, 5).map((line, i) => {
      const f = line.split(',');
      if (i % 3 === 0) f[3] = `zz${i}`;
      if (i % 3 === 1) f[1] = String(5 + (i % 7) / 2 + 0.5);
      return f.join(',');
    });
    const r = await ingestBoth([write([HEADER, ...rows].join('\n'))], { maxRejectRatio: 1 });
    expect(r.rejected.byReason.movie_id).toBe(100);
    expect(r.rejected.byReason.rating).toBe(100);
    expect(r.rows.length).toBe(100);
  });
});

describe('ingestRatings: line ends and quoting', () => {
  it('reads LF, CRLF and mixed files alike and reports their line ends', async () => {
    const lines = [HEADER, ...validLines(200, 6)];
    const lf = write(`${lines.join('\n')}\n`);
    const crlf = write(`${lines.join('\r\n')}\r\n`);
    const mixed = write(lines.map((l, i) => l + (i % 3 === 0 ? '\r\n' : '\n')).join(''));
    const a = await ingestBoth([lf]);
    const b = await ingestBoth([crlf]);
    const c = await ingestBoth([mixed]);
    expectSameRows(a, b);
    expectSameRows(a, c);
    expect([a, b, c].map((r) => r.files[0].lineEnding)).toEqual(['lf', 'crlf', 'mixed']);
    expect(a.rows.length).toBe(200);
  });

  it('skips blank lines (LF or CRLF) and counts lines right after them', async () => {
    const path = write(['', '\r', HEADER, '', '1,4.0,1425941529,as1', '\r', '', '1,4.0,1,as1', ''].join('\n'));
    const r = await ingestBoth([path], { maxRejectRatio: 1 });
    expect(r.totalRows).toBe(2);
    expect(r.rejected.examples).toEqual([{ file: path, line: 8, reason: 'timestamp', text: '1,4.0,1,as1' }]);
  });

  it('reads quoted fields the way csv-parse does', async () => {
    const path = write(
      [
        '"userId","rating","timestamp","movieId"',
        '"1","4.5","1425941529","as680"', // kept
        '2,"4,5",1425941529,as680', // rating "4,5"
        '3,4.5,1425941529,"as""680"', // movieId as"680
        '4,4"5,1425941529,as680', // a quote inside a field is literal: rating 4"5
        '5,"4.5"x,1425941529,as680', // a stray closing quote keeps the field as written
        '6,"",1425941529,as680', // empty rating
        '7,4.5,1425941529,""', // empty movieId
        '""', // one empty field
        '8,4.5,1425941529,ns2186', // kept
      ].join('\r\n'),
    );
    const r = await ingestBoth([path], { maxRejectRatio: 1 });
    expect(rowsOf(r)).toEqual([
      [1, 'as680', 4.5, 1425941529],
      [8, 'ns2186', 4.5, 1425941529],
    ]);
    expect(r.rejected.byReason).toMatchObject({ rating: 4, movie_id: 2, field_count: 1 });
    expect(r.rejected.examples.map((e) => [e.line, e.text])).toEqual([
      [3, '2,4,5,1425941529,as680'],
      [4, '3,4.5,1425941529,as"680'],
      [5, '4,4"5,1425941529,as680'],
      [6, '5,"4.5"x,1425941529,as680'],
      [7, '6,,1425941529,as680'],
      [8, '7,4.5,1425941529,'],
      [9, ''],
    ]);
  });

  it('reads a quoted field across lines as one record and keeps counting lines', async () => {
    const path = write([HEADER, '1,4.5,1425941529,"as\n680"', '2,4.5,1425941529,as680', '3,x,1,as1'].join('\n'));
    const r = await ingestBoth([path], { maxRejectRatio: 1 }, false);
    expect(rowsOf(r)).toEqual([[2, 'as680', 4.5, 1425941529]]);
    expect(r.rejected.byReason).toMatchObject({ movie_id: 1, rating: 1 });
    const bytes = await ingest([path], { maxRejectRatio: 1 });
    expect(bytes.rejected.examples.map((e) => e.line)).toEqual([2, 5]);
  });

  it('gives the csv-parse reference result on a long file of mixed nasty lines', async () => {
    const rnd = seededRandom(77);
    const pieces = [
      () => validLines(1, Math.floor(rnd() * 1e9))[0],
      () => '',
      () => '\r',
      () => `"${Math.ceil(rnd() * 999)}",${(Math.ceil(rnd() * 10) / 2).toFixed(1)},"1400000000",as${Math.ceil(rnd() * 9000)}`,
      () => `1,"4""5",1400000000,ns1`,
      () => `1,4.5,1400000000,"ns1"x`,
      () => `1,"4.5\r\n",1400000000,ns1`,
      () => `1,4.5,1400000000,ns1,`,
      () => `1,4.5\r,1400000000,ns1`,
      () =>
        `${Math.floor(rnd() * 3e9)},${(rnd() * 6).toFixed(Math.floor(rnd() * 3))},${Math.floor(rnd() * 2e9)},as${Math.floor(rnd() * 12000)}`,
      () => 'é,ü,"ß",\u0000',
    ];
    // ~2 MB: long enough to cross a 1 MiB read boundary of the byte parser.
    const body = Array.from({ length: 80_000 }, () => {
      const k = rnd() < 0.5 ? 0 : Math.floor(rnd() * pieces.length);
      return pieces[k]() + (rnd() < 0.5 ? '\r\n' : '\n');
    }).join('');
    const path = write(`${HEADER}\n${body}`);
    const r = await ingestBoth([path], { maxRejectRatio: 1 }, false);
    expect(r.files[0].bytes).toBeGreaterThan(1 << 20);
    expect(r.rows.length).toBeGreaterThan(40_000);
    expect(r.rejected.total).toBeGreaterThan(4_000);
    expect(r.files[0].lineEnding).toBe('mixed');
  });
});

describe('byte parser and csv-parse reference', () => {
  it('agree on random files made of CSV-significant pieces', async () => {
    const ids = ['as1', 'ns5', 'a"b', 'x,y'];
    const ctx = makeContext(ids, MAX_TS);
    const table = new IdTable(ids);
    const path = join(dir, 'property.csv');
    const piece = fc.constantFrom('1', '0', '5', ',', '.', '"', '""', '\r', '\n', '\r\n', ' ', 'x', 'é', '1425941529', 'as1', '4.5', 'ns5');
    const header = fc.constantFrom(HEADER, 'movieId,rating,userId,timestamp', '"userId",rating,"timestamp",movieId', `\r\n${HEADER}`);
    const comparable = (r: Awaited<ReturnType<typeof parseFileCsv>>) => ({
      rows: [Array.from(r.rows.user), Array.from(r.rows.title), Array.from(r.rows.half), Array.from(r.rows.ts)],
      dataRows: r.dataRows,
      byReason: r.byReason,
      lineEnds: [r.lfLines, r.crlfLines, r.unterminatedLastLine],
      examples: r.examples.filter((e) => e.reason !== 'malformed').map((e) => [e.reason, e.text]),
    });
    const outcome = async (parse: () => Promise<Awaited<ReturnType<typeof parseFileCsv>>>) => {
      try {
        return comparable(await parse());
      } catch (e) {
        return { error: (e as Error).message };
      }
    };
    await fc.assert(
      fc.asyncProperty(header, fc.constantFrom('\n', '\r\n'), fc.array(piece, { maxLength: 80 }), async (head, eol, body) => {
        writeFileSync(path, head + eol + body.join(''));
        // Each parser into columns of its own, sized as the ingest sizes a file's region.
        const region = () => ({ columns: allocSharedColumns(maxRecords(path)), offset: 0, capacity: maxRecords(path) });
        const bytes = await outcome(async () => parseFileBytes(path, ctx, table, region()));
        const reference = await outcome(() => parseFileCsv(path, ctx, region()));
        expect(bytes).toEqual(reference);
      }),
      { numRuns: 400, seed: 20260426 },
    );
  });
});

describe('ingestRatings: broken files', () => {
  const fileError = async (content: string | Buffer, pattern: RegExp) => {
    const path = write(content);
    const errors = await Promise.all(
      (['bytes', 'csv-parse'] as const).map((parser) => ingest([path], { parser }).catch((e: unknown) => e)),
    );
    for (const err of errors) {
      expect(err).toBeInstanceOf(RatingsFileError);
      expect((err as RatingsFileError).path).toBe(path);
      expect((err as Error).message).toMatch(pattern);
    }
  };

  it('an empty file is a file error', () => fileError('', /empty file: no header line/));
  it('a file of blank lines is a file error', () => fileError('\n\r\n\n', /no header line/));
  it('a wrong header is a file error', () =>
    fileError('user,rating,timestamp,movie\n1,4.0,1425941529,as1\n', /wrong header.*missing userId, movieId/));
  it('an extra header column is a file error', () =>
    fileError(`${HEADER},platform\n1,4.0,1425941529,as1,amazon\n`, /wrong header.*got 5 columns/));
  it('a header-less data file is a file error', () => fileError('1,4.0,1425941529,as1\n', /wrong header/));
  it('binary garbage is a file error', () => {
    const rnd = seededRandom(5);
    return fileError(
      Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(rnd() * 256))),
      /wrong header|not a ratings CSV|quote is never closed/,
    );
  });

  it('accepts a byte order mark before the header', async () => {
    const r = await ingestBoth([write(`\ufeff${HEADER}\n1,4.0,1425941529,as1\n`)]);
    expect(r.rows.length).toBe(1);
  });

  it('a missing file or a directory is a file error before any work', async () => {
    const missing = join(dir, 'nope.csv');
    await expect(ingest([missing])).rejects.toThrow(RatingsFileError);
    await expect(ingest([missing])).rejects.toThrow(/nope\.csv: cannot open/);
    const sub = join(dir, 'sub.csv');
    mkdirSync(sub);
    await expect(ingest([sub])).rejects.toThrow(/sub\.csv: not a regular file/);
  });

  it('garbage after a valid header is counted as rejects and stops the load, never hangs', async () => {
    const rnd = seededRandom(6);
    const garbage = Buffer.from(Array.from({ length: 400_000 }, () => Math.floor(rnd() * 256)));
    const path = write(Buffer.concat([Buffer.from(`${HEADER}\n${validLines(100, 7).join('\n')}\n`), garbage]));
    const errors = await Promise.all(
      (['bytes', 'csv-parse'] as const).map((parser) => ingest([path], { parser }).catch((e: unknown) => e)),
    );
    for (const err of errors) expect(err).toBeInstanceOf(RejectThresholdError);
  });

  it('a record without a line end for over 64 KiB is one malformed row, then reading resumes', async () => {
    const path = write(
      `${HEADER}\n1,4.0,1425941529,as1\n${'x'.repeat(200_000)}\r\n2,4.0,1425941529,as1\n3,4.0,1425941529,"${'y'.repeat(70_000)}\n4,4.0,1425941529,as1\n`,
    );
    const r = await ingest([path], { maxRejectRatio: 1 });
    expect(rowsOf(r).map((row) => row[0])).toEqual([1, 2, 4]);
    expect(r.rejected.byReason.malformed).toBe(2);
    expect(r.rejected.examples.map((e) => [e.line, e.text.length])).toEqual([
      [3, 201],
      [5, 201],
    ]);
    expect(r.files[0].lineEnding).toBe('mixed');
  });

  it('a truncated last line is judged like any row and flagged', async () => {
    const lines = [HEADER, ...validLines(50, 8)];
    const cutInRow = write(`${lines.join('\n')}\n12,4.5,14259`);
    const r = await ingestBoth([cutInRow], { maxRejectRatio: 1 });
    expect(r.rows.length).toBe(50);
    expect(r.rejected.examples).toEqual([{ file: cutInRow, line: 52, reason: 'field_count', text: '12,4.5,14259' }]);
    expect(r.files[0].unterminatedLastLine).toBe(true);

    const cutAfterRow = write(lines.join('\n'));
    const s = await ingestBoth([cutAfterRow]);
    expect(s.rows.length).toBe(50);
    expect(s.files[0].unterminatedLastLine).toBe(true);
  });
});

describe('compareWithSummary', () => {
  const exact = () => {
    const perTitle = {
      count: new Uint32Array(titleIds.length),
      sum: new Float64Array(titleIds.length),
      halfStars: new Uint32Array(titleIds.length),
    };
    summary.forEach((s, i) => {
      perTitle.count[i] = s.n_ratings;
      perTitle.sum[i] = s.rating_sum;
      perTitle.halfStars[i] = s.n_half_star_ratings;
    });
    return perTitle;
  };

  it('finds no difference for aggregates equal to the summary', () => {
    const check = compareWithSummary(exact(), titleIds, summary);
    expect(check).toMatchObject({ ok: true, titlesCompared: titleIds.length, titlesDiffering: 0, examples: [] });
    expect(check.totals.actualRows).toBe(check.totals.expectedRows);
  });

  it('lists titles whose count, sum or half stars differ', () => {
    const perTitle = exact();
    perTitle.count[3]++;
    perTitle.sum[3] += 4;
    perTitle.halfStars[10]--;
    const check = compareWithSummary(perTitle, titleIds, summary.slice(0, -1));
    expect(check.ok).toBe(false);
    expect(check.titlesDiffering).toBe(2);
    expect(check.byField).toEqual({ n_ratings: 1, rating_sum: 1, n_half_star_ratings: 1 });
    expect(check.examples[0]).toEqual({
      movieId: titleIds[3],
      field: 'n_ratings',
      expected: summary[3].n_ratings,
      actual: summary[3].n_ratings + 1,
    });
    expect(check.notInSummary).toEqual([titleIds[titleIds.length - 1]]);
  });
});

describe('stand-in rating files', () => {
  it('the first 200,000 rows of 1.csv equal a naive parse of the same lines', async () => {
    // A small stand-in of its own (a clean clone has none in data/ratings): the generator's real output.
    const standIn = join(dir, 'standin');
    await generateStandIn({ outDir: standIn, seed: 42, scale: 0.03 });
    const lines: string[] = [];
    const input = createInterface({ input: createReadStream(join(standIn, '1.csv')), crlfDelay: Infinity });
    for await (const line of input) {
      lines.push(line);
      if (lines.length > 200_000) break;
    }
    input.close();
    const path = write(`${lines.join('\n')}\n`);
    const r = await ingestBoth([path]);
    expect(lines[0]).toBe(HEADER);
    const naive = lines.slice(1).map((line) => {
      const [u, rating, ts, movieId] = line.split(',');
      return [Number(u), movieId, Number(rating), Number(ts)];
    });
    expect(r.rejected.total).toBe(0);
    expect(rowsOf(r)).toEqual(naive);
  });
});

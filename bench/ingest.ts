/**
 * Measures the rating ingest on data/ratings/*.csv and prints one JSON line:
 *   npx tsx bench/ingest.ts [--parser bytes|csv-parse] [--threads N] [--dir DIR]
 * Peak RSS is process.resourceUsage().maxRSS, which covers the worker threads (they share the process).
 */
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareWithSummary, ingestRatings, type ParserName } from '../loader/ratings/ingest';
import { readSummary } from '../loader/ratings/summary';

const TARGET_ROWS_PER_SECOND = 1_000_000;
const TARGET_PEAK_RSS_MB = 1536;

const { values } = parseArgs({
  options: {
    parser: { type: 'string', default: 'bytes' },
    threads: { type: 'string', default: '2' },
    dir: { type: 'string', default: fileURLToPath(new URL('../data/ratings/', import.meta.url)) },
  },
});
const parser = values.parser as ParserName;
if (parser !== 'bytes' && parser !== 'csv-parse') throw new Error(`--parser must be bytes or csv-parse, got ${parser}`);
const files = readdirSync(values.dir)
  .filter((f) => /^\d+\.csv$/.test(f))
  .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
  .map((f) => join(values.dir, f));
if (files.length === 0) throw new Error(`no rating files (N.csv) in ${values.dir}`);

const summary = readSummary();
const titleIds = summary.map((s) => s.movieId);
const cpu0 = process.cpuUsage();
const result = await ingestRatings({ files, titleIds, parser, threads: Number(values.threads), maxRejectRatio: 1 });
const cpu = process.cpuUsage(cpu0);
const check = compareWithSummary(result.perTitle, titleIds, summary);
const rowsPerSecond = Math.round(result.totalRows / result.seconds);
const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);

console.log(
  JSON.stringify({
    parser,
    threads: Number(values.threads),
    files: files.length,
    bytes: result.files.reduce((n, f) => n + f.bytes, 0),
    totalRows: result.totalRows,
    keptRows: result.rows.length,
    rejected: result.rejected.total,
    users: result.users,
    seconds: Number(result.seconds.toFixed(3)),
    rowsPerSecond,
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
    peakRssMB,
    summaryMatches: check.ok,
    meetsTarget: rowsPerSecond >= TARGET_ROWS_PER_SECOND && peakRssMB <= TARGET_PEAK_RSS_MB,
  }),
);

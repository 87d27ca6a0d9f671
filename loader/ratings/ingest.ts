/**
 * Ingest of the rating files (docs/reference.md#rating-files and docs/reference.md#errors-and-bad-input):
 * files are parsed in parallel on worker threads, results are joined in file order into columns (RatingRows)
 * with per-title counts, sums and half-star counts.
 * Bad rows are counted by reason and skipped; above maxRejectRatio rejected rows the ingest throws
 * RejectThresholdError and the caller publishes nothing. Format and reasons: contract/ratings.ts.
 */
import { stat } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-threads';
import { allocRatingRows, type RatingRows } from './rows';
import { emptyReasonCounts, type FileResult, type RejectExample } from './file-result';
import { EXAMPLES_PER_REASON, REASONS, RatingsFileError, defaultMaxTimestamp, type Reason } from '../../contract/ratings';
import type { FromWorker, ParserName, ToWorker, WorkerSetup } from './parse-worker';

export { RatingsFileError, REASONS, type Reason } from '../../contract/ratings';
export type { RejectExample } from './file-result';
export type { ParserName } from './parse-worker';
export { compareWithSummary, type SummaryCheck } from './summary-check';

export interface IngestOptions {
  files: string[]; // in order; row order of the result = file order, then line order
  titleIds: string[]; // catalog ids; index here = RatingRows.title
  threads?: number; // default 2
  maxRejectRatio?: number; // default 0.01; rejected / data rows above it throws RejectThresholdError
  onProgress?: (p: { rows: number; bytes: number; totalBytes: number }) => void;
  /** 'bytes' (default, fast) or 'csv-parse' (the reference it is tested against). */
  parser?: ParserName;
  /** Latest accepted timestamp (unix seconds); default now + 1 day. */
  maxTimestamp?: number;
}

export interface PerTitle {
  count: Uint32Array;
  sum: Float64Array; // sum of ratings (multiples of 0.5, exact)
  halfStars: Uint32Array; // ratings ending in .5
}

export interface Rejected {
  total: number;
  byReason: Record<Reason, number>;
  examples: RejectExample[];
}

export interface IngestedFile {
  path: string;
  rows: number; // data rows, kept + rejected
  rejected: number;
  bytes: number;
  lineEnding: 'lf' | 'crlf' | 'mixed'; // 'lf' also when the file has no line end at all
  unterminatedLastLine: boolean; // the file does not end with a line end (a cut-off copy?)
}

export interface IngestResult {
  rows: RatingRows;
  perTitle: PerTitle;
  totalRows: number;
  rejected: Rejected;
  files: IngestedFile[];
  users: number;
  seconds: number;
}

/** Too many rows were rejected: the load must stop and publish nothing. */
export class RejectThresholdError extends Error {
  override name = 'RejectThresholdError';
  constructor(
    readonly rejected: Rejected,
    readonly totalRows: number,
    readonly maxRejectRatio: number,
    readonly files: IngestedFile[],
  ) {
    const pct = (n: number) => `${((n / Math.max(1, totalRows)) * 100).toFixed(2)}%`;
    const reasons = REASONS.filter((r) => rejected.byReason[r] > 0).map((r) => `${r} ${rejected.byReason[r]}`);
    const examples = rejected.examples.slice(0, 5).map((e) => `${e.file}:${e.line} ${e.reason} ${JSON.stringify(e.text)}`);
    super(
      `ratings: ${rejected.total} of ${totalRows} rows rejected (${pct(rejected.total)}), above the ` +
        `${(maxRejectRatio * 100).toFixed(2)}% limit; nothing may be published. By reason: ${reasons.join(', ')}. ` +
        `First: ${examples.join('; ')}`,
    );
  }
}

export async function ingestRatings(opts: IngestOptions): Promise<IngestResult> {
  const t0 = performance.now();
  const { files, titleIds } = opts;
  const maxRejectRatio = opts.maxRejectRatio ?? 0.01;
  if (files.length === 0) throw new Error('ingestRatings: no rating files given');
  const sizes = await Promise.all(
    files.map((path) =>
      stat(path).then(
        (s) => {
          if (!s.isFile()) throw new RatingsFileError(path, 'not a regular file');
          return s.size;
        },
        (e: Error) => {
          throw new RatingsFileError(path, `cannot open: ${e.message}`);
        },
      ),
    ),
  );
  const setup: WorkerSetup = {
    titleIds,
    maxTimestamp: opts.maxTimestamp ?? defaultMaxTimestamp(),
    parser: opts.parser ?? 'bytes',
  };
  const results = await runWorkers(files, sizes, setup, Math.max(1, Math.min(opts.threads ?? 2, files.length)), opts.onProgress);
  const result = joinResults(results, titleIds.length, t0);
  if (result.rejected.total > maxRejectRatio * result.totalRows) {
    throw new RejectThresholdError(result.rejected, result.totalRows, maxRejectRatio, result.files);
  }
  return result;
}

/** Hands files to `threads` workers, largest first; resolves with results in file order. */
function runWorkers(
  files: string[],
  sizes: number[],
  setup: WorkerSetup,
  threads: number,
  onProgress: IngestOptions['onProgress'],
): Promise<FileResult[]> {
  const queue = files.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const results: FileResult[] = new Array(files.length);
  const progress = files.map(() => ({ rows: 0, bytes: 0 }));
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const workers: Worker[] = [];
  let remaining = files.length;
  let settled = false;

  return new Promise<FileResult[]>((resolve, reject) => {
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (error) reject(error);
      else resolve(results);
    };
    const report = () => {
      if (!onProgress) return;
      let rows = 0;
      let bytes = 0;
      for (const p of progress) {
        rows += p.rows;
        bytes += p.bytes;
      }
      onProgress({ rows, bytes, totalBytes });
    };
    const next = (w: Worker) => {
      const index = queue.shift();
      if (index !== undefined) w.postMessage({ type: 'file', index, path: files[index] } satisfies ToWorker);
    };
    for (let t = 0; t < threads; t++) {
      const w = startWorker('./ratings/parse-worker.ts', setup);
      workers.push(w);
      w.on('message', (m: FromWorker) => {
        if (m.type === 'progress') {
          progress[m.index] = { rows: m.rows, bytes: m.bytes };
          report();
        } else if (m.type === 'done') {
          results[m.index] = m.result;
          progress[m.index] = { rows: m.result.dataRows, bytes: m.result.bytes };
          report();
          if (--remaining === 0) finish(null);
          else next(w);
        } else {
          const e = m.error;
          finish(
            e.path !== undefined && e.problem !== undefined
              ? new RatingsFileError(e.path, e.problem, e.line)
              : new Error(`ratings worker failed on ${files[m.index]}: ${e.message}`),
          );
        }
      });
      w.on('error', (e) => finish(new Error(`ratings worker crashed: ${e.message}`, { cause: e })));
      w.on('exit', (code) => finish(new Error(`ratings worker exited (code ${code}) before all files were read`)));
      next(w);
    }
  });
}

function joinResults(results: FileResult[], titleCount: number, t0: number): IngestResult {
  const length = results.reduce((n, r) => n + r.rows.length, 0);
  const rows = allocRatingRows(length);
  const perTitle: PerTitle = {
    count: new Uint32Array(titleCount),
    sum: new Float64Array(titleCount),
    halfStars: new Uint32Array(titleCount),
  };
  const byReason = emptyReasonCounts();
  const examples: RejectExample[] = [];
  const files: IngestedFile[] = [];
  let offset = 0;
  let totalRows = 0;
  for (const r of results) {
    rows.user.set(r.rows.user, offset);
    rows.title.set(r.rows.title, offset);
    rows.half.set(r.rows.half, offset);
    rows.ts.set(r.rows.ts, offset);
    offset += r.rows.length;
    for (let t = 0; t < titleCount; t++) {
      perTitle.count[t] += r.count[t];
      perTitle.sum[t] += r.halfSum[t] / 2;
      perTitle.halfStars[t] += r.halfStars[t];
    }
    for (const reason of REASONS) byReason[reason] += r.byReason[reason];
    for (const e of r.examples) {
      if (examples.filter((x) => x.reason === e.reason).length < EXAMPLES_PER_REASON) examples.push(e);
    }
    totalRows += r.dataRows;
    files.push({
      path: r.path,
      rows: r.dataRows,
      rejected: r.dataRows - r.rows.length,
      bytes: r.bytes,
      lineEnding: r.crlfLines === 0 ? 'lf' : r.lfLines === 0 ? 'crlf' : 'mixed',
      unterminatedLastLine: r.unterminatedLastLine,
    });
  }
  const rejectedTotal = totalRows - length;
  return {
    rows,
    perTitle,
    totalRows,
    rejected: { total: rejectedTotal, byReason, examples },
    files,
    users: countDistinct(rows.user),
    seconds: (performance.now() - t0) / 1000,
  };
}

function countDistinct(values: Int32Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  if (max < 1 << 28) {
    const seen = new Uint32Array((max >>> 5) + 1);
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const bit = 1 << (v & 31);
      if ((seen[v >>> 5] & bit) === 0) {
        seen[v >>> 5] |= bit;
        n++;
      }
    }
    return n;
  }
  const sorted = values.slice().sort();
  let n = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) n++;
  return n;
}

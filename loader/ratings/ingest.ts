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
import type { RatingRows } from './rows';
import { allocSharedColumns, emptyReasonCounts, type FileResult, type RejectExample, type SharedColumns } from './file-result';
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
  const threads = Math.max(1, Math.min(opts.threads ?? 2, files.length));
  const { results, columns } = await parseInRegions(files, sizes, setup, threads, opts.onProgress);
  const result = joinResults(results, columns, titleIds.length, t0);
  if (result.rejected.total > maxRejectRatio * result.totalRows) {
    throw new RejectThresholdError(result.rejected, result.totalRows, maxRejectRatio, result.files);
  }
  return result;
}

/**
 * Two passes over the files on `threads` workers, largest file first: the first counts each file's
 * lines, the second parses each file straight into its region of one set of shared columns, sized from
 * those counts. The rows are then never copied out of per-file arrays: the copies, freed in the
 * workers' allocator arenas, had stayed in the process as ~12 bytes a row through training
 * (docs/loader-memory.md).
 */
async function parseInRegions(
  files: string[],
  sizes: number[],
  setup: WorkerSetup,
  threads: number,
  onProgress: IngestOptions['onProgress'],
): Promise<{ results: FileResult[]; columns: SharedColumns }> {
  const order = files.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const workers = Array.from({ length: threads }, () => startWorker('./ratings/parse-worker.ts', setup));
  try {
    const capacity = await runPass(
      workers,
      files,
      order,
      (index) => ({ type: 'count', index, path: files[index] }),
      (m) => (m.type === 'counted' ? m.maxRecords : undefined),
    );
    const columns = allocSharedColumns(capacity.reduce((a, b) => a + b, 0));
    const offsets: number[] = [];
    for (let i = 0, at = 0; i < capacity.length; at += capacity[i++]) offsets.push(at);
    const progress = files.map(() => ({ rows: 0, bytes: 0 }));
    const totalBytes = sizes.reduce((a, b) => a + b, 0);
    const report = (index: number, rows: number, bytes: number) => {
      progress[index] = { rows, bytes };
      onProgress?.({
        rows: progress.reduce((n, p) => n + p.rows, 0),
        bytes: progress.reduce((n, p) => n + p.bytes, 0),
        totalBytes,
      });
    };
    const results = await runPass(
      workers,
      files,
      order,
      (index) => ({ type: 'file', index, path: files[index], region: { columns, offset: offsets[index], capacity: capacity[index] } }),
      (m) => {
        if (m.type === 'progress') report(m.index, m.rows, m.bytes);
        if (m.type !== 'done') return undefined;
        report(m.index, m.result.dataRows, m.result.bytes);
        return m.result;
      },
    );
    return { results, columns };
  } finally {
    for (const w of workers) void w.terminate();
  }
}

/** One task per file on the workers, in `order`; resolves with what `take` makes of each file's answer, in file order. */
function runPass<T>(
  workers: Worker[],
  files: string[],
  order: number[],
  task: (index: number) => ToWorker,
  take: (m: Exclude<FromWorker, { type: 'failed' }>) => T | undefined,
): Promise<T[]> {
  const queue = [...order];
  const results: T[] = new Array(files.length);
  let remaining = files.length;
  return new Promise<T[]>((resolve, reject) => {
    const unlisten: (() => void)[] = [];
    const listen = <A extends unknown[]>(w: Worker, event: 'message' | 'error' | 'exit', fn: (...args: A) => void) => {
      w.on(event, fn as (...args: unknown[]) => void);
      unlisten.push(() => w.off(event, fn as (...args: unknown[]) => void));
    };
    let settled = false;
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      for (const off of unlisten) off();
      if (error) reject(error);
      else resolve(results);
    };
    const next = (w: Worker) => {
      const index = queue.shift();
      if (index !== undefined) w.postMessage(task(index) satisfies ToWorker);
    };
    for (const w of workers) {
      listen(w, 'message', (m: FromWorker) => {
        if (m.type === 'failed') {
          const e = m.error;
          finish(
            e.path !== undefined && e.problem !== undefined
              ? new RatingsFileError(e.path, e.problem, e.line)
              : new Error(`ratings worker failed on ${files[m.index]}: ${e.message}`),
          );
          return;
        }
        const value = take(m);
        if (value === undefined) return;
        results[m.index] = value;
        if (--remaining === 0) finish(null);
        else next(w);
      });
      listen(w, 'error', (e: Error) => finish(new Error(`ratings worker crashed: ${e.message}`, { cause: e })));
      listen(w, 'exit', (code: number) => finish(new Error(`ratings worker exited (code ${code}) before all files were read`)));
      next(w);
    }
  });
}

/**
 * The files' rows made contiguous where they are: each file's region, in file order, moved down over
 * the slack its predecessors left (their header, blank and rejected lines), so no second copy of the
 * rows is ever made.
 */
function joinResults(results: FileResult[], columns: SharedColumns, titleCount: number, t0: number): IngestResult {
  const length = results.reduce((n, r) => n + r.rows.length, 0);
  const rows: RatingRows = {
    length,
    user: new Int32Array(columns.user, 0, length),
    title: new Uint16Array(columns.title, 0, length),
    half: new Uint8Array(columns.half, 0, length),
    ts: new Uint32Array(columns.ts, 0, length),
  };
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
  const whole = {
    user: new Int32Array(columns.user),
    title: new Uint16Array(columns.title),
    half: new Uint8Array(columns.half),
    ts: new Uint32Array(columns.ts),
  };
  for (const r of results) {
    // The file's rows are a view of its region; copyWithin moves them as memmove does, without a copy.
    const from = r.rows.half.byteOffset;
    const to = from + r.rows.length;
    if (from !== offset) for (const column of Object.values(whole)) column.copyWithin(offset, from, to);
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

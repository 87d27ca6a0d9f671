/**
 * Worker thread that ingests whole rating files, one per request: first it counts a file's lines (so the
 * ingest can size the file's region of the shared columns), then it parses the file straight into that
 * region and sends the rest of the result back with its typed arrays transferred (no copy, no per-row
 * objects). Started through ../ts-worker.mjs (worker-threads.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { maxRecords, parseFileBytes } from './parse-bytes';
import { parseFileCsv } from './parse-csv';
import { transferables, type RowRegion } from './file-result';
import { RatingsFileError, makeContext } from '../../contract/ratings';
import { IdTable } from './id-table';

export type ParserName = 'bytes' | 'csv-parse';

export interface WorkerSetup {
  titleIds: string[];
  maxTimestamp: number;
  parser: ParserName;
}

export type ToWorker = { type: 'count'; index: number; path: string } | { type: 'file'; index: number; path: string; region: RowRegion };
export type FromWorker =
  | { type: 'counted'; index: number; maxRecords: number }
  | { type: 'progress'; index: number; rows: number; bytes: number }
  | { type: 'done'; index: number; result: import('./file-result').FileResult }
  | { type: 'failed'; index: number; error: { name: string; message: string; path?: string; problem?: string; line?: number } };

const setup = workerData as WorkerSetup;
const ctx = makeContext(setup.titleIds, setup.maxTimestamp);
const ids = setup.parser === 'bytes' ? new IdTable(setup.titleIds) : null;
const port = parentPort!;

port.on('message', async (task: ToWorker) => {
  const progress = (rows: number, bytes: number) =>
    port.postMessage({ type: 'progress', index: task.index, rows, bytes } satisfies FromWorker);
  try {
    if (task.type === 'count') {
      port.postMessage({ type: 'counted', index: task.index, maxRecords: maxRecords(task.path) } satisfies FromWorker);
      return;
    }
    const result = ids
      ? parseFileBytes(task.path, ctx, ids, task.region, progress)
      : await parseFileCsv(task.path, ctx, task.region, progress);
    port.postMessage({ type: 'done', index: task.index, result } satisfies FromWorker, transferables(result));
  } catch (e) {
    const err = e as Error;
    const error =
      err instanceof RatingsFileError
        ? { name: err.name, message: err.message, path: err.path, problem: err.problem, line: err.line }
        : { name: err.name, message: err.stack ?? err.message };
    port.postMessage({ type: 'failed', index: task.index, error } satisfies FromWorker);
  }
});

/**
 * Worker thread that ingests whole rating files, one per request, and sends each result back with its typed
 * arrays transferred (no copy, no per-row objects). Started through ../ts-worker.mjs (worker-threads.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseFileBytes } from './parse-bytes';
import { parseFileCsv } from './parse-csv';
import { transferables } from './file-result';
import { RatingsFileError, makeContext } from '../../contract/ratings';
import { IdTable } from './id-table';

export type ParserName = 'bytes' | 'csv-parse';

export interface WorkerSetup {
  titleIds: string[];
  maxTimestamp: number;
  parser: ParserName;
}

export type ToWorker = { type: 'file'; index: number; path: string };
export type FromWorker =
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
    const result = ids ? parseFileBytes(task.path, ctx, ids, progress) : await parseFileCsv(task.path, ctx, progress);
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

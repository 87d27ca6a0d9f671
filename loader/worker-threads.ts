// Starts a worker thread running one of the loader's TypeScript worker modules (see ts-worker.mjs):
// the rating-file parsers, the SGD pool and the top-N precompute.
import { Worker } from 'node:worker_threads';

const BOOTSTRAP = new URL('./ts-worker.mjs', import.meta.url);

export type WorkerEntry = './ratings/parse-worker.ts' | './recommender/mf-worker.ts' | './recommender/topn-worker.ts';

export function startWorker(entry: WorkerEntry, data: object = {}): Worker {
  return new Worker(BOOTSTRAP, { workerData: { ...data, entry } });
}

/** Resolves with the worker's first message; rejects if it fails or exits first. */
export function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (message: T) => {
      cleanup();
      resolve(message);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`recommender worker exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

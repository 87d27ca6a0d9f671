// Runs the blocks of one stratum on worker threads that share the ratings and parameters through
// SharedArrayBuffers. The caller waits for the whole stratum before the next one, which is the
// only synchronisation DSGD needs. With one thread the blocks run inline, with the same result.
import { Worker } from 'node:worker_threads';
import { sgdRange, type FactorParams, type StepSizes } from './mf-kernel';

export interface SharedRun {
  params: FactorParams; // arrays on SharedArrayBuffers
  user: Int32Array;
  title: Int32Array;
  rating: Float32Array;
  blockStart: Int32Array;
}

export type PoolMessage = { type: 'load'; run: SharedRun } | { type: 'blocks'; blocks: number[]; step: StepSizes };
export interface PoolReply {
  sse: number[];
}

const WORKER_URL = new URL('./mf-worker.mjs', import.meta.url);

export class SgdPool {
  private workers: Worker[] = [];
  private run: SharedRun | undefined;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    for (let t = 0; t < threads && threads > 1; t++) this.workers.push(new Worker(WORKER_URL));
  }

  load(run: SharedRun): void {
    this.run = run;
    for (const worker of this.workers) worker.postMessage({ type: 'load', run } satisfies PoolMessage);
  }

  /** Runs the (mutually independent) blocks; returns their squared errors summed in block order. */
  async runBlocks(blocks: number[], step: StepSizes): Promise<number> {
    const run = this.run;
    if (!run) throw new Error('SgdPool: load a run first');
    const sse = new Float64Array(blocks.length);
    if (this.workers.length === 0) {
      blocks.forEach((block, j) => {
        sse[j] = sgdRange(run.params, run.user, run.title, run.rating, run.blockStart[block], run.blockStart[block + 1], step);
      });
    } else {
      await Promise.all(
        this.workers.map(async (worker, t) => {
          const mine = blocks.map((block, j) => ({ block, j })).filter(({ j }) => j % this.workers.length === t);
          if (mine.length === 0) return;
          const reply = await request(worker, { type: 'blocks', blocks: mine.map((m) => m.block), step });
          mine.forEach(({ j }, i) => (sse[j] = reply.sse[i]));
        }),
      );
    }
    let total = 0;
    for (let j = 0; j < blocks.length; j++) total += sse[j];
    return total;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.workers = [];
  }
}

function request(worker: Worker, message: PoolMessage): Promise<PoolReply> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: PoolReply) => (cleanup(), resolve(reply));
    const onError = (error: Error) => (cleanup(), reject(error));
    const onExit = (code: number) => (cleanup(), reject(new Error(`SGD worker exited with code ${code}`)));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(message);
  });
}

// Runs the blocks of one stratum on worker threads that share one WebAssembly memory (ratings and
// parameters). The caller waits for the whole stratum before the next one, which is the only
// synchronisation DSGD needs. With one thread the blocks run inline, with the same result.
import type { Worker } from 'node:worker_threads';
import type { StepSizes } from './mf-params';
import { instantiateSgd, type SgdFunction } from './mf-wasm';
import { nextMessage, startWorker } from '../worker-threads';

/** Everything a thread needs to run blocks: the memory, the compiled kernel, where things are. */
export interface SharedRun {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  offsets: { user: number; title: number; rating: number; P: number; Q: number; userBias: number; titleBias: number };
  k: number;
  mean: number;
  blockStart: Int32Array;
}

export type PoolMessage = { type: 'load'; run: SharedRun } | { type: 'blocks'; blocks: number[]; step: StepSizes };
export interface PoolReply {
  sse: number[];
}

// Blocks run in slices so the engine's optimising tier (compiled in the background after the first
// calls) takes over early instead of after a whole first block.
const SLICE = 1 << 16;

/** Runs one block on `sgd`; returns its squared error. Used inline and by the workers. */
export function runBlock(sgd: SgdFunction, run: SharedRun, block: number, step: StepSizes): number {
  const { offsets: o } = run;
  let sse = 0;
  for (let from = run.blockStart[block], end = run.blockStart[block + 1]; from < end; from += SLICE) {
    sse += sgd(
      from,
      Math.min(end, from + SLICE),
      o.user,
      o.title,
      o.rating,
      o.P,
      o.Q,
      o.userBias,
      o.titleBias,
      run.k * 4,
      run.mean,
      step.learningRate,
      step.learningRateBias,
      step.regFactors,
      step.regUserBias,
      step.regTitleBias,
    );
  }
  return sse;
}

export class SgdPool {
  private workers: Worker[] = [];
  private run: SharedRun | undefined;
  private inline: SgdFunction | undefined;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    if (threads > 1) for (let t = 0; t < threads; t++) this.workers.push(startWorker('./recommender/mf-worker.ts'));
  }

  load(run: SharedRun): void {
    this.run = run;
    if (this.workers.length === 0) this.inline = instantiateSgd(run.module, run.memory);
    for (const worker of this.workers) worker.postMessage({ type: 'load', run } satisfies PoolMessage);
  }

  /** Runs the (mutually independent) blocks; returns their squared errors summed in block order. */
  async runBlocks(blocks: number[], step: StepSizes): Promise<number> {
    const run = this.run;
    if (!run) throw new Error('SgdPool: load a run first');
    const sse = new Float64Array(blocks.length);
    if (this.inline) {
      blocks.forEach((block, j) => (sse[j] = runBlock(this.inline!, run, block, step)));
    } else {
      const T = this.workers.length;
      await Promise.all(
        this.workers.map(async (worker, t) => {
          const mine = blocks.map((block, j) => ({ block, j })).filter(({ j }) => j % T === t);
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
  const reply = nextMessage<PoolReply>(worker);
  worker.postMessage(message);
  return reply;
}

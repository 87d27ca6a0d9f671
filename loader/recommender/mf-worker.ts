// Worker side of the SGD pool: holds views of the shared ratings and parameters, runs the blocks it
// is told to, and answers with each block's squared error. No state beyond the current run.
import { parentPort } from 'node:worker_threads';
import { sgdRange, type FactorParams, type StepSizes } from './mf-kernel';
import type { PoolMessage, PoolReply, SharedRun } from './mf-pool';

let run: SharedRun | undefined;

parentPort!.on('message', (message: PoolMessage) => {
  if (message.type === 'load') {
    run = message.run;
    return;
  }
  if (!run) throw new Error('mf-worker: blocks requested before a run was loaded');
  const sse = message.blocks.map((block) => runBlock(run!, block, message.step));
  parentPort!.postMessage({ sse } satisfies PoolReply);
});

function runBlock(shared: SharedRun, block: number, step: StepSizes): number {
  const params: FactorParams = shared.params;
  return sgdRange(params, shared.user, shared.title, shared.rating, shared.blockStart[block], shared.blockStart[block + 1], step);
}

// Worker side of the SGD pool: instantiates the kernel on the shared memory of the current run and
// runs the blocks it is told to, answering with each block's squared error.
import { parentPort } from 'node:worker_threads';
import { runBlock, type PoolMessage, type PoolReply, type SharedRun } from './mf-pool';
import { instantiateSgd, type SgdFunction } from './mf-wasm';

let current: { run: SharedRun; sgd: SgdFunction } | undefined;

parentPort!.on('message', (message: PoolMessage) => {
  if (message.type === 'load') {
    current = { run: message.run, sgd: instantiateSgd(message.run.module, message.run.memory) };
    return;
  }
  if (!current) throw new Error('mf-worker: blocks requested before a run was loaded');
  const { run, sgd } = current;
  const sse = message.blocks.map((block) => runBlock(sgd, run, block, message.step));
  parentPort!.postMessage({ sse } satisfies PoolReply);
});

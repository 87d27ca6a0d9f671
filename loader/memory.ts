// A full garbage collection on demand, for the points where a stage has just dropped hundreds of
// megabytes (the ingested rows once prepared, the training memory once the model is copied out) and
// the next stage is about to allocate as much again. V8 collects array buffers when their external
// memory grows, but a shared WebAssembly memory and worker-held buffers are freed only by a full
// collection, which may come after the next allocation: the peak then holds both
// (docs/reference.md#loader-memory). Costs tens of milliseconds with the loader's small JS heap.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** Runs a full collection now. */
export function collectGarbage(): void {
  if (!gc) {
    // The documented way to reach V8's gc() without starting node with --expose-gc: the flag applies
    // to contexts created after it is set.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

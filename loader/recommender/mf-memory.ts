// The shared WebAssembly memory a factorization trains in: the ratings in block order, then the
// factors and biases. Sized once for the largest run and reused by the runs after it (the
// validation run, the refit, the holdout model, the published model), so a load holds one training
// copy of the ratings at a time instead of one per run, each freed only when the collector got to it.
import { SharedArena } from './mf-wasm';

export interface SgdRunMemory {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  offsets: Record<'user' | 'title' | 'rating' | 'P' | 'Q' | 'userBias' | 'titleBias', number>;
}

export class SgdMemory {
  private run: SgdRunMemory | undefined;

  /** Room for up to `maxPairs` ratings, `nUsers` users and `nTitles` titles of `k` factors. */
  constructor(
    readonly maxPairs: number,
    readonly nUsers: number,
    readonly nTitles: number,
    readonly k: number,
  ) {}

  /** The memory for a run of `nPairs` ratings (allocated on first use). */
  claim(nPairs: number, nUsers: number, nTitles: number, k: number): SgdRunMemory {
    if (nPairs > this.maxPairs || nUsers !== this.nUsers || nTitles !== this.nTitles || k !== this.k) {
      throw new RangeError(
        `SgdMemory: a run of ${nPairs} pairs, ${nUsers} users, ${nTitles} titles, k ${k} does not fit memory for ${this.maxPairs}, ${this.nUsers}, ${this.nTitles}, ${this.k}`,
      );
    }
    if (!this.run) {
      const { memory, module, offsets } = new SharedArena()
        .add('user', this.maxPairs * 4)
        .add('title', this.maxPairs * 4)
        .add('rating', this.maxPairs * 4)
        .add('P', nUsers * k * 4)
        .add('Q', nTitles * k * 4)
        .add('userBias', nUsers * 4)
        .add('titleBias', nTitles * 4)
        .allocate();
      this.run = { memory, module, offsets: offsets as SgdRunMemory['offsets'] };
    }
    return this.run;
  }
}

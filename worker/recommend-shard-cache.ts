// A per-isolate LRU of user shard values bounded by their total bytes, not their count: the shard
// size is a loader setting, and the isolate's memory limit is in bytes. Like the other per-isolate
// caches (worker/data.ts ResolvedCache) it holds resolved values only: workerd cancels a request that
// waits on a promise another request started, so concurrent misses each read for themselves.

export class ShardCache {
  readonly #values = new Map<string, ArrayBuffer>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes held now (at most maxBytes). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#values.size;
  }

  async get(key: string, load: () => Promise<ArrayBuffer>): Promise<ArrayBuffer> {
    const hit = this.#values.get(key);
    if (hit !== undefined) {
      this.#values.delete(key); // re-inserted: most recently used last
      this.#values.set(key, hit);
      return hit;
    }
    const value = await load();
    const raced = this.#values.get(key);
    if (raced !== undefined) return raced; // another request read it meanwhile: keep one copy
    if (value.byteLength > this.maxBytes) return value; // would evict everything and still not fit
    this.#values.set(key, value);
    this.#bytes += value.byteLength;
    for (const [oldest, old] of this.#values) {
      if (this.#bytes <= this.maxBytes) break;
      this.#values.delete(oldest);
      this.#bytes -= old.byteLength;
    }
    return value;
  }

  clear(): void {
    this.#values.clear();
    this.#bytes = 0;
  }
}

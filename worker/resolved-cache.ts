// The per-isolate cache every decoded value and user record goes through. No runtime imports: the
// node tests exercise it directly.

/**
 * Per-isolate cache of RESOLVED values, least recently used dropped first, holding at most `capacity`
 * in units of `weigh` (one per value by default: a count; bytes for user records, since the isolate's
 * limit is in bytes). In-flight reads are never shared between requests: workerd cancels a request
 * that waits on a promise only another request's I/O can settle ("code had hung"), so concurrent
 * cold requests each read, and the first result stays.
 */
export class ResolvedCache<V> {
  readonly #values = new Map<string, V>();
  #weight = 0;
  constructor(
    readonly capacity: number,
    readonly weigh: (value: V) => number = () => 1,
  ) {}

  /** What the held values weigh together (at most capacity). */
  get weight(): number {
    return this.#weight;
  }

  get size(): number {
    return this.#values.size;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.#values.get(key);
    if (hit !== undefined) {
      this.#values.delete(key); // re-inserted: most recently used last
      this.#values.set(key, hit);
      return hit;
    }
    const value = await load();
    const raced = this.#values.get(key);
    if (raced !== undefined) return raced; // another request read it meanwhile: keep one copy
    const weight = this.weigh(value);
    if (weight > this.capacity) return value; // would evict everything and still not fit
    this.#values.set(key, value);
    this.#weight += weight;
    for (const [oldest, old] of this.#values) {
      if (this.#weight <= this.capacity) break;
      this.#values.delete(oldest);
      this.#weight -= this.weigh(old);
    }
    return value;
  }

  clear(): void {
    this.#values.clear();
    this.#weight = 0;
  }
}

// The worker's per-isolate caches: least recently used out first, bounded by count or (user shards) by bytes.
import { describe, expect, it } from 'vitest';
import { ResolvedCache } from '../../worker/resolved-cache';

const buffer = (bytes: number) => new ArrayBuffer(bytes);
class ShardCache extends ResolvedCache<ArrayBuffer> {
  constructor(maxBytes: number) {
    super(maxBytes, (shard) => shard.byteLength);
  }
  get bytes(): number {
    return this.weight;
  }
}

describe('ResolvedCache', () => {
  it('by count by default: the live value and the one it replaced', async () => {
    const cache = new ResolvedCache<string>(2);
    for (const key of ['v1', 'v2', 'v3']) await cache.get(key, async () => key.toUpperCase());
    expect(cache.size).toBe(2);
    expect(await cache.get('v3', async () => 'reread')).toBe('V3');
    expect(await cache.get('v1', async () => 'reread')).toBe('reread');
  });

  it('reads each key once while it fits, and evicts the least recently used beyond the byte budget', async () => {
    const cache = new ShardCache(100);
    const reads: string[] = [];
    const get = (key: string, bytes = 40) =>
      cache.get(key, async () => {
        reads.push(key);
        return buffer(bytes);
      });
    const a = await get('a');
    await get('b');
    expect(await get('a')).toBe(a); // a is now the most recently used
    expect(reads).toEqual(['a', 'b']);
    await get('c'); // 120 bytes: b, the least recently used, goes
    expect(cache.bytes).toBe(80);
    expect(cache.size).toBe(2);
    await get('a');
    await get('b');
    expect(reads).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.bytes).toBeLessThanOrEqual(100);
  });

  it('counts bytes, not values: many small shards fit where few large ones do', async () => {
    const cache = new ShardCache(1000);
    for (let i = 0; i < 50; i++) await cache.get(`small${i}`, async () => buffer(20));
    expect(cache.size).toBe(50);
    await cache.get('large', async () => buffer(900));
    expect(cache.size).toBe(6); // the large one and the five most recent small ones
    expect(cache.bytes).toBe(1000);
  });

  it('does not keep a value larger than the whole budget, and keeps what it holds', async () => {
    const cache = new ShardCache(100);
    await cache.get('a', async () => buffer(60));
    const huge = await cache.get('huge', async () => buffer(101));
    expect(huge.byteLength).toBe(101);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(60);
  });

  it('keeps one copy when concurrent misses for a key both read it', async () => {
    const cache = new ShardCache(100);
    const [x, y] = await Promise.all([cache.get('a', async () => buffer(30)), cache.get('a', async () => buffer(30))]);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(30);
    expect(await cache.get('a', async () => buffer(30))).toBe(x);
    expect(y.byteLength).toBe(30);
  });

  it('clear forgets everything', async () => {
    const cache = new ShardCache(100);
    await cache.get('a', async () => buffer(30));
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });
});

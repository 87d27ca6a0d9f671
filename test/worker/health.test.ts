import { describe, expect, it } from 'vitest';
import { get, livePointer } from './client';
import { testBundle } from './bundle-transport';

const bundle = await testBundle();

describe('/health', () => {
  it('reports the live version, its build and publish times, ratings source and counts', async () => {
    const pointer = await livePointer();
    const response = await get('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      version: bundle.version,
      built_at: bundle.health.built_at,
      published_at: pointer.published_at,
      ratings_source: bundle.health.ratings_source,
      counts: bundle.health.counts,
    });
    expect(response.headers.get('X-Data-Version')).toBe(bundle.version);
  });

  it('counts the real catalog', async () => {
    const body = await (await get('/health')).json<{ counts: { titles: number; movies: number } }>();
    expect(body.counts.titles).toBe(22998);
    expect(body.counts.movies).toBe(7814 + 1052 + 1484 + 6131);
  });

  it('ignores query parameters', async () => {
    const a = await get('/health?verbose=1&x=%00');
    expect(a.status).toBe(200);
    expect(a.headers.get('ETag')).toBe((await get('/health')).headers.get('ETag'));
  });
});

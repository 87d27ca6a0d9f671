import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ARTIFACT, CURRENT_KEY, manifestKey } from '../../contract';
import { clearDataCache, loadQueryIndex, POINTER_TTL_MS, readPointer } from '../../worker/data';
import { handleRequest } from '../../worker/router';
import { testBundle } from './bundle-transport';
import { livePointer as readLivePointer, pointAt, recordingKV } from './client';

const bundle = await testBundle();
const livePointer = await readLivePointer();
const manifestOfLive = manifestKey(livePointer.version);
const indexKey = livePointer.artifacts[ARTIFACT.queryIndex];

async function get(path: string, kv: KVNamespace = env.KV): Promise<Response> {
  return await handleRequest(new Request(`http://worker.test${path}`), { ...env, KV: kv });
}

let publishedPointer: string;
beforeEach(async () => {
  publishedPointer = (await env.KV.get(CURRENT_KEY, 'text'))!;
  clearDataCache();
});
afterEach(async () => {
  await env.KV.put(CURRENT_KEY, publishedPointer);
  clearDataCache();
  vi.restoreAllMocks();
});

describe('the pointer', () => {
  it('names the published version only: a few dozen bytes, however many artifacts the version has', async () => {
    expect(Object.keys(JSON.parse(publishedPointer)).sort()).toEqual(['published_at', 'version']);
    expect(publishedPointer.length).toBeLessThan(100);
    expect(Object.keys(livePointer.artifacts).length).toBeGreaterThan(10);
  });

  it('is cached per isolate for a few seconds; the manifest it names is read once per version', async () => {
    const { kv, reads } = recordingKV();
    const now = Date.now();
    const pointer = await readPointer(kv, now);
    expect(pointer).toEqual(livePointer);
    expect(await readPointer(kv, now + POINTER_TTL_MS - 1)).toBe(pointer);
    expect(reads).toEqual([CURRENT_KEY, manifestOfLive]);
    expect(await readPointer(kv, now + POINTER_TTL_MS)).toBe(pointer);
    expect(reads).toEqual([CURRENT_KEY, manifestOfLive, CURRENT_KEY]);
  });

  it('is an error (not "nothing published") when the manifest it names is missing', async () => {
    await pointAt({ ...livePointer, version: 'no-manifest' });
    await env.KV.delete(manifestKey('no-manifest'));
    await expect(readPointer(env.KV)).rejects.toThrow(/manifest\/no-manifest is missing/);
  });

  it('is null when nothing is published', async () => {
    await env.KV.delete(CURRENT_KEY);
    expect(await readPointer(env.KV)).toBeNull();
  });

  it('is re-read after a failure instead of caching it', async () => {
    await env.KV.put(CURRENT_KEY, '{"not":"a pointer"}');
    await expect(readPointer(env.KV)).rejects.toThrow(/does not hold a data pointer/);
    await env.KV.put(CURRENT_KEY, publishedPointer);
    expect((await readPointer(env.KV))?.version).toBe(bundle.version);
  });
});

describe('the query index', () => {
  it('is read and decoded once per blob, then served from the isolate', async () => {
    const { kv, reads } = recordingKV();
    const a = await loadQueryIndex(kv, livePointer);
    expect(await loadQueryIndex(kv, livePointer)).toBe(a);
    expect(reads).toEqual([indexKey]);
    expect(a.platforms.map((p) => p.total)).toEqual([9668, 1450, 3073, 8807]);
  });

  it('never shares an in-flight read between concurrent requests (workerd cancels such waits as hung)', async () => {
    const { kv, reads } = recordingKV();
    const [a, b] = await Promise.all([loadQueryIndex(kv, livePointer), loadQueryIndex(kv, livePointer)]);
    expect(reads).toEqual([indexKey, indexKey]);
    expect(await loadQueryIndex(kv, livePointer)).toBe(a); // the first result stays cached
    expect(b.platforms).toEqual(a.platforms);
  });
});

describe('KV reads per request', () => {
  it('costs three on a cold isolate (pointer, manifest, index) and none on a warm one', async () => {
    const { kv, reads } = recordingKV();
    expect((await get('/get_count_platform?platform=netflix', kv)).status).toBe(200);
    expect(reads).toEqual([CURRENT_KEY, manifestOfLive, indexKey]);
    reads.length = 0;
    for (const path of [
      '/get_actor?platform=netflix&year=2019',
      '/get_score_count?platform=disney&scored=3&year=2011',
      '/get_max_duration',
    ]) {
      expect((await get(path, kv)).status).toBe(200);
    }
    expect(reads).toEqual([]);
  });

  it('costs three for /health on a cold isolate (pointer, manifest, health record), none when warm', async () => {
    const { kv, reads } = recordingKV();
    expect((await get('/health', kv)).status).toBe(200);
    expect(reads).toEqual([CURRENT_KEY, manifestOfLive, livePointer.artifacts[ARTIFACT.health]]);
    expect((await get('/health', kv)).status).toBe(200);
    expect(reads).toHaveLength(3);
  });
});

describe('a moving pointer', () => {
  it('switches every answer to the new version once the cached pointer expires', async () => {
    const next = `${bundle.version}-next`;
    const before = await get('/get_count_platform?platform=hulu');
    await pointAt({ ...livePointer, version: next });
    await readPointer(env.KV, Date.now() + POINTER_TTL_MS); // as an isolate would after the TTL
    const after = await get('/get_count_platform?platform=hulu');
    expect(before.headers.get('X-Data-Version')).toBe(bundle.version);
    expect(after.headers.get('X-Data-Version')).toBe(next);
    expect(after.headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    expect(await after.json()).toEqual(await before.json());
  });
});

describe('without usable data', () => {
  const dataPaths = [
    '/get_max_duration',
    '/get_score_count?platform=disney&scored=3&year=2011',
    '/get_count_platform?platform=hulu',
    '/get_actor?platform=netflix&year=2019',
    '/health',
  ];

  it('answers 503 telling the operator to run the loader (an expected state: nothing logged)', async () => {
    const logged = vi.spyOn(console, 'error');
    await env.KV.delete(CURRENT_KEY);
    for (const path of dataPaths) {
      const response = await get(path);
      expect(response.status, path).toBe(503);
      expect(response.headers.get('Content-Type')).toBe('application/problem+json');
      expect(response.headers.get('Cache-Control')).toBe('no-store');
      expect(response.headers.get('Retry-After')).toBe('60');
      expect(response.headers.has('X-Data-Version')).toBe(false);
      const body = await response.json<{ type: string; detail: string }>();
      expect(body.type).toBe('/problems/no-data');
      expect(body.detail).toContain('npm run load');
    }
    expect(logged).not.toHaveBeenCalled();
  });

  it('still validates parameters first, and still serves the API description', async () => {
    await env.KV.delete(CURRENT_KEY);
    expect((await get('/get_count_platform?platform=hbo')).status).toBe(400);
    expect((await get('/openapi.json')).status).toBe(200);
  });

  it('answers 503 (and logs) when the pointer is corrupt', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    await env.KV.put(CURRENT_KEY, 'this is not json');
    const response = await get('/get_count_platform?platform=hulu');
    expect(response.status).toBe(503);
    expect((await response.json<{ detail: string }>()).detail).toContain('could not be read');
    expect(logged).toHaveBeenCalledOnce();
    expect(String(logged.mock.calls[0][0])).toContain(response.headers.get('X-Request-Id')!);
  });

  it('answers 503 (and logs), never 500, when a value is in a format this code does not read (published before a format bump)', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    // The catalog index's format 2 had unfolded search text; the query index's u16 format sits at byte 4 too.
    const older = async (name: string, setFormat: (view: DataView) => void) => {
      const bytes = new Uint8Array((await env.KV.get(livePointer.artifacts[name], 'arrayBuffer'))!).slice();
      setFormat(new DataView(bytes.buffer));
      await env.KV.put(`blob/older-${name}`, bytes);
      return `blob/older-${name}`;
    };
    const artifacts = {
      ...livePointer.artifacts,
      [ARTIFACT.catalog]: await older(ARTIFACT.catalog, (v) => v.setUint32(4, 2, true)),
      [ARTIFACT.queryIndex]: await older(ARTIFACT.queryIndex, (v) => v.setUint16(4, 0, true)),
    };
    await pointAt({ ...livePointer, version: 'older-format', artifacts });
    for (const path of ['/titles?q=love', `/titles/${bundle.titles[0].id}`, '/get_max_duration']) {
      const response = await get(path);
      expect(response.status, path).toBe(503);
      expect(response.headers.get('Content-Type')).toBe('application/problem+json');
      const body = await response.json<{ type: string; detail: string }>();
      expect(body.type).toBe('/problems/no-data');
      expect(body.detail).toMatch(/older-format cannot be read .*format.* npm run load/);
    }
    expect(logged).toHaveBeenCalledTimes(3);
  });

  it('answers 503 (and logs) when the pointer names an index blob that is missing', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const artifacts = { ...livePointer.artifacts, [ARTIFACT.queryIndex]: 'blob/0000-missing' };
    await pointAt({ ...livePointer, version: 'missing', artifacts });
    const response = await get('/get_actor?platform=netflix&year=2019');
    expect(response.status).toBe(503);
    expect(response.headers.get('X-Data-Version')).toBe('missing');
    expect((await response.json<{ detail: string }>()).detail).toContain('incomplete');
    expect(logged).toHaveBeenCalledOnce();
  });
});

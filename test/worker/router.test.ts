// Routing, methods, the headers every response carries, conditional GETs, and hostile input: nothing
// a client sends reaches a 500.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callWorker as call, get, problemOf } from './client';
import { testBundle } from './bundle-transport';

const bundle = await testBundle();

function expectCommonHeaders(response: Response, where: string): void {
  expect(response.headers.get('X-Request-Id'), where).toMatch(/^[\w.:-]+$/);
  expect(response.headers.get('X-Data-Version'), where).toBe(bundle.version);
  if (response.status < 300) {
    expect(response.headers.get('ETag'), where).toMatch(/^(W\/)?"[0-9a-f]+"$/);
    expect(response.headers.get('Cache-Control'), where).toBeTruthy();
  } else {
    // An error's body names its request: no ETag to revalidate, nothing for a shared cache to keep.
    expect(response.headers.get('ETag'), where).toBeNull();
    expect(response.headers.get('Cache-Control'), where).toBe('no-store');
  }
  expect(response.headers.get('Access-Control-Allow-Origin'), where).toBe('*');
}

const ENDPOINT_PATHS = ['/get_max_duration', '/get_score_count', '/get_count_platform', '/get_actor', '/health', '/openapi.json'];

describe('routes and methods', () => {
  it('answers 404 problem+json for an unknown path, with every common header', async () => {
    const response = await get('/get_everything?x=1');
    expect(response.status).toBe(404);
    expectCommonHeaders(response, '404');
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ type: '/problems/route-not-found', status: 404 });
    expect(problem.detail).toContain('/openapi.json');
    expect(problem.request_id).toBe(response.headers.get('X-Request-Id'));
    expect(problem.instance).toBe(`urn:request:${problem.request_id}`);
  });

  it('does not echo a huge path back', async () => {
    const response = await get(`/${'a'.repeat(10_240)}`);
    expect(response.status).toBe(404);
    expect((await response.text()).length).toBeLessThan(1000);
  });

  it('routes are exact: wrong case is unknown, a trailing slash is tolerated', async () => {
    expect((await get('/GET_ACTOR?platform=netflix&year=2019')).status).toBe(404);
    expect((await get('/health/')).status).toBe(200);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('answers %s on every endpoint with 405 and Allow', async (method) => {
    for (const path of ENDPOINT_PATHS) {
      const response = await get(path, { method, body: method === 'DELETE' ? undefined : '{}' });
      expect(response.status, path).toBe(405);
      expect(response.headers.get('Allow')).toBe('GET, HEAD, OPTIONS');
      expectCommonHeaders(response, path);
      expect((await problemOf(response)).type).toBe('/problems/method-not-allowed');
    }
  });

  it('answers CORS preflights on every endpoint', async () => {
    for (const path of ENDPOINT_PATHS) {
      const response = await get(path, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://example.org',
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'if-none-match',
        },
      });
      expect(response.status, path).toBe(204);
      expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*');
      expect(response.headers.get('Access-Control-Allow-Methods')).toContain('GET');
      expect(response.headers.get('Access-Control-Allow-Headers')!.toLowerCase()).toContain('if-none-match');
    }
  });

  it('answers HEAD like GET without the body', async () => {
    const path = '/get_actor?platform=netflix&year=2019';
    const [head, full] = await Promise.all([get(path, { method: 'HEAD' }), get(path)]);
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(head.headers.get('ETag')).toBe(full.headers.get('ETag'));
    expect(head.headers.get('Content-Type')).toBe('application/json');
  });
});

describe('headers on every response', () => {
  const cases: [string, number][] = [
    ['/get_count_platform?platform=netflix', 200],
    ['/get_actor?platform=hulu&year=2019', 404],
    ['/get_max_duration?year=1800', 404],
    ['/get_score_count?platform=x', 400],
    ['/health', 200],
    ['/openapi.json', 200],
  ];

  it.each(cases)('%s (%d)', async (path, status) => {
    const response = await get(path);
    expect(response.status).toBe(status);
    expectCommonHeaders(response, path);
    expect(response.headers.get('Access-Control-Expose-Headers')).toContain('X-Data-Version');
  });

  it('uses short, revalidatable caching for answers and no caching for health', async () => {
    expect((await get('/get_count_platform?platform=hulu')).headers.get('Cache-Control')).toMatch(
      /^public, max-age=60\b.*stale-while-revalidate/,
    );
    expect((await get('/health')).headers.get('Cache-Control')).toBe('no-cache');
  });

  it("echoes the caller's request id, or makes one", async () => {
    const mine = await get('/health', { headers: { 'X-Request-Id': 'trace-123' } });
    expect(mine.headers.get('X-Request-Id')).toBe('trace-123');
    const a = await get('/health');
    const b = await get('/health');
    expect(a.headers.get('X-Request-Id')).not.toBe(b.headers.get('X-Request-Id'));
  });
});

describe('conditional GET', () => {
  it('answers 304 to a current ETag, for the same query however it is spelled', async () => {
    const first = await get('/get_score_count?platform=disney&scored=3.2&year=2011');
    const etag = first.headers.get('ETag')!;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    for (const spelling of [
      'platform=disney&scored=3.2&year=2011',
      'year=2011&platform=Disney%2B&scored=3.20',
      'platform=disney+plus&scored=03.2&year=%202011&utm=x',
    ]) {
      const again = await get(`/get_score_count?${spelling}`, { headers: { 'If-None-Match': etag } });
      expect(again.status, spelling).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('ETag')).toBe(etag);
      expect(again.headers.get('X-Data-Version')).toBe(bundle.version);
    }
  });

  it('answers 200 to a stale or foreign ETag', async () => {
    const other = (await get('/get_score_count?platform=disney&scored=3.3&year=2011')).headers.get('ETag')!;
    const response = await get('/get_score_count?platform=disney&scored=3.2&year=2011', { headers: { 'If-None-Match': other } });
    expect(response.status).toBe(200);
  });

  it('revalidates /health and /openapi.json too', async () => {
    for (const path of ['/health', '/openapi.json']) {
      const etag = (await get(path)).headers.get('ETag')!;
      expect((await get(path, { headers: { 'If-None-Match': etag } })).status, path).toBe(304);
    }
  });

  it('never turns an error into a 304', async () => {
    const first = await get('/get_actor?platform=hulu&year=2019');
    const again = await get('/get_actor?platform=hulu&year=2019', { headers: { 'If-None-Match': first.headers.get('ETag')! } });
    expect(again.status).toBe(404);
  });
});

describe('hostile input never reaches a 500', () => {
  const NASTY = [
    '',
    ' ',
    '%00',
    '%00netflix',
    'netflix%00',
    '%FF%FE',
    '%E2%80%8B',
    '%',
    '%%',
    '%zz',
    '%C0%AF',
    encodeURIComponent("' OR 1=1 --"),
    encodeURIComponent('1; DROP TABLE titles; --'),
    encodeURIComponent('<script>alert(1)</script>'),
    encodeURIComponent('../../etc/passwd'),
    encodeURIComponent('{"$gt":""}'),
    encodeURIComponent('😀🎬'),
    encodeURIComponent('נטפליקס'),
    encodeURIComponent('n\u0301etflix'),
    encodeURIComponent('ｎｅｔｆｌｉｘ'),
    encodeURIComponent('２０２０'),
    'NaN',
    'Infinity',
    '-0',
    '1e309',
    '9'.repeat(400),
    'x'.repeat(10_240),
    encodeURIComponent('é'.repeat(5_000)),
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
  ];
  const PARAMS: Record<string, string[]> = {
    '/get_max_duration': ['year', 'platform', 'duration_type'],
    '/get_score_count': ['platform', 'scored', 'year'],
    '/get_count_platform': ['platform'],
    '/get_actor': ['platform', 'year'],
  };
  const VALID: Record<string, string> = { year: '2019', platform: 'netflix', duration_type: 'min', scored: '3.5' };

  it('rejects every nasty value in every parameter with a 4xx problem (or answers it), never a 500', async () => {
    let checked = 0;
    for (const [path, names] of Object.entries(PARAMS)) {
      for (const name of names) {
        for (const value of NASTY) {
          const others = names.filter((n) => n !== name).map((n) => `${n}=${VALID[n]}`);
          const query = [...others, `${name}=${value}`].join('&');
          const response = await call(`${path}?${query}`);
          const where = `${path}?${query.slice(0, 120)}`;
          expect(response.status, where).toBeLessThan(500);
          if (response.status >= 400) {
            const problem = await problemOf(response);
            expect(problem.status, where).toBe(response.status);
            expect(JSON.stringify(problem).length, where).toBeLessThan(2000);
          } else {
            await response.body?.cancel();
          }
          checked++;
        }
      }
    }
    expect(checked).toBe(NASTY.length * 9);
  });

  it('rejects repeated parameters on every endpoint', async () => {
    for (const [path, names] of Object.entries(PARAMS)) {
      for (const name of names) {
        const query = [...names.map((n) => `${n}=${VALID[n]}`), `${name}=${VALID[name]}`].join('&');
        const response = await call(`${path}?${query}`);
        expect(response.status, query).toBe(400);
        expect((await problemOf(response)).invalid_params, query).toEqual([
          expect.objectContaining({ name, reason: 'given 2 times; give it once' }),
        ]);
      }
    }
  });

  it('survives hostile paths, methods and headers', async () => {
    const requests: [string, RequestInit][] = [
      ['/%00', {}],
      ['/get_actor%00', {}],
      ['/..%2F..%2Fetc%2Fpasswd', {}],
      ['/get_actor/../health', {}],
      ['/get_count_platform?platform=netflix', { headers: { 'If-None-Match': 'x'.repeat(8000) } }],
      ['/get_count_platform?platform=netflix', { headers: { 'X-Request-Id': 'x'.repeat(8000) } }],
      ['/get_count_platform?platform=netflix', { method: 'PROPFIND' }],
      ['/health', { method: 'TRACE' }],
      ['/get_count_platform?platform=netflix&platform', {}],
      ['/get_count_platform?&&&=&=x&platform=hulu', {}],
    ];
    for (const [path, init] of requests) {
      const response = await call(path, init);
      expect(response.status, path).toBeLessThan(500);
      await response.body?.cancel();
    }
  });

  it('holds for arbitrary strings in every parameter (property test)', async () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.string({ maxLength: 8 }),
      fc.constantFrom(...Object.values(VALID)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(PARAMS)),
        fc.dictionary(fc.constantFrom('year', 'platform', 'duration_type', 'scored', 'zzz'), value),
        async (path, params) => {
          const response = await call(`${path}?${new URLSearchParams(params)}`);
          await response.body?.cancel();
          return [200, 400, 404].includes(response.status);
        },
      ),
      { numRuns: 400, seed: 20260426 },
    );
  });
});

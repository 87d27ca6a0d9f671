import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  CACHE_CONTROL,
  etagMatches,
  finishResponse,
  jsonResponse,
  makeEtag,
  preflightResponse,
  requestIdFor,
  type RequestContext,
} from '../../worker/http';

function context(url: string, init: RequestInit = {}, version?: string): RequestContext {
  const request = new Request(url, init);
  return {
    request,
    url: new URL(url),
    env,
    requestId: 'req-42',
    pointer:
      version === undefined
        ? null
        : {
            version,
            published_at: '2026-01-01T00:00:00.000Z',
            built_at: '2026-01-01T00:00:00.000Z',
            parent: null,
            artifacts: {},
            titles: { rows: 0, checksum: '' },
          },
  };
}

describe('request ids', () => {
  it('keeps a sane caller id and replaces anything else', () => {
    expect(requestIdFor(new Request('http://x/', { headers: { 'X-Request-Id': 'abc-123.def:4_5' } }))).toBe('abc-123.def:4_5');
    for (const bad of ['', 'a b', 'x'.repeat(65), '<script>', 'a;b']) {
      const id = requestIdFor(new Request('http://x/', { headers: { 'X-Request-Id': bad } }));
      expect(id).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);
    }
    expect(requestIdFor(new Request('http://x/'))).not.toBe(requestIdFor(new Request('http://x/')));
  });
});

describe('ETags', () => {
  it('are stable per source and differ between sources', async () => {
    const a = makeEtag('v1\n/get_count_platform?platform=hulu');
    expect(a).toMatch(/^"[0-9a-f]{16}"$/);
    expect(makeEtag('v1\n/get_count_platform?platform=hulu')).toBe(a);
    expect(makeEtag('v2\n/get_count_platform?platform=hulu')).not.toBe(a);
    expect(makeEtag('x', true)).toMatch(/^W\/"[0-9a-f]{16}"$/);
  });

  it('do not collide over many versions and queries of similar text', () => {
    const sources = Array.from(
      { length: 60_000 },
      (_, i) => `${(i % 300).toString(16).padStart(16, '0')}\n/titles?limit=${Math.floor(i / 300)}`,
    );
    expect(new Set(sources.map((s) => makeEtag(s))).size).toBe(sources.length);
  });

  it('match If-None-Match lists, weakly', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", W/"abc" ,"y"', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abd"', '"abc"')).toBe(false);
    expect(etagMatches('abc', '"abc"')).toBe(false);
    expect(etagMatches(null, '"abc"')).toBe(false);
    expect(etagMatches('', '"abc"')).toBe(false);
  });
});

describe('finishResponse', () => {
  it('adds request id, data version, CORS and cache policy, and makes up no ETag', async () => {
    const ctx = context('http://x/anything?q=1', {}, 'v7');
    const response = await finishResponse(jsonResponse({ ok: true }), ctx);
    expect(response.status).toBe(200);
    expect(response.headers.get('X-Request-Id')).toBe('req-42');
    expect(response.headers.get('X-Data-Version')).toBe('v7');
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(response.headers.get('Access-Control-Expose-Headers')).toContain('X-Data-Version');
    expect(response.headers.get('Access-Control-Expose-Headers')).toContain('ETag');
    expect(response.headers.get('Cache-Control')).toBe(CACHE_CONTROL.data);
    expect(response.headers.get('ETag')).toBeNull();
    expect(await response.json()).toEqual({ ok: true });
  });

  it('keeps handler-given ETag and Cache-Control; omits the version when there is none', async () => {
    const ctx = context('http://x/');
    const response = await finishResponse(jsonResponse({}, { headers: { ETag: '"e"', 'Cache-Control': 'no-cache' } }), ctx);
    expect(response.headers.get('ETag')).toBe('"e"');
    expect(response.headers.get('Cache-Control')).toBe('no-cache');
    expect(response.headers.has('X-Data-Version')).toBe(false);
  });

  it('never lets caches keep server failures', async () => {
    const response = await finishResponse(new Response('x', { status: 503 }), context('http://x/'));
    expect(response.headers.get('Cache-Control')).toBe('no-store');
  });

  it('answers a matching If-None-Match with 304 and no body, headers kept', async () => {
    const ctx = context('http://x/', { headers: { 'If-None-Match': 'W/"e"' } }, 'v1');
    const response = await finishResponse(jsonResponse({ big: 'body' }, { headers: { ETag: '"e"' } }), ctx);
    expect(response.status).toBe(304);
    expect(await response.text()).toBe('');
    expect(response.headers.get('ETag')).toBe('"e"');
    expect(response.headers.get('X-Data-Version')).toBe('v1');
    expect(response.headers.get('Cache-Control')).toBe(CACHE_CONTROL.data);
  });

  it('does not turn errors or non-matching tags into 304s', async () => {
    const stale = context('http://x/', { headers: { 'If-None-Match': '"old"' } });
    expect((await finishResponse(jsonResponse({}, { headers: { ETag: '"e"' } }), stale)).status).toBe(200);
    const any = context('http://x/', { headers: { 'If-None-Match': '*' } });
    expect((await finishResponse(new Response('{}', { status: 404 }), any)).status).toBe(404);
  });

  it('sends HEAD the headers without the body', async () => {
    const response = await finishResponse(jsonResponse({ a: 1 }), context('http://x/', { method: 'HEAD' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(await response.text()).toBe('');
  });
});

describe('preflight', () => {
  it('allows public GETs from anywhere', async () => {
    const response = await finishResponse(preflightResponse(), context('http://x/health', { method: 'OPTIONS' }));
    expect(response.status).toBe(204);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(response.headers.get('Access-Control-Allow-Methods')).toBe('GET, HEAD, OPTIONS');
    expect(response.headers.get('Access-Control-Allow-Headers')).toContain('If-None-Match');
    expect(response.headers.get('Access-Control-Max-Age')).toBe('86400');
  });
});

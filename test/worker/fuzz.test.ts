// Property-based fuzzing of every endpoint the router serves, generated from the endpoints' own
// parameter declarations (ENDPOINTS), so an endpoint added later is fuzzed without touching this file.
// Nothing a client sends may reach a 500; every error is a complete problem+json; the parameter rules
// of docs/reference.md#parameters (missing, empty, repeated, too long, unknown) hold on every endpoint.
// router.test.ts keeps the hand-written hostile table for the four queries; this file generates.
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CURRENT_KEY, manifestKey } from '../../contract';
import { clearDataCache } from '../../worker/data';
import type { Endpoint } from '../../worker/endpoint';
import { MAX_PARAM_LENGTH, type ParamDef, type ParamDefs } from '../../worker/params';
import { ENDPOINTS } from '../../worker/router';
import { testBundle } from './bundle-transport';
import { callWorker, livePointer, ORIGIN } from './client';

const SEED = 20260427;

// ---- values -----------------------------------------------------------------------------------------

const TRICKY = [
  '0',
  '-1',
  '+2020',
  '2020.0',
  '1e3',
  '0x7E4',
  '0b11',
  'NaN',
  'Infinity',
  '-0',
  '3,5',
  '5.0000000000000000001',
  '99999',
  '2020 2021',
  '007',
  '1_000',
  '٢٠٢٠',
  '２０２０',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '\u0000',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  "' OR 1=1 --",
  '1; DROP TABLE titles; --',
  '%',
  '%%',
  '<script>',
  '../../etc/passwd',
  '\uFEFF',
  '\u200B',
];
/** Lengths around the limit, and far past it. */
const HUGE = fc
  .tuple(
    fc.constantFrom('x', '9', 'é', '😀', ' ', '\u200B', '%'),
    fc.constantFrom(MAX_PARAM_LENGTH - 1, MAX_PARAM_LENGTH, MAX_PARAM_LENGTH + 1, 4_000, 40_000),
  )
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)));

/** Small changes that keep a valid value recognisable: case, padding, invisible and composed characters. */
function nearValid(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.integer({ min: 0, max: 8 }), fc.string({ unit: 'grapheme', maxLength: 2 })).map(([v, how, extra]) => {
    switch (how) {
      case 0:
        return v.toUpperCase();
      case 1:
        return ` \t${v}\u00A0`;
      case 2:
        return `${v}${extra}`;
      case 3:
        return `${extra}${v}`;
      case 4:
        return v.normalize('NFD');
      case 5:
        return [...v].join('\u200B');
      case 6:
        return v.slice(0, -1);
      case 7:
        return v.replace(/[a-z0-9]/gi, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)); // fullwidth
      default:
        return `${v},${v}`;
    }
  });
}

/**
 * Words of the published catalog (titles, their prefixes, ids, years, cast names), so free-text and id
 * parameters also get values that match something. Each parameter keeps those its own parser accepts.
 */
const bundle = await testBundle();
const CATALOG_WORDS = [
  ...new Set(
    bundle.titles
      .filter((_, i) => i % 97 === 0)
      .flatMap((t) => [t.title, t.title.slice(0, 4), t.id, String(t.release_year), t.cast?.split(',')[0]?.trim() ?? '']),
  ),
].filter((w) => w !== '');

/** Values the parameter's own schema describes as valid: its enum, its integer or number range, its pattern. */
function schemaValues(schema: Record<string, unknown>): fc.Arbitrary<string> | null {
  const { enum: values, type, minimum: min, maximum: max, pattern } = schema;
  if (Array.isArray(values)) return fc.constantFrom(...values.map(String));
  if (typeof min === 'number' && typeof max === 'number') {
    if (type === 'integer') return fc.integer({ min, max }).map(String);
    if (type === 'number') return fc.integer({ min: min * 100, max: max * 100 }).map((n) => String(n / 100));
  }
  if (typeof pattern === 'string') return fc.stringMatching(new RegExp(pattern));
  return null;
}

/** Spellings the parameter accepts: its example and listed values, catalog words it parses, its schema's values. */
function validValue(def: ParamDef): fc.Arbitrary<string> {
  const known = [
    def.example,
    ...(def.kind.allowed ?? []),
    ...CATALOG_WORDS.filter((w) => w.length <= MAX_PARAM_LENGTH && def.kind.parse(w).ok),
  ];
  const fromSchema = schemaValues(def.kind.schema);
  return fromSchema
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fromSchema })
    : fc.constantFrom(...known);
}

/**
 * Text for one parameter. Calm: valid spellings, sometimes slightly off (answers are mostly real ones,
 * so handlers run on many inputs). Wild: often far off, huge, binary or tricky.
 */
function hostileValueOf(def: ParamDef, calm: boolean): fc.Arbitrary<string> {
  const valid = validValue(def);
  if (calm) return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: nearValid(valid) });
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 3, arbitrary: nearValid(valid) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 48 }) },
    { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
    { weight: 1, arbitrary: fc.oneof(fc.integer().map(String), fc.double().map(String), fc.bigInt().map(String)) },
    { weight: 1, arbitrary: HUGE },
  );
}

/** How a value travels: properly encoded, or with raw bytes a URL parser must cope with. */
const RAW_JUNK = fc.constantFrom('%', '%%', '%zz', '%FF%FE', '%C0%AF', '%00', '%E2%80%8B', '+', '%2B', ';', '%u2020', '%%32%30');
function encoded(value: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant(encodeURIComponent(value)) },
    { weight: 1, arbitrary: RAW_JUNK.map((junk) => `${encodeURIComponent(value)}${junk}`) },
  );
}

/** One declared parameter: absent, empty, once, or repeated, as `name=value` pieces of a query. */
function occurrencesOf(name: string, def: ParamDef, calm: boolean): fc.Arbitrary<string[]> {
  if (calm) {
    const once = hostileValueOf(def, true).map((v) => [`${name}=${encodeURIComponent(v)}`]);
    return def.required ? once : fc.oneof(fc.constant<string[]>([]), once);
  }
  const piece = hostileValueOf(def, false)
    .chain(encoded)
    .map((v) => `${name}=${v}`);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<string[]>([]) },
    { weight: 1, arbitrary: fc.constantFrom<string[]>([`${name}=`], [`${name}`], [`${name}=%20`]) },
    { weight: 6, arbitrary: piece.map((p) => [p]) },
    { weight: 1, arbitrary: fc.array(piece, { minLength: 2, maxLength: 3 }) },
  );
}

/** Parameters no endpoint declares (ignored), including case variants of declared names. */
function unknownPieces(declared: string[]): fc.Arbitrary<string[]> {
  const name = fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
      fc.constantFrom(...declared.map((n) => n.toUpperCase()), 'utm_source', '__proto__', 'constructor', ''),
    )
    .filter((n) => !declared.includes(n));
  return fc.array(
    fc.tuple(name, fc.string({ maxLength: 12 })).map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`),
    { maxLength: 3 },
  );
}

// ---- requests ---------------------------------------------------------------------------------------

const METHOD = fc.oneof(
  { weight: 12, arbitrary: fc.constant('GET') },
  { weight: 2, arbitrary: fc.constant('HEAD') },
  { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'QUERY') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z]{1,10}$/) },
);

const HEADER_TEXT = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const HEADERS = fc.record(
  {
    'If-None-Match': fc.oneof(HEADER_TEXT, fc.constantFrom('*', 'W/"x"', '"0"', '""')),
    'X-Request-Id': HEADER_TEXT,
    Origin: fc.constantFrom('https://example.org', 'null'),
    Accept: fc.constantFrom('application/json', 'text/csv', '*/*', 'application/problem+json'),
  },
  { requiredKeys: [] },
);

interface FuzzRequest {
  method: string;
  pathAndQuery: string;
  headers: Record<string, string>;
}

const pathParamNames = (endpoint: Endpoint) => Object.keys(endpoint.pathParams ?? {});
const declaredNames = (endpoint: Endpoint) => [...Object.keys(endpoint.params), ...pathParamNames(endpoint)];

/** A request to `endpoint`: its path (path parameters filled in), declared and unknown query parameters. */
function requestTo(endpoint: Endpoint, methods = METHOD): fc.Arbitrary<FuzzRequest> {
  return fc.boolean().chain((calm) => requestOfMood(endpoint, methods, calm));
}

function requestOfMood(endpoint: Endpoint, methods: fc.Arbitrary<string>, calm: boolean): fc.Arbitrary<FuzzRequest> {
  const pathParams: [string, ParamDef][] = Object.entries(endpoint.pathParams ?? {});
  // An empty or dot segment would be another route ("/titles/" is /titles), not a value of this one.
  const segment = (def: ParamDef) =>
    hostileValueOf(def, calm)
      .chain(calm ? (v) => fc.constant(encodeURIComponent(v)) : encoded)
      .filter((s) => s !== '' && !/^(\.|%2e){1,2}$/i.test(s));
  const segments = fc.tuple(...pathParams.map(([, def]) => segment(def)));
  const query = fc.tuple(...Object.entries(endpoint.params as ParamDefs).map(([name, def]) => occurrencesOf(name, def, calm)));
  return fc
    .record({ method: methods, headers: HEADERS, segments, query, unknown: unknownPieces(declaredNames(endpoint)), reversed: fc.boolean() })
    .map(({ method, headers, segments, query, unknown, reversed }) => {
      let path = endpoint.path;
      pathParams.forEach(([name], i) => (path = path.replace(`:${name}`, segments[i])));
      const pieces = [...query.flat(), ...unknown];
      if (reversed) pieces.reverse();
      return { method, headers, pathAndQuery: pieces.length > 0 ? `${path}?${pieces.join('&')}` : path };
    });
}

/** Paths that are no endpoint, or almost one. */
const STRAY_PATH = fc.oneof(
  fc.webPath(),
  fc
    .tuple(
      fc.constantFrom(...ENDPOINTS.map((e) => e.path)),
      fc.constantFrom('/', '//', '/x', '%00', '.json', '/..', '/%2e%2e/health', 'X', '?', ';x'),
    )
    .map(([p, s]) => `${p}${s}`),
  fc.constantFrom(...ENDPOINTS.map((e) => e.path)).map((p) => p.toUpperCase()),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `/${encodeURIComponent(s)}`),
);

// ---- what every answer must be ----------------------------------------------------------------------

function describeRequest(r: FuzzRequest): string {
  const text = `${r.method} ${r.pathAndQuery}`;
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
}

/** Reads a body up to `cap` bytes (a CSV export of the whole catalog need not be read to the end). */
async function readCapped(response: Response, cap = 256 * 1024): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < cap) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel();
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

type Expectation = { declared?: string[]; required?: string[] };

/**
 * Sends `r` and checks the answer against the response contract. Returns the status and the method as
 * sent (normalised: "get" is GET), or null for a request no client can build (a forbidden method).
 */
async function sendAndCheck(r: FuzzRequest, expectation: Expectation = {}): Promise<{ status: number; method: string } | null> {
  let request: Request;
  try {
    request = new Request(`${ORIGIN}${r.pathAndQuery}`, { method: r.method, headers: r.headers });
  } catch {
    return null;
  }
  const where = describeRequest(r);
  const response = await callWorker(r.pathAndQuery, { method: request.method, headers: r.headers });
  const status = response.status;
  expect(status, where).toBeLessThan(500);
  const requestId = response.headers.get('X-Request-Id');
  expect(requestId, where).toBeTruthy();
  expect(response.headers.get('Access-Control-Allow-Origin'), where).toBe('*');

  if (status < 400) {
    const type = response.headers.get('Content-Type') ?? '';
    const body = await readCapped(response);
    if (status === 200 && type.startsWith('application/json') && request.method === 'GET') {
      expect(() => JSON.parse(body), where).not.toThrow();
    }
    return { status, method: request.method };
  }

  expect(response.headers.get('Content-Type'), where).toBe('application/problem+json');
  if (status === 405) expect(response.headers.get('Allow'), where).toBe('GET, HEAD, OPTIONS');
  if (request.method === 'HEAD') {
    expect(await response.text(), where).toBe('');
    return { status, method: request.method };
  }
  const text = await response.text();
  expect(text.length, `${where}: a problem never echoes a huge input`).toBeLessThan(8_000);
  const problem = JSON.parse(text) as Record<string, unknown>;
  expect(problem, where).toMatchObject({ status, request_id: requestId, instance: `urn:request:${requestId}` });
  for (const member of ['type', 'title', 'detail']) {
    expect(typeof problem[member] === 'string' && (problem[member] as string).length > 0, `${where}: ${member}`).toBe(true);
  }
  expect(problem.type as string, where).toMatch(/^\/problems\/[a-z-]+$/);

  const invalid = problem.invalid_params as { name: unknown; reason: unknown; allowed?: unknown }[] | undefined;
  if (status === 400) {
    expect(Array.isArray(invalid) && invalid.length > 0, `${where}: invalid_params`).toBe(true);
    for (const p of invalid!) {
      expect(typeof p.reason === 'string' && p.reason.length > 0, where).toBe(true);
      if (expectation.declared) expect(expectation.declared, `${where}: invalid_params names a declared parameter`).toContain(p.name);
      if (p.allowed !== undefined) expect(Array.isArray(p.allowed) && p.allowed.every((a) => typeof a === 'string'), where).toBe(true);
    }
  } else {
    expect(invalid, `${where}: invalid_params only on 400`).toBeUndefined();
  }
  return { status, method: request.method };
}

/** docs/reference.md#parameters: given twice, missing or empty when required, or over-long: always a 400 naming the parameter. */
function mustBeRejected(endpoint: Endpoint, pathAndQuery: string): string[] {
  const query = new URL(`${ORIGIN}${pathAndQuery}`).searchParams;
  const bad: string[] = [];
  for (const [name, def] of Object.entries(endpoint.params as ParamDefs)) {
    const given = query.getAll(name);
    const blank = given.length === 0 || given[0].trim() === '';
    if (given.length > 1 || (def.required && blank) || (given.length === 1 && !blank && given[0].length > MAX_PARAM_LENGTH)) bad.push(name);
  }
  return bad;
}

async function checkEndpointRequest(endpoint: Endpoint, r: FuzzRequest): Promise<void> {
  const sent = await sendAndCheck(r, { declared: declaredNames(endpoint) });
  const pathIntact = new URL(`${ORIGIN}${r.pathAndQuery}`).pathname.split('/').length === endpoint.path.split('/').length;
  if (sent === null || !pathIntact || (sent.method !== 'GET' && sent.method !== 'HEAD')) return;
  const { status } = sent;
  const bad = mustBeRejected(endpoint, r.pathAndQuery);
  if (bad.length === 0) return;
  expect(status, `${describeRequest(r)}: ${bad.join(', ')} must be rejected`).toBe(400);
  if (sent.method === 'GET') {
    const again = await callWorker(r.pathAndQuery);
    const names = ((await again.json<{ invalid_params: { name: string }[] }>()).invalid_params ?? []).map((p) => p.name);
    for (const name of bad) expect(names, describeRequest(r)).toContain(name);
  }
}

// ---- the properties ---------------------------------------------------------------------------------

describe('fuzzing every endpoint from its declared parameters', () => {
  it('covers every endpoint the router serves', () => {
    expect(ENDPOINTS.length).toBeGreaterThanOrEqual(10);
    expect(new Set(ENDPOINTS.map((e) => e.path)).size).toBe(ENDPOINTS.length);
  });

  it.each(ENDPOINTS.map((e) => [e.path, e] as const))(
    '%s: any parameters, methods and headers: a contract answer, never a 500',
    async (_path, endpoint) => {
      await fc.assert(
        fc.asyncProperty(requestTo(endpoint), (r) => checkEndpointRequest(endpoint, r)),
        { numRuns: 250, seed: SEED },
      );
    },
  );

  it('unknown parameters and empty optional ones change nothing', async () => {
    // Only valid spellings here, so the answer is a real one (200 or 404) worth comparing.
    const validRequest = fc.constantFrom(...ENDPOINTS).chain((endpoint) => {
      const optional = Object.entries(endpoint.params as ParamDefs)
        .filter(([, def]) => !def.required)
        .map(([name]) => name);
      const given = fc.tuple(
        ...Object.entries(endpoint.params as ParamDefs).map(([name, def]) => {
          const once = validValue(def).map((v) => [`${name}=${encodeURIComponent(v)}`]);
          return def.required ? once : fc.oneof(fc.constant([] as string[]), once);
        }),
      );
      let path = endpoint.path;
      for (const [name, def] of Object.entries(endpoint.pathParams ?? {})) path = path.replace(`:${name}`, encodeURIComponent(def.example));
      return fc.record({
        endpoint: fc.constant(endpoint),
        path: fc.constant(path),
        given,
        unknown: unknownPieces(declaredNames(endpoint)),
        optional: fc.constant(optional),
      });
    });
    await fc.assert(
      fc.asyncProperty(validRequest, async ({ endpoint, path, given, unknown, optional }) => {
        const present = new Set(given.flat().map((p) => p.split('=')[0]));
        const empties = optional.filter((name) => !present.has(name)).map((name) => `${name}=`);
        const plain = `${path}?${given.flat().join('&')}`;
        const noisy = `${path}?${[...unknown, ...given.flat(), ...empties].join('&')}`;
        const [a, b] = await Promise.all([callWorker(plain), callWorker(noisy)]);
        const where = `${plain} vs ${noisy}`;
        expect(b.status, where).toBe(a.status);
        expect(a.status, `${where} on ${endpoint.path}`).toBeLessThan(500);
        if (a.status === 200) expect(b.headers.get('ETag'), where).toBe(a.headers.get('ETag'));
        const [ta, tb] = await Promise.all([readCapped(a), readCapped(b)]);
        const strip = (text: string) => text.replace(/"(request_id|instance)":"[^"]*"/g, '');
        expect(strip(tb), where).toBe(strip(ta));
      }),
      { numRuns: 150, seed: SEED },
    );
  });

  it('stray and near-miss paths, with any method: a problem+json, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(STRAY_PATH, METHOD, HEADERS, async (path, method, headers) => {
        await sendAndCheck({ method, headers, pathAndQuery: path.startsWith('/') ? path : `/${path}` });
      }),
      { numRuns: 300, seed: SEED },
    );
  });
});

describe('fuzzing with no data published', () => {
  afterEach(clearDataCache);

  it('answers 503 no-data or a 4xx, never a 500, while nothing is published, the pointer is garbage or its blobs are gone', async () => {
    const published = (await env.KV.get(CURRENT_KEY, 'text'))!;
    const live = await livePointer();
    const missingBlobs = Object.fromEntries(Object.keys(live.artifacts).map((name) => [name, `blob/${'0'.repeat(64)}`]));
    const anyEndpointRequest = fc.constantFrom(...ENDPOINTS).chain((endpoint) => requestTo(endpoint, fc.constant('GET')));
    const to = (version: string) => JSON.stringify({ version, published_at: live.published_at });
    await env.KV.put(manifestKey('fuzz-no-artifacts'), JSON.stringify({ ...live, version: 'fuzz-no-artifacts', artifacts: {} }));
    await env.KV.put(manifestKey('fuzz-blobs-gone'), JSON.stringify({ ...live, version: 'fuzz-blobs-gone', artifacts: missingBlobs }));
    await env.KV.put(manifestKey('fuzz-not-a-manifest'), '{"version":"someone-else"}');
    const pointers = [
      null,
      '',
      'not json',
      '[]',
      '{"version":""}',
      to('fuzz-no-artifacts'),
      to('fuzz-blobs-gone'),
      to('fuzz-not-a-manifest'),
      to('never-published'), // no manifest at all
    ];
    try {
      for (const pointer of pointers) {
        if (pointer === null) await env.KV.delete(CURRENT_KEY);
        else await env.KV.put(CURRENT_KEY, pointer);
        clearDataCache();
        await fc.assert(
          fc.asyncProperty(anyEndpointRequest, async (r) => {
            const response = await callWorker(r.pathAndQuery, { headers: r.headers });
            const where = `pointer ${JSON.stringify(pointer)}: ${describeRequest(r)}`;
            expect(
              response.status === 503 || (response.status >= 200 && response.status < 500),
              `${where} answered ${response.status}`,
            ).toBe(true);
            if (response.status === 503) {
              expect(response.headers.get('Content-Type'), where).toBe('application/problem+json');
              expect(response.headers.get('Retry-After'), where).toBeTruthy();
              expect((await response.json<{ type: string }>()).type, where).toBe('/problems/no-data');
            } else {
              await readCapped(response);
            }
          }),
          { numRuns: 60, seed: SEED },
        );
      }
    } finally {
      await env.KV.put(CURRENT_KEY, published);
    }
  });
});

// The OpenAPI document is generated from the definitions the worker validates with; these tests hold
// the document and the behaviour to each other: documented parameters are the parsed ones, documented
// examples are accepted, and real answers and problems conform to the documented schemas.
import { describe, expect, it } from 'vitest';
import { DURATION_ALIAS_NAMES, PLATFORM_ALIAS_NAMES } from '../../contract';
import { buildOpenApiDocument } from '../../worker/openapi';
import { ACTOR_PARAMS, COUNT_PLATFORM_PARAMS, MAX_DURATION_PARAMS, SCORE_COUNT_PARAMS, type ParamDefs } from '../../worker/params';
import { PROBLEMS } from '../../worker/problem';
import { ENDPOINTS, WRITE_ENDPOINTS } from '../../worker/router';
import { callWorker, get } from './client';
import { schemaErrors } from './json-schema';

type Doc = Record<string, any>;
const doc = buildOpenApiDocument([...ENDPOINTS, ...WRITE_ENDPOINTS]) as Doc;
const openApiPath = (e: { path: string }) => e.path.replace(/:(\w+)/g, '{$1}');
const operationOf = (path: string) => doc.paths[path].get as Doc;

/** Every $ref anywhere in the document. */
function refs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refs(value, found);
    }
  }
  return found;
}

function follow(ref: string): Doc | undefined {
  return ref
    .slice(2)
    .split('/')
    .reduce<any>((node, part) => node?.[part], doc);
}

/** The 200 or problem schema the document gives for `status` of an operation. */
function responseSchema(operation: Doc, status: number, contentType: string): Doc | undefined {
  let response = operation.responses[String(status)] as Doc | undefined;
  if (response?.$ref) response = follow(response.$ref);
  return response?.content?.[contentType]?.schema;
}

/** A request built from the documented examples of an operation's parameters. */
function exampleRequest(path: string, operation: Doc): string {
  let url = path;
  const query = new URLSearchParams();
  for (const p of operation.parameters as Doc[]) {
    if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
    else if (p.required) query.set(p.name, String(p.example));
  }
  return query.size > 0 ? `${url}?${query}` : url;
}

describe('the document', () => {
  it('is served at /openapi.json, exactly as generated', async () => {
    const response = await get('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every routed endpoint, each with a unique operationId', () => {
    expect(Object.keys(doc.paths).sort()).toEqual([...ENDPOINTS, ...WRITE_ENDPOINTS].map(openApiPath).sort());
    expect(Object.keys(doc.paths)).toContain('/ratings');
    const ids = ENDPOINTS.map((e) => operationOf(openApiPath(e)).operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('documents POST /ratings from its one definition: the header pattern is the one the handler tests', () => {
    const post = doc.paths['/ratings'].post as Doc;
    expect(post.operationId).toBe('post_ratings');
    const [header] = post.parameters as Doc[];
    expect(header).toMatchObject({ name: 'Idempotency-Key', in: 'header', required: true });
    const pattern = new RegExp((header.schema as Doc).pattern as string);
    expect(pattern.test('batch-7')).toBe(true);
    expect(pattern.test('has space')).toBe(false);
    expect(Object.keys(post.responses as Doc).sort()).toEqual(['202', '400', '401', '413', '415', '422', '503']);
  });

  it('has no dangling $ref', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(10);
    for (const ref of all) expect(follow(ref), ref).toBeDefined();
  });

  it('describes the problem+json shape of every kind of error', () => {
    for (const [kind, { type, status }] of Object.entries(PROBLEMS)) {
      const response = doc.components.responses[kind];
      const example = response.content['application/problem+json'].example;
      expect(example).toMatchObject({ type, status });
      expect(schemaErrors(example, doc.components.schemas.Problem, doc), kind).toEqual([]);
    }
  });
});

describe('parameters', () => {
  const catalog: [string, ParamDefs][] = [
    ['/get_max_duration', MAX_DURATION_PARAMS],
    ['/get_score_count', SCORE_COUNT_PARAMS],
    ['/get_count_platform', COUNT_PLATFORM_PARAMS],
    ['/get_actor', ACTOR_PARAMS],
  ];

  it.each(catalog)('%s documents exactly the parameters it validates', (path, defs) => {
    const parameters = operationOf(path).parameters as Doc[];
    expect(parameters.map((p) => [p.name, p.in, p.required])).toEqual(
      Object.entries(defs).map(([name, def]) => [name, 'query', def.required]),
    );
  });

  it('gives types, enums, ranges and defaults', () => {
    const param = (path: string, name: string) => (operationOf(path).parameters as Doc[]).find((p) => p.name === name)!;
    expect(param('/get_actor', 'platform').schema).toEqual({ type: 'string', enum: PLATFORM_ALIAS_NAMES });
    expect(param('/get_actor', 'year').schema).toEqual({ type: 'integer', minimum: 0, maximum: 9999 });
    expect(param('/get_score_count', 'scored').schema).toEqual({ type: 'number', minimum: 0, maximum: 5 });
    expect(param('/get_max_duration', 'duration_type').schema).toEqual({ type: 'string', enum: DURATION_ALIAS_NAMES, default: 'min' });
    expect(param('/get_max_duration', 'year').required).toBe(false);
    expect(param('/get_score_count', 'scored').description).toMatch(/strictly greater/);
    expect(param('/get_actor', 'year').description).toMatch(/1 to 4 ASCII digits/);
  });

  it('gives every parameter of every endpoint an example its own schema accepts', () => {
    for (const endpoint of ENDPOINTS) {
      for (const p of operationOf(openApiPath(endpoint)).parameters as Doc[]) {
        expect(p.example, `${endpoint.path} ${p.name}`).toBeDefined();
        expect(schemaErrors(p.example, p.schema, doc), `${endpoint.path} ${p.name}`).toEqual([]);
      }
    }
  });
});

describe('behaviour matches the document', () => {
  it('answers each endpoint, called with its documented examples, as documented', async () => {
    for (const endpoint of ENDPOINTS) {
      const path = openApiPath(endpoint);
      const operation = operationOf(path);
      const url = exampleRequest(path, operation);
      const response = await callWorker(url);
      expect(Object.keys(operation.responses), url).toContain(String(response.status));
      const contentType = response.headers.get('Content-Type')!.split(';')[0];
      if (contentType === 'application/json' || contentType === 'application/problem+json') {
        const schema = responseSchema(operation, response.status, contentType);
        expect(schema, `${url} ${response.status}`).toBeDefined();
        expect(schemaErrors(await response.json(), schema!, doc), url).toEqual([]);
      } else {
        await response.body?.cancel();
      }
    }
  });

  it('answers the catalog queries in their documented shapes across many inputs', async () => {
    const urls = [
      '/get_max_duration',
      '/get_max_duration?duration_type=season&platform=hulu',
      '/get_max_duration?year=1800',
      '/get_score_count?platform=amazon&scored=4.5&year=2020',
      '/get_count_platform?platform=disney',
      '/get_actor?platform=amazon&year=2014',
      '/get_actor?platform=hulu&year=2014',
      '/get_actor?platform=netflix&year=1943',
    ];
    for (const url of urls) {
      const response = await callWorker(url);
      const contentType = response.headers.get('Content-Type')!;
      const schema = responseSchema(operationOf(new URL(url, 'http://x').pathname), response.status, contentType);
      expect(schema, `${url} ${response.status} undocumented`).toBeDefined();
      expect(schemaErrors(await response.json(), schema!, doc), url).toEqual([]);
    }
  });

  it('sends problems that conform to the Problem schema, invalid_params included', async () => {
    for (const url of ['/get_score_count?platform=hbo&scored=3,5&year=2020.0', '/nope', '/get_actor?platform=hulu&year=2019']) {
      const body = await (await callWorker(url)).json();
      expect(schemaErrors(body, doc.components.schemas.Problem, doc), url).toEqual([]);
    }
    const body = await (await callWorker('/health', { method: 'DELETE' })).json();
    expect(schemaErrors(body, doc.components.schemas.Problem, doc)).toEqual([]);
  });
});

// The OpenAPI 3.1 document, generated from the same endpoint and parameter definitions the router
// validates with, so the documentation cannot disagree with the behaviour.
import { defineEndpoint, isWriteEndpoint, type AnyEndpoint, type Endpoint, type WriteEndpoint } from './endpoint';
import { CACHE_CONTROL, JSON_CONTENT_TYPE } from './http';
import { MAX_PARAM_LENGTH, type JsonSchema, type ParamDef } from './params';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, type ProblemKind } from './problem';
import { BEARER_SECURITY_SCHEME } from './ingest-openapi';

export const OPENAPI_PATH = '/openapi.json';
const API_VERSION = '1.0.0';

/** Problems any endpoint can answer with, whatever its own list says. */
const COMMON_PROBLEMS: ProblemKind[] = ['internal'];

const PROBLEM_EXAMPLES: Record<ProblemKind, string> = {
  invalidParams: 'Query parameter year is invalid: "2020.0" is not a year: give 1 to 4 digits, e.g. 2020.',
  noMatch: 'No title with a duration in seasons released in 1925 on disney.',
  noCastData: 'The hulu catalog has no cast data at all, so no actor can be named.',
  ambiguousTitle: '3 titles are named "the office"; ask again with the movie_id of one of the candidates.',
  routeNotFound: 'There is no endpoint at /nope. See /openapi.json.',
  methodNotAllowed: 'POST is not allowed on /health; allowed: GET, HEAD, OPTIONS.',
  invalidRequest: '2 ratings are invalid; nothing was stored. See invalid_params.',
  unauthorized: 'POST /ratings needs the header Authorization: Bearer <token>.',
  payloadTooLarge: 'A batch holds at most 1000 ratings; this one has 1200.',
  unsupportedMediaType: 'Send the ratings as Content-Type: application/json.',
  idempotencyKeyReused: 'Idempotency-Key "batch-7" was already used with a different body; use a new key for new ratings.',
  ingestDisabled: 'POST /ratings is disabled: the INGEST_TOKEN secret is not set (wrangler secret put INGEST_TOKEN).',
  noData: 'No catalog data has been published yet. Run the loader: npm run load.',
  internal: 'The server failed to answer this request; it has been logged.',
};

const HEADERS = {
  'X-Request-Id': {
    description: "Identifies this request in logs; the caller's own X-Request-Id when it is a short token.",
    schema: { type: 'string' },
  },
  'X-Data-Version': { description: 'The data version that answered (absent when none is published).', schema: { type: 'string' } },
  ETag: {
    description: 'Derived from the data version and the normalised request; send it back in If-None-Match to get a 304.',
    schema: { type: 'string' },
  },
  'Cache-Control': {
    description: 'Answers may be cached briefly: data versions are immutable, but the live version may change.',
    schema: { type: 'string' },
  },
};
const headerRefs = Object.fromEntries(Object.keys(HEADERS).map((name) => [name, { $ref: `#/components/headers/${name}` }]));

const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  required: ['type', 'title', 'status', 'detail', 'instance', 'request_id'],
  properties: {
    type: { type: 'string', format: 'uri-reference', enum: Object.values(PROBLEMS).map((p) => p.type) },
    title: { type: 'string' },
    status: { type: 'integer', enum: [...new Set(Object.values(PROBLEMS).map((p) => p.status))] },
    detail: { type: 'string', description: 'What went wrong with this request, in words.' },
    instance: { type: 'string', format: 'uri', description: 'urn:request:<request id>' },
    request_id: { type: 'string', description: 'Same as the X-Request-Id header.' },
    invalid_params: {
      type: 'array',
      items: { $ref: '#/components/schemas/InvalidParam' },
      description: 'Every rejected parameter (400 only).',
    },
  },
};

const INVALID_PARAM_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['name', 'reason'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    reason: { type: 'string' },
    allowed: { type: 'array', items: { type: 'string' }, description: 'Accepted values, where they can be listed.' },
  },
};

function parameterObject(name: string, def: ParamDef): Record<string, unknown> {
  const parsedExample = def.kind.parse(def.example);
  const notes = [
    def.description,
    `Format: ${def.kind.format}.`,
    def.default !== undefined ? `Default: ${def.kind.canonical(def.default)}.` : '',
    def.required ? 'Required; an empty value counts as missing.' : 'Optional; an empty value counts as absent.',
    `Give it at most once, at most ${MAX_PARAM_LENGTH} characters.`,
  ];
  return {
    name,
    in: 'query',
    required: def.required,
    description: notes.filter(Boolean).join(' '),
    schema: def.default === undefined ? def.kind.schema : { ...def.kind.schema, default: def.default },
    example: parsedExample.ok ? parsedExample.value : def.example,
  };
}

function problemResponses(kinds: ProblemKind[]): Record<string, unknown> {
  const byStatus = new Map<number, ProblemKind[]>();
  for (const kind of kinds) byStatus.set(PROBLEMS[kind].status, [...(byStatus.get(PROBLEMS[kind].status) ?? []), kind]);
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      String(status),
      group.length === 1 ? { $ref: `#/components/responses/${group[0]}` } : mergedProblemResponse(group),
    ]),
  );
}

function mergedProblemResponse(kinds: ProblemKind[]): Record<string, unknown> {
  return {
    description: kinds.map((k) => PROBLEMS[k].title).join('; or '),
    headers: headerRefs,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: '#/components/schemas/Problem' },
        examples: Object.fromEntries(kinds.map((k) => [k, { value: problemExample(k) }])),
      },
    },
  };
}

function problemExample(kind: ProblemKind): Record<string, unknown> {
  const { type, title, status } = PROBLEMS[kind];
  const requestId = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
  const example: Record<string, unknown> = {
    type,
    title,
    status,
    detail: PROBLEM_EXAMPLES[kind],
    instance: `urn:request:${requestId}`,
    request_id: requestId,
  };
  if (kind === 'invalidParams')
    example.invalid_params = [{ name: 'year', reason: '"2020.0" is not a year: give 1 to 4 digits, e.g. 2020' }];
  return example;
}

function operation(endpoint: Endpoint): Record<string, unknown> {
  const params = Object.entries(endpoint.params);
  const hasParams = params.length > 0 || Object.keys(endpoint.pathParams ?? {}).length > 0;
  const kinds: ProblemKind[] = [...(hasParams ? (['invalidParams'] as const) : []), ...endpoint.problems, ...COMMON_PROBLEMS];
  return {
    operationId: endpoint.operationId ?? endpoint.path.replace(/^\//, '').replace(/[^A-Za-z0-9_]/g, '_'),
    tags: [endpoint.tag],
    summary: endpoint.summary,
    description: endpoint.description,
    parameters: [
      ...Object.entries(endpoint.pathParams ?? {}).map(([name, def]) => ({ ...parameterObject(name, def), in: 'path', required: true })),
      ...params.map(([name, def]) => parameterObject(name, def)),
    ],
    responses: {
      '200': {
        description: endpoint.response.description,
        headers: headerRefs,
        content: { [endpoint.responseContentType ?? 'application/json']: { schema: endpoint.response.schema } },
      },
      '304': { description: 'Not modified: the If-None-Match ETag is still current.', headers: headerRefs },
      ...problemResponses([...new Set(kinds)]),
    },
  };
}

function writeOperation(endpoint: WriteEndpoint): Record<string, unknown> {
  return {
    operationId: endpoint.operationId,
    tags: [endpoint.tag],
    summary: endpoint.summary,
    description: endpoint.description,
    security: [{ [endpoint.security]: [] }],
    parameters: endpoint.headers.map((h) => ({
      name: h.name,
      in: 'header',
      required: h.required,
      schema: { type: 'string', pattern: h.pattern.source },
      description: h.description,
    })),
    requestBody: { required: true, content: { [endpoint.body.contentType]: { schema: endpoint.body.schema } } },
    responses: {
      [String(endpoint.response.status)]: {
        description: endpoint.response.description,
        content: { [JSON_CONTENT_TYPE]: { schema: endpoint.response.schema } },
      },
      ...problemResponses(endpoint.problems),
    },
  };
}

/** A path item: a read answers GET (and HEAD), a write POST. Route patterns use `:name`; OpenAPI templates `{name}`. */
function pathItem(endpoint: AnyEndpoint): [string, Record<string, unknown>] {
  const path = endpoint.path.replace(/:(\w+)/g, '{$1}');
  return [path, isWriteEndpoint(endpoint) ? { post: writeOperation(endpoint) } : { get: operation(endpoint) }];
}

export function buildOpenApiDocument(endpoints: readonly AnyEndpoint[]): Record<string, unknown> {
  const kinds = Object.keys(PROBLEMS) as ProblemKind[];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Streaming catalog API',
      version: API_VERSION,
      description:
        'Answers about the Amazon Prime, Disney+, Hulu and Netflix catalogs from precomputed indexes. ' +
        'Every error is application/problem+json (RFC 9457). Any path answers 404 route-not-found when unknown, ' +
        '405 method-not-allowed (with Allow) for methods an endpoint does not take (every read is GET, HEAD or OPTIONS; ' +
        'POST /ratings is the one write), and 503 no-data before the loader has published. Unknown query parameters ' +
        'are ignored. CORS allows any origin for reads.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(endpoints.map((e) => e.tag))].map((name) => ({ name })),
    paths: Object.fromEntries(endpoints.map(pathItem)),
    components: {
      securitySchemes: BEARER_SECURITY_SCHEME,
      schemas: { Problem: PROBLEM_SCHEMA, InvalidParam: INVALID_PARAM_SCHEMA },
      headers: HEADERS,
      responses: Object.fromEntries(
        kinds.map((kind) => [
          kind,
          {
            description: PROBLEMS[kind].title,
            headers: headerRefs,
            content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' }, example: problemExample(kind) } },
          },
        ]),
      ),
    },
  };
}

/** The /openapi.json endpoint, documenting `endpoints()` (itself included); built once per isolate. */
export function openApiEndpoint(endpoints: () => readonly AnyEndpoint[]): Endpoint {
  let cached: { body: unknown; etagSource: string } | undefined;
  return defineEndpoint({
    path: OPENAPI_PATH,
    tag: 'service',
    summary: 'This document',
    description: 'The OpenAPI 3.1 description of every endpoint, generated from the definitions the worker validates with.',
    params: {},
    response: { description: 'An OpenAPI 3.1 document.', schema: { type: 'object', required: ['openapi', 'info', 'paths'] } },
    problems: [],
    cacheControl: CACHE_CONTROL.code,
    async handle() {
      if (!cached) {
        const body = buildOpenApiDocument(endpoints());
        cached = { body, etagSource: JSON.stringify(body) };
      }
      return cached;
    },
  });
}

// Routes every request to its endpoint and guarantees the response contract: whatever happens, the
// caller gets a problem+json error or an answer, both carrying the common headers. Nothing a client
// sends can produce a 500; an unexpected failure is logged and answered as one.
import { Router } from 'itty-router';
import { pointerGeneration, readPointer, trustedPointer } from './data';
import { allowedMethods, isWriteEndpoint, runEndpoint, type AnyEndpoint, type Endpoint, type WriteEndpoint } from './endpoint';
import { health } from './health';
import { answerMemo, type Remembered, type RememberedAnswer, type RememberedProblem } from './answer-memo';
import {
  ALLOWED_METHODS,
  CACHE_CONTROL,
  commonHeaders,
  corsHeaders,
  etagMatches,
  finishResponse,
  freshRequestId,
  preflightResponse,
  requestIdFor,
  type RequestContext,
  commonHeadersFor,
} from './http';
import type { DataPointer } from '../contract';
import { OPENAPI_PATH, openApiEndpoint } from './openapi';
import { quote } from './params';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemResponse, toProblemError } from './problem';
import { CATALOG_ENDPOINTS } from './queries';
import { edaReport } from './eda';
import { TITLE_ENDPOINTS } from './titles';
import { RATINGS_ENDPOINT } from './ingest';
import { RECOMMENDER_ENDPOINTS } from './recommend';
import { PAGE_REDIRECTS, STATIC_PATHS, staticFile } from './static-site';

/** Every read endpoint, in documentation order. Other modules' endpoints are added here. */
export const ENDPOINTS: Endpoint[] = [...CATALOG_ENDPOINTS, ...RECOMMENDER_ENDPOINTS, ...TITLE_ENDPOINTS, edaReport, health];
/** Every write endpoint. */
export const WRITE_ENDPOINTS: WriteEndpoint[] = [RATINGS_ENDPOINT];
ENDPOINTS.push(openApiEndpoint(() => [...ENDPOINTS, ...WRITE_ENDPOINTS]));

/** An endpoint's path takes every method: its own are answered, OPTIONS is a preflight, others a 405. */
function dispatch(endpoint: AnyEndpoint, ctx: RequestContext, pathValues: Record<string, string>): Promise<Response> | Response {
  const method = ctx.request.method;
  const allowed = allowedMethods(endpoint);
  if (method === 'OPTIONS') return preflightResponse(allowed, isWriteEndpoint(endpoint) ? endpoint.headers.map((h) => h.name) : []);
  if (isWriteEndpoint(endpoint)) {
    if (method === endpoint.method) return endpoint.handle(ctx);
  } else if (method === 'GET' || method === 'HEAD') {
    return runEndpoint(endpoint, ctx, pathValues);
  }
  throw new ProblemError('methodNotAllowed', `${quote(method)} is not allowed on ${endpoint.path}; allowed: ${allowed}.`, {
    headers: { Allow: allowed },
  });
}

/** What itty-router passes each handler: the plain request-like it matched, with the route's params. */
interface Routed {
  method: string;
  url: string;
  params: Record<string, string>;
}

/**
 * The worker's routes, on itty-router: every endpoint takes every method on its path (dispatch answers
 * 405 and preflights), and anything else is a 404. Routes match
 * case-sensitively and tolerate trailing slashes. Errors thrown anywhere become problem+json answers in
 * the router's one `catch`.
 */
export function buildRouter(endpoints: readonly AnyEndpoint[]) {
  const router = Router<Routed, [RequestContext]>({
    catch: (error, _routed, ctx) => errorResponse(error, ctx),
  });
  for (const endpoint of endpoints) router.all(endpoint.path, (routed, ctx) => dispatch(endpoint, ctx, routed.params));
  for (const path of STATIC_PATHS) router.all(path, (_routed, ctx) => serveStatic(path, ctx));
  for (const [from, to] of Object.entries(PAGE_REDIRECTS)) {
    router.all(from, () => new Response(null, { status: 307, headers: { Location: to, 'Cache-Control': CACHE_CONTROL.code } }));
  }
  router.all('*', (_routed, ctx) => {
    throw new ProblemError('routeNotFound', `There is no endpoint at ${quote(ctx.url.pathname)}. See ${OPENAPI_PATH}.`);
  });
  return {
    // itty-router reads only `method` and `url` and writes its matches onto the object it is given: a
    // plain one, so the runtime's Request is left as it came.
    fetch: (ctx: RequestContext): Promise<Response> => router.fetch({ method: ctx.request.method, url: ctx.request.url }, ctx),
  };
}

const router = buildRouter([...ENDPOINTS, ...WRITE_ENDPOINTS]);

/** A page or script of the UI: GET and HEAD; preflights as everywhere; any other method a 405. */
function serveStatic(path: string, ctx: RequestContext): Response {
  const method = ctx.request.method;
  if (method === 'OPTIONS') return preflightResponse();
  if (method !== 'GET' && method !== 'HEAD') {
    throw new ProblemError('methodNotAllowed', `${quote(method)} is not allowed on ${path}; allowed: ${ALLOWED_METHODS}.`, {
      headers: { Allow: ALLOWED_METHODS },
    });
  }
  const file = staticFile(path)!;
  return new Response(file.body, { headers: { ...commonHeaders(ctx), ...file.headers } });
}

function errorResponse(error: unknown, ctx: RequestContext): Response {
  const problem = toProblemError(error);
  if (problem.log) logFailure(ctx, error);
  else if (ctx.rememberable?.problems && REMEMBERED_PROBLEM_STATUSES.has(problem.status)) ctx.rememberable.problem = problem;
  return problemResponse(problem, ctx.requestId, commonHeaders(ctx));
}

/** Client errors that follow from the URL and the data alone (a 405 follows from the method: never GET). */
const REMEMBERED_PROBLEM_STATUSES = new Set([400, 404, 409]);

function logFailure(ctx: RequestContext, error: unknown): void {
  console.error(
    JSON.stringify({
      level: 'error',
      request_id: ctx.requestId,
      method: ctx.request.method,
      path: ctx.url.pathname,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    }),
  );
}

/** The request's context; its URL is parsed only when asked for (an answer remembered never asks). */
class Context implements RequestContext {
  #url: URL | undefined;
  pointer: RequestContext['pointer'] = null;
  pointerError?: unknown;
  rememberable?: RequestContext['rememberable'];
  readonly requestId: string;
  constructor(
    readonly request: Request,
    readonly env: Env,
  ) {
    this.requestId = requestIdFor(request);
  }
  get url(): URL {
    return (this.#url ??= new URL(this.request.url));
  }
}

async function createContext(request: Request, env: Env): Promise<RequestContext> {
  const ctx = new Context(request, env);
  try {
    ctx.pointer = await readPointer(env.KV);
  } catch (error) {
    // A broken store is the operator's problem; the request still gets a 503 from data endpoints.
    ctx.pointerError = error;
    logFailure(ctx, error);
  }
  return ctx;
}

function memoGeneration(ctx: RequestContext): string | undefined {
  const method = ctx.request.method;
  if (ctx.pointer === null || (method !== 'GET' && method !== 'HEAD')) return undefined;
  return pointerGeneration(ctx.pointer);
}

/** What the endpoint left to remember of its answer (a 200 or a client error), if anything. */
function toRemember(ctx: RequestContext, response: Response): Remembered | undefined {
  const left = ctx.rememberable;
  if (left?.answer && response.status === 200) {
    const { body, headers } = left.answer;
    return { kind: 'answer', status: 200, body, headers: new Headers(headers), etag: headers.ETag };
  }
  if (left?.problem) return { kind: 'problem', problem: left.problem };
  return undefined;
}

/** A remembered client error for this request: the problem as the endpoint threw it, named by this request's id. */
function problemFromMemo(remembered: RememberedProblem, request: Request, requestId: string, pointer: DataPointer): Response {
  return problemResponse(remembered.problem, requestId, commonHeadersFor(requestId, pointer), request.method !== 'HEAD');
}

/** A remembered answer for this request: the same bytes and headers, its own request id. */
function answerFromMemo(remembered: RememberedAnswer, request: Request, requestId: string): Response {
  const ifNoneMatch = request.headers.get('If-None-Match');
  if (ifNoneMatch !== null && etagMatches(ifNoneMatch, remembered.etag)) {
    const notModified = new Headers(remembered.headers);
    notModified.delete('Content-Type');
    notModified.set('X-Request-Id', requestId);
    return new Response(null, { status: 304, headers: notModified });
  }
  const response = new Response(request.method === 'HEAD' ? null : remembered.body, {
    status: remembered.status,
    headers: remembered.headers,
  });
  response.headers.set('X-Request-Id', requestId);
  return response;
}

function fromMemo(remembered: Remembered, request: Request, requestId: string, pointer: DataPointer): Response {
  return remembered.kind === 'answer'
    ? answerFromMemo(remembered, request, requestId)
    : problemFromMemo(remembered, request, requestId, pointer);
}

/**
 * A GET or HEAD whose answer this isolate remembers for the pointer it still trusts, answered without
 * waiting for anything: no context, no KV, no URL parsing. Most requests of a warm isolate end here.
 */
function answerRemembered(request: Request): Response | undefined {
  const method = request.method;
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const trusted = trustedPointer();
  if (trusted === undefined || trusted.value === null) return undefined;
  const remembered = answerMemo.get(trusted.generation, request.url);
  if (remembered === undefined) return undefined;
  return fromMemo(remembered, request, requestIdFor(request), trusted.value);
}

/** The worker's fetch handler. */
export function handleRequest(request: Request, env: Env): Response | Promise<Response> {
  try {
    const remembered = answerRemembered(request);
    if (remembered !== undefined) return remembered;
  } catch {
    // Not expected (the memo holds only what this code built); the full path answers and logs what fails.
  }
  return answerInFull(request, env);
}

async function answerInFull(request: Request, env: Env): Promise<Response> {
  let ctx: RequestContext | undefined;
  try {
    ctx = await createContext(request, env);
    const generation = memoGeneration(ctx);
    const remembered = generation === undefined ? undefined : answerMemo.get(generation, request.url);
    if (remembered !== undefined) return fromMemo(remembered, request, ctx.requestId, ctx.pointer!);
    const response = await router.fetch(ctx);
    const memo = generation === undefined ? undefined : toRemember(ctx, response);
    if (memo !== undefined) answerMemo.remember(generation!, request.url, memo);
    return await finishResponse(response, ctx);
  } catch (error) {
    // Only reached if the error path itself failed: answer without any of the machinery that broke.
    const requestId = ctx?.requestId ?? freshRequestId();
    console.error(JSON.stringify({ level: 'error', request_id: requestId, error: String(error) }));
    return new Response(
      JSON.stringify({
        type: '/problems/internal',
        title: 'Internal error',
        status: 500,
        detail: 'The server failed to answer this request; it has been logged.',
        instance: `urn:request:${requestId}`,
        request_id: requestId,
      }),
      {
        status: 500,
        headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', 'X-Request-Id': requestId, ...corsHeaders() },
      },
    );
  }
}

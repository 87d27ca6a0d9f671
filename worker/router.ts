// Routes every request to its endpoint and guarantees the response contract: whatever happens, the
// caller gets a problem+json error or an answer, both carrying the common headers. Nothing a client
// sends can produce a 500; an unexpected failure is logged and answered as one.
import { readPointer } from './data';
import { runEndpoint, type Endpoint } from './endpoint';
import { health } from './health';
import { ALLOWED_METHODS, corsHeaders, finishResponse, preflightResponse, requestIdFor, type RequestContext } from './http';
import { OPENAPI_PATH, openApiEndpoint } from './openapi';
import { quote } from './params';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemResponse, toProblemError } from './problem';
import { CATALOG_ENDPOINTS } from './queries';
import { edaReport } from './eda';
import { TITLE_ENDPOINTS } from './titles';
import { handleRatings, RATINGS_PATH } from './ingest';
import { RECOMMENDER_ENDPOINTS } from './recommend';

/** Every endpoint, in documentation order. Other modules' endpoints are added here. */
export const ENDPOINTS: Endpoint[] = [...CATALOG_ENDPOINTS, ...RECOMMENDER_ENDPOINTS, ...TITLE_ENDPOINTS, edaReport, health];
ENDPOINTS.push(openApiEndpoint(() => ENDPOINTS));

function dispatch(endpoint: Endpoint, ctx: RequestContext): Promise<Response> | Response {
  const method = ctx.request.method;
  if (method === 'GET' || method === 'HEAD') return runEndpoint(endpoint, ctx);
  if (method === 'OPTIONS') return preflightResponse();
  throw new ProblemError(
    'methodNotAllowed',
    `${quote(method)} is not allowed on ${endpoint.path}; allowed: ${ALLOWED_METHODS}.`,
    { headers: { Allow: ALLOWED_METHODS } },
  );
}

type RouteHandler = (ctx: RequestContext) => Promise<Response> | Response;

/**
 * Routes by path: a Map for the fixed paths, a regex only for the one with a parameter. Trailing
 * slashes are tolerated; case is not. (A general router parsed the URL a second time and tried every
 * route's regex in turn: a fifth of the worker's CPU on the cheapest endpoints.)
 */
export function buildRouter(endpoints: readonly Endpoint[]) {
  const exact = new Map<string, RouteHandler>();
  const patterned: { pattern: RegExp; handle: RouteHandler }[] = [];
  const add = (path: string, handle: RouteHandler) => {
    if (!path.includes('/:')) exact.set(path, handle);
    else patterned.push({ pattern: new RegExp(`^${path.replace(/\./g, '\\.').replace(/\/:\w+/g, '/[^/]+')}$`), handle });
  };
  for (const endpoint of endpoints) add(endpoint.path, (ctx) => dispatch(endpoint, ctx));
  // The one write endpoint: POST with a JSON body, so it is not a (GET) Endpoint definition.
  add(RATINGS_PATH, (ctx) => handleRatings(ctx));
  return {
    async fetch(ctx: RequestContext): Promise<Response> {
      try {
        const path = ctx.url.pathname.length > 1 ? ctx.url.pathname.replace(/\/+$/, '') : ctx.url.pathname;
        const handle = exact.get(path) ?? patterned.find((route) => route.pattern.test(path))?.handle;
        if (!handle) throw new ProblemError('routeNotFound', `There is no endpoint at ${quote(ctx.url.pathname)}. See ${OPENAPI_PATH}.`);
        return await handle(ctx);
      } catch (error) {
        return errorResponse(error, ctx);
      }
    },
  };
}

const router = buildRouter(ENDPOINTS);

function errorResponse(error: unknown, ctx: RequestContext): Response {
  const problem = toProblemError(error);
  if (problem.log) logFailure(ctx, error);
  return problemResponse(problem, ctx.requestId);
}

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

async function createContext(request: Request, env: Env): Promise<RequestContext> {
  const ctx: RequestContext = { request, url: new URL(request.url), env, requestId: requestIdFor(request), pointer: null };
  try {
    ctx.pointer = await readPointer(env.KV);
  } catch (error) {
    // A broken store is the operator's problem; the request still gets a 503 from data endpoints.
    ctx.pointerError = error;
    logFailure(ctx, error);
  }
  return ctx;
}

/** The worker's fetch handler. */
export async function handleRequest(request: Request, env: Env): Promise<Response> {
  let ctx: RequestContext | undefined;
  try {
    ctx = await createContext(request, env);
    return await finishResponse(await router.fetch(ctx), ctx);
  } catch (error) {
    // Only reached if the error path itself failed: answer without any of the machinery that broke.
    const requestId = ctx?.requestId ?? crypto.randomUUID();
    console.error(JSON.stringify({ level: 'error', request_id: requestId, error: String(error) }));
    return new Response(
      JSON.stringify({ type: '/problems/internal', title: 'Internal error', status: 500, detail: 'The server failed to answer this request; it has been logged.', instance: `urn:request:${requestId}`, request_id: requestId }),
      { status: 500, headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', ETag: 'W/"internal-error"', 'X-Request-Id': requestId, ...corsHeaders() } },
    );
  }
}

// Headers every response carries (request id, data version, CORS, cache policy, ETag) and
// conditional GETs. Data versions are immutable but the pointer to the live one moves, so answers
// are cacheable for a short while and revalidate cheaply: the ETag names the version.
import type { DataPointer } from '../contract';

/** Cache policies, by what a response depends on. */
export const CACHE_CONTROL = {
  /** Answers (and parameter errors) of the live data version: the pointer may move at any time. */
  data: 'public, max-age=60, stale-while-revalidate=300',
  /** Health: always revalidate (the ETag makes that cheap). */
  revalidate: 'no-cache',
  /** Depends only on the deployed code. */
  code: 'public, max-age=300, stale-while-revalidate=3600',
  /** Failures that may be gone on the next try. */
  none: 'no-store',
  preflight: 'public, max-age=86400',
} as const;

export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';
const EXPOSED_HEADERS = 'ETag, X-Data-Version, X-Request-Id, Allow, Retry-After';
const ALLOWED_REQUEST_HEADERS = 'If-None-Match, If-Modified-Since, X-Request-Id, Content-Type, Authorization';

export const JSON_CONTENT_TYPE = 'application/json';

/** What the router knows about one request while answering it. */
export interface RequestContext {
  request: Request;
  url: URL;
  env: Env;
  requestId: string;
  /** The live data pointer read when the request arrived; null when none is published or readable. */
  pointer: DataPointer | null;
  /** Why the pointer could not be read, if it could not (a broken store, not an absent publish). */
  pointerError?: unknown;
}

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The caller's X-Request-Id when it is a sane token (so traces join up), else a fresh UUID. */
export function requestIdFor(request: Request): string {
  const given = request.headers.get('X-Request-Id');
  return given !== null && CLIENT_REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

export function jsonResponse(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { 'Content-Type': JSON_CONTENT_TYPE, ...init.headers },
  });
}

async function digestHex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 12), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * An ETag for a representation fully determined by `source` (e.g. data version + normalised query).
 * Weak when the bytes may differ between equal representations (problem bodies carry a request id).
 */
export async function makeEtag(source: string, weak = false): Promise<string> {
  const tag = `"${await digestHex(source)}"`;
  return weak ? `W/${tag}` : tag;
}

/** If-None-Match against one ETag, with the weak comparison RFC 9110 prescribes for it. */
export function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return ifNoneMatch.split(',').some((candidate) => opaque(candidate) === wanted);
}

export function corsHeaders(): Record<string, string> {
  return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSED_HEADERS };
}

/** Answer to a CORS preflight on a known path. */
export function preflightResponse(): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_REQUEST_HEADERS,
      'Access-Control-Max-Age': '86400',
      'Cache-Control': CACHE_CONTROL.preflight,
      Allow: ALLOWED_METHODS,
    },
  });
}

function defaultCacheControl(status: number): string {
  return status >= 500 ? CACHE_CONTROL.none : CACHE_CONTROL.data;
}

/**
 * Adds the headers every response carries, fills in an ETag and Cache-Control where the handler set
 * none, and turns a matching conditional GET into a 304. HEAD gets the headers without the body.
 */
export async function finishResponse(response: Response, ctx: RequestContext): Promise<Response> {
  const headers = new Headers(response.headers);
  headers.set('X-Request-Id', ctx.requestId);
  if (ctx.pointer) headers.set('X-Data-Version', ctx.pointer.version);
  for (const [name, value] of Object.entries(corsHeaders())) headers.set(name, value);
  headers.set('X-Content-Type-Options', 'nosniff');
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', defaultCacheControl(response.status));
  if (!headers.has('ETag')) {
    // Without a handler-given key, the representation is determined by the version and the raw request.
    const source = `${ctx.pointer?.version ?? '-'}\n${response.status}\n${ctx.url.pathname}${ctx.url.search}`;
    headers.set('ETag', await makeEtag(source, true));
  }

  const method = ctx.request.method;
  const conditional = (method === 'GET' || method === 'HEAD') && response.status === 200;
  if (conditional && etagMatches(ctx.request.headers.get('If-None-Match'), headers.get('ETag')!)) {
    await response.body?.cancel();
    headers.delete('Content-Type');
    headers.delete('Content-Length');
    return new Response(null, { status: 304, headers });
  }
  if (method === 'HEAD') {
    await response.body?.cancel();
    return new Response(null, { status: response.status, headers });
  }
  return new Response(response.body, { status: response.status, headers });
}

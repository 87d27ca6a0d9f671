// Headers every response carries (request id, data version, CORS, cache policy, ETag) and
// conditional GETs. Data versions are immutable but the pointer to the live one moves, so answers
// are cacheable for a short while and revalidate cheaply: the ETag names the version.
import type { DataPointer } from '../contract';
import type { RememberedBody } from './answer-memo';
import type { ProblemError } from './problem';

/** Cache policies, by what a response depends on. */
export const CACHE_CONTROL = {
  /** Answers of the live data version: the pointer may move at any time. */
  data: 'public, max-age=60, stale-while-revalidate=300',
  /** Health: always revalidate (the ETag makes that cheap). */
  revalidate: 'no-cache',
  /** Depends only on the deployed code. */
  code: 'public, max-age=300, stale-while-revalidate=3600',
  /** Errors (their bodies name the request) and failures that may be gone on the next try. */
  none: 'no-store',
  preflight: 'public, max-age=86400',
} as const;

export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';
const EXPOSED_HEADERS = 'ETag, X-Data-Version, X-Request-Id, Allow, Retry-After, Idempotent-Replayed, WWW-Authenticate';
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
  /**
   * Set by an endpoint whose answer depends on nothing but the data version and the URL: what to
   * remember of it (answer-memo.ts). `problems`: a client error it throws may be remembered too.
   */
  rememberable?: {
    problems: boolean;
    answer?: { body: RememberedBody; headers: Readonly<Record<string, string>> };
    problem?: ProblemError;
  };
}

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

let requestIdPrefix: string | undefined;
let requestCount = 0;

/**
 * A fresh request id: 64 random bits drawn once per isolate, then a counter. Unique across isolates
 * for all practical purposes, and a tenth of the cost of a UUID per request. (The prefix is drawn on
 * first use: the runtime forbids randomness at global scope.)
 */
export function freshRequestId(): string {
  if (requestIdPrefix === undefined) {
    const bits = crypto.getRandomValues(new Uint32Array(2));
    requestIdPrefix = bits[0].toString(16).padStart(8, '0') + bits[1].toString(16).padStart(8, '0');
  }
  return `${requestIdPrefix}-${(requestCount++).toString(36)}`;
}

/** The caller's X-Request-Id when it is a sane token (so traces join up), else a fresh id. */
export function requestIdFor(request: Request): string {
  const given = request.headers.get('X-Request-Id');
  return given !== null && CLIENT_REQUEST_ID.test(given) ? given : freshRequestId();
}

export function jsonResponse(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { 'Content-Type': JSON_CONTENT_TYPE, ...init.headers },
  });
}

/**
 * 64 bits of two multiplicative hashes over the UTF-16 units. An ETag only has to tell apart the
 * sources of one URL (data versions), and the source is the server's own text, so a fast
 * non-cryptographic hash does; a SHA-256 per request cost an eighth of the worker's CPU.
 */
function hash64Hex(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a ^= Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b = Math.imul(b ^ (a >>> 16), 0x27d4eb2d);
  return (a >>> 0).toString(16).padStart(8, '0') + ((b ^ (b >>> 15)) >>> 0).toString(16).padStart(8, '0');
}

/**
 * An ETag for a representation fully determined by `source` (e.g. data version + normalised query).
 * Weak when the bytes may differ between equal representations (problem bodies carry a request id).
 */
export function makeEtag(source: string, weak = false): string {
  const tag = `"${hash64Hex(source)}"`;
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

const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': EXPOSED_HEADERS,
};

export function corsHeaders(): Record<string, string> {
  return { ...CORS_HEADERS };
}

/** A CORS preflight's answer: the path's methods, and the request headers its endpoint reads besides the common ones. */
export function preflightResponse(methods = ALLOWED_METHODS, extraHeaders: readonly string[] = []): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'Access-Control-Allow-Methods': methods,
      'Access-Control-Allow-Headers': [ALLOWED_REQUEST_HEADERS, ...extraHeaders].join(', '),
      'Access-Control-Max-Age': '86400',
      'Cache-Control': CACHE_CONTROL.preflight,
      Allow: methods,
    },
  });
}

/**
 * An error's body carries the request's own id, so no shared cache may keep it for another caller;
 * other answers without a policy of their own are of the live version.
 */
function defaultCacheControl(status: number): string {
  return status >= 400 ? CACHE_CONTROL.none : CACHE_CONTROL.data;
}

/** The response with headers that can be set: ours as they are, a copy of one whose headers are immutable. */
function withMutableHeaders(response: Response, requestId: string): Response {
  try {
    response.headers.set('X-Request-Id', requestId);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set('X-Request-Id', requestId);
    return copy;
  }
}

/**
 * The headers every response carries. An answer built with them (plus its ETag and Cache-Control)
 * is complete: each header set on a workerd Response is a call into the runtime, and setting these
 * one by one after the fact cost a tenth of the worker's CPU on the cheapest endpoints.
 */
export function commonHeaders(ctx: RequestContext): Record<string, string> {
  return commonHeadersFor(ctx.requestId, ctx.pointer);
}

/** The common headers of a request answered without a context (a remembered answer's). */
export function commonHeadersFor(requestId: string, pointer: DataPointer | null): Record<string, string> {
  return { 'X-Request-Id': requestId, ...versionHeadersOf(pointer) };
}

/** The common headers but the request id: the same for every request on one data version. */
export function versionHeaders(ctx: RequestContext): Record<string, string> {
  return versionHeadersOf(ctx.pointer);
}

export function versionHeadersOf(pointer: DataPointer | null): Record<string, string> {
  const headers: Record<string, string> = { ...CORS_HEADERS, 'X-Content-Type-Options': 'nosniff' };
  if (pointer) headers['X-Data-Version'] = pointer.version;
  return headers;
}

/**
 * Adds the headers every response carries, fills in Cache-Control where the handler set none, and turns a matching conditional GET into a 304. HEAD gets the headers without the body.
 * The handler's response is completed in place, never copied.
 */
export async function finishResponse(given: Response, ctx: RequestContext): Promise<Response> {
  // Built with commonHeaders(), an ETag and a Cache-Control (every endpoint's answer): nothing to add.
  const complete = given.headers.has('X-Request-Id');
  const response = complete ? given : withMutableHeaders(given, ctx.requestId);
  const headers = response.headers;
  if (!complete) {
    for (const [name, value] of Object.entries(commonHeaders(ctx))) headers.set(name, value);
    if (!headers.has('Cache-Control')) headers.set('Cache-Control', defaultCacheControl(response.status));
    // No ETag is made up here: only GET representations have one, derived from what they represent
    // (runEndpoint, static-site.ts). Errors and POST receipts are not representations to revalidate.
  }

  const method = ctx.request.method;
  const conditional = (method === 'GET' || method === 'HEAD') && response.status === 200;
  const ifNoneMatch = conditional ? ctx.request.headers.get('If-None-Match') : null;
  if (ifNoneMatch !== null && etagMatches(ifNoneMatch, headers.get('ETag')!)) {
    await response.body?.cancel();
    headers.delete('Content-Type');
    headers.delete('Content-Length');
    return new Response(null, { status: 304, headers });
  }
  if (method === 'HEAD') {
    await response.body?.cancel();
    return new Response(null, { status: response.status, headers });
  }
  return response;
}

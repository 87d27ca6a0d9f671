// Every endpoint is described once: a read (GET) by its parameters, a write (POST) by its headers and
// JSON body; with their answer schemas and possible problems they feed the router (methods, 405s,
// preflights, validation, handling, headers) and the OpenAPI document.
import { ALLOWED_METHODS, JSON_CONTENT_TYPE, makeEtag, versionHeaders, type RequestContext } from './http';
import { canonicalQuery, collectParams, type JsonSchema, type ParamDefs, type ParamValues } from './params';
import { invalidParamsError, type InvalidParam, type ProblemKind } from './problem';

/** What a handler answers: the body and the text that fully determines it (hashed into the ETag). */
export interface Reply {
  body: unknown;
  etagSource: string;
  /** A non-JSON answer (e.g. CSV): `body` is sent as is (string or stream) with this Content-Type and headers. */
  raw?: { contentType: string; headers?: Record<string, string> };
}

export interface Endpoint<D extends ParamDefs = ParamDefs> {
  path: string;
  /** OpenAPI operationId, when the one derived from the path would be unclear (`titles__id`). */
  operationId?: string;
  tag: string;
  summary: string;
  description: string;
  params: D;
  /** Parameters in the path (`/titles/:id`), validated like query parameters and documented `in: path`. */
  pathParams?: ParamDefs;
  /** Media type of a 200 answer when it is not JSON (documentation; the handler's Reply.raw sends it). */
  responseContentType?: string;
  response: { description: string; schema: JsonSchema };
  /** Problems this endpoint can answer with besides the ones every endpoint can (docs only). */
  problems: ProblemKind[];
  cacheControl: string;
  /**
   * Rules between parameters (one of two required, a range's ends in order), checked with the
   * parameters' own: every problem goes in the one answer. `values` holds the valid parameters only;
   * `given` names every parameter the request sent with a value.
   */
  crossRules?(values: Partial<ParamValues<D>>, given: ReadonlySet<string>): InvalidParam[];
  /** `query` is the normalised query string of the parsed values (part of any ETag source). */
  handle(values: ParamValues<D>, ctx: RequestContext, query: string): Promise<Reply>;
}

/** A request header a write endpoint reads, documented and checked from this one definition. */
export interface HeaderDef {
  name: string;
  required: boolean;
  /** Whole-value pattern; the handler tests it, the OpenAPI document prints its source. */
  pattern: RegExp;
  description: string;
}

/** One write endpoint: POST with a JSON body, answered by its handler (which validates the body). */
export interface WriteEndpoint {
  method: 'POST';
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description: string;
  headers: HeaderDef[];
  /** Bearer authentication (the scheme named in the OpenAPI document's components). */
  security: 'bearer';
  body: { contentType: string; schema: JsonSchema };
  response: { status: number; description: string; schema: JsonSchema };
  problems: ProblemKind[];
  handle(ctx: RequestContext): Promise<Response>;
}

export type AnyEndpoint = Endpoint | WriteEndpoint;

export function isWriteEndpoint(endpoint: AnyEndpoint): endpoint is WriteEndpoint {
  return (endpoint as WriteEndpoint).method === 'POST';
}

/** The Allow header of an endpoint's path: what it answers besides 405. */
export function allowedMethods(endpoint: AnyEndpoint): string {
  return isWriteEndpoint(endpoint) ? 'POST, OPTIONS' : ALLOWED_METHODS;
}

/** Keeps the parameter types checked inside one definition while letting lists hold any endpoint. */
export function defineEndpoint<D extends ParamDefs>(endpoint: Endpoint<D>): Endpoint {
  return endpoint as unknown as Endpoint;
}

/** Validates the query, runs the handler, and gives the answer its cache headers. Throws ProblemErrors. */
export async function runEndpoint(endpoint: Endpoint, ctx: RequestContext, pathValues: Record<string, string> = {}): Promise<Response> {
  // What is asked is all in the URL: a client error is as remembered as an answer (streams aside).
  ctx.rememberable = { problems: true };
  const query = ctx.url.searchParams;
  const { values, invalid } = collectParams(endpoint.params, query);
  const keys = [canonicalQuery(endpoint.params, values)];
  if (endpoint.pathParams) {
    // Path values join the query values (handlers read both alike) and the cache key.
    const parsed = collectParams(endpoint.pathParams, decodedPathParams(pathValues));
    Object.assign(values, parsed.values);
    invalid.unshift(...parsed.invalid);
    keys.unshift(canonicalQuery(endpoint.pathParams, parsed.values));
  }
  if (endpoint.crossRules) {
    // An empty parameter counts as absent, as it does for the parameters themselves.
    const given = new Set<string>();
    for (const [name, value] of query) if (value.trim() !== '') given.add(name);
    invalid.push(...endpoint.crossRules(values, given));
  }
  if (invalid.length > 0) throw invalidParamsError(invalid);
  const key = `${endpoint.path}?${keys.filter(Boolean).join('&')}`;
  const reply = await endpoint.handle(values, ctx, key);
  const contentType = reply.raw ? reply.raw.contentType : JSON_CONTENT_TYPE;
  // Complete here, so finishResponse has nothing to add (see commonHeaders).
  const shared = {
    'Content-Type': contentType,
    ...reply.raw?.headers,
    ...versionHeaders(ctx),
    ETag: makeEtag(reply.etagSource),
    'Cache-Control': endpoint.cacheControl,
  };
  const body = reply.raw ? (reply.body as BodyInit) : JSON.stringify(reply.body);
  if (typeof body === 'string' || body instanceof Uint8Array) ctx.rememberable.answer = { body, headers: shared };
  return new Response(body, { headers: { 'X-Request-Id': ctx.requestId, ...shared } });
}

/** The router's `:name` matches, percent-decoded; malformed encoding is validated (and rejected) as the raw text. */
function decodedPathParams(raw: Record<string, string>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(raw)) {
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // kept raw
    }
    params.set(name, decoded);
  }
  return params;
}

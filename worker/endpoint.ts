// One GET endpoint, described once: its parameters, answer schema and possible problems feed both the
// router (validation, handling, headers) and the OpenAPI document.
import { jsonResponse, makeEtag, type RequestContext } from './http';
import { canonicalQuery, parseParams, type JsonSchema, type ParamDefs, type ParamValues } from './params';
import type { ProblemKind } from './problem';

/** What a handler answers: the body and the text that fully determines it (hashed into the ETag). */
export interface Reply {
  body: unknown;
  etagSource: string;
}

export interface Endpoint<D extends ParamDefs = ParamDefs> {
  path: string;
  tag: string;
  summary: string;
  description: string;
  params: D;
  response: { description: string; schema: JsonSchema };
  /** Problems this endpoint can answer with besides the ones every endpoint can (docs only). */
  problems: ProblemKind[];
  cacheControl: string;
  /** `query` is the normalised query string of the parsed values (part of any ETag source). */
  handle(values: ParamValues<D>, ctx: RequestContext, query: string): Promise<Reply>;
}

/** Keeps the parameter types checked inside one definition while letting lists hold any endpoint. */
export function defineEndpoint<D extends ParamDefs>(endpoint: Endpoint<D>): Endpoint {
  return endpoint as unknown as Endpoint;
}

/** Validates the query, runs the handler, and gives the answer its cache headers. Throws ProblemErrors. */
export async function runEndpoint(endpoint: Endpoint, ctx: RequestContext): Promise<Response> {
  const values = parseParams(endpoint.params, ctx.url.searchParams);
  const query = `${endpoint.path}?${canonicalQuery(endpoint.params, values)}`;
  const reply = await endpoint.handle(values, ctx, query);
  return jsonResponse(reply.body, {
    headers: { ETag: await makeEtag(reply.etagSource), 'Cache-Control': endpoint.cacheControl },
  });
}

// RFC 9457 problem details: the one shape of every error this worker returns. Handlers throw a
// ProblemError; the router turns it (or anything else thrown) into a problem+json response.

import { CACHE_CONTROL } from './http';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One rejected query parameter. `allowed` lists the accepted values where they are enumerable. */
export interface InvalidParam {
  name: string;
  reason: string;
  allowed?: readonly string[];
}

/** The kinds of problem, each with its fixed type URI, title and status. */
export const PROBLEMS = {
  invalidParams: { type: '/problems/invalid-params', title: 'Invalid query parameters', status: 400 },
  noMatch: { type: '/problems/no-match', title: 'Nothing matches the query', status: 404 },
  noCastData: { type: '/problems/no-cast-data', title: 'No cast data for this platform', status: 404 },
  ambiguousTitle: { type: '/problems/ambiguous-title', title: 'Several titles match', status: 409 },
  routeNotFound: { type: '/problems/route-not-found', title: 'No such endpoint', status: 404 },
  methodNotAllowed: { type: '/problems/method-not-allowed', title: 'Method not allowed', status: 405 },
  invalidRequest: { type: '/problems/invalid-request', title: 'Invalid request', status: 400 },
  unauthorized: { type: '/problems/unauthorized', title: 'Missing or wrong bearer token', status: 401 },
  payloadTooLarge: { type: '/problems/payload-too-large', title: 'Request body too large', status: 413 },
  unsupportedMediaType: { type: '/problems/unsupported-media-type', title: 'Unsupported media type', status: 415 },
  idempotencyKeyReused: { type: '/problems/idempotency-key-reused', title: 'Idempotency key used with another body', status: 422 },
  ingestDisabled: { type: '/problems/ingest-disabled', title: 'Rating ingest is not configured', status: 503 },
  noData: { type: '/problems/no-data', title: 'No data published', status: 503 },
  internal: { type: '/problems/internal', title: 'Internal error', status: 500 },
} as const;
export type ProblemKind = keyof typeof PROBLEMS;

/** The body of a problem response. Extension members (`invalid_params`, ...) sit beside the standard ones. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
  invalid_params?: InvalidParam[];
  [extension: string]: unknown;
}

export interface ProblemOptions {
  /** Extension members of the body (e.g. invalid_params). */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** An operator should hear about it (server-side trouble), though the client gets a clean answer. */
  log?: boolean;
}

export class ProblemError extends Error {
  override name = 'ProblemError';
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly log: boolean;

  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    options: ProblemOptions = {},
  ) {
    super(detail);
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
    this.log = options.log ?? PROBLEMS[kind].status >= 500;
  }

  get status(): number {
    return PROBLEMS[this.kind].status;
  }
}

export function invalidParamsError(invalid: InvalidParam[]): ProblemError {
  const names = invalid.map((p) => p.name).join(', ');
  const detail =
    invalid.length === 1
      ? `Query parameter ${names} is invalid: ${invalid[0].reason}.`
      : `${invalid.length} query parameters are invalid (${names}); see invalid_params.`;
  return new ProblemError('invalidParams', detail, { extensions: { invalid_params: invalid } });
}

export function problemBody(error: ProblemError, requestId: string): ProblemBody {
  const { type, title, status } = PROBLEMS[error.kind];
  const body: ProblemBody = { type, title, status, detail: error.detail, instance: `urn:request:${requestId}`, request_id: requestId };
  for (const [name, value] of Object.entries(error.extensions)) {
    if (!(name in body)) body[name] = value; // extensions never override the standard members
  }
  return body;
}

/**
 * A problem's answer: its own headers, then `commonHeaders` (request id, version, CORS) over them, and
 * no-store unless the problem set a policy (its body names the request). HEAD gets no body.
 */
export function problemResponse(
  error: ProblemError,
  requestId: string,
  commonHeaders: Readonly<Record<string, string>> = {},
  withBody = true,
): Response {
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_CONTENT_TYPE, ...error.headers, ...commonHeaders };
  headers['Cache-Control'] ??= CACHE_CONTROL.none;
  return new Response(withBody ? JSON.stringify(problemBody(error, requestId)) : null, { status: error.status, headers });
}

/** Any thrown value as a ProblemError; an unexpected one becomes a 500 that says nothing internal. */
export function toProblemError(thrown: unknown): ProblemError {
  if (thrown instanceof ProblemError) return thrown;
  return new ProblemError('internal', 'The server failed to answer this request; it has been logged.', { log: true });
}

// POST /ratings: new ratings while the service runs. Authenticated by a bearer token (the INGEST_TOKEN
// wrangler secret), made safe to retry by an Idempotency-Key, validated like the loader's rating rows,
// and stored in D1 for the cron fold (worker/fold.ts) to apply. Nothing is stored unless every rating
// of the batch is valid; the answer is 202: the ratings go live with the next fold's data version.
import { requirePointer } from './data';
import type { RequestContext } from './http';
import { JSON_CONTENT_TYPE, jsonResponse } from './http';
import { MAX_BODY_BYTES, MAX_RATINGS_PER_BATCH, ratingsArray, validateRatings, type PostedRating } from './ingest-validate';
import { quote } from './params';
import { ProblemError, type InvalidParam, type ProblemKind } from './problem';
import type { WriteEndpoint } from './endpoint';
import { RATINGS_BODY_SCHEMA, RECEIPT_SCHEMA } from './ingest-openapi';

export const RATINGS_PATH = '/ratings';
/** Keys are opaque to the server; visible ASCII keeps them loggable and unambiguous. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const NO_STORE = { 'Cache-Control': 'no-store' };

/** What a 202 says; a replay of the same key and body gets the same answer. */
export interface IngestReceipt {
  /** queued until a fold has applied the whole batch; applied from then on (a replay says which). */
  status: 'queued' | 'applied';
  /** The first data version that served the batch's ratings (status applied), and when it went live. */
  applied_version?: string;
  applied_at?: string;
  idempotency_key: string;
  queued: number;
  /** The batch's ratings have ids first_id..watermark; a fold whose watermark reaches it has applied them. */
  first_id: number;
  watermark: number;
  received_at: string;
  catalog_version: string;
  detail: string;
}

interface BatchRow {
  idempotency_key: string;
  body_sha256: string;
  received_at: string;
  catalog_version: string;
  count: number;
  first_id: number;
  last_id: number;
}

/** POST /ratings, defined once: the router and the OpenAPI document take everything from here. */
export const RATINGS_ENDPOINT: WriteEndpoint = {
  method: 'POST',
  path: RATINGS_PATH,
  operationId: 'post_ratings',
  tag: 'ratings',
  summary: 'Queue new ratings',
  description:
    `Stores 1 to ${MAX_RATINGS_PER_BATCH} ratings (a body of at most ${MAX_BODY_BYTES} bytes) for the scheduled fold, ` +
    "which applies them to the recommender (the users' biases, factors and top lists) and to the titles' scores, " +
    'and publishes a new data version. Every rating is validated like a row of the rating files; if any is invalid ' +
    'nothing is stored. A retry with the same Idempotency-Key and body answers the original 202.',
  headers: [{ name: 'Idempotency-Key', required: true, pattern: IDEMPOTENCY_KEY, description: 'New for each new batch (e.g. a UUID).' }],
  security: 'bearer',
  body: { contentType: JSON_CONTENT_TYPE, schema: RATINGS_BODY_SCHEMA },
  response: { status: 202, description: 'Stored; live after the next fold (X-Data-Version changes).', schema: RECEIPT_SCHEMA },
  problems: ['invalidRequest', 'unauthorized', 'payloadTooLarge', 'unsupportedMediaType', 'idempotencyKeyReused', 'ingestDisabled'],
  handle: ingest,
};

async function ingest(ctx: RequestContext): Promise<Response> {
  const { request, env } = ctx;
  const secret = env.INGEST_TOKEN;
  if (!secret) {
    throw fail(
      'ingestDisabled',
      'POST /ratings is disabled: the INGEST_TOKEN secret is not set (wrangler secret put INGEST_TOKEN; locally, .dev.vars).',
      {},
      {},
      true,
    );
  }
  if (!(await bearerMatches(request.headers.get('Authorization'), secret))) {
    throw fail(
      'unauthorized',
      'POST /ratings needs the header Authorization: Bearer <token>, with the ingest token.',
      {},
      { 'WWW-Authenticate': 'Bearer realm="ratings"' },
    );
  }
  const key = request.headers.get('Idempotency-Key');
  if (key === null || !IDEMPOTENCY_KEY.test(key)) {
    throw invalid([
      {
        name: 'Idempotency-Key',
        reason:
          key === null
            ? 'the header is required: a key of your choice, new for each new batch (e.g. a UUID), so a retry cannot store the batch twice'
            : `${quote(key)} is not a key: use 1 to 255 visible ASCII characters`,
      },
    ]);
  }
  const contentType = request.headers.get('Content-Type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw fail(
      'unsupportedMediaType',
      `Send the ratings as Content-Type: application/json (got ${contentType ? quote(contentType) : 'none'}).`,
      {},
      { Accept: JSON_CONTENT_TYPE },
    );
  }
  const bytes = await readBody(request);
  const bodySha = await sha256Hex(bytes);

  const previous = await findBatch(env.DB, key);
  if (previous) return replay(env.DB, previous, bodySha);

  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (error) {
    throw invalid([{ name: '', reason: `the body is not JSON: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  const shape = ratingsArray(body);
  if (!shape.ok) throw invalid([{ name: '', reason: shape.reason }]);
  if (shape.items.length === 0) throw invalid([{ name: shape.pointer || '/', reason: 'the batch is empty: send 1 to 1000 ratings' }]);
  if (shape.items.length > MAX_RATINGS_PER_BATCH) {
    throw fail(
      'payloadTooLarge',
      `A batch holds at most ${MAX_RATINGS_PER_BATCH} ratings; this one has ${shape.items.length}. Split it, one Idempotency-Key per batch.`,
    );
  }

  const pointer = requirePointer(ctx);
  const known = await knownMovieIds(env.DB, pointer.version, shape.items);
  const checked = validateRatings(shape.items, shape.pointer, known, Date.now());
  if (!checked.ok) {
    const detail =
      `${checked.invalidItems} of ${shape.items.length} ratings are invalid; nothing was stored. See invalid_params` +
      (checked.invalid.length < checked.invalidItems ? ` (the first ${checked.invalid.length} problems).` : '.');
    throw new ProblemError('invalidRequest', detail, {
      extensions: { invalid_params: checked.invalid, invalid_items: checked.invalidItems },
      headers: NO_STORE,
    });
  }
  const stored = await storeBatch(env.DB, key, bodySha, pointer.version, checked.ratings);
  // Another request with the same key may have won the race between our lookup and our insert.
  if (stored.body_sha256 !== bodySha || stored.count !== checked.ratings.length) return replay(env.DB, stored, bodySha);
  return jsonResponse(receipt(stored, null), { status: 202, headers: NO_STORE });
}

async function replay(db: D1Database, batch: BatchRow, bodySha: string): Promise<Response> {
  if (batch.body_sha256 !== bodySha) {
    throw fail(
      'idempotencyKeyReused',
      `Idempotency-Key ${quote(batch.idempotency_key)} was already used on ${batch.received_at} with a different body; nothing was stored. Use a new key for new ratings.`,
    );
  }
  return jsonResponse(receipt(batch, await firstApplied(db, batch)), {
    status: 202,
    headers: { ...NO_STORE, 'Idempotent-Replayed': 'true' },
  });
}

/**
 * The first live fold whose range of rating ids (from_id, watermark] took in the batch's last rating:
 * from then on the whole batch is served. null while it is queued.
 */
async function firstApplied(db: D1Database, batch: BatchRow): Promise<{ version: string; published_at: string } | null> {
  return db
    .prepare(
      "SELECT version, published_at FROM folds WHERE status = 'live' AND from_id < ?1 AND watermark >= ?1 ORDER BY published_at LIMIT 1",
    )
    .bind(batch.last_id)
    .first<{ version: string; published_at: string }>();
}

function receipt(batch: BatchRow, applied: { version: string; published_at: string } | null): IngestReceipt {
  const state = applied
    ? {
        status: 'applied' as const,
        applied_version: applied.version,
        applied_at: applied.published_at,
        detail: `Applied: live since ${applied.published_at} in data version ${applied.version} (and the versions after it).`,
      }
    : {
        status: 'queued' as const,
        detail:
          'Stored. The next scheduled fold applies them to the recommender and the scores; X-Data-Version changes when they are live.',
      };
  return {
    status: state.status,
    ...(applied ? { applied_version: applied.version, applied_at: applied.published_at } : {}),
    idempotency_key: batch.idempotency_key,
    queued: batch.count,
    first_id: batch.first_id,
    watermark: batch.last_id,
    received_at: batch.received_at,
    catalog_version: batch.catalog_version,
    detail: state.detail,
  };
}

/** Compares SHA-256 digests in constant time, so neither the token's bytes nor its length leak through timing. */
export async function bearerMatches(header: string | null, secret: string): Promise<boolean> {
  const match = header === null ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const given = match ? match[1] : '';
  const [a, b] = await Promise.all([sha256(new TextEncoder().encode(given)), sha256(new TextEncoder().encode(secret))]);
  return crypto.subtle.timingSafeEqual(a, b) && match !== null;
}

/** Cloudflare's own cap on a request body (Free and Pro plans): past it, draining is not worth it. */
const DRAIN_LIMIT_BYTES = 100 * 1024 * 1024;

async function readBody(request: Request): Promise<Uint8Array> {
  const declared = Number(request.headers.get('Content-Length'));
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await drain(reader, size);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * Reads and drops the rest of an oversize body before answering 413. Cancelling it while the client is
 * still sending makes the proxy in front of the worker (wrangler dev's) answer 503 "worker restarted
 * mid-request" instead of our 413; nothing is kept, so draining costs time but no memory.
 */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, alreadyRead: number): Promise<void> {
  let size = alreadyRead;
  while (size <= DRAIN_LIMIT_BYTES) {
    const { done, value } = await reader.read();
    if (done) return;
    size += value.byteLength;
  }
  await reader.cancel();
}

async function knownMovieIds(db: D1Database, version: string, items: readonly unknown[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const item of items) {
    const id =
      typeof item === 'object' && item !== null && Object.hasOwn(item, 'movieId') ? (item as { movieId: unknown }).movieId : undefined;
    if (typeof id === 'string') ids.add(id);
  }
  if (ids.size === 0) return ids;
  const { results } = await db
    .prepare('SELECT id FROM titles WHERE version = ?1 AND id IN (SELECT value FROM json_each(?2))')
    .bind(version, JSON.stringify([...ids]))
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

const BATCH_COLUMNS = 'idempotency_key, body_sha256, received_at, catalog_version, count, first_id, last_id';

async function findBatch(db: D1Database, key: string): Promise<BatchRow | null> {
  return db.prepare(`SELECT ${BATCH_COLUMNS} FROM ingest_batches WHERE idempotency_key = ?1`).bind(key).first<BatchRow>();
}

/**
 * Stores the batch and its ratings in one transaction (a D1 batch): ids are assigned in body order,
 * and a concurrent request with the same key either sees all of it or none of it.
 */
async function storeBatch(db: D1Database, key: string, bodySha: string, version: string, ratings: PostedRating[]): Promise<BatchRow> {
  const rows = JSON.stringify(ratings.map((r) => [r.userId, r.movieId, r.halves, r.timestamp]));
  try {
    await db.batch([
      db
        .prepare(
          'INSERT INTO ingest_batches (idempotency_key, body_sha256, received_at, catalog_version, count) VALUES (?1, ?2, ?3, ?4, ?5)',
        )
        .bind(key, bodySha, new Date().toISOString(), version, ratings.length),
      db
        .prepare(
          `INSERT INTO pending_ratings (batch_id, user_id, movie_id, halves, timestamp)
           SELECT (SELECT id FROM ingest_batches WHERE idempotency_key = ?1),
                  json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]')
           FROM json_each(?2) ORDER BY key`,
        )
        .bind(key, rows),
      db
        .prepare(
          `UPDATE ingest_batches SET
             first_id = (SELECT MIN(id) FROM pending_ratings WHERE batch_id = ingest_batches.id),
             last_id = (SELECT MAX(id) FROM pending_ratings WHERE batch_id = ingest_batches.id)
           WHERE idempotency_key = ?1`,
        )
        .bind(key),
    ]);
  } catch (error) {
    if (!/UNIQUE constraint failed/i.test(String(error))) throw error;
  }
  const row = await findBatch(db, key);
  if (!row) throw new Error(`ingest: batch ${key} is missing right after it was stored`);
  return row;
}

async function sha256(bytes: Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', bytes);
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await sha256(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function tooLarge(): ProblemError {
  return fail('payloadTooLarge', `The body exceeds ${MAX_BODY_BYTES} bytes; a batch holds at most ${MAX_RATINGS_PER_BATCH} ratings.`);
}

function invalid(params: InvalidParam[]): ProblemError {
  const detail =
    params.length === 1 ? `${params[0].name || 'The body'}: ${params[0].reason}.` : `${params.length} problems; see invalid_params.`;
  return new ProblemError('invalidRequest', detail, { extensions: { invalid_params: params }, headers: NO_STORE });
}

function fail(
  kind: ProblemKind,
  detail: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  log = false,
): ProblemError {
  return new ProblemError(kind, detail, { extensions, headers: { ...NO_STORE, ...headers }, log });
}

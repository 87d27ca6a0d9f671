// The JSON schemas of POST /ratings' body and receipt (its definition is RATINGS_ENDPOINT in
// ingest.ts), built from the same constants the validator enforces.
import { MAX_RATINGS_PER_BATCH } from './ingest-validate';
import { MAX_USER_ID, MIN_USER_ID } from '../contract';
import { MIN_TIMESTAMP } from '../contract/ratings';

const RATING = {
  type: 'object',
  required: ['userId', 'movieId', 'rating'],
  properties: {
    userId: { type: 'integer', minimum: MIN_USER_ID, maximum: MAX_USER_ID, description: 'Also accepted as decimal digits in a string.' },
    movieId: { type: 'string', description: 'A title id of the live catalog, exactly (e.g. "as680").' },
    rating: { type: 'number', enum: [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5], description: 'Half stars; also accepted as text ("4.5").' },
    timestamp: {
      type: 'integer',
      minimum: MIN_TIMESTAMP,
      description: 'Unix seconds, at most a day ahead; default: when the batch arrives.',
    },
  },
};

const RATINGS = { type: 'array', minItems: 1, maxItems: MAX_RATINGS_PER_BATCH, items: RATING };

/** The body: the ratings, as an array or as {"ratings": [...]}. */
export const RATINGS_BODY_SCHEMA = { oneOf: [RATINGS, { type: 'object', required: ['ratings'], properties: { ratings: RATINGS } }] };

/** The 202 receipt (worker/ingest.ts IngestReceipt). */
export const RECEIPT_SCHEMA = {
  type: 'object',
  required: ['status', 'idempotency_key', 'queued', 'first_id', 'watermark', 'received_at', 'catalog_version', 'detail'],
  properties: {
    status: {
      type: 'string',
      enum: ['queued', 'applied'],
      description: 'queued until a fold has applied the whole batch; a replay of the key reports applied once one has.',
    },
    applied_version: { type: 'string', description: 'With status applied: the first data version serving the batch.' },
    applied_at: { type: 'string', format: 'date-time', description: 'With status applied: when that version went live.' },
    idempotency_key: { type: 'string' },
    queued: { type: 'integer', minimum: 1 },
    first_id: { type: 'integer', description: 'Id of the first rating of the batch.' },
    watermark: {
      type: 'integer',
      description: 'Id of its last rating: a fold whose watermark reaches it has applied the batch.',
    },
    received_at: { type: 'string', format: 'date-time' },
    catalog_version: { type: 'string', description: 'The version whose catalog validated the movie ids.' },
    detail: { type: 'string' },
  },
};

export const BEARER_SECURITY_SCHEME = { bearer: { type: 'http', scheme: 'bearer', description: 'The INGEST_TOKEN secret.' } };

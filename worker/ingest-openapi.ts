// The OpenAPI 3.1 path item of POST /ratings, for the document in openapi.ts. Built from the same
// constants the handler enforces; problem responses refer to the document's shared components.
import { MAX_BODY_BYTES, MAX_RATINGS_PER_BATCH } from './ingest-validate';
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

const ref = (kind: string) => ({ $ref: `#/components/responses/${kind}` });

export const RATINGS_OPENAPI = {
  post: {
    operationId: 'post_ratings',
    tags: ['ratings'],
    summary: 'Queue new ratings',
    description:
      `Stores 1 to ${MAX_RATINGS_PER_BATCH} ratings (a body of at most ${MAX_BODY_BYTES} bytes) for the scheduled fold, ` +
      "which applies them to the recommender (the users' biases, factors and top lists) and to the titles' scores, " +
      'and publishes a new data version. Every rating is validated like a row of the rating files; if any is invalid ' +
      'nothing is stored. A retry with the same Idempotency-Key and body answers the original 202.',
    security: [{ bearer: [] }],
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
        description: 'New for each new batch (e.g. a UUID).',
      },
    ],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: { oneOf: [RATINGS, { type: 'object', required: ['ratings'], properties: { ratings: RATINGS } }] } },
      },
    },
    responses: {
      '202': {
        description: 'Stored; live after the next fold (X-Data-Version changes).',
        content: {
          'application/json': {
            schema: {
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
            },
          },
        },
      },
      '400': ref('invalidRequest'),
      '401': ref('unauthorized'),
      '413': ref('payloadTooLarge'),
      '415': ref('unsupportedMediaType'),
      '422': ref('idempotencyKeyReused'),
      '503': ref('ingestDisabled'),
    },
  },
};

export const BEARER_SECURITY_SCHEME = { bearer: { type: 'http', scheme: 'bearer', description: 'The INGEST_TOKEN secret.' } };

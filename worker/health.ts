// /health: which data version is live, where its ratings came from, and its size. On a cold isolate
// three KV reads (pointer, manifest, health record), then none; an unpublished store answers 503
// through requirePointer.
import { loadHealth, requirePointer } from './data';
import { defineEndpoint } from './endpoint';
import { CACHE_CONTROL } from './http';

const COUNT = { type: 'integer', minimum: 0 };

export const health = defineEndpoint({
  path: '/health',
  tag: 'service',
  summary: 'Service and data health',
  description: 'The live data version, when it was built and published, the ratings source (real files or the stand-in) and its counts.',
  params: {},
  response: {
    description: 'A data version is published and readable.',
    schema: {
      type: 'object',
      required: ['status', 'version', 'built_at', 'published_at', 'ratings_source', 'counts'],
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: ['ok'] },
        version: { type: 'string' },
        built_at: { type: 'string', format: 'date-time' },
        published_at: { type: 'string', format: 'date-time' },
        ratings_source: { type: 'string', enum: ['files', 'stand-in'] },
        counts: {
          type: 'object',
          required: ['titles', 'movies', 'ratings_rows', 'ratings_rejected', 'users'],
          properties: { titles: COUNT, movies: COUNT, ratings_rows: COUNT, ratings_rejected: COUNT, users: COUNT },
        },
      },
    },
  },
  problems: ['noData'],
  cacheControl: CACHE_CONTROL.revalidate,
  async handle(_values, ctx) {
    const pointer = requirePointer(ctx);
    const record = await loadHealth(ctx.env.KV, pointer);
    return {
      body: {
        status: 'ok',
        version: pointer.version,
        built_at: record.built_at,
        published_at: pointer.published_at,
        ratings_source: record.ratings_source,
        counts: record.counts,
      },
      etagSource: `${pointer.version}\n${pointer.published_at}\n/health`,
    };
  },
});

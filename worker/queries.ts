// The four catalog queries (docs/reference.md#the-four-queries), each answered from the decoded query index: no catalog
// scan per request.
import { actor, countPlatform, DURATION_TYPES, maxDuration, PLATFORMS, scoreCount, type DurationType } from '../contract';
import { liveQueryIndex } from './data';
import { defineEndpoint, type Endpoint } from './endpoint';
import { CACHE_CONTROL } from './http';
import { ACTOR_PARAMS, COUNT_PLATFORM_PARAMS, MAX_DURATION_PARAMS, SCORE_COUNT_PARAMS, type JsonSchema } from './params';
import { ProblemError } from './problem';

const TAG = 'catalog';
const PLATFORM_SCHEMA: JsonSchema = { type: 'string', enum: [...PLATFORMS], description: 'Canonical platform name.' };
const YEAR_SCHEMA: JsonSchema = { type: 'integer', minimum: 0, maximum: 9999 };
const COUNT_SCHEMA: JsonSchema = { type: 'integer', minimum: 0 };

function objectSchema(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

const UNIT_WORDS: Record<DurationType, string> = { min: 'in minutes', season: 'in seasons' };

export const getMaxDuration = defineEndpoint({
  path: '/get_max_duration',
  tag: TAG,
  summary: 'Longest title',
  description:
    'The title with the highest duration in one unit (minutes or seasons), optionally filtered by release year ' +
    'and platform. Ties go to the first title in code-point order, then the smallest id.',
  params: MAX_DURATION_PARAMS,
  response: {
    description: 'The longest matching title.',
    schema: objectSchema({
      id: { type: 'string', description: 'Platform letter + show_id, e.g. "ns1234".' },
      title: { type: 'string' },
      platform: PLATFORM_SCHEMA,
      type: { type: 'string', description: '"movie" or "tv show".' },
      release_year: YEAR_SCHEMA,
      duration_int: { type: 'integer', minimum: 0 },
      duration_type: { type: 'string', enum: [...DURATION_TYPES] },
    }),
  },
  problems: ['noMatch', 'noData'],
  cacheControl: CACHE_CONTROL.data,
  async handle({ year, platform, duration_type }, ctx, query) {
    const { version, index } = await liveQueryIndex(ctx);
    const answer = maxDuration(index, { year, platform, durationType: duration_type });
    if (answer === null) {
      const filters = [year !== undefined && `released in ${year}`, platform && `on ${platform}`].filter(Boolean).join(' ');
      throw new ProblemError('noMatch', `No title with a duration ${UNIT_WORDS[duration_type]}${filters ? ` ${filters}` : ''}.`);
    }
    return { body: answer, etagSource: `${version}\n${query}` };
  },
});

export const getScoreCount = defineEndpoint({
  path: '/get_score_count',
  tag: TAG,
  summary: 'Movies scored above a threshold',
  description:
    'Number of movies (type "movie") of a platform released in a year whose score (the mean of all their ratings) ' +
    'is strictly greater than `scored`.',
  params: SCORE_COUNT_PARAMS,
  response: {
    description: 'The count (0 when nothing matches).',
    schema: objectSchema({
      platform: PLATFORM_SCHEMA,
      scored: { type: 'number', minimum: 0, maximum: 5 },
      year: YEAR_SCHEMA,
      count: COUNT_SCHEMA,
    }),
  },
  problems: ['noData'],
  cacheControl: CACHE_CONTROL.data,
  async handle({ platform, scored, year }, ctx, query) {
    const { version, index } = await liveQueryIndex(ctx);
    const count = scoreCount(index, { platform, scored, year });
    return { body: { platform, scored, year, count }, etagSource: `${version}\n${query}` };
  },
});

export const getCountPlatform = defineEndpoint({
  path: '/get_count_platform',
  tag: TAG,
  summary: 'Movies on a platform',
  description: 'Number of movies on the platform (`count`), with its TV shows and all titles for context.',
  params: COUNT_PLATFORM_PARAMS,
  response: {
    description: 'Title counts of the platform.',
    schema: objectSchema({
      platform: PLATFORM_SCHEMA,
      count: { ...COUNT_SCHEMA, description: 'Movies.' },
      tv_shows: COUNT_SCHEMA,
      total: { ...COUNT_SCHEMA, description: 'All titles.' },
    }),
  },
  problems: ['noData'],
  cacheControl: CACHE_CONTROL.data,
  async handle({ platform }, ctx, query) {
    const { version, index } = await liveQueryIndex(ctx);
    return { body: countPlatform(index, platform), etagSource: `${version}\n${query}` };
  },
});

export const getActor = defineEndpoint({
  path: '/get_actor',
  tag: TAG,
  summary: 'Most frequent actor',
  description:
    'Over all titles of a platform and release year, the cast member appearing in the most titles (each actor ' +
    'counted once per title). Ties go to the first name in code-point order; `tied` lists every name at the top ' +
    'count, sorted. Hulu has no cast data at all, so it always answers 404.',
  params: ACTOR_PARAMS,
  response: {
    description: 'The most frequent actor.',
    schema: objectSchema({
      platform: PLATFORM_SCHEMA,
      year: YEAR_SCHEMA,
      actor: { type: 'string' },
      count: { ...COUNT_SCHEMA, minimum: 1 },
      tied: { type: 'array', items: { type: 'string' }, minItems: 1 },
    }),
  },
  problems: ['noMatch', 'noCastData', 'noData'],
  cacheControl: CACHE_CONTROL.data,
  async handle({ platform, year }, ctx, query) {
    const { version, index } = await liveQueryIndex(ctx);
    const result = actor(index, { platform, year });
    switch (result.status) {
      case 'found':
        return {
          body: { platform, year, actor: result.actor, count: result.count, tied: result.tied },
          etagSource: `${version}\n${query}`,
        };
      case 'no_cast_data_for_platform':
        throw new ProblemError('noCastData', `The ${platform} catalog has no cast data at all, so no actor can be named.`);
      case 'no_titles':
        throw new ProblemError('noMatch', `No ${platform} title was released in ${year}.`);
      case 'no_cast_for_year':
        throw new ProblemError('noMatch', `No ${platform} title released in ${year} lists any cast.`);
    }
  },
});

export const CATALOG_ENDPOINTS: Endpoint[] = [getMaxDuration, getScoreCount, getCountPlatform, getActor];

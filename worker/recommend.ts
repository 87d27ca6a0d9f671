// The recommender endpoints (docs/reference.md#recommender): /recommend (should this user watch this title),
// /recommendations (the user's top titles) and /model (how the model was trained and how it scores).
// Per request: at most one KV read for the user's shard; the title blob is decoded once per isolate,
// and a prediction is one dot product.
import { clipPrediction, PLATFORMS, ratingOf, scoreTitle, topTitles, type DataPointer } from '../contract';
import { loadHealth, requirePointer } from './data';
import { defineEndpoint, type Endpoint } from './endpoint';
import { CACHE_CONTROL, type RequestContext } from './http';
import type { JsonSchema } from './params';
import { invalidParamsError, ProblemError } from './problem';
import { loadModel, loadReport, loadUser, type LoadedModel } from './recommend-data';
import { MAX_K, RECOMMEND_PARAMS, RECOMMENDATIONS_PARAMS, THRESHOLD } from './recommend-params';

const TAG = 'recommender';
const DEFAULT_THRESHOLD = 3.5;
const SUGGESTIONS = 5;
const CANDIDATES_MAX = 50;

const PLATFORM_SCHEMA: JsonSchema = { type: 'string', enum: [...PLATFORMS] };
const RATING_SCHEMA: JsonSchema = { type: 'number', minimum: 0.5, maximum: 5 };
let configuredThreshold: { raw: string | undefined; value: number } | undefined;
/** RECOMMEND_THRESHOLD from the configuration; a bad value is logged and the default used. */
function defaultThreshold(ctx: RequestContext): number {
  const raw = (ctx.env as { RECOMMEND_THRESHOLD?: string }).RECOMMEND_THRESHOLD;
  const cached = configuredThreshold;
  if (cached !== undefined && cached.raw === raw) return cached.value;
  const parsed = raw === undefined ? undefined : THRESHOLD.parse(raw);
  if (parsed && !parsed.ok)
    console.error(JSON.stringify({ level: 'error', message: `RECOMMEND_THRESHOLD: ${parsed.reason}; using ${DEFAULT_THRESHOLD}` }));
  const value = parsed?.ok ? parsed.value : DEFAULT_THRESHOLD;
  configuredThreshold = { raw, value };
  return value;
}

async function liveModel(ctx: RequestContext): Promise<{ pointer: DataPointer; model: LoadedModel }> {
  const pointer = requirePointer(ctx);
  return { pointer, model: await loadModel(ctx.env.KV, pointer) };
}

function titleChoice(model: LoadedModel, t: number) {
  const m = model.titles;
  return { movie_id: m.ids[t], title: m.titles[t], platform: PLATFORMS[m.platform[t]], type: m.types[t], release_year: m.releaseYears[t] };
}

/** The title a request names, by id or by name; 404 with suggestions, or 409 with candidates. */
function resolveTitle(model: LoadedModel, movieId: string | undefined, title: string | undefined): number {
  if (movieId !== undefined && title !== undefined) {
    throw invalidParamsError([{ name: 'title', reason: 'give movie_id or title, not both' }]);
  }
  if (movieId !== undefined) {
    const t = model.byId.get(movieId);
    if (t === undefined) throw new ProblemError('noMatch', `No title has the id "${movieId}".`);
    return t;
  }
  if (title === undefined) throw invalidParamsError([{ name: 'movie_id', reason: 'required and missing: give movie_id or title' }]);
  const matches = model.names.match(title);
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    const candidates = matches.map((t) => titleChoice(model, t)).sort((a, b) => (a.movie_id < b.movie_id ? -1 : 1));
    throw new ProblemError(
      'ambiguousTitle',
      `${matches.length} titles are named "${model.titles.titles[matches[0]]}"; ask again with the movie_id of one of the candidates.`,
      {
        extensions: { candidates: candidates.slice(0, CANDIDATES_MAX) },
      },
    );
  }
  const suggestions = model.names.suggest(title, SUGGESTIONS).map((t) => titleChoice(model, t));
  throw new ProblemError('noMatch', `No title is named ${JSON.stringify(title.trim())}${suggestions.length ? '; see suggestions' : ''}.`, {
    extensions: { suggestions },
  });
}

export const recommend = defineEndpoint({
  path: '/recommend',
  tag: TAG,
  summary: 'Should this user watch this title?',
  description:
    "Predicts the user's rating of one title (global mean + user bias + title bias + user factors . title factors, " +
    'clipped to 0.5..5) and recommends it when the prediction reaches the threshold. Name the title by `movie_id` or by ' +
    '`title` (matched after normalising case, accents and spacing): several titles with that name answer 409 with ' +
    '`candidates`, none answers 404 with `suggestions`. An unknown user gets the title baseline (global mean + title bias) ' +
    "with `user_known: false`. A title the user already rated is still predicted, with the user's own rating.",
  params: RECOMMEND_PARAMS,
  response: {
    description: 'The prediction and the decision.',
    schema: {
      type: 'object',
      required: [
        'user_id',
        'movie_id',
        'title',
        'recommend',
        'predicted_rating',
        'threshold',
        'user_known',
        'movie_known',
        'already_rated',
      ],
      additionalProperties: false,
      properties: {
        user_id: { type: 'integer' },
        movie_id: { type: 'string' },
        title: { type: 'string' },
        recommend: { type: 'boolean', description: 'predicted_rating >= threshold' },
        predicted_rating: RATING_SCHEMA,
        threshold: { type: 'number', minimum: 0, maximum: 5 },
        user_known: { type: 'boolean', description: 'The user has ratings in the model; if not, the prediction is the title baseline.' },
        movie_known: { type: 'boolean', description: 'The title has ratings in the model; if not, its bias and factors are zero.' },
        already_rated: { type: 'boolean' },
        user_rating: { ...RATING_SCHEMA, description: "The user's latest rating of the title, when already rated." },
      },
    },
  },
  problems: ['noMatch', 'ambiguousTitle', 'noData'],
  cacheControl: CACHE_CONTROL.data,
  crossRules(_values, given) {
    if (given.has('movie_id') && given.has('title')) return [{ name: 'title', reason: 'give movie_id or title, not both' }];
    if (!given.has('movie_id') && !given.has('title'))
      return [{ name: 'movie_id', reason: 'required and missing: give movie_id or title' }];
    return [];
  },
  async handle({ user_id, movie_id, title, threshold }, ctx, query) {
    const { pointer, model } = await liveModel(ctx);
    const t = resolveTitle(model, movie_id, title);
    const user = await loadUser(ctx.env.KV, pointer, model, user_id);
    const predicted = clipPrediction(scoreTitle(model.titles, user, t));
    const limit = threshold ?? defaultThreshold(ctx);
    const rating = user ? ratingOf(user, t) : null;
    const body = {
      user_id,
      movie_id: model.titles.ids[t],
      title: model.titles.titles[t],
      recommend: predicted >= limit,
      predicted_rating: predicted,
      threshold: limit,
      user_known: user !== null,
      movie_known: !model.unrated.has(t),
      already_rated: rating !== null,
      ...(rating !== null ? { user_rating: rating } : {}),
    };
    return { body, etagSource: `${pointer.version}\n${query}\nmovie=${t}\nthreshold=${limit}` };
  },
});

export const recommendations = defineEndpoint({
  path: '/recommendations',
  tag: TAG,
  summary: 'Top titles for a user',
  description:
    `The k titles (1 to ${MAX_K}) with the highest predicted rating that the user has not rated, on one platform or on all. ` +
    'Lists are precomputed per user and platform by the loader; an unknown user gets the best titles by baseline ' +
    '(global mean + title bias) with `user_known: false`.',
  params: RECOMMENDATIONS_PARAMS,
  response: {
    description: 'The ranked titles, best first.',
    schema: {
      type: 'object',
      required: ['user_id', 'user_known', 'platform', 'k', 'items'],
      additionalProperties: false,
      properties: {
        user_id: { type: 'integer' },
        user_known: { type: 'boolean' },
        platform: { ...PLATFORM_SCHEMA, type: ['string', 'null'], enum: [...PLATFORMS, null], description: 'null: all platforms.' },
        k: { type: 'integer', minimum: 1, maximum: MAX_K },
        items: {
          type: 'array',
          maxItems: MAX_K,
          items: {
            type: 'object',
            required: ['movie_id', 'title', 'platform', 'predicted_rating'],
            additionalProperties: false,
            properties: {
              movie_id: { type: 'string' },
              title: { type: 'string' },
              platform: PLATFORM_SCHEMA,
              predicted_rating: RATING_SCHEMA,
            },
          },
        },
      },
    },
  },
  problems: ['noData'],
  cacheControl: CACHE_CONTROL.data,
  async handle({ user_id, k, platform }, ctx, query) {
    const { pointer, model } = await liveModel(ctx);
    const user = await loadUser(ctx.env.KV, pointer, model, user_id);
    const items = topTitles(model.titles, user, platform ?? null, k).map(({ title: t, predicted }) => ({
      movie_id: model.titles.ids[t],
      title: model.titles.titles[t],
      platform: PLATFORMS[model.titles.platform[t]],
      predicted_rating: predicted,
    }));
    return {
      body: { user_id, user_known: user !== null, platform: platform ?? null, k, items },
      etagSource: `${pointer.version}\n${query}`,
    };
  },
});

export const modelInfo = defineEndpoint({
  path: '/model',
  tag: TAG,
  summary: 'How the recommender was trained and how it scores',
  description:
    "The model's hyperparameters, its training data (size and source: real rating files or the stand-in), its " +
    'metrics on a seeded holdout against the baselines (global mean; biases only), training time and storage. ' +
    '`model` says how a prediction is formed. A model whose factors were trained elsewhere (Spark ALS, ' +
    '`npm run load -- --factors DIR`) has `source` (its files, rank, columns read as biases, how unknown users are ' +
    'answered), `training.trained: false` and in-sample metrics.',
  params: {},
  response: {
    description: 'The model report written by the loader.',
    schema: {
      type: 'object',
      required: ['version', 'ratings_source', 'hyperparameters', 'data', 'evaluation', 'training'],
      properties: {
        version: { type: 'string' },
        ratings_source: { type: 'string', enum: ['files', 'stand-in'] },
        model: { type: 'string' },
        hyperparameters: { type: 'object' },
        data: { type: 'object' },
        evaluation: {
          type: 'object',
          description: 'models.{global_mean,biases,mf}: rmse, mae, auc, precision, recall, accuracy; mf_gain.',
        },
        training: { type: 'object' },
        source: { type: 'object', description: 'Where imported factors came from (absent when the loader trained the model).' },
        storage: { type: 'object' },
      },
    },
  },
  problems: ['noData'],
  cacheControl: CACHE_CONTROL.data,
  async handle(_values, ctx) {
    const pointer = requirePointer(ctx);
    const [report, health] = await Promise.all([loadReport(ctx.env.KV, pointer), loadHealth(ctx.env.KV, pointer)]);
    return {
      body: { version: pointer.version, ratings_source: health.ratings_source, ...report },
      etagSource: `${pointer.version}\n/model`,
    };
  },
});

export const RECOMMENDER_ENDPOINTS: Endpoint[] = [recommend, recommendations, modelInfo];

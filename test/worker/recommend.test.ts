// The recommender endpoints over HTTP, on the model the loader trained for the test bundle (the full
// catalog, a sample of the ratings). Expected answers are recomputed here from the published KV
// values with the contract's decoders, independently of the worker's caches and lookups.
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  artifactKey,
  clipPrediction,
  decodeTitleModel,
  decodeUserShard,
  MODEL_KEYS,
  normalizeName,
  MANIFEST_PREFIX,
  PLATFORMS,
  scoreTitle,
  shardOfUser,
  type Manifest,
  type UserRecord,
} from '../../contract';
import { clearDataCache } from '../../worker/data';
import { clearModelCache } from '../../worker/recommend-data';
import { handleRequest } from '../../worker/router';
import { testBundle } from './bundle-transport';
import { get, invalidParamsOf, livePointer, problemOf, recordingKV } from './client';

const bundle = await testBundle();
const value = (name: string) => bundle.kv.get(name); // the bundle holds artifacts by name
const blob = decodeTitleModel(value(MODEL_KEYS.titles) as Uint8Array);
const users: UserRecord[] = [];
for (let s = 0; s < blob.shards; s++) users.push(...decodeUserShard(value(MODEL_KEYS.userShard(s)) as Uint8Array).records);
const heavy = [...users].sort((a, b) => b.ratedTitles.length - a.ratedTitles.length || a.userId - b.userId)[0];
const light = users.find((u) => u.ratedTitles.length > 0 && u.userId !== heavy.userId)!;
const UNKNOWN_USER = 2_000_000_000;

interface Recommend {
  user_id: number;
  movie_id: string;
  title: string;
  recommend: boolean;
  predicted_rating: number;
  threshold: number;
  user_known: boolean;
  movie_known: boolean;
  already_rated: boolean;
  user_rating?: number;
}
interface Recommendations {
  user_id: number;
  user_known: boolean;
  platform: string | null;
  k: number;
  items: { movie_id: string; title: string; platform: string; predicted_rating: number }[];
}

/** The expected top k for a user (null: unknown) by brute force over every title. */
function bruteTop(user: UserRecord | null, platform: string | null, k: number): string[] {
  const rated = new Set(user?.ratedTitles ?? []);
  return blob.ids
    .map((id, t) => ({ id, t, s: scoreTitle(blob, user, t) }))
    .filter(({ t }) => !rated.has(t) && (platform === null || PLATFORMS[blob.platform[t]] === platform))
    .sort((a, b) => b.s - a.s || a.t - b.t)
    .slice(0, k)
    .map(({ id }) => id);
}

beforeEach(() => {
  clearDataCache();
  clearModelCache();
});

describe('/recommend', () => {
  it('predicts for a known user and an unrated title, as mean + biases + factors, clipped', async () => {
    const rated = new Set(light.ratedTitles);
    const t = blob.ids.findIndex((_, i) => !rated.has(i));
    const response = await get(`/recommend?user_id=${light.userId}&movie_id=${blob.ids[t]}`);
    expect(response.status).toBe(200);
    const body = await response.json<Recommend>();
    const predicted = clipPrediction(scoreTitle(blob, light, t));
    expect(body).toEqual({
      user_id: light.userId,
      movie_id: blob.ids[t],
      title: blob.titles[t],
      recommend: predicted >= 3.5,
      predicted_rating: predicted,
      threshold: 3.5,
      user_known: true,
      movie_known: true,
      already_rated: false,
    });
  });

  it("still predicts a title the user already rated, with the user's latest rating", async () => {
    const t = light.ratedTitles[0];
    const body = await (await get(`/recommend?user_id=${light.userId}&movie_id=${blob.ids[t]}`)).json<Recommend>();
    expect(body.already_rated).toBe(true);
    expect(body.user_rating).toBe(light.ratedHalves[0] / 2);
    expect(body.predicted_rating).toBe(clipPrediction(scoreTitle(blob, light, t)));
  });

  it('gives an unknown user the title baseline (mean + title bias), never an error', async () => {
    const body = await (await get(`/recommend?user_id=${UNKNOWN_USER}&movie_id=${blob.ids[5]}`)).json<Recommend>();
    expect(body).toMatchObject({ user_id: UNKNOWN_USER, user_known: false, already_rated: false });
    expect(body.predicted_rating).toBe(clipPrediction(blob.mean + blob.titleBias[5]));
    expect(body).not.toHaveProperty('user_rating');
  });

  it('uses the threshold parameter over the configured default', async () => {
    const id = blob.ids[0];
    const at = async (threshold: string) =>
      (await get(`/recommend?user_id=${light.userId}&movie_id=${id}&threshold=${threshold}`)).json<Recommend>();
    const low = await at('0');
    expect(low).toMatchObject({ threshold: 0, recommend: true });
    const high = await at('5');
    expect(high).toMatchObject({ threshold: 5, recommend: low.predicted_rating >= 5 });
    const exact = await at(String(low.predicted_rating));
    expect(exact.recommend).toBe(true); // reaching the threshold is enough
  });

  it('reads the default threshold from RECOMMEND_THRESHOLD', async () => {
    const response = await handleRequest(new Request(`http://worker.test/recommend?user_id=1&movie_id=${blob.ids[0]}`), {
      ...env,
      RECOMMEND_THRESHOLD: '4.5',
    } as unknown as Env);
    expect((await response.json<Recommend>()).threshold).toBe(4.5);
  });

  it('answers 404 for an unknown movie id', async () => {
    const problem = await problemOf(await get('/recommend?user_id=1&movie_id=zs999999'));
    expect(problem).toMatchObject({ status: 404, type: '/problems/no-match' });
    expect(problem.detail).toContain('zs999999');
  });

  it('finds a title by name, ignoring case, accents and spacing', async () => {
    const unique = blob.names.findIndex(
      (name, t) => blob.names.indexOf(name) === t && blob.names.lastIndexOf(name) === t && name.length > 8,
    );
    const typed = `  ${blob.titles[unique].toUpperCase().replace(/ /g, '   ')} `;
    const body = await (await get(`/recommend?user_id=${light.userId}&title=${encodeURIComponent(typed)}`)).json<Recommend>();
    expect(body.movie_id).toBe(blob.ids[unique]);
  });

  it('answers 409 with every candidate when several titles share the name', async () => {
    const counts = new Map<string, number>();
    for (const name of blob.names) counts.set(name, (counts.get(name) ?? 0) + 1);
    const [name, count] = [...counts].find(([, n]) => n > 1)!;
    const problem = await problemOf(await get(`/recommend?user_id=1&title=${encodeURIComponent(name)}`));
    expect(problem).toMatchObject({ status: 409, type: '/problems/ambiguous-title' });
    const candidates = problem.candidates as { movie_id: string; title: string; platform: string }[];
    expect(candidates).toHaveLength(count);
    for (const c of candidates) expect(normalizeName(c.title)).toBe(name);
    expect(candidates.map((c) => c.movie_id)).toEqual([...candidates.map((c) => c.movie_id)].sort());
  });

  it('answers 404 with suggestions when no title has the name', async () => {
    const t = blob.names.findIndex((name) => name.length > 10 && /^[a-z ]+$/.test(name));
    const typo = blob.names[t].slice(0, -1) + (blob.names[t].endsWith('x') ? 'y' : 'x');
    const problem = await problemOf(await get(`/recommend?user_id=1&title=${encodeURIComponent(typo)}`));
    expect(problem).toMatchObject({ status: 404, type: '/problems/no-match' });
    const suggestions = problem.suggestions as { movie_id: string }[];
    expect(suggestions.length).toBeGreaterThan(0);
    expect(suggestions.map((s) => s.movie_id)).toContain(blob.ids[blob.names.indexOf(blob.names[t])]);
    const nothing = await problemOf(await get('/recommend?user_id=1&title=qqqqzzzzqqqq'));
    expect(nothing.suggestions).toEqual([]);
  });

  it('rejects bad parameters with invalid_params', async () => {
    expect(await invalidParamsOf(await get('/recommend?user_id=1'))).toMatchObject([
      { name: 'movie_id', reason: expect.stringMatching(/movie_id or title/) },
    ]);
    expect(await invalidParamsOf(await get(`/recommend?user_id=1&movie_id=${blob.ids[0]}&title=x`))).toMatchObject([{ name: 'title' }]);
    expect(await invalidParamsOf(await get(`/recommend?movie_id=${blob.ids[0]}`))).toMatchObject([
      { name: 'user_id', reason: 'required and missing' },
    ]);
    for (const bad of ['abc', '-1', '1.5', '99999999999', '0x10']) {
      expect(await invalidParamsOf(await get(`/recommend?user_id=${bad}&movie_id=${blob.ids[0]}`))).toMatchObject([{ name: 'user_id' }]);
    }
    const comma = await invalidParamsOf(await get(`/recommend?user_id=1&movie_id=${blob.ids[0]}&threshold=3,5`));
    expect(comma[0].reason).toMatch(/"3\.5"/);
    expect(await invalidParamsOf(await get(`/recommend?user_id=1&movie_id=${blob.ids[0]}&threshold=5.5`))).toMatchObject([
      { name: 'threshold' },
    ]);
    expect(await invalidParamsOf(await get(`/recommend?user_id=1&user_id=2&movie_id=${blob.ids[0]}`))).toMatchObject([{ name: 'user_id' }]);
  });
});

describe('/recommendations', () => {
  it('lists the top 10 unrated titles over all platforms by default, best first', async () => {
    const body = await (await get(`/recommendations?user_id=${heavy.userId}`)).json<Recommendations>();
    expect(body).toMatchObject({ user_id: heavy.userId, user_known: true, platform: null, k: 10 });
    expect(body.items.map((i) => i.movie_id)).toEqual(bruteTop(heavy, null, 10));
    const rated = new Set([...heavy.ratedTitles].map((t) => blob.ids[t]));
    for (const item of body.items) expect(rated.has(item.movie_id)).toBe(false);
    const scores = body.items.map((i) => i.predicted_rating);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it.each(PLATFORMS.map((p) => [p]))('lists the top 100 on %s alone', async (platform) => {
    const body = await (await get(`/recommendations?user_id=${heavy.userId}&k=100&platform=${platform}`)).json<Recommendations>();
    expect(body.platform).toBe(platform);
    expect(body.items.map((i) => i.movie_id)).toEqual(bruteTop(heavy, platform, 100));
    for (const item of body.items) {
      const t = blob.ids.indexOf(item.movie_id);
      expect(item).toEqual({
        movie_id: blob.ids[t],
        title: blob.titles[t],
        platform,
        predicted_rating: clipPrediction(scoreTitle(blob, heavy, t)),
      });
    }
  });

  it('gives an unknown user the best titles by baseline', async () => {
    const body = await (await get(`/recommendations?user_id=${UNKNOWN_USER}&k=25&platform=Disney%2B`)).json<Recommendations>();
    expect(body).toMatchObject({ user_known: false, platform: 'disney', k: 25 });
    expect(body.items.map((i) => i.movie_id)).toEqual(bruteTop(null, 'disney', 25));
  });

  it('accepts k from 1 to 100 only', async () => {
    expect((await (await get(`/recommendations?user_id=${light.userId}&k=1`)).json<Recommendations>()).items).toHaveLength(1);
    for (const bad of ['0', '101', 'ten', '2.5']) {
      expect(await invalidParamsOf(await get(`/recommendations?user_id=1&k=${bad}`))).toMatchObject([{ name: 'k' }]);
    }
    expect(await invalidParamsOf(await get('/recommendations?user_id=1&platform=hbo'))).toMatchObject([{ name: 'platform' }]);
  });
});

describe('/model', () => {
  it('reports hyperparameters, data size and source, and metrics against the baselines', async () => {
    const body = await (await get('/model')).json<Record<string, any>>();
    expect(body.version).toBe(bundle.version);
    expect(body.ratings_source).toBe(bundle.health.ratings_source);
    expect(body.hyperparameters.factors).toBe(blob.k);
    expect(body.data.users).toBe(users.length);
    for (const model of ['global_mean', 'biases', 'mf']) {
      expect(Object.keys(body.evaluation.models[model])).toEqual(
        expect.arrayContaining(['rmse', 'mae', 'auc', 'precision', 'recall', 'accuracy']),
      );
    }
    expect(body.evaluation.models.mf.rmse).toBeLessThanOrEqual(body.evaluation.models.biases.rmse);
    expect(body.storage.shards).toBe(blob.shards);
  });
});

describe('storage access', () => {
  it('costs one KV read per user request once the title blob is loaded', async () => {
    const { kv, reads } = recordingKV();
    const call = (path: string) => handleRequest(new Request(`http://worker.test${path}`), { ...env, KV: kv });
    expect((await call(`/recommendations?user_id=${heavy.userId}`)).status).toBe(200);
    const other = users.find((u) => shardOfUser(u.userId, blob.shards) !== shardOfUser(heavy.userId, blob.shards))!;
    reads.length = 0;
    expect((await call(`/recommend?user_id=${other.userId}&movie_id=${blob.ids[1]}`)).status).toBe(200);
    const pointer = await livePointer();
    expect(reads).toEqual([artifactKey(pointer, MODEL_KEYS.userShard(shardOfUser(other.userId, blob.shards)))]);
  });

  it('keeps the users it answered, not their shards: a returning user costs no read, a neighbour one', async () => {
    const { kv, reads } = recordingKV();
    const call = (path: string) => handleRequest(new Request(`http://worker.test${path}`), { ...env, KV: kv });
    const shard = shardOfUser(heavy.userId, blob.shards);
    const neighbour = users.find((u) => u.userId !== heavy.userId && shardOfUser(u.userId, blob.shards) === shard)!;
    expect((await call(`/recommendations?user_id=${heavy.userId}`)).status).toBe(200);
    reads.length = 0;
    expect((await call(`/recommend?user_id=${heavy.userId}&movie_id=${blob.ids[1]}`)).status).toBe(200);
    expect(reads).toEqual([]);
    expect((await call(`/recommendations?user_id=${neighbour.userId}`)).status).toBe(200);
    expect(reads).toEqual([artifactKey(await livePointer(), MODEL_KEYS.userShard(shard))]);
    // An unknown user is remembered as unknown: the shard that says so cannot change.
    reads.length = 0;
    for (let i = 0; i < 2; i++)
      expect(((await (await call(`/recommendations?user_id=${UNKNOWN_USER}`)).json()) as Recommendations).user_known).toBe(false);
    expect(reads).toHaveLength(1);
  });

  it('answers 503 when the live version has no model', async () => {
    const { kv } = recordingKV(async (key, real) => {
      if (!key.startsWith(MANIFEST_PREFIX)) return real;
      const manifest = JSON.parse((await real) as string) as Manifest;
      const artifacts = Object.fromEntries(Object.entries(manifest.artifacts).filter(([name]) => !name.startsWith('model/')));
      return JSON.stringify({ ...manifest, artifacts });
    });
    const response = await handleRequest(new Request('http://worker.test/recommendations?user_id=1'), { ...env, KV: kv });
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ status: 503, type: '/problems/no-data' });
    expect(problem.detail).toContain('npm run load');
  });
});

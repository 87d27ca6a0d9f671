// The cron fold on the real pipeline's bundle (full catalog, a sample of the ratings): the pure math
// against the trainer's own results, then whole runs against KV and D1, including runs that die
// midway. Every test measures against the live version it starts from, so the tests hold whether or
// not storage is reset between them.
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ARTIFACT,
  artifactKey,
  cellIndex,
  claimedLive,
  CURRENT_KEY,
  decodeQueryIndex,
  decodeTitleModel,
  decodeUserShard,
  findUserRecord,
  manifestKey,
  MODEL_KEYS,
  PLATFORMS,
  scoreTitle,
  readHistory,
  shardOfUser,
  TITLE_COLUMNS,
  type DataHealth,
  type Manifest,
  type Platform,
  type Title,
  type TitleModel,
  type UserRecord,
} from '../../contract';
import { publishBundle, rollback } from '../../loader/publish/publish';
import { buildQueryIndex } from '../../loader/catalog/query-index';
import { clearDataCache } from '../../worker/data';
import { boundBatch, foldVersion, regularisation, runFold, type FoldResult, type FoldStage, type FoldStats } from '../../worker/fold';
import { foldScores, patchQueryIndexScores, type ScoredTitle } from '../../worker/fold-scores';
import type { PendingRating } from '../../worker/fold-state';
import { choleskySolve, mergeRatings, solveUser, userTopLists } from '../../worker/fold-user';
import { clearModelCache } from '../../worker/recommend-data';
import { scanScoreCount } from './catalog-scan';
import { testBundle } from './bundle-transport';
import { get, putLive } from './client';
import type { IngestReceipt } from '../../worker/ingest';
import { cronTick, drain, fold, livePointer, postRatings, queue, type RatingInput } from './ingest-client';

const bundle = await testBundle();
const blob = decodeTitleModel(bundle.kv.get(MODEL_KEYS.titles) as Uint8Array);
const reg = regularisation(bundle.kv.get(MODEL_KEYS.report) as string);
const users: UserRecord[] = [];
for (let s = 0; s < blob.shards; s++) users.push(...decodeUserShard(bundle.kv.get(MODEL_KEYS.userShard(s)) as Uint8Array).records);
const factorsTrained = blob.titleFactors.some((x) => x !== 0);

beforeEach(() => {
  clearDataCache();
  clearModelCache();
});

// ---------------------------------------------------------------------------------------------
// Helpers over the live stores

async function userOf(manifest: Manifest, userId: number): Promise<UserRecord | null> {
  const key = artifactKey(manifest, MODEL_KEYS.userShard(shardOfUser(userId, blob.shards)))!;
  return findUserRecord((await env.KV.get(key, 'arrayBuffer'))!, userId);
}

async function healthOf(manifest: Manifest): Promise<DataHealth> {
  return JSON.parse((await env.KV.get(artifactKey(manifest, ARTIFACT.health)!, 'text'))!) as DataHealth;
}

async function rowsOf(version: string): Promise<Title[]> {
  const { results } = await env.DB.prepare(
    `SELECT ${TITLE_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM titles WHERE version = ?1 ORDER BY id`,
  )
    .bind(version)
    .all<Title>();
  return results;
}

async function titleRow(version: string, id: string): Promise<{ score: number | null; n_ratings: number }> {
  return (await env.DB.prepare('SELECT score, n_ratings FROM titles WHERE version = ?1 AND id = ?2').bind(version, id).first())!;
}

function folded(result: FoldResult): FoldStats {
  if (result.status !== 'folded') throw new Error(`expected a fold, got ${JSON.stringify(result)}`);
  return result;
}

/** A user of the sample with between `min` and `max` ratings, not one of `skip`. */
function sampleUser(min: number, max: number, skip: number[] = []): UserRecord {
  const user = users.find((u) => u.ratedTitles.length >= min && u.ratedTitles.length <= max && !skip.includes(u.userId));
  if (!user) throw new Error(`no user with ${min}..${max} ratings`);
  return user;
}

/** Titles the user has not rated, of a platform, `count` of them starting at `from`. */
function unratedTitles(user: UserRecord | null, count: number, from = 0): number[] {
  const rated = new Set(user?.ratedTitles ?? []);
  const out: number[] = [];
  for (let t = from; out.length < count; t++) if (!rated.has(t)) out.push(t);
  return out;
}

let nextNewUser = 1_900_000_000;
function newUserId(): number {
  while (users.some((u) => u.userId === nextNewUser)) nextNewUser++;
  return nextNewUser++;
}

// ---------------------------------------------------------------------------------------------

describe('fold math (pure)', () => {
  it("re-solving a user of the biases model reproduces the trainer's bias (zero title factors)", () => {
    const zeroFactors: TitleModel = { ...blob, titleFactors: new Float32Array(blob.titleFactors.length) };
    const sample = users.filter((_, i) => i % 97 === 0);
    expect(sample.length).toBeGreaterThan(40);
    for (const user of sample) {
      const solved = solveUser(zeroFactors, user.ratedTitles, user.ratedHalves, reg);
      let sum = 0;
      user.ratedTitles.forEach((t, i) => (sum += user.ratedHalves[i] / 2 - blob.mean - blob.titleBias[t]));
      expect(solved.bias).toBeCloseTo(sum / (reg.bias + user.ratedTitles.length), 12);
      expect(solved.factors.every((x) => x === 0)).toBe(true);
      // The published model is the biases model on this stand-in sample: the fold agrees with the trainer.
      if (!factorsTrained) expect(Math.abs(Math.fround(solved.bias) - user.bias)).toBeLessThanOrEqual(2e-6);
    }
  });

  it('solves the regularised least squares exactly with non-zero title factors (normal equations hold)', () => {
    const k = 4;
    const T = 40;
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
    const model: TitleModel = {
      ...blob,
      k,
      mean: 3.4,
      titleBias: Float32Array.from({ length: T }, rand),
      titleFactors: Float32Array.from({ length: T * k }, rand),
    };
    const titles = [1, 4, 9, 16, 25, 36, 38];
    const halves = [9, 3, 10, 6, 7, 1, 8];
    const solved = solveUser(model, titles, halves, { bias: 2, factors: 0.3 });
    const x = [solved.bias, ...solved.factors];
    const gradient = new Array(k + 1).fill(0);
    titles.forEach((t, j) => {
      const z = [1, ...model.titleFactors.subarray(t * k, t * k + k)];
      const err = z.reduce((s, zi, i) => s + zi * x[i], 0) - (halves[j] / 2 - model.mean - model.titleBias[t]);
      z.forEach((zi, i) => (gradient[i] += zi * err));
    });
    gradient[0] += 2 * x[0];
    for (let f = 1; f <= k; f++) gradient[f] += titles.length * 0.3 * x[f];
    for (const g of gradient) expect(Math.abs(g)).toBeLessThan(1e-5); // float32 storage of the factors
    // Rating a title higher moves the prediction for it up.
    const higher = solveUser(
      model,
      titles,
      halves.map((h, j) => (j === 0 ? 10 : h)),
      { bias: 2, factors: 0.3 },
    );
    const predict = (s: { bias: number; factors: Float32Array }, t: number) =>
      s.bias + s.factors.reduce((acc, p, f) => acc + p * model.titleFactors[t * k + f], 0);
    expect(predict(higher, 1)).toBeGreaterThan(predict(solved, 1));
  });

  it('choleskySolve solves a symmetric positive definite system', () => {
    const A = new Float64Array([4, 0, 0, 2, 5, 0, 0.5, 1, 3]); // lower triangle of [[4,2,.5],[2,5,1],[.5,1,3]]
    const x = choleskySolve(A, new Float64Array([1, 2, 3]), 3);
    const full = [
      [4, 2, 0.5],
      [2, 5, 1],
      [0.5, 1, 3],
    ];
    full.forEach((row, i) => expect(row.reduce((s, a, j) => s + a * x[j], 0)).toBeCloseTo([1, 2, 3][i], 12));
  });

  it("top lists equal the loader's for every user of three shards", () => {
    for (const s of [0, 1, Math.floor(blob.shards / 2)]) {
      for (const user of decodeUserShard(bundle.kv.get(MODEL_KEYS.userShard(s)) as Uint8Array).records) {
        const lists = userTopLists(blob, user);
        for (const p of PLATFORMS) expect([...lists[p]], `user ${user.userId} ${p}`).toEqual([...user.lists[p]]);
      }
    }
  });

  it('merges ratings: a later post supersedes the earlier rating of the title, other ratings stay', () => {
    const base = sampleUser(3, 50);
    const [first] = base.ratedTitles;
    const fresh = unratedTitles(base, 1)[0];
    const merged = mergeRatings(base, [
      { title: first, halves: 1 },
      { title: fresh, halves: 10 },
      { title: fresh, halves: 4 },
    ]);
    expect(merged.ratedTitles.length).toBe(base.ratedTitles.length + 1);
    expect([...merged.ratedTitles]).toEqual([...merged.ratedTitles].sort((a, b) => a - b));
    const rating = (t: number) => merged.ratedHalves[merged.ratedTitles.indexOf(t)];
    expect(rating(first)).toBe(1);
    expect(rating(fresh)).toBe(4);
    expect(rating(base.ratedTitles[1])).toBe(base.ratedHalves[1]);
    expect(mergeRatings(null, [{ title: 5, halves: 7 }])).toEqual({ ratedTitles: Uint16Array.of(5), ratedHalves: Uint8Array.of(7) });
  });

  it('bounds a batch by ratings, users and shards, keeping id order and never returning nothing', () => {
    const rows: PendingRating[] = Array.from({ length: 50 }, (_, i) => ({
      id: 100 + i,
      userId: 1 + (i % 10),
      movieId: 'as1',
      halves: 6,
      receivedAt: '',
    }));
    expect(boundBatch(rows, 30, { maxRatings: 20, maxUsers: 100, maxShards: 100 }).map((r) => r.id)).toEqual(
      rows.slice(0, 20).map((r) => r.id),
    );
    const byUsers = boundBatch(rows, 30, { maxRatings: 1000, maxUsers: 3, maxShards: 100 });
    expect(byUsers.map((r) => r.userId)).toEqual([1, 2, 3]);
    const byShards = boundBatch(rows, 30, { maxRatings: 1000, maxUsers: 100, maxShards: 2 });
    expect(new Set(byShards.map((r) => shardOfUser(r.userId, 30))).size).toBeLessThanOrEqual(2);
    expect(byShards.length).toBeGreaterThanOrEqual(2);
    expect(boundBatch(rows, 30, { maxRatings: 0, maxUsers: 0, maxShards: 0 })).toHaveLength(1);
  });

  it('new scores are bit-identical to the mean over all rows, recomputed from scratch', () => {
    let seed = 11;
    const half = () => 1 + ((seed = (Math.imul(seed, 48271) + 1) >>> 0) % 10);
    const allRows = new Map<string, number[]>();
    const base = new Map<string, ScoredTitle>();
    for (let i = 0; i < 200; i++) {
      const id = `t${i}`;
      const rows = Array.from({ length: i % 7 === 0 ? 0 : 1 + ((i * 37) % 900) }, half);
      allRows.set(id, rows);
      const sum = rows.reduce((a, h) => a + h / 2, 0);
      base.set(id, {
        id,
        type: 'movie',
        platform: 'netflix',
        release_year: 2000,
        score: rows.length ? sum / rows.length : null,
        n_ratings: rows.length,
      });
    }
    const added = Array.from({ length: 500 }, (_, i) => ({ movieId: `t${(i * 13) % 200}`, halves: half() }));
    for (const a of added) allRows.get(a.movieId)!.push(a.halves);
    const changes = foldScores(base, added);
    expect(changes.length).toBe(new Set(added.map((a) => a.movieId)).size);
    for (const c of changes) {
      const rows = allRows.get(c.id)!;
      expect(c.n_ratings).toBe(rows.length);
      expect(c.score).toBe(rows.reduce((a, h) => a + h / 2, 0) / rows.length); // the loader's sum / count
    }
  });

  it("the patched query index is byte-identical to the loader's index of the rescored catalog", () => {
    const published = bundle.kv.get(ARTIFACT.queryIndex) as Uint8Array;
    const index = decodeQueryIndex(published);
    expect(patchQueryIndexScores(index, [])).toEqual(published);

    // Some movies start without any rating (score null), as titles nobody rated do.
    const unscored = new Set(
      bundle.titles
        .filter((t) => t.type === 'movie')
        .filter((_, i) => i % 997 === 0)
        .map((t) => t.id),
    );
    const start = bundle.titles.map((t) => (unscored.has(t.id) ? { ...t, score: null, n_ratings: 0 } : { ...t }));
    const startIndex = decodeQueryIndex(buildQueryIndex(start));
    const rescored = start.map((t) => ({ ...t }));
    const picks = rescored.filter((t, i) => i % 211 === 0 || unscored.has(t.id));
    expect(picks.filter((t) => t.score === null).length).toBeGreaterThan(5);
    expect(picks.filter((t) => t.type !== 'movie').length).toBeGreaterThan(5);
    const base = new Map(
      picks.map((t) => [
        t.id,
        { id: t.id, type: t.type, platform: t.platform, release_year: t.release_year, score: t.score, n_ratings: t.n_ratings },
      ]),
    );
    const added = picks.flatMap((t, i) => Array.from({ length: 1 + (i % 4) }, (_, j) => ({ movieId: t.id, halves: 1 + ((i + j) % 10) })));
    const changes = foldScores(base, added);
    for (const c of changes) Object.assign(rescored.find((t) => t.id === c.id)!, { score: c.score, n_ratings: c.n_ratings });
    expect(patchQueryIndexScores(startIndex, changes)).toEqual(buildQueryIndex(rescored));
  });

  it('a fold version is a function of (base, watermark) only', async () => {
    expect(await foldVersion('abc', 10)).toBe(await foldVersion('abc', 10));
    expect(await foldVersion('abc', 10)).not.toBe(await foldVersion('abc', 11));
    expect(await foldVersion('abc', 10)).not.toBe(await foldVersion('abd', 10));
    expect(await foldVersion('abc', 10)).toMatch(/^[0-9a-f]{16}$/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('cron fold', () => {
  it('with nothing pending, a run does nothing', async () => {
    await drain();
    const before = await env.KV.get(CURRENT_KEY, 'text');
    const result = await fold();
    expect(result.status).toBe('idle');
    expect(await env.KV.get(CURRENT_KEY, 'text')).toBe(before);
  });

  it("moves a known user's predictions the way of their new ratings and adds them to the rated list", async () => {
    await drain();
    const base = await livePointer();
    const fan = (await userOf(base, sampleUser(5, 15).userId))!;
    const critic = (await userOf(base, sampleUser(5, 15, [fan.userId]).userId))!;
    const [f1, f2, f3, fOther] = unratedTitles(fan, 4, 100);
    const [c1, c2, cOther] = unratedTitles(critic, 3, 200);
    const neighbour = decodeUserShard(
      (await env.KV.get(artifactKey(base, MODEL_KEYS.userShard(shardOfUser(fan.userId, blob.shards)))!, 'arrayBuffer'))!,
    ).records.find((u) => u.userId !== fan.userId && u.userId !== critic.userId)!;

    const receipt = await queue([
      ...[f1, f2, f3].map((t) => ({ userId: fan.userId, movieId: blob.ids[t], rating: 5 })),
      ...[c1, c2].map((t) => ({ userId: critic.userId, movieId: blob.ids[t], rating: 0.5 })),
    ]);
    const result = folded(await fold());
    expect(result).toMatchObject({ base: base.version, watermark: receipt.watermark, ratings: 5, users: 2, new_users: 0, skipped: 0 });

    const live = await livePointer();
    expect(live.version).toBe(result.version);
    expect(live.parent).toBe(base.version);
    const fanAfter = (await userOf(live, fan.userId))!;
    const criticAfter = (await userOf(live, critic.userId))!;
    expect(fanAfter.bias).toBeGreaterThan(fan.bias);
    expect(criticAfter.bias).toBeLessThan(critic.bias);
    expect(scoreTitle(blob, fanAfter, fOther)).toBeGreaterThan(scoreTitle(blob, fan, fOther));
    expect(scoreTitle(blob, criticAfter, cOther)).toBeLessThan(scoreTitle(blob, critic, cOther));
    expect(fanAfter.ratedTitles.length).toBe(fan.ratedTitles.length + 3);
    // The shard's other users are carried over untouched.
    expect(await userOf(live, neighbour.userId)).toEqual(neighbour);

    // Over HTTP, on the new version.
    const other = await get(`/recommend?user_id=${fan.userId}&movie_id=${blob.ids[fOther]}`);
    expect(other.headers.get('X-Data-Version')).toBe(live.version);
    const otherBody = await other.json<{ predicted_rating: number; already_rated: boolean }>();
    expect(otherBody.already_rated).toBe(false);
    expect(otherBody.predicted_rating).toBeGreaterThan(Math.min(5, scoreTitle(blob, fan, fOther)));
    const rated = await (await get(`/recommend?user_id=${fan.userId}&movie_id=${blob.ids[f1]}`)).json<{
      already_rated: boolean;
      user_rating: number;
    }>();
    expect(rated).toMatchObject({ already_rated: true, user_rating: 5 });
    const top = await (await get(`/recommendations?user_id=${critic.userId}&k=100`)).json<{ items: { movie_id: string }[] }>();
    expect(top.items.map((i) => i.movie_id)).not.toContain(blob.ids[c1]);
  });

  it('a user the model never saw becomes known, with their ratings', async () => {
    await drain();
    const base = await livePointer();
    const userId = newUserId();
    const [t1, t2, t3] = unratedTitles(null, 3, 300);
    const before = await (await get(`/recommend?user_id=${userId}&movie_id=${blob.ids[t3]}`)).json<{
      user_known: boolean;
      predicted_rating: number;
    }>();
    expect(before.user_known).toBe(false);

    await queue([
      { userId, movieId: blob.ids[t1], rating: 4.5 },
      { userId, movieId: blob.ids[t2], rating: 5 },
    ]);
    const result = folded(await fold());
    expect(result.new_users).toBe(1);
    const live = await livePointer();
    const record = (await userOf(live, userId))!;
    expect([...record.ratedTitles]).toEqual([t1, t2]);
    expect([...record.ratedHalves]).toEqual([9, 10]);
    expect(record.bias).toBeGreaterThan(0);

    const after = await (await get(`/recommend?user_id=${userId}&movie_id=${blob.ids[t3]}`)).json<{
      user_known: boolean;
      predicted_rating: number;
    }>();
    expect(after.user_known).toBe(true);
    expect(after.predicted_rating).toBeGreaterThan(before.predicted_rating);
    const list = await (await get(`/recommendations?user_id=${userId}&k=20`)).json<{
      user_known: boolean;
      items: { movie_id: string }[];
    }>();
    expect(list.user_known).toBe(true);
    expect(list.items.map((i) => i.movie_id)).not.toContain(blob.ids[t1]);

    const [healthBefore, healthAfter] = [await healthOf(base), await healthOf(live)];
    expect(healthAfter.counts.users).toBe(healthBefore.counts.users + 1);
    expect(healthAfter.counts.ratings_rows).toBe(healthBefore.counts.ratings_rows + 2);
    expect(healthAfter.version).toBe(live.version);
    const health = await (await get('/health')).json<{ version: string; counts: DataHealth['counts'] }>();
    expect(health).toMatchObject({ version: live.version, counts: healthAfter.counts });
  });

  it('scores and get_score_count answers change exactly as a plain recomputation over the new rows says', async () => {
    await drain();
    const base = await livePointer();
    const baseRows = await rowsOf(base.version);
    const movies = baseRows.filter((t) => t.type === 'movie');
    const targets = [
      ...movies
        .filter((t) => t.score !== null)
        .filter((_, i) => i % 500 === 0)
        .slice(0, 20),
      ...movies.filter((t) => t.score === null).slice(0, 3),
      ...baseRows.filter((t) => t.type !== 'movie').slice(0, 2),
    ];
    const ratings: RatingInput[] = targets.flatMap((t, i) =>
      Array.from({ length: 1 + (i % 3) }, (_, j) => ({ userId: 3_000 + i + j, movieId: t.id, rating: 0.5 + ((i * 3 + j) % 10) / 2 })),
    );
    await queue(ratings);
    const result = folded(await fold());
    expect(result.titles).toBe(targets.length);
    const live = await livePointer();
    const newRows = await rowsOf(live.version);
    expect(newRows.length).toBe(baseRows.length);

    const addedHalves = new Map<string, number[]>();
    for (const r of ratings)
      addedHalves.set(r.movieId as string, [...(addedHalves.get(r.movieId as string) ?? []), (r.rating as number) * 2]);
    newRows.forEach((row, i) => {
      const old = baseRows[i];
      const added = addedHalves.get(row.id);
      if (!added) return expect(row).toEqual(old);
      const oldSum = old.score === null ? 0 : Math.round(old.score * old.n_ratings * 2) / 2;
      expect(row.n_ratings).toBe(old.n_ratings + added.length);
      expect(row.score).toBe((oldSum + added.reduce((a, h) => a + h / 2, 0)) / (old.n_ratings + added.length));
      expect({ ...row, score: 0, n_ratings: 0 }).toEqual({ ...old, score: 0, n_ratings: 0 });
    });

    // /titles serves the new version's catalog rows: each changed title exactly as its new D1 row. The
    // catalog index (filters, search) did not change, so the new version shares the base's value.
    expect(live.artifacts[ARTIFACT.catalog]).toBe(base.artifacts[ARTIFACT.catalog]);
    expect(live.artifacts[ARTIFACT.catalogRows]).not.toBe(base.artifacts[ARTIFACT.catalogRows]);
    for (const t of targets) {
      const response = await get(`/titles/${t.id}`);
      expect(response.headers.get('X-Data-Version')).toBe(live.version);
      expect(await response.json()).toEqual(newRows.find((r) => r.id === t.id));
    }
    const page = await (
      await get(`/titles?platform=${targets[0].platform}&limit=100&title_prefix=${encodeURIComponent(targets[0].title)}`)
    ).json<{ items: unknown[] }>();
    expect(page.items).toContainEqual(newRows.find((r) => r.id === targets[0].id));

    // Every (platform, year) cell of a changed title, at thresholds on and around the old and new scores.
    const cells = new Set(targets.filter((t) => t.type === 'movie').map((t) => `${t.platform}|${t.release_year}`));
    let checked = 0;
    for (const cell of cells) {
      const [platform, year] = cell.split('|');
      const scores = new Set([0, 3.5, 5]);
      for (const t of targets)
        if (t.platform === platform && String(t.release_year) === year) {
          for (const s of [t.score, newRows.find((r) => r.id === t.id)!.score]) if (s !== null) scores.add(Math.round(s * 10) / 10);
        }
      for (const scored of scores) {
        const response = await get(`/get_score_count?platform=${platform}&year=${year}&scored=${scored}`);
        const body = await response.json<{ count: number }>();
        expect(response.headers.get('X-Data-Version')).toBe(live.version);
        expect(body.count, `${cell} > ${scored}`).toBe(
          scanScoreCount(newRows, { platform: platform as Platform, year: Number(year), scored }),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
    // The new version's index answers every cell like a scan, not only the changed ones.
    const index = decodeQueryIndex((await env.KV.get(artifactKey(live, ARTIFACT.queryIndex)!, 'arrayBuffer'))!);
    PLATFORMS.forEach((platform, p) =>
      index.years.forEach((year, y) => {
        const cell = cellIndex(index.years.length, p, y);
        const values = [...index.scores.values.subarray(index.scores.start[cell], index.scores.start[cell + 1])];
        const expected = newRows
          .filter((t) => t.platform === platform && t.release_year === year && t.type === 'movie' && t.score !== null)
          .map((t) => t.score!);
        expect(values).toEqual(expected.sort((a, b) => a - b));
      }),
    );
  });

  it.each<FoldStage>(['planned', 'blobs-written', 'rows-written', 'manifest-written'])(
    'a run that dies after "%s" leaves readers on the base; the rerun builds the same version, each rating applied once',
    async (stage) => {
      await drain();
      const base = await livePointer();
      const title = blob.ids[1000];
      const before = await titleRow(base.version, title);
      const userId = newUserId();
      await queue([
        { userId, movieId: title, rating: 2 },
        { userId: userId + 1, movieId: title, rating: 3 },
      ]);
      let doomed = '';
      await expect(
        fold({
          afterStage: (s, version) => {
            if (s === stage) {
              doomed = version;
              throw new Error(`simulated crash after ${s}`);
            }
          },
        }),
      ).rejects.toThrow('simulated crash');
      expect((await livePointer()).version).toBe(base.version);
      const row = await env.DB.prepare('SELECT status, base_version FROM folds WHERE version = ?1').bind(doomed).first();
      expect(row).toEqual({ status: 'started', base_version: base.version });

      const rerun = folded(await fold());
      expect(rerun.version).toBe(doomed);
      expect(rerun.resumed).toBe(true);
      const live = await livePointer();
      expect(live.version).toBe(doomed);
      const after = await titleRow(live.version, title);
      expect(after.n_ratings).toBe(before.n_ratings + 2);
      expect((await healthOf(live)).counts.ratings_rows).toBe((await healthOf(base)).counts.ratings_rows + 2);
      expect((await userOf(live, userId))!.ratedTitles.length).toBe(1);
      expect((await fold()).status).toBe('idle');
    },
  );

  it('a run that dies right after the pointer flip is recorded by the next run, which applies nothing twice', async () => {
    await drain();
    const base = await livePointer();
    const title = blob.ids[unratedTitles(null, 1, 2000)[0]];
    const before = await titleRow(base.version, title);
    await queue([{ userId: newUserId(), movieId: title, rating: 4 }]);
    await expect(
      fold({
        afterStage: (s) => {
          if (s === 'live') throw new Error('simulated crash after the flip');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const live = await livePointer();
    expect(live.parent).toBe(base.version);
    expect((await env.DB.prepare('SELECT status FROM folds WHERE version = ?1').bind(live.version).first())?.status).toBe('started');

    expect((await fold()).status).toBe('idle');
    expect(await env.DB.prepare('SELECT status, published_at FROM folds WHERE version = ?1').bind(live.version).first()).toEqual({
      status: 'live',
      published_at: live.published_at,
    });
    expect((await livePointer()).version).toBe(live.version);
    expect((await titleRow(live.version, title)).n_ratings).toBe(before.n_ratings + 1);
  });

  it('folding the same base to the same watermark again gives the same version, byte for byte', async () => {
    await drain();
    const base = await livePointer();
    await queue([{ userId: newUserId(), movieId: blob.ids[3], rating: 3.5 }]);
    const first = folded(await fold());
    const firstManifest = await livePointer();
    // Put the base back (as a rollback would) and fold again.
    await putLive(base);
    clearDataCache();
    const second = folded(await fold());
    expect(second.version).toBe(first.version);
    const secondManifest = await livePointer();
    expect(secondManifest.artifacts).toEqual(firstManifest.artifacts);
    expect(secondManifest.titles).toEqual(firstManifest.titles);
    expect(secondManifest.built_at).toBe(firstManifest.built_at);
  });

  it('stays within its bounds and the KV budget of an invocation, and resumes where the last run stopped', async () => {
    await drain();
    const ratings: RatingInput[] = Array.from({ length: 60 }, (_, i) => ({
      userId: users[(i * 53) % users.length].userId,
      movieId: blob.ids[(i * 389) % blob.ids.length],
      rating: 0.5 + (i % 10) / 2,
    }));
    await queue(ratings);
    const limits = { maxRatings: 40, maxUsers: 12, maxShards: 6 };
    const small: FoldStats[] = [];
    for (let result = await fold({ limits }); result.status === 'folded'; result = await fold({ limits })) {
      expect(result.users).toBeLessThanOrEqual(12);
      expect(result.shards).toBeLessThanOrEqual(6);
      expect(result.ratings).toBeLessThanOrEqual(40);
      // Reads: pointer and its manifest twice, title blob, report, query index, catalog index and rows,
      // health, a shard each; writes: a blob per changed shard, query index, catalog rows, health, the manifest; the flip (pointer, history read and write); clean-up: history,
      // two kept manifests, per dropped version its manifest read and delete, its orphaned blobs, history.
      const { versions, blobsDeleted } = result.retention;
      expect(result.kv_operations).toBeLessThanOrEqual(
        2 * result.shards + 18 + (versions.length > 0 ? 3 + 2 * versions.length + blobsDeleted : 0),
      );
      small.push(result);
    }
    expect(small.length).toBeGreaterThanOrEqual(5);
    expect(small.reduce((a, r) => a + r.ratings, 0)).toBe(60);
    for (let i = 1; i < small.length; i++) expect(small[i].from_id).toBe(small[i - 1].watermark);
  });

  it('two folds in a row build the same data as one fold of all their ratings', async () => {
    await drain();
    const base = await livePointer();
    const ratings: RatingInput[] = Array.from({ length: 40 }, (_, i) => ({
      userId: i % 3 === 0 ? newUserId() : users[(i * 71) % users.length].userId,
      movieId: blob.ids[(i * 997) % blob.ids.length],
      rating: 0.5 + ((i * 7) % 10) / 2,
    }));
    // The same user rating the same title twice across the two folds: the later rating must win in both.
    ratings.push({ userId: ratings[1].userId, movieId: ratings[1].movieId, rating: 5 });
    await queue(ratings);
    const first = folded(await fold({ limits: { maxRatings: 25 } }));
    const second = folded(await fold({ limits: { maxRatings: 25 } }));
    expect(second.base).toBe(first.version);
    const chained = await livePointer();

    await putLive(base); // the base is still kept (live and two before it)
    clearDataCache();
    const once = folded(await fold({ limits: { maxRatings: 1000 } }));
    expect(once.ratings).toBe(ratings.length);
    expect(once.version).not.toBe(chained.version);
    const single = await livePointer();
    const { [ARTIFACT.health]: healthSingle, ...restSingle } = single.artifacts;
    const { [ARTIFACT.health]: healthChained, ...restChained } = chained.artifacts;
    expect(restSingle).toEqual(restChained);
    expect(single.titles).toEqual(chained.titles);
    expect(healthSingle).not.toBe(healthChained); // the health record names its version
    const [a, b] = [await healthOf(single), await healthOf(chained)];
    expect({ ...a, version: '' }).toEqual({ ...b, version: '' });
  });

  it('builds on the version D1 says is live, not on a stale KV pointer', async () => {
    await drain();
    await queue([{ userId: newUserId(), movieId: blob.ids[5], rating: 1 }]);
    const base = await livePointer();
    const first = folded(await fold());
    const live = await env.KV.get(CURRENT_KEY, 'text');
    await queue([{ userId: newUserId(), movieId: blob.ids[6], rating: 1 }]);
    await env.KV.put(CURRENT_KEY, JSON.stringify(base)); // what a reader in another location may still see
    const second = folded(await fold());
    expect(second.base).toBe(first.version); // not the stale pointer's base.version
    expect(second.from_id).toBe(first.watermark);
    await env.KV.put(CURRENT_KEY, live!);
  });

  it('keeps the live version and two before it: older manifests and D1 rows are dropped, rollback still works', async () => {
    await drain();
    for (let i = 0; i < 4; i++) {
      await queue([{ userId: newUserId(), movieId: blob.ids[10 + i], rating: 2.5 }]);
      folded(await fold());
    }
    const history = await readHistory(env.KV);
    expect(history.versions.length).toBeLessThanOrEqual(3);
    const { results } = await env.DB.prepare('SELECT DISTINCT version FROM titles').all<{ version: string }>();
    expect(new Set(results.map((r) => r.version))).toEqual(new Set(history.versions.map((v) => v.version)));
    const dropped = (await env.DB.prepare("SELECT version FROM folds WHERE status = 'live'").all<{ version: string }>()).results
      .map((r) => r.version)
      .filter((v) => !history.versions.some((h) => h.version === v));
    for (const version of dropped) expect(await env.KV.get(manifestKey(version))).toBeNull();

    const live = await livePointer();
    const restored = await rollback({ kv: env.KV, db: env.DB });
    expect(restored.version).toBe(live.parent);
    await putLive(live);
  });

  describe('a load and a fold racing for the pointer (D1 lets one flip at a time)', () => {
    /** The test load under a new version id: what `npm run load` publishes from changed files. */
    async function loadBundle(tag: string) {
      const bundle = await testBundle();
      return { ...bundle, version: `${bundle.version}-${tag}` };
    }

    async function pointerAgrees(version: string): Promise<void> {
      expect((await claimedLive(env.DB))?.version).toBe(version);
      expect(JSON.parse((await env.KV.get(CURRENT_KEY, 'text'))!).version).toBe(version);
    }

    it('a load that goes live while a fold runs wins; the fold stands down and its ratings land on the load', async () => {
      await drain();
      const userId = newUserId();
      await queue([{ userId, movieId: blob.ids[7], rating: 4.5 }]);
      const load = await loadBundle('race-1');
      const raced = await fold({
        afterStage: async (stage) => {
          if (stage === 'manifest-written') await publishBundle(load, { kv: env.KV, db: env.DB });
        },
      });
      expect(raced).toMatchObject({ status: 'superseded', live: load.version });
      await pointerAgrees(load.version);
      expect(await userOf(await livePointer(), userId)).toBeNull(); // a full load knows nothing of posted ratings...

      const refolds = (await drain()).filter((r) => r.status === 'folded');
      expect(refolds[0]).toMatchObject({ status: 'folded', base: load.version, from_id: 0 }); // ...so the next fold applies them all again
      const live = await livePointer();
      await pointerAgrees(live.version);
      expect((await userOf(live, userId))?.ratedTitles.length).toBe(1);
      const posted = (await env.DB.prepare('SELECT COUNT(*) AS n FROM pending_ratings').first<{ n: number }>())!.n;
      expect((await healthOf(live)).counts.ratings_rows).toBe(load.health.counts.ratings_rows + posted);
    });

    it('a fold that goes live while a load runs is not overwritten blindly: the load sees it and claims over it, and the ratings are folded onto the load', async () => {
      await drain();
      const userId = newUserId();
      await queue([{ userId, movieId: blob.ids[8], rating: 2 }]);
      const load = await loadBundle('race-2');
      const progress: string[] = [];
      let folded: FoldResult | null = null;
      // The load has verified everything and writes its manifest next, then claims the pointer: the fold runs right then.
      const kv = new Proxy(env.KV, {
        get(target, property) {
          if (property !== 'put') {
            const member = Reflect.get(target, property);
            return typeof member === 'function' ? member.bind(target) : member;
          }
          return async (key: string, value: string | ArrayBuffer) => {
            if (key === manifestKey(load.version) && folded === null) folded = await fold();
            return target.put(key, value);
          };
        },
      });
      await publishBundle(load, { kv, db: env.DB }, (message) => progress.push(message));
      expect(folded).toMatchObject({ status: 'folded' });
      const foldVersion = (folded as unknown as FoldStats).version;
      expect(progress.some((m) => m.includes(`${foldVersion} went live while this load ran`))).toBe(true);
      await pointerAgrees(load.version);
      const history = await readHistory(env.KV);
      expect(history.versions.slice(0, 2).map((v) => v.version)).toEqual([load.version, foldVersion]);

      await drain();
      const live = await livePointer();
      expect(live.parent).not.toBeNull();
      await pointerAgrees(live.version);
      expect((await userOf(live, userId))?.ratedTitles.length).toBe(1);
    });

    /** env.KV, except that `onPut` runs first (and may throw) whenever the pointer is written. */
    function kvHookingPointerPuts(onPut: () => Promise<void>): KVNamespace {
      return new Proxy(env.KV, {
        get(target, property) {
          const member = Reflect.get(target, property);
          if (property !== 'put') return typeof member === 'function' ? member.bind(target) : member;
          return async (key: string, value: string | ArrayBuffer) => {
            if (key === CURRENT_KEY) await onPut();
            return target.put(key, value);
          };
        },
      });
    }

    it('a fold whose pointer write lands after a load claimed over it and wrote first does not leave KV behind D1', async () => {
      await drain();
      await queue([{ userId: newUserId(), movieId: blob.ids[10], rating: 3.5 }]);
      const load = await loadBundle('race-late-put');
      let loaded = false;
      // The fold's claim in D1 succeeded; its KV write is slow (or retried), and meanwhile a load claims
      // over the fold's version and writes the pointer first. Then the fold's write lands.
      const kv = kvHookingPointerPuts(async () => {
        if (loaded) return;
        loaded = true;
        await publishBundle(load, { kv: env.KV, db: env.DB });
      });
      const raced = await runFold({ KV: kv, DB: env.DB });
      expect(loaded).toBe(true);
      expect(raced).toMatchObject({ status: 'folded' });
      await pointerAgrees(load.version); // not the fold's version, which D1 no longer names
      expect((await readHistory(env.KV)).versions[0].version).toBe(load.version);
      clearDataCache();
      const next = (await drain()).filter((r) => r.status === 'folded');
      expect(next[0]).toMatchObject({ base: load.version, from_id: 0 }); // the ratings are folded onto the load
      await pointerAgrees((await livePointer()).version);
    });

    it('a fold that died between its claim in D1 and its KV write is finished by the next run, even one with nothing to fold', async () => {
      await drain();
      await queue([{ userId: newUserId(), movieId: blob.ids[11], rating: 1.5 }]);
      const base = await livePointer();
      const kv = kvHookingPointerPuts(async () => {
        throw new Error('simulated crash between the claim and the pointer write');
      });
      await expect(runFold({ KV: kv, DB: env.DB })).rejects.toThrow('simulated crash');
      const claimed = (await claimedLive(env.DB))!;
      expect(claimed.version).not.toBe(base.version);
      expect(JSON.parse((await env.KV.get(CURRENT_KEY, 'text'))!).version).toBe(base.version); // readers still on the base

      expect((await fold()).status).toBe('idle');
      await pointerAgrees(claimed.version);
      expect(JSON.parse((await env.KV.get(CURRENT_KEY, 'text'))!)).toEqual(claimed);
    });

    it('two runs folding the same base at once build the same version: both claims succeed, nothing forks', async () => {
      await drain();
      await queue([{ userId: newUserId(), movieId: blob.ids[9], rating: 3 }]);
      const base = await livePointer();
      let inner: FoldResult | null = null;
      const outer = await fold({
        afterStage: async (stage) => {
          if (stage === 'manifest-written' && inner === null) {
            inner = { status: 'idle', base: '', watermark: 0 }; // mark: only the outer run nests one
            inner = await fold();
          }
        },
      });
      // Both built the same (base, watermark) version: the inner one went live, the outer's claim of the
      // same version succeeds again (it is the live one), so nothing forks.
      expect(inner).toMatchObject({ status: 'folded', base: base.version });
      expect(outer).toMatchObject({ status: 'folded', version: (inner as unknown as FoldStats).version });
      await pointerAgrees((inner as unknown as FoldStats).version);
    });
  });

  it("runs from the worker's scheduled handler, as the cron trigger calls it", async () => {
    await drain();
    const base = await livePointer();
    const receipt = await queue([{ userId: newUserId(), movieId: blob.ids[42], rating: 4 }]);
    await cronTick();
    const live = await livePointer();
    expect(live.parent).toBe(base.version);
    expect(await env.DB.prepare('SELECT watermark, status FROM folds WHERE version = ?1').bind(live.version).first()).toEqual({
      watermark: receipt.watermark,
      status: 'live',
    });
    await cronTick();
    expect((await livePointer()).version).toBe(live.version);
  });
});

describe('a replayed POST /ratings receipt', () => {
  it('says queued before its fold, and applied with the first version serving it after', async () => {
    const ratings = [{ userId: 4_242_424, movieId: blob.ids[0], rating: 4 }];
    const key = 'receipt-state-after-fold';
    const first = await (await postRatings(ratings, { key })).json<IngestReceipt>();
    expect(first.status).toBe('queued');
    expect((await (await postRatings(ratings, { key })).json<IngestReceipt>()).status).toBe('queued');
    await drain();
    const replayed = await postRatings(ratings, { key });
    expect(replayed.headers.get('Idempotent-Replayed')).toBe('true');
    const after = await replayed.json<IngestReceipt>();
    expect(after).toMatchObject({ status: 'applied', idempotency_key: key, watermark: first.watermark });
    const fold = await env.DB.prepare('SELECT from_id, watermark, status FROM folds WHERE version = ?1')
      .bind(after.applied_version!)
      .first<{ from_id: number; watermark: number; status: string }>();
    expect(fold).toMatchObject({ status: 'live' });
    expect(fold!.from_id).toBeLessThan(first.watermark);
    expect(fold!.watermark).toBeGreaterThanOrEqual(first.watermark);
    expect(after.applied_version).toBe((await livePointer()).version);
  });
});

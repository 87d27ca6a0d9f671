// The recommender's KV values: layouts round-trip, the shard function is stable, and the exported
// records and precomputed lists equal a brute-force recomputation from the trained model.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeTitleModel,
  decodeUserShard,
  encodeTitleModel,
  encodeUserShard,
  findUserRecord,
  MODEL_KEYS,
  ModelFormatError,
  normalizeName,
  PLATFORMS,
  ratingOf,
  scoreTitle,
  shardOfUser,
  topTitles,
  type Platform,
  type TitleModel,
  type UserRecord,
} from '../../contract';
import { exportRecommender } from '../../loader/recommender/export';
import { seededRandom } from '../../loader/random';
import { trainRecommender, type CatalogTitle, type TrainedRecommender } from '../../loader/recommender/train';
import { syntheticRows } from './recommender-fixtures';

function randomTitleModel(seed: number, T: number, k: number): TitleModel {
  const random = seededRandom(seed);
  const platform = Uint8Array.from({ length: T }, () => Math.floor(random() * 4));
  return {
    k,
    shards: 3,
    mean: 3.25 + random(),
    topN: 5,
    titleBias: Float32Array.from({ length: T }, () => random() - 0.5),
    titleFactors: Float32Array.from({ length: T * k }, () => random() - 0.5),
    platform,
    ids: Array.from({ length: T }, (_, t) => `${'adhn'[platform[t]]}s${t + 1}`),
    titles: Array.from({ length: T }, (_, t) => (t % 3 ? `title ${t} ✓ "quoted"\nsecond line` : `amélie  ${t}`)),
    types: Array.from({ length: T }, (_, t) => (t % 2 ? 'movie' : 'tv show')),
    releaseYears: Array.from({ length: T }, (_, t) => (t % 5 ? 1990 + t : null)),
    unrated: [1, 4],
    baselineLists: Object.fromEntries(PLATFORMS.map((p, i) => [p, Uint16Array.from({ length: i + 1 }, (_, j) => j * 2)])) as Record<
      Platform,
      Uint16Array
    >,
  };
}

function randomRecord(random: () => number, userId: number, k: number, T: number): UserRecord {
  const rated = [...new Set(Array.from({ length: Math.floor(random() * 9) }, () => Math.floor(random() * T)))].sort((a, b) => a - b);
  return {
    userId,
    bias: random() - 0.5,
    factors: Float32Array.from({ length: k }, () => random() - 0.5),
    ratedTitles: Uint16Array.from(rated),
    ratedHalves: Uint8Array.from(rated, () => 1 + Math.floor(random() * 10)),
    lists: Object.fromEntries(
      PLATFORMS.map((p) => [p, Uint16Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() * T))]),
    ) as Record<Platform, Uint16Array>,
  };
}

const plain = (r: UserRecord) => ({
  ...r,
  factors: Array.from(r.factors),
  ratedTitles: Array.from(r.ratedTitles),
  ratedHalves: Array.from(r.ratedHalves),
  lists: Object.fromEntries(PLATFORMS.map((p) => [p, Array.from(r.lists[p])])),
});

describe('title blob layout', () => {
  it('decodes to what was encoded', () => {
    const model = randomTitleModel(1, 37, 8);
    const decoded = decodeTitleModel(encodeTitleModel(model));
    expect(decoded.k).toBe(8);
    expect(decoded.shards).toBe(3);
    expect(decoded.mean).toBe(model.mean);
    expect(decoded.topN).toBe(5);
    expect(decoded.titleBias).toEqual(model.titleBias);
    expect(decoded.titleFactors).toEqual(model.titleFactors);
    expect(decoded.platform).toEqual(model.platform);
    expect(decoded.ids).toEqual(model.ids);
    expect(decoded.titles).toEqual(model.titles);
    expect(decoded.types).toEqual(model.types);
    expect(decoded.releaseYears).toEqual(model.releaseYears);
    expect(decoded.unrated).toEqual([1, 4]);
    expect(decoded.names).toEqual(model.titles.map(normalizeName));
    expect(decoded.names[0]).toBe('amelie 0');
    for (const p of PLATFORMS) expect(decoded.baselineLists[p]).toEqual(model.baselineLists[p]);
  });

  it('decodes from an ArrayBuffer and from an unaligned view', () => {
    const bytes = encodeTitleModel(randomTitleModel(2, 5, 4));
    expect(decodeTitleModel(bytes.slice().buffer).ids).toHaveLength(5);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeTitleModel(shifted.subarray(3)).ids).toHaveLength(5);
  });

  it('rejects truncated or foreign values with a format error', () => {
    const bytes = encodeTitleModel(randomTitleModel(3, 5, 4));
    expect(() => decodeTitleModel(bytes.subarray(0, bytes.length - 1))).toThrow(ModelFormatError);
    expect(() => decodeTitleModel(new TextEncoder().encode('RMUS and more bytes than a title blob header would ever need'))).toThrow(
      /expected a RMTB/,
    );
    expect(() => encodeTitleModel({ ...randomTitleModel(3, 5, 4), k: 3 })).toThrow(/multiple of 4/);
  });
});

describe('user shard layout', () => {
  it('round-trips every record, finds each by id, and answers null for absent ids', () => {
    const random = seededRandom(9);
    const k = 12;
    const records = [5, -3, 270896, 17, 1, 99].map((id) => randomRecord(random, id, k, 500));
    const bytes = encodeUserShard(records, k);
    const decoded = decodeUserShard(bytes);
    expect(decoded.k).toBe(k);
    expect(decoded.records.map((r) => r.userId)).toEqual([-3, 1, 5, 17, 99, 270896]);
    for (const record of records) {
      expect(plain(findUserRecord(bytes, record.userId)!)).toEqual(plain({ ...record, bias: Math.fround(record.bias) }));
    }
    for (const absent of [0, 2, 100, 270897, -4]) expect(findUserRecord(bytes, absent)).toBeNull();
    expect(findUserRecord(encodeUserShard([], k), 1)).toBeNull();
  });

  it('detaches a record from its shard: same values, in a buffer of its own sized to the record', () => {
    const random = seededRandom(4);
    const k = 8;
    const records = [3, 8, 21, 40].map((id) => randomRecord(random, id, k, 300));
    const shard = encodeUserShard(records, k);
    for (const record of records) {
      const attached = findUserRecord(shard, record.userId)!;
      const detached = findUserRecord(shard, record.userId, true)!;
      expect(plain(detached)).toEqual(plain(attached));
      expect(attached.factors.buffer).toBe(shard.buffer);
      for (const array of [detached.factors, detached.ratedTitles, detached.ratedHalves, ...Object.values(detached.lists)]) {
        expect(array.buffer).not.toBe(shard.buffer);
        expect(array.buffer).toBe(detached.factors.buffer);
      }
      expect(detached.factors.buffer.byteLength).toBeLessThan(shard.length / 2);
    }
    expect(findUserRecord(shard, 5, true)).toBeNull();
  });

  it('refuses duplicate users and mismatched factor counts', () => {
    const random = seededRandom(1);
    expect(() => encodeUserShard([randomRecord(random, 1, 4, 9), randomRecord(random, 1, 4, 9)], 4)).toThrow(/twice/);
    expect(() => encodeUserShard([randomRecord(random, 1, 8, 9)], 4)).toThrow(/factors/);
  });

  it('ratingOf finds the latest rating of rated titles only', () => {
    const record = {
      ...randomRecord(seededRandom(2), 1, 4, 9),
      ratedTitles: Uint16Array.of(2, 5, 7),
      ratedHalves: Uint8Array.of(9, 1, 10),
    };
    expect([2, 5, 7, 0, 6, 8].map((t) => ratingOf(record, t))).toEqual([4.5, 0.5, 5, null, null, null]);
  });
});

describe('shardOfUser', () => {
  it('is stable: published shards must stay addressable by later code', () => {
    expect([1, 2, 3, 270896, 124380, 0, -5].map((u) => shardOfUser(u, 298))).toEqual([30, 61, 73, 30, 17, 0, 22]);
    expect([1, 2, 3, 100].map((u) => shardOfUser(u, 7))).toEqual([5, 4, 3, 4]);
  });

  it('spreads consecutive ids evenly', () => {
    const counts = new Array(64).fill(0);
    for (let u = 1; u <= 64_000; u++) counts[shardOfUser(u, 64)]++;
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });
});

describe('exportRecommender', () => {
  const T = 240;
  const random = seededRandom(4);
  const titles: CatalogTitle[] = Array.from({ length: T }, (_, t) => {
    const platform = PLATFORMS[random() < 0.06 ? 1 : Math.floor(random() * 4)];
    return { id: `${platform[0]}s${t + 1}`, title: `title ${t}`, platform, type: 'movie', release_year: 2000 + (t % 20) };
  });
  let model: TrainedRecommender;
  let values: Map<string, Uint8Array | string>;
  let blob: TitleModel;

  beforeAll(async () => {
    // 1,200 users: enough for the top lists to run on worker threads.
    const rows = syntheticRows({ users: 1200, titles: T, perUser: 25, interaction: true, seed: 11 });
    ({ model } = await trainRecommender(rows, titles, { factors: 8, topN: 20, targetShardBytes: 16 * 1024, threads: 2, maxEpochs: 30 }));
    values = exportRecommender(model, titles);
    blob = decodeTitleModel(values.get(MODEL_KEYS.titles) as Uint8Array);
  });

  it('writes the title blob, one value per shard and the report, named by MODEL_KEYS', () => {
    expect(model.report.training.epochs).toBeGreaterThan(0);
    expect(blob.shards).toBeGreaterThan(3);
    const expected = [MODEL_KEYS.titles, MODEL_KEYS.report, ...Array.from({ length: blob.shards }, (_, s) => MODEL_KEYS.userShard(s))];
    expect([...values.keys()].sort()).toEqual([...expected].sort());
    const report = JSON.parse(values.get(MODEL_KEYS.report) as string);
    expect(report.storage.shards).toBe(blob.shards);
    expect(report.evaluation.models.mf.rmse).toBeLessThan(report.evaluation.models.biases.rmse);
    expect(blob.ids).toEqual(titles.map((t) => t.id));
    expect(blob.titles).toEqual(titles.map((t) => t.title));
    expect(blob.releaseYears).toEqual(titles.map((t) => t.release_year));
    expect(blob.unrated).toEqual([]);
    expect(Array.from(blob.platform)).toEqual(titles.map((t) => PLATFORMS.indexOf(t.platform)));
  });

  it('sizes shards so the mean shard is the target size: a user request reads about that many bytes', () => {
    const target = model.config.targetShardBytes;
    const sizes = Array.from({ length: blob.shards }, (_, s) => (values.get(MODEL_KEYS.userShard(s)) as Uint8Array).length);
    const mean = sizes.reduce((a, b) => a + b, 0) / blob.shards;
    // At most the target (plus a shard's fixed header), and one shard fewer would exceed it.
    expect(mean).toBeLessThanOrEqual(target + 32);
    expect(mean).toBeGreaterThan((target * (blob.shards - 1)) / blob.shards);
    expect(Math.max(...sizes)).toBeLessThan(2 * target);
  });

  it('puts every user in the shard shardOfUser names, with the model parameters and rated titles', () => {
    const { mf, prepared } = model;
    const k = mf.k;
    let seen = 0;
    for (let s = 0; s < blob.shards; s++) {
      const { records } = decodeUserShard(values.get(MODEL_KEYS.userShard(s)) as Uint8Array);
      for (const record of records) {
        expect(shardOfUser(record.userId, blob.shards)).toBe(s);
        const u = prepared.userIds.indexOf(record.userId);
        expect(record.bias).toBe(mf.userBias[u]);
        expect(Array.from(record.factors)).toEqual(Array.from(mf.userFactors.subarray(u * k, u * k + k)));
        const from = prepared.userStart[u];
        const to = prepared.userStart[u + 1];
        expect(Array.from(record.ratedTitles)).toEqual(Array.from(prepared.title.subarray(from, to)));
        expect(Array.from(record.ratedHalves, (h) => h / 2)).toEqual(Array.from(prepared.rating.subarray(from, to)));
        seen++;
      }
    }
    expect(seen).toBe(prepared.nUsers);
  });

  it('precomputes exactly the brute-force top-N unrated titles per platform, and overall', () => {
    const order = (a: { t: number; s: number }, b: { t: number; s: number }) => b.s - a.s || a.t - b.t;
    for (const userId of [...model.prepared.userIds].filter((_, i) => i % 37 === 0)) {
      const shard = values.get(MODEL_KEYS.userShard(shardOfUser(userId, blob.shards))) as Uint8Array;
      const record = findUserRecord(shard, userId)!;
      const rated = new Set(record.ratedTitles);
      const ranked = Array.from({ length: T }, (_, t) => ({ t, s: scoreTitle(blob, record, t) }))
        .filter(({ t }) => !rated.has(t))
        .sort(order);
      for (const p of PLATFORMS) {
        const expected = ranked
          .filter(({ t }) => titles[t].platform === p)
          .slice(0, blob.topN)
          .map(({ t }) => t);
        expect(Array.from(record.lists[p])).toEqual(expected);
        expect(topTitles(blob, record, p, 7).map((x) => x.title)).toEqual(expected.slice(0, 7));
      }
      expect(topTitles(blob, record, null, 7).map((x) => x.title)).toEqual(ranked.slice(0, 7).map(({ t }) => t));
      const overall = topTitles(blob, record, null, blob.topN);
      expect(overall.map((x) => x.title)).toEqual(ranked.slice(0, blob.topN).map(({ t }) => t));
      for (const item of overall) expect(item.predicted).toBe(Math.min(5, Math.max(0.5, item.score)));
    }
  });

  it('gives unknown users the best titles by mean + title bias', () => {
    const ranked = Array.from({ length: T }, (_, t) => ({ t, s: scoreTitle(blob, null, t) })).sort((a, b) => b.s - a.s || a.t - b.t);
    for (const p of PLATFORMS) {
      expect(Array.from(blob.baselineLists[p])).toEqual(
        ranked
          .filter(({ t }) => titles[t].platform === p)
          .slice(0, blob.topN)
          .map(({ t }) => t),
      );
    }
    expect(topTitles(blob, null, 'disney', 3).map((x) => x.title)).toEqual(Array.from(blob.baselineLists.disney.subarray(0, 3)));
  });

  it('predicts like the trained model (same formula, up to float rounding)', () => {
    const { mf, prepared } = model;
    for (let u = 0; u < prepared.nUsers; u += 97) {
      const shard = values.get(MODEL_KEYS.userShard(shardOfUser(prepared.userIds[u], blob.shards))) as Uint8Array;
      const record = findUserRecord(shard, prepared.userIds[u])!;
      for (let t = 0; t < T; t += 13) {
        const worker = Math.min(5, Math.max(0.5, scoreTitle(blob, record, t)));
        expect(worker).toBeCloseTo(mf.predict(u, t), 5);
      }
    }
  });
});

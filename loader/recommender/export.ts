// Packs a trained recommender into KV values (layouts in contract/model.ts): the title blob, the user
// shards, and the model report. Shard count follows from the total size of the user records so the
// mean shard is at most config.targetShardBytes; it is recorded in the title blob for the worker. A request
// for a user reads one whole shard, so this target is the KV bytes per recommender request.
import {
  encodeTitleModel,
  encodeUserShard,
  MODEL_KEYS,
  PLATFORMS,
  shardOfUser,
  type Platform,
  type UserRecord,
  userRecordShardBytesOf,
} from '../../contract';
import type { FactorParams } from './mf-params';
import { baselineLists } from './topn';
import type { CatalogTitle, RecommenderReport, TrainedRecommender } from './train';

export interface RecommenderExport {
  values: Map<string, Uint8Array | string>;
  storage: NonNullable<RecommenderReport['storage']>;
}

/** Artifact name (MODEL_KEYS.*) -> value; publishing maps names to content-addressed keys. */
export function exportRecommender(
  model: TrainedRecommender<RecommenderReport, FactorParams>,
  titles: CatalogTitle[],
): Map<string, Uint8Array | string> {
  return buildRecommenderExport(model, titles).values;
}

export function buildRecommenderExport(
  model: TrainedRecommender<RecommenderReport, FactorParams>,
  titles: CatalogTitle[],
): RecommenderExport {
  const { mf, prepared, config, top, titlePlatform: platform } = model;
  const k = mf.k;
  if (titles.length !== mf.titleBias.length) {
    throw new RangeError(`exportRecommender: model has ${mf.titleBias.length} titles, catalog ${titles.length}`);
  }
  // A user's record, built only while its shard is encoded: holding all of them at once (8 objects a
  // user, ~3.7M at 4x the ratings) made the garbage collector's work grow faster than the data.
  const recordOf = (u: number): UserRecord => {
    const from = prepared.userStart[u];
    const to = prepared.userStart[u + 1];
    const lists = {} as Record<Platform, Uint16Array>;
    PLATFORMS.forEach((p, i) => {
      const at = (u * PLATFORMS.length + i) * top.n;
      lists[p] = top.titles.subarray(at, at + top.length[u * PLATFORMS.length + i]);
    });
    const ratedHalves = new Uint8Array(to - from);
    for (let r = from; r < to; r++) ratedHalves[r - from] = Math.round(prepared.rating[r] * 2);
    return {
      userId: prepared.userIds[u],
      bias: mf.userBias[u],
      factors: mf.userFactors.subarray(u * k, u * k + k),
      ratedTitles: Uint16Array.from(prepared.title.subarray(from, to)),
      ratedHalves,
      lists,
    };
  };
  let userBytes = 0;
  for (let u = 0; u < prepared.nUsers; u++) {
    const listLengths = top.length.subarray(u * PLATFORMS.length, (u + 1) * PLATFORMS.length);
    userBytes += userRecordShardBytesOf(
      prepared.userStart[u + 1] - prepared.userStart[u],
      listLengths.reduce((a, b) => a + b, 0),
      k,
    );
  }
  const shards = Math.max(1, Math.ceil(userBytes / config.targetShardBytes));
  // Users grouped by shard (a counting sort: within a shard, in user order).
  const shardOf = Int32Array.from({ length: prepared.nUsers }, (_, u) => shardOfUser(prepared.userIds[u], shards));
  const shardStart = new Int32Array(shards + 1);
  for (const s of shardOf) shardStart[s + 1]++;
  for (let s = 0; s < shards; s++) shardStart[s + 1] += shardStart[s];
  const usersByShard = new Int32Array(prepared.nUsers);
  const fill = shardStart.slice(0, shards);
  shardOf.forEach((s, u) => (usersByShard[fill[s]++] = u));

  const values = new Map<string, Uint8Array | string>();
  const shardSizes: number[] = [];
  for (let s = 0; s < shards; s++) {
    const shardRecords = Array.from(usersByShard.subarray(shardStart[s], shardStart[s + 1]), recordOf);
    const bytes = encodeUserShard(shardRecords, k);
    shardSizes.push(bytes.length);
    values.set(MODEL_KEYS.userShard(s), bytes);
  }
  const baseline = baselineLists(mf.mean, mf.titleBias, platform, config.topN);
  const blob = encodeTitleModel({
    k,
    shards,
    mean: mf.mean,
    topN: config.topN,
    titleBias: mf.titleBias,
    titleFactors: mf.titleFactors,
    platform,
    ids: titles.map((t) => t.id),
    titles: titles.map((t) => t.title),
    types: titles.map((t) => t.type ?? null),
    releaseYears: titles.map((t) => t.release_year ?? null),
    unrated: unratedTitles(prepared.title, titles.length),
    baselineLists: Object.fromEntries(PLATFORMS.map((p, i) => [p, baseline[i]])) as Record<Platform, Uint16Array>,
  });
  values.set(MODEL_KEYS.titles, blob);
  const storage = {
    title_blob_bytes: blob.length,
    shards,
    users: prepared.nUsers,
    user_bytes_total: shardSizes.reduce((a, b) => a + b, 0),
    shard_bytes: {
      min: Math.min(...shardSizes),
      mean: Math.round(shardSizes.reduce((a, b) => a + b, 0) / shards),
      max: Math.max(...shardSizes),
    },
  };
  model.report.storage = storage;
  values.set(MODEL_KEYS.report, JSON.stringify(model.report));
  return { values, storage };
}

function unratedTitles(ratedTitle: Int32Array, nTitles: number): number[] {
  const rated = new Uint8Array(nTitles);
  for (let i = 0; i < ratedTitle.length; i++) rated[ratedTitle[i]] = 1;
  const unrated: number[] = [];
  for (let t = 0; t < nTitles; t++) if (!rated[t]) unrated.push(t);
  return unrated;
}

// Where the recommender's data comes from: the live manifest names a blob per
// artifact; the title blob is read and decoded once per isolate, a user shard costs one KV read per
// request for a user (recently read shards are kept, up to a byte budget). Blobs are content-addressed,
// so the caches are keyed by blob key: a title blob or shard a new version did not change is not read
// again.
import { decodeTitleModel, findUserRecord, MODEL_KEYS, shardOfUser, type DecodedTitleModel, type Manifest, type UserRecord } from '../contract';
import { cachedArtifact, VERSIONS_KEPT, type KVReader } from './data';
import { ResolvedCache } from './resolved-cache';
import { TitleNames } from './title-names';

/** Bytes of recently read user shards kept per isolate (~128 shards of ~32 KiB): a user's repeat requests cost no read. */
const SHARD_CACHE_BYTES = 4 * 1024 * 1024;

export interface LoadedModel {
  titles: DecodedTitleModel;
  byId: Map<string, number>;
  unrated: Set<number>;
  names: TitleNames;
}

const models = new ResolvedCache<LoadedModel>(VERSIONS_KEPT);
const shards = new ResolvedCache<ArrayBuffer>(SHARD_CACHE_BYTES, (shard) => shard.byteLength);
const reports = new ResolvedCache<Record<string, unknown>>(VERSIONS_KEPT);

/** Forgets everything cached in this isolate (tests that change what is published). */
export function clearModelCache(): void {
  models.clear();
  shards.clear();
  reports.clear();
}

/** The decoded title blob of the manifest's version (read at most once per isolate). */
export function loadModel(kv: KVReader, manifest: Manifest): Promise<LoadedModel> {
  return cachedArtifact(models, kv, manifest, MODEL_KEYS.titles, 'arrayBuffer', (bytes) => {
    const titles = decodeTitleModel(bytes);
    return { titles, byId: new Map(titles.ids.map((id, t) => [id, t])), unrated: new Set(titles.unrated), names: new TitleNames(titles.names) };
  });
}

/** The user's record, or null for a user the model has never seen. One KV read unless recently read. */
export async function loadUser(kv: KVReader, manifest: Manifest, model: LoadedModel, userId: number): Promise<UserRecord | null> {
  const name = MODEL_KEYS.userShard(shardOfUser(userId, model.titles.shards));
  return findUserRecord(await cachedArtifact(shards, kv, manifest, name, 'arrayBuffer', (shard) => shard), userId);
}

/** The model report the loader wrote (hyperparameters, data size, metrics, storage). */
export function loadReport(kv: KVReader, manifest: Manifest): Promise<Record<string, unknown>> {
  return cachedArtifact(reports, kv, manifest, MODEL_KEYS.report, 'text', (text) => JSON.parse(text) as Record<string, unknown>);
}

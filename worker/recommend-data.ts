// Where the recommender's data comes from: the live manifest names a blob per artifact; the title
// blob is read and decoded once per isolate, and a user's record costs one KV read of its shard unless
// the isolate answered that user recently. Blobs are content-addressed, so the caches are keyed by blob
// key: a title blob or shard a new version did not change is not read again.
import {
  decodeTitleModel,
  findUserRecord,
  MODEL_KEYS,
  shardOfUser,
  type DecodedTitleModel,
  type Manifest,
  type UserRecord,
} from '../contract';
import { cachedArtifact, readBlob, requireArtifactKey, VERSIONS_KEPT, type KVReader } from './data';
import { ResolvedCache } from './resolved-cache';
import { TitleNames } from './title-names';

/**
 * Bytes of user records kept per isolate: a returning user's requests cost no read. A record holds a
 * copy of its own bytes (~1.4 KB on average), not its ~32 KiB shard, so the budget keeps the ~2,500
 * users answered last, where whole shards kept ~128.
 */
const USER_CACHE_BYTES = 4 * 1024 * 1024;
/** What a cached record weighs beyond its bytes: the record object, its views and the cache entry. */
const RECORD_OVERHEAD_BYTES = 320;

export interface LoadedModel {
  titles: DecodedTitleModel;
  byId: Map<string, number>;
  unrated: Set<number>;
  names: TitleNames;
}

const models = new ResolvedCache<LoadedModel>(VERSIONS_KEPT);
// null (a user the model has never seen) is cached too: the shard that says so is immutable.
const users = new ResolvedCache<UserRecord | null>(
  USER_CACHE_BYTES,
  (user) => RECORD_OVERHEAD_BYTES + (user?.factors.buffer.byteLength ?? 0),
);
const reports = new ResolvedCache<Record<string, unknown>>(VERSIONS_KEPT);

/** Forgets everything cached in this isolate (tests that change what is published). */
export function clearModelCache(): void {
  models.clear();
  users.clear();
  reports.clear();
}

/** The decoded title blob of the manifest's version (read at most once per isolate). */
export function loadModel(kv: KVReader, manifest: Manifest): Promise<LoadedModel> {
  return cachedArtifact(models, kv, manifest, MODEL_KEYS.titles, 'arrayBuffer', (bytes) => {
    const titles = decodeTitleModel(bytes);
    return {
      titles,
      byId: new Map(titles.ids.map((id, t) => [id, t])),
      unrated: new Set(titles.unrated),
      names: new TitleNames(titles.names),
    };
  });
}

/** The user's record, or null for a user the model has never seen. One KV read unless answered recently. */
export function loadUser(kv: KVReader, manifest: Manifest, model: LoadedModel, userId: number): Promise<UserRecord | null> {
  const name = MODEL_KEYS.userShard(shardOfUser(userId, model.titles.shards));
  return users.get(`${requireArtifactKey(manifest, name)}#${userId}`, async () =>
    findUserRecord(await readBlob(kv, manifest, name, 'arrayBuffer'), userId, true),
  );
}

/** The model report the loader wrote (hyperparameters, data size, metrics, storage). */
export function loadReport(kv: KVReader, manifest: Manifest): Promise<Record<string, unknown>> {
  return cachedArtifact(reports, kv, manifest, MODEL_KEYS.report, 'text', (text) => JSON.parse(text) as Record<string, unknown>);
}

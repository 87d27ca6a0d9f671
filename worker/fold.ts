// The cron fold: applies ratings posted to POST /ratings to the live data version and publishes the
// result as a new version (parent = the version it started from).
//
// What changes: the affected users' records (bias and factors re-solved with the title side fixed,
// rated list, top lists; unknown users get a record), the scores of the rated titles (D1 rows, the
// query index and the catalog rows), and the health record's counts. Everything else is the base's blobs, by key.
//
// Exactly once: a fold is a pure function of (base version, ratings up to a watermark id), its version
// id is a hash of that pair, and blobs are content-addressed. Its progress lives in D1 (`folds`), not
// KV (a KV read can be a minute stale). A run that dies anywhere before the pointer flip leaves readers
// on the base; the next run resumes the same (base, watermark) and rebuilds the same version, rewriting
// identical values under identical keys. A run after the flip starts from the new version and its
// watermark, so no rating is applied twice; with nothing new it does nothing.
//
// Bounded: at most maxRatings ratings, maxUsers users and maxShards user shards per run, so a run stays
// below a Worker invocation's 1,000 KV operations (about 2 per shard plus twenty, and at most
// blobDeleteBudget deletes: ~720 at the defaults) and its CPU.
import {
  ARTIFACT,
  artifactKey,
  contentKey,
  decodeCatalogIndex,
  decodeQueryIndex,
  decodeTitleModel,
  goLive,
  kvPutValue,
  manifestKey,
  patchCatalogScores,
  MODEL_KEYS,
  PointerConflictError,
  settlePointer,
  shardOfUser,
  TITLE_COLUMNS,
  titlesChecksum,
  writersLive,
  type DataHealth,
  type KVWriter,
  type Manifest,
} from '../contract';
import { dropOldVersions, type RetentionResult } from './fold-retention';
import { foldScores, patchQueryIndexScores, type ScoreChange } from './fold-scores';
import {
  foldOf,
  latestLiveFold,
  pendingRatings,
  recordFoldLive,
  recordFoldStarted,
  scoredTitles,
  unfinishedFold,
  versionRows,
  writeVersionRows,
  type PendingRating,
} from './fold-state';
import { foldShard, type FoldRegularisation, type TitleRating } from './fold-user';

export interface FoldLimits {
  maxRatings: number;
  maxUsers: number;
  maxShards: number;
  /** Blobs of dropped versions deleted per run at most (more are left to the loader's cleanup). */
  blobDeleteBudget: number;
}

export const DEFAULT_FOLD_LIMITS: FoldLimits = { maxRatings: 1000, maxUsers: 200, maxShards: 200, blobDeleteBudget: 300 };

export type FoldStage = 'planned' | 'blobs-written' | 'rows-written' | 'manifest-written' | 'live';

export interface FoldOptions {
  limits?: Partial<FoldLimits>;
  /** Called after each stage (tests throw here to simulate a run that dies midway). */
  afterStage?: (stage: FoldStage, version: string) => void | Promise<void>;
}

export interface FoldStats {
  base: string;
  version: string;
  from_id: number;
  watermark: number;
  ratings: number; // applied
  skipped: number; // rows for titles the base catalog no longer has
  users: number;
  new_users: number;
  titles: number;
  shards: number;
  resumed: boolean;
  kv_operations: number;
  retention: RetentionResult;
}

export type FoldResult =
  | { status: 'no-data' }
  | { status: 'stale-pointer'; pointer: string; live: string }
  | { status: 'idle'; base: string; watermark: number }
  | { status: 'superseded'; base: string; version: string; live: string | null }
  | ({ status: 'folded' } & FoldStats);

export async function runFold(env: { KV: KVWriter; DB: D1Database }, options: FoldOptions = {}): Promise<FoldResult> {
  const limits = { ...DEFAULT_FOLD_LIMITS, ...options.limits };
  const after = options.afterStage ?? (() => {});
  const kv = new CountingKV(env.KV);
  const db = env.DB;

  // A writer that died between its D1 claim and its KV put left readers on the version before: finish
  // its flip first (one KV read when nothing is amiss).
  await settlePointer({ kv, db });
  // The base is what D1 says is live: KV's pointer may be a minute behind a flip.
  const base = await writersLive({ kv, db });
  if (!base) return { status: 'no-data' };
  const lastLive = await latestLiveFold(db);
  if (lastLive && lastLive.version !== base.version && (lastLive.published_at ?? '') > base.published_at) {
    // KV still shows an older pointer than the fold D1 recorded: wait for it rather than fork from the past.
    return { status: 'stale-pointer', pointer: base.version, live: lastLive.version };
  }
  const baseFold = await foldOf(db, base.version);
  // A fold whose pointer flipped but whose run died before recording it.
  if (baseFold?.status === 'started') await recordFoldLive(db, base.version, base.published_at);
  const fromId = baseFold?.watermark ?? 0; // a full load holds none of the posted ratings

  const unfinished = await unfinishedFold(db, base.version, fromId);
  const pending = unfinished
    ? await pendingRatings(db, fromId, { throughId: unfinished.watermark })
    : await pendingRatings(db, fromId, { limit: limits.maxRatings });
  if (pending.length === 0) return { status: 'idle', base: base.version, watermark: fromId };

  const model = decodeTitleModel(await readArtifact(kv, base, MODEL_KEYS.titles, 'arrayBuffer'));
  const batch = unfinished ? pending : boundBatch(pending, model.shards, limits);
  const watermark = batch[batch.length - 1].id;
  const version = await foldVersion(base.version, watermark);
  const builtAt = batch[batch.length - 1].receivedAt;

  const titleIndex = new Map(model.ids.map((id, t) => [id, t]));
  const baseTitles = await scoredTitles(db, base.version, new Set(batch.map((r) => r.movieId)));
  const applied = batch.filter((r) => titleIndex.has(r.movieId) && baseTitles.has(r.movieId));

  const byShard = new Map<number, Map<number, TitleRating[]>>();
  for (const r of applied) {
    const shard = shardOfUser(r.userId, model.shards);
    const users = byShard.get(shard) ?? new Map<number, TitleRating[]>();
    users.set(r.userId, [...(users.get(r.userId) ?? []), { title: titleIndex.get(r.movieId)!, halves: r.halves }]);
    byShard.set(shard, users);
  }
  const reg = regularisation(await readArtifact(kv, base, MODEL_KEYS.report, 'text'));
  const values = new Map<string, Uint8Array | string>();
  let newUsers = 0;
  let users = 0;
  for (const [shard, shardUsers] of [...byShard].sort(([a], [b]) => a - b)) {
    const name = MODEL_KEYS.userShard(shard);
    const shardBase = artifactKey(base, name) === undefined ? null : await readArtifact(kv, base, name, 'arrayBuffer');
    const folded = foldShard(model, shardBase, shardUsers, reg);
    values.set(name, folded.bytes);
    newUsers += folded.newUsers;
    users += shardUsers.size;
  }
  const changes = foldScores(baseTitles, applied);
  const index = decodeQueryIndex(await readArtifact(kv, base, ARTIFACT.queryIndex, 'arrayBuffer'));
  values.set(ARTIFACT.queryIndex, patchQueryIndexScores(index, changes));
  if (changes.length > 0) {
    const catalogIndex = decodeCatalogIndex(await readArtifact(kv, base, ARTIFACT.catalog, 'arrayBuffer'));
    values.set(
      ARTIFACT.catalogRows,
      patchCatalogScores(catalogIndex, new Uint8Array(await readArtifact(kv, base, ARTIFACT.catalogRows, 'arrayBuffer')), changes),
    );
  }
  const health = JSON.parse(await readArtifact(kv, base, ARTIFACT.health, 'text')) as DataHealth;
  const counts = { ...health.counts, ratings_rows: health.counts.ratings_rows + applied.length, users: health.counts.users + newUsers };
  values.set(ARTIFACT.health, JSON.stringify({ ...health, version, built_at: builtAt, counts }));

  await recordFoldStarted(db, {
    version,
    base_version: base.version,
    from_id: fromId,
    watermark,
    ratings: applied.length,
    users,
    titles: changes.length,
    shards: byShard.size,
    started_at: new Date().toISOString(),
  });
  await after('planned', version);

  const artifacts = { ...base.artifacts };
  for (const [name, value] of values) {
    const key = await contentKey(value);
    // Same content, same key: the base's blob (unchanged) or this fold's own from an earlier attempt.
    if (artifacts[name] !== key) await kv.put(key, kvPutValue(value));
    artifacts[name] = key;
  }
  await after('blobs-written', version);

  const titles = await ensureVersionRows(db, base, version, changes);
  await after('rows-written', version);

  const manifest: Manifest = { version, built_at: builtAt, parent: base.version, artifacts, titles };
  await kv.put(manifestKey(version), JSON.stringify(manifest));
  await after('manifest-written', version);

  let live: Awaited<ReturnType<typeof goLive>>;
  try {
    live = await goLive({ kv, db }, manifest, base.version);
  } catch (error) {
    // Someone went live meanwhile (a load or a rollback): never flip over their version. The ratings
    // stay pending; the next run folds them on top of the new version.
    if (!(error instanceof PointerConflictError)) throw error;
    return { status: 'superseded', base: base.version, version, live: error.live };
  }
  await after('live', version);
  await recordFoldLive(db, version, live.published_at);
  const retention = await dropOldVersions(kv, db, manifest, limits.blobDeleteBudget);
  return {
    status: 'folded',
    base: base.version,
    version,
    from_id: fromId,
    watermark,
    ratings: applied.length,
    skipped: batch.length - applied.length,
    users,
    new_users: newUsers,
    titles: changes.length,
    shards: byShard.size,
    resumed: unfinished !== null,
    kv_operations: kv.operations,
    retention,
  };
}

/** The longest prefix of the ratings (in id order) within the user and shard bounds; never empty. */
export function boundBatch(
  ratings: readonly PendingRating[],
  shards: number,
  limits: Pick<FoldLimits, 'maxRatings' | 'maxUsers' | 'maxShards'>,
): PendingRating[] {
  const users = new Set<number>();
  const shardSet = new Set<number>();
  const out: PendingRating[] = [];
  for (const r of ratings) {
    if (out.length >= Math.max(1, limits.maxRatings)) break;
    const shard = shardOfUser(r.userId, shards);
    const newUser = !users.has(r.userId);
    const newShard = !shardSet.has(shard);
    if (out.length > 0 && ((newUser && users.size >= limits.maxUsers) || (newShard && shardSet.size >= limits.maxShards))) break;
    users.add(r.userId);
    shardSet.add(shard);
    out.push(r);
  }
  return out;
}

/** A fold's version id: determined by where it starts and how far it goes. */
export async function foldVersion(baseVersion: string, watermark: number): Promise<string> {
  const key = await contentKey(`fold\n${baseVersion}\n${watermark}`);
  return key.slice(key.indexOf('/') + 1, key.indexOf('/') + 17);
}

/** The trainer's regularisation, from the model report the loader published with the model. */
export function regularisation(reportText: string): FoldRegularisation {
  const report = JSON.parse(reportText) as { hyperparameters?: { regFactors?: unknown; bias?: { regUser?: unknown } } };
  const bias = report.hyperparameters?.bias?.regUser;
  const factors = report.hyperparameters?.regFactors;
  if (typeof bias !== 'number' || typeof factors !== 'number' || !(bias >= 0) || !(factors >= 0)) {
    throw new Error('fold: the model report lacks hyperparameters.bias.regUser or hyperparameters.regFactors; publish a complete load');
  }
  return { bias, factors };
}

/** The version's D1 rows, written once and verified (count, every changed score bit for bit), with their checksum. */
async function ensureVersionRows(
  db: D1Database,
  base: Manifest,
  version: string,
  changes: readonly ScoreChange[],
): Promise<Manifest['titles']> {
  for (let attempt = 0; ; attempt++) {
    const rows = await versionRows(db, version);
    const problem = rowsProblem(rows, base.titles.rows, changes);
    if (problem === null) return { rows: rows.length, checksum: await titlesChecksum(rows.map((r) => TITLE_COLUMNS.map((c) => r[c]))) };
    if (attempt > 0) throw new Error(`fold ${version}: D1 rows do not verify after writing them: ${problem}`);
    await writeVersionRows(db, base.version, version, changes);
  }
}

function rowsProblem(rows: Record<string, unknown>[], expectedRows: number, changes: readonly ScoreChange[]): string | null {
  if (rows.length !== expectedRows) return `${rows.length} rows, the base has ${expectedRows}`;
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  for (const c of changes) {
    const row = byId.get(c.id);
    if (!row || row.score !== c.score || row.n_ratings !== c.n_ratings) {
      return `title ${c.id} has score ${String(row?.score)} (n ${String(row?.n_ratings)}), expected ${c.score} (n ${c.n_ratings})`;
    }
  }
  return null;
}

async function readArtifact(kv: KVWriter, manifest: Manifest, name: string, type: 'text'): Promise<string>;
async function readArtifact(kv: KVWriter, manifest: Manifest, name: string, type: 'arrayBuffer'): Promise<ArrayBuffer>;
async function readArtifact(kv: KVWriter, manifest: Manifest, name: string, type: 'text' | 'arrayBuffer'): Promise<string | ArrayBuffer> {
  const key = artifactKey(manifest, name);
  const value = key === undefined ? null : await kv.get(key, type as 'text');
  if (value === null) throw new Error(`fold: version ${manifest.version} lacks ${name}${key ? ` (${key})` : ''}; publish a complete load`);
  return value;
}

/** The store, counting operations: a Worker invocation may make at most 1,000. */
class CountingKV implements KVWriter {
  operations = 0;
  constructor(private readonly kv: KVWriter) {}
  get(key: string, type: 'text'): Promise<string | null>;
  get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  get(key: string, type: 'text' | 'arrayBuffer'): Promise<string | ArrayBuffer | null> {
    this.operations++;
    return this.kv.get(key, type as 'text');
  }
  put(key: string, value: string | ArrayBuffer): Promise<void> {
    this.operations++;
    return this.kv.put(key, value);
  }
  list(options: { prefix: string; cursor?: string }) {
    this.operations++;
    return this.kv.list(options);
  }
  delete(key: string): Promise<void> {
    this.operations++;
    return this.kv.delete(key);
  }
}

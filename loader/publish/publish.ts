// Publishing a built data version: content-addressed blobs, D1 rows, verification, then one pointer
// flip. Runtime-agnostic on purpose: the local publish (Miniflare's bindings from Node) and the
// worker tests (env bindings inside workerd) run this same code against the same binding interfaces.
//
// Crash safety: everything before the flip writes only keys and rows no reader looks at (new blobs,
// rows of the new version), so a load killed at any point leaves readers on the previous complete
// version, and a rerun finds the blobs already there and completes.
import {
  BLOB_PREFIX,
  contentKey,
  d1SearchText,
  goLive,
  HISTORY_KEY,
  KEEP_PREVIOUS_VERSIONS,
  keptVersions,
  kvPutValue,
  manifestKey,
  MANIFEST_PREFIX,
  PointerConflictError,
  readHistory,
  TITLE_COLUMNS,
  titlesChecksum,
  writersLive,
  type DataHealth,
  type DataPointer,
  type KVWriter,
  type Manifest,
  type Stores,
  type Title,
} from '../../contract';

export interface Bundle {
  version: string;
  /** Artifact name (ARTIFACT.*, MODEL_KEYS.*) -> value. */
  kv: Map<string, Uint8Array | string>;
  titles: Title[];
  health: DataHealth;
}

export interface PublishPlan {
  manifest: Manifest;
  blobs: Map<string, Uint8Array | string>;
}

export async function planPublish(bundle: Bundle, parent: string | null = null): Promise<PublishPlan> {
  const blobs = new Map<string, Uint8Array | string>();
  const artifacts: Record<string, string> = {};
  for (const [name, value] of bundle.kv) {
    const key = await contentKey(value);
    artifacts[name] = key;
    blobs.set(key, value);
  }
  return {
    manifest: {
      version: bundle.version,
      built_at: bundle.health.built_at,
      parent,
      artifacts,
      titles: { rows: bundle.titles.length, checksum: await titlesChecksum(bundle.titles.map(titleRow)) },
    },
    blobs,
  };
}

function titleRow(t: Title): unknown[] {
  return TITLE_COLUMNS.map((c) => t[c]);
}

// One statement inserts a whole chunk from a JSON array: ~30x faster than a statement per row,
// and still a single bound parameter (D1 allows 100 per statement).
const D1_CHUNK_ROWS = 2000;
const INSERT_TITLES_SQL = `INSERT INTO titles (version, ${TITLE_COLUMNS.map((c) => `"${c}"`).join(', ')}, search_text)
  SELECT ?1, ${[...TITLE_COLUMNS, 'search_text'].map((_, i) => `json_extract(value, '$[${i}]')`).join(', ')}
  FROM json_each(?2)`;
const SELECT_TITLES_SQL = `SELECT ${TITLE_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM titles WHERE version = ?1`;

/** A progress line every this many KV values written or read back. */
const PROGRESS_VALUES = 1000;

/** KV requests kept in flight by a publish: a local put or read costs ~2 ms of waiting, mostly latency. */
const KV_IN_FLIGHT = 16;

/** Runs `task` over `items` with at most `limit` running at once; stops taking new items after a failure. */
async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      try {
        await task(items[next++]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export async function publishBundle(
  bundle: Bundle,
  stores: Stores,
  onProgress: (message: string) => void = () => {},
): Promise<PublishPlan> {
  const plan = await planPublish(bundle);
  const { kv, db } = stores;
  const liveAtStart = (await writersLive(stores))?.version ?? null;

  const existing = await listKeys(kv, BLOB_PREFIX);
  const missing = [...plan.blobs].filter(([key]) => !existing.has(key));
  let written = 0;
  await eachLimited(missing, KV_IN_FLIGHT, async ([key, value]) => {
    await kv.put(key, kvPutValue(value));
    if (++written % PROGRESS_VALUES === 0) onProgress(`kv: ${written}/${missing.length} new values`);
  });
  onProgress(`kv: ${missing.length} new values written, ${plan.blobs.size - missing.length} already present`);

  const [{ n }] = (await db.prepare('SELECT COUNT(*) AS n FROM titles WHERE version = ?1').bind(bundle.version).all<{ n: number }>())
    .results;
  if (n !== bundle.titles.length) {
    const statements = [db.prepare('DELETE FROM titles WHERE version = ?1').bind(bundle.version)];
    for (let i = 0; i < bundle.titles.length; i += D1_CHUNK_ROWS) {
      const rows = bundle.titles.slice(i, i + D1_CHUNK_ROWS).map((t) => [...titleRow(t), d1SearchText(t)]);
      statements.push(db.prepare(INSERT_TITLES_SQL).bind(bundle.version, JSON.stringify(rows)));
    }
    await db.batch(statements as never[]);
  }
  onProgress(`d1: ${bundle.titles.length} titles ${n === bundle.titles.length ? 'already present' : 'written'}`);

  await verify(
    plan,
    stores,
    missing.map(([key]) => key),
    bundle.titles,
    onProgress,
  );
  onProgress('verified: new values read back, every D1 row compared with the build');

  await kv.put(manifestKey(plan.manifest.version), JSON.stringify(plan.manifest));
  await goLiveOverAnyFold(stores, plan.manifest, liveAtStart, onProgress);
  onProgress(`pointer: ${plan.manifest.version}`);

  const removed = await cleanup(stores);
  if (removed.versions.length) onProgress(`cleanup: dropped versions ${removed.versions.join(', ')} (${removed.blobs} values)`);
  return plan;
}

/**
 * A load is built from the rating files, not on the live version, so when another writer went live
 * meanwhile (a cron fold, most likely) the load still goes live, claiming over the version it now
 * sees: the fold's ratings are not lost, the next fold applies every posted rating again on top of the
 * load. Each claim is still a compare-and-set, so a third writer racing in between is seen too.
 */
export async function goLiveOverAnyFold(
  stores: Stores,
  manifest: Manifest,
  expected: string | null,
  onProgress: (message: string) => void,
): Promise<DataPointer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await goLive(stores, manifest, expected);
    } catch (error) {
      if (!(error instanceof PointerConflictError) || attempt >= 3) throw error;
      onProgress(`pointer: ${error.live} went live while this load ran (expected ${expected ?? 'none'}); claiming over it`);
      expected = error.live;
    }
  }
}

/**
 * Reads back what a publish wrote; throws (so the pointer never moves) on any difference. With the
 * rows just written (`titles`), D1 is read back a page at a time and compared row by row, so the
 * publish never holds every row twice (as objects, ~120 MiB for this catalog); without them (a
 * rollback), the rows are counted and checksummed against the manifest.
 */
export async function verify(
  plan: PublishPlan,
  { kv, db }: Stores,
  keysToReadBack: Iterable<string>,
  titles?: Title[],
  onProgress: (message: string) => void = () => {},
): Promise<void> {
  const keys = [...keysToReadBack];
  let read = 0;
  await eachLimited(keys, KV_IN_FLIGHT, async (key) => {
    const value = await kv.get(key, 'arrayBuffer');
    if (!value || (await contentKey(new Uint8Array(value))) !== key) {
      throw new Error(`verification failed: KV value ${key} is ${value ? 'corrupt' : 'missing'}; the pointer was not changed`);
    }
    if (++read % PROGRESS_VALUES === 0) onProgress(`verify: ${read}/${keys.length} values read back`);
  });
  const version = plan.manifest.version;
  if (titles) {
    const problem = await titleRowsProblem(db, version, titles);
    if (problem !== null) throw new Error(`verification failed: D1 rows of ${version}: ${problem}; the pointer was not changed`);
    return;
  }
  const { results } = await db.prepare(SELECT_TITLES_SQL).bind(version).all();
  const checksum = await titlesChecksum(results.map((r) => TITLE_COLUMNS.map((c) => r[c])));
  if (results.length !== plan.manifest.titles.rows || checksum !== plan.manifest.titles.checksum) {
    throw new Error(
      `verification failed: D1 holds ${results.length} titles for ${version} (checksum ${checksum}), ` +
        `expected ${plan.manifest.titles.rows} (checksum ${plan.manifest.titles.checksum}); the pointer was not changed`,
    );
  }
}

const VERIFY_PAGE_ROWS = 2000;
const SELECT_TITLES_PAGE_SQL = `${SELECT_TITLES_SQL} AND id > ?2 ORDER BY id LIMIT ${VERIFY_PAGE_ROWS}`;

/** What differs between a version's D1 rows and `titles` (every row, every column), or null. */
async function titleRowsProblem(db: Stores['db'], version: string, titles: Title[]): Promise<string | null> {
  const expected = new Map(titles.map((t) => [t.id, JSON.stringify(titleRow(t))]));
  let seen = 0;
  for (let after = ''; ; ) {
    const { results } = await db.prepare(SELECT_TITLES_PAGE_SQL).bind(version, after).all();
    for (const row of results) {
      const id = String(row.id);
      const want = expected.get(id);
      if (want === undefined) return `row ${id} is not in the build`;
      if (JSON.stringify(TITLE_COLUMNS.map((c) => row[c])) !== want) return `row ${id} differs from the build`;
      seen++;
    }
    if (results.length < VERIFY_PAGE_ROWS) break;
    after = String(results[results.length - 1].id);
  }
  return seen === titles.length ? null : `${seen} rows, expected ${titles.length}`;
}

/**
 * Puts a previously published version back live (default: the one before the live one). Its
 * manifest, blobs and D1 rows are kept for KEEP_PREVIOUS_VERSIONS versions, and checked first: every
 * blob must be listed (their bytes were read back when the version was first published, and a
 * content-addressed key never changes; reading thousands of user shards back through the REST API
 * would take longer than its rate limit allows), the D1 rows are counted and checksummed.
 */
export async function rollback(stores: Stores, toVersion?: string): Promise<DataPointer> {
  const { kv } = stores;
  const live = await writersLive(stores);
  const history = await readHistory(kv);
  const target = toVersion ?? history.versions.find((v) => v.version !== live?.version)?.version;
  if (!target) throw new Error('no previous version to roll back to');
  const text = await kv.get(manifestKey(target), 'text');
  if (!text) {
    const kept = history.versions.map((v) => v.version).join(', ') || 'none';
    throw new Error(`version ${target} is not kept (kept versions: ${kept})`);
  }
  const manifest = JSON.parse(text) as Manifest;
  const present = await listKeys(kv, BLOB_PREFIX);
  const gone = Object.entries(manifest.artifacts).filter(([, key]) => !present.has(key));
  if (gone.length > 0) {
    throw new Error(
      `version ${target} cannot go live: ${gone.length} of its values are gone (${gone
        .slice(0, 3)
        .map(([name]) => name)
        .join(', ')}${gone.length > 3 ? ', …' : ''}); the pointer was not changed`,
    );
  }
  await requireSearchable(stores.db, target);
  await verify({ manifest, blobs: new Map() }, stores, []);
  return goLive(stores, manifest, live?.version ?? null);
}

/**
 * A kept version published before text search was folded cannot go back live: its D1 rows predate
 * migration 0004 (search_text '', so /titles.csv's q and title_prefix would answer 503) and its
 * catalog index is format 2 (so /titles would too). One D1 row read tells both, since the code that
 * fills search_text is the code that writes format 3; the blobs themselves are not read (see above).
 * A load rebuilds such data with this code.
 */
async function requireSearchable(db: Stores['db'], version: string): Promise<void> {
  const { results } = await db
    .prepare("SELECT search_text = '' AS missing FROM titles WHERE version = ?1 ORDER BY id LIMIT 1")
    .bind(version)
    .all<{ missing: number }>();
  if (results[0]?.missing) {
    throw new Error(
      `version ${version} cannot go live: it was published before text search was folded (its D1 rows have no search_text, its ` +
        'catalog index is format 2), so /titles and /titles.csv could not serve it; run npm run load instead. The pointer was not changed',
    );
  }
}

/**
 * Drops versions beyond the live one and KEEP_PREVIOUS_VERSIONS before it: their manifests, their D1
 * rows, and every blob no kept version references. Runs from the loader, not a Worker: it can take
 * more KV operations than one Worker invocation may make.
 */
export async function cleanup(stores: Stores, keep = KEEP_PREVIOUS_VERSIONS): Promise<{ versions: string[]; blobs: number }> {
  const { kv, db } = stores;
  const history = await readHistory(kv);
  const live = await writersLive(stores);
  const kept = keptVersions(live?.version, history, keep);

  const referenced = new Set<string>();
  const dropped: string[] = [];
  for (const key of await listKeys(kv, MANIFEST_PREFIX)) {
    const version = key.slice(MANIFEST_PREFIX.length);
    if (kept.has(version)) {
      const manifest = JSON.parse((await kv.get(key, 'text'))!) as Manifest;
      for (const blob of Object.values(manifest.artifacts)) referenced.add(blob);
    } else {
      dropped.push(version);
    }
  }
  if (live) for (const blob of Object.values(live.artifacts)) referenced.add(blob);

  const unreferenced = [...(await listKeys(kv, BLOB_PREFIX))].filter((key) => !referenced.has(key));
  const deleteAll = async (keys: string[]) => {
    if (kv.deleteMany) await kv.deleteMany(keys);
    else await eachLimited(keys, KV_IN_FLIGHT, (key) => kv.delete(key));
  };
  await deleteAll(unreferenced);
  const blobs = unreferenced.length;
  await deleteAll(dropped.map(manifestKey));
  const keptList = [...kept];
  await db.batch([
    db.prepare(`DELETE FROM titles WHERE version NOT IN (${keptList.map((_, i) => `?${i + 1}`).join(', ')})`).bind(...keptList),
  ] as never[]);
  if (history.versions.length > kept.size) {
    await kv.put(HISTORY_KEY, JSON.stringify({ versions: history.versions.filter((v) => kept.has(v.version)) }));
  }
  return { versions: dropped, blobs };
}

async function listKeys(kv: KVWriter, prefix: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix, cursor });
    for (const k of page.keys) keys.add(k.name);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return keys;
}

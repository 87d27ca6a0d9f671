// The publish protocol both writers run: the loader (local and remote publishes, rollback) and the
// worker's cron fold. Readers only ever read KV's pointer (worker/data.ts, cached); writers decide
// what is live through D1, because a KV read can be a minute stale while D1 answers with what was
// committed.
//
// One flip at a time: D1's `live_pointer` row (migrations/0003_live_pointer.sql) is the single place a
// writer claims the pointer, by compare-and-set on the version it built on. Only after D1 accepts does
// the writer put the pointer (and the history) in KV. Two writers racing (a load and a fold in the same
// minute) cannot both win: the loser learns which version went live instead and does not touch KV.
import { BLOB_PREFIX, contentKey, CURRENT_KEY, HISTORY_KEY, manifestKey, parseLivePointer, resolvePointer } from './keys';
import type { DataPointer, LivePointer, Manifest, PublishHistory } from './keys';

/** The subset of KVNamespace a writer uses (a Workers binding, Miniflare's, or the REST adapter). */
export interface KVWriter {
  put(key: string, value: string | ArrayBuffer): Promise<void>;
  get(key: string, type: 'text'): Promise<string | null>;
  get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  list(options: { prefix: string; cursor?: string }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
  delete(key: string): Promise<void>;
  /** Many deletes in few requests, where the store has a bulk delete (the REST API); cleanup prefers it. */
  deleteMany?(keys: string[]): Promise<void>;
}

/** The subset of D1Database a writer uses. */
export interface D1Writer {
  prepare(sql: string): {
    bind(...values: unknown[]): { all<T = Record<string, unknown>>(): Promise<{ results: T[] }> };
    all<T = Record<string, unknown>>(): Promise<{ results: T[] }>;
  };
  batch(statements: never[]): Promise<unknown[]>;
}

export interface Stores {
  kv: KVWriter;
  db: D1Writer;
}

/** Versions kept besides the live one: rollback targets, and readers' grace for KV's consistency window. */
export const KEEP_PREVIOUS_VERSIONS = 2;

/** The versions retention keeps: the live one and the `keep` + 1 newest of the history (newest is normally the live one). */
export function keptVersions(live: string | undefined, history: PublishHistory, keep: number): Set<string> {
  return new Set([live, ...history.versions.slice(0, keep + 1).map((v) => v.version)].filter((v): v is string => !!v));
}

/** Hash of the catalog rows in id order: the loader's rows and D1's rows must hash the same. */
export async function titlesChecksum(rows: unknown[][]): Promise<string> {
  const sorted = [...rows].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0));
  return (await contentKey(JSON.stringify(sorted))).slice(BLOB_PREFIX.length, BLOB_PREFIX.length + 32);
}

/** A bundle value as KV.put takes it: text as is, bytes as an ArrayBuffer of exactly those bytes. */
export function kvPutValue(value: Uint8Array | string): string | ArrayBuffer {
  if (typeof value === 'string') return value;
  return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength
    ? (value.buffer as ArrayBuffer)
    : (value.slice().buffer as ArrayBuffer);
}

/** The history with the pointer's version as its newest entry (an earlier entry of that version dropped). */
export function historyWithLive(history: PublishHistory, pointer: LivePointer): PublishHistory {
  return {
    versions: [
      { version: pointer.version, published_at: pointer.published_at },
      ...history.versions.filter((v) => v.version !== pointer.version),
    ],
  };
}

export async function readHistory(kv: KVWriter): Promise<PublishHistory> {
  const text = await kv.get(HISTORY_KEY, 'text');
  return text ? (JSON.parse(text) as PublishHistory) : { versions: [] };
}

// ---- the pointer, as writers see it ------------------------------------------------------------

/**
 * Claims the pointer for ?1 if the live version is still ?3 ('' when nothing was live: the REST API
 * binds strings only, and no version id is empty).
 * An empty table is claimed by whoever comes first (stores published before the table existed), and
 * claiming the version that is already live succeeds again, so a writer that died between D1 and KV
 * can finish its flip. RETURNING yields the row only when the insert or update happened.
 */
const CLAIM_SQL = `INSERT INTO live_pointer (id, version, published_at) VALUES (1, ?1, ?2)
  ON CONFLICT (id) DO UPDATE SET version = excluded.version, published_at = excluded.published_at
  WHERE live_pointer.version = ?3 OR live_pointer.version = excluded.version
  RETURNING version`;

export class PointerConflictError extends Error {
  override name = 'PointerConflictError';
  constructor(
    readonly expected: string | null,
    readonly live: string | null,
  ) {
    super(
      `the live version is ${live ?? 'unset'}, not ${expected ?? 'unset'} as this publish expected: another writer went live meanwhile; the pointer was not changed`,
    );
  }
}

/** The version D1 says is live, or null when no writer has claimed the pointer through D1 yet. */
export async function claimedLive(db: D1Writer): Promise<LivePointer | null> {
  const { results } = await db.prepare('SELECT version, published_at FROM live_pointer WHERE id = 1').all<LivePointer>();
  return results[0] ?? null;
}

/**
 * The live version for a writer: D1's claim when there is one (its manifest read from KV), else KV's
 * pointer (stores older than the claim table); null when nothing was ever published.
 */
export async function writersLive({ kv, db }: Stores): Promise<DataPointer | null> {
  const claim = await claimedLive(db);
  if (claim) return resolvePointer(claim, await kv.get(manifestKey(claim.version), 'text'));
  const text = await kv.get(CURRENT_KEY, 'text');
  if (!text) return null;
  const pointer = parseLivePointer(text);
  return resolvePointer(pointer, await kv.get(manifestKey(pointer.version), 'text'));
}

/**
 * Flips the pointer to `manifest` (already written to KV, with every blob and D1 row it names) if the
 * live version is still `expected`; throws PointerConflictError naming the live version otherwise.
 * D1 first, then the pointer and the history in KV.
 */
export async function goLive(stores: Stores, manifest: Manifest, expected: string | null): Promise<DataPointer> {
  const pointer: LivePointer = { version: manifest.version, published_at: new Date().toISOString() };
  const { results } = await stores.db
    .prepare(CLAIM_SQL)
    .bind(pointer.version, pointer.published_at, expected ?? '')
    .all();
  if (results.length === 0) throw new PointerConflictError(expected, (await claimedLive(stores.db))?.version ?? null);
  await writePointer(stores.kv, pointer);
  // Between the claim and the put above another writer may have claimed over this one and put its
  // pointer first (this put was slow, or retried): then this put left KV behind D1. Check, and repair.
  await settlePointer(stores, pointer);
  return { ...manifest, published_at: pointer.published_at };
}

/** Rounds of put-then-check before settlePointer leaves the rest to the writer still flipping. */
const SETTLE_ROUNDS = 5;

/**
 * Makes KV's pointer say what D1's claim says, and returns the claim (null when nothing was claimed).
 * `written` is the pointer the caller has just put in KV; without it, KV's pointer is read.
 *
 * Why every writer ends with this: D1 orders the claims, but nothing orders the KV puts that follow
 * them, so a writer whose put lands after a later writer's put would leave readers on the older
 * version for good. The rule that prevents it: after each put of the pointer, read D1 again and put
 * its claim if it moved on. The last put of all is then followed by a read that saw it was current,
 * and any claim after that read is followed by its writer's own put, so the last put matches D1.
 * Also run before a writer starts (the cron fold, a load): a writer that died between its claim and
 * its put (D1 flipped, KV not) is finished by the next one, not only by a rerun of itself.
 */
export async function settlePointer(stores: Stores, written?: LivePointer): Promise<LivePointer | null> {
  let inKv = written ?? (await kvPointer(stores.kv));
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    const claim = await claimedLive(stores.db);
    if (claim === null || (inKv !== null && samePointer(inKv, claim))) return claim;
    await writePointer(stores.kv, claim);
    inKv = claim;
  }
  return claimedLive(stores.db);
}

/** The pointer and the history's newest entry, in that order (readers read the pointer). */
async function writePointer(kv: KVWriter, pointer: LivePointer): Promise<void> {
  await kv.put(CURRENT_KEY, JSON.stringify(pointer));
  await kv.put(HISTORY_KEY, JSON.stringify(historyWithLive(await readHistory(kv), pointer)));
}

/** KV's pointer, or null when there is none or it is unreadable (settling then puts D1's claim). */
async function kvPointer(kv: KVWriter): Promise<LivePointer | null> {
  const text = await kv.get(CURRENT_KEY, 'text');
  if (!text) return null;
  try {
    return parseLivePointer(text);
  } catch {
    return null;
  }
}

function samePointer(a: LivePointer, b: LivePointer): boolean {
  return a.version === b.version && a.published_at === b.published_at;
}

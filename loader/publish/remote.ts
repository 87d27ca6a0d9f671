// `npm run load -- --target remote`: publishes a built data version to a Cloudflare account through the
// official SDK (loader/publish/cloudflare-client.ts), with the same content-addressed plan as the local publish (loader/publish/publish.ts). Order: D1
// migrations, the blobs the live version does not already have plus the new manifest (bulk,
// chunked), the catalog into D1 (import API), a read-back check of both, and only then the pointer,
// as one single-key write, then the history. Everything before the pointer writes keys and rows no
// reader looks at, so a failure leaves readers on the previous version and a rerun completes.
import {
  ARTIFACT,
  claimedLive,
  CURRENT_KEY,
  manifestKey,
  parseLivePointer,
  readHistory,
  TITLE_COLUMNS,
  type LivePointer,
  type Manifest,
  type Title,
} from '../../contract';
import { CloudflareClient } from './cloudflare-client';
import { importSqlFile, queryD1 } from './d1-remote';
import { applyMigrations } from './migrations';
import {
  KV_BULK_LIMITS,
  kvValueBytes,
  readKv,
  readKvTexts,
  validateKvEntries,
  writeKvBulk,
  type KvBulkLimits,
  type KvValue,
  type KvWriteStats,
} from './kv-bulk';
import { cleanup, goLiveOverAnyFold, planPublish, type Bundle } from './publish';
import { remoteStores } from './remote-stores';
import { D1_MAX_STATEMENT_BYTES, titlesImportSql } from './titles-sql';
import { readWranglerBindings } from './wrangler-config';

export interface RemotePublishOptions {
  kvNamespaceId: string;
  d1DatabaseId: string;
  migrationsDir: string;
  /** Publish even when the account already serves this version. */
  force?: boolean;
  log?: (message: string) => void;
  kvLimits?: KvBulkLimits;
  /** Keys per bulk delete request in the cleanup after the flip (documented: up to 10,000). */
  maxDeleteKeys?: number;
  maxStatementBytes?: number;
  /** KV keys read back before the flip (the health value always among them). */
  verifyKeys?: number;
  /** Catalog rows read back and compared column by column (besides the row count). */
  verifyRows?: number;
  /** Waits between read-back attempts: KV is eventually consistent, a fresh write may lag. */
  consistencyDelaysMs?: number[];
  importPollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RemotePublishReport {
  version: string;
  published: boolean;
  kv: KvWriteStats | null;
  d1: { migrations: string[]; statements: number; sqlBytes: number; rows: number } | null;
  verified: { kvKeys: number; d1Rows: number } | null;
  /** KV keys written by this publish, the pointer included: what counts against a daily write quota. */
  kvWrites: number;
  /** What the cleanup after the flip dropped; null when it did not run or failed (the publish still stands). */
  cleanup: { versions: string[]; blobs: number } | null;
}

export async function publishRemote(bundle: Bundle, client: CloudflareClient, opts: RemotePublishOptions): Promise<RemotePublishReport> {
  const log = opts.log ?? (() => {});
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const { kvNamespaceId: ns, d1DatabaseId: db } = opts;
  const report: RemotePublishReport = {
    version: bundle.version,
    published: false,
    kv: null,
    d1: null,
    verified: null,
    kvWrites: 0,
    cleanup: null,
  };

  // Checks that cost no request come first, so a bundle that cannot be published writes nothing.
  const plan = await planPublish(bundle);
  validateKvEntries(plan.blobs);
  const importSql = titlesImportSql(bundle.version, bundle.titles, opts.maxStatementBytes ?? D1_MAX_STATEMENT_BYTES);

  const liveBytes = await readKv(client, ns, CURRENT_KEY);
  const liveVersion = liveBytes ? safeJson<Partial<LivePointer>>(liveBytes)?.version : undefined;
  if (!opts.force && liveVersion === bundle.version) {
    log(`remote already serves version ${bundle.version}: nothing to publish (use --force to publish again)`);
    return report;
  }
  log(`remote: live version ${liveVersion ?? '(none)'}, publishing ${bundle.version}`);

  // Blobs the live version references are known to be there (they were verified when it went live).
  const liveManifestBytes = typeof liveVersion === 'string' ? await readKv(client, ns, manifestKey(liveVersion)) : null;
  const liveManifest = liveManifestBytes ? safeJson<Partial<Manifest>>(liveManifestBytes) : null;
  const present = new Set(Object.values(liveManifest?.artifacts ?? {}));
  const toWrite = new Map<string, KvValue>([...plan.blobs].filter(([key]) => !present.has(key)));
  toWrite.set(manifestKey(bundle.version), JSON.stringify(plan.manifest));
  log(
    `this publish writes ${toWrite.size + 2} KV keys (${plan.blobs.size - toWrite.size + 1} values unchanged; the Workers Free plan allows 1,000 KV writes a day)`,
  );

  const stores = remoteStores(client, { kvNamespaceId: ns, d1DatabaseId: db, maxDeleteKeys: opts.maxDeleteKeys });
  const migrations = await applyMigrations(stores.db, opts.migrationsDir, log);
  // The version this publish expects to replace: D1's claim, which KV's pointer may lag.
  const expected = (await claimedLive(stores.db))?.version ?? liveVersion ?? null;

  report.kv = await writeKvBulk(client, ns, toWrite, { limits: opts.kvLimits ?? KV_BULK_LIMITS, log });
  report.kvWrites = toWrite.size;
  log(`kv: ${toWrite.size} values in ${report.kv.requests} bulk requests (${(report.kv.bytes / 1e6).toFixed(1)} MB)`);

  log(`d1: importing ${bundle.titles.length} titles (${importSql.statements} statements, ${(importSql.bytes / 1e6).toFixed(1)} MB of SQL)`);
  const imported = await importSqlFile(client, db, importSql.sql, { log, sleep, pollIntervalMs: opts.importPollIntervalMs });
  report.d1 = { migrations, statements: importSql.statements, sqlBytes: importSql.bytes, rows: bundle.titles.length };
  log(`d1: import complete (${imported.queries} queries${imported.rowsWritten !== null ? `, ${imported.rowsWritten} rows written` : ''})`);

  const mustCheck = [manifestKey(bundle.version), plan.manifest.artifacts[ARTIFACT.health]].filter((k) => k && toWrite.has(k));
  const kvKeys = await verifyKv(
    client,
    ns,
    toWrite,
    mustCheck,
    opts.verifyKeys ?? 8,
    opts.consistencyDelaysMs ?? [500, 1000, 2000, 4000, 8000],
    sleep,
  );
  const d1Rows = await verifyD1(client, db, bundle, opts.verifyRows ?? 40);
  report.verified = { kvKeys, d1Rows };
  log(
    `verified: ${kvKeys} KV values read back byte for byte, ${bundle.titles.length} D1 rows counted, ${d1Rows} compared column by column`,
  );

  // One compare-and-set in D1, then the pointer (a single-key write) and the history in KV.
  const flipped = await goLiveOverAnyFold(stores, plan.manifest, expected, log);
  const pointer: LivePointer = { version: flipped.version, published_at: flipped.published_at };
  report.kvWrites += 2;
  report.published = true;
  log(`pointer: ${CURRENT_KEY} -> ${bundle.version} (was ${expected ?? 'unset'})`);

  // The new version is live whatever happens here: a failed cleanup is left for the next publish.
  // KV reads may lag writes; a cleanup that read the old pointer would delete the new version's
  // blobs, so it runs only once the pointer and the history read back as just written.
  try {
    const seenText = await stores.kv.get(CURRENT_KEY, 'text');
    const [seen, seenHistory] = [seenText ? parseLivePointer(seenText) : null, await readHistory(stores.kv)];
    if (seen?.published_at !== pointer.published_at || seenHistory.versions[0]?.published_at !== pointer.published_at) {
      log(`cleanup skipped: KV does not read back the new pointer and history yet; the next publish cleans up`);
      return report;
    }
    report.cleanup = await cleanup(stores);
    log(
      report.cleanup.versions.length
        ? `cleanup: dropped versions ${report.cleanup.versions.join(', ')} (${report.cleanup.blobs} values no kept version uses)`
        : `cleanup: nothing to drop (${report.cleanup.blobs} unused values)`,
    );
  } catch (err) {
    log(
      `cleanup failed, the publish stands; the next publish retries it: ${client.redact(err instanceof Error ? err.message : String(err))}`,
    );
  }
  return report;
}

function safeJson<T>(bytes: Uint8Array): T | null {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    return null;
  }
}

/**
 * Reads a sample of what was written back and compares it byte for byte: text values in one bulk read,
 * binary ones (which the bulk read cannot return) one by one. KV is eventually consistent, so a value
 * not yet visible is read again after each of `delays`.
 */
async function verifyKv(
  client: CloudflareClient,
  ns: string,
  written: Map<string, KvValue>,
  mustCheck: string[],
  count: number,
  delays: number[],
  sleep: (ms: number) => Promise<void>,
): Promise<number> {
  const keys = [...written.keys()];
  const sample = new Set<string>(mustCheck);
  for (let i = 0; sample.size < Math.min(count, keys.length); i++) sample.add(keys[Math.floor((i * keys.length) / count) % keys.length]);
  let pending = [...sample];
  for (let attempt = 0; pending.length > 0; attempt++) {
    const texts = await readKvTexts(
      client,
      ns,
      pending.filter((key) => typeof written.get(key) === 'string'),
    );
    const seen = new Map<string, Buffer | null>([...texts].map(([key, text]) => [key, text === null ? null : Buffer.from(text, 'utf8')]));
    for (const key of pending.filter((k) => !seen.has(k))) {
      const bytes = await readKv(client, ns, key);
      seen.set(key, bytes && Buffer.from(bytes));
    }
    const bad = pending.filter((key) => {
      const expected = kvValueBytes(written.get(key)!);
      return !seen.get(key)?.equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength));
    });
    if (bad.length > 0 && attempt >= delays.length) {
      const actual = seen.get(bad[0]);
      const expectedBytes = kvValueBytes(written.get(bad[0])!).byteLength;
      throw new Error(
        `KV read-back of ${bad[0]}: ${actual ? `${actual.byteLength} bytes differ from the ${expectedBytes} written` : 'not found'}; the pointer was not changed`,
      );
    }
    pending = bad;
    if (pending.length > 0) await sleep(delays[attempt]);
  }
  return sample.size;
}

async function verifyD1(client: CloudflareClient, db: string, bundle: Bundle, count: number): Promise<number> {
  const { results } = await queryD1<{ n: number }>(client, db, 'SELECT COUNT(*) AS n FROM titles WHERE version = ?1', [bundle.version]);
  if (results[0]?.n !== bundle.titles.length) {
    throw new Error(
      `D1 holds ${results[0]?.n} titles for version ${bundle.version}, expected ${bundle.titles.length}; the pointer was not changed`,
    );
  }
  const sample = sampleTitles(bundle.titles, Math.min(count, 99)); // D1 binds at most 100 parameters
  if (sample.length === 0) return 0;
  const placeholders = sample.map((_, i) => `?${i + 2}`).join(', ');
  const { results: rows } = await queryD1<Record<string, unknown>>(
    client,
    db,
    `SELECT * FROM titles WHERE version = ?1 AND id IN (${placeholders})`,
    [bundle.version, ...sample.map((t) => t.id)],
  );
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  for (const title of sample) {
    const row = byId.get(title.id);
    if (!row) throw new Error(`D1 read-back: title ${title.id} is missing; the pointer was not changed`);
    for (const column of TITLE_COLUMNS) {
      if (row[column] !== title[column]) {
        throw new Error(
          `D1 read-back: title ${title.id} column ${column} is ${JSON.stringify(row[column])}, expected ${JSON.stringify(title[column])}; the pointer was not changed`,
        );
      }
    }
  }
  return sample.length;
}

/** Evenly spread titles plus the ones whose text is hardest to carry through SQL literals. */
function sampleTitles(titles: Title[], count: number): Title[] {
  const tricky = [/'/, /\n/, /[^\p{ASCII}]/u, /;/, /"/, /\\/];
  const picked = new Map<string, Title>();
  for (const pattern of tricky) {
    const t = titles.find((x) => TITLE_COLUMNS.some((c) => typeof x[c] === 'string' && pattern.test(x[c] as string)));
    if (t) picked.set(t.id, t);
  }
  const withNullScore = titles.find((t) => t.score === null);
  if (withNullScore) picked.set(withNullScore.id, withNullScore);
  for (let i = 0; picked.size < Math.min(count, titles.length); i++) {
    const t = titles[Math.floor((i * titles.length) / count) % titles.length];
    picked.set(t.id, t);
  }
  return [...picked.values()].slice(0, count);
}

// ---- configuration from the environment --------------------------------------------------------

export interface RemoteTarget {
  accountId: string;
  apiToken: string;
  baseUrl?: string;
  kvNamespaceId: string;
  d1DatabaseId: string;
  /** Where each id came from, for the log (never the token). */
  sources: { kvNamespaceId: string; d1DatabaseId: string };
}

/**
 * CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN are required (the names wrangler uses too);
 * CF_KV_NAMESPACE_ID and CF_D1_DATABASE_ID override the ids of the KV and DB bindings in wrangler.toml;
 * CLOUDFLARE_API_BASE_URL overrides the API endpoint (as it does for wrangler).
 */
export function remoteTargetFromEnv(
  env: Record<string, string | undefined>,
  wranglerIds: { kvNamespaceId?: string; d1DatabaseId?: string },
): RemoteTarget {
  const missing = ['CLOUDFLARE_ACCOUNT_ID', 'CLOUDFLARE_API_TOKEN'].filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new Error(
      `remote publish needs ${missing.join(' and ')} in the environment (an API token with Workers KV Storage: Edit and D1: Edit)`,
    );
  }
  const pick = (envName: string, fallback: string | undefined, what: string) => {
    const fromEnv = env[envName]?.trim();
    if (fromEnv) return { id: fromEnv, source: envName };
    if (fallback) return { id: fallback, source: 'wrangler.toml' };
    throw new Error(`remote publish needs the ${what}: set ${envName} or put the id in wrangler.toml`);
  };
  const kv = pick('CF_KV_NAMESPACE_ID', wranglerIds.kvNamespaceId, 'KV namespace id');
  const d1 = pick('CF_D1_DATABASE_ID', wranglerIds.d1DatabaseId, 'D1 database id');
  return {
    accountId: env.CLOUDFLARE_ACCOUNT_ID!.trim(),
    apiToken: env.CLOUDFLARE_API_TOKEN!.trim(),
    baseUrl: env.CLOUDFLARE_API_BASE_URL?.trim() || undefined,
    kvNamespaceId: kv.id,
    d1DatabaseId: d1.id,
    sources: { kvNamespaceId: kv.source, d1DatabaseId: d1.source },
  };
}

/** The target named by the environment and wrangler.toml; `load` resolves it before building, to fail fast. */
export async function resolveRemoteTarget(
  wranglerConfig: string,
  env: Record<string, string | undefined> = process.env,
): Promise<RemoteTarget> {
  return remoteTargetFromEnv(env, readWranglerBindings(wranglerConfig));
}

/** What `load --target remote` calls: configuration from the environment (unless given), then publishRemote. */
export async function publishRemoteFromEnv(
  bundle: Bundle,
  options: {
    wranglerConfig: string;
    migrationsDir: string;
    force?: boolean;
    log: (m: string) => void;
    env?: Record<string, string | undefined>;
    target?: RemoteTarget;
  },
): Promise<RemotePublishReport> {
  const target = options.target ?? (await resolveRemoteTarget(options.wranglerConfig, options.env));
  const client = new CloudflareClient({
    accountId: target.accountId,
    apiToken: target.apiToken,
    baseUrl: target.baseUrl,
    log: options.log,
  });
  options.log(
    `remote: account ${target.accountId}, KV namespace ${target.kvNamespaceId} (from ${target.sources.kvNamespaceId}), D1 database ${target.d1DatabaseId} (from ${target.sources.d1DatabaseId})`,
  );
  try {
    return await publishRemote(bundle, client, {
      kvNamespaceId: target.kvNamespaceId,
      d1DatabaseId: target.d1DatabaseId,
      migrationsDir: options.migrationsDir,
      force: options.force,
      log: options.log,
    });
  } catch (err) {
    // Belt and braces: nothing this module throws should carry the token, whatever a server echoed.
    if (err instanceof Error) err.message = client.redact(err.message);
    throw err;
  }
}

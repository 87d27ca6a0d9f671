// The remote publish against a local fake of Cloudflare's REST API that enforces the documented limits.
import { readdirSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT, CURRENT_KEY, HISTORY_KEY, TITLE_COLUMNS, type DataHealth, type Title } from '../../contract';
import { attachScores, readCatalog, TITLES_DIR } from '../../loader/catalog/transform';
import { CloudflareClient, parseRetryAfter } from '../../loader/publish/cloudflare-client';
import { chunkKvPairs, KV_BULK_LIMITS } from '../../loader/publish/kv-bulk';
import { planPublish, type Bundle } from '../../loader/publish/publish';
import { buildQueryIndex } from '../../loader/catalog/query-index';
import { publishRemote, publishRemoteFromEnv, remoteTargetFromEnv, type RemotePublishOptions } from '../../loader/publish/remote';
import { readSummary } from '../../loader/ratings/summary';
import { sqlLiteral, titlesImportSql } from '../../loader/publish/titles-sql';
import { config } from '../../loader/config';
import { FakeCloudflare, splitSql, type FakeCloudflareOptions } from '../helpers/fake-cloudflare';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const TOKEN = 'test-token-Zq8LmN3vR7sT1uW4xY6a';
const KV_NS = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const D1_DB = '11111111-2222-4333-8444-555555555555';

let titles: Title[];
let realBundle: Bundle;
let fake: FakeCloudflare | null = null;
let logs: string[] = [];

function bundleOf(version: string, catalog: Title[], extra = new Map<string, Uint8Array | string>()): Bundle {
  const health: DataHealth = {
    version,
    built_at: '2026-01-01T00:00:00.000Z',
    ratings_source: 'stand-in',
    counts: {
      titles: catalog.length,
      movies: catalog.filter((t) => t.type === 'movie').length,
      ratings_rows: 0,
      ratings_rejected: 0,
      users: 0,
    },
  };
  const kv = new Map<string, Uint8Array | string>([
    [ARTIFACT.queryIndex, buildQueryIndex(catalog)],
    [ARTIFACT.health, JSON.stringify(health)],
    [ARTIFACT.eda, `<!doctype html><title>EDA ${version}</title><p>it's "quoted" — ünïcödé ✓</p>`],
    ...extra,
  ]);
  return { version, kv, titles: catalog, health };
}

/** Deterministic binary values shaped like the recommender's user shards. */
function shards(_version: string, count: number, bytes: number): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let x = 0x9e3779b9;
  for (let s = 0; s < count; s++) {
    const value = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      value[i] = x & 0xff;
    }
    out.set(`users/${String(s).padStart(3, '0')}`, value);
  }
  return out;
}

async function startFake(extra: Partial<FakeCloudflareOptions> = {}): Promise<FakeCloudflare> {
  fake = await FakeCloudflare.start({ accountId: ACCOUNT, apiToken: TOKEN, kvNamespaceId: KV_NS, d1DatabaseId: D1_DB, ...extra });
  return fake;
}

function client(
  f: FakeCloudflare,
  token = TOKEN,
  extra: Partial<ConstructorParameters<typeof CloudflareClient>[0]> = {},
): CloudflareClient {
  return new CloudflareClient({ accountId: ACCOUNT, apiToken: token, baseUrl: f.url, log: (m) => logs.push(m), ...extra });
}

function options(extra: Partial<RemotePublishOptions> = {}): RemotePublishOptions {
  return {
    kvNamespaceId: KV_NS,
    d1DatabaseId: D1_DB,
    migrationsDir: config.migrationsDir,
    log: (m) => logs.push(m),
    importPollIntervalMs: 5,
    consistencyDelaysMs: [5, 5],
    ...extra,
  };
}

function pointerVersion(f: FakeCloudflare): string | undefined {
  const text = f.kvText(CURRENT_KEY);
  return text ? JSON.parse(text).version : undefined;
}

beforeAll(async () => {
  titles = (await readCatalog(TITLES_DIR)).titles;
  const summary = new Map(readSummary().map((r) => [r.movieId, r]));
  const sum = new Float64Array(titles.length);
  const count = new Uint32Array(titles.length);
  titles.forEach((t, i) => {
    sum[i] = summary.get(t.id)?.rating_sum ?? 0;
    count[i] = summary.get(t.id)?.n_ratings ?? 0;
  });
  attachScores(titles, sum, count);
  realBundle = bundleOf('v-real-1', titles, shards('v-real-1', 64, 40_000));
});

afterEach(async () => {
  await fake?.close();
  fake = null;
  // No line any test logged may carry the token.
  expect(logs.filter((l) => l.includes(TOKEN))).toEqual([]);
  logs = [];
});

describe('publishRemote through the fake API', () => {
  it('publishes the real catalog bundle in chunks within the limits, verifies it, and flips the pointer last', async () => {
    const limits = { maxPairs: 16, maxBytes: 1_000_000 };
    const f = await startFake({ limits: { maxBulkPairs: limits.maxPairs, maxBulkBytes: limits.maxBytes } });
    const report = await publishRemote(realBundle, client(f), options({ kvLimits: limits }));
    const plan = await planPublish(realBundle);

    expect(report.published).toBe(true);
    expect(report.kvWrites).toBe(plan.blobs.size + 3); // blobs, manifest, pointer, history
    const bulk = f.requests.filter((r) => r.route === 'kv-bulk');
    expect(bulk.every((r) => r.status === 200 && r.keys!.length <= limits.maxPairs && r.bodyBytes <= limits.maxBytes)).toBe(true);
    expect(bulk.length).toBeGreaterThan(Math.ceil(realBundle.kv.size / limits.maxPairs)); // split by pairs and by bytes

    for (const [name, value] of realBundle.kv) {
      const expected = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      expect(Buffer.from(f.kv.get(plan.manifest.artifacts[name])!).equals(Buffer.from(expected)), name).toBe(true);
    }

    // Every catalog row, every column, exactly as built: escaping and float64 scores survive the SQL file.
    const db = await f.d1();
    const { results } = await db
      .prepare('SELECT * FROM titles WHERE version = ?1 ORDER BY id')
      .bind(realBundle.version)
      .all<Record<string, unknown>>();
    expect(results.length).toBe(titles.length);
    const byId = new Map(titles.map((t) => [t.id, t]));
    for (const row of results) {
      const t = byId.get(row.id as string)!;
      for (const c of TITLE_COLUMNS)
        if (row[c] !== t[c]) throw new Error(`${t.id}.${c}: ${JSON.stringify(row[c])} != ${JSON.stringify(t[c])}`);
    }

    // The pointer: one single-key write after the import and the read-backs; only the history follows.
    const pointerWrites = bulk.filter((r) => r.keys!.includes(CURRENT_KEY));
    expect(pointerWrites).toHaveLength(1);
    expect(pointerWrites[0].keys).toEqual([CURRENT_KEY]);
    expect(
      f.requests
        .slice(f.requests.indexOf(pointerWrites[0]) + 1)
        .filter((r) => r.route === 'kv-bulk')
        .map((r) => r.keys),
    ).toEqual([[HISTORY_KEY]]);
    const last = pointerWrites[0];
    const importDone = f.requests.findLastIndex((r) => r.route === 'd1-import');
    // Keys read: the live-pointer check one by one, the read-backs in bulk (text) or one by one (binary).
    const reads =
      f.requests.filter((r) => r.route === 'kv-get').length +
      f.requests.filter((r) => r.route === 'kv-bulk-get').reduce((n, r) => n + r.keys!.length, 0);
    expect(importDone).toBeLessThan(f.requests.indexOf(last));
    expect(reads).toBeGreaterThanOrEqual(8); // the live-pointer check plus the read-backs
    expect(pointerVersion(f)).toBe(realBundle.version);

    // The presigned upload never sees the API token; the import went init -> ingest -> poll.
    const upload = f.requests.filter((r) => r.route === 'upload');
    expect(upload).toHaveLength(1);
    expect(upload[0].hadAuthorization).toBe(false);
    expect(f.requests.filter((r) => r.route === 'd1-import').map((r) => r.action)).toEqual(['init', 'ingest', 'poll']);
  });

  it('splits at the documented 10,000 pairs per request, which the fake enforces', async () => {
    const f = await startFake();
    const many = new Map<string, string>();
    for (let i = 0; i < 25_001; i++) many.set(`k/${i}`, `value ${i}`);
    const bundle = bundleOf('v-many', titles.slice(0, 50), many);
    await publishRemote(bundle, client(f), options());
    const sizes = f.requests.filter((r) => r.route === 'kv-bulk').map((r) => r.keys!.length);
    expect(sizes).toEqual([10_000, 10_000, 5_005, 1, 1]); // 25,001 + 3 artifacts + the manifest, then pointer and history
    expect(f.kv.size).toBe(bundle.kv.size + 3);

    // And the fake does refuse what is over the limits.
    const over = JSON.stringify(Array.from({ length: 10_001 }, (_, i) => ({ key: `x${i}`, value: 'v' })));
    const res = await fetch(`${f.url}/accounts/${ACCOUNT}/storage/kv/namespaces/${KV_NS}/bulk`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: over,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ success: false, errors: [{ message: expect.stringContaining('at most 10000') }] });
  });

  it('keeps every bulk request body at or under 100 MB with values near the 25 MiB value limit', () => {
    const big = 'x'.repeat(24 * 1024 * 1024);
    const entries: [string, string][] = Array.from({ length: 6 }, (_, i) => [`big/${i}`, big]);
    const chunks = chunkKvPairs(entries, KV_BULK_LIMITS);
    expect(chunks.map((c) => c.pairs.length)).toEqual([3, 3]); // four would be 100.7 MB
    for (const c of chunks) {
      expect(Buffer.byteLength(JSON.stringify(c.pairs))).toBe(c.bytes); // exactly the body the SDK sends
      expect(c.bytes).toBeLessThanOrEqual(100_000_000);
    }
  });

  it('waits out 429 Retry-After from the rate limit and retries injected 5xx until the publish succeeds', async () => {
    const f = await startFake({ rateLimit: { maxRequests: 5, windowMs: 1000 } });
    f.inject({ route: 'kv-bulk', status: 503, times: 2 });
    f.inject({ route: 'd1-import', status: 500, times: 1 });
    f.inject({ route: 'kv-get', status: 502, times: 1 });
    f.inject({ route: 'd1-query', status: 429, times: 1, retryAfter: 1 });
    const bundle = bundleOf('v-retry', titles.slice(0, 300), shards('v-retry', 3, 1000));
    const report = await publishRemote(bundle, client(f), options());
    expect(report.published).toBe(true);

    const statuses = f.requests.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2); // the injected one and the rate limit
    expect(statuses.filter((s) => s >= 500)).toHaveLength(4);
    // After every 429 the client waited at least Retry-After before its next request.
    const api = f.requests.filter((r) => r.route !== 'upload');
    for (let i = 0; i < api.length - 1; i++) {
      if (api[i].status !== 429) continue;
      expect(Number(api[i].retryAfter)).toBeGreaterThanOrEqual(1);
      expect(api[i + 1].at - api[i].at).toBeGreaterThanOrEqual(Number(api[i].retryAfter) * 1000 - 20);
    }
    expect(logs.some((l) => /HTTP 429 on attempt 1 of 6 \(Retry-After 1\.00s\)/.test(l))).toBe(true);
    expect(pointerVersion(f)).toBe('v-retry');
  });

  it('claims the pointer in D1 by compare-and-set before writing it to KV, over a fold that went live meanwhile', async () => {
    const f = await startFake();
    const first = bundleOf('v-cas-1', titles.slice(0, 30));
    await publishRemote(first, client(f), options());
    const db = await f.d1();
    expect(await db.prepare('SELECT version FROM live_pointer').first()).toEqual({ version: 'v-cas-1' });

    // A cron fold flips to its own version after this publish read the live one (here: while it imports
    // the catalog): D1 says so, KV lags.
    const second = bundleOf('v-cas-2', titles.slice(0, 30));
    let raced = false;
    f.beforeRoute = async (route) => {
      if (route === 'd1-import' && !raced) {
        raced = true;
        await db.prepare("UPDATE live_pointer SET version = 'v-fold-x', published_at = '2026-01-02T00:00:00.000Z'").run();
      }
    };
    const report = await publishRemote(second, client(f), options());
    expect(raced).toBe(true);
    expect(report.published).toBe(true);
    expect(logs.some((l) => l.includes('v-fold-x went live while this load ran'))).toBe(true);
    expect(await db.prepare('SELECT version FROM live_pointer').first()).toEqual({ version: 'v-cas-2' });
    expect(pointerVersion(f)).toBe('v-cas-2');
  });

  it('writes only the values that changed since the live version', async () => {
    const f = await startFake();
    const first = bundleOf('v-first', titles.slice(0, 30), shards('v-first', 3, 200));
    await publishRemote(first, client(f), options());
    const second = { ...first, version: 'v-second', kv: new Map(first.kv) };
    second.kv.set(ARTIFACT.eda, '<!doctype html><title>changed</title>');
    const report = await publishRemote(second, client(f), options());
    expect(report.kvWrites).toBe(4); // the changed value, the manifest, the pointer, the history
    expect(pointerVersion(f)).toBe('v-second');
  });

  it('sends keys the API reports as unsuccessful again', async () => {
    const f = await startFake();
    const bundle = bundleOf('v-flaky', titles.slice(0, 20));
    const flaky = (await planPublish(bundle)).manifest.artifacts[ARTIFACT.eda];
    f.flakyKeys.push(flaky);
    await publishRemote(bundle, client(f), options());
    const sends = f.requests.filter((r) => r.route === 'kv-bulk' && r.keys!.includes(flaky));
    expect(sends).toHaveLength(2);
    expect(f.kvText(flaky)).toBe(bundle.kv.get(ARTIFACT.eda));
  });

  describe('a failure publishes nothing: the previous pointer stays', () => {
    const previous = JSON.stringify({ version: 'v-previous', published_at: '2026-01-01T00:00:00.000Z' });
    const bundle = () => bundleOf('v-next', titles.slice(0, 200), shards('v-next', 2, 500));

    it.each([
      ['KV bulk writes', 'kv-bulk'],
      ['the D1 import', 'd1-import'],
      ['D1 queries', 'd1-query'],
      ['KV reads', 'kv-get'],
    ] as const)('when %s keep failing with 503', async (_label, route) => {
      const f = await startFake();
      f.kv.set(CURRENT_KEY, new TextEncoder().encode(previous));
      f.inject({ route, status: 503, times: 1000 });
      await expect(publishRemote(bundle(), client(f, TOKEN, { maxRetries: 2 }), options())).rejects.toThrow(/HTTP 503.*after 3 attempts/);
      expect(f.kvText(CURRENT_KEY)).toBe(previous);
      expect(f.requests.some((r) => r.route === 'kv-bulk' && r.keys!.includes(CURRENT_KEY))).toBe(false);
    });

    it('when the pointer write itself keeps failing', async () => {
      const f = await startFake();
      f.kv.set(CURRENT_KEY, new TextEncoder().encode(previous));
      f.inject({ route: 'kv-bulk', status: 500, times: 1000, key: CURRENT_KEY });
      await expect(publishRemote(bundle(), client(f, TOKEN, { maxRetries: 1 }), options())).rejects.toThrow(/HTTP 500/);
      expect(f.kvText(CURRENT_KEY)).toBe(previous);
    });

    it('when D1 reports the import failed (a statement over the 100,000-byte limit)', async () => {
      const f = await startFake({ limits: { maxStatementBytes: 20_000 } });
      f.kv.set(CURRENT_KEY, new TextEncoder().encode(previous));
      await expect(publishRemote(bundle(), client(f), options())).rejects.toThrow(/D1 import failed: .*statement too long/);
      expect(f.kvText(CURRENT_KEY)).toBe(previous);
      const db = await f.d1();
      expect((await db.prepare('SELECT COUNT(*) AS n FROM titles').first<{ n: number }>())?.n).toBe(0); // all or nothing
    });

    it('when a written KV value cannot be read back', async () => {
      const f = await startFake();
      f.kv.set(CURRENT_KEY, new TextEncoder().encode(previous));
      const b = bundle();
      const healthBlob = (await planPublish(b)).manifest.artifacts[ARTIFACT.health];
      f.droppedKeys.add(healthBlob);
      await expect(publishRemote(b, client(f), options())).rejects.toThrow(
        new RegExp(`KV read-back of ${healthBlob}: not found; the pointer was not changed`),
      );
      expect(f.kvText(CURRENT_KEY)).toBe(previous);
    });

    it('when a bundle value breaks a KV limit, before any request', async () => {
      const f = await startFake();
      const b = bundle();
      b.kv.set('huge', 'x'.repeat(25 * 1024 * 1024 + 1));
      await expect(publishRemote(b, client(f), options())).rejects.toThrow(/over the 25 MiB limit/);
      expect(f.requests).toHaveLength(0);
    });
  });

  it('does nothing when the account already serves the version, unless forced', async () => {
    const f = await startFake();
    const bundle = bundleOf('v-same', titles.slice(0, 30));
    await publishRemote(bundle, client(f), options());
    const before = f.requests.length;
    const again = await publishRemote(bundle, client(f), options());
    expect(again.published).toBe(false);
    expect(f.requests.slice(before).map((r) => r.route)).toEqual(['kv-get']);
    const forced = await publishRemote(bundle, client(f), options({ force: true }));
    expect(forced.published).toBe(true);
    const db = await f.d1();
    expect((await db.prepare('SELECT COUNT(*) AS n FROM titles').first<{ n: number }>())?.n).toBe(30); // re-import replaced, not duplicated
    expect((await db.prepare('SELECT COUNT(*) AS n FROM d1_migrations').first<{ n: number }>())?.n).toBe(
      readdirSync(config.migrationsDir).filter((f) => f.endsWith('.sql')).length,
    );
  });
});

describe('the token stays secret', () => {
  it('is redacted from errors and logs even when the server echoes it', async () => {
    const f = await startFake({ echoAuthorizationInErrors: true });
    f.inject({ route: 'd1-query', status: 500, times: 1000 });
    const error = await publishRemote(bundleOf('v-secret', titles.slice(0, 5)), client(f, TOKEN, { maxRetries: 1 }), options()).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('<redacted>');
    expect((error as Error).message).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });

  it('a wrong token fails at once with the API error, not retried, and not printed', async () => {
    const f = await startFake({ echoAuthorizationInErrors: true });
    const wrong = 'wrong-token-Kp2Jd9Hs4';
    const error = await publishRemote(bundleOf('v-auth', titles.slice(0, 5)), client(f, wrong), options()).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/HTTP 403 \[10000\] Authentication error/);
    expect((error as Error).message).not.toContain(wrong);
    expect(f.requests).toHaveLength(1);
  });

  it('gives up at once when Retry-After is longer than the client will wait', async () => {
    const f = await startFake();
    f.inject({ route: 'kv-get', status: 429, times: 1, retryAfter: 600 });
    await expect(
      publishRemote(bundleOf('v-long', titles.slice(0, 5)), client(f, TOKEN, { maxRetryAfterMs: 2000 }), options()),
    ).rejects.toThrow(/Retry-After 600s exceeds the 2s/);
  });
});

describe('configuration from the environment', () => {
  const ids = { kvNamespaceId: 'toml-kv', d1DatabaseId: 'toml-d1' };

  it('names the missing variables without printing any value', () => {
    expect(() => remoteTargetFromEnv({ CLOUDFLARE_API_TOKEN: TOKEN }, ids)).toThrow(/needs CLOUDFLARE_ACCOUNT_ID in the environment/);
    expect(() => remoteTargetFromEnv({}, ids)).toThrow(/CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN/);
    try {
      remoteTargetFromEnv({ CLOUDFLARE_API_TOKEN: TOKEN }, ids);
    } catch (e) {
      expect((e as Error).message).not.toContain(TOKEN);
    }
  });

  it('takes ids from CF_KV_NAMESPACE_ID / CF_D1_DATABASE_ID, else from wrangler.toml', () => {
    const base = { CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CLOUDFLARE_API_TOKEN: TOKEN };
    expect(remoteTargetFromEnv(base, ids)).toMatchObject({ kvNamespaceId: 'toml-kv', d1DatabaseId: 'toml-d1', baseUrl: undefined });
    expect(
      remoteTargetFromEnv({ ...base, CF_KV_NAMESPACE_ID: 'env-kv', CF_D1_DATABASE_ID: 'env-d1', CLOUDFLARE_API_BASE_URL: 'http://x' }, ids),
    ).toMatchObject({
      kvNamespaceId: 'env-kv',
      d1DatabaseId: 'env-d1',
      baseUrl: 'http://x',
      sources: { kvNamespaceId: 'CF_KV_NAMESPACE_ID' },
    });
    expect(() => remoteTargetFromEnv(base, {})).toThrow(/set CF_KV_NAMESPACE_ID or put the id in wrangler.toml/);
  });

  it('publishRemoteFromEnv publishes to the account the environment names', async () => {
    const f = await startFake();
    const env = {
      CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_API_BASE_URL: f.url,
      CF_KV_NAMESPACE_ID: KV_NS,
      CF_D1_DATABASE_ID: D1_DB,
    };
    const report = await publishRemoteFromEnv(bundleOf('v-env', titles.slice(0, 40)), {
      wranglerConfig: config.wranglerConfig,
      migrationsDir: config.migrationsDir,
      log: (m) => logs.push(m),
      env,
    });
    expect(report.published).toBe(true);
    expect(pointerVersion(f)).toBe('v-env');
  });
});

describe('SQL literals', () => {
  it('carry hostile text and exact doubles through a real SQLite', async () => {
    const f = await startFake();
    const nasty = ["'); DROP TABLE titles; --", 'a\nb\r\nc', '/* not a comment */', 'back\\slash', '😀 emoji and ünïcödé', "it''s", ';'];
    const rows: Title[] = nasty.map((text, i) => ({
      ...titles[i],
      id: `zz${i}`,
      title: text,
      description: text,
      cast: null,
      score: [0.1 + 0.2, 1e-7, 3.5, 4.123456789012345, 2 / 3, 5, Number.MIN_VALUE][i],
    }));
    const { sql } = titlesImportSql('v-sql', rows);
    const db = await f.d1();
    const api = client(f);
    const { importSqlFile } = await import('../../loader/publish/d1-remote');
    const { applyMigrations } = await import('../../loader/publish/migrations');
    const { remoteStores } = await import('../../loader/publish/remote-stores');
    await applyMigrations(remoteStores(api, { kvNamespaceId: KV_NS, d1DatabaseId: D1_DB }).db, config.migrationsDir);
    await importSqlFile(api, D1_DB, sql, { pollIntervalMs: 1 });
    const { results } = await db
      .prepare(`SELECT id, title, description, "cast", score FROM titles WHERE version = 'v-sql' ORDER BY id`)
      .all<Record<string, unknown>>();
    expect(results.map((r) => [r.title, r.description, r.cast, r.score])).toEqual(rows.map((t) => [t.title, t.description, null, t.score]));
  });

  it('refuse values SQLite would store altered', () => {
    expect(() => sqlLiteral('a\0b')).toThrow(/NUL/);
    expect(() => sqlLiteral('\ud800x')).toThrow(/unpaired surrogate/);
    expect(() => sqlLiteral(Number.POSITIVE_INFINITY)).toThrow();
    expect(sqlLiteral("o'hara")).toBe("'o''hara'");
    expect(sqlLiteral(null)).toBe('NULL');
  });

  it('keep each statement under the statement limit', () => {
    const { sql, statements } = titlesImportSql('v', titles, 100_000);
    expect(statements).toBeGreaterThan(50);
    const split = splitSql(sql);
    expect(split).toHaveLength(statements);
    for (const s of split) expect(Buffer.byteLength(s)).toBeLessThan(100_000);
  });
});

describe('Retry-After parsing', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter(null, '3')).toBe(3000);
    expect(parseRetryAfter('250', '3')).toBe(250); // retry-after-ms wins, as in the SDK
    expect(parseRetryAfter(null, null)).toBeNull();
    expect(parseRetryAfter(null, 'soon')).toBeNull();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(null, 'Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
  });
});

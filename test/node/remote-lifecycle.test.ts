// Cleanup and rollback on the remote path: publish.ts's own cleanup()/rollback() over the REST
// adapters (loader/publish/remote-stores.ts), against the fake API with small list pages and bulk deletes.
import { spawn } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTIFACT,
  BLOB_PREFIX,
  CURRENT_KEY,
  HISTORY_KEY,
  MANIFEST_PREFIX,
  manifestKey,
  type DataHealth,
  type Manifest,
  type Title,
} from '../../contract';
import { readCatalog, TITLES_DIR } from '../../loader/catalog/transform';
import { CloudflareClient } from '../../loader/publish/cloudflare-client';
import { config, ROOT } from '../../loader/config';
import { KEEP_PREVIOUS_VERSIONS, readHistory } from '../../contract';
import { rollback, type Bundle } from '../../loader/publish/publish';
import { publishRemote, type RemotePublishOptions } from '../../loader/publish/remote';
import { remoteStores } from '../../loader/publish/remote-stores';
import { FakeCloudflare, type FakeCloudflareOptions } from '../helpers/fake-cloudflare';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const TOKEN = 'test-token-Lc5Vb8Nm2Qw4Er6Ty';
const KV_NS = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const D1_DB = '11111111-2222-4333-8444-555555555555';
const DELETE_CHUNK = 4;

let titles: Title[];
let fake: FakeCloudflare | null = null;
let logs: string[] = [];

beforeAll(async () => {
  titles = (await readCatalog(TITLES_DIR)).titles.slice(0, 60);
});

afterEach(async () => {
  await fake?.close();
  fake = null;
  expect(logs.filter((l) => l.includes(TOKEN))).toEqual([]);
  logs = [];
});

async function startFake(extra: Partial<FakeCloudflareOptions> = {}): Promise<FakeCloudflare> {
  fake = await FakeCloudflare.start({
    accountId: ACCOUNT,
    apiToken: TOKEN,
    kvNamespaceId: KV_NS,
    d1DatabaseId: D1_DB,
    limits: { maxListKeys: 3, maxBulkDeleteKeys: DELETE_CHUNK },
    ...extra,
  });
  return fake;
}

function client(f: FakeCloudflare, extra: Partial<ConstructorParameters<typeof CloudflareClient>[0]> = {}): CloudflareClient {
  return new CloudflareClient({ accountId: ACCOUNT, apiToken: TOKEN, baseUrl: f.url, log: (m) => logs.push(m), ...extra });
}

function options(extra: Partial<RemotePublishOptions> = {}): RemotePublishOptions {
  return {
    kvNamespaceId: KV_NS,
    d1DatabaseId: D1_DB,
    migrationsDir: config.migrationsDir,
    log: (m) => logs.push(m),
    importPollIntervalMs: 5,
    consistencyDelaysMs: [5],
    maxDeleteKeys: DELETE_CHUNK,
    ...extra,
  };
}

/** Each version: a shared value, values of its own, and its own slice of the catalog. */
function bundleOf(n: number): Bundle {
  const version = `v-${n}`;
  const catalog = titles.slice(n, n + 40).map((t) => ({ ...t, title: `${t.title} (${version})` }));
  const health: DataHealth = {
    version,
    built_at: `2026-01-0${n}T00:00:00.000Z`,
    ratings_source: 'stand-in',
    counts: { titles: catalog.length, movies: 0, ratings_rows: 0, ratings_rejected: 0, users: 0 },
  };
  const kv = new Map<string, string>([
    [ARTIFACT.health, JSON.stringify(health)],
    [ARTIFACT.eda, '<!doctype html><title>the same report every version</title>'],
  ]);
  for (let s = 0; s < 5; s++) kv.set(`users/${s}`, `shard ${s} of ${version}`);
  return { version, kv, titles: catalog, health };
}

function manifestOf(f: FakeCloudflare, version: string): Manifest {
  return JSON.parse(f.kvText(manifestKey(version))!) as Manifest;
}

const keysUnder = (f: FakeCloudflare, prefix: string) => [...f.kv.keys()].filter((k) => k.startsWith(prefix)).sort();

async function d1Versions(f: FakeCloudflare): Promise<string[]> {
  const { results } = await (await f.d1()).prepare('SELECT DISTINCT version FROM titles ORDER BY version').all<{ version: string }>();
  return results.map((r) => r.version);
}

async function publishAll(f: FakeCloudflare, count: number) {
  const reports = [];
  for (let n = 1; n <= count; n++) reports.push(await publishRemote(bundleOf(n), client(f), options()));
  return reports;
}

describe('cleanup after a remote publish', () => {
  it(`keeps only the live version and the ${KEEP_PREVIOUS_VERSIONS} before it: manifests, blobs, D1 rows, history`, async () => {
    const f = await startFake();
    const count = KEEP_PREVIOUS_VERSIONS + 3;
    const reports = await publishAll(f, count);
    const keptVersions = Array.from({ length: KEEP_PREVIOUS_VERSIONS + 1 }, (_, i) => `v-${count - KEEP_PREVIOUS_VERSIONS + i}`);

    expect(reports.every((r) => r.published)).toBe(true);
    expect(reports.map((r) => r.cleanup?.versions)).toEqual([[], [], [], ['v-1'], ['v-2']]);
    expect(reports[3].cleanup?.blobs).toBe(6); // v-1's health and its five shards; the shared report stays

    expect(keysUnder(f, MANIFEST_PREFIX)).toEqual(keptVersions.map(manifestKey).sort());
    const referenced = new Set(keptVersions.flatMap((v) => Object.values(manifestOf(f, v).artifacts)));
    expect(keysUnder(f, BLOB_PREFIX)).toEqual([...referenced].sort());
    expect(await d1Versions(f)).toEqual(keptVersions);
    expect(
      (await readHistory(remoteStores(client(f), { kvNamespaceId: KV_NS, d1DatabaseId: D1_DB }).kv)).versions.map((v) => v.version),
    ).toEqual([...keptVersions].reverse());
    expect(JSON.parse(f.kvText(CURRENT_KEY)!).version).toBe(`v-${count}`);

    // Listing went page by page through the cursor; deletes went in bulk, within the fake's limit.
    const lists = f.requests.filter((r) => r.route === 'kv-list');
    expect(lists.every((r) => r.status === 200)).toBe(true);
    expect(lists.length).toBeGreaterThan(count * 2);
    const deletes = f.requests.filter((r) => r.route === 'kv-bulk-delete');
    expect(deletes.length).toBeGreaterThan(0);
    expect(deletes.every((r) => r.status === 200 && r.keys!.length <= DELETE_CHUNK)).toBe(true);
    expect(deletes.some((r) => r.keys!.length === DELETE_CHUNK)).toBe(true);
  });

  it('the fake refuses a bulk delete over its limit and pages lists with a cursor', async () => {
    const f = await startFake();
    const base = `${f.url}/accounts/${ACCOUNT}/storage/kv/namespaces/${KV_NS}`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const over = await fetch(`${base}/bulk/delete`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(['a', 'b', 'c', 'd', 'e']),
    });
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({ success: false, errors: [{ message: expect.stringContaining(`at most ${DELETE_CHUNK}`) }] });

    for (const k of ['p/a', 'p/b', 'p/c', 'p/d', 'q/x']) f.kv.set(k, new Uint8Array([1]));
    const first = (await (await fetch(`${base}/keys?prefix=p/`, { headers: auth })).json()) as {
      result: { name: string }[];
      result_info: { cursor: string };
    };
    expect(first.result.map((k) => k.name)).toEqual(['p/a', 'p/b', 'p/c']);
    expect(first.result_info.cursor).not.toBe('');
    const second = await (await fetch(`${base}/keys?prefix=p/&cursor=${first.result_info.cursor}`, { headers: auth })).json();
    expect(second).toMatchObject({ result: [{ name: 'p/d' }], result_info: { count: 1, cursor: '' } });
  });

  it('is skipped when KV does not yet read back the new pointer, so the new blobs are never taken for unused', async () => {
    const f = await startFake();
    await publishAll(f, KEEP_PREVIOUS_VERSIONS + 1);
    f.droppedKeys.add(CURRENT_KEY); // acknowledged, not stored: a read that lags the write
    const report = await publishRemote(bundleOf(KEEP_PREVIOUS_VERSIONS + 2), client(f), options());
    expect(report.published).toBe(true);
    expect(report.cleanup).toBeNull();
    expect(logs.some((l) => l.startsWith('cleanup skipped'))).toBe(true);
    expect(keysUnder(f, MANIFEST_PREFIX)).toHaveLength(KEEP_PREVIOUS_VERSIONS + 2);
    expect(f.requests.some((r) => r.route === 'kv-bulk-delete')).toBe(false);
  });

  it('a failing cleanup leaves the publish standing', async () => {
    const f = await startFake();
    f.inject({ route: 'kv-list', status: 503, times: 1000 });
    const report = await publishRemote(bundleOf(1), client(f, { maxRetries: 1 }), options());
    expect(report.published).toBe(true);
    expect(report.cleanup).toBeNull();
    expect(logs.some((l) => /^cleanup failed, the publish stands.*HTTP 503/.test(l))).toBe(true);
    expect(JSON.parse(f.kvText(CURRENT_KEY)!).version).toBe('v-1');
  });
});

describe('remote rollback', () => {
  it('puts the previous version back live, verified, and records it in the history', async () => {
    const f = await startFake();
    await publishAll(f, 3);
    const stores = remoteStores(client(f), { kvNamespaceId: KV_NS, d1DatabaseId: D1_DB });
    const rollbackStart = f.requests.length;
    const pointer = await rollback(stores);
    expect(pointer.version).toBe('v-2');
    const live = JSON.parse(f.kvText(CURRENT_KEY)!);
    // The pointer names the version only; its manifest stays under its own key.
    expect(Object.keys(live).sort()).toEqual(['published_at', 'version']);
    expect(live.version).toBe('v-2');
    expect(pointer.artifacts).toEqual(manifestOf(f, 'v-2').artifacts);
    expect(JSON.parse(f.kvText(HISTORY_KEY)!).versions.map((v: { version: string }) => v.version)).toEqual(['v-2', 'v-3', 'v-1']);
    // Before the flip: the blobs listed (not each read back: they were at publish) and the D1 rows checked.
    const v2Blobs = new Set(Object.values(manifestOf(f, 'v-2').artifacts));
    const flip = f.requests.findLastIndex((r) => r.route === 'kv-bulk' && r.keys!.includes(CURRENT_KEY));
    const before = f.requests.slice(rollbackStart, flip);
    expect(before.some((r) => r.route === 'kv-list')).toBe(true);
    expect(before.some((r) => r.route === 'd1-query')).toBe(true);
    expect(before.filter((r) => r.route === 'kv-get' && v2Blobs.has(decodeURIComponent(r.path.split('/values/')[1])))).toEqual([]);
  });

  it('refuses an unknown version, or a kept one whose values are gone, without touching the pointer', async () => {
    const f = await startFake();
    await publishAll(f, 3);
    const stores = remoteStores(client(f), { kvNamespaceId: KV_NS, d1DatabaseId: D1_DB });
    const before = f.kvText(CURRENT_KEY);
    const writesBefore = f.requests.filter((r) => r.route === 'kv-bulk').length;

    await expect(rollback(stores, 'v-unknown')).rejects.toThrow(/version v-unknown is not kept \(kept versions: v-3, v-2, v-1\)/);
    const healthOfV1 = manifestOf(f, 'v-1').artifacts[ARTIFACT.health];
    f.kv.delete(healthOfV1);
    await expect(rollback(stores, 'v-1')).rejects.toThrow(
      /version v-1 cannot go live: 1 of its values are gone \(health\); the pointer was not changed/,
    );

    expect(f.kvText(CURRENT_KEY)).toBe(before);
    expect(f.requests.filter((r) => r.route === 'kv-bulk').length).toBe(writesBefore);
  });

  it('npm run rollback -- --target remote --to VERSION works against the account the environment names', async () => {
    const f = await startFake();
    await publishAll(f, 2);
    const env = {
      ...process.env,
      CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_API_BASE_URL: f.url,
      CF_KV_NAMESPACE_ID: KV_NS,
      CF_D1_DATABASE_ID: D1_DB,
    };
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'loader/rollback.ts', ...args], {
          cwd: ROOT,
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });

    const refused = await run(['--target', 'remote', '--to', 'v-nope']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/rollback failed, nothing changed: version v-nope is not kept/);
    expect(JSON.parse(f.kvText(CURRENT_KEY)!).version).toBe('v-2');

    const done = await run(['--target', 'remote', '--to', 'v-1']);
    expect(done.stderr).toMatch(/rolled back: v-2 -> v-1/);
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain(TOKEN);
    expect(JSON.parse(f.kvText(CURRENT_KEY)!).version).toBe('v-1');
  });
});

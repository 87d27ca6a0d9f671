// The publisher's store interfaces (KVWriter, D1Writer) over Cloudflare's REST API, so cleanup() and
// rollback() from loader/publish.ts run unchanged against an account. Endpoints (API v4):
//   GET  .../storage/kv/namespaces/:ns/keys?prefix=&cursor=   result [{name}], result_info {cursor, count}
//   POST .../storage/kv/namespaces/:ns/bulk/delete            JSON array of up to 10,000 key names
// plus the value reads, bulk writes and D1 queries of kv-bulk.ts and d1-remote.ts.
import { CloudflareApi } from './cloudflare-api';
import { queryD1 } from './d1-remote';
import { readKv, writeKvBulk } from './kv-bulk';
import type { D1Writer, KVWriter, Stores } from './publish';
import { resolveRemoteTarget, type RemoteTarget } from './remote-publish';

/** Keys per bulk delete request (documented: up to 10,000). */
export const KV_BULK_DELETE_MAX_KEYS = 10_000;

export interface RemoteStoreOptions {
  kvNamespaceId: string;
  d1DatabaseId: string;
  /** Keys per bulk delete request; smaller only in tests. */
  maxDeleteKeys?: number;
  /** Rounds of re-sending keys the API reports as not deleted. */
  keyRetryRounds?: number;
}

export function remoteStores(api: CloudflareApi, opts: RemoteStoreOptions): Stores {
  return { kv: remoteKv(api, opts), db: remoteD1(api, opts.d1DatabaseId) };
}

interface ListEnvelope {
  success?: boolean;
  result?: { name: string }[];
  result_info?: { cursor?: string; count?: number };
}

function remoteKv(api: CloudflareApi, opts: RemoteStoreOptions): KVWriter {
  const ns = opts.kvNamespaceId;
  const nsPath = (rest: string) => api.account(`/storage/kv/namespaces/${encodeURIComponent(ns)}${rest}`);
  const maxDeleteKeys = opts.maxDeleteKeys ?? KV_BULK_DELETE_MAX_KEYS;

  async function deleteMany(keys: string[]): Promise<void> {
    let pending = [...new Set(keys)];
    for (let round = 0; pending.length > 0; round++) {
      if (round > (opts.keyRetryRounds ?? 3)) {
        throw new Error(`KV bulk delete: ${pending.length} keys still not deleted after ${round - 1} retries (${pending.slice(0, 5).join(', ')}${pending.length > 5 ? ', ...' : ''})`);
      }
      const failed: string[] = [];
      for (let i = 0; i < pending.length; i += maxDeleteKeys) {
        const chunk = pending.slice(i, i + maxDeleteKeys);
        const result = await api.call<{ unsuccessful_keys?: string[] } | null>('POST', nsPath('/bulk/delete'), chunk);
        failed.push(...(result?.unsuccessful_keys ?? []).filter((k) => chunk.includes(k)));
      }
      pending = failed;
    }
  }

  async function get(key: string, type: 'text'): Promise<string | null>;
  async function get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  async function get(key: string, type: 'text' | 'arrayBuffer'): Promise<string | ArrayBuffer | null> {
    const bytes = await readKv(api, ns, key);
    if (!bytes) return null;
    return type === 'text' ? new TextDecoder().decode(bytes) : (bytes.slice().buffer as ArrayBuffer);
  }

  return {
    get,
    async put(key, value) {
      await writeKvBulk(api, ns, new Map([[key, typeof value === 'string' ? value : new Uint8Array(value)]]));
    },
    async list({ prefix, cursor }) {
      const query = new URLSearchParams({ prefix });
      if (cursor) query.set('cursor', cursor);
      // The list answer's cursor lives in result_info, beside the envelope's result: read the raw envelope.
      const path = `${nsPath('/keys')}?${query}`;
      const bytes = await api.getBytes(path);
      if (!bytes) throw new Error(`GET ${path}: KV namespace ${ns} not found`);
      const envelope = JSON.parse(new TextDecoder().decode(bytes)) as ListEnvelope;
      if (envelope.success !== true || !Array.isArray(envelope.result)) throw new Error(`GET ${path}: unexpected answer (success: ${String(envelope.success)})`);
      const next = envelope.result_info?.cursor || undefined;
      return { keys: envelope.result.map((k) => ({ name: k.name })), list_complete: !next, cursor: next };
    },
    delete: (key) => deleteMany([key]),
    deleteMany,
  };
}

function remoteD1(api: CloudflareApi, databaseId: string): D1Writer {
  const statement = (sql: string, params: string[]) => ({
    sql,
    params,
    async all<T = Record<string, unknown>>(): Promise<{ results: T[] }> {
      const [first] = await queryD1<T>(api, databaseId, sql, params);
      return { results: first?.results ?? [] };
    },
  });
  return {
    prepare(sql) {
      return { ...statement(sql, []), bind: (...values: unknown[]) => statement(sql, values.map(toParam)) };
    },
    // The API binds params to one statement only, so a batch runs its statements one request each, in
    // order (not atomically). The callers' batches are a single statement or idempotent deletes.
    async batch(statements) {
      const out: unknown[] = [];
      for (const s of statements as ReturnType<typeof statement>[]) out.push(await s.all());
      return out;
    },
  };
}

/** The API documents params as strings; SQLite compares them to TEXT columns exactly. */
function toParam(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new Error(`D1 REST params must be strings or finite numbers, got ${value === null ? 'null' : typeof value}`);
}

/** Stores of the account the environment and wrangler.toml name (as `load --target remote` resolves it). */
export async function openRemoteStores(
  wranglerConfig: string,
  log: (m: string) => void,
  env: Record<string, string | undefined> = process.env,
): Promise<{ stores: Stores; api: CloudflareApi; target: RemoteTarget }> {
  const target = await resolveRemoteTarget(wranglerConfig, env);
  const api = new CloudflareApi({ accountId: target.accountId, apiToken: target.apiToken, baseUrl: target.baseUrl, log });
  return { stores: remoteStores(api, target), api, target };
}

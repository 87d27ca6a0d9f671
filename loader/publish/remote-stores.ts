// The publisher's store interfaces (KVWriter, D1Writer) over the official Cloudflare SDK, so cleanup()
// and rollback() from loader/publish/publish.ts run unchanged against an account: key listing page by page
// through the API's cursor, bulk deletes, and D1 batches in one request.
import { CloudflareClient } from './cloudflare-client';
import { batchD1, queryD1 } from './d1-remote';
import { deleteKvBulk, readKv, writeKvBulk } from './kv-bulk';
import type { D1Writer, KVWriter, Stores } from '../../contract';
import { resolveRemoteTarget, type RemoteTarget } from './remote';

export interface RemoteStoreOptions {
  kvNamespaceId: string;
  d1DatabaseId: string;
  /** Keys per bulk delete request; smaller only in tests. */
  maxDeleteKeys?: number;
  /** Rounds of re-sending keys the API reports as not deleted. */
  keyRetryRounds?: number;
}

export function remoteStores(client: CloudflareClient, opts: RemoteStoreOptions): Stores {
  return { kv: remoteKv(client, opts), db: remoteD1(client, opts.d1DatabaseId) };
}

function remoteKv(client: CloudflareClient, opts: RemoteStoreOptions): KVWriter {
  const ns = opts.kvNamespaceId;
  const deleteMany = (keys: string[]) =>
    deleteKvBulk(client, ns, keys, { maxKeys: opts.maxDeleteKeys, keyRetryRounds: opts.keyRetryRounds });

  async function get(key: string, type: 'text'): Promise<string | null>;
  async function get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  async function get(key: string, type: 'text' | 'arrayBuffer'): Promise<string | ArrayBuffer | null> {
    const bytes = await readKv(client, ns, key);
    if (!bytes) return null;
    return type === 'text' ? new TextDecoder().decode(bytes) : (bytes.slice().buffer as ArrayBuffer);
  }

  return {
    get,
    async put(key, value) {
      await writeKvBulk(client, ns, new Map([[key, typeof value === 'string' ? value : new Uint8Array(value)]]));
    },
    async list({ prefix, cursor }) {
      const page = await client.call(`KV key listing of ${prefix}*`, () =>
        client.sdk.kv.namespaces.keys.list(ns, { account_id: client.accountId, prefix, ...(cursor ? { cursor } : {}) }),
      );
      const next = page.result_info?.cursor || undefined;
      return { keys: page.result.map((k) => ({ name: k.name })), list_complete: !next, cursor: next };
    },
    delete: (key) => deleteMany([key]),
    deleteMany,
  };
}

function remoteD1(client: CloudflareClient, databaseId: string): D1Writer {
  const statement = (sql: string, params: string[]) => ({
    sql,
    params,
    async all<T = Record<string, unknown>>(): Promise<{ results: T[] }> {
      return { results: (await queryD1<T>(client, databaseId, sql, params)).results ?? [] };
    },
  });
  return {
    prepare(sql) {
      return { ...statement(sql, []), bind: (...values: unknown[]) => statement(sql, values.map(toParam)) };
    },
    async batch(statements) {
      const list = statements as ReturnType<typeof statement>[];
      if (list.length === 0) return [];
      return batchD1(
        client,
        databaseId,
        list.map(({ sql, params }) => ({ sql, params })),
      );
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
): Promise<{ stores: Stores; client: CloudflareClient; target: RemoteTarget }> {
  const target = await resolveRemoteTarget(wranglerConfig, env);
  const client = new CloudflareClient({ accountId: target.accountId, apiToken: target.apiToken, baseUrl: target.baseUrl, log });
  return { stores: remoteStores(client, target), client, target };
}

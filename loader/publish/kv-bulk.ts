// Workers KV through the official SDK. Bulk writes are chunked to the documented limits (10,000 pairs
// and 100 MB per request), measured on the exact JSON the SDK sends (JSON.stringify of the pairs),
// binary values as base64. Keys the API reports as unsuccessful ("they should be retried") are sent
// again. Text values are read in bulk (the bulk read returns text only, 100 keys at most), binary
// values one by one.
import type { NamespaceBulkUpdateParams } from 'cloudflare/resources/kv/namespaces/namespaces';
import type { CloudflareClient } from './cloudflare-client';

export interface KvBulkLimits {
  /** Pairs per bulk request (documented: up to 10,000). */
  maxPairs: number;
  /** Bytes per bulk request body (documented: 100 MB or less; read as 100,000,000 to be safe). */
  maxBytes: number;
}
export const KV_BULK_LIMITS: KvBulkLimits = { maxPairs: 10_000, maxBytes: 100_000_000 };
const KV_MAX_KEY_BYTES = 512;
const KV_MAX_VALUE_BYTES = 25 * 1024 * 1024;
const KV_BULK_GET_MAX_KEYS = 100;
const KV_BULK_DELETE_MAX_KEYS = 10_000;

export type KvValue = Uint8Array | string;
export type KvPair = NamespaceBulkUpdateParams.Body;
export interface KvChunk {
  pairs: KvPair[];
  /** Bytes of the request body: JSON.stringify(pairs). */
  bytes: number;
}
export interface KvWriteStats {
  keys: number;
  requests: number;
  bytes: number;
  largestRequestPairs: number;
  largestRequestBytes: number;
}

/** Throws before anything is written if a key or value breaks a documented KV limit. */
export function validateKvEntries(entries: Iterable<[string, KvValue]>): void {
  for (const [key, value] of entries) {
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes === 0 || key === '.' || key === '..') throw new Error(`invalid KV key ${JSON.stringify(key)}`);
    if (keyBytes > KV_MAX_KEY_BYTES)
      throw new Error(`KV key ${key.slice(0, 60)}... is ${keyBytes} bytes, over the ${KV_MAX_KEY_BYTES}-byte limit`);
    if (kvValueBytes(value).byteLength > KV_MAX_VALUE_BYTES)
      throw new Error(`KV value of ${key} is ${kvValueBytes(value).byteLength} bytes, over the 25 MiB limit`);
  }
}

export function kvValueBytes(value: KvValue): Uint8Array {
  return typeof value === 'string' ? new TextEncoder().encode(value) : value;
}

function kvPair(key: string, value: KvValue): KvPair {
  if (typeof value === 'string') return { key, value };
  return { key, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'), base64: true };
}

/** Groups pairs, in order, into request bodies within both limits. */
export function chunkKvPairs(entries: Iterable<[string, KvValue]>, limits: KvBulkLimits = KV_BULK_LIMITS): KvChunk[] {
  const chunks: KvChunk[] = [];
  let current: KvChunk = { pairs: [], bytes: 2 }; // "[" and "]"
  for (const [key, value] of entries) {
    const pair = kvPair(key, value);
    const pairBytes = Buffer.byteLength(JSON.stringify(pair));
    if (2 + pairBytes > limits.maxBytes)
      throw new Error(`KV pair ${key} encodes to ${pairBytes} bytes: it cannot fit a ${limits.maxBytes}-byte bulk request`);
    if (current.pairs.length >= limits.maxPairs || current.bytes + 1 + pairBytes > limits.maxBytes) {
      chunks.push(current);
      current = { pairs: [], bytes: 2 };
    }
    current.bytes += (current.pairs.length > 0 ? 1 : 0) + pairBytes; // the comma between pairs
    current.pairs.push(pair);
  }
  if (current.pairs.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Sends `keys` through `send` (one call per round) and again whatever it reports as unsuccessful,
 * up to `rounds` more times; after that it fails naming them.
 */
async function untilAllSucceed(
  what: string,
  keys: string[],
  rounds: number,
  send: (keys: string[], round: number) => Promise<string[]>,
): Promise<void> {
  let pending = [...new Set(keys)];
  for (let round = 0; pending.length > 0; round++) {
    if (round > rounds)
      throw new Error(
        `KV bulk ${what}: ${pending.length} keys still not done after ${rounds} retries (${pending.slice(0, 5).join(', ')}${pending.length > 5 ? ', ...' : ''})`,
      );
    const asked = new Set(pending);
    pending = (await send(pending, round)).filter((k) => asked.has(k));
  }
}

export async function writeKvBulk(
  client: CloudflareClient,
  namespaceId: string,
  entries: Map<string, KvValue>,
  options: { limits?: KvBulkLimits; keyRetryRounds?: number; log?: (m: string) => void } = {},
): Promise<KvWriteStats> {
  const log = options.log ?? (() => {});
  const stats: KvWriteStats = { keys: entries.size, requests: 0, bytes: 0, largestRequestPairs: 0, largestRequestBytes: 0 };
  await untilAllSucceed('write', [...entries.keys()], options.keyRetryRounds ?? 3, async (keys, round) => {
    const failed: string[] = [];
    const chunks = chunkKvPairs(
      keys.map((k) => [k, entries.get(k)!]),
      options.limits,
    );
    for (const [i, { pairs, bytes }] of chunks.entries()) {
      const result = await client.call(`KV bulk write of ${pairs.length} pairs`, () =>
        client.sdk.kv.namespaces.bulkUpdate(namespaceId, { account_id: client.accountId, body: pairs }),
      );
      stats.requests++;
      stats.bytes += bytes;
      stats.largestRequestPairs = Math.max(stats.largestRequestPairs, pairs.length);
      stats.largestRequestBytes = Math.max(stats.largestRequestBytes, bytes);
      const unsuccessful = result?.unsuccessful_keys ?? [];
      failed.push(...unsuccessful);
      log(
        `kv: request ${i + 1}/${chunks.length}${round > 0 ? ` (retry round ${round})` : ''}: ${pairs.length} pairs, ${(bytes / 1e6).toFixed(2)} MB${unsuccessful.length ? `, ${unsuccessful.length} not written` : ''}`,
      );
    }
    return failed;
  });
  return stats;
}

export async function deleteKvBulk(
  client: CloudflareClient,
  namespaceId: string,
  keys: string[],
  options: { maxKeys?: number; keyRetryRounds?: number } = {},
): Promise<void> {
  const maxKeys = options.maxKeys ?? KV_BULK_DELETE_MAX_KEYS;
  await untilAllSucceed('delete', keys, options.keyRetryRounds ?? 3, async (pending) => {
    const failed: string[] = [];
    for (let i = 0; i < pending.length; i += maxKeys) {
      const body = pending.slice(i, i + maxKeys);
      const result = await client.call(`KV bulk delete of ${body.length} keys`, () =>
        client.sdk.kv.namespaces.bulkDelete(namespaceId, { account_id: client.accountId, body }),
      );
      failed.push(...(result?.unsuccessful_keys ?? []));
    }
    return failed;
  });
}

/** One value's bytes, binary or text; null when the key does not exist. */
export async function readKv(client: CloudflareClient, namespaceId: string, key: string): Promise<Uint8Array | null> {
  return client.call(
    `KV read of ${key}`,
    async () =>
      new Uint8Array(
        await (await client.sdk.kv.namespaces.values.get(key, { account_id: client.accountId, namespace_id: namespaceId })).arrayBuffer(),
      ),
    () => null,
  );
}

/** Text values in bulk; a key that does not exist maps to null. */
export async function readKvTexts(client: CloudflareClient, namespaceId: string, keys: string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let i = 0; i < keys.length; i += KV_BULK_GET_MAX_KEYS) {
    const chunk = keys.slice(i, i + KV_BULK_GET_MAX_KEYS);
    const result = await client.call(`KV bulk read of ${chunk.length} keys`, () =>
      client.sdk.kv.namespaces.bulkGet(namespaceId, { account_id: client.accountId, keys: chunk, type: 'text' }),
    );
    const values: Record<string, unknown> = result?.values ?? {};
    for (const key of chunk) out.set(key, typeof values[key] === 'string' ? (values[key] as string) : null);
  }
  return out;
}

// Workers KV through the REST API: bulk writes chunked to the documented limits (10,000 pairs and
// 100 MB per request), binary values as base64, and keys the API reports as not written sent again.
// Each pair is serialized once, so a chunk's size is the exact byte size of the request body.
import type { CloudflareApi } from './cloudflare-api';

export interface KvBulkLimits {
  /** Pairs per bulk request (documented: up to 10,000). */
  maxPairs: number;
  /** Bytes per bulk request body (documented: 100 MB or less; read as 100,000,000 to be safe). */
  maxBytes: number;
}
export const KV_BULK_LIMITS: KvBulkLimits = { maxPairs: 10_000, maxBytes: 100_000_000 };
export const KV_MAX_KEY_BYTES = 512;
export const KV_MAX_VALUE_BYTES = 25 * 1024 * 1024;

export type KvValue = Uint8Array | string;

export interface KvChunk {
  keys: string[];
  /** The JSON array body, ready to send. */
  body: string;
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
    if (keyBytes > KV_MAX_KEY_BYTES) throw new Error(`KV key ${key.slice(0, 60)}... is ${keyBytes} bytes, over the ${KV_MAX_KEY_BYTES}-byte limit`);
    const valueBytes = typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
    if (valueBytes > KV_MAX_VALUE_BYTES) throw new Error(`KV value of ${key} is ${valueBytes} bytes, over the 25 MiB limit`);
  }
}

export function encodeKvPair(key: string, value: KvValue): string {
  return typeof value === 'string'
    ? JSON.stringify({ key, value })
    : JSON.stringify({ key, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'), base64: true });
}

/** Groups pairs, in order, into request bodies within both limits. */
export function chunkKvPairs(entries: Iterable<[string, KvValue]>, limits: KvBulkLimits = KV_BULK_LIMITS): KvChunk[] {
  const chunks: KvChunk[] = [];
  let keys: string[] = [];
  let parts: string[] = [];
  let bytes = 2; // "[" and "]"
  const flush = () => {
    if (parts.length > 0) chunks.push({ keys, body: `[${parts.join(',')}]`, bytes });
    keys = [];
    parts = [];
    bytes = 2;
  };
  for (const [key, value] of entries) {
    const part = encodeKvPair(key, value);
    const partBytes = Buffer.byteLength(part);
    if (2 + partBytes > limits.maxBytes) {
      throw new Error(`KV pair ${key} encodes to ${partBytes} bytes: it cannot fit a ${limits.maxBytes}-byte bulk request`);
    }
    const separator = parts.length > 0 ? 1 : 0;
    if (parts.length >= limits.maxPairs || bytes + separator + partBytes > limits.maxBytes) flush();
    bytes += (parts.length > 0 ? 1 : 0) + partBytes;
    parts.push(part);
    keys.push(key);
  }
  flush();
  return chunks;
}

interface BulkResult {
  successful_key_count?: number;
  unsuccessful_keys?: string[];
}

function namespacePath(api: CloudflareApi, namespaceId: string, rest: string): string {
  return api.account(`/storage/kv/namespaces/${encodeURIComponent(namespaceId)}${rest}`);
}

/**
 * Writes every entry. Keys the API reports in `unsuccessful_keys` ("they should be retried") are sent
 * again, up to `keyRetryRounds` times; after that the write fails naming them.
 */
export async function writeKvBulk(
  api: CloudflareApi,
  namespaceId: string,
  entries: Map<string, KvValue>,
  options: { limits?: KvBulkLimits; keyRetryRounds?: number; log?: (m: string) => void } = {},
): Promise<KvWriteStats> {
  const limits = options.limits ?? KV_BULK_LIMITS;
  const log = options.log ?? (() => {});
  const stats: KvWriteStats = { keys: entries.size, requests: 0, bytes: 0, largestRequestPairs: 0, largestRequestBytes: 0 };
  let pending = [...entries.keys()];
  for (let round = 0; pending.length > 0; round++) {
    if (round > (options.keyRetryRounds ?? 3)) {
      throw new Error(`KV bulk write: ${pending.length} keys still not written after ${round - 1} retries (${pending.slice(0, 5).join(', ')}${pending.length > 5 ? ', ...' : ''})`);
    }
    const failed: string[] = [];
    const chunks = chunkKvPairs(pending.map((k) => [k, entries.get(k)!] as [string, KvValue]), limits);
    for (const [i, chunk] of chunks.entries()) {
      const result = await api.call<BulkResult | null>('PUT', namespacePath(api, namespaceId, '/bulk'), chunk.body);
      stats.requests++;
      stats.bytes += chunk.bytes;
      stats.largestRequestPairs = Math.max(stats.largestRequestPairs, chunk.keys.length);
      stats.largestRequestBytes = Math.max(stats.largestRequestBytes, chunk.bytes);
      const unsuccessful = (result?.unsuccessful_keys ?? []).filter((k) => entries.has(k));
      failed.push(...unsuccessful);
      log(`kv: request ${i + 1}/${chunks.length}${round > 0 ? ` (retry round ${round})` : ''}: ${chunk.keys.length} pairs, ${(chunk.bytes / 1e6).toFixed(2)} MB${unsuccessful.length ? `, ${unsuccessful.length} not written` : ''}`);
    }
    pending = failed;
  }
  return stats;
}

export async function readKv(api: CloudflareApi, namespaceId: string, key: string): Promise<Uint8Array | null> {
  return api.getBytes(namespacePath(api, namespaceId, `/values/${encodeURIComponent(key)}`));
}

export function kvValueBytes(value: KvValue): Uint8Array {
  return typeof value === 'string' ? new TextEncoder().encode(value) : value;
}

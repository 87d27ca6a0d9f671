// Where the live data comes from: the KV pointer names a version, and that version's immutable query
// index is read and decoded once per isolate. A request costs at most two KV reads (pointer, index)
// and none on a warm isolate.
import { ARTIFACT, CURRENT_KEY, dataKey, decodeQueryIndex, type DataHealth, type DataPointer, type QueryIndex } from '../contract';
import type { RequestContext } from './http';
import { ProblemError } from './problem';

/** How long an isolate trusts its copy of the pointer before asking KV again. */
export const POINTER_TTL_MS = 5_000;
/** Edge cache for the pointer (KV's minimum is 30 s, so a publish is visible within about 35 s). */
const POINTER_KV_CACHE_TTL_S = 30;
/** Versioned keys never change, so the edge may keep them as long as it likes. */
const IMMUTABLE_KV_CACHE_TTL_S = 7 * 24 * 3600;
/** Decoded versions kept per isolate: the live one and the one it replaced (requests in flight). */
const VERSIONS_KEPT = 2;

/** The KV subset the worker reads with (the binding satisfies it; tests can wrap it to count reads). */
export interface KVReader {
  get(key: string, options: { type: 'text'; cacheTtl?: number }): Promise<string | null>;
  get(key: string, options: { type: 'arrayBuffer'; cacheTtl?: number }): Promise<ArrayBuffer | null>;
}

let pointerCache: { at: number; value: Promise<DataPointer | null> } | undefined;
const indexCache = new Map<string, Promise<QueryIndex>>();

/** Forgets everything cached in this isolate (tests that change what is published). */
export function clearDataCache(): void {
  pointerCache = undefined;
  indexCache.clear();
}

/** The live version's pointer, or null when nothing has been published. */
export function readPointer(kv: KVReader, now = Date.now()): Promise<DataPointer | null> {
  if (pointerCache && now - pointerCache.at < POINTER_TTL_MS) return pointerCache.value;
  const value = fetchPointer(kv);
  pointerCache = { at: now, value };
  // A failed read must not stick for the whole TTL.
  value.catch(() => {
    if (pointerCache?.value === value) pointerCache = undefined;
  });
  return value;
}

async function fetchPointer(kv: KVReader): Promise<DataPointer | null> {
  const text = await kv.get(CURRENT_KEY, { type: 'text', cacheTtl: POINTER_KV_CACHE_TTL_S });
  if (text === null) return null;
  const parsed: unknown = JSON.parse(text);
  if (!isPointer(parsed)) throw new Error(`${CURRENT_KEY} does not hold a data pointer`);
  return parsed;
}

function isPointer(value: unknown): value is DataPointer {
  const v = value as Partial<DataPointer> | null;
  return typeof v === 'object' && v !== null && typeof v.version === 'string' && v.version !== '' && typeof v.published_at === 'string';
}

/** The pointer the request started with, or a 503 telling the operator what to do. */
export function requirePointer(ctx: RequestContext): DataPointer {
  if (ctx.pointer) return ctx.pointer;
  // An unreadable pointer was logged when it was read; an absent one is an expected state, not logged.
  if (ctx.pointerError !== undefined) throw noDataError('The data store could not be read; try again shortly.', false);
  throw noDataError('No catalog data has been published yet. Run the loader: npm run load.', false);
}

/** The live query index for this request (the version its X-Data-Version names). */
export async function liveQueryIndex(ctx: RequestContext): Promise<{ version: string; index: QueryIndex }> {
  const { version } = requirePointer(ctx);
  return { version, index: await loadQueryIndex(ctx.env.KV, version) };
}

/** The decoded query index of `version`, read and decoded at most once per isolate. */
export function loadQueryIndex(kv: KVReader, version: string): Promise<QueryIndex> {
  let index = indexCache.get(version);
  if (index === undefined) {
    index = fetchQueryIndex(kv, version);
    indexCache.set(version, index);
    index.catch(() => indexCache.delete(version));
    while (indexCache.size > VERSIONS_KEPT) indexCache.delete(indexCache.keys().next().value!);
  }
  return index;
}

async function fetchQueryIndex(kv: KVReader, version: string): Promise<QueryIndex> {
  const key = dataKey(version, ARTIFACT.queryIndex);
  const bytes = await kv.get(key, { type: 'arrayBuffer', cacheTtl: IMMUTABLE_KV_CACHE_TTL_S });
  if (bytes === null) throw noDataError(`Data version ${version} is incomplete (${key} is missing). Publish it again: npm run load.`, true);
  return decodeQueryIndex(bytes);
}

/** The health record the loader wrote beside `version` (one KV read; /health is not on the hot path). */
export async function loadHealth(kv: KVReader, version: string): Promise<DataHealth> {
  const key = dataKey(version, ARTIFACT.health);
  const text = await kv.get(key, { type: 'text', cacheTtl: IMMUTABLE_KV_CACHE_TTL_S });
  if (text === null) throw noDataError(`Data version ${version} is incomplete (${key} is missing). Publish it again: npm run load.`, true);
  return JSON.parse(text) as DataHealth;
}

function noDataError(detail: string, log: boolean): ProblemError {
  return new ProblemError('noData', detail, { headers: { 'Retry-After': '60' }, log });
}

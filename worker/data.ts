// Where the live data comes from: the KV pointer carries the live manifest (artifact name -> immutable,
// content-addressed blob key), and a blob is read and decoded once per isolate. A request costs at
// most two KV reads (pointer, blob) and none on a warm isolate; a blob a new version did not change
// is not read again.
import { ARTIFACT, artifactKey, CURRENT_KEY, decodeQueryIndex, type DataHealth, type DataPointer, type Manifest, type QueryIndex } from '../contract';
import type { RequestContext } from './http';
import { ProblemError } from './problem';

/** How long an isolate trusts its copy of the pointer before asking KV again. */
export const POINTER_TTL_MS = 5_000;
/** Edge cache for the pointer (KV's minimum is 30 s, so a publish is visible within about 35 s). */
const POINTER_KV_CACHE_TTL_S = 30;
/** Content-addressed keys never change, so the edge may keep them as long as it likes. */
export const IMMUTABLE_KV_CACHE_TTL_S = 7 * 24 * 3600;
/** Decoded indexes kept per isolate: the live one and the one it replaced (requests in flight). */
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
  return (
    typeof v === 'object' && v !== null && typeof v.version === 'string' && v.version !== '' &&
    typeof v.published_at === 'string' && typeof v.artifacts === 'object' && v.artifacts !== null
  );
}

/** The blob key of an artifact of `manifest`, or a 503 saying the version is incomplete. */
export function requireArtifactKey(manifest: Manifest, name: string): string {
  const key = artifactKey(manifest, name);
  if (key === undefined) throw incompleteError(manifest.version, name);
  return key;
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
  const pointer = requirePointer(ctx);
  return { version: pointer.version, index: await loadQueryIndex(ctx.env.KV, pointer) };
}

/** The decoded query index of a manifest, read and decoded at most once per isolate. */
export function loadQueryIndex(kv: KVReader, manifest: Manifest): Promise<QueryIndex> {
  const key = requireArtifactKey(manifest, ARTIFACT.queryIndex);
  let index = indexCache.get(key);
  if (index === undefined) {
    index = readBlob(kv, manifest, ARTIFACT.queryIndex, 'arrayBuffer').then(decodeQueryIndex);
    indexCache.set(key, index);
    index.catch(() => indexCache.delete(key));
    while (indexCache.size > VERSIONS_KEPT) indexCache.delete(indexCache.keys().next().value!);
  }
  return index;
}

/** The health record the loader wrote with the version (one KV read; /health is not on the hot path). */
export async function loadHealth(kv: KVReader, manifest: Manifest): Promise<DataHealth> {
  return JSON.parse(await readBlob(kv, manifest, ARTIFACT.health, 'text')) as DataHealth;
}

/** One artifact of a manifest, uncached in the isolate (the edge still caches it: its key is immutable). */
export async function readBlob(kv: KVReader, manifest: Manifest, name: string, type: 'text'): Promise<string>;
export async function readBlob(kv: KVReader, manifest: Manifest, name: string, type: 'arrayBuffer'): Promise<ArrayBuffer>;
export async function readBlob(kv: KVReader, manifest: Manifest, name: string, type: 'text' | 'arrayBuffer'): Promise<string | ArrayBuffer> {
  const key = requireArtifactKey(manifest, name);
  const value = await kv.get(key, { type: type as 'text', cacheTtl: IMMUTABLE_KV_CACHE_TTL_S });
  if (value === null) throw incompleteError(manifest.version, `${name} (${key})`);
  return value;
}

function incompleteError(version: string, what: string): ProblemError {
  return noDataError(`Data version ${version} is incomplete (${what} is missing). Publish it again: npm run load.`, true);
}

function noDataError(detail: string, log: boolean): ProblemError {
  return new ProblemError('noData', detail, { headers: { 'Retry-After': '60' }, log });
}

// Where the live data comes from: the KV pointer names the live version, whose manifest maps artifact
// names to immutable, content-addressed blob keys. The pointer is re-read every few seconds (it is
// tiny), a manifest once per isolate and version, a blob once per isolate. A warm isolate makes no KV
// read for most requests; a blob a new version did not change is not read again.
import {
  ARTIFACT,
  artifactKey,
  CURRENT_KEY,
  decodeCatalogIndex,
  decodeCatalogRows,
  decodeQueryIndex,
  manifestKey,
  parseLivePointer,
  resolvePointer,
  type CatalogIndex,
  type CatalogRows,
  type DataHealth,
  type DataPointer,
  type Manifest,
  type QueryIndex,
} from '../contract';
import type { RequestContext } from './http';
import { ProblemError } from './problem';
import { answerMemo } from './answer-memo';
import { ResolvedCache } from './resolved-cache';

/** How long an isolate trusts its copy of the pointer before asking KV again. */
export const POINTER_TTL_MS = 5_000;
/** Edge cache for the pointer (KV's minimum is 30 s, so a publish is visible within about 35 s). */
const POINTER_KV_CACHE_TTL_S = 30;
/** Content-addressed keys never change, so the edge may keep them as long as it likes. */
export const IMMUTABLE_KV_CACHE_TTL_S = 7 * 24 * 3600;
/** Decoded values kept per isolate: the live version's and the one it replaced (requests in flight). */
export const VERSIONS_KEPT = 2;

/** The KV subset the worker reads with (the binding satisfies it; tests can wrap it to count reads). */
export interface KVReader {
  get(key: string, options: { type: 'text'; cacheTtl?: number }): Promise<string | null>;
  get(key: string, options: { type: 'arrayBuffer'; cacheTtl?: number }): Promise<ArrayBuffer | null>;
}

/** The pointer as last read, with the memo generation it names (built once per read, not per request). */
interface TrustedPointer {
  at: number;
  value: DataPointer | null;
  generation: string;
}
let pointerCache: TrustedPointer | undefined;
/** Resolved pointers by version and flip time: a manifest is read once per isolate and version. */
const resolvedPointers = new ResolvedCache<DataPointer>(VERSIONS_KEPT);
const indexCache = new ResolvedCache<QueryIndex>(VERSIONS_KEPT);
const healthCache = new ResolvedCache<DataHealth>(VERSIONS_KEPT);
// The catalog's values are the largest (~8 and ~13 MiB): only the live ones are kept; requests still
// answering from those they replaced hold their own references until they finish.
const catalogIndexCache = new ResolvedCache<CatalogIndex>(1);
const catalogRowsCache = new ResolvedCache<CatalogRows>(1);

/** Forgets everything cached in this isolate (tests that change what is published). */
export function clearDataCache(): void {
  pointerCache = undefined;
  resolvedPointers.clear();
  indexCache.clear();
  healthCache.clear();
  catalogIndexCache.clear();
  catalogRowsCache.clear();
  answerMemo.clear();
}

/** The live version's pointer, or null when nothing has been published. A failed read is not cached. */
export async function readPointer(kv: KVReader, now = Date.now()): Promise<DataPointer | null> {
  const trusted = trustedPointer(now);
  if (trusted) return trusted.value;
  const value = await fetchPointer(kv);
  pointerCache = { at: now, value, generation: value === null ? '' : pointerGeneration(value) };
  return value;
}

/**
 * The pointer this isolate read less than POINTER_TTL_MS ago, without waiting for anything; undefined
 * when it has to ask KV (readPointer). A remembered answer is served on this alone.
 */
export function trustedPointer(now = Date.now()): Readonly<TrustedPointer> | undefined {
  return pointerCache !== undefined && now - pointerCache.at < POINTER_TTL_MS ? pointerCache : undefined;
}

/** What names a publish: the version and its flip time (a forced republish of one version may name other blobs). */
export function pointerGeneration(pointer: Pick<DataPointer, 'version' | 'published_at'>): string {
  return `${pointer.version}\n${pointer.published_at}`;
}

async function fetchPointer(kv: KVReader): Promise<DataPointer | null> {
  const text = await kv.get(CURRENT_KEY, { type: 'text', cacheTtl: POINTER_KV_CACHE_TTL_S });
  if (text === null) return null;
  const pointer = parseLivePointer(text);
  return resolvedPointers.get(pointerGeneration(pointer), async () =>
    resolvePointer(pointer, await kv.get(manifestKey(pointer.version), { type: 'text', cacheTtl: POINTER_KV_CACHE_TTL_S })),
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
  return cachedArtifact(indexCache, kv, manifest, ARTIFACT.queryIndex, 'arrayBuffer', decodeQueryIndex);
}

/** The decoded catalog index and rows of a manifest (GET /titles, /titles/{id}), each read and decoded at most once per isolate. */
export async function loadCatalog(kv: KVReader, manifest: Manifest): Promise<{ index: CatalogIndex; rows: CatalogRows }> {
  const [index, rows] = await Promise.all([
    cachedArtifact(catalogIndexCache, kv, manifest, ARTIFACT.catalog, 'arrayBuffer', decodeCatalogIndex),
    cachedArtifact(catalogRowsCache, kv, manifest, ARTIFACT.catalogRows, 'arrayBuffer', decodeCatalogRows),
  ]);
  return { index, rows };
}

/** The health record the loader wrote with the version (one KV read per isolate and version). */
export function loadHealth(kv: KVReader, manifest: Manifest): Promise<DataHealth> {
  return cachedArtifact(healthCache, kv, manifest, ARTIFACT.health, 'text', (text) => JSON.parse(text) as DataHealth);
}

/**
 * An artifact of `manifest`, read and decoded at most once while `cache` keeps it. Keyed by blob key,
 * so a value a new version did not change is not read again.
 */
export function cachedArtifact<V>(
  cache: ResolvedCache<V>,
  kv: KVReader,
  manifest: Manifest,
  name: string,
  type: 'text',
  decode: (value: string) => V,
): Promise<V>;
export function cachedArtifact<V>(
  cache: ResolvedCache<V>,
  kv: KVReader,
  manifest: Manifest,
  name: string,
  type: 'arrayBuffer',
  decode: (value: ArrayBuffer) => V,
): Promise<V>;
export function cachedArtifact<V>(
  cache: ResolvedCache<V>,
  kv: KVReader,
  manifest: Manifest,
  name: string,
  type: 'text' | 'arrayBuffer',
  decode: ((value: string) => V) | ((value: ArrayBuffer) => V),
): Promise<V> {
  const decodeRead = decode as (value: string | ArrayBuffer) => V; // the overloads pair type and decode
  return cache.get(requireArtifactKey(manifest, name), async () => {
    const value = type === 'text' ? await readBlob(kv, manifest, name, 'text') : await readBlob(kv, manifest, name, 'arrayBuffer');
    try {
      return decodeRead(value);
    } catch (error) {
      throw unreadableError(manifest.version, name, error);
    }
  });
}

/** One artifact of a manifest, uncached in the isolate (the edge still caches it: its key is immutable). */
export async function readBlob(kv: KVReader, manifest: Manifest, name: string, type: 'text'): Promise<string>;
export async function readBlob(kv: KVReader, manifest: Manifest, name: string, type: 'arrayBuffer'): Promise<ArrayBuffer>;
export async function readBlob(
  kv: KVReader,
  manifest: Manifest,
  name: string,
  type: 'text' | 'arrayBuffer',
): Promise<string | ArrayBuffer> {
  const key = requireArtifactKey(manifest, name);
  const value = await kv.get(key, { type: type as 'text', cacheTtl: IMMUTABLE_KV_CACHE_TTL_S });
  if (value === null) throw incompleteError(manifest.version, `${name} (${key})`);
  return value;
}

/**
 * A value the decoder refused: most often one built by a loader of another format version (a version
 * published before a format bump, still live or rolled back to), else a corrupt one. Either way the
 * operator's fix is a fresh publish, and the client gets a 503 that says so, never a 500.
 */
function unreadableError(version: string, name: string, error: unknown): ProblemError {
  return outdatedDataError(version, `${name}: ${error instanceof Error ? error.message : String(error)}`);
}

/** A 503 (logged) for a live version this worker cannot serve as it is: a fresh publish fixes it. */
export function outdatedDataError(version: string, reason: string): ProblemError {
  return noDataError(`Data version ${version} cannot be read by this worker (${reason}). Publish it again: npm run load.`, true);
}

function incompleteError(version: string, what: string): ProblemError {
  return noDataError(`Data version ${version} is incomplete (${what} is missing). Publish it again: npm run load.`, true);
}

function noDataError(detail: string, log: boolean): ProblemError {
  return new ProblemError('noData', detail, { headers: { 'Retry-After': '60' }, log });
}

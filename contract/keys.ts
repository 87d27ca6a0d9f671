// KV key names shared by loader and worker.
//
// Values live under content-addressed, immutable keys (`blob/<sha256>`); a data version is a
// manifest (`manifest/<version>`) naming the blob of each artifact. The single mutable key, the
// pointer, names the live version and when it went live, nothing more: every isolate re-reads it every
// few seconds, so it stays a few dozen bytes however many artifacts (user shards) a version has. An
// isolate reads a version's manifest once, then its blobs once each; all cacheable: blobs forever,
// the pointer for seconds. Publishing writes only blobs the store does not already hold, so an update
// rewrites only what changed.

/** The single mutable key: JSON `LivePointer`. */
export const CURRENT_KEY = 'meta/current';
/** JSON `PublishHistory`: the versions that went live, newest first (for rollback and cleanup). */
export const HISTORY_KEY = 'meta/history';

export const BLOB_PREFIX = 'blob/';
export const MANIFEST_PREFIX = 'manifest/';

/** Immutable key of a value, from the hex SHA-256 of its bytes. */
export function blobKey(sha256Hex: string): string {
  return `${BLOB_PREFIX}${sha256Hex}`;
}

/** Where the manifest of a version is kept (rollback reads it back). */
export function manifestKey(version: string): string {
  return `${MANIFEST_PREFIX}${version}`;
}

/** Artifact names of a data version (the recommender adds its own, see contract/model.ts). */
export const ARTIFACT = {
  queryIndex: 'query-index', // binary, see contract/indexes.ts
  catalog: 'catalog-index', // binary, see contract/catalog-index.ts (GET /titles filters and search)
  catalogRows: 'catalog-rows', // binary, the same module: every title's answer, stored as JSON
  health: 'health', // JSON DataHealth
  eda: 'eda.html', // the EDA report, served at /eda
  quality: 'data-quality.json', // the loader's data-quality report
} as const;

export interface Manifest {
  version: string;
  built_at: string;
  /** The version this one was derived from (incremental folds), or null for a full load. */
  parent: string | null;
  /** Artifact name -> blob key. */
  artifacts: Record<string, string>;
  /** What D1 must hold for this version before it may go live. */
  titles: { rows: number; checksum: string };
}

/** What CURRENT_KEY holds. The version's manifest is at manifestKey(version), written before the flip. */
export interface LivePointer {
  version: string;
  published_at: string; // ISO time the pointer flipped
}

/** The live version resolved: its manifest and when it went live. */
export interface DataPointer extends Manifest {
  published_at: string;
}

/**
 * The pointer in CURRENT_KEY's text. Pointers written before the manifest moved out of it carry the
 * manifest too; they parse the same (the manifest is read from manifestKey either way).
 */
export function parseLivePointer(text: string): LivePointer {
  let value: Partial<LivePointer> | null = null;
  try {
    value = JSON.parse(text) as Partial<LivePointer> | null;
  } catch {
    // reported below like any other value that is not a pointer
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.version !== 'string' ||
    value.version === '' ||
    typeof value.published_at !== 'string'
  ) {
    throw new Error(`${CURRENT_KEY} does not hold a data pointer`);
  }
  return { version: value.version, published_at: value.published_at };
}

/** The resolved pointer, after checking that the manifest read is the one the pointer names. */
export function resolvePointer(pointer: LivePointer, manifestText: string | null): DataPointer {
  if (manifestText === null)
    throw new Error(`${CURRENT_KEY} names version ${pointer.version}, but ${manifestKey(pointer.version)} is missing`);
  const manifest = JSON.parse(manifestText) as Manifest;
  if (manifest?.version !== pointer.version || typeof manifest.artifacts !== 'object' || manifest.artifacts === null) {
    throw new Error(`${manifestKey(pointer.version)} does not hold the manifest of version ${pointer.version}`);
  }
  return { ...manifest, published_at: pointer.published_at };
}

export interface PublishHistory {
  versions: { version: string; published_at: string }[];
}

/** The blob key of an artifact of a version, or undefined when the version lacks it. */
export function artifactKey(manifest: Manifest, name: string): string | undefined {
  return Object.hasOwn(manifest.artifacts, name) ? manifest.artifacts[name] : undefined;
}

/** What /health reports about a data version; written by the loader next to the data. */
export interface DataHealth {
  version: string;
  built_at: string;
  ratings_source: 'files' | 'stand-in';
  counts: { titles: number; movies: number; ratings_rows: number; ratings_rejected: number; users: number };
}

/** The content key of a value: the loader and the worker's incremental fold derive keys the same way. */
export async function contentKey(value: Uint8Array | string): Promise<string> {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return blobKey([...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''));
}

// After a fold goes live, versions beyond the live one and KEEP_PREVIOUS_VERSIONS before it are
// dropped, as the loader's cleanup() does, but within a Worker's KV budget: no listing of the store.
// A dropped version's blobs that no kept version uses are deleted when they fit the budget; otherwise
// they stay for the loader's cleanup (it lists every blob and removes the unreferenced ones).
import { HISTORY_KEY, KEEP_PREVIOUS_VERSIONS, keptVersions, manifestKey, readHistory, type KVWriter, type Manifest } from '../contract';
import { deleteVersionRows } from './fold-state';

export interface RetentionResult {
  versions: string[];
  blobsDeleted: number;
  blobsLeft: number;
}

export async function dropOldVersions(
  kv: KVWriter,
  db: D1Database,
  live: Manifest,
  blobDeleteBudget: number,
  keep = KEEP_PREVIOUS_VERSIONS,
): Promise<RetentionResult> {
  const history = await readHistory(kv);
  const kept = keptVersions(live.version, history, keep);
  const dropped = history.versions.map((v) => v.version).filter((v) => !kept.has(v));
  if (dropped.length === 0) return { versions: [], blobsDeleted: 0, blobsLeft: 0 };

  const referenced = new Set(Object.values(live.artifacts));
  for (const version of kept) {
    if (version === live.version) continue;
    const manifest = await readManifest(kv, version);
    // A kept version without a manifest protects nothing; one we cannot read would: keep every blob.
    if (manifest === 'unreadable') return { versions: [], blobsDeleted: 0, blobsLeft: 0 };
    if (manifest) for (const key of Object.values(manifest.artifacts)) referenced.add(key);
  }
  const orphans = new Set<string>();
  for (const version of dropped) {
    const manifest = await readManifest(kv, version);
    if (manifest && manifest !== 'unreadable')
      for (const key of Object.values(manifest.artifacts)) if (!referenced.has(key)) orphans.add(key);
  }
  let blobsDeleted = 0;
  if (orphans.size <= blobDeleteBudget) {
    for (const key of orphans) {
      await kv.delete(key);
      blobsDeleted++;
    }
  }
  for (const version of dropped) await kv.delete(manifestKey(version));
  await deleteVersionRows(db, dropped);
  await kv.put(HISTORY_KEY, JSON.stringify({ versions: history.versions.filter((v) => kept.has(v.version)) }));
  return { versions: dropped, blobsDeleted, blobsLeft: orphans.size - blobsDeleted };
}

async function readManifest(kv: KVWriter, version: string): Promise<Manifest | null | 'unreadable'> {
  const text = await kv.get(manifestKey(version), 'text');
  if (text === null) return null;
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    return 'unreadable';
  }
}

// The local KV and D1 that `wrangler dev` serves, opened from Node through Miniflare (the simulator
// wrangler dev runs) with the ids and persistence directory wrangler dev uses, so the loader writes
// exactly what dev reads. Miniflare directly rather than wrangler's getPlatformProxy: the proxy
// imports all of wrangler and held ~180 MiB more RSS through the publish, the load's peak at 1x
// (docs/loader-memory.md).
// Node code sees the bindings through @cloudflare/workers-types (as Miniflare's own declarations do);
// the worker's types come from `wrangler types` (worker-configuration.d.ts).
import type { D1Database, KVNamespace } from '@cloudflare/workers-types/experimental';
import type { LoaderConfig } from '../config';
import { collectGarbage } from '../memory';
import { applyMigrations } from './migrations';
import { type Bundle, publishBundle } from './publish';
import { readWranglerBindings } from './wrangler-config';
import type { D1Writer, KVWriter } from '../../contract';

export interface LocalStores {
  kv: KVWriter & {
    list(opts?: { prefix?: string; cursor?: string }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
    delete(key: string): Promise<void>;
  };
  db: D1Writer;
  dispose(): Promise<void>;
}

/** Miniflare needs a worker to host the bindings; this one is never called. */
const HOST_SCRIPT = 'export default { fetch() { return new Response(null, { status: 404 }); } };';

export async function openLocalStores(cfg: LoaderConfig, persistDir = cfg.persistDir): Promise<LocalStores> {
  const bindings = readWranglerBindings(cfg.wranglerConfig);
  // Imported here, not at the top: Miniflare costs ~100 MiB of RSS that the training stage should not carry.
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    modules: true,
    script: HOST_SCRIPT,
    compatibilityDate: bindings.compatibilityDate,
    compatibilityFlags: bindings.compatibilityFlags,
    // wrangler dev keeps KV under <persist>/kv/<id> and D1 under <persist>/d1/<id>: Miniflare's defaults.
    defaultPersistRoot: persistDir,
    kvNamespaces: { KV: bindings.localKvNamespaceId },
    d1Databases: { DB: bindings.localD1DatabaseId },
  });
  try {
    const kv = (await mf.getKVNamespace('KV')) as unknown as KVNamespace;
    const db = (await mf.getD1Database('DB')) as unknown as D1Database;
    await applyMigrations(db, cfg.migrationsDir);
    return { kv, db, dispose: () => mf.dispose() };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}

/**
 * publishBundle into the local stores, with a full collection at each progress line (every thousand
 * values written or read back, and each step): the values cross Miniflare's proxy, whose buffers V8
 * collected late, and that garbage (100-300 MiB at 1x, varying run to run) was the load's peak.
 * A collection costs tens of milliseconds (docs/loader-memory.md).
 */
export function publishLocally(
  bundle: Bundle,
  stores: LocalStores,
  log: (message: string) => void = () => {},
): ReturnType<typeof publishBundle> {
  return publishBundle(bundle, stores, (message) => {
    collectGarbage();
    log(message);
  });
}

// The local KV and D1 that `wrangler dev` serves, opened from Node through wrangler's own platform
// proxy (same config, same persistence directory), so the loader writes exactly what dev reads.
// Node code sees the platform proxy's bindings through @cloudflare/workers-types (as Miniflare's own
// declarations do); the worker's types come from `wrangler types` (worker-configuration.d.ts).
import type { D1Database, KVNamespace } from '@cloudflare/workers-types/experimental';
import type { LoaderConfig } from '../config';
import { applyMigrations } from './migrations';
import type { D1Writer, KVWriter } from '../../contract';

export interface LocalStores {
  kv: KVWriter & {
    list(opts?: { prefix?: string; cursor?: string }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
    delete(key: string): Promise<void>;
  };
  db: D1Writer;
  dispose(): Promise<void>;
}

export async function openLocalStores(cfg: LoaderConfig, persistDir = cfg.persistDir): Promise<LocalStores> {
  // Imported here, not at the top: wrangler costs ~170 MB of RSS that the training stage should not carry.
  const { getPlatformProxy } = await import('wrangler');
  const proxy = await getPlatformProxy<{ KV: KVNamespace; DB: D1Database }>({
    configPath: cfg.wranglerConfig,
    persist: { path: persistDir },
  });
  await applyMigrations(proxy.env.DB, cfg.migrationsDir);
  return { kv: proxy.env.KV, db: proxy.env.DB, dispose: () => proxy.dispose() };
}

// The local KV and D1 that `wrangler dev` serves, opened from Node through wrangler's own platform
// proxy (same config, same persistence directory), so the loader writes exactly what dev reads.
import type { LoaderConfig } from './config';
import { applyMigrations } from './migrations';
import type { D1Writer, KVWriter } from './publish';

export interface LocalStores {
  kv: KVWriter & { list(opts?: { prefix?: string; cursor?: string }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>; delete(key: string): Promise<void> };
  db: D1Writer;
  dispose(): Promise<void>;
}

export async function openLocalStores(cfg: LoaderConfig, persistDir = cfg.persistDir): Promise<LocalStores> {
  // Imported here, not at the top: wrangler costs ~170 MB of RSS that the training stage should not carry.
  const { getPlatformProxy } = await import('wrangler');
  const proxy = await getPlatformProxy<Record<'KV' | 'DB', unknown>>({
    configPath: cfg.wranglerConfig,
    persist: { path: persistDir },
  });
  await applyMigrations(proxy.env.DB as never, cfg.migrationsDir);
  return { kv: proxy.env.KV as never, db: proxy.env.DB as never, dispose: () => proxy.dispose() };
}

// The few facts the loader needs from wrangler.toml, read with a TOML parser instead of wrangler's
// own config reader: importing wrangler costs ~170 MiB of RSS (docs/loader-memory.md), which no
// publish should carry just to learn two ids.
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';

interface RawConfig {
  compatibility_date?: string;
  compatibility_flags?: string[];
  kv_namespaces?: { binding: string; id?: string; preview_id?: string }[];
  d1_databases?: { binding: string; database_id?: string; preview_database_id?: string }[];
}

export interface WranglerBindings {
  compatibilityDate?: string;
  compatibilityFlags: string[];
  /** The ids the Cloudflare API knows the KV and DB bindings by (remote publish). */
  kvNamespaceId?: string;
  d1DatabaseId?: string;
  /**
   * The ids `wrangler dev` keeps local state under: as wrangler maps them for Miniflare, the binding's
   * id, the D1 preview id first, and the binding name when the config gives no id.
   */
  localKvNamespaceId: string;
  localD1DatabaseId: string;
}

export function readWranglerBindings(configPath: string): WranglerBindings {
  let raw: RawConfig;
  try {
    raw = parse(readFileSync(configPath, 'utf8')) as RawConfig;
  } catch (error) {
    throw new Error(`cannot read ${configPath}: ${(error as Error).message}`);
  }
  const kv = raw.kv_namespaces?.find((b) => b.binding === 'KV');
  const d1 = raw.d1_databases?.find((b) => b.binding === 'DB');
  return {
    compatibilityDate: raw.compatibility_date,
    compatibilityFlags: raw.compatibility_flags ?? [],
    kvNamespaceId: kv?.id,
    d1DatabaseId: d1?.database_id,
    localKvNamespaceId: kv?.id ?? 'KV',
    localD1DatabaseId: d1?.preview_database_id ?? d1?.database_id ?? 'DB',
  };
}

// Built bundles on disk, keyed by data version (= input hash): a second `npm start` with unchanged
// inputs loads the bundle in a second instead of rebuilding it.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle } from './publish/publish';

interface Manifest {
  version: string;
  health: Bundle['health'];
  entries: { key: string; file: string; kind: 'text' | 'binary' }[];
}

export function loadCachedBundle(cacheDir: string, version: string): Bundle | null {
  const dir = join(cacheDir, version);
  if (!existsSync(join(dir, 'manifest.json'))) return null;
  const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const kv = new Map<string, Uint8Array | string>();
  for (const e of manifest.entries) {
    const bytes = readFileSync(join(dir, e.file));
    kv.set(e.key, e.kind === 'text' ? bytes.toString('utf8') : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  const titles = JSON.parse(readFileSync(join(dir, 'titles.json'), 'utf8'));
  return { version: manifest.version, kv, titles, health: manifest.health };
}

export function saveBundle(cacheDir: string, bundle: Bundle, keep: number): void {
  const final = join(cacheDir, bundle.version);
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'kv'), { recursive: true });
  const entries: Manifest['entries'] = [];
  let i = 0;
  for (const [key, value] of bundle.kv) {
    const file = `kv/${i++}`;
    writeFileSync(join(tmp, file), value);
    entries.push({ key, file, kind: typeof value === 'string' ? 'text' : 'binary' });
  }
  writeFileSync(join(tmp, 'titles.json'), JSON.stringify(bundle.titles));
  // The manifest is written last: a directory without one is an interrupted save, never read.
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify({ version: bundle.version, health: bundle.health, entries } satisfies Manifest));
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  prune(cacheDir, bundle.version, keep);
}

function prune(cacheDir: string, current: string, keep: number): void {
  const others = readdirSync(cacheDir)
    .filter((d) => d !== current)
    .map((d) => ({ d, t: statSync(join(cacheDir, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { d } of others.slice(keep)) rmSync(join(cacheDir, d), { recursive: true, force: true });
}

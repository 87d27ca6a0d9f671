// A local load that died between its claim of the pointer in D1 and its write of meta/current in KV:
// D1 already names the new version, readers (who read KV) do not see it yet. Rerunning `npm run load`
// must finish that flip, not conclude from D1 that the stores "already serve" the version.
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { claimedLive, CURRENT_KEY } from '../../contract';
import { config as baseConfig, type LoaderConfig } from '../../loader/config';
import { openLocalStores } from '../../loader/publish/local-stores';
import { load } from '../../loader/main';
import { generateStandIn, STANDIN_MARKER } from '../../loader/standin/generate';

/** The smallest stand-in the generator makes reliably (as loader-corrupt.test.ts): a load takes seconds. */
const STAND_IN_SCALE = 0.005;
const STAND_IN_SEED = 13;

let root: string;
let cfg: LoaderConfig;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'load-rerun-'));
  const ratingsDir = join(root, 'ratings');
  await generateStandIn({ outDir: ratingsDir, seed: STAND_IN_SEED, scale: STAND_IN_SCALE, summaryPath: baseConfig.summaryPath });
  unlinkSync(join(ratingsDir, STANDIN_MARKER)); // "real" files to the loader: never regenerated
  cfg = {
    ...baseConfig,
    threads: 2,
    ratingsDir,
    persistDir: join(root, 'state', 'v3'),
    cacheDir: join(root, 'cache'),
    outDir: join(root, 'out'),
  };
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

async function pointers(): Promise<{ kv: string | null; d1: string | null }> {
  const stores = await openLocalStores(cfg);
  try {
    const text = await stores.kv.get(CURRENT_KEY, 'text');
    return { kv: text ? (JSON.parse(text) as { version: string }).version : null, d1: (await claimedLive(stores.db))?.version ?? null };
  } finally {
    await stores.dispose();
  }
}

it('a rerun of a load that died between its D1 claim and its KV pointer write finishes the flip', async () => {
  const first = await load({ config: cfg });
  expect(first.published).toBe(true);
  expect(await pointers()).toEqual({ kv: first.version, d1: first.version });

  // The state that load leaves when it dies right after D1 accepted its claim: no pointer in KV yet.
  const stores = await openLocalStores(cfg);
  try {
    await stores.kv.delete(CURRENT_KEY);
  } finally {
    await stores.dispose();
  }
  expect(await pointers()).toEqual({ kv: null, d1: first.version });

  const rerun = await load({ config: cfg }); // the same inputs: the cached build is reused
  expect(rerun.version).toBe(first.version);
  expect(await pointers()).toEqual({ kv: first.version, d1: first.version });
}, 300_000);

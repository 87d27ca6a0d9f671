// The browser tests' server: a real data version built by the real loader (catalog, a small
// deterministic stand-in of the ratings, recommender, EDA report), published with the real publisher
// into a private persistence directory, and served by `wrangler dev` on a free 127.0.0.1 port.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config as baseConfig } from '../../loader/config';
import { openLocalStores } from '../../loader/publish/local-stores';
import { buildBundle, ratingFiles } from '../../loader/pipeline';
import { publishBundle } from '../../loader/publish/publish';
import { generateStandIn } from '../../loader/standin/generate';
import { MAIN_CONFIG, startDev } from '../../scripts/wrangler-dev';

/** ~110k rating rows: enough users and titles for real answers, built in seconds. */
const STAND_IN_SCALE = 0.01;
const STAND_IN_SEED = 7;

export interface LocalServer {
  url: string;
  version: string;
  stop(): Promise<void>;
}

type Log = (line: string) => void;

/** Builds and publishes one data version into `stateDir` the way `npm run load` does (wrangler's layout). */
export async function publishTestData(stateDir: string, log: Log = () => {}): Promise<string> {
  const ratingsDir = join(stateDir, 'ratings');
  await generateStandIn({ outDir: ratingsDir, seed: STAND_IN_SEED, scale: STAND_IN_SCALE });
  const files = ratingFiles(ratingsDir);
  const version = `browser-${createHash('sha256').update(`${STAND_IN_SEED}/${STAND_IN_SCALE}/${Date.now()}`).digest('hex').slice(0, 10)}`;
  const cfg = { ...baseConfig, threads: 2, cacheDir: join(stateDir, 'cache'), outDir: join(stateDir, 'out') };
  const { bundle } = await buildBundle({ config: cfg, inputs: { files, source: 'stand-in', version }, log });
  // wrangler dev --persist-to DIR keeps its stores in DIR/v3; the loader's Miniflare takes that path as is.
  const stores = await openLocalStores(cfg, join(stateDir, 'v3'));
  try {
    await publishBundle(bundle, stores, log);
  } finally {
    await stores.dispose();
  }
  return version;
}

/** `wrangler dev` on a free port over `stateDir` (the bench's launcher); resolves once /health answers 200. */
export async function startWrangler(stateDir: string, timeoutMs = 90_000): Promise<{ url: string; stop(): Promise<void> }> {
  return startDev({
    config: MAIN_CONFIG,
    persistTo: stateDir,
    logFile: join(stateDir, 'wrangler-dev.log'),
    readyPath: '/health',
    timeoutMs,
  });
}

/** A published data version served by wrangler dev, in a temporary directory removed by stop(). */
export async function startLocalServer(log: Log = () => {}): Promise<LocalServer> {
  const stateDir = mkdtempSync(join(tmpdir(), 'catalog-browser-'));
  try {
    const version = await publishTestData(stateDir, log);
    const server = await startWrangler(stateDir);
    return {
      url: server.url,
      version,
      async stop() {
        await server.stop();
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
}

export function ensureDir(dir: string): string {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  return dir;
}

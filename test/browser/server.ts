// The browser tests' server: a real data version built by the real loader (catalog, a small
// deterministic stand-in of the ratings, recommender, EDA report), published with the real publisher
// into a private persistence directory, and served by `wrangler dev` on a free 127.0.0.1 port.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { config as baseConfig } from '../../loader/config';
import { openLocalStores } from '../../loader/local-store';
import { buildBundle, ratingFiles } from '../../loader/pipeline';
import { publishBundle } from '../../loader/publish';
import { generateStandIn } from '../../loader/standin';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');
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
  // wrangler dev --persist-to DIR keeps its stores in DIR/v3; the platform proxy takes that path as is.
  const stores = await openLocalStores(cfg, join(stateDir, 'v3'));
  try {
    await publishBundle(bundle, stores, log);
  } finally {
    await stores.dispose();
  }
  return version;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`wrangler dev did not serve ${url}/health within ${timeoutMs / 1000}s:\n${output()}`);
}

/** `wrangler dev` on a free port over `stateDir`; resolves once /health answers 200. */
export async function startWrangler(stateDir: string, timeoutMs = 90_000): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [WRANGLER, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', stateDir, '--show-interactive-dev-session=false', '--log-level', 'warn'],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so stop() also ends the workerd it starts
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHealth(url, child, () => output, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
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

// A load killed in the middle of its publish leaves readers on the previous complete version; a rerun
// completes and switches; rollback puts the previous version back. Real stores, real wrangler dev.
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CURRENT_KEY } from '../../contract';
import { saveBundle } from '../../loader/bundle-cache';
import { config as baseConfig } from '../../loader/config';
import { openLocalStores } from '../../loader/publish/local-stores';
import { buildBundle, ratingFiles } from '../../loader/pipeline';
import { writersLive } from '../../contract';
import { rollback } from '../../loader/publish/publish';
import { generateStandIn } from '../../loader/standin/generate';
import { publishTestData, startWrangler } from '../browser/server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const QUERIES = [
  '/get_max_duration?platform=netflix',
  '/get_score_count?platform=disney&scored=3.5&year=2011',
  '/get_count_platform?platform=hulu',
  '/get_actor?platform=netflix&year=2019',
  '/titles/ns1',
];

let stateDir: string;
let versionA: string;
let versionB: string;
const cacheDir = () => join(stateDir, 'bundles');

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'catalog-crash-'));
  versionA = await publishTestData(stateDir);
  // A second version from other ratings (another seed), built now and published later by a child.
  const ratingsDir = join(stateDir, 'ratings-b');
  await generateStandIn({ outDir: ratingsDir, seed: 8, scale: 0.01 });
  const cfg = { ...baseConfig, cacheDir: cacheDir(), outDir: join(stateDir, 'out-b') };
  versionB = 'crash-b';
  const { bundle } = await buildBundle({ config: cfg, inputs: { files: ratingFiles(ratingsDir), source: 'stand-in', version: versionB } });
  saveBundle(cacheDir(), bundle, 5);
}, 300_000);

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** Runs the publish child; with killAfterPuts, SIGKILLs it once it announced that many KV writes. */
function publishChild(killAfterPuts?: number): Promise<{ puts: string[]; killed: boolean }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/helpers/publish-child.ts'), cacheDir(), versionB, join(stateDir, 'v3')],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true, // its own process group: the kill takes the workerd it started down with it
    },
  );
  const puts: string[] = [];
  let killed = false;
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('put ')) puts.push(line.slice(4));
      if (killAfterPuts !== undefined && puts.length >= killAfterPuts && !killed) {
        process.kill(-child.pid!, 'SIGKILL');
        killed = true;
      }
    }
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' || code === 0 ? resolve({ puts, killed }) : reject(new Error(`publish child exited ${code}`)),
    ),
  );
}

async function answers(url: string): Promise<{ version: string | null; bodies: string[] }> {
  const responses = await Promise.all(QUERIES.map((q) => fetch(url + q)));
  for (const r of responses) expect(r.status).toBe(200);
  return { version: responses[0].headers.get('X-Data-Version'), bodies: await Promise.all(responses.map((r) => r.text())) };
}

async function livePointerVersion(): Promise<string | undefined> {
  const stores = await openLocalStores(baseConfig, join(stateDir, 'v3'));
  try {
    return (await writersLive(stores))?.version;
  } finally {
    await stores.dispose();
  }
}

it('a publish SIGKILLed midway leaves every query on the previous version; a rerun completes and switches', async () => {
  let server = await startWrangler(stateDir);
  const before = await answers(server.url);
  expect(before.version).toBe(versionA);
  await server.stop();

  const crashed = await publishChild(2);
  expect(crashed.killed).toBe(true);
  expect(crashed.puts.length).toBeGreaterThanOrEqual(2);
  expect(crashed.puts).not.toContain(CURRENT_KEY);
  expect(await livePointerVersion()).toBe(versionA);

  server = await startWrangler(stateDir);
  try {
    expect(await answers(server.url)).toEqual(before); // same version, same answers, all 200
  } finally {
    await server.stop();
  }

  const rerun = await publishChild();
  expect(rerun.killed).toBe(false);
  expect(rerun.puts).toContain(CURRENT_KEY);
  // The blobs the crashed run finished writing (each announced once written) are kept and not written again.
  for (const key of crashed.puts) expect(rerun.puts).not.toContain(key);
  expect(await livePointerVersion()).toBe(versionB);

  server = await startWrangler(stateDir);
  try {
    const after = await answers(server.url);
    expect(after.version).toBe(versionB);
    // Both stand-ins hold every title's exact summary totals (any seed does), so the catalog answers
    // agree; only the version (and the users behind the model) changed.
    expect(after.bodies).toEqual(before.bodies);
  } finally {
    await server.stop();
  }
}, 300_000);

it('rollback puts the previous version back live, checked before the flip', async () => {
  const stores = await openLocalStores(baseConfig, join(stateDir, 'v3'));
  try {
    expect((await writersLive(stores))?.version).toBe(versionB);
    const pointer = await rollback(stores);
    expect(pointer.version).toBe(versionA);
    expect(JSON.parse((await stores.kv.get(CURRENT_KEY, 'text'))!).version).toBe(versionA);
    await expect(rollback(stores, 'no-such-version')).rejects.toThrow(/not kept/);
    expect((await writersLive(stores))?.version).toBe(versionA);
  } finally {
    await stores.dispose();
  }
}, 120_000);

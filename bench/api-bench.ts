// The API under load: wrangler dev on 127.0.0.1 serving a published bench version, each endpoint loaded
// alone (never two at once) with its request mix, the hello-world worker on the same wrangler/workerd
// first and last as the ceiling. Then the per-isolate memory (inspector), and the KV/D1 operations per
// request (the same mixes replayed through bench/ops-counter.js).
import { join } from 'node:path';
import { readCatalog } from '../loader/catalog';
import { config as baseConfig } from '../loader/config';
import { hotSpots, type HotSpot } from './cpu-profile';
import { endpointMixes, ENDPOINT_ORDER, sampleUserIds, type EndpointName } from './endpoint-mixes';
import { isolateHeap, startIsolateProfile } from './inspector';
import { loadTest, type LoadResult } from './load-test';
import { BENCH_DIR, PROFILE_DIR, ratingsDir, scaleDir } from './paths';
import { peakRssMiB, rssMiB } from './proc-memory';
import { HELLO_CONFIG, MAIN_CONFIG, startDev, type DevServer } from './wrangler-dev';

export interface ApiSettings {
  connections: number;
  durationS: number;
  warmS: number;
  /** Requests replayed per endpoint to count KV/D1 operations (after one warming pass). */
  opsRequests: number;
  profile: boolean;
}

export interface IsolateMemory {
  /** After every endpoint's run and a full GC: V8 heap in use, MiB (Runtime.getHeapUsage usedSize). */
  heapUsedMiB: number;
  /** ArrayBuffer backing stores and external strings, MiB: KV blobs and decoded indexes live here. */
  backingStoreMiB: number;
  /** C++ objects of the runtime owned by the isolate, MiB. */
  embedderMiB: number;
  /** heap + backing stores + embedder after GC: the live memory that counts against the 128 MB limit. */
  totalMiB: number;
  /** Largest total (garbage included, no GC) seen right after any endpoint's run. */
  maxTotalMiB: number;
  /** RSS of the workerd process running the worker, MiB (includes the local KV/D1 simulators). */
  workerdRssMiB: number;
  workerdPeakRssMiB: number;
}

export interface OpsPerRequest {
  requests: number;
  kvReads: number;
  kvBytes: number;
  d1Queries: number;
  d1RowsRead: number;
  maxKvReads: number;
  maxD1Queries: number;
}

export interface ApiScaleResult {
  scale: number;
  endpoints: Partial<Record<EndpointName, LoadResult>>;
  ops: Partial<Record<EndpointName, OpsPerRequest>>;
  isolate: IsolateMemory;
  hotSpots?: Partial<Record<EndpointName, HotSpot[]>>;
}

export interface ApiResult {
  settings: ApiSettings;
  hello: LoadResult[];
  ceiling: { rps: number; p50Ms: number; p99Ms: number };
  helloIsolate: IsolateMemory;
  scales: ApiScaleResult[];
}

const MIB = 2 ** 20;

export async function runApiBench(scales: number[], settings: ApiSettings, log: (line: string) => void): Promise<ApiResult> {
  const logs = join(BENCH_DIR, 'logs');
  const { titles } = await readCatalog(baseConfig.titlesDir);
  const hello = await startDev({ config: HELLO_CONFIG, persistTo: join(BENCH_DIR, 'hello-state'), logFile: join(logs, 'hello.log') });
  try {
    const helloRuns = [await measure(hello, 'hello-world (first)', ['/'], settings, log)];
    const results: ApiScaleResult[] = [];
    for (const scale of scales) {
      const userIds = await sampleUserIds(ratingsDir(scale));
      const mixes = endpointMixes(titles, userIds);
      results.push(await benchScale(scale, mixes, settings, log));
    }
    helloRuns.push(await measure(hello, 'hello-world (last)', ['/'], settings, log));
    const mean = (f: (r: LoadResult) => number) => Math.round((helloRuns.reduce((s, r) => s + f(r), 0) / helloRuns.length) * 10) / 10;
    return {
      settings,
      hello: helloRuns,
      ceiling: { rps: mean((r) => r.rps), p50Ms: mean((r) => r.p50Ms), p99Ms: mean((r) => r.p99Ms) },
      helloIsolate: await isolateMemory(hello, 0, true),
      scales: results,
    };
  } finally {
    await hello.stop();
  }
}

async function benchScale(scale: number, mixes: Record<EndpointName, string[]>, settings: ApiSettings, log: (line: string) => void): Promise<ApiScaleResult> {
  const persistTo = join(scaleDir(scale), 'state');
  const logs = join(BENCH_DIR, 'logs');
  const endpoints: ApiScaleResult['endpoints'] = {};
  const spots: ApiScaleResult['hotSpots'] = {};
  let maxTotal = 0;
  const server = await startDev({ config: MAIN_CONFIG, persistTo, logFile: join(logs, `main-s${scale}.log`), readyPath: '/health' });
  let isolate: IsolateMemory;
  try {
    for (const endpoint of ENDPOINT_ORDER) {
      const profileOut = settings.profile ? join(PROFILE_DIR, `worker-s${scale}${endpoint.replace(/[^a-z0-9]+/gi, '_')}.cpuprofile`) : undefined;
      endpoints[endpoint] = await measure(server, `${endpoint} at ${scale}x`, mixes[endpoint], settings, log, profileOut);
      if (profileOut) spots[endpoint] = hotSpots(profileOut, 8).spots;
      maxTotal = Math.max(maxTotal, (await isolateMemory(server, 0, false)).totalMiB);
    }
    isolate = await isolateMemory(server, maxTotal, true);
  } finally {
    await server.stop();
  }
  const ops = await countOps(persistTo, mixes, settings.opsRequests, join(logs, `ops-s${scale}.log`), log);
  return { scale, endpoints, ops, isolate, ...(settings.profile ? { hotSpots: spots } : {}) };
}

async function measure(server: DevServer, label: string, paths: string[], settings: ApiSettings, log: (line: string) => void, profileOut?: string): Promise<LoadResult> {
  if (settings.warmS > 0) await loadTest(server.url, paths, settings.connections, settings.warmS);
  const stopProfile = profileOut ? await startIsolateProfile(server.inspectorPort, profileOut) : null;
  const result = await loadTest(server.url, paths, settings.connections, settings.durationS);
  await stopProfile?.();
  const bad = result.non2xx + result.errors + result.timeouts;
  log(`  ${label.padEnd(32)} ${String(result.rps).padStart(8)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms${bad ? `  (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)` : ''}`);
  return result;
}

async function isolateMemory(server: DevServer, maxTotalMiB: number, gc: boolean): Promise<IsolateMemory> {
  const heap = await isolateHeap(server.inspectorPort, gc);
  const total = (heap.usedSize + (heap.embedderHeapUsedSize ?? 0) + (heap.backingStorageSize ?? 0)) / MIB;
  const pid = server.workerPid();
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    heapUsedMiB: round(heap.usedSize / MIB),
    backingStoreMiB: round((heap.backingStorageSize ?? 0) / MIB),
    embedderMiB: round((heap.embedderHeapUsedSize ?? 0) / MIB),
    totalMiB: round(total),
    maxTotalMiB: round(Math.max(maxTotalMiB, total)),
    workerdRssMiB: pid ? round(rssMiB(pid)) : NaN,
    workerdPeakRssMiB: pid ? round(peakRssMiB(pid)) : NaN,
  };
}

interface Ops {
  kvReads: number;
  kvBytes: number;
  kvWrites: number;
  kvLists: number;
  d1Queries: number;
  d1RowsRead: number;
}

/**
 * Replays each endpoint's mix through the counting entry: a warming pass, then a counted pass over the
 * NEXT requests of the mix, so a user shard counts as a cache hit only if another user brought it in.
 */
async function countOps(persistTo: string, mixes: Record<EndpointName, string[]>, requests: number, logFile: string, log: (line: string) => void): Promise<Partial<Record<EndpointName, OpsPerRequest>>> {
  const server = await startDev({ config: MAIN_CONFIG, script: 'bench/ops-counter.js', persistTo, logFile, readyPath: '/health' });
  const result: Partial<Record<EndpointName, OpsPerRequest>> = {};
  try {
    for (const endpoint of ENDPOINT_ORDER) {
      const mix = mixes[endpoint];
      const pathAt = (i: number) => mix[i % mix.length];
      for (let i = 0; i < requests; i++) await opsOf(server.url + pathAt(i));
      const counted: Ops[] = [];
      for (let i = requests; i < 2 * requests; i++) counted.push(await opsOf(server.url + pathAt(i)));
      const mean = (f: (o: Ops) => number) => Math.round((counted.reduce((s, o) => s + f(o), 0) / counted.length) * 1000) / 1000;
      if (counted.some((o) => o.kvWrites + o.kvLists > 0)) throw new Error(`${endpoint} wrote or listed KV while serving a request`);
      result[endpoint] = {
        requests: counted.length,
        kvReads: mean((o) => o.kvReads),
        kvBytes: Math.round(mean((o) => o.kvBytes)),
        d1Queries: mean((o) => o.d1Queries),
        d1RowsRead: Math.round(mean((o) => o.d1RowsRead)),
        maxKvReads: Math.max(...counted.map((o) => o.kvReads)),
        maxD1Queries: Math.max(...counted.map((o) => o.d1Queries)),
      };
      const r = result[endpoint]!;
      log(`  ops ${endpoint.padEnd(20)} KV reads ${r.kvReads}/req (${Math.round(r.kvBytes / 1024)} KiB), D1 queries ${r.d1Queries}/req (${r.d1RowsRead} rows read)`);
    }
  } finally {
    await server.stop();
  }
  return result;
}

async function opsOf(url: string): Promise<Ops> {
  const response = await fetch(url);
  await response.arrayBuffer();
  const header = response.headers.get('X-Bench-Ops');
  if (!header) throw new Error(`${url}: no X-Bench-Ops header (status ${response.status})`);
  return JSON.parse(header) as Ops;
}

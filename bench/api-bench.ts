// The API under load: each endpoint's request mix against `wrangler dev` on 127.0.0.1, side by side
// with a hello-world worker on the same wrangler/workerd sent the very same requests. The servers of
// one endpoint (hello-world, the API at each data scale) run at once and are loaded in turn, a second
// each, round after round; each server's slices are pooled. They so see the same minutes
// of a shared machine, whose speed moves within minutes, and age alike (a dev server's p99 grows with
// the requests it has served: bench/drift.ts): runs a few minutes apart on fresh servers, as the
// bench measured until 2026-12-04, told hello-world from itself only to about ±15%. A control group,
// hello-world against hello-world, measured the same way before the first endpoint and after the
// last, gives the noise floor. Then the per-isolate memory (inspector) once every endpoint has run,
// and the KV/D1 operations per request (the same mixes replayed through bench/ops-counter.js).
import { join } from 'node:path';
import { readCatalog } from '../loader/catalog/transform';
import { config as baseConfig } from '../loader/config';
import { hotSpots, type HotSpot } from './cpu-profile';
import { endpointMixes, ENDPOINT_ORDER, NEW_USER_MIXES, newUserSample, sampleUserIds, type EndpointName } from './endpoint-mixes';
import { isolateHeap, startIsolateProfile } from './inspector';
import { coldStarts, profileIsolate } from './isolate-cpu';
import type { IsolateProfile } from './results';
import { loadInterleaved, loadTest, meanRun, warmEveryPath, type LoadResult } from './load-test';
import { BENCH_DIR, PROFILE_DIR, ratingsDir, scaleDir } from './paths';
import { peakRssMiB, rssMiB } from './proc-memory';
import { HELLO_CONFIG, MAIN_CONFIG, startBenchDev, type DevOptions, type BenchServer } from './dev-server';
import { pinThisProcess, type CpuPinning } from './cpu-pinning';

export interface ApiSettings {
  connections: number;
  /** Measured seconds per server and endpoint, in slices of `sliceS`. */
  durationS: number;
  /** Seconds a server is loaded before the next one of its group takes over; absent (runs before
   * 2026-12-04): each endpoint had one run of `durationS` on a fresh server. */
  sliceS?: number;
  warmS: number;
  /** Requests replayed per endpoint to count KV/D1 operations (after one warming pass). */
  opsRequests: number;
  profile: boolean;
  /** Requests in each "new users" mix (set by the run; absent before 2026-12-04: 20,000). */
  newUserMixSize?: number;
  /** Load generator and servers on separate cores (bench/cpu-pinning.ts); null or absent (runs before
   * 2026-12-04): they shared every core. */
  pinning?: CpuPinning | null;
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
  /** Each endpoint's ceiling: hello-world sent the same mix in the same group (in results before
   * 2026-12-04, the mean of the hello-world runs right before and after the endpoint's). */
  ceilings?: Partial<Record<EndpointName, LoadResult>>;
  ops: Partial<Record<EndpointName, OpsPerRequest>>;
  isolate: IsolateMemory;
  hotSpots?: Partial<Record<EndpointName, HotSpot[]>>;
}

export interface ApiResult {
  settings: ApiSettings;
  /** Every hello-world run, in order: each endpoint group's ceiling. */
  hello: LoadResult[];
  /** Hello-world against a second hello-world, measured as an endpoint is, before the first endpoint
   * and after the last: how far a share of 1 can read off by chance. */
  controls?: { hello: LoadResult; twin: LoadResult }[];
  /** Their mean: context for the report and the plot; each endpoint is held to the runs either side of it. */
  ceiling: { rps: number; p50Ms: number; p99Ms: number };
  helloIsolate: IsolateMemory;
  scales: ApiScaleResult[];
}

const MIB = 2 ** 20;

export async function runApiBench(scales: number[], settings: ApiSettings, log: (line: string) => void): Promise<ApiResult> {
  const unpin = settings.pinning ? pinThisProcess(settings.pinning.generator) : () => {};
  if (settings.pinning) log(`  load generator on CPUs ${settings.pinning.generator}, servers on CPUs ${settings.pinning.servers}`);
  try {
    return await measureApi(scales, settings, log);
  } finally {
    unpin();
  }
}

async function measureApi(scales: number[], settings: ApiSettings, log: (line: string) => void): Promise<ApiResult> {
  const { titles } = await readCatalog(baseConfig.titlesDir);
  const mixes = new Map<number, Record<EndpointName, string[]>>();
  for (const scale of scales) {
    mixes.set(
      scale,
      endpointMixes(
        titles,
        await sampleUserIds(ratingsDir(scale)),
        await sampleUserIds(ratingsDir(scale), newUserSample(settings.durationS + settings.warmS), 13),
      ),
    );
  }
  const hello: LoadResult[] = [];
  const controls: NonNullable<ApiResult['controls']> = [];
  let helloIsolate: IsolateMemory | undefined;
  const control = async () => {
    const [a, b] = await measureGroup(
      [
        { label: 'hello-world', options: HELLO_SERVER, paths: ['/'] },
        { label: 'hello-world (control twin)', options: { ...HELLO_SERVER, logFile: join(LOGS, 'hello-twin.log') }, paths: ['/'] },
      ],
      settings,
      log,
      async (lane, server) => {
        if (lane === 0) helloIsolate ??= await isolateMemory(server, 0, true);
      },
    );
    controls.push({ hello: a, twin: b });
  };

  await control();
  const measured = new Map(scales.map((scale) => [scale, { endpoints: {}, ceilings: {}, hotSpots: {}, maxTotalMiB: 0 } as ScaleRuns]));
  for (const endpoint of ENDPOINT_ORDER) {
    const profileOut = (scale: number) =>
      settings.profile ? join(PROFILE_DIR, `worker-s${scale}${endpoint.replace(/[^a-z0-9]+/gi, '_')}.cpuprofile`) : undefined;
    const [ceiling, ...atScales] = await measureGroup(
      [
        // Hello-world ignores the URL: sent the endpoint's own requests, it measures what carrying them costs.
        { label: `hello-world, ${endpoint} mix`, options: HELLO_SERVER, paths: mixes.get(scales[0])![endpoint] },
        ...scales.map((scale) => ({
          label: `${endpoint} at ${scale}x`,
          options: mainServer(scale),
          paths: mixes.get(scale)![endpoint],
          warmEveryPath: !NEW_USER_MIXES.has(endpoint),
          profileOut: profileOut(scale),
        })),
      ],
      settings,
      log,
      async (lane, server) => {
        if (lane === 0) return;
        const runs = measured.get(scales[lane - 1])!;
        runs.maxTotalMiB = Math.max(runs.maxTotalMiB, (await isolateMemory(server, 0, false)).totalMiB);
      },
    );
    hello.push(ceiling);
    scales.forEach((scale, i) => {
      const runs = measured.get(scale)!;
      runs.endpoints[endpoint] = atScales[i];
      runs.ceilings[endpoint] = ceiling;
      const out = profileOut(scale);
      if (out) runs.hotSpots[endpoint] = hotSpots(out, 8).spots;
    });
  }
  await control();

  const results: ApiScaleResult[] = [];
  for (const scale of scales) {
    const runs = measured.get(scale)!;
    const isolate = await isolateAfterEveryEndpoint(scale, mixes.get(scale)!, settings, runs.maxTotalMiB);
    const ops = await countOps(
      join(scaleDir(scale), 'state'),
      mixes.get(scale)!,
      settings.opsRequests,
      join(LOGS, `ops-s${scale}.log`),
      log,
    );
    results.push({
      scale,
      endpoints: runs.endpoints,
      ceilings: runs.ceilings,
      ops,
      isolate,
      ...(settings.profile ? { hotSpots: runs.hotSpots } : {}),
    });
  }
  const { rps, p50Ms, p99Ms } = meanRun(hello);
  return {
    settings: { ...settings, newUserMixSize: mixes.get(scales[0])!['/recommend (new users)'].length },
    hello,
    controls,
    ceiling: { rps, p50Ms, p99Ms },
    helloIsolate: helloIsolate!,
    scales: results,
  };
}

/**
 * Each endpoint's CPU inside the isolate per request, by category, with hello-world's measured first,
 * then each endpoint's first request on a fresh server (KV reads, bytes, time).
 */
export async function profileEndpoints(scale: number, seconds: number, log: (line: string) => void): Promise<IsolateProfile> {
  const { titles } = await readCatalog(baseConfig.titlesDir);
  const mixes = endpointMixes(
    titles,
    await sampleUserIds(ratingsDir(scale)),
    await sampleUserIds(ratingsDir(scale), newUserSample(seconds + 1), 13),
  );
  const hello = await profileIsolate(HELLO_SERVER, 'hello', ['/'], seconds);
  log(`  ${'hello-world'.padEnd(30)} ${hello.totalUs} µs/request in the isolate`);
  const endpoints: IsolateProfile['endpoints'] = {};
  for (const endpoint of ENDPOINT_ORDER) {
    endpoints[endpoint] = await profileIsolate(mainServer(scale), `${endpoint}-s${scale}`, mixes[endpoint], seconds);
    log(`  ${endpoint.padEnd(30)} ${endpoints[endpoint]!.totalUs} µs/request in the isolate`);
  }
  const firstPaths = ENDPOINT_ORDER.map((e) => [e, mixes[e][0]] as [string, string]);
  const coldStart = (await coldStarts(
    join(scaleDir(scale), 'state'),
    firstPaths,
    join(LOGS, `cold-s${scale}.log`),
  )) as IsolateProfile['coldStart'];
  for (const [endpoint, c] of Object.entries(coldStart))
    log(`  cold ${endpoint.padEnd(30)} ${c.kvReads} KV reads, ${Math.round(c.kvBytes / 1024)} KiB, ${c.ms} ms`);
  return { scale, seconds, hello, endpoints, coldStart };
}

interface ScaleRuns {
  endpoints: ApiScaleResult['endpoints'];
  ceilings: NonNullable<ApiScaleResult['ceilings']>;
  hotSpots: NonNullable<ApiScaleResult['hotSpots']>;
  maxTotalMiB: number;
}

const LOGS = join(BENCH_DIR, 'logs');
const HELLO_SERVER: DevOptions = { config: HELLO_CONFIG, persistTo: join(BENCH_DIR, 'hello-state'), logFile: join(LOGS, 'hello.log') };

function mainServer(scale: number): DevOptions {
  return {
    config: MAIN_CONFIG,
    persistTo: join(scaleDir(scale), 'state'),
    logFile: join(LOGS, `main-s${scale}.log`),
    readyPath: '/health',
  };
}

/** One server of a group: what it runs, the requests it is sent, how it is warmed and profiled. */
export interface GroupLane {
  label: string;
  options: DevOptions;
  paths: string[];
  /**
   * Each request of the mix answered once before the clock starts, as returning callers have been:
   * with a timed warm-up alone, /recommend trailed hello-world by 14-22% in all four runs (it paid for
   * ~600 users' first shard reads) while one of its URLs alone kept up with a catalog query. New
   * users' mixes never repeat and stay cold.
   */
  warmEveryPath?: boolean;
  profileOut?: string;
}

/**
 * A group of servers started together, warmed, then loaded in turn (`loadInterleaved`), `inspect`ed
 * before they stop: each lane's pooled result. Every group starts its own servers, so no group
 * inherits another's age.
 */
export async function measureGroup(
  lanes: GroupLane[],
  settings: ApiSettings,
  log: (line: string) => void,
  inspect: (lane: number, server: BenchServer) => Promise<void>,
): Promise<LoadResult[]> {
  const servers: BenchServer[] = [];
  try {
    for (const lane of lanes) servers.push(await startBenchDev({ ...lane.options, cpus: settings.pinning?.servers }));
    for (const [i, lane] of lanes.entries()) {
      if (lane.warmEveryPath) await warmEveryPath(servers[i].url, lane.paths, settings.connections);
      if (settings.warmS > 0) await loadTest(servers[i].url, lane.paths, settings.connections, settings.warmS);
    }
    const profiles = await Promise.all(
      lanes.map((lane, i) => (lane.profileOut ? startIsolateProfile(servers[i].inspectorPort, lane.profileOut) : null)),
    );
    const sliceS = Math.min(settings.sliceS ?? settings.durationS, settings.durationS);
    const results = await loadInterleaved(
      lanes.map((lane, i) => ({ url: servers[i].url, paths: lane.paths })),
      settings.connections,
      sliceS,
      Math.max(1, Math.round(settings.durationS / sliceS)),
    );
    for (const stop of profiles) await stop?.();
    for (const [i, lane] of lanes.entries()) {
      await inspect(i, servers[i]);
      const r = results[i];
      const bad = r.non2xx + r.errors + r.timeouts;
      log(
        `  ${lane.label.padEnd(40)} ${String(r.rps).padStart(8)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms${bad ? `  (${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts)` : ''}`,
      );
    }
    return results;
  } finally {
    for (const server of servers) await server.stop();
  }
}

/** The isolate's memory once it has served every endpoint's mix (what one isolate may come to hold). */
async function isolateAfterEveryEndpoint(
  scale: number,
  mixes: Record<EndpointName, string[]>,
  settings: ApiSettings,
  maxTotalMiB: number,
): Promise<IsolateMemory> {
  const server = await startBenchDev(mainServer(scale));
  try {
    for (const endpoint of ENDPOINT_ORDER) {
      await loadTest(server.url, mixes[endpoint], settings.connections, Math.max(1, settings.warmS));
      maxTotalMiB = Math.max(maxTotalMiB, (await isolateMemory(server, 0, false)).totalMiB);
    }
    return await isolateMemory(server, maxTotalMiB, true);
  } finally {
    await server.stop();
  }
}

async function isolateMemory(server: BenchServer, maxTotalMiB: number, gc: boolean): Promise<IsolateMemory> {
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
  /** Reads of the live pointer (CURRENT_KEY), apart from kvReads. */
  pointerReads: number;
  kvReads: number;
  kvBytes: number;
  kvWrites: number;
  kvLists: number;
  d1Queries: number;
  d1RowsRead: number;
}

/** Requests of a mix replayed before counting: one full round of a returning mix, the start of a long one. */
const OPS_WARM_MAX = 1000;

/**
 * Replays each endpoint's mix through the counting entry: a warming pass over one round of the mix
 * (at most OPS_WARM_MAX requests), then a counted pass over the requests that follow. A mix that comes
 * round again is counted as the load test meets it after its first round (returning users); a "new
 * users" mix is counted on users the isolate has not answered. The live pointer's re-read (every 5 s
 * per isolate, whatever the traffic) is counted apart, not in a request's reads.
 */
async function countOps(
  persistTo: string,
  mixes: Record<EndpointName, string[]>,
  requests: number,
  logFile: string,
  log: (line: string) => void,
): Promise<Partial<Record<EndpointName, OpsPerRequest>>> {
  const server = await startBenchDev({ config: MAIN_CONFIG, script: 'bench/ops-counter.js', persistTo, logFile, readyPath: '/health' });
  const result: Partial<Record<EndpointName, OpsPerRequest>> = {};
  try {
    for (const endpoint of ENDPOINT_ORDER) {
      const mix = mixes[endpoint];
      const pathAt = (i: number) => mix[i % mix.length];
      const warm = Math.min(mix.length, OPS_WARM_MAX);
      for (let i = 0; i < warm; i++) await opsOf(server.url + pathAt(i));
      const counted: Ops[] = [];
      for (let i = warm; i < warm + requests; i++) counted.push(await opsOf(server.url + pathAt(i)));
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
      log(
        `  ops ${endpoint.padEnd(20)} KV reads ${r.kvReads}/req (${Math.round(r.kvBytes / 1024)} KiB), D1 queries ${r.d1Queries}/req (${r.d1RowsRead} rows read)`,
      );
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

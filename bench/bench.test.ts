// The bench's own logic (bench/*.ts): stage boundaries from the loader's log, target and growth
// verdicts, the plot, the request mixes and the profile summary. The measurements themselves run in
// `npm run bench`, not here.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiResult, ApiScaleResult } from './api-bench';
import { hotSpots } from './cpu-profile';
import { processGroupCpuSeconds } from './machine';
import { endpointMixes, endpointPath, ENDPOINT_ORDER } from './endpoint-mixes';
import { growthSvg } from './growth-plot';
import type { LoaderRun } from './loader-stages';
import { loadInterleaved, loadTest, meanRun, pooled, warmEveryPath, type LoadResult } from './load-test';
import type { BenchResults } from './results';
import { StageRecorder } from './stage-recorder';
import { evaluateGrowth, evaluateTargets } from './targets';
import type { Title } from '../contract';

describe('StageRecorder.logHook', () => {
  it('turns stage log lines into stages, names the known gaps and drops other short gaps', async () => {
    const rec = new StageRecorder();
    const passed: string[] = [];
    const log = rec.logHook((l) => passed.push(l));
    log('> catalog');
    log('  catalog: 50% 10 titles 5 titles/s');
    log('  catalog done in 0.1s: 10 titles');
    log('> ingest ratings');
    log('  ingest ratings done in 0.2s: 5 rows');
    log('> query indexes');
    log('  query indexes done in 0.0s: 1 KiB');
    log('> train recommender');
    await new Promise((r) => setTimeout(r, 20));
    log('  train recommender done in 0.0s: done');
    rec.end();
    expect(rec.stages.map((s) => s.name)).toEqual([
      'catalog',
      'ingest ratings',
      'scores',
      'query indexes',
      'train recommender',
      'recommender export',
    ]);
    expect(passed).toHaveLength(9);
    expect(rec.stages[4].seconds).toBeGreaterThanOrEqual(0.015);
    for (const s of rec.stages) expect(s.peakRssMiB).toBeGreaterThanOrEqual(Math.min(s.startRssMiB, s.endRssMiB) - 1);
  });

  it('ignores a "done" line that does not close the running stage', () => {
    const rec = new StageRecorder();
    const log = rec.logHook();
    log('> publish');
    log('  something else done in 1.0s');
    rec.end();
    expect(rec.stages.map((s) => s.name)).toEqual(['publish']);
  });
});

function load(rps: number, p99Ms: number, extra: Partial<LoadResult> = {}): LoadResult {
  return {
    requests: rps * 10,
    seconds: 10,
    rps,
    p50Ms: p99Ms / 3,
    p99Ms,
    meanMs: p99Ms / 3,
    maxMs: p99Ms,
    non2xx: 0,
    serverErrors: 0,
    errors: 0,
    timeouts: 0,
    ...extra,
  };
}

function loaderRun(scale: number, seconds: Record<string, number>, peak: number): LoaderRun {
  const stages = Object.entries(seconds).map(([name, s]) => ({
    name,
    seconds: s,
    cpuSeconds: s,
    startRssMiB: 100,
    endRssMiB: 100,
    peakRssMiB: peak,
  }));
  return {
    scale,
    rows: 11_000_000 * scale,
    users: 1000 * scale,
    ratingBytes: 1,
    version: 'v',
    perStagePeaks: true,
    stages,
    totalSeconds: stages.reduce((a, s) => a + s.seconds, 0),
    peakRssMiB: peak,
    kvValues: 1,
    kvBytes: 1,
    pipelineTimings: {},
  };
}

const ops = { requests: 10, kvReads: 0, kvBytes: 0, d1Queries: 0, d1RowsRead: 0, maxKvReads: 0, maxD1Queries: 0 };
function apiScale(
  scale: number,
  endpoints: ApiScaleResult['endpoints'],
  kvReads: number,
  ceilings?: ApiScaleResult['ceilings'],
): ApiScaleResult {
  const isolate = {
    heapUsedMiB: 5,
    backingStoreMiB: 5,
    embedderMiB: 0,
    totalMiB: 10,
    maxTotalMiB: 30,
    workerdRssMiB: 100,
    workerdPeakRssMiB: 120,
  };
  return { scale, endpoints, ops: { '/recommend': { ...ops, kvReads } }, isolate, ...(ceilings ? { ceilings } : {}) };
}

function results(api: ApiResult | undefined, runs: LoaderRun[]): BenchResults {
  const measured = {
    measuredAt: '2026-01-01T00:00:00Z',
    machineLoad: {
      before: { at: '', uptime: '', loadavg: [0, 0, 0] as [number, number, number] },
      after: { at: '', uptime: '', loadavg: [0, 0, 0] as [number, number, number] },
    },
  };
  return {
    generatedAt: '2026-01-01T00:00:00Z',
    machine: { nproc: 2, cpuModel: 'x', memoryGiB: 1, node: 'v20', wrangler: '4', workerd: '1', kernel: 'k' },
    ...(api ? { api: { ...measured, ...api } } : {}),
    loader: { ...measured, runs },
    targets: [],
    growth: [],
  };
}

describe('targets', () => {
  const api: ApiResult = {
    settings: { connections: 32, durationS: 10, warmS: 1, opsRequests: 10, profile: false },
    hello: [load(1000, 100), load(1000, 100)],
    ceiling: { rps: 1000, p50Ms: 30, p99Ms: 100 },
    helloIsolate: {
      heapUsedMiB: 0,
      backingStoreMiB: 0,
      embedderMiB: 0,
      totalMiB: 0,
      maxTotalMiB: 0,
      workerdRssMiB: 0,
      workerdPeakRssMiB: 0,
    },
    scales: [
      apiScale(1, { '/get_actor': load(900, 120), '/recommend': load(899, 121), '/health': load(10, 1000) }, 0.5),
      apiScale(4, { '/get_actor': load(900, 120), '/recommend': load(1000, 100, { non2xx: 3, serverErrors: 2 }) }, 0.6),
    ],
  };

  it('passes exactly at the limits and fails just past them; /health is not gated', () => {
    const t = evaluateTargets(results(api, [loaderRun(1, { 'ingest ratings': 11, 'train recommender': 60 }, 1536)]));
    const verdict = (name: string) => t.find((x) => x.name.startsWith(name))?.pass;
    expect(verdict('/get_actor throughput at 1x')).toBe(true);
    expect(verdict('/get_actor p99 at 1x')).toBe(true);
    expect(verdict('/recommend throughput at 1x')).toBe(false);
    expect(verdict('/recommend p99 at 1x')).toBe(false);
    expect(t.some((x) => x.name.startsWith('/health'))).toBe(false);
    expect(verdict('ingest rate at 1x')).toBe(true); // 11M rows in 11 s = 1M rows/s
    expect(verdict('training at 1x')).toBe(true);
    expect(verdict('peak RSS of any loader stage at 1x')).toBe(true);
    expect(verdict('answers under load at 1x')).toBe(true);
    expect(t.find((x) => x.name.startsWith('answers under load at 4x'))).toMatchObject({ pass: false, measured: '/recommend: 2' });
  });

  it('holds both API runs to the targets, new users to one KV read, and cold starts to the baseline', () => {
    const newUsers = (maxKvReads: number): ApiScaleResult => ({
      ...apiScale(1, { '/get_actor': load(900, 120) }, 0),
      ops: { '/recommend (new users)': { ...ops, kvReads: 0.9, maxKvReads } },
    });
    const r = results({ ...api, scales: [newUsers(1)] }, []);
    const measured = { measuredAt: '', machineLoad: r.api!.machineLoad };
    r.apiRepeat = { ...measured, ...api, scales: [{ ...newUsers(2), endpoints: { '/get_actor': load(899, 120) } }] };
    const cold = { status: 200, kvReads: 1, kvBytes: 220492, d1Queries: 0, ms: 9 };
    const cpu = { totalUs: 1, byCategory: {} as never, requests: 1 };
    r.cpu = {
      ...measured,
      scale: 1,
      seconds: 3,
      hello: cpu,
      endpoints: {},
      coldStart: { '/get_actor': cold, '/titles': { ...cold, kvReads: 3 } },
    };
    const t = evaluateTargets(r);
    const verdict = (name: string) => t.find((x) => x.name.startsWith(name))?.pass;
    expect(verdict('/get_actor throughput at 1x, run 1')).toBe(true);
    expect(verdict('/get_actor throughput at 1x, run 2')).toBe(false);
    expect(verdict('/recommend (new users) KV reads per request at 1x, run 1')).toBe(true);
    expect(verdict('/recommend (new users) KV reads per request at 1x, run 2')).toBe(false);
    expect(verdict('/get_actor cold first request: KV reads')).toBe(true);
    expect(verdict('/get_actor cold first request: KV bytes')).toBe(true);
    expect(verdict('/titles cold first request: KV reads')).toBe(false);
  });

  it('growth: linear loader cost passes, superlinear fails; per-request operations must stay flat', () => {
    const g = evaluateGrowth(
      results(api, [
        loaderRun(1, { 'train recommender': 10, publish: 5 }, 1000),
        loaderRun(4, { 'train recommender': 40, publish: 30 }, 2000),
      ]),
    );
    const check = (name: string) => g.find((x) => x.name === name);
    expect(check('train recommender CPU, 4x vs 1x')).toMatchObject({ ratio: 4, pass: true });
    expect(check('publish CPU, 4x vs 1x')).toMatchObject({ ratio: 6, pass: false });
    expect(check('loader peak RSS, 4x vs 1x')).toMatchObject({ ratio: 2, pass: true });
    expect(check('/recommend KV reads/request, 4x vs 1x')).toMatchObject({ ratio: 1.2, pass: false });
    expect(check("/get_actor p50 latency over hello-world's, 4x vs 1x")).toMatchObject({ ratio: 1, pass: true });
  });

  it('holds each endpoint to its own ceiling, for targets and for flat latency', () => {
    // At 4x the machine was half as fast: hello-world and the endpoint both took twice as long.
    const paired: ApiResult = {
      ...api,
      scales: [
        apiScale(1, { '/get_actor': load(900, 120) }, 0, { '/get_actor': load(1000, 100) }),
        apiScale(4, { '/get_actor': load(450, 240), '/model': load(320, 300) }, 0, {
          '/get_actor': load(500, 200),
          '/model': load(400, 150),
        }),
      ],
    };
    const t = evaluateTargets(results(paired, []));
    const verdict = (name: string) => t.find((x) => x.name.startsWith(name));
    expect(verdict('/get_actor throughput at 4x')).toMatchObject({ measured: '0.90 x', pass: true });
    expect(verdict('/get_actor p99 at 4x')).toMatchObject({ measured: '1.20 x', pass: true });
    expect(verdict('/model throughput at 4x')).toMatchObject({ measured: '0.80 x', pass: true });
    expect(verdict('/model p99 at 4x')).toMatchObject({ measured: '2.00 x', pass: false });
    const g = evaluateGrowth(results(paired, []));
    expect(g.find((x) => x.name.startsWith('/get_actor p50'))).toMatchObject({ ratio: 1, pass: true });
  });

  it('growth from zero operations per request has no ratio and fails', () => {
    const zero: ApiResult = { ...api, scales: [apiScale(1, {}, 0), apiScale(4, {}, 0.3)] };
    const g = evaluateGrowth(results(zero, []));
    expect(g).toEqual([{ name: '/recommend KV reads/request, 4x vs 1x', ratio: null, allowed: 1.05, pass: false }]);
  });
});

describe('growthSvg', () => {
  it('draws both panels with a legend entry per stage and endpoint', () => {
    const svg = growthSvg([loaderRun(1, { ingest: 2, train: 30 }, 1), loaderRun(2, { ingest: 4, train: 61 }, 1)], {
      settings: { connections: 32, durationS: 10, warmS: 1, opsRequests: 10, profile: false },
      hello: [],
      ceiling: { rps: 1, p50Ms: 1, p99Ms: 5 },
      helloIsolate: apiScale(1, {}, 0).isolate,
      scales: [apiScale(1, { '/get_actor': load(1, 10) }, 0), apiScale(4, { '/get_actor': load(1, 12) }, 0)],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of ['total', 'ingest', 'train', '/get_actor p99', 'hello-world p99']) expect(svg).toContain(`>${label}</text>`);
    expect(svg).not.toContain('NaN');
  });
});

describe('endpointMixes', () => {
  const titles = [
    { id: 'ns1', title: 'The Irishman' },
    { id: 'as2', title: 'Star Wars' },
  ] as Title[];

  it('is deterministic, covers every endpoint, and only asks valid-looking paths', () => {
    const a = endpointMixes(titles, [1, 2, 3], [7, 8, 9, 10]);
    expect(endpointMixes(titles, [1, 2, 3], [7, 8, 9, 10])).toEqual(a);
    expect(Object.keys(a)).toEqual([...ENDPOINT_ORDER]);
    for (const endpoint of ENDPOINT_ORDER) {
      expect(a[endpoint].length).toBeGreaterThan(0);
      const base = endpointPath(endpoint);
      for (const path of a[endpoint]) expect(path === base || path.startsWith(base.endsWith('/') ? base : `${base}?`)).toBe(true);
    }
    expect(a['/recommend'].every((p) => /^\/recommend\?user_id=[123]&movie_id=(ns1|as2)$/.test(p))).toBe(true);
    // New users: one request per sampled user, in sample order, so none repeats within a run; each
    // mix has its own half of the sample.
    const users = (paths: string[]) => paths.map((p) => new URL(p, 'http://x').searchParams.get('user_id'));
    expect(users(a['/recommend (new users)'])).toEqual(['7', '8']);
    expect(users(a['/recommendations (new users)'])).toEqual(['9', '10']);
    expect(a['/get_actor'].some((p) => p.includes('hulu'))).toBe(false);
  });

  it('refuses to build mixes without titles or users', () => {
    expect(() => endpointMixes([], [1], [2])).toThrow(/needs titles and user ids/);
    expect(() => endpointMixes(titles, [1], [2])).toThrow(/needs titles and user ids/);
  });
});

describe('meanRun', () => {
  it('averages every field of the runs, to 0.1', () => {
    expect(meanRun([load(1000, 90), load(1501, 61)])).toEqual({ ...load(1250.5, 75.5), requests: 12505, p50Ms: 25.2, meanMs: 25.2 });
    expect(() => meanRun([])).toThrow(/at least one run/);
  });
});

describe('pooled', () => {
  it("makes one run of a lane's slices: answers over seconds, percentiles over every latency", () => {
    const slice = (ok: number, bad: number, duration: number, codes: Record<string, number>) =>
      ({
        '2xx': ok,
        non2xx: bad,
        duration,
        errors: 1,
        timeouts: 0,
        statusCodeStats: Object.fromEntries(Object.entries(codes).map(([c, count]) => [c, { count }])),
      }) as unknown as autocannon.Result;
    const latencies = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 .. 1 ms, in no order
    const run = pooled([slice(60, 0, 2, { 200: 60 }), slice(38, 2, 2, { 200: 38, 404: 1, 503: 1 })], latencies);
    expect(run).toEqual({
      requests: 100,
      seconds: 4,
      rps: 25,
      p50Ms: 50,
      p99Ms: 99,
      meanMs: 50.5,
      maxMs: 100,
      non2xx: 2,
      serverErrors: 1,
      errors: 2,
      timeouts: 0,
    });
  });
});

describe('loadInterleaved', () => {
  it("loads one server at a time, round after round, and pools each one's slices", async () => {
    // Three local servers, answering at once, after 20 ms and after 5 ms; each request is stamped with the lane it reached.
    const arrivals: number[] = [];
    const servers = [0, 20, 5].map((delayMs, lane) =>
      createServer((_request, response) => {
        arrivals.push(lane);
        setTimeout(() => response.end('ok'), delayMs);
      }),
    );
    for (const server of servers) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const urls = servers.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const [fast, slow, third] = await loadInterleaved(
        urls.map((url) => ({ url, paths: ['/a', '/b'] })),
        4,
        1,
        2,
      );
      // One lane at a time; the second round starts one lane further on.
      const turns = arrivals.filter((lane, i) => i === 0 || lane !== arrivals[i - 1]);
      expect(turns).toEqual([0, 1, 2, 1, 2, 0]);
      // Each lane's result is its own slices': every answer it counted reached its server.
      for (const [lane, run] of [fast, slow, third].entries()) {
        const reached = arrivals.filter((a) => a === lane).length;
        expect(run.requests).toBeGreaterThan(0);
        expect(run.requests).toBeLessThanOrEqual(reached);
        // autocannon stops on its once-a-second tick: a 1 s slice lasts 1 s, or 2 when the tick wins the race.
        expect(run.seconds).toBeGreaterThanOrEqual(1.9);
        expect(run.seconds).toBeLessThanOrEqual(4.2);
      }
      expect(slow.p50Ms).toBeGreaterThanOrEqual(20);
      expect(fast.p50Ms).toBeLessThan(20);
      expect(slow.rps).toBeLessThan(fast.rps);
    } finally {
      for (const server of servers) server.close();
    }
  });
});

describe('processGroupCpuSeconds', () => {
  it("counts the CPU of every live process in a group, the group leader's children included", async () => {
    // A detached shell leads its own group; its child burns 0.4 s of CPU (its own CPU clock, so a busy
    // machine only makes it take longer), says so, then both wait to be stopped.
    const burn =
      'const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3 }; ' +
      "while (cpu() < 400); process.stdout.write('burned\\n'); setTimeout(() => {}, 60000)";
    const leader = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(burn)} & wait`], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        leader.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('burned') && resolve());
        leader.on('exit', () => reject(new Error('the burner exited early')));
      });
      expect(processGroupCpuSeconds(leader.pid!)).toBeGreaterThanOrEqual(0.3);
      expect(processGroupCpuSeconds(2 ** 22 + 1)).toBe(0); // no such group
    } finally {
      process.kill(-leader.pid!, 'SIGKILL');
    }
  });
});

describe('loadTest', () => {
  it('only loads 127.0.0.1', async () => {
    await expect(loadTest('http://example.com:80', ['/'], 1, 1)).rejects.toThrow(/only target this machine/);
  });

  it('warms a mix by asking each of its paths once, and no more', async () => {
    const asked: string[] = [];
    const server = createServer((request, response) => {
      asked.push(request.url!);
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const paths = Array.from({ length: 150 }, (_, i) => `/p${i}`);
      await warmEveryPath(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths, 32);
      expect(asked.sort()).toEqual([...paths].sort());
    } finally {
      server.close();
    }
  });
});

describe('hotSpots', () => {
  it('sums self time per function and leaves idle time out', () => {
    const profile = {
      startTime: 0,
      endTime: 400,
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: 'hot', url: 'file:///x/a.ts', lineNumber: 3 } },
        { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
        { id: 4, callFrame: { functionName: 'warm', url: 'file:///x/b.ts', lineNumber: 1 } },
      ],
      samples: [2, 2, 2, 4, 3, 3],
      timeDeltas: [0, 1000, 1000, 1000, 1000, 5000],
    };
    const file = join(mkdtempSync(join(tmpdir(), 'bench-test-')), 'p.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    const { totalMs, spots } = hotSpots(file);
    expect(totalMs).toBe(4);
    expect(spots.map((s) => [s.function, s.selfMs, s.share])).toEqual([
      ['hot', 3, 0.75],
      ['warm', 1, 0.25],
    ]);
  });
});

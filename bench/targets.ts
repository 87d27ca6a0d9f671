// Pass/fail of the performance targets (the list) and of the growth rules, from whatever
// sections results.json holds.
import type { ApiResult, ApiScaleResult } from './api-bench';
import { type EndpointName, NEW_USER_MIXES } from './endpoint-mixes';
import type { LoadResult } from './load-test';
import type { LoaderRun } from './loader-stages';
import type { BenchResults, GrowthCheck, Target } from './results';

/**
 * What each gated endpoint must reach against hello-world sent the same requests in its group: a share of
 * hello-world's throughput and a p99 at most a multiple of its p99. Answers that are a lookup (the
 * catalog queries, a returning user's /recommend) sit at the ceiling; pages of titles and
 * recommendation lists, which carry more bytes, near it; new users, who cost a KV read of their
 * shard, are held to the earlier limits. (/health is reported only.)
 */
export const CEILING_TIERS: Record<string, { share: number; p99: number; endpoints: EndpointName[] }> = {
  lookup: { share: 0.9, p99: 1.2, endpoints: ['/get_max_duration', '/get_score_count', '/get_count_platform', '/get_actor', '/recommend'] },
  listing: { share: 0.8, p99: 1.5, endpoints: ['/titles', '/titles/{id}', '/recommendations', '/model'] },
  newUsers: { share: 0.5, p99: 1.5, endpoints: [...NEW_USER_MIXES] },
};
export const GATED_ENDPOINTS: EndpointName[] = Object.values(CEILING_TIERS).flatMap((t) => t.endpoints);

/**
 * The first request for each endpoint's data in a fresh isolate, as the code before the answer memo
 * read it (2026-12-03, 1x data, `npm run bench -- --only cpu`): KV reads and bytes may not grow.
 */
export const COLD_START_BASELINE: Partial<Record<EndpointName, { kvReads: number; kvBytes: number }>> = {
  '/get_max_duration': { kvReads: 1, kvBytes: 220492 },
  '/get_score_count': { kvReads: 1, kvBytes: 220492 },
  '/get_count_platform': { kvReads: 1, kvBytes: 220492 },
  '/get_actor': { kvReads: 1, kvBytes: 220492 },
  '/health': { kvReads: 1, kvBytes: 197 },
  '/recommend': { kvReads: 2, kvBytes: 7051429 },
  '/recommend (new users)': { kvReads: 2, kvBytes: 7059561 },
  '/recommendations': { kvReads: 2, kvBytes: 7055341 },
  '/recommendations (new users)': { kvReads: 2, kvBytes: 7062763 },
  // Re-measured 2026-12-04: the pre-memo worker (72a8f3f) on today's 1x data reads 3,159 B, as the
  // current code does; 3,046 was the stand-in model's report when it stopped after 3 epochs, not 4.
  '/model': { kvReads: 2, kvBytes: 3159 },
  '/titles': { kvReads: 2, kvBytes: 21902621 },
  '/titles/{id}': { kvReads: 2, kvBytes: 21902621 },
};

/** Cold-start KV bytes may exceed the baseline by this factor (see its check). */
const COLD_BYTES_SLACK = 1.005;

export const LIMITS = {
  /** KV reads a request for a user the isolate has not answered yet may make (the user's shard). */
  newUserKvReads: 1,
  rawToServingS: 120,
  ingestRowsPerS: 1_000_000,
  trainingS: 60,
  peakRssMiB: 1536,
  /** "Well under" the 128 MB isolate limit: at most half of it. */
  isolateMiB: 64,
  /** What the router may add to a request, as a share of the machine time a hello-world request takes. */
  routerShareOfHello: 0.02,
  /** Loader peak RSS at any scale: this much per rating read, plus a fixed allowance (code, catalog, wrangler). */
  rssBytesPerRating: 40,
  rssFixedMiB: 500,
  /** Loader total time at N times the ratings: at most N x this factor times the 1x time (10.5x at 10x). */
  timeOverLinear: 1.05,
};
/** Noise allowance on a shared machine: timings may exceed exact linear growth by this factor. */
export const GROWTH_TOLERANCE = 1.15;
/** Per-request figures count as flat when within this factor of 1x (latency), or equal up to rounding (operations). */
export const LATENCY_FLAT_TOLERANCE = 1.25;
const OPS_FLAT_TOLERANCE = 1.05;

export const TRAINING_STAGE = 'train recommender';
export const INGEST_STAGE = 'ingest ratings';

export function stageSeconds(run: LoaderRun, name: string): number | undefined {
  return run.stages.find((s) => s.name === name)?.seconds;
}

export function evaluateTargets(r: BenchResults): Target[] {
  const targets: Target[] = [];
  const add = (name: string, measured: number, limit: number, unit: string, atLeast = false, digits = 1) =>
    targets.push({
      name,
      measured: `${fmt(measured, digits)} ${unit}`,
      limit: `${atLeast ? '>=' : '<='} ${fmt(limit, digits)} ${unit}`,
      pass: atLeast ? measured >= limit : measured <= limit,
    });

  const apiRuns = [r.api, r.apiRepeat].filter((x): x is NonNullable<typeof x> => x !== undefined);
  apiRuns.forEach((api, i) => {
    const run = apiRuns.length > 1 ? `, run ${i + 1}` : '';
    for (const scale of api.scales) {
      for (const tier of Object.values(CEILING_TIERS)) {
        for (const endpoint of tier.endpoints) {
          const e = scale.endpoints[endpoint];
          if (!e) continue;
          const ceiling = ceilingOf(api, scale, endpoint);
          add(`${endpoint} throughput at ${scale.scale}x${run} (share of hello-world)`, e.rps / ceiling.rps, tier.share, 'x', true, 2);
          add(`${endpoint} p99 at ${scale.scale}x${run} (over hello-world p99)`, e.p99Ms / ceiling.p99Ms, tier.p99, 'x', false, 2);
        }
      }
      for (const endpoint of CEILING_TIERS.newUsers.endpoints) {
        const ops = scale.ops[endpoint];
        if (ops)
          add(
            `${endpoint} KV reads per request at ${scale.scale}x${run} (most in any request)`,
            ops.maxKvReads,
            LIMITS.newUserKvReads,
            '',
            false,
            0,
          );
      }
      const failing = Object.entries(scale.endpoints).filter(([, e]) => e.serverErrors + e.errors + e.timeouts > 0);
      targets.push({
        name: `answers under load at ${scale.scale}x${run}: no 5xx, connection errors or timeouts`,
        measured: failing.length ? failing.map(([name, e]) => `${name}: ${e.serverErrors + e.errors + e.timeouts}`).join(', ') : 'none',
        limit: 'none',
        pass: failing.length === 0,
      });
      add(
        `isolate memory at ${scale.scale}x${run} (live heap + buffers after all endpoints, GC'd)`,
        scale.isolate.totalMiB,
        LIMITS.isolateMiB,
        'MiB',
      );
    }
  });
  if (r.cpu) {
    for (const [endpoint, cold] of Object.entries(r.cpu.coldStart) as [EndpointName, { kvReads: number; kvBytes: number }][]) {
      const base = COLD_START_BASELINE[endpoint];
      if (!base) continue;
      add(`${endpoint} cold first request: KV reads`, cold.kvReads, base.kvReads, '', false, 0);
      // 0.5% of slack: the values hold the load's own numbers (the model report's training seconds,
      // whose digits vary run to run: /model read 3,048 B against 3,046), not more data.
      add(`${endpoint} cold first request: KV bytes`, cold.kvBytes, Math.ceil(base.kvBytes * COLD_BYTES_SLACK), 'B', false, 0);
    }
  }
  const routerShare = routerShareOfHello(r);
  if (routerShare !== undefined) {
    add(
      'itty-router: time it adds per request over a Map lookup (share of a hello-world request)',
      routerShare * 100,
      LIMITS.routerShareOfHello * 100,
      '%',
      false,
      2,
    );
  }
  if (r.e2e) {
    add('raw files to /health answering', r.e2e.seconds, LIMITS.rawToServingS, 's');
    add('peak RSS of the whole load (npm run load path)', r.e2e.loadPeakRssMiB, LIMITS.peakRssMiB, 'MiB', false, 0);
  }
  const one = r.loader?.runs.find((x) => x.scale === 1);
  if (one) {
    const ingest = stageSeconds(one, INGEST_STAGE);
    if (ingest) add('ingest rate at 1x', one.rows / ingest, LIMITS.ingestRowsPerS, 'rows/s', true, 0);
    const training = stageSeconds(one, TRAINING_STAGE);
    if (training !== undefined) add('training at 1x', training, LIMITS.trainingS, 's');
    add('peak RSS of any loader stage at 1x', one.peakRssMiB, LIMITS.peakRssMiB, 'MiB', false, 0);
  }
  for (const run of r.loader?.runs ?? []) {
    const allowedMiB = (LIMITS.rssBytesPerRating * run.rows) / 2 ** 20 + LIMITS.rssFixedMiB;
    add(
      `loader peak RSS at ${run.scale}x (${LIMITS.rssBytesPerRating} B a rating + ${LIMITS.rssFixedMiB} MiB)`,
      run.peakRssMiB,
      allowedMiB,
      'MiB',
      false,
      0,
    );
    if (one && run.scale > 1)
      add(
        `loader total time at ${run.scale}x over 1x`,
        run.totalSeconds / one.totalSeconds,
        (run.rows / one.rows) * LIMITS.timeOverLinear,
        'x',
        false,
        2,
      );
  }
  return targets;
}

export function evaluateGrowth(r: BenchResults): GrowthCheck[] {
  const checks: GrowthCheck[] = [];
  const runs = r.loader?.runs ?? [];
  const base = smallest(runs);
  if (base) {
    for (const run of runs.filter((x) => x.scale > base.scale)) {
      const rows = run.rows / base.rows;
      const allowed = round(rows * GROWTH_TOLERANCE);
      const check = (name: string, big: number, small: number) => {
        const ratio = round(big / small);
        checks.push({ name: `${name}, ${run.scale}x vs ${base.scale}x`, ratio, allowed, pass: ratio <= allowed });
      };
      check('loader total time', run.totalSeconds, base.totalSeconds);
      check('loader total CPU', sum(run.stages.map((s) => s.cpuSeconds)), sum(base.stages.map((s) => s.cpuSeconds)));
      check('loader peak RSS', run.peakRssMiB, base.peakRssMiB);
      for (const stage of base.stages) {
        const big = run.stages.find((s) => s.name === stage.name);
        // A stage's cost is its CPU time: on a shared machine the wall time of a few-second stage says more
        // about the neighbours than about the stage. Stages under a CPU second at the base scale are fixed
        // costs and timer noise.
        if (big && stage.cpuSeconds >= 1) check(`${stage.name} CPU`, big.cpuSeconds, stage.cpuSeconds);
      }
    }
  }
  const scales = r.api?.scales ?? [];
  const small = smallest(scales);
  if (small) {
    for (const large of scales.filter((s) => s.scale > small.scale)) {
      const endpoints = new Set([...Object.keys(large.endpoints), ...Object.keys(large.ops)] as EndpointName[]);
      for (const endpoint of endpoints) perRequest(checks, r.api!, endpoint, large, small);
    }
  }
  return checks;
}

/**
 * The router's added nanoseconds over what one hello-world request costs the machine under load
 * (all its CPUs over the requests they served per second): undefined without both measurements.
 */
export function routerShareOfHello(r: BenchResults): number | undefined {
  if (!r.router || !r.api) return undefined;
  const helloRequestNs = (r.machine.nproc * 1e9) / r.api.ceiling.rps;
  return Math.max(0, r.router.addedNs) / helloRequestNs;
}

/** The hello-world figures an endpoint is held to: its group's, or the mean of all in the oldest results. */
export function ceilingOf(api: ApiResult, scale: ApiScaleResult, endpoint: EndpointName): { rps: number; p50Ms: number; p99Ms: number } {
  return scale.ceilings?.[endpoint] ?? api.ceiling;
}

function smallest<T extends { scale: number }>(xs: T[]): T | undefined {
  return [...xs].sort((a, b) => a.scale - b.scale)[0];
}

function perRequest(checks: GrowthCheck[], api: ApiResult, endpoint: EndpointName, large: ApiScaleResult, small: ApiScaleResult): void {
  const at = `${large.scale}x vs ${small.scale}x`;
  const a = large.ops[endpoint];
  const b = small.ops[endpoint];
  if (a && b) {
    for (const [label, x, y] of [
      ['KV reads/request', a.kvReads, b.kvReads],
      ['KV bytes/request', a.kvBytes, b.kvBytes],
      ['D1 queries/request', a.d1Queries, b.d1Queries],
      ['D1 rows read/request', a.d1RowsRead, b.d1RowsRead],
    ] as const) {
      if (x === 0 && y === 0) continue;
      // From none to some is growth too (e.g. shards that all fit the isolate's cache at the small scale).
      const ratio = y === 0 ? null : round(x / y);
      checks.push({
        name: `${endpoint} ${label}, ${at}`,
        ratio,
        allowed: OPS_FLAT_TOLERANCE,
        pass: ratio !== null && ratio <= OPS_FLAT_TOLERANCE,
      });
    }
  }
  const la = large.endpoints[endpoint];
  const lb = small.endpoints[endpoint];
  if (la && lb) {
    // Each p50 over its ceiling's p50: the two scales run minutes apart on a shared machine,
    // and what must stay flat is the worker's cost, not the machine's speed.
    const relative = (l: LoadResult, scale: ApiScaleResult) => l.p50Ms / Math.max(ceilingOf(api, scale, endpoint).p50Ms, 1);
    const ratio = round(relative(la, large) / relative(lb, small));
    checks.push({
      name: `${endpoint} p50 latency over hello-world's, ${at}`,
      ratio,
      allowed: LATENCY_FLAT_TOLERANCE,
      pass: ratio <= LATENCY_FLAT_TOLERANCE,
    });
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function fmt(x: number, digits: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

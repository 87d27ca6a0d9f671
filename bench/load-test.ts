// Bounded, closed-loop load runs (scripts/http-load.ts), summarised for the bench's tables: one run, or
// several servers' runs interleaved in short slices and pooled per server.
import type autocannon from 'autocannon';
import { countsByStatus, runPaths } from '../scripts/http-load';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  non2xx: number;
  /** 5xx answers: the worker failed (4xx answers are the mix's expected misses). */
  serverErrors: number;
  errors: number;
  timeouts: number;
}

export async function loadTest(baseUrl: string, paths: string[], connections: number, durationS: number): Promise<LoadResult> {
  const result = await runPaths(baseUrl, paths, { connections, seconds: durationS });
  const done = result['2xx'] + result.non2xx;
  return {
    requests: done,
    seconds: result.duration,
    rps: Math.round((done / result.duration) * 10) / 10,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: Math.round(result.latency.average * 100) / 100,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    serverErrors: serverErrors(result),
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** One server and the request mix it is sent. */
export interface Lane {
  url: string;
  paths: string[];
}

/**
 * The lanes loaded in turn, `sliceS` seconds each, `rounds` times round (each round starting one lane
 * further on, so no lane always follows the same one), each lane's slices pooled into one result:
 * requests over seconds, percentiles over every answer's latency. Lanes measured this way see the
 * same minutes of the machine and age alike, so their ratio holds where runs minutes apart drift.
 */
export async function loadInterleaved(lanes: Lane[], connections: number, sliceS: number, rounds: number): Promise<LoadResult[]> {
  const slices = lanes.map(() => [] as autocannon.Result[]);
  const latencies = lanes.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < lanes.length; k++) {
      const lane = (round + k) % lanes.length;
      const { url, paths } = lanes[lane];
      slices[lane].push(await runPaths(url, paths, { connections, seconds: sliceS, latencies: latencies[lane] }));
    }
  }
  return lanes.map((_, lane) => pooled(slices[lane], latencies[lane]));
}

/** Slices of one lane as one run: their answers over their time, percentiles of all their latencies. */
export function pooled(slices: autocannon.Result[], latencies: number[]): LoadResult {
  const sum = (f: (r: autocannon.Result) => number) => slices.reduce((n, r) => n + f(r), 0);
  const requests = sum((r) => r['2xx'] + r.non2xx);
  const seconds = sum((r) => r.duration);
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => (sorted.length ? round1(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]) : 0);
  return {
    requests,
    seconds: round1(seconds),
    rps: round1(requests / seconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    meanMs: sorted.length ? Math.round((sorted.reduce((a, b) => a + b, 0) / sorted.length) * 100) / 100 : 0,
    maxMs: sorted.length ? round1(sorted[sorted.length - 1]) : 0,
    non2xx: sum((r) => r.non2xx),
    serverErrors: sum(serverErrors),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
  };
}

function serverErrors(result: autocannon.Result): number {
  return Object.entries(countsByStatus(result)).reduce((n, [code, count]) => n + (Number(code) >= 500 ? count : 0), 0);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Every path of the mix answered once (the answers are not measured): what a returning caller has already asked. */
export async function warmEveryPath(baseUrl: string, paths: string[], connections: number): Promise<void> {
  await runPaths(baseUrl, paths, { connections: Math.min(connections, paths.length), seconds: 60, requests: paths.length });
}

/** Field by field mean of runs (rates and latencies to 0.1). */
export function meanRun(runs: LoadResult[]): LoadResult {
  if (runs.length === 0) throw new Error('meanRun needs at least one run');
  const mean = (field: keyof LoadResult) => Math.round((runs.reduce((sum, r) => sum + r[field], 0) / runs.length) * 10) / 10;
  const fields = Object.keys(runs[0]) as (keyof LoadResult)[];
  return Object.fromEntries(fields.map((field) => [field, mean(field)])) as unknown as LoadResult;
}

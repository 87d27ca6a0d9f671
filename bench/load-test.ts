// One bounded, closed-loop load run (scripts/http-load.ts), summarised for the bench's tables.
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
    serverErrors: Object.entries(countsByStatus(result)).reduce((n, [code, count]) => n + (Number(code) >= 500 ? count : 0), 0),
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Every path of the mix answered once (the answers are not measured): what a returning caller has already asked. */
export async function warmEveryPath(baseUrl: string, paths: string[], connections: number): Promise<void> {
  await runPaths(baseUrl, paths, { connections: Math.min(connections, paths.length), seconds: 60, requests: paths.length });
}

/** Field by field mean of runs (rates and latencies to 0.1): the ceiling from the runs either side of an endpoint's. */
export function meanRun(runs: LoadResult[]): LoadResult {
  if (runs.length === 0) throw new Error('meanRun needs at least one run');
  const mean = (field: keyof LoadResult) => Math.round((runs.reduce((sum, r) => sum + r[field], 0) / runs.length) * 10) / 10;
  const fields = Object.keys(runs[0]) as (keyof LoadResult)[];
  return Object.fromEntries(fields.map((field) => [field, mean(field)])) as unknown as LoadResult;
}

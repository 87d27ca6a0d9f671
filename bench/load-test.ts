// One bounded, closed-loop load run with autocannon: `connections` clients, each sending its next request
// as soon as the previous answer arrives, for `durationS` seconds. The request paths are handed out
// from one shared cursor, so concurrent clients spread over the whole mix instead of marching in step.
import { createRequire } from 'node:module';

interface AutocannonResult {
  duration: number;
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonRequest {
  method: 'GET';
  setupRequest(request: { path: string }): { path: string };
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

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
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) throw new Error(`load tests run only against 127.0.0.1, not ${baseUrl}`);
  if (paths.length === 0) throw new Error('loadTest needs at least one path');
  let next = 0;
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: durationS,
    timeout: 10,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }) }],
  });
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
    serverErrors: Object.entries(result.statusCodeStats).reduce((n, [code, s]) => n + (Number(code) >= 500 ? s.count : 0), 0),
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Field by field mean of runs (rates and latencies to 0.1): the ceiling from the runs either side of an endpoint's. */
export function meanRun(runs: LoadResult[]): LoadResult {
  if (runs.length === 0) throw new Error('meanRun needs at least one run');
  const mean = (field: keyof LoadResult) => Math.round((runs.reduce((sum, r) => sum + r[field], 0) / runs.length) * 10) / 10;
  const fields = Object.keys(runs[0]) as (keyof LoadResult)[];
  return Object.fromEntries(fields.map((field) => [field, mean(field)])) as unknown as LoadResult;
}

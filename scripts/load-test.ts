// `npx tsx scripts/load-test.ts [--url http://127.0.0.1:8787] [--seconds 5] [--connections 16]`
// A bounded load test of a worker served on this machine (`npm run dev`): every endpoint the server
// documents in /openapi.json, called with its documented examples, plus deliberate 400s and 404s.
// Each request's status at idle is its expected status; under load any other status, any connection
// error or timeout counts against the run. Loopback addresses only: it never loads anything else.
import { isMainModule } from '../loader/cli';
import { checkLoopback, countsByStatus, runPaths } from './http-load';
import { parseArgs } from 'node:util';

export interface MixEntry {
  path: string;
  /** The status the server gave this request at idle. */
  expected: number;
}

export interface LoadOptions {
  seconds: number;
  connections: number;
}

export interface LoadReport {
  url: string;
  seconds: number;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  byStatus: Record<string, number>;
  /** Responses whose status differed from the one the same request got at idle. */
  unexpected: number;
  unexpectedExamples: { path: string; status: number; expected: number }[];
  /** Mix entries that got no answer at all during the run. */
  neverAnswered: string[];
}

/** Requests the mix adds on top of the documented examples: bad input and unknown things. */
const ERROR_REQUESTS = [
  '/get_score_count?platform=netflix&scored=3,5&year=2020',
  '/get_actor?platform=nope&year=2019',
  '/get_max_duration?year=2020.0',
  '/titles?limit=0',
  '/titles/zz0',
  '/no-such-endpoint',
];

interface OpenApiParameter {
  name: string;
  in: 'query' | 'path';
  required?: boolean;
  example?: unknown;
}

type OpenApiDocument = { paths: Record<string, { get?: { parameters?: OpenApiParameter[] } }> };

/**
 * Requests for each documented path, from the documented examples: every parameter, only the required
 * ones, and the required ones with each optional one in turn (alternatives such as movie_id or title
 * each get a valid request that way).
 */
function documentedRequests(document: OpenApiDocument): string[] {
  const requests = new Set<string>();
  for (const [template, item] of Object.entries(document.paths)) {
    const parameters = item.get?.parameters ?? [];
    let path = template;
    for (const p of parameters.filter((p) => p.in === 'path')) path = path.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
    const query = parameters.filter((p) => p.in === 'query' && p.example !== undefined);
    const required = query.filter((p) => p.required);
    const optional = query.filter((p) => !p.required);
    for (const set of [query, required, ...optional.map((p) => [...required, p])]) {
      const search = set.map((p) => `${p.name}=${encodeURIComponent(String(p.example))}`).join('&');
      requests.add(search ? `${path}?${search}` : path);
    }
  }
  return [...requests];
}

/** Bulk downloads (the whole catalog as CSV) are not the traffic a query API is sized for. */
const MAX_MIX_RESPONSE_BYTES = 1 << 20;

/**
 * The request mix for the server at `baseUrl`, each request with the status it gets at idle. Requests
 * answering more than 1 MiB are left out (`skipped`).
 */
export async function discoverMix(baseUrl: string): Promise<{ mix: MixEntry[]; skipped: string[] }> {
  checkLoopback(baseUrl);
  const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as OpenApiDocument;
  const mix: MixEntry[] = [];
  const skipped: string[] = [];
  for (const path of [...documentedRequests(document), ...ERROR_REQUESTS]) {
    const response = await fetch(`${baseUrl}${path}`);
    const bytes = (await response.arrayBuffer()).byteLength;
    if (response.status >= 500) throw new Error(`${path} answers ${response.status} before any load: fix that first`);
    if (bytes > MAX_MIX_RESPONSE_BYTES) skipped.push(path);
    else mix.push({ path, expected: response.status });
  }
  return { mix, skipped };
}

/**
 * Runs the mix against `baseUrl` for a bounded time. Connections take the mix's requests in turn from
 * one shared cursor, so every request is sent about equally often however slow some of them are.
 */
export async function runLoad(baseUrl: string, mix: MixEntry[], options: LoadOptions): Promise<LoadReport> {
  let unexpected = 0;
  const unexpectedExamples: LoadReport['unexpectedExamples'] = [];
  const answers = new Array<number>(mix.length).fill(0);
  const result = await runPaths(
    baseUrl,
    mix.map((m) => m.path),
    {
      ...options,
      onAnswer: (index, status) => {
        answers[index]++;
        const { path, expected } = mix[index];
        if (status === expected) return;
        unexpected++;
        if (unexpectedExamples.length < 10) unexpectedExamples.push({ path, status, expected });
      },
    },
  );
  return {
    url: baseUrl,
    seconds: result.duration,
    connections: options.connections,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    timeouts: result.timeouts,
    byStatus: countsByStatus(result),
    unexpected,
    unexpectedExamples,
    neverAnswered: mix.filter((_, i) => answers[i] === 0).map((m) => m.path),
  };
}

export function formatReport(r: LoadReport): string {
  const statuses = Object.entries(r.byStatus)
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  return (
    `load test ${r.url}: ${r.connections} connections for ${r.seconds.toFixed(1)} s: ${r.requests} requests, ` +
    `${r.requestsPerSecond} req/s, latency p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms; ` +
    `errors ${r.errors}, timeouts ${r.timeouts}, unexpected statuses ${r.unexpected}, requests never answered ${r.neverAnswered.length}; by status ${statuses}`
  );
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8787' },
      seconds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '16' },
    },
  });
  const url = values.url.replace(/\/$/, '');
  const run = async () => {
    const { mix, skipped } = await discoverMix(url);
    if (skipped.length > 0) console.log(`left out (answers over 1 MiB): ${skipped.join(', ')}`);
    const report = await runLoad(url, mix, { seconds: Number(values.seconds), connections: Number(values.connections) });
    console.log(formatReport(report));
    for (const u of report.unexpectedExamples) console.log(`  unexpected: ${u.path} answered ${u.status}, ${u.expected} at idle`);
    return report.errors + report.timeouts + report.unexpected + report.neverAnswered.length === 0 ? 0 : 1;
  };
  run().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`load test failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(2);
    },
  );
}

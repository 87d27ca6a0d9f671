/**
 * Where a request's CPU goes inside the worker's isolate, per endpoint, against hello-world's: each
 * endpoint's mix is sent for a few seconds to a fresh `wrangler dev` while the isolate's V8 profiler
 * samples, and the sampled time is divided by the requests answered. Self time is then grouped by
 * what the code does (parsing, lookup, JSON, hashing, request ids, headers, Response, routing).
 *
 * The isolate's profile does not see wrangler's proxy, workerd's HTTP handling or the client: it says
 * what the worker's own code costs per request, which is the part this repository can cut.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTest } from './load-test';
import { startIsolateProfile } from './inspector';
import { PROFILE_DIR } from './paths';
import { MAIN_CONFIG, startBenchDev, type DevOptions } from './dev-server';

/** What the isolate spent per request, µs, by category (self time of the sampled functions). */
export interface IsolateCpu {
  requests: number;
  /** All sampled time but idle, per request (JS, GC and the runtime's native work on the isolate's thread). */
  totalUs: number;
  byCategory: Record<Category, number>;
}

export const CATEGORIES = [
  'memo',
  'context',
  'parsing',
  'lookup',
  'json',
  'hashing',
  'requestIds',
  'headers',
  'response',
  'routing',
  'gc',
  'runtime',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

// Function name (and, for a few, module) patterns per category, first match wins. Names are those of
// this repository's worker and of the V8/workerd builtins a profile shows.
const RULES: [Category, RegExp][] = [
  ['memo', /^(answerRemembered|answerFromMemo|problemFromMemo|memoGeneration|pointerGeneration|toRemember|remember|weigh)$/],
  ['context', /^(Context|createContext|readPointer\d*|trustedPointer|get url|fetchPointer)$/],
  ['requestIds', /^(randomUUID|requestIdFor|freshRequestId|getRandomValues)$/],
  ['hashing', /^(hash64Hex|makeEtag)$/],
  ['json', /^(stringify|parse|JSON\.\w+|jsonResponse)$/],
  ['headers', /^(Headers|set|get|has|append|delete|commonHeaders|corsHeaders|entries|withMutableHeaders|get headers)$/],
  ['response', /^(Response|finishResponse|text|arrayBuffer|cancel|get body)$/],
  ['routing', /^(fetch|route|Router|dispatch|buildRouter|handleRequest|exec|match|replace)$|itty/],
  [
    'parsing',
    /^(URL|URLSearchParams|get searchParams|get pathname|get search|searchParams|parseParams|canonicalQuery|decodeURIComponent|normalizeName|normalize|toLowerCase|trim|test|split|decodedPathParams|parse\w*)$/,
  ],
];

/** Self time per node, µs: the delta after each sample belongs to the sampled node. */
function selfTimes(profile: Profile): Map<number, number> {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + (deltas[i + 1] ?? 0));
  return self;
}

export function categorise(path: string, requests: number): IsolateCpu {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  let total = 0;
  for (const [id, us] of selfTimes(profile)) {
    const node = profile.nodes.find((n) => n.id === id)!;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(root)') continue;
    total += us;
    let category: Category;
    if (functionName === '(garbage collector)') category = 'gc';
    else if (functionName === '(program)') category = 'runtime';
    // Whatever else runs in the worker's own script is the endpoint's lookup; unnamed runtime code is other.
    else category = RULES.find(([, pattern]) => pattern.test(functionName) || pattern.test(url))?.[0] ?? (url ? 'lookup' : 'other');
    byCategory[category] += us;
  }
  const per = (us: number) => Math.round((us / requests) * 10) / 10;
  return {
    requests,
    totalUs: per(total),
    byCategory: Object.fromEntries(CATEGORIES.map((c) => [c, per(byCategory[c])])) as Record<Category, number>,
  };
}

/** Profiles one server answering `paths` (closed loop, `connections`, `seconds`) after a short warm-up. */
export async function profileIsolate(
  options: DevOptions,
  label: string,
  paths: string[],
  seconds: number,
  connections = 8,
): Promise<IsolateCpu> {
  // The profile is grouped by function name, which a minified bundle (wrangler.toml) does not keep.
  const server = await startBenchDev({ ...options, extraArgs: [...(options.extraArgs ?? []), '--minify=false'] });
  try {
    await loadTest(server.url, paths, connections, 1);
    mkdirSync(PROFILE_DIR, { recursive: true });
    const out = join(PROFILE_DIR, `isolate-${label.replace(/[^a-z0-9]+/gi, '_')}.cpuprofile`);
    const stop = await startIsolateProfile(server.inspectorPort, out);
    const run = await loadTest(server.url, paths, connections, seconds);
    await stop();
    return categorise(out, run.requests);
  } finally {
    await server.stop();
  }
}

/** The first request for an endpoint's data in a fresh isolate: what it read from KV, and how long it took. */
export interface ColdStart {
  status: number;
  kvReads: number;
  kvBytes: number;
  d1Queries: number;
  ms: number;
}

/**
 * Each endpoint's first request on its own fresh server (the counting entry, bench/ops-counter.js).
 * The readiness probe asks for /openapi.json, which reads only the live pointer and its manifest: the
 * request measured is the first to need the endpoint's own data.
 */
export async function coldStarts(persistTo: string, firstPaths: [string, string][], logFile: string): Promise<Record<string, ColdStart>> {
  const result: Record<string, ColdStart> = {};
  for (const [name, path] of firstPaths) {
    const server = await startBenchDev({
      config: MAIN_CONFIG,
      script: 'bench/ops-counter.js',
      persistTo,
      logFile,
      readyPath: '/openapi.json',
    });
    try {
      const t0 = performance.now();
      const response = await fetch(server.url + path);
      await response.arrayBuffer();
      const ms = Math.round((performance.now() - t0) * 10) / 10;
      const ops = JSON.parse(response.headers.get('X-Bench-Ops') ?? '{}') as { kvReads: number; kvBytes: number; d1Queries: number };
      result[name] = { status: response.status, kvReads: ops.kvReads, kvBytes: ops.kvBytes, d1Queries: ops.d1Queries, ms };
    } finally {
      await server.stop();
    }
  }
  return result;
}

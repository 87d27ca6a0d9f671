// What routing costs per request: the worker's router (itty-router) against the Map from path to
// endpoint it replaced, in the same process and run. Both route the same requests to the same
// endpoints, each a stub that answers through the real runEndpoint (headers, ETag, Response), so the
// difference between the two figures is the router's own cost: itty-router parses the URL a second
// time, builds a query object and tries each route's regex in turn; the Map did one lookup.
// Node's V8, not workerd's: close enough for a per-request difference of microseconds.
//
// Run as its own process by `npm run bench -- --only router` (it prints one JSON line), with
// bench/text-modules.mjs loading the UI's files as text, as wrangler does. It is type-checked
// with the worker's code (tsconfig.json), not with the bench's Node code, since it runs worker modules.
import { defineEndpoint, runEndpoint, type Endpoint } from '../worker/endpoint';
import { preflightResponse, type RequestContext } from '../worker/http';
import { ProblemError } from '../worker/problem';
import { buildRouter, ENDPOINTS } from '../worker/router';

/** Requests as apps send them: every endpoint, a path parameter, a trailing slash and a miss. */
const URLS = [
  '/get_max_duration?year=2018&platform=netflix&duration_type=min',
  '/get_score_count?platform=disney&scored=3.2&year=2011',
  '/get_count_platform?platform=Amazon%20Prime',
  '/get_actor?platform=netflix&year=2019',
  '/recommend?user_id=1&movie_id=as680',
  '/recommendations?user_id=1&k=3&platform=disney',
  '/model',
  '/titles?platform=hulu&type=movie&year_from=2015&year_to=2018&limit=20',
  '/titles/ns4254',
  '/titles.csv?platform=disney',
  '/health/',
  '/openapi.json',
  '/eda',
  '/nowhere?x=1',
].map((path) => `http://127.0.0.1:8787${path}`);

/** Every endpoint's path and path parameters, answering a constant through the real runEndpoint. */
function stubEndpoints(): Endpoint[] {
  return ENDPOINTS.map((endpoint) =>
    defineEndpoint({
      ...endpoint,
      params: {},
      handle: async () => ({ body: { ok: true }, etagSource: endpoint.path }),
    }),
  );
}

/** The routing the worker had before itty-router (fixed paths in a Map, a regex for `/titles/:id`). */
function mapRouter(endpoints: readonly Endpoint[]) {
  type Handle = (ctx: RequestContext, params: Record<string, string>) => Promise<Response> | Response;
  const exact = new Map<string, Handle>();
  const patterned: { pattern: RegExp; name: string; handle: Handle }[] = [];
  for (const endpoint of endpoints) {
    const handle: Handle = (ctx, params) => {
      if (ctx.request.method === 'GET' || ctx.request.method === 'HEAD') return runEndpoint(endpoint, ctx, params);
      return preflightResponse();
    };
    if (!endpoint.path.includes('/:')) exact.set(endpoint.path, handle);
    else {
      const source = `^${endpoint.path.replace(/\./g, '\\.').replace(/\/:\w+/g, '/([^/]+)')}$`;
      patterned.push({ pattern: new RegExp(source), name: endpoint.path.split(':')[1], handle });
    }
  }
  return {
    async fetch(ctx: RequestContext): Promise<Response> {
      try {
        const path = ctx.url.pathname.length > 1 ? ctx.url.pathname.replace(/\/+$/, '') : ctx.url.pathname;
        const fixed = exact.get(path);
        if (fixed) return await fixed(ctx, {});
        for (const route of patterned) {
          const match = route.pattern.exec(path);
          if (match) return await route.handle(ctx, { [route.name]: match[1] });
        }
        throw new ProblemError('routeNotFound', 'no such endpoint');
      } catch {
        return new Response(null, { status: 404 });
      }
    },
  };
}

function contexts(): RequestContext[] {
  const env = {} as Env;
  return URLS.map((url) => {
    const request = new Request(url);
    return { request, url: new URL(url), env, requestId: 'bench', pointer: null };
  });
}

async function timeRounds(route: (ctx: RequestContext) => Promise<Response>, ctxs: RequestContext[], rounds: number): Promise<number> {
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const ctx of ctxs) {
      const response = await route(ctx);
      if (response.status >= 500) throw new Error(`${ctx.url.pathname}: ${response.status}`);
    }
  }
  return ((performance.now() - t0) * 1e6) / (rounds * ctxs.length);
}

/** Alternates the two routers over several trials and keeps each one's best, so a noisy moment hurts neither. */
async function measureRouterCost(rounds = 20_000, trials = 5) {
  const endpoints = stubEndpoints();
  const itty = buildRouter(endpoints);
  const map = mapRouter(endpoints);
  const ctxs = contexts();
  // Both must route alike before their times mean anything.
  for (const ctx of ctxs) {
    const [a, b] = [await itty.fetch(ctx), await map.fetch(ctx)];
    if (a.status !== b.status) throw new Error(`${ctx.url.pathname}: itty-router answers ${a.status}, the Map ${b.status}`);
  }
  await timeRounds((c) => itty.fetch(c), ctxs, rounds / 4);
  await timeRounds((c) => map.fetch(c), ctxs, rounds / 4);
  let mapNs = Infinity;
  let ittyNs = Infinity;
  for (let t = 0; t < trials; t++) {
    mapNs = Math.min(mapNs, await timeRounds((c) => map.fetch(c), ctxs, rounds / trials));
    ittyNs = Math.min(ittyNs, await timeRounds((c) => itty.fetch(c), ctxs, rounds / trials));
  }
  const round = (x: number) => Math.round(x);
  return { mapNs: round(mapNs), ittyNs: round(ittyNs), addedNs: round(ittyNs - mapNs), requests: ctxs.length, rounds };
}

console.log(JSON.stringify(await measureRouterCost()));

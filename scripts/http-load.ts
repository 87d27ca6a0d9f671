// The one autocannon wrapper, shared by `npm run bench` (bench/load-test.ts) and the load-test command
// (scripts/load-test.ts): a bounded, closed-loop run against this machine only. `connections` clients
// each send their next request as soon as the previous answer arrives, for `seconds`; the paths are
// handed out from one shared cursor, so concurrent clients spread over the whole mix instead of
// marching in step, and every path is sent about equally often however slow some are.
import autocannon from 'autocannon';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Refuses any target that is not this machine. */
export function checkLoopback(url: string): URL {
  const parsed = new URL(url);
  if (!LOOPBACK.test(parsed.hostname))
    throw new Error(`load tests only target this machine (127.0.0.0/8, localhost, [::1]), not ${parsed.hostname}`);
  return parsed;
}

export interface MixRun {
  connections: number;
  seconds: number;
  /** Stop after this many answers instead of after `seconds` (e.g. one pass over the mix). */
  requests?: number;
  /** Called with the index of the path answered and the answer's status. */
  onAnswer?: (index: number, status: number) => void;
  /** Each answer's latency, ms, pushed as it arrives (to pool the percentiles of several runs). */
  latencies?: number[];
}

export async function runPaths(baseUrl: string, paths: string[], run: MixRun): Promise<autocannon.Result> {
  checkLoopback(baseUrl);
  if (paths.length === 0) throw new Error('the request mix is empty');
  if (!(run.seconds > 0 && run.seconds <= 60)) throw new Error('seconds must be in (0, 60]');
  if (!(run.connections >= 1 && run.connections <= 256)) throw new Error('connections must be in 1..256');
  if (run.requests !== undefined && !(Number.isInteger(run.requests) && run.requests >= 1 && run.requests <= 1_000_000))
    throw new Error('requests must be an integer in 1..1,000,000');
  let cursor = 0;
  // Called without a callback, autocannon returns its tracker (an EventEmitter) made thenable.
  const tracker = autocannon({
    url: baseUrl,
    connections: run.connections,
    duration: run.seconds,
    // autocannon stops at `amount` answers when it is given, whatever the duration.
    ...(run.requests !== undefined ? { amount: run.requests } : {}),
    timeout: 10,
    requests: [
      {
        method: 'GET',
        setupRequest: (request, context: { entry?: number }) => {
          // A connection has one request in flight at a time, so its context names the one answered next.
          context.entry = cursor++ % paths.length;
          return { ...request, path: paths[context.entry] };
        },
        onResponse: (status, _body, context: { entry?: number }) => run.onAnswer?.(context.entry!, status),
      },
    ],
  }) as Promise<autocannon.Result> & NodeJS.EventEmitter;
  const latencies = run.latencies;
  // The event passes the client first (as autocannon's README says; the typings leave it out).
  if (latencies) tracker.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  return tracker;
}

/** Answers by status code, e.g. {"200": 812, "404": 40}. */
export function countsByStatus(result: autocannon.Result): Record<string, number> {
  return Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, s]) => [status, s?.count ?? 0]));
}

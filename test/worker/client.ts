// Calls the worker exactly as a client would: through its exported fetch handler, with real bindings.
import { env, exports } from 'cloudflare:workers';
import {
  claimedLive,
  CURRENT_KEY,
  goLive,
  manifestKey,
  writersLive,
  type DataPointer,
  type LivePointer,
  type Manifest,
} from '../../contract';
import worker from '../../worker/index';
import type { KVReader } from '../../worker/data';
import type { InvalidParam, ProblemBody } from '../../worker/problem';

export const ORIGIN = 'http://worker.test';

export function get(pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${pathAndQuery}`, init));
}

/** The problem body of an error response, after checking it is one. */
export async function problemOf(response: Response): Promise<ProblemBody> {
  if (response.headers.get('Content-Type') !== 'application/problem+json') {
    throw new Error(`expected problem+json, got ${response.status} ${response.headers.get('Content-Type')}`);
  }
  return response.json<ProblemBody>();
}

export async function invalidParamsOf(response: Response): Promise<InvalidParam[]> {
  const problem = await problemOf(response);
  if (problem.status !== 400) throw new Error(`expected 400, got ${problem.status}: ${problem.detail}`);
  return problem.invalid_params ?? [];
}

/**
 * The worker's exported fetch handler called directly, for tests making thousands of requests: the
 * test runner's loopback to the main worker costs ~5-50 ms a call, this well under 1 ms.
 */
export async function callWorker(pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
  const request = new Request(`${ORIGIN}${pathAndQuery}`, init) as Request<unknown, IncomingRequestCfProperties>;
  return await worker.fetch(request, env);
}

/** The live version as writers resolve it: D1's claim, then the manifest it names. */
export async function livePointer(): Promise<DataPointer> {
  const pointer = await writersLive({ kv: env.KV, db: env.DB });
  if (!pointer) throw new Error('nothing published');
  return pointer;
}

/** Puts a kept version back live through the writers' protocol (as a rollback does), over whatever is live. */
export async function putLive(manifest: Manifest): Promise<DataPointer> {
  return goLive({ kv: env.KV, db: env.DB }, manifest, (await claimedLive(env.DB))?.version ?? null);
}

/** Makes a manifest the live version as a publish does (manifest first, then the pointer); returns the pointer text. */
export async function pointAt(manifest: Manifest, publishedAt = new Date().toISOString()): Promise<string> {
  await env.KV.put(manifestKey(manifest.version), JSON.stringify(manifest));
  const pointer = JSON.stringify({ version: manifest.version, published_at: publishedAt } satisfies LivePointer);
  await env.KV.put(CURRENT_KEY, pointer);
  return pointer;
}

/** The real KV binding with every read recorded, and optionally some answers replaced. */
export function recordingKV(override?: (key: string, real: Promise<unknown>) => Promise<unknown>): {
  kv: KVNamespace & KVReader;
  reads: string[];
} {
  const reads: string[] = [];
  const kv = new Proxy(env.KV as KVNamespace & KVReader, {
    get(target, property) {
      if (property === 'get') {
        return (key: string, options: never) => {
          reads.push(key);
          const real = target.get(key, options) as Promise<unknown>;
          return override ? override(key, real) : real;
        };
      }
      const member = Reflect.get(target, property);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
  return { kv, reads };
}

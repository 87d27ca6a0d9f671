// POST /ratings as a client sends it, and the fold as the cron runs it, for the ingest and fold tests.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { clearDataCache } from '../../worker/data';
import { runFold, type FoldOptions, type FoldResult } from '../../worker/fold';
import worker from '../../worker/index';
import type { IngestReceipt } from '../../worker/ingest';
import { clearModelCache } from '../../worker/recommend-data';
import { ORIGIN } from './client';

export const TOKEN = env.INGEST_TOKEN!;

export interface RatingInput {
  userId: unknown;
  movieId: unknown;
  rating: unknown;
  timestamp?: unknown;
}

export function postRatings(
  body: unknown,
  options: { key?: string | null; token?: string | null; contentType?: string; raw?: BodyInit; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': options.contentType ?? 'application/json', ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const key = options.key === undefined ? crypto.randomUUID() : options.key;
  if (key !== null) headers['Idempotency-Key'] = key;
  return exports.default.fetch(new Request(`${ORIGIN}/ratings`, { method: 'POST', headers, body: options.raw ?? JSON.stringify(body) }));
}

/** Posts and insists on a 202. */
export async function queue(ratings: RatingInput[]): Promise<IngestReceipt> {
  const response = await postRatings(ratings);
  if (response.status !== 202) throw new Error(`POST /ratings: ${response.status} ${await response.text()}`);
  return response.json<IngestReceipt>();
}

export { livePointer } from './client';

/** One fold, with the worker's caches forgotten afterwards so requests see the new version. */
export async function fold(options: FoldOptions = {}): Promise<FoldResult> {
  try {
    return await runFold(env, options);
  } finally {
    clearDataCache();
    clearModelCache();
  }
}

/** Folds until nothing is pending. */
export async function drain(): Promise<FoldResult[]> {
  const results: FoldResult[] = [];
  for (;;) {
    const result = await fold();
    results.push(result);
    if (result.status !== 'folded') return results;
  }
}

/** The worker's scheduled handler, invoked the way the cron trigger invokes it. */
export async function cronTick(): Promise<void> {
  const ctx = createExecutionContext();
  const handler: ExportedHandler<Env> = worker; // called as the runtime calls it, with all three arguments
  await handler.scheduled!(createScheduledController({ cron: '*/5 * * * *', scheduledTime: Date.now() }), env, ctx);
  await waitOnExecutionContext(ctx);
  clearDataCache();
  clearModelCache();
}

// The request mix each endpoint is loaded with: distinct, valid requests drawn with a fixed seed from
// the real catalog and from user ids found in the rating files. A mix of a few hundred requests comes
// round again every few hundred requests, as returning users and popular queries do; the "new users"
// mixes are long enough that no request repeats within a run, so each asks for a user the isolate
// has not answered yet and costs a KV read of the user's shard (heavy raters still come up more often).
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PLATFORMS, type Title } from '../contract';

export const ENDPOINT_ORDER = [
  '/get_max_duration',
  '/get_score_count',
  '/get_count_platform',
  '/get_actor',
  '/health',
  '/recommend',
  '/recommend (new users)',
  '/recommendations',
  '/recommendations (new users)',
  '/model',
  '/titles',
  '/titles/{id}',
] as const;
export type EndpointName = (typeof ENDPOINT_ORDER)[number];

const MIX_SIZE = 400;
/** More than a server answers in a second here (hello-world tops out near 1,400 req/s on one core). */
const MOST_REQUESTS_PER_SECOND = 2_500;

/**
 * User ids to sample for the two "new users" mixes, each of which takes its own half: enough that a
 * server loaded for `seconds` (warm-up included) never comes round to a user it has answered. (The
 * bench of 2026-12-04 16:08 loaded each server for 31 s with 20,000-request mixes: its new-users rows
 * include repeats.)
 */
export function newUserSample(seconds: number): number {
  return 2 * Math.max(1000, Math.ceil(seconds * MOST_REQUESTS_PER_SECOND));
}

/** The two mixes of first-time callers: measured cold, where every other mix is measured warm. */
export const NEW_USER_MIXES: ReadonlySet<EndpointName> = new Set(['/recommend (new users)', '/recommendations (new users)']);

/** The URL path an endpoint's mix asks: its name without the "(new users)" variant or a {placeholder}. */
export function endpointPath(endpoint: EndpointName): string {
  return endpoint.replace(/ \(.*\)$/, '').replace(/\{[a-z]+\}$/, '');
}

/** mulberry32: small, seeded, good enough to pick requests. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * `userIds`: a few hundred users who come back; `newUserIds`: a long sample, whose first half makes
 * the "/recommend (new users)" mix and second half the "/recommendations (new users)" one.
 */
export function endpointMixes(titles: Title[], userIds: number[], newUserIds: number[], seed = 7): Record<EndpointName, string[]> {
  if (titles.length === 0 || userIds.length === 0 || newUserIds.length < 2) throw new Error('endpointMixes needs titles and user ids');
  const half = Math.floor(newUserIds.length / 2);
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const many = (make: () => string, n = MIX_SIZE) => Array.from({ length: n }, make);
  const years = Array.from({ length: 22 }, (_, i) => 2000 + i);
  const maybe = <T>(x: T, p = 0.5): T | undefined => (random() < p ? x : undefined);
  const words = (t: Title) =>
    t.title
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length >= 3);
  const withWords = titles.filter((t) => words(t).length > 0);

  return {
    '/get_max_duration': many(
      () =>
        `/get_max_duration${query({ year: maybe(pick(years), 0.7), platform: maybe(pick(PLATFORMS), 0.7), duration_type: pick(['min', 'season']) })}`,
    ),
    '/get_score_count': many(
      () =>
        `/get_score_count${query({ platform: pick(PLATFORMS), scored: (2.5 + Math.floor(random() * 21) / 10).toFixed(1), year: pick(years) })}`,
    ),
    '/get_count_platform': PLATFORMS.map((p) => `/get_count_platform${query({ platform: p })}`),
    // Hulu has no cast data at all (always 404), so the mix asks the platforms that can answer.
    '/get_actor': many(() => `/get_actor${query({ platform: pick(['amazon', 'disney', 'netflix']), year: pick(years) })}`),
    '/health': ['/health'],
    '/recommend': many(() => `/recommend${query({ user_id: pick(userIds), movie_id: pick(titles).id })}`),
    '/recommend (new users)': newUserIds.slice(0, half).map((user_id) => `/recommend${query({ user_id, movie_id: pick(titles).id })}`),
    '/recommendations': many(() => `/recommendations${query({ user_id: pick(userIds), k: 10, platform: maybe(pick(PLATFORMS), 0.6) })}`),
    '/recommendations (new users)': newUserIds
      .slice(half)
      .map((user_id) => `/recommendations${query({ user_id, k: 10, platform: maybe(pick(PLATFORMS), 0.6) })}`),
    '/model': ['/model'],
    '/titles': many(() => {
      const r = random();
      if (r < 0.2) return `/titles${query({ q: pick(words(pick(withWords))) })}`;
      if (r < 0.4) return `/titles${query({ title_prefix: words(pick(withWords))[0] })}`;
      const from = pick(years);
      return `/titles${query({ platform: maybe(pick(PLATFORMS), 0.8), type: maybe(pick(['movie', 'tv show']), 0.5), year_from: maybe(from), year_to: maybe(from + 3), limit: pick([10, 20, 50]) })}`;
    }),
    '/titles/{id}': many(() => `/titles/${encodeURIComponent(pick(titles).id)}`),
  };
}

/** User ids read at spread-out offsets of the rating files (so heavy raters come up more often, as in traffic). */
export async function sampleUserIds(dir: string, count = 600, seed = 11): Promise<number[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+\.csv$/.test(f)).map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`no rating files in ${dir}`);
  const random = rng(seed);
  const ids: number[] = [];
  const buffer = Buffer.alloc(256);
  for (let i = 0; i < count; i++) {
    const handle = await open(files[i % files.length], 'r');
    try {
      const { size } = await handle.stat();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, Math.floor(random() * Math.max(1, size - buffer.length)));
      const lines = buffer.subarray(0, bytesRead).toString('latin1').split('\n');
      const id = Number(lines[1]?.split(',')[0]);
      if (lines.length > 2 && Number.isInteger(id) && id > 0) ids.push(id);
    } finally {
      await handle.close();
    }
  }
  return ids;
}

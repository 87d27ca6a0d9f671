// POST /ratings on the published real catalog: authentication, idempotency, the loader's row rules,
// limits, and exactly what lands in D1.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MIN_TIMESTAMP } from '../../contract/ratings';
import { bearerMatches, type IngestReceipt } from '../../worker/ingest';
import { MAX_BODY_BYTES, MAX_RATINGS_PER_BATCH } from '../../worker/ingest-validate';
import { handleRequest } from '../../worker/router';
import { testBundle } from './bundle-transport';
import { ORIGIN, problemOf } from './client';
import { livePointer, postRatings, queue, TOKEN } from './ingest-client';

const bundle = await testBundle();
const movieIds = bundle.titles.map((t) => t.id);
const [A, B, C] = movieIds;

interface StoredRating {
  id: number;
  user_id: number;
  movie_id: string;
  halves: number;
  timestamp: number;
}

async function storedCount(): Promise<number> {
  return (await env.DB.prepare('SELECT COUNT(*) AS n FROM pending_ratings').first<{ n: number }>())!.n;
}

async function storedRange(first: number, last: number): Promise<StoredRating[]> {
  const { results } = await env.DB.prepare(
    'SELECT id, user_id, movie_id, halves, timestamp FROM pending_ratings WHERE id BETWEEN ?1 AND ?2 ORDER BY id',
  )
    .bind(first, last)
    .all<StoredRating>();
  return results;
}

describe('POST /ratings: accepted batches', () => {
  it('stores a valid batch in body order and answers 202 with the count and the watermark', async () => {
    const before = await storedCount();
    const ratings = [
      { userId: 17, movieId: A, rating: 4.5, timestamp: 1_425_941_529 },
      { userId: 17, movieId: B, rating: 0.5, timestamp: 1_425_941_530 },
      { userId: 900_001, movieId: C, rating: 5 },
    ];
    const t0 = Math.floor(Date.now() / 1000);
    const response = await postRatings(ratings, { key: 'batch-accepted-1' });
    expect(response.status).toBe(202);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(response.headers.get('X-Data-Version')).toBe((await livePointer()).version);
    const receipt = await response.json<IngestReceipt>();
    expect(receipt).toMatchObject({
      status: 'queued',
      idempotency_key: 'batch-accepted-1',
      queued: 3,
      catalog_version: (await livePointer()).version,
    });
    expect(receipt.watermark - receipt.first_id).toBe(2);
    expect(await storedCount()).toBe(before + 3);

    const stored = await storedRange(receipt.first_id, receipt.watermark);
    expect(stored.map((r) => [r.user_id, r.movie_id, r.halves])).toEqual([
      [17, A, 9],
      [17, B, 1],
      [900_001, C, 10],
    ]);
    expect(stored.slice(0, 2).map((r) => r.timestamp)).toEqual([1_425_941_529, 1_425_941_530]);
    // No timestamp: the time it arrived.
    expect(stored[2].timestamp).toBeGreaterThanOrEqual(t0);
    expect(stored[2].timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('accepts {"ratings": [...]}, numbers or the loader\'s text forms, and duplicates (every row counts)', async () => {
    const receipt = await queue([
      { userId: '0042', movieId: A, rating: '03.5' },
      { userId: 42, movieId: A, rating: 3.5 },
    ]);
    expect(receipt.queued).toBe(2);
    const wrapped = await postRatings({ ratings: [{ userId: 42, movieId: B, rating: 2, timestamp: null }] });
    expect(wrapped.status).toBe(202);
    const stored = await storedRange(receipt.first_id, (await wrapped.json<IngestReceipt>()).watermark);
    expect(stored.map((r) => [r.user_id, r.movie_id, r.halves])).toEqual([
      [42, A, 7],
      [42, A, 7],
      [42, B, 4],
    ]);
  });

  it(`takes ${MAX_RATINGS_PER_BATCH} ratings in one batch`, async () => {
    const ratings = Array.from({ length: MAX_RATINGS_PER_BATCH }, (_, i) => ({
      userId: 5_000 + (i % 37),
      movieId: movieIds[i * 7],
      rating: 0.5 + (i % 10) / 2,
    }));
    const receipt = await queue(ratings);
    expect(receipt.queued).toBe(MAX_RATINGS_PER_BATCH);
    const stored = await storedRange(receipt.first_id, receipt.watermark);
    expect(stored).toHaveLength(MAX_RATINGS_PER_BATCH);
    expect(stored.map((r) => r.movie_id)).toEqual(ratings.map((r) => r.movieId));
    expect(stored.map((r) => r.halves / 2)).toEqual(ratings.map((r) => r.rating));
  });
});

describe('POST /ratings: idempotency', () => {
  it('a replay with the same key and body answers the original 202 and stores nothing more', async () => {
    const ratings = [{ userId: 7, movieId: A, rating: 3 }];
    const first = await postRatings(ratings, { key: 'replay-key' });
    const original = await first.json<IngestReceipt>();
    const count = await storedCount();
    const again = await postRatings(ratings, { key: 'replay-key' });
    expect(again.status).toBe(202);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(original);
    expect(await storedCount()).toBe(count);
  });

  it('the same key with another body is refused with 422, and nothing is stored', async () => {
    await postRatings([{ userId: 8, movieId: A, rating: 3 }], { key: 'reused-key' });
    const count = await storedCount();
    const response = await postRatings([{ userId: 8, movieId: A, rating: 3.5 }], { key: 'reused-key' });
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.type).toBe('/problems/idempotency-key-reused');
    expect(problem.detail).toContain('reused-key');
    expect(await storedCount()).toBe(count);
  });

  it('concurrent posts with one key store the batch once', async () => {
    const ratings = [{ userId: 9, movieId: B, rating: 4 }];
    const count = await storedCount();
    const responses = await Promise.all(Array.from({ length: 5 }, () => postRatings(ratings, { key: 'race-key' })));
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    const bodies = await Promise.all(responses.map((r) => r.json<IngestReceipt>()));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(await storedCount()).toBe(count + 1);
  });

  it('requires an Idempotency-Key of visible ASCII', async () => {
    for (const key of [null, '', 'has space', 'tab\there', 'x'.repeat(256)]) {
      const response = await postRatings([{ userId: 1, movieId: A, rating: 3 }], { key });
      expect(response.status, String(key)).toBe(400);
      const problem = await problemOf(response);
      expect(problem.type).toBe('/problems/invalid-request');
      expect(problem.invalid_params?.[0].name).toBe('Idempotency-Key');
    }
  });
});

describe('POST /ratings: authentication', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong token', 'wrong-token'],
    ['a prefix of the token', TOKEN.slice(0, -1)],
    ['the token plus a character', `${TOKEN}x`],
    ['an empty token', ''],
  ])('401 with %s, nothing stored', async (_what, token) => {
    const count = await storedCount();
    const response = await postRatings([{ userId: 1, movieId: A, rating: 3 }], { token });
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer realm="ratings"');
    expect((await problemOf(response)).type).toBe('/problems/unauthorized');
    expect(await storedCount()).toBe(count);
  });

  it('401 for another scheme carrying the right token', async () => {
    const response = await postRatings([{ userId: 1, movieId: A, rating: 3 }], {
      token: null,
      headers: { Authorization: `Basic ${TOKEN}` },
    });
    expect(response.status).toBe(401);
  });

  it('compares digests: any token length, scheme case-insensitive', async () => {
    expect(await bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(await bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(await bearerMatches(`Bearer ${TOKEN} extra`, TOKEN)).toBe(false);
    expect(await bearerMatches('Bearer ', '')).toBe(false);
    expect(await bearerMatches(null, TOKEN)).toBe(false);
    expect(await bearerMatches(`Bearer ${'a'.repeat(10_000)}`, TOKEN)).toBe(false);
  });

  it('503 when no INGEST_TOKEN secret is configured, whatever the request carries', async () => {
    const request = new Request(`${ORIGIN}/ratings`, {
      method: 'POST',
      headers: { Authorization: 'Bearer ', 'Idempotency-Key': 'k', 'Content-Type': 'application/json' },
      body: '[]',
    });
    const response = await handleRequest(request, { ...env, INGEST_TOKEN: undefined });
    expect(response.status).toBe(503);
    expect((await problemOf(response)).type).toBe('/problems/ingest-disabled');
  });
});

describe("POST /ratings: validation like the loader's rows (nothing stored if any item is bad)", () => {
  it('names every bad field of every bad item with a JSON Pointer', async () => {
    const count = await storedCount();
    const now = Math.floor(Date.now() / 1000);
    const response = await postRatings([
      { userId: 1, movieId: A, rating: 4 }, // fine, but not stored: the batch is all or nothing
      { userId: 0, movieId: A, rating: 4 },
      { userId: 1.5, movieId: A, rating: 4 },
      { userId: 2_147_483_648, movieId: A, rating: 4 },
      { userId: -3, movieId: A, rating: 4 },
      { userId: 1, movieId: 'zz999', rating: 4 },
      { userId: 1, movieId: A.toUpperCase(), rating: 4 },
      { userId: 1, movieId: ` ${A}`, rating: 4 },
      { userId: 1, movieId: A, rating: 4.7 },
      { userId: 1, movieId: A, rating: 0 },
      { userId: 1, movieId: A, rating: 5.5 },
      { userId: 1, movieId: A, rating: ' 4.5' },
      { userId: 1, movieId: A, rating: 4, timestamp: MIN_TIMESTAMP - 1 },
      { userId: 1, movieId: A, rating: 4, timestamp: now + 2 * 86_400 },
      { userId: 1, movieId: A, rating: 4, timestamp: 1.5e9 + 0.5 },
      { movieId: A, rating: 4 },
      'not an object',
      { userId: true, movieId: 7, rating: null },
    ]);
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.type).toBe('/problems/invalid-request');
    expect(problem.invalid_items).toBe(17);
    expect(problem.detail).toContain('17 of 18 ratings are invalid; nothing was stored');
    expect(problem.invalid_params!.map((p) => p.name)).toEqual([
      '/1/userId',
      '/2/userId',
      '/3/userId',
      '/4/userId',
      '/5/movieId',
      '/6/movieId',
      '/7/movieId',
      '/8/rating',
      '/9/rating',
      '/10/rating',
      '/11/rating',
      '/12/timestamp',
      '/13/timestamp',
      '/14/timestamp',
      '/15/userId',
      '/16',
      '/17/userId',
      '/17/rating',
      '/17/movieId',
    ]);
    const byName = new Map(problem.invalid_params!.map((p) => [p.name, p]));
    expect(byName.get('/8/rating')!.reason).toContain('0.5 to 5 in half steps');
    expect(byName.get('/8/rating')!.allowed).toEqual(['0.5', '1', '1.5', '2', '2.5', '3', '3.5', '4', '4.5', '5']);
    expect(byName.get('/5/movieId')!.reason).toContain('"zz999" is not the id of a title in the live catalog');
    expect(await storedCount()).toBe(count);
  });

  it('uses JSON Pointers into {"ratings": [...]}', async () => {
    const response = await postRatings({ ratings: [{ userId: 1, movieId: A, rating: 9 }] });
    expect((await problemOf(response)).invalid_params!.map((p) => p.name)).toEqual(['/ratings/0/rating']);
  });

  it('caps the listed problems at 100 and says how many items were bad', async () => {
    const response = await postRatings(Array.from({ length: 300 }, () => ({ userId: 0, movieId: A, rating: 4 })));
    const problem = await problemOf(response);
    expect(problem.invalid_params).toHaveLength(100);
    expect(problem.invalid_items).toBe(300);
  });

  it.each([
    ['not JSON', '{"userId": 1,'],
    ['a JSON string', '"ratings"'],
    ['an object without ratings', '{"rating": 4}'],
    ['an empty batch', '[]'],
    ['an empty body', ''],
    ['invalid UTF-8', new Uint8Array([0x5b, 0xff, 0x5d])],
  ])('400 for %s', async (_what, raw) => {
    const response = await postRatings(null, { raw });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).type).toBe('/problems/invalid-request');
  });
});

describe('POST /ratings: limits and methods', () => {
  it(`413 above ${MAX_RATINGS_PER_BATCH} ratings`, async () => {
    const count = await storedCount();
    const response = await postRatings(Array.from({ length: MAX_RATINGS_PER_BATCH + 1 }, () => ({ userId: 1, movieId: A, rating: 4 })));
    expect(response.status).toBe(413);
    expect((await problemOf(response)).detail).toContain(`this one has ${MAX_RATINGS_PER_BATCH + 1}`);
    expect(await storedCount()).toBe(count);
  });

  it(`413 for a body above ${MAX_BODY_BYTES} bytes, declared or not`, async () => {
    const raw = JSON.stringify([{ userId: 1, movieId: A, rating: 4, pad: 'x'.repeat(MAX_BODY_BYTES) }]);
    expect((await postRatings(null, { raw })).status).toBe(413);
    // Streamed: no Content-Length to refuse it by, so the reader stops at the limit.
    const response = await postRatings(null, { raw: new Blob([raw]).stream() });
    expect(response.status).toBe(413);
  });

  it('413 problem+json for a streamed body past even the 100 MB drain limit, read no further than that', async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(chunk);
      },
    });
    const response = await postRatings(null, { raw: endless });
    expect(response.status).toBe(413);
    expect(response.headers.get('Content-Type')).toContain('application/problem+json');
    expect(pulled).toBeLessThan(110); // drained to the limit, then cancelled
  });

  it('415 unless the body is declared JSON', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', '']) {
      const response = await postRatings([{ userId: 1, movieId: A, rating: 4 }], { contentType });
      expect(response.status, contentType).toBe(415);
    }
    expect((await postRatings([{ userId: 1, movieId: A, rating: 4 }], { contentType: 'application/json; charset=utf-8' })).status).toBe(
      202,
    );
  });

  it('405 for other methods, with Allow; OPTIONS is a CORS preflight allowing POST', async () => {
    const get = await handleRequest(new Request(`${ORIGIN}/ratings`), env);
    expect(get.status).toBe(405);
    expect(get.headers.get('Allow')).toBe('POST, OPTIONS');
    const preflight = await handleRequest(new Request(`${ORIGIN}/ratings`, { method: 'OPTIONS' }), env);
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Methods')).toBe('POST, OPTIONS');
    expect(preflight.headers.get('Access-Control-Allow-Headers')).toContain('Idempotency-Key');
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('*');
  });
});

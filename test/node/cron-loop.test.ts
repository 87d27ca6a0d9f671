// The write path end to end through the server `npm start` runs: `wrangler dev --test-scheduled` over
// a data version the real loader published. A new user's ratings are posted, the cron is fired the
// way the README says (GET /__scheduled), and the next data version knows the user. The same server
// shows that an oversize body sent in chunks is refused with a 413, whatever wrangler's proxy does.
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN_CONFIG, startDev, type DevServer } from '../../scripts/wrangler-dev';
import { publishTestData } from '../browser/server';

const TOKEN = 'cron-loop-test-token';
const NEW_USER = 2_000_000_123;
const stateDir = mkdtempSync(join(tmpdir(), 'cron-loop-'));
let server: DevServer;

beforeAll(async () => {
  await publishTestData(stateDir);
  server = await startDev({
    config: MAIN_CONFIG,
    persistTo: stateDir,
    logFile: join(stateDir, 'wrangler-dev.log'),
    readyPath: '/health',
    extraArgs: ['--test-scheduled', '--var', `INGEST_TOKEN:${TOKEN}`],
  });
}, 300_000);

afterAll(async () => {
  await server?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

interface Health {
  version: string;
  counts: { ratings_rows: number; users: number };
}

async function json<T>(path: string): Promise<T> {
  const response = await fetch(server.url + path);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

describe('the cron through wrangler dev', () => {
  it('POST /ratings for a new user, GET /__scheduled, then a new version that knows the user', async () => {
    const before = await json<Health>('/health');
    const movies = (await json<{ items: { id: string }[] }>('/titles?type=movie&limit=3')).items.map((t) => t.id);
    const now = Math.floor(Date.now() / 1000);
    const ratings = movies.map((movieId, i) => ({ userId: NEW_USER, movieId, rating: 4 + (i % 2) / 2, timestamp: now - i }));
    const posted = await fetch(`${server.url}/ratings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'cron-loop-1' },
      body: JSON.stringify(ratings),
    });
    expect(posted.status, await posted.clone().text()).toBe(202);
    expect((await json<{ user_known: boolean }>(`/recommend?user_id=${NEW_USER}&movie_id=${movies[0]}`)).user_known).toBe(false);

    const fired = await fetch(`${server.url}/__scheduled`);
    expect(fired.status).toBe(200);
    await fired.arrayBuffer();

    // The isolate re-reads the live pointer every few seconds.
    let after = before;
    for (let tries = 0; tries < 60 && after.version === before.version; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      after = await json<Health>('/health');
    }
    expect(after.version).not.toBe(before.version);
    expect(after.counts.ratings_rows).toBe(before.counts.ratings_rows + ratings.length);
    expect(after.counts.users).toBe(before.counts.users + 1);
    const known = await json<{ user_known: boolean; already_rated: boolean }>(`/recommend?user_id=${NEW_USER}&movie_id=${movies[0]}`);
    expect(known.user_known).toBe(true);
    expect(known.already_rated).toBe(true);
  });
});

/** POSTs `megabytes` of JSON-looking bytes with Transfer-Encoding: chunked (no Content-Length). */
function postChunked(url: string, megabytes: number): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/ratings`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'Idempotency-Key': `oversize-${Math.random()}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body }));
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    req.write('[');
    let sent = 0;
    const pump = () => {
      while (sent < megabytes * 1024 * 1024) {
        sent += chunk.byteLength;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end(']');
    };
    pump();
  });
}

describe('an oversize POST /ratings through wrangler dev', () => {
  it('is a 413 problem+json every time when the 10 MB body comes in chunks', async () => {
    for (let i = 0; i < 4; i++) {
      const answer = await postChunked(server.url, 10);
      expect(answer.status, answer.body.slice(0, 200)).toBe(413);
      expect(answer.contentType).toContain('application/problem+json');
    }
  });
});

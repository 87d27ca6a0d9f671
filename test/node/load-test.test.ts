// A bounded load test on 127.0.0.1: `wrangler dev` serving a data version the real loader built and
// published (test/browser/server.ts), 16 connections for 5 s over every documented endpoint and some
// deliberate errors. Passes with no connection error, no timeout, no 5xx, and every request answered
// with the status it gets at idle. Prints req/s and latency percentiles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverMix, formatReport, runLoad, type MixEntry } from '../../scripts/load-test';
import { startLocalServer, type LocalServer } from '../browser/server';

const SECONDS = 5;
const CONNECTIONS = 16;

let server: LocalServer | undefined;

beforeAll(async () => {
  server = await startLocalServer((line) => process.stderr.write(`[load test] ${line}\n`));
});

afterAll(async () => {
  await server?.stop(); // ends wrangler dev's whole process group, then removes its state
});

describe('load test', () => {
  let mix: MixEntry[];

  it('builds its mix from every documented endpoint, plus errors', async () => {
    ({ mix } = await discoverMix(server!.url));
    const documented = Object.keys(((await (await fetch(`${server!.url}/openapi.json`)).json()) as { paths: object }).paths);
    for (const template of documented) {
      const prefix = template.replace(/\{\w+\}.*$/, '');
      expect(
        mix.some((m) => m.path.startsWith(prefix)),
        template,
      ).toBe(true);
    }
    expect(mix.filter((m) => m.expected === 200).length).toBeGreaterThanOrEqual(documented.length);
    expect(mix.some((m) => m.expected === 400) && mix.some((m) => m.expected === 404)).toBe(true);
  });

  it(`${CONNECTIONS} connections for ${SECONDS} s: no error, no timeout, no 5xx, no unexpected status`, async () => {
    const report = await runLoad(server!.url, mix, { seconds: SECONDS, connections: CONNECTIONS });
    console.log(formatReport(report));
    expect(report.unexpectedExamples).toEqual([]);
    expect(report.unexpected).toBe(0);
    expect(report.errors).toBe(0);
    expect(report.timeouts).toBe(0);
    expect(Object.keys(report.byStatus).filter((s) => Number(s) >= 500)).toEqual([]);
    expect(report.neverAnswered).toEqual([]);
    expect(Object.keys(report.byStatus).sort()).toEqual([...new Set(mix.map((m) => String(m.expected)))].sort());
  });

  it('answers concurrent cold requests for many users (shards not yet read) without a 5xx', async () => {
    // Regression: sharing one in-flight KV read between requests made workerd cancel the waiters as hung.
    const sample = (await (await fetch(`${server!.url}/titles?limit=1`)).json()) as { items: { id: string }[] };
    const movie = sample.items[0].id;
    const statuses = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        fetch(`${server!.url}/${i % 2 ? 'recommendations' : 'recommend'}?user_id=${1 + i * 4099}&movie_id=${movie}&k=5`).then(
          (r) => r.status,
        ),
      ),
    );
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });

  it('refuses a target that is not this machine', async () => {
    await expect(runLoad('http://10.0.0.1:8787', [], { seconds: 1, connections: 1 })).rejects.toThrow(/only target this machine/);
    await expect(discoverMix('http://example.org')).rejects.toThrow(/only target this machine/);
  });
});

// The fake API is only a useful test partner for the SDK if it refuses what the real API refuses:
// each request below breaks the documented shape of its operation in one way and must fail, while
// the SDK's own calls (exercised by remote-publish and remote-lifecycle) pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareClient } from '../../loader/publish/cloudflare-client';
import { batchD1, importSqlFile, queryD1 } from '../../loader/publish/d1-remote';
import { readKv, readKvTexts, writeKvBulk } from '../../loader/publish/kv-bulk';
import { FakeCloudflare } from '../helpers/fake-cloudflare';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const TOKEN = 'test-token-Hf7Rk2Wq9Xz3';
const KV_NS = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const D1_DB = '11111111-2222-4333-8444-555555555555';

let fake: FakeCloudflare;
let client: CloudflareClient;
const json = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

beforeAll(async () => {
  fake = await FakeCloudflare.start({ accountId: ACCOUNT, apiToken: TOKEN, kvNamespaceId: KV_NS, d1DatabaseId: D1_DB });
  client = new CloudflareClient({ accountId: ACCOUNT, apiToken: TOKEN, baseUrl: fake.url, maxRetries: 1 });
});
afterAll(() => fake.close());

async function send(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const res = await fetch(`${fake.url}/accounts/${ACCOUNT}${path}`, { method, headers: init.headers ?? json, body: init.body });
  const body = (await res.json()) as { success: boolean; errors: { message: string }[] };
  return { status: res.status, success: body.success, message: body.errors[0]?.message ?? '' };
}

const kv = `/storage/kv/namespaces/${KV_NS}`;
const d1 = `/d1/database/${D1_DB}`;

describe('the fake API refuses requests that break the documented shape', () => {
  it.each([
    [
      'a bulk write sent as text/plain',
      'PUT',
      `${kv}/bulk`,
      { headers: { ...json, 'content-type': 'text/plain' }, body: '[{"key":"a","value":"b"}]' },
      415,
      /content-type must be application\/json/,
    ],
    ['a bulk write that is an object, not an array', 'PUT', `${kv}/bulk`, { body: '{"key":"a","value":"b"}' }, 400, /must be a JSON array/],
    [
      'a bulk pair with an undocumented field',
      'PUT',
      `${kv}/bulk`,
      { body: '[{"key":"a","value":"b","ttl":60}]' },
      400,
      /unknown field ttl/,
    ],
    [
      'a bulk pair whose base64 flag is a string',
      'PUT',
      `${kv}/bulk`,
      { body: '[{"key":"a","value":"YQ==","base64":"true"}]' },
      400,
      /base64 must be a boolean/,
    ],
    ['a bulk write with POST instead of PUT', 'POST', `${kv}/bulk`, { body: '[]' }, 404, /Could not route/],
    [
      'a bulk read of over 100 keys',
      'POST',
      `${kv}/bulk/get`,
      { body: JSON.stringify({ keys: Array.from({ length: 101 }, (_, i) => `k${i}`) }) },
      400,
      /at most 100/,
    ],
    [
      'a bulk read asking for a binary type',
      'POST',
      `${kv}/bulk/get`,
      { body: '{"keys":["a"],"type":"arrayBuffer"}' },
      400,
      /type must be text or json/,
    ],
    ['a bulk delete of objects, not names', 'POST', `${kv}/bulk/delete`, { body: '[{"key":"a"}]' }, 400, /array of key names/],
    [
      'a key listing with an undocumented parameter',
      'GET',
      `${kv}/keys?prefix=a&page=2`,
      { headers: { authorization: json.authorization } },
      400,
      /unknown query parameter page/,
    ],
    ['a value read without a key name', 'GET', `${kv}/values/`, { headers: { authorization: json.authorization } }, 404, /Could not route/],
    [
      'a D1 query whose params are numbers',
      'POST',
      `${d1}/query`,
      { body: '{"sql":"SELECT ?1","params":[1]}' },
      400,
      /params must be an array of strings/,
    ],
    [
      'a D1 query with an undocumented field',
      'POST',
      `${d1}/query`,
      { body: '{"sql":"SELECT 1","bindings":["1"]}' },
      400,
      /unknown field bindings/,
    ],
    [
      'a D1 batch mixing sql beside batch',
      'POST',
      `${d1}/query`,
      { body: '{"sql":"SELECT 1","batch":[{"sql":"SELECT 2"}]}' },
      400,
      /unknown field sql/,
    ],
    [
      'a D1 import with an unknown action',
      'POST',
      `${d1}/import`,
      { body: '{"action":"upload","etag":"x"}' },
      400,
      /action must be one of init, ingest, poll/,
    ],
    [
      'a D1 import poll without its bookmark',
      'POST',
      `${d1}/import`,
      { body: '{"action":"poll"}' },
      400,
      /current_bookmark must be a string/,
    ],
  ] as const)('%s', async (_label, method, path, init, status, message) => {
    const answer = await send(method, path, init);
    expect(answer).toMatchObject({ status, success: false });
    expect(answer.message).toMatch(message);
  });

  it('a presigned upload that carries the API token', async () => {
    const init = (await fetch(`${fake.url}/accounts/${ACCOUNT}${d1}/import`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ action: 'init', etag: 'd41d8cd98f00b204e9800998ecf8427e' }),
    }).then((r) => r.json())) as { result: { upload_url: string } };
    const withToken = await fetch(init.result.upload_url, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` }, body: '' });
    expect(withToken.status).toBe(400);
    const signedOnly = await fetch(init.result.upload_url, { method: 'PUT', body: '' });
    expect(signedOnly.status).toBe(200);
  });
});

describe('the SDK calls the publisher makes are the documented shapes', () => {
  it('writes, reads in bulk and one by one, and tells a missing key from an empty one', async () => {
    await writeKvBulk(
      client,
      KV_NS,
      new Map<string, string | Uint8Array>([
        ['t/text', 'héllo'],
        ['t/empty', ''],
        ['t/bin', new Uint8Array([0, 255, 1])],
      ]),
    );
    expect(await readKvTexts(client, KV_NS, ['t/text', 't/empty', 't/none'])).toEqual(
      new Map([
        ['t/text', 'héllo'],
        ['t/empty', ''],
        ['t/none', null],
      ]),
    );
    expect([...(await readKv(client, KV_NS, 't/bin'))!]).toEqual([0, 255, 1]);
    expect(await readKv(client, KV_NS, 't/none')).toBeNull();
  });

  it('runs a D1 batch in one request, with string params bound per statement', async () => {
    const before = fake.requests.length;
    const results = await batchD1<{ v: string }>(client, D1_DB, [
      { sql: 'CREATE TABLE IF NOT EXISTS shape_probe (v TEXT)' },
      { sql: 'INSERT INTO shape_probe (v) VALUES (?1), (?2)', params: ['a', 'b'] },
      { sql: 'SELECT v FROM shape_probe ORDER BY v' },
    ]);
    expect(results[2].results).toEqual([{ v: 'a' }, { v: 'b' }]);
    expect(fake.requests.slice(before).map((r) => r.route)).toEqual(['d1-query']);
    expect((await queryD1<{ n: number }>(client, D1_DB, 'SELECT COUNT(*) AS n FROM shape_probe WHERE v = ?1', ['b'])).results).toEqual([
      { n: 1 },
    ]);
  });

  it('imports an SQL file: init, upload without the token, ingest, poll', async () => {
    const outcome = await importSqlFile(client, D1_DB, 'CREATE TABLE import_probe (x INTEGER); INSERT INTO import_probe VALUES (1), (2);', {
      pollIntervalMs: 1,
    });
    expect(outcome).toMatchObject({ queries: 2, uploaded: true });
    const upload = fake.requests.filter((r) => r.route === 'upload');
    expect(upload.at(-1)).toMatchObject({ status: 200, hadAuthorization: false });
  });

  it('a refused call fails with the API error in one line, without the token', async () => {
    const error = await queryD1(client, D1_DB, 'SELECT * FROM no_such_table').catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^D1 query \(SELECT \* FROM no_such_table\) failed: HTTP 400 \[7500\] .*no such table/);
    expect((error as Error).message).not.toContain(TOKEN);
  });
});

// The per-isolate answer memo: a remembered answer is the answer the endpoint gives, byte for byte and
// header for header (its own request id aside), conditional GETs and HEAD included; the memo follows
// the data version and stays within its byte budget.
import { describe, expect, it } from 'vitest';
import { answerMemo, AnswerMemo } from '../../worker/answer-memo';
import { clearDataCache } from '../../worker/data';
import { ProblemError } from '../../worker/problem';
import { callWorker } from './client';

const URLS = [
  '/get_max_duration?duration_type=min',
  '/get_max_duration?year=2019&platform=netflix&duration_type=season',
  '/get_score_count?platform=disney&scored=3.2&year=2011',
  '/get_count_platform?platform=amazon',
  '/get_actor?platform=netflix&year=2019',
  '/titles?q=love&limit=5',
  '/titles/ns1',
  '/model',
  '/health',
];

async function snapshot(response: Response): Promise<{ status: number; body: string; headers: Record<string, string> }> {
  const headers = Object.fromEntries(response.headers);
  delete headers['x-request-id'];
  return { status: response.status, body: await response.text(), headers };
}

describe('remembered answers', () => {
  it('are the endpoint’s own answers, byte for byte, with a fresh request id each', async () => {
    for (const url of URLS) {
      clearDataCache();
      const computed = await callWorker(url);
      const computedId = computed.headers.get('X-Request-Id');
      const fresh = await snapshot(computed);
      expect(answerMemo.size, `${url} ${fresh.status} ${fresh.body.slice(0, 200)}`).toBe(1);
      const again = await callWorker(url);
      expect(again.headers.get('X-Request-Id'), url).not.toBe(computedId);
      expect(await snapshot(again), url).toEqual(fresh);
      expect(fresh.status, url).toBe(200);
    }
  });

  it('answer conditional GETs and HEAD as the endpoint does', async () => {
    const url = '/get_count_platform?platform=hulu';
    clearDataCache();
    const etag = (await callWorker(url)).headers.get('ETag')!;
    const notModified = await callWorker(url, { headers: { 'If-None-Match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('ETag')).toBe(etag);
    expect(notModified.headers.get('Content-Type')).toBeNull();
    expect(await notModified.text()).toBe('');
    const stale = await callWorker(url, { headers: { 'If-None-Match': '"0000000000000000"' } });
    expect(stale.status).toBe(200);
    const head = await callWorker(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(head.headers.get('Content-Type')).toBe('application/json');
  });

  it('remember client errors as the problem: the body names each request', async () => {
    const url = '/get_max_duration?year=1800';
    clearDataCache();
    const first = await callWorker(url);
    const firstBody = await first.json<Record<string, unknown>>();
    expect(first.status).toBe(404);
    expect(answerMemo.size).toBe(1);
    const second = await callWorker(url);
    const secondBody = await second.json<Record<string, unknown>>();
    expect(second.status).toBe(404);
    expect(secondBody.request_id).toBe(second.headers.get('X-Request-Id'));
    expect(secondBody.request_id).not.toBe(firstBody.request_id);
    const strip = ({ request_id: _id, instance: _instance, ...rest }: Record<string, unknown>) => rest;
    expect(strip(secondBody)).toEqual(strip(firstBody));
    const headersOf = (response: Response) => {
      const { 'x-request-id': _id, 'content-length': _length, ...rest } = Object.fromEntries(response.headers);
      return rest;
    };
    expect(headersOf(second)).toEqual(headersOf(first));
    expect(second.headers.get('Cache-Control')).toBe('no-store');
  });

  it('answer HEAD on a remembered client error as the endpoint does', async () => {
    const cases = [
      { url: '/get_max_duration?year=1800&duration_type=season', status: 404 },
      { url: '/get_score_count?platform=netflix&scored=9.5&year=2019', status: 400 },
    ];
    for (const { url, status } of cases) {
      clearDataCache();
      const computed = await callWorker(url, { method: 'HEAD' });
      const remembered = await callWorker(url, { method: 'HEAD' });
      expect(answerMemo.size, url).toBe(1);
      for (const response of [computed, remembered]) {
        expect(response.status, url).toBe(status);
        expect(await response.text(), url).toBe('');
      }
      const { 'x-request-id': _a, ...computedHeaders } = Object.fromEntries(computed.headers);
      const { 'x-request-id': _b, ...rememberedHeaders } = Object.fromEntries(remembered.headers);
      expect(rememberedHeaders, url).toEqual(computedHeaders);
    }
  });

  it('leave out streams, writes and other methods', async () => {
    clearDataCache();
    await (await callWorker('/titles.csv?platform=hulu')).text();
    await callWorker('/get_count_platform?platform=hulu', { method: 'DELETE' });
    await callWorker('/ratings', { method: 'POST', body: '{}' });
    await callWorker('/nowhere');
    expect(answerMemo.size).toBe(0);
  });
});

describe('AnswerMemo', () => {
  const answer = (body: string) => ({ kind: 'answer' as const, status: 200, body, headers: new Headers({ ETag: '"x"' }), etag: '"x"' });

  it('forgets everything when the data generation changes', () => {
    const memo = new AnswerMemo();
    memo.remember('v1', '/a', answer('1'));
    expect(memo.get('v1', '/a')).toMatchObject({ body: '1', etag: '"x"' });
    expect(memo.get('v2', '/a')).toBeUndefined();
    memo.remember('v2', '/b', answer('2'));
    expect(memo.size).toBe(1);
    expect(memo.get('v1', '/a')).toBeUndefined();
  });

  it('stays within its byte budget, dropping the oldest unused first', () => {
    const memo = new AnswerMemo(10_000);
    for (let i = 0; i < 100; i++) {
      memo.remember('v', `/${i}`, answer('x'.repeat(1000)));
      if (i === 50) memo.get('v', '/49');
      if (i === 52) {
        // /49 was asked for: it outlived /50, which came after it and was not.
        expect(memo.get('v', '/49')).toBeDefined();
        expect(memo.get('v', '/50')).toBeUndefined();
      }
      expect(memo.bytes).toBeLessThanOrEqual(10_000);
    }
    expect(memo.get('v', '/99')).toBeDefined();
    expect(memo.get('v', '/0')).toBeUndefined();
    expect(memo.size).toBe(3); // 2 bytes a unit + 600 of overhead: 2,606 bytes each
  });

  it('does not keep one oversized answer', () => {
    const memo = new AnswerMemo();
    memo.remember('v', '/big', answer('x'.repeat(100_000)));
    memo.remember('v', '/problem', { kind: 'problem', problem: new ProblemError('noMatch', 'none') });
    expect(memo.get('v', '/big')).toBeUndefined();
    expect(memo.get('v', '/problem')).toBeDefined();
  });
});

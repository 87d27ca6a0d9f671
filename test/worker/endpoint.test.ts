import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { defineEndpoint, runEndpoint } from '../../worker/endpoint';
import { makeEtag, type RequestContext } from '../../worker/http';
import { defaulted, optional, PLATFORM, required, YEAR } from '../../worker/params';
import { ProblemError } from '../../worker/problem';

const seen: string[] = [];
const echo = defineEndpoint({
  path: '/echo',
  tag: 'test',
  summary: 'echo',
  description: 'Answers its parsed parameters.',
  params: {
    platform: required(PLATFORM, 'p', 'netflix'),
    year: optional(YEAR, 'y', '2020'),
    since: defaulted(YEAR, 1900, 's', '1900'),
  },
  response: { description: 'echo', schema: { type: 'object' } },
  problems: [],
  cacheControl: 'public, max-age=7',
  async handle(values, _ctx, query) {
    seen.push(query);
    return { body: values, etagSource: `v1\n${query}` };
  },
});

function context(url: string): RequestContext {
  return { request: new Request(url), url: new URL(url), env, requestId: 'r', pointer: null };
}

describe('runEndpoint', () => {
  it('parses, calls the handler with the normalised query, and sets ETag and Cache-Control', async () => {
    const response = await runEndpoint(echo, context('http://x/echo?year=%202020&platform=Prime%20Video&junk=1'));
    expect(await response.json()).toEqual({ platform: 'amazon', year: 2020, since: 1900 });
    expect(seen.at(-1)).toBe('/echo?platform=amazon&year=2020&since=1900');
    expect(response.headers.get('ETag')).toBe(makeEtag('v1\n/echo?platform=amazon&year=2020&since=1900'));
    expect(response.headers.get('Cache-Control')).toBe('public, max-age=7');
    expect(response.headers.get('Content-Type')).toBe('application/json');
  });

  it('throws one 400 listing every invalid parameter, before the handler runs', async () => {
    const calls = seen.length;
    const error = await runEndpoint(echo, context('http://x/echo?year=x&since=1e3')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).status).toBe(400);
    expect(((error as ProblemError).extensions.invalid_params as { name: string }[]).map((p) => p.name)).toEqual([
      'platform',
      'year',
      'since',
    ]);
    expect(seen.length).toBe(calls);
  });
});

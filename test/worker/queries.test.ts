// The four catalog queries over HTTP, on the full real catalog published by the loader's own code.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ARTIFACT, CURRENT_KEY, PLATFORM_ALIAS_NAMES, type Title } from '../../contract';
import { publishBundle } from '../../loader/publish/publish';
import { clearDataCache } from '../../worker/data';
import { testBundle } from './bundle-transport';
import { scanActor, scanMaxDuration, scanScoreCount } from './catalog-scan';
import { get, invalidParamsOf, problemOf } from './client';

const bundle = await testBundle();
const titles: Title[] = bundle.titles;

describe('/get_count_platform', () => {
  it.each([
    ['amazon', 7814],
    ['disney', 1052],
    ['hulu', 1484],
    ['netflix', 6131],
  ])('counts the movies of %s: %d', async (platform, count) => {
    const response = await get(`/get_count_platform?platform=${platform}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    const body = await response.json<{ platform: string; count: number; tv_shows: number; total: number }>();
    expect(body).toMatchObject({ platform, count });
    expect(body.total).toBe(titles.filter((t) => t.platform === platform).length);
    expect(body.tv_shows).toBe(titles.filter((t) => t.platform === platform && t.type === 'tv show').length);
  });

  it.each([
    ['Amazon Prime Video', 'amazon'],
    ['prime', 'amazon'],
    ['PRIME%20VIDEO', 'amazon'],
    ['amazon%20%20prime', 'amazon'],
    ['Disney%2B', 'disney'],
    ['disney+plus', 'disney'], // "+" is a space in a query string
    ['%20Hulu%20', 'hulu'],
    ['Net%E2%80%8Bflix', 'netflix'], // zero-width space inside
    ['N%C3%A9tflix', 'netflix'], // accent dropped by NFKD
  ])('reads the alias %s as %s', async (alias, platform) => {
    const response = await get(`/get_count_platform?platform=${alias}`);
    expect(response.status).toBe(200);
    expect((await response.json<{ platform: string }>()).platform).toBe(platform);
  });

  it('gives an alias the same ETag as its canonical name', async () => {
    const a = await get('/get_count_platform?platform=Disney%2B');
    const b = await get('/get_count_platform?platform=disney&unused=1');
    expect(a.headers.get('ETag')).toBe(b.headers.get('ETag'));
  });

  it('rejects an unknown platform, listing the accepted names', async () => {
    const invalid = await invalidParamsOf(await get('/get_count_platform?platform=hbo%20max'));
    expect(invalid).toEqual([{ name: 'platform', reason: '"hbo max" is not a known platform', allowed: PLATFORM_ALIAS_NAMES }]);
  });

  it('requires the platform', async () => {
    expect(await invalidParamsOf(await get('/get_count_platform'))).toMatchObject([{ name: 'platform', reason: 'required and missing' }]);
    expect(await invalidParamsOf(await get('/get_count_platform?platform='))).toMatchObject([
      { name: 'platform', reason: 'required and empty' },
    ]);
  });
});

describe('/get_score_count', () => {
  it('matches the published checks on a version scored with the summary means (a full stand-in load)', async () => {
    // The test bundle's scores are means of a ratings sample; the published figures (docs/reference.md#summary-file) need the full means,
    // so publish that variant as its own version, query it, and put the live pointer back.
    const live = (await env.KV.get(CURRENT_KEY, 'text'))!;
    const version = `${bundle.version}-summary-means`;
    const health = { ...bundle.health, version };
    const kv = new Map<string, Uint8Array | string>([
      [ARTIFACT.queryIndex, bundle.summaryMeansIndex],
      [ARTIFACT.health, JSON.stringify(health)],
    ]);
    await publishBundle({ version, kv, titles: [], health }, { kv: env.KV, db: env.DB });
    clearDataCache();
    try {
      const a = await get('/get_score_count?platform=disney&scored=3.2&year=2011');
      expect(a.headers.get('X-Data-Version')).toBe(version);
      expect(await a.json()).toEqual({ platform: 'disney', scored: 3.2, year: 2011, count: 35 });
      const b = await get('/get_score_count?platform=disney&scored=1.4&year=2012');
      expect(await b.json()).toEqual({ platform: 'disney', scored: 1.4, year: 2012, count: 29 });
    } finally {
      await env.KV.put(CURRENT_KEY, live);
      clearDataCache();
    }
  });

  it('answers from the sample means on the test bundle', async () => {
    expect(bundle.scores).toBe('ratings-sample');
    const response = await get('/get_score_count?platform=disney&scored=3.2&year=2011');
    expect(response.headers.get('X-Data-Version')).toBe(bundle.version);
    expect((await response.json<{ count: number }>()).count).toBe(scanScoreCount(titles, { platform: 'disney', scored: 3.2, year: 2011 }));
  });

  it('counts strictly greater: titles sitting exactly on the threshold are excluded', async () => {
    const onThreshold = titles.find((t) => t.type === 'movie' && t.score === 3.5)!;
    const { platform, release_year: year } = onThreshold;
    const count = async (scored: string) =>
      (await (await get(`/get_score_count?platform=${platform}&scored=${scored}&year=${year}`)).json<{ count: number }>()).count;
    const sitting = titles.filter(
      (t) => t.type === 'movie' && t.platform === platform && t.release_year === year && t.score === 3.5,
    ).length;
    expect(sitting).toBeGreaterThan(0);
    expect((await count('3.4999999')) - (await count('3.5'))).toBe(sitting);
  });

  it('counts 0 for valid inputs that match nothing', async () => {
    for (const query of ['platform=netflix&scored=5&year=2020', 'platform=hulu&scored=0&year=1000', 'platform=amazon&scored=0&year=0']) {
      const response = await get(`/get_score_count?${query}`);
      expect(response.status).toBe(200);
      expect((await response.json<{ count: number }>()).count).toBe(0);
    }
  });

  it('accepts both ends of the range and surrounding whitespace', async () => {
    expect((await get('/get_score_count?platform=disney&scored=0&year=2011')).status).toBe(200);
    expect((await get('/get_score_count?platform=disney&scored=5.00&year=%202011%20')).status).toBe(200);
  });

  it('suggests a dot for a decimal comma', async () => {
    const [invalid] = await invalidParamsOf(await get('/get_score_count?platform=disney&scored=3,5&year=2011'));
    expect(invalid.name).toBe('scored');
    expect(invalid.reason).toContain('"3.5"');
  });

  it.each(['5.01', '6', '-1', '1e0', '0x3', 'NaN', 'Infinity', '%20'])('rejects scored=%s', async (scored) => {
    const invalid = await invalidParamsOf(await get(`/get_score_count?platform=disney&scored=${scored}&year=2011`));
    expect(invalid.map((p) => p.name)).toEqual(['scored']);
  });

  it.each(['2020.0', '%2B2020', '1e3', '0x7E4', '20200', '-2020', 'two'])('rejects year=%s', async (year) => {
    const invalid = await invalidParamsOf(await get(`/get_score_count?platform=disney&scored=3&year=${year}`));
    expect(invalid.map((p) => p.name)).toEqual(['year']);
  });

  it('reports every bad parameter at once', async () => {
    const response = await get('/get_score_count?platform=hbo&scored=3,5&year=2020.0');
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.type).toBe('/problems/invalid-params');
    expect(problem.invalid_params!.map((p) => p.name)).toEqual(['platform', 'scored', 'year']);
    expect(await invalidParamsOf(await get('/get_score_count'))).toHaveLength(3);
  });
});

describe('/get_max_duration', () => {
  it('answers the longest film overall by default (minutes)', async () => {
    const response = await get('/get_max_duration');
    expect(response.status).toBe(200);
    const expected = scanMaxDuration(titles, { unit: 'min' })!;
    expect(await response.json()).toEqual({
      id: expected.id,
      title: expected.title,
      platform: expected.platform,
      type: expected.type,
      release_year: expected.release_year,
      duration_int: expected.duration_int,
      duration_type: 'min',
    });
  });

  it('filters by year, platform and unit, aliases included', async () => {
    const expected = scanMaxDuration(titles, { year: 2018, platform: 'netflix', unit: 'season' })!;
    const response = await get('/get_max_duration?year=2018&platform=Netflix&duration_type=Seasons');
    expect(await response.json()).toMatchObject({
      id: expected.id,
      duration_int: expected.duration_int,
      duration_type: 'season',
      platform: 'netflix',
      release_year: 2018,
    });
  });

  it('treats empty filters as absent', async () => {
    const a = await (await get('/get_max_duration?year=&platform=&duration_type=')).json();
    const b = await (await get('/get_max_duration')).json();
    expect(a).toEqual(b);
  });

  it('answers 404 problem+json when no title matches', async () => {
    const response = await get('/get_max_duration?year=1800');
    expect(response.status).toBe(404);
    const problem = await problemOf(response);
    expect(problem.type).toBe('/problems/no-match');
    expect(problem.detail).toContain('1800');
  });

  it('rejects an unknown unit, listing the accepted ones', async () => {
    const [invalid] = await invalidParamsOf(await get('/get_max_duration?duration_type=hours'));
    expect(invalid).toMatchObject({ name: 'duration_type', allowed: ['min', 'mins', 'minute', 'minutes', 'season', 'seasons'] });
  });
});

describe('/get_actor', () => {
  it('names the most frequent actor with every tied name', async () => {
    const expected = scanActor(titles, { platform: 'netflix', year: 2019 })!;
    const response = await get('/get_actor?platform=netflix&year=2019');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ platform: 'netflix', year: 2019, ...expected });
  });

  it('says Hulu has no cast data at all (404), whatever the year', async () => {
    for (const year of ['2019', '1800']) {
      const response = await get(`/get_actor?platform=hulu&year=${year}`);
      expect(response.status).toBe(404);
      const problem = await problemOf(response);
      expect(problem.type).toBe('/problems/no-cast-data');
      expect(problem.detail).toMatch(/hulu.*no cast data/);
    }
  });

  it('answers 404 for a year without titles', async () => {
    const response = await get('/get_actor?platform=netflix&year=1800');
    expect(response.status).toBe(404);
    expect((await problemOf(response)).detail).toBe('No netflix title was released in 1800.');
  });

  it('answers 404 when the titles of that year list no cast', async () => {
    const castless = titles.filter((t) => t.platform === 'netflix' && t.release_year === 1943);
    expect(castless.length).toBeGreaterThan(0);
    expect(castless.every((t) => t.cast === null)).toBe(true);
    const response = await get('/get_actor?platform=netflix&year=1943');
    expect(response.status).toBe(404);
    expect((await problemOf(response)).detail).toBe('No netflix title released in 1943 lists any cast.');
  });

  it('requires both parameters', async () => {
    const invalid = await invalidParamsOf(await get('/get_actor?platform=&year='));
    expect(invalid.map((p) => p.name)).toEqual(['platform', 'year']);
  });
});

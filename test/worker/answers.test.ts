// The worker over HTTP answers exactly what the contract's answer functions give on the published
// index, and what a plain scan of the transformed catalog gives, over a grid of every platform x
// release year (x unit, x threshold), plus years absent from the catalog.
// Thousands of requests, so they go straight to the worker's exported fetch handler (callWorker).
import { describe, expect, it } from 'vitest';
import {
  actor,
  ARTIFACT,
  countPlatform,
  decodeQueryIndex,
  DURATION_TYPES,
  maxDuration,
  PLATFORMS,
  scoreCount,
  type Platform,
} from '../../contract';
import { testBundle } from './bundle-transport';
import { scanActor, scanMaxDuration, scanMovies, scanScoreCount } from './catalog-scan';
import { callWorker as get, problemOf } from './client';

const bundle = await testBundle();
const index = decodeQueryIndex(bundle.kv.get(ARTIFACT.queryIndex) as Uint8Array);
const titles = bundle.titles;
const YEARS = [...index.years, 0, 1800, 2030, 9999];
const THRESHOLDS = [0, 1.4, 3.2, 3.5, 4.5, 5];

describe('answers over the whole grid', () => {
  it('get_count_platform, every platform', async () => {
    for (const platform of PLATFORMS) {
      const body = await (await get(`/get_count_platform?platform=${platform}`)).json();
      expect(body).toEqual(countPlatform(index, platform));
      expect(countPlatform(index, platform).count).toBe(scanMovies(titles, platform));
    }
  });

  it('get_max_duration, every (year or none) x (platform or none) x unit', async () => {
    let found = 0;
    for (const year of [undefined, ...YEARS]) {
      for (const platform of [undefined, ...PLATFORMS]) {
        for (const unit of DURATION_TYPES) {
          const query = new URLSearchParams({ duration_type: unit });
          if (year !== undefined) query.set('year', String(year));
          if (platform !== undefined) query.set('platform', platform);
          const response = await get(`/get_max_duration?${query}`);
          const expected = maxDuration(index, { year, platform, durationType: unit });
          const scanned = scanMaxDuration(titles, { year, platform, unit });
          const where = query.toString();
          if (expected === null) {
            expect(scanned, where).toBeNull();
            expect(response.status, where).toBe(404);
            expect((await problemOf(response)).type).toBe('/problems/no-match');
          } else {
            found++;
            expect(response.status, where).toBe(200);
            expect(await response.json(), where).toEqual(expected);
            expect(expected.id, where).toBe(scanned?.id);
          }
        }
      }
    }
    expect(found).toBeGreaterThan(500);
  });

  it('get_score_count, every platform x year x threshold', async () => {
    for (const platform of PLATFORMS) {
      for (const year of YEARS) {
        for (const scored of THRESHOLDS) {
          const response = await get(`/get_score_count?platform=${platform}&scored=${scored}&year=${year}`);
          const expected = scoreCount(index, { platform, scored, year });
          const where = `${platform} ${year} ${scored}`;
          expect(expected, where).toBe(scanScoreCount(titles, { platform, scored, year }));
          expect(await response.json(), where).toEqual({ platform, scored, year, count: expected });
        }
      }
    }
  });

  it('get_actor, every platform x year', async () => {
    const statuses = new Map<string, number>();
    for (const platform of PLATFORMS) {
      for (const year of YEARS) {
        const response = await get(`/get_actor?platform=${platform}&year=${year}`);
        const expected = actor(index, { platform: platform as Platform, year });
        const where = `${platform} ${year}`;
        statuses.set(expected.status, (statuses.get(expected.status) ?? 0) + 1);
        if (expected.status === 'found') {
          expect(response.status, where).toBe(200);
          const body = await response.json();
          expect(body, where).toEqual({ platform, year, actor: expected.actor, count: expected.count, tied: expected.tied });
          expect(body, where).toEqual({ platform, year, ...scanActor(titles, { platform, year }) });
        } else {
          expect(response.status, where).toBe(404);
          expect(scanActor(titles, { platform, year }), where).toBeNull();
          const problem = await problemOf(response);
          expect(problem.type, where).toBe(
            expected.status === 'no_cast_data_for_platform' ? '/problems/no-cast-data' : '/problems/no-match',
          );
        }
      }
    }
    // The grid exercised every outcome.
    expect([...statuses.keys()].sort()).toEqual(['found', 'no_cast_data_for_platform', 'no_cast_for_year', 'no_titles']);
  });
});

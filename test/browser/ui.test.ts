// The product in a real browser: the web UI answering the four queries and the recommender, an error
// shown readably, the interactive docs working offline, the EDA report's charts, a phone-sized screen.
// Runs against `wrangler dev` serving a data version the real loader built and published.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFrame, launchChromium, openTrackedPage, type TrackedPage } from './browser';
import { startLocalServer, type LocalServer } from './server';

let server: LocalServer;
let browser: Browser;
const opened: TrackedPage[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startLocalServer(), launchChromium()]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${server.url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

async function open(path: string, viewport?: { width: number; height: number }): Promise<Page> {
  const tracked = await openTrackedPage(browser, server.url, viewport);
  opened.push(tracked);
  await tracked.page.goto(`${server.url}${path}`);
  return tracked.page;
}

/** Every page a test opened stayed on the origin and threw nothing. */
function expectCleanPages(): void {
  for (const { foreign, errors } of opened.splice(0)) {
    expect(foreign, 'requests outside the origin').toEqual([]);
    expect(errors, 'uncaught page errors').toEqual([]);
  }
}

const card = (page: Page, heading: string) => page.locator('article.card').filter({ has: page.getByRole('heading', { name: heading }) });

describe('the web UI', () => {
  it('answers each of the four catalog queries', async () => {
    const page = await open('/');
    await expect.poll(() => page.locator('#data-status').textContent()).toContain(server.version);
    await demoFrame(page, 'home');

    const longest = card(page, 'Longest title');
    await longest.getByLabel('Platform').selectOption('netflix');
    await longest.getByLabel('Release year').fill('2019');
    await longest.getByRole('button', { name: 'Find the longest' }).click();
    const expectedLongest = await api<{ title: string; duration_int: number }>('/get_max_duration?platform=netflix&year=2019');
    await expect.poll(() => longest.locator('.answer').textContent()).toContain(expectedLongest.title);
    expect(await longest.locator('.answer').textContent()).toContain(`${expectedLongest.duration_int} min`);
    await demoFrame(page, 'longest', longest);

    const score = card(page, 'Movies above a score');
    await score.getByLabel('Platform').selectOption('disney');
    await score.getByLabel('Score above').fill('3.5');
    await score.getByLabel('Release year').fill('2011');
    await score.getByRole('button', { name: 'Count movies' }).click();
    const expectedCount = await api<{ count: number }>('/get_score_count?platform=disney&scored=3.5&year=2011');
    await expect.poll(() => score.locator('.answer .big').textContent()).toBe(expectedCount.count.toLocaleString('en-US'));
    await demoFrame(page, 'score-count', score);

    const perPlatform = card(page, 'Movies per platform');
    await perPlatform.getByLabel('Platform').selectOption('netflix');
    await perPlatform.getByRole('button', { name: 'Count' }).click();
    // Netflix has 6,131 movies (docs/reference.md#catalog-files).
    await expect.poll(() => perPlatform.locator('.answer .big').textContent()).toBe('6,131');
    await demoFrame(page, 'count-platform', perPlatform);

    const actor = card(page, 'Most frequent actor');
    await actor.getByLabel('Platform').selectOption('amazon');
    await actor.getByLabel('Release year').fill('2021');
    await actor.getByRole('button', { name: 'Find the actor' }).click();
    const expectedActor = await api<{ actor: string; count: number }>('/get_actor?platform=amazon&year=2021');
    await expect.poll(() => actor.locator('.answer .big').textContent()).toBe(expectedActor.actor);
    await demoFrame(page, 'actor', actor);
    expectCleanPages();
  });

  it('recommends: a title found by search with suggestions, and a top-k list per platform', async () => {
    const userId = await knownUser();
    const page = await open('/');
    const one = card(page, 'Should this user watch it?');
    await one.getByLabel('User id').fill(String(userId));
    const titleBox = one.getByRole('combobox', { name: 'Title' });
    await titleBox.pressSequentially('the irishm', { delay: 20 });
    const option = page.getByRole('option', { name: /^the irishman/ }).first();
    await option.waitFor();
    await demoFrame(page, 'title-suggestions', page.locator('#recommender'));
    await titleBox.press('ArrowDown'); // keyboard only: highlight the best match, Enter picks it
    await expect.poll(() => titleBox.getAttribute('aria-activedescendant')).toBeTruthy();
    await titleBox.press('Enter');
    const picked = await api<{ items: { id: string }[] }>('/titles?title_prefix=the%20irishman&limit=5');
    const irishman = picked.items.find((t) => t.id === 'ns3228');
    expect(irishman, 'the irishman is ns3228 in the catalog').toBeTruthy();
    await expect.poll(() => one.locator('.hint').textContent()).toContain('ns3228');
    await one.getByRole('button', { name: 'Predict' }).click();
    const expected = await api<{ recommend: boolean; predicted_rating: number }>(`/recommend?user_id=${userId}&movie_id=ns3228`);
    const answer = one.locator('.answer');
    await expect.poll(() => answer.locator('.verdict .badge').textContent()).toBe(expected.recommend ? '✓ Recommend' : '✗ Not recommended');
    expect(await answer.textContent()).toContain(expected.predicted_rating.toFixed(2));
    await demoFrame(page, 'recommend', page.locator('#recommender'));

    const top = card(page, 'Top picks for a user');
    await top.getByLabel('User id').fill(String(userId));
    await top.getByLabel('Platform').selectOption('disney');
    await top.getByLabel('How many').fill('5');
    await top.getByRole('button', { name: 'Recommend' }).click();
    const expectedTop = await api<{ items: { movie_id: string }[] }>(`/recommendations?user_id=${userId}&k=5&platform=disney`);
    expect(expectedTop.items).toHaveLength(5);
    await expect.poll(() => top.locator('.ranked li').count()).toBe(5);
    const shownIds = await top.locator('.ranked li code').allTextContents();
    expect(shownIds).toEqual(expectedTop.items.map((i) => i.movie_id));
    await demoFrame(page, 'top-picks', page.locator('#recommender'));
    expectCleanPages();
  });

  it('shows a bad parameter readably: the API reason beside the field and in an alert', async () => {
    const page = await open('/');
    const score = card(page, 'Movies above a score');
    await score.getByLabel('Score above').fill('3,5');
    await score.getByRole('button', { name: 'Count movies' }).click();
    const alert = score.getByRole('alert');
    await alert.waitFor();
    const text = await alert.textContent();
    expect(text).toContain('Invalid query parameters');
    expect(text).toContain('scored');
    expect(text).toContain('"3.5"');
    const field = score.getByLabel('Score above');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await field.getAttribute('aria-describedby'))!;
    expect(await page.locator(`#${describedBy.split(' ').pop()}`).textContent()).toContain('write the decimal point as a dot');
    await demoFrame(page, 'error', score);

    // Fixing the value clears the error state.
    await score.getByLabel('Score above').fill('3.5');
    await score.getByRole('button', { name: 'Count movies' }).click();
    await score.locator('.answer').waitFor();
    expect(await field.getAttribute('aria-invalid')).toBeNull();

    // An unknown movie id is a 404 shown as such, not a blank result.
    const one = card(page, 'Should this user watch it?');
    await one.getByLabel('by id').check();
    await one.getByLabel('Movie id').fill('ns999999');
    await one.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => one.getByRole('alert').textContent()).toContain('HTTP 404');
    expectCleanPages();
  });

  it('fits a phone-sized screen', async () => {
    const page = await open('/', { width: 390, height: 844 });
    const perPlatform = card(page, 'Movies per platform');
    await perPlatform.getByRole('button', { name: 'Count' }).click();
    await perPlatform.locator('.answer').waitFor();
    await page.locator('#browse-q').fill('scorsese');
    await page.locator('#browse-form').getByRole('button', { name: 'Search' }).click();
    await page.locator('#browse-result table').waitFor();
    for (const path of ['/', '/docs', '/eda']) {
      if (path !== '/') await page.goto(`${server.url}${path}`);
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    }
    expectCleanPages();
  });
});

describe('the API docs', () => {
  it('render offline from /openapi.json and execute a call', async () => {
    const page = await open('/docs');
    const spec = await api<{ paths: Record<string, unknown> }>('/openapi.json');
    await page.locator('details.op').first().waitFor();
    expect(await page.locator('details.op').count()).toBe(Object.keys(spec.paths).length);
    const op = page.locator('#op-get_count_platform');
    await op.locator(':scope > summary').click();
    await op.getByLabel('platform', { exact: true }).fill('Disney+');
    await op.getByRole('button', { name: 'Execute' }).click();
    const body = op.locator('.response-body');
    await body.waitFor();
    expect(JSON.parse((await body.textContent())!)).toMatchObject({ platform: 'disney', count: 1052 });
    expect(await op.locator('.status-code').textContent()).toBe('200 OK');
    await demoFrame(page, 'docs', op);
    expectCleanPages();
  });
});

describe('the EDA report', () => {
  it('shows its charts, linked from the UI', async () => {
    const page = await open('/');
    await page.getByRole('link', { name: /EDA/ }).first().click();
    await page.waitForURL(`${server.url}/eda`);
    const charts = page.locator('svg.chart');
    expect(await charts.count()).toBeGreaterThanOrEqual(15);
    for (const chart of await charts.all()) {
      const box = (await chart.boundingBox())!;
      expect(box.width).toBeGreaterThan(200);
      expect(box.height).toBeGreaterThan(80);
      expect(await chart.locator('rect, polyline, circle').count()).toBeGreaterThan(0);
    }
    expect(await page.getByRole('heading', { name: 'Findings' }).isVisible()).toBe(true);
    expect(await page.locator('body').textContent()).toContain('Hulu has no cast data at all');
    await demoFrame(page, 'eda', page.locator('#catalog'));
    expectCleanPages();
  });
});

/** A user the model knows (the stand-in draws ids at random, so ask the API rather than guess). */
async function knownUser(): Promise<number> {
  for (let id = 1; id <= 500; id++) {
    const body = await api<{ user_known: boolean }>(`/recommendations?user_id=${id}&k=1`);
    if (body.user_known) return id;
  }
  throw new Error('no known user among ids 1..500');
}

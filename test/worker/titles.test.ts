// /titles, /titles/{id} (catalog index in KV), /titles.csv (D1) and /eda against the real published catalog,
// compared with a plain scan of the same titles.
import { env, exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ARTIFACT, compareCodePoints, TITLE_COLUMNS, type Title } from '../../contract';
import type { ProblemBody } from '../../worker/problem';
import { csvField } from '../../worker/titles';
import { testBundle } from './bundle-transport';
import { livePointer } from './client';

const bundle = await testBundle();
const byId = [...bundle.titles].sort((a, b) => compareCodePoints(a.id, b.id));

function get(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`http://worker.test${path}`, init));
}

interface Page {
  items: Title[];
  total: number;
  limit: number;
  next_cursor: string | null;
}

async function page(query: string): Promise<Page> {
  const response = await get(`/titles?${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<Page>();
}

/** Every page of a query, following next_cursor to the end. */
async function allPages(query: string): Promise<{ ids: string[]; totals: number[]; pages: number }> {
  const ids: string[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const p: Page = await page(`${query}${cursor ? `&cursor=${cursor}` : ''}`);
    ids.push(...p.items.map((t) => t.id));
    totals.push(p.total);
    cursor = p.next_cursor;
    pages++;
  } while (cursor);
  return { ids, totals, pages };
}

async function problem(path: string, status: number): Promise<ProblemBody> {
  const response = await get(path);
  expect(response.status, path).toBe(status);
  expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  return response.json<ProblemBody>();
}

const contains = (field: string | null, text: string) => (field ?? '').includes(text);

describe('GET /titles', () => {
  it('pages through the whole catalog in code-point order of id, each title exactly as published', async () => {
    const first = await page('');
    expect(first.limit).toBe(20);
    expect(first.total).toBe(bundle.titles.length);
    expect(first.items).toEqual(byId.slice(0, 20));
    const { ids, pages } = await allPages('limit=100');
    expect(pages).toBe(Math.ceil(bundle.titles.length / 100));
    expect(ids).toEqual(byId.map((t) => t.id));
  });

  it('filters like a plain scan: platform, type, year range, text in title/cast/director, title prefix', async () => {
    const cases: [string, (t: Title) => boolean][] = [
      ['platform=Disney%2B&type=movies', (t) => t.platform === 'disney' && t.type === 'movie'],
      ['year_from=2019&year_to=2020&type=TV', (t) => t.release_year >= 2019 && t.release_year <= 2020 && t.type === 'tv show'],
      ['q=Scorsese', (t) => contains(t.title, 'scorsese') || contains(t.cast, 'scorsese') || contains(t.director, 'scorsese')],
      [
        'q=%20love%20&platform=hulu',
        (t) => t.platform === 'hulu' && (contains(t.title, 'love') || contains(t.cast, 'love') || contains(t.director, 'love')),
      ],
      ['title_prefix=Star', (t) => t.title.startsWith('star')],
      ['year_to=1930', (t) => t.release_year <= 1930],
    ];
    for (const [query, keep] of cases) {
      const expected = byId.filter(keep).map((t) => t.id);
      expect(expected.length, query).toBeGreaterThan(0);
      const { ids, totals } = await allPages(`${query}&limit=100`);
      expect(ids, query).toEqual(expected);
      expect(new Set(totals), query).toEqual(new Set([expected.length]));
    }
  });

  it('treats SQL in the text as text', async () => {
    for (const q of ["' OR 1=1 --", '%', '_', '"); DROP TABLE titles; --']) {
      const expected = byId.filter((t) => contains(t.title, q) || contains(t.cast, q) || contains(t.director, q));
      const p = await page(`q=${encodeURIComponent(q)}&limit=100`);
      expect(p.total, q).toBe(expected.length);
    }
    expect((await page('')).total).toBe(bundle.titles.length);
  });

  it('answers an empty page when nothing matches', async () => {
    expect(await page('q=zzzxqzzz')).toEqual({ items: [], total: 0, limit: 20, next_cursor: null });
  });

  it('rejects bad parameters with problem+json naming each one', async () => {
    const bad: [string, string, RegExp][] = [
      ['limit=0', 'limit', /out of range: give 1 to 100/],
      ['limit=101', 'limit', /out of range/],
      ['limit=1e2', 'limit', /not a whole number/],
      ['limit=-5', 'limit', /not a whole number/],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor', /not a cursor/],
      ['cursor=%25%25', 'cursor', /not a cursor/],
      ['type=documentary', 'type', /not a title type/],
      ['type=__proto__', 'type', /not a title type/],
      ['platform=hbo', 'platform', /not a known platform/],
      ['year_from=2020.0', 'year_from', /not a year/],
      ['year_from=2021&year_to=2020', 'year_to', /before year_from/],
      ['q=a&q=b', 'q', /given 2 times/],
    ];
    for (const [query, name, reason] of bad) {
      const body = await problem(`/titles?${query}`, 400);
      expect(
        body.invalid_params?.map((p) => p.name),
        query,
      ).toEqual([name]);
      expect(body.invalid_params?.[0].reason, query).toMatch(reason);
    }
    const typeProblem = await problem('/titles?type=x', 400);
    expect(typeProblem.invalid_params?.[0].allowed).toContain('tv show');
  });

  it('supports conditional requests (ETag per version and normalised query)', async () => {
    const a = await get('/titles?platform=netflix&limit=5');
    const b = await get('/titles?limit=5&platform=Netflix');
    expect(a.headers.get('ETag')).toBe(b.headers.get('ETag'));
    expect(a.headers.get('X-Data-Version')).toBe(bundle.version);
    const notModified = await get('/titles?platform=netflix&limit=5', { headers: { 'If-None-Match': a.headers.get('ETag')! } });
    expect(notModified.status).toBe(304);
  });
});

describe('GET /titles/{id}', () => {
  it('answers every column of the title, ids case-insensitive', async () => {
    for (const t of [byId[0], byId[byId.length - 1], bundle.titles.find((x) => x.platform === 'hulu' && x.duration_int === null)!]) {
      const response = await get(`/titles/${t.id.toUpperCase()}`);
      expect(response.status).toBe(200);
      const body = await response.json<Title>();
      expect(body).toEqual(t);
      expect(Object.keys(body)).toEqual([...TITLE_COLUMNS]);
    }
  });

  it('is 404 for an unknown id and 400 for text that cannot be an id', async () => {
    expect((await problem('/titles/ns999999', 404)).detail).toContain('ns999999');
    expect((await problem('/titles/not%20an%20id', 400)).invalid_params?.[0].name).toBe('id');
    expect((await problem('/titles/%E0%A4%A', 400)).invalid_params?.[0].name).toBe('id');
  });
});

/** RFC 4180 reader, enough for the export: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[i++];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe('GET /titles.csv', () => {
  it('exports the whole cleaned catalog, every value round-tripping', async () => {
    const response = await get('/titles.csv');
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(response.headers.get('Content-Disposition')).toBe(`attachment; filename="titles-${bundle.version}.csv"`);
    const rows = parseCsv(await response.text());
    expect(rows[0]).toEqual([...TITLE_COLUMNS]);
    expect(rows.length - 1).toBe(bundle.titles.length);
    const expected = byId.map((t) => TITLE_COLUMNS.map((c) => (t[c] === null ? '' : String(t[c]))));
    expect(rows.slice(1)).toEqual(expected);
    // Scores keep full float64 precision.
    const scoreAt = TITLE_COLUMNS.indexOf('score');
    expect(rows.slice(1).every((r, i) => byId[i].score === null || Number(r[scoreAt]) === byId[i].score)).toBe(true);
  });

  it('takes the /titles filters', async () => {
    const rows = parseCsv(await (await get('/titles.csv?platform=hulu&type=movie')).text());
    expect(rows.length - 1).toBe(bundle.titles.filter((t) => t.platform === 'hulu' && t.type === 'movie').length);
    expect((await problem('/titles.csv?year_from=2021&year_to=2001', 400)).invalid_params?.[0].name).toBe('year_to');
  });

  it('quotes what needs quoting', () => {
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(3.5543478260869565)).toBe('3.5543478260869565');
  });
});

describe('GET /eda', () => {
  let key: string;
  let published: string | null;
  beforeEach(async () => {
    key = (await livePointer()).artifacts[ARTIFACT.eda];
    published = await env.KV.get(key, 'text');
  });
  afterEach(async () => {
    if (published !== null) await env.KV.put(key, published);
    vi.restoreAllMocks();
  });

  it('serves the stored report of the live version as HTML', async () => {
    expect(published).toContain('<!doctype html>');
    const response = await get('/eda');
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    expect(await response.text()).toBe(published);
  });

  it('is a 503 problem naming the fix when the version has no report (and logs it: the version is incomplete)', async () => {
    await env.KV.delete(key);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect((await problem('/eda', 503)).detail).toContain('npm run load');
    expect(logged).toHaveBeenCalledOnce();
  });
});

describe('the OpenAPI document', () => {
  it('documents the catalog endpoints with their parameters and media types', async () => {
    const doc = await (await get('/openapi.json')).json<{
      paths: Record<
        string,
        {
          get: {
            parameters: { name: string; in: string; required: boolean }[];
            responses: Record<string, { content?: Record<string, unknown> }>;
          };
        }
      >;
    }>();
    expect(doc.paths['/titles'].get.parameters.map((p) => p.name)).toEqual([
      'platform',
      'type',
      'year_from',
      'year_to',
      'q',
      'title_prefix',
      'limit',
      'cursor',
    ]);
    expect(doc.paths['/titles/{id}'].get.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(Object.keys(doc.paths['/titles.csv'].get.responses['200'].content!)).toEqual(['text/csv']);
    expect(Object.keys(doc.paths['/eda'].get.responses['200'].content!)).toEqual(['text/html']);
  });
});

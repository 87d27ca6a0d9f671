// The findings of the adversarial review (2026-12-03), each held by a test that failed before its fix:
// errors not publicly cacheable, ETags only on GET representations, no HTML answer framable, CSV cells
// that a spreadsheet would run neutralised, one user-id rule everywhere, the write path's headers
// readable by browsers, and /titles.csv honouring limit.
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { clearDataCache } from '../../worker/data';
import { csvField } from '../../worker/titles';
import { CURRENT_KEY, manifestKey, TITLE_COLUMNS } from '../../contract';
import { rollback } from '../../loader/publish/publish';
import { callWorker, get, livePointer, pointAt, putLive } from './client';
import { postRatings } from './ingest-client';

describe('error answers', () => {
  const errors: [string, RequestInit, number][] = [
    ['/get_max_duration?year=abc', {}, 400],
    ['/get_max_duration?year=1800', {}, 404],
    ['/nowhere', {}, 404],
    ['/get_count_platform?platform=netflix', { method: 'DELETE' }, 405],
    ['/recommend?user_id=1&movie_id=zz999999', {}, 404],
  ];

  it.each(errors)('%s (%o) is not cacheable by anyone, and has no ETag', async (path, init, status) => {
    const response = await get(path, init);
    expect(response.status).toBe(status);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(response.headers.get('ETag')).toBeNull();
    // Twice: the second comes from the isolate's answer memo.
    const again = await get(path, init);
    expect(again.headers.get('Cache-Control')).toBe('no-store');
    expect(again.headers.get('ETag')).toBeNull();
  });
});

describe('POST /ratings', () => {
  it('answers without ETags: receipts, replays and refusals are not representations', async () => {
    const ratings = [{ userId: 77, movieId: 'as1', rating: 4 }];
    const answers = [
      await postRatings(ratings, { key: 'etag-a' }),
      await postRatings(ratings, { key: 'etag-a' }),
      await postRatings([{ userId: 78, movieId: 'as1', rating: 3 }], { key: 'etag-b' }),
      await postRatings([{ userId: 0, movieId: 'as1', rating: 3 }], { key: 'etag-c' }),
      await postRatings(ratings, { token: 'wrong' }),
    ];
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 400, 401]);
    for (const response of answers) expect(response.headers.get('ETag')).toBeNull();
  });

  it('lets browsers read Idempotent-Replayed and WWW-Authenticate', async () => {
    const exposed = (await get('/health')).headers.get('Access-Control-Expose-Headers')!.split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['Idempotent-Replayed', 'WWW-Authenticate', 'ETag', 'X-Request-Id']));
  });
});

describe('HTML answers', () => {
  it.each(['/', '/docs', '/eda'])('%s cannot be framed', async (path) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(response.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('X-Frame-Options')).toBe('DENY');
  });
});

describe('one user-id rule', () => {
  it('user_id 0 is refused by /recommend and /recommendations as by POST /ratings', async () => {
    for (const path of ['/recommend?user_id=0&movie_id=as1', '/recommendations?user_id=0']) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
      const problem = await response.json<{ invalid_params: { name: string }[] }>();
      expect(problem.invalid_params.map((p) => p.name)).toContain('user_id');
    }
    expect((await get('/recommend?user_id=1&movie_id=as1')).status).toBe(200);
    expect((await postRatings([{ userId: 0, movieId: 'as1', rating: 3 }])).status).toBe(400);
  });
});

describe('/titles.csv', () => {
  it('neutralises cells a spreadsheet would run as formulas (OWASP), for a crafted catalog row', async () => {
    const { version } = await livePointer();
    const crafted = ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'];
    await env.DB.prepare(
      "INSERT INTO titles (version, id, platform, show_id, type, title, director, release_year, rating, n_ratings) VALUES (?1, 'zz1', 'hulu', 's1', 'movie', ?2, ?3, 2020, 'PG', 0)",
    )
      .bind(version, crafted[0], crafted.slice(1).join(' '))
      .run();
    try {
      clearDataCache();
      const csv = await (await get('/titles.csv?platform=hulu')).text();
      const line = csv.split('\r\n').find((l) => l.startsWith('zz1,'))!;
      expect(line).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
      expect(line).toContain(`"'+1+1 -2+3 @SUM(A1) \tTAB \rCR"`);
    } finally {
      await env.DB.prepare("DELETE FROM titles WHERE version = ?1 AND id = 'zz1'").bind(version).run();
      clearDataCache();
    }
    for (const cell of crafted) expect(csvField(cell)).toBe(`"'${cell.replace(/"/g, '""')}"`);
    expect(csvField('plain, text')).toBe('"plain, text"');
    expect(csvField(-1)).toBe('-1'); // numbers are data, not text a spreadsheet evaluates
  });

  it('honours limit: the first rows in id order', async () => {
    const all = (await (await get('/titles.csv?platform=disney')).text()).trimEnd().split('\r\n');
    const five = (await (await get('/titles.csv?platform=disney&limit=5')).text()).trimEnd().split('\r\n');
    expect(five).toEqual(all.slice(0, 6)); // header + 5
    const bad = await get('/titles.csv?limit=0');
    expect(bad.status).toBe(400);
  });
});

describe('invalid_params', () => {
  const names = async (path: string) => {
    const response = await get(path);
    expect(response.status, path).toBe(400);
    return (await response.json<{ invalid_params: { name: string; reason: string }[] }>()).invalid_params;
  };

  it('lists every problem of a request in one answer, rules between parameters included', async () => {
    expect((await names('/recommend?user_id=abc')).map((p) => p.name)).toEqual(['user_id', 'movie_id']);
    const conflict = await names('/recommend?user_id=abc&movie_id=ns1&title=x');
    expect(conflict.map((p) => p.name)).toEqual(['user_id', 'title']);
    expect(conflict[1].reason).toBe('give movie_id or title, not both');
    expect((await names('/titles?year_from=2021&year_to=2020&limit=abc')).map((p) => p.name)).toEqual(['limit', 'year_to']);
    expect((await names('/titles.csv?year_from=2021&year_to=2020&limit=0')).map((p) => p.name)).toEqual(['limit', 'year_to']);
    // A bad movie_id is its own problem, not also "missing".
    expect((await names('/recommend?user_id=1&movie_id=!!')).map((p) => p.name)).toEqual(['movie_id']);
  });
});

describe('text search ignores case, accents and Unicode form', () => {
  // ns4213's cast stores "kristín" with a decomposed í (i + U+0301).
  const queries = ['krist%C3%ADn%20th', 'kristi%CC%81n%20th', 'kristin%20th', 'KRIST%C3%8DN%20TH'];

  it.each(queries)('/titles?q=%s finds ns4213', async (q) => {
    const response = await callWorker(`/titles?q=${q}`);
    expect(response.status).toBe(200);
    expect((await response.json<{ items: { id: string }[] }>()).items.map((t) => t.id)).toContain('ns4213');
  });

  it.each(queries)('/titles.csv?q=%s finds ns4213', async (q) => {
    const response = await callWorker(`/titles.csv?q=${q}`);
    expect(response.status).toBe(200);
    expect((await response.text()).split('\r\n').some((line) => line.startsWith('ns4213,'))).toBe(true);
  });

  it('/titles.csv answers 503, not an empty CSV, for searches in a version whose rows predate search_text', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const live = await livePointer();
    const published = (await env.KV.get(CURRENT_KEY, 'text'))!;
    const columns = TITLE_COLUMNS.map((c) => `"${c}"`).join(', ');
    // Three live rows copied as migration 0004 left older versions' rows: search_text ''.
    await env.DB.prepare(
      `INSERT INTO titles (version, ${columns}) SELECT 'pre-search', ${columns} FROM titles WHERE version = ?1 ORDER BY id LIMIT 3`,
    )
      .bind(live.version)
      .run();
    try {
      await pointAt({ ...live, version: 'pre-search' });
      clearDataCache();
      for (const path of ['/titles.csv?q=love', '/titles.csv?title_prefix=a']) {
        const response = await callWorker(path);
        expect(response.status, path).toBe(503);
        expect((await response.json<{ detail: string }>()).detail).toMatch(/pre-search cannot be read .*search_text.*npm run load/);
      }
      const unfiltered = await callWorker('/titles.csv');
      expect(unfiltered.status).toBe(200);
      expect((await unfiltered.text()).trim().split('\r\n')).toHaveLength(4); // the header and the three rows
      expect(logged).toHaveBeenCalledTimes(2); // the operator hears of it
    } finally {
      logged.mockRestore();
      await env.KV.put(CURRENT_KEY, published);
      await env.DB.prepare("DELETE FROM titles WHERE version = 'pre-search'").run();
      clearDataCache();
    }
  });

  it('rollback refuses a kept version published before search was folded, leaving the pointer alone', async () => {
    const live = await livePointer();
    const columns = TITLE_COLUMNS.map((c) => `"${c}"`).join(', ');
    // Every live row and value, but its rows as migration 0004 left older versions': search_text ''.
    await env.DB.prepare(`INSERT INTO titles (version, ${columns}) SELECT 'pre-search', ${columns} FROM titles WHERE version = ?1`)
      .bind(live.version)
      .run();
    const { published_at: _, ...manifest } = live;
    await env.KV.put(manifestKey('pre-search'), JSON.stringify({ ...manifest, version: 'pre-search' }));
    try {
      await expect(rollback({ kv: env.KV, db: env.DB }, 'pre-search')).rejects.toThrow(
        /version pre-search cannot go live: it was published before text search was folded.*npm run load/,
      );
      expect((await livePointer()).version).toBe(live.version);
    } finally {
      if ((await livePointer()).version !== live.version) await putLive(live);
      await env.KV.delete(manifestKey('pre-search'));
      await env.DB.prepare("DELETE FROM titles WHERE version = 'pre-search'").run();
      clearDataCache();
    }
  });

  it('title_prefix ignores accents too, and answers keep the stored text as it is', async () => {
    const [plain, accented] = await Promise.all([
      callWorker('/titles?title_prefix=pokemon&limit=100'),
      callWorker('/titles?title_prefix=Pok%C3%A9mon&limit=100'),
    ]);
    const [a, b] = [await plain.json<{ items: { title: string }[] }>(), await accented.json<{ items: { title: string }[] }>()];
    expect(a.items.length).toBeGreaterThan(10);
    expect(b.items).toEqual(a.items);
    expect(a.items.every((t) => t.title.startsWith('pokémon'))).toBe(true);
  });
});

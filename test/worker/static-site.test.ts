// The UI's pages and scripts, served by the worker from its bundle: the files as they are in public/,
// with their types, revalidation by ETag, and headers that keep them from being framed.
import { describe, expect, it } from 'vitest';
import appJs from '../../public/app.js';
import indexHtml from '../../public/index.html';
import { get } from './client';

describe('static site', () => {
  it('serves each file of public/ with its type and a page policy', async () => {
    const cases: [string, string][] = [
      ['/', 'text/html; charset=utf-8'],
      ['/docs', 'text/html; charset=utf-8'],
      ['/app.js', 'text/javascript; charset=utf-8'],
      ['/combobox.js', 'text/javascript; charset=utf-8'],
      ['/docs.js', 'text/javascript; charset=utf-8'],
      ['/ui.js', 'text/javascript; charset=utf-8'],
      ['/styles.css', 'text/css; charset=utf-8'],
      ['/docs.css', 'text/css; charset=utf-8'],
      ['/favicon.svg', 'image/svg+xml'],
    ];
    for (const [path, type] of cases) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('Content-Type'), path).toBe(type);
      expect(response.headers.get('Content-Security-Policy'), path).toContain("frame-ancestors 'none'");
      expect(response.headers.get('X-Frame-Options'), path).toBe('DENY');
      expect(response.headers.get('X-Content-Type-Options'), path).toBe('nosniff');
      expect(response.headers.get('Cache-Control'), path).toBe('public, max-age=0, must-revalidate');
      expect(response.headers.get('X-Request-Id'), path).toBeTruthy();
      expect((await response.text()).length, path).toBeGreaterThan(50);
    }
    expect(await (await get('/')).text()).toBe(indexHtml);
    expect(await (await get('/app.js')).text()).toBe(appJs);
  });

  it('answers 304 to a current ETag and HEAD without a body', async () => {
    const etag = (await get('/styles.css')).headers.get('ETag')!;
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    expect((await get('/styles.css', { headers: { 'If-None-Match': etag } })).status).toBe(304);
    const head = await get('/docs', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('leads the pages’ file names to the pages, and refuses writes', async () => {
    for (const [from, to] of [
      ['/index.html', '/'],
      ['/docs.html', '/docs'],
    ]) {
      const response = await get(from, { redirect: 'manual' });
      expect(response.status, from).toBe(307);
      expect(response.headers.get('Location'), from).toBe(to);
    }
    const post = await get('/', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('Allow')).toBe('GET, HEAD, OPTIONS');
    expect((await get('/nope.js')).status).toBe(404);
  });
});

// The web UI (/) and the API docs page (/docs), served by the worker from files bundled into it
// (wrangler.toml's Text rule for public/). Not Workers Static Assets: with [assets] every request,
// API calls included, first crosses the platform's asset router, and under `wrangler dev` that hop
// alone cost 15-25% of a hello-world worker's throughput (bench/RESULTS.md, "Where the time goes").
// Eighty KiB of pages are cheaper to carry in the script than a hop on every API call.
import appJs from '../public/app.js';
import comboboxJs from '../public/combobox.js';
import docsCss from '../public/docs.css';
import docsHtml from '../public/docs.html';
import docsJs from '../public/docs.js';
import faviconSvg from '../public/favicon.svg';
import indexHtml from '../public/index.html';
import stylesCss from '../public/styles.css';
import uiJs from '../public/ui.js';
import { makeEtag } from './http';

/**
 * The UI loads only its own files and calls only its own origin; the policy makes the browser hold it
 * to that, and no page of ours may be framed.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** Pages and scripts change with each deploy: the browser keeps them but asks (cheaply, by ETag) each time. */
const STATIC_CACHE_CONTROL = 'public, max-age=0, must-revalidate';

const HTML = 'text/html; charset=utf-8';
const FILES: Record<string, { body: string; contentType: string }> = {
  '/': { body: indexHtml, contentType: HTML },
  '/docs': { body: docsHtml, contentType: HTML },
  '/app.js': { body: appJs, contentType: 'text/javascript; charset=utf-8' },
  '/combobox.js': { body: comboboxJs, contentType: 'text/javascript; charset=utf-8' },
  '/docs.js': { body: docsJs, contentType: 'text/javascript; charset=utf-8' },
  '/ui.js': { body: uiJs, contentType: 'text/javascript; charset=utf-8' },
  '/styles.css': { body: stylesCss, contentType: 'text/css; charset=utf-8' },
  '/docs.css': { body: docsCss, contentType: 'text/css; charset=utf-8' },
  '/favicon.svg': { body: faviconSvg, contentType: 'image/svg+xml' },
};

/** Where the file names people type for the two pages lead (as Static Assets' html_handling did). */
export const PAGE_REDIRECTS: Readonly<Record<string, string>> = { '/index.html': '/', '/docs.html': '/docs' };

export const STATIC_PATHS = Object.keys(FILES);

/** Headers per file, ETag included: hashed once per isolate, on first use. */
const headersByPath = new Map<string, Record<string, string>>();

/** The answer for a static path (GET), with every header but the per-request ones; undefined if none. */
export function staticFile(path: string): { body: string; headers: Record<string, string> } | undefined {
  const file = FILES[path];
  if (file === undefined) return undefined;
  let headers = headersByPath.get(path);
  if (headers === undefined) {
    headers = {
      'Content-Type': file.contentType,
      'Cache-Control': STATIC_CACHE_CONTROL,
      ETag: makeEtag(`${path}\n${file.body}`),
      ...PAGE_SECURITY_HEADERS,
    };
    headersByPath.set(path, headers);
  }
  return { body: file.body, headers };
}

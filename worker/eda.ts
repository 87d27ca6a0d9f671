// GET /eda: the EDA report the loader rendered for the live data version (one KV read; the page is
// static HTML with inline SVG, so it is served as stored).
import { ARTIFACT } from '../contract';
import { readBlob, requirePointer } from './data';
import { defineEndpoint } from './endpoint';
import { CACHE_CONTROL } from './http';

export const edaReport = defineEndpoint({
  path: '/eda',
  tag: 'reports',
  summary: 'EDA report',
  description:
    'The exploratory data analysis of the live data version as one HTML page: charts of the catalog and the ratings, ' +
    'outliers, missing values, the data-quality fixes and written findings. Rendered by the loader at load time.',
  params: {},
  responseContentType: 'text/html',
  response: { description: 'A self-contained HTML page (inline CSS and SVG, no script).', schema: { type: 'string' } },
  problems: ['noData'],
  cacheControl: CACHE_CONTROL.data,
  async handle(_values, ctx, query) {
    const pointer = requirePointer(ctx);
    const { version } = pointer;
    const html = await readBlob(ctx.env.KV, pointer, ARTIFACT.eda, 'text');
    return {
      body: html,
      etagSource: `${version}\n${query}`,
      raw: {
        contentType: 'text/html; charset=utf-8',
        // The page carries no script and loads nothing, and no other site may frame it; say so to the browser too.
        headers: {
          'Content-Security-Policy':
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          'X-Frame-Options': 'DENY',
        },
      },
    };
  },
});

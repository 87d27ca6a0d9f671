// GET /eda: the EDA report the loader rendered for the live data version (one KV read; the page is
// static HTML with inline SVG, so it is served as stored).
import { ARTIFACT, dataKey } from '../contract';
import { requirePointer } from './data';
import { defineEndpoint } from './endpoint';
import { CACHE_CONTROL } from './http';
import { ProblemError } from './problem';

/** Versioned keys never change, so the edge may keep them as long as it likes. */
const IMMUTABLE_KV_CACHE_TTL_S = 7 * 24 * 3600;

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
    const { version } = requirePointer(ctx);
    const key = dataKey(version, ARTIFACT.eda);
    const html = await ctx.env.KV.get(key, { type: 'text', cacheTtl: IMMUTABLE_KV_CACHE_TTL_S });
    if (html === null) {
      throw new ProblemError('noData', `Data version ${version} has no EDA report (${key} is missing). Publish it again: npm run load.`, { headers: { 'Retry-After': '60' }, log: true });
    }
    return {
      body: html,
      etagSource: `${version}\n${query}`,
      raw: {
        contentType: 'text/html; charset=utf-8',
        // The page carries no script and loads nothing; say so to the browser too.
        headers: { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'" },
      },
    };
  },
});

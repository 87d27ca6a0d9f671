import { env, exports } from 'cloudflare:workers';
import { expect, it } from 'vitest';

it('has the titles table and answers', async () => {
  const r = await env.DB.prepare('SELECT count(*) AS n FROM titles').first<{ n: number }>();
  expect(r?.n).toBe(0);
  const res = await exports.default.fetch('http://x/');
  expect(res.status).toBe(503);
});

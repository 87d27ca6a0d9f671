/**
 * What one KV read costs in the local runtime, by value size: the price of a user-shard read in the
 * API bench. A worker in Miniflare (the same workerd and KV simulator wrangler dev uses) reads values
 * of each size one after another; prints the mean time per read.
 *   npx tsx bench/kv-read-cost.ts [--reads 1000]
 */
import { Miniflare } from 'miniflare';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '1000' } } });
const SIZES = [512, 4096, 16384, 32768, 65536];
const KEYS_PER_SIZE = 64;

const mf = new Miniflare({
  modules: true,
  kvNamespaces: ['KV'],
  script: `export default {
    async fetch(request, env) {
      const url = new URL(request.url);
      const size = Number(url.searchParams.get('size'));
      if (url.pathname === '/put') {
        for (let i = 0; i < ${KEYS_PER_SIZE}; i++) await env.KV.put(size + '/' + i, new Uint8Array(size).fill(i));
        return new Response('ok');
      }
      const reads = Number(url.searchParams.get('reads'));
      const started = performance.now();
      for (let i = 0; i < reads; i++) {
        const value = await env.KV.get(size + '/' + (i % ${KEYS_PER_SIZE}), { type: 'arrayBuffer', cacheTtl: 86400 });
        if (value.byteLength !== size) throw new Error('short read');
      }
      // workerd advances its clock only across I/O, which each read is: the elapsed time is real.
      return Response.json({ ms: performance.now() - started });
    },
  };`,
});
try {
  for (const size of SIZES) await (await mf.dispatchFetch(`http://bench/put?size=${size}`)).text();
  for (const round of [1, 2]) {
    for (const size of SIZES) {
      const { ms } = (await (await mf.dispatchFetch(`http://bench/get?size=${size}&reads=${values.reads}`)).json()) as { ms: number };
      console.log(`round ${round}: ${String(size).padStart(6)} B values: ${((ms / Number(values.reads)) * 1000).toFixed(0)} µs per read`);
    }
  }
} finally {
  await mf.dispose();
}

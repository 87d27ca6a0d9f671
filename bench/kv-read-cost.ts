/**
 * What one KV read costs in the local runtime: the price of a user-shard read in the API bench.
 *   npx tsx bench/kv-read-cost.ts [--reads 1000] [--scales 1,4]
 * 1. By value size: a worker in Miniflare (the same workerd and KV simulator wrangler dev uses) reads
 *    values of 512 B to 64 KiB, one after another, from a fresh store.
 * 2. From the stores `npm run bench` published (.cache/bench/s<scale>/state): the same --reads blobs,
 *    spread over the store, read twice. The first pass pays for reading blob files the page cache
 *    does not hold; the second reads the same keys again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';
import { scaleDir } from './paths';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '1000' }, scales: { type: 'string', default: '1,4' } } });
const READS = Number(values.reads);
const SIZES = [512, 4096, 16384, 32768, 65536];
const KEYS_PER_SIZE = 64;
// The id wrangler.toml gives the KV namespace: the bench's stores are kept under it.
const KV_ID = '5f0c6e2a7b1d4c3e9a8b7c6d5e4f3a2b';

// workerd advances its clock only across I/O, which each read is, so the elapsed time is real.
const SCRIPT = `
async function timed(env, keys, reads) {
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < reads; i++) bytes += (await env.KV.get(keys[i % keys.length], { type: 'arrayBuffer' })).byteLength;
  return { usPerRead: Math.round(((performance.now() - started) / reads) * 1000), meanBytes: Math.round(bytes / reads) };
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const reads = Number(url.searchParams.get('reads'));
    if (url.pathname === '/sizes') {
      const size = Number(url.searchParams.get('size'));
      const keys = Array.from({ length: ${KEYS_PER_SIZE} }, (_, i) => size + '/' + i);
      for (const key of keys) await env.KV.put(key, new Uint8Array(size));
      return Response.json(await timed(env, keys, reads));
    }
    const all = [];
    let cursor;
    do {
      const page = await env.KV.list({ prefix: 'blob/', cursor });
      all.push(...page.keys.map((k) => k.name));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    const step = Math.max(1, Math.floor(all.length / reads));
    const keys = Array.from({ length: Math.min(reads, all.length) }, (_, i) => all[(i * step) % all.length]);
    return Response.json({ blobs: all.length, first: await timed(env, keys, keys.length), again: await timed(env, keys, keys.length) });
  },
};`;

const fresh = new Miniflare({ modules: true, kvNamespaces: ['KV'], script: SCRIPT });
try {
  for (const size of SIZES) {
    const r = (await (await fresh.dispatchFetch(`http://bench/sizes?size=${size}&reads=${READS}`)).json()) as { usPerRead: number };
    console.log(`fresh store, ${String(size).padStart(5)} B values: ${r.usPerRead} µs per read`);
  }
} finally {
  await fresh.dispose();
}

for (const scale of values.scales.split(',').map(Number)) {
  const root = join(scaleDir(scale), 'state/v3');
  if (!existsSync(root)) {
    console.log(`${scale}x: no published store at ${root} (npm run bench publishes one)`);
    continue;
  }
  const published = new Miniflare({ modules: true, defaultPersistRoot: root, kvNamespaces: { KV: KV_ID }, script: SCRIPT });
  try {
    const r = (await (await published.dispatchFetch(`http://bench/published?reads=${READS}`)).json()) as {
      blobs: number;
      first: { usPerRead: number; meanBytes: number };
      again: { usPerRead: number };
    };
    console.log(
      `${scale}x store (${r.blobs} blobs, ~${Math.round(r.first.meanBytes / 1024)} KiB read): first pass ${r.first.usPerRead} µs per read, same keys again ${r.again.usPerRead} µs`,
    );
  } finally {
    await published.dispose();
  }
}

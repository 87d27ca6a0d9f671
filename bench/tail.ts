/**
 * How the p99 of a cheap endpoint moves as an isolate loads more data: the lead on the open p99 work.
 *   npx tsx bench/tail.ts [--scale 1] [--duration 6] [--path /get_actor?platform=netflix&year=2019]
 * Needs the state `npm run bench` published for that scale (.cache/bench/s<scale>/state). For each of
 * two fresh `wrangler dev` instances it loads /path with only the query index in the isolate, then
 * after a recommendation request (the model) and a /titles search (the catalog), in both orders, and
 * prints throughput, p50 and p99 after each step. The endpoint reads neither the model nor the
 * catalog, so what moves is the cost of holding them, not of using them.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTest } from './load-test';
import { BENCH_DIR, scaleDir } from './paths';
import { MAIN_CONFIG, startDev } from './wrangler-dev';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    duration: { type: 'string', default: '6' },
    path: { type: 'string', multiple: true },
  },
});
const paths = values.path ?? ['netflix', 'amazon', 'disney'].flatMap((p) => [2015, 2017, 2019].map((y) => `/get_actor?platform=${p}&year=${y}`));
const LOADERS = { model: '/recommend?user_id=1&movie_id=ns1', catalog: '/titles?q=love' } as const;

for (const order of [['model', 'catalog'], ['catalog', 'model']] as const) {
  const server = await startDev({ config: MAIN_CONFIG, persistTo: join(scaleDir(Number(values.scale)), 'state'), logFile: join(BENCH_DIR, 'logs/tail.log'), readyPath: '/health' });
  try {
    await loadTest(server.url, paths, 8, 2); // warm-up: the query index is loaded
    const step = async (label: string) => {
      const r = await loadTest(server.url, paths, 32, Number(values.duration));
      console.log(`${label.padEnd(36)} ${String(Math.round(r.rps)).padStart(6)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`);
    };
    await step('query index only');
    for (const what of order) {
      const response = await fetch(server.url + LOADERS[what]);
      if (!response.ok) throw new Error(`${LOADERS[what]} answered ${response.status}`);
      await response.arrayBuffer();
      await step(`+ ${what}`);
    }
  } finally {
    await server.stop();
  }
}

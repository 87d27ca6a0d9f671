/**
 * Why the API bench starts a fresh `wrangler dev` for every run: a dev server's tail latency grows with
 * the requests it has served, the hello-world worker's as much as the catalog's.
 *   npx tsx bench/drift.ts [--scale 1] [--windows 8] [--seconds 5]
 * Loads one fresh server of each (hello-world, then the catalog worker on the state `npm run bench`
 * published for that scale, with the /get_actor mix) for consecutive windows at 32 connections and
 * prints each window's throughput, p50, p99 and the RSS of the workerd running the worker.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTest } from './load-test';
import { BENCH_DIR, scaleDir } from './paths';
import { rssMiB } from './proc-memory';
import { HELLO_CONFIG, MAIN_CONFIG, startBenchDev, type DevOptions } from './dev-server';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    windows: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
  },
});
const logFile = join(BENCH_DIR, 'logs/drift.log');
const actorPaths = ['netflix', 'amazon', 'disney'].flatMap((p) => [2015, 2017, 2019].map((y) => `/get_actor?platform=${p}&year=${y}`));
const workers: [string, DevOptions, string[]][] = [
  ['hello-world', { config: HELLO_CONFIG, persistTo: join(BENCH_DIR, 'hello-state'), logFile }, ['/']],
  [
    '/get_actor',
    { config: MAIN_CONFIG, persistTo: join(scaleDir(Number(values.scale)), 'state'), logFile, readyPath: '/health' },
    actorPaths,
  ],
];

for (const [name, options, paths] of workers) {
  const server = await startBenchDev(options);
  try {
    await loadTest(server.url, paths, 8, 1);
    let served = 0;
    for (let w = 0; w < Number(values.windows); w++) {
      const r = await loadTest(server.url, paths, 32, Number(values.seconds));
      served += r.requests;
      const pid = server.workerPid();
      console.log(
        `${name.padEnd(12)} after ${String(served).padStart(7)} requests: ${String(Math.round(r.rps)).padStart(5)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms` +
          (pid ? `  workerd RSS ${Math.round(rssMiB(pid))} MiB` : ''),
      );
    }
  } finally {
    await server.stop();
  }
}

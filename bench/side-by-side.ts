/**
 * Workers compared side by side on one request mix, the way the API bench compares an endpoint with
 * hello-world: their servers run at once and take turns under load in one-second slices, each
 * server's slices pooled, so all of them see the same minutes of the machine.
 *   npx tsx bench/side-by-side.ts [--mix /get_max_duration] [--scale 1] [--seconds 20] [--trials 2] CONFIG...
 * CONFIG is a wrangler.toml, the first one the baseline; the catalog worker serves the state
 * `npm run bench` published for --scale. For example, what a catalog answer's shape costs against
 * what the worker's code costs:
 *   npx tsx bench/side-by-side.ts bench/hello/wrangler.toml bench/hello-shaped/wrangler.toml wrangler.toml
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readCatalog } from '../loader/catalog/transform';
import { config as baseConfig } from '../loader/config';
import { measureGroup } from './api-bench';
import { cpuPinning, pinThisProcess } from './cpu-pinning';
import { MAIN_CONFIG } from './dev-server';
import { ENDPOINT_ORDER, endpointMixes, NEW_USER_MIXES, newUserSample, sampleUserIds, type EndpointName } from './endpoint-mixes';
import { BENCH_DIR, ratingsDir, scaleDir } from './paths';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mix: { type: 'string', default: '/get_max_duration' },
    scale: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '20' },
    trials: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
  },
});
const mixName = values.mix as EndpointName;
if (!ENDPOINT_ORDER.includes(mixName)) throw new Error(`--mix must be one of ${ENDPOINT_ORDER.join(', ')}`);
if (positionals.length < 2) throw new Error('give at least two wrangler.toml files: the baseline first');
const scale = Number(values.scale);
const settings = {
  connections: Number(values.connections),
  durationS: Number(values.seconds),
  sliceS: 1,
  warmS: 1,
  opsRequests: 0,
  profile: false,
  pinning: cpuPinning(),
};

// The servers take the generator's other cores (measureGroup pins them); this process keeps its own.
if (settings.pinning) pinThisProcess(settings.pinning.generator);
const { titles } = await readCatalog(baseConfig.titlesDir);
const mix = endpointMixes(
  titles,
  await sampleUserIds(ratingsDir(scale)),
  await sampleUserIds(ratingsDir(scale), newUserSample(settings.durationS + settings.warmS), 13),
)[mixName];

for (let trial = 1; trial <= Number(values.trials); trial++) {
  console.log(`trial ${trial}, ${mixName} mix, ${values.seconds} one-second slices per server:`);
  const runs = await measureGroup(
    positionals.map((file, i) => {
      const config = resolve(file);
      return {
        label: file,
        options: {
          config,
          persistTo: join(scaleDir(scale), 'state'),
          logFile: join(BENCH_DIR, `logs/side-by-side-${i}.log`),
          readyPath: config === MAIN_CONFIG ? '/health' : undefined,
        },
        paths: mix,
        warmEveryPath: !NEW_USER_MIXES.has(mixName),
      };
    }),
    settings,
    (line) => console.log(line),
    async () => {},
  );
  for (const [i, run] of runs.entries()) {
    console.log(
      `  ${positionals[i].padEnd(40)} ${(run.rps / runs[0].rps).toFixed(3)} of the first's throughput, p99 ${(run.p99Ms / runs[0].p99Ms).toFixed(2)}x`,
    );
  }
}

/**
 * `npm run load`'s work, into bench directories: a fresh persist directory and no bundle cache, from
 * the rating files in --ratings. Prints {version, seconds, peakRssMiB}. Run by the bench as a child:
 *   node --import tsx bench/load-fresh.ts --dir .cache/bench/e2e --ratings .cache/bench/ratings-s1
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { load } from '../loader/main';
import { benchConfig } from './paths';
import { peakRssMiB } from './proc-memory';

const { values } = parseArgs({ options: { dir: { type: 'string' }, ratings: { type: 'string' } } });
if (!values.dir || !values.ratings) throw new Error('--dir and --ratings are required');
rmSync(values.dir, { recursive: true, force: true });
const t0 = performance.now();
const { version } = await load({ config: benchConfig(values.dir, values.ratings), target: 'local' });
console.log(JSON.stringify({ version, seconds: Math.round(performance.now() - t0) / 1000, peakRssMiB: Math.round(peakRssMiB()) }));
process.exit(0);
